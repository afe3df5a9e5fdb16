"""Shared fixtures: the shipped sample, and the moneytrail CLI the results
are compared with (``MONEYTRAIL_CLI``; CI sets it, and the comparisons
fail there rather than skip when it is missing)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

import moneytrail

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample_transfers.csv"


@pytest.fixture(scope="session")
def sample():
    return moneytrail.load(SAMPLE)


@pytest.fixture(scope="session")
def cli():
    """A function running the moneytrail CLI and returning its stdout."""
    path = os.environ.get("MONEYTRAIL_CLI") or shutil.which("moneytrail")
    if not path:
        if os.environ.get("MONEYTRAIL_REQUIRE_CLI") == "1":
            pytest.fail("MONEYTRAIL_CLI is not set and no moneytrail is on PATH")
        pytest.skip("no moneytrail CLI to compare with (set MONEYTRAIL_CLI)")

    def run(*args):
        done = subprocess.run([path, *map(str, args)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    return run
