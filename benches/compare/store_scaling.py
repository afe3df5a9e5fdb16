#!/usr/bin/env python3
"""Time and memory of the store path against data size: for each size,
`moneytrail generate --preset large --transfers N --format amlworld`, then
`ingest` into a store and `analyze --store` at each thread count, each a
fresh process (wall time; peak resident memory from the kernel's rusage of
that process). Writes store_scaling.csv and, where matplotlib is
installed, store_scaling.png, into --out.

    python benches/compare/store_scaling.py --cli target/release/moneytrail \
        --work /tmp/scaling --sizes 1000000,10000000 --threads 2,1 \
        --earlier benches/compare/store_scaling_earlier.csv --out docs

Rows of --earlier (same columns, measured in other runs: sizes too long
to run here each time) are drawn with hollow markers and kept in the CSV
with their date.
"""

import argparse
import csv
import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path

COLUMNS = ["date", "transfers", "step", "threads", "wall_s", "peak_mib", "store_mib", "status"]


def run(command):
    """Run a command; its wall time, peak resident memory (MiB) and exit
    status."""
    started = time.perf_counter()
    with open(os.devnull, "w") as quiet:
        child = subprocess.Popen([str(c) for c in command], stdout=quiet, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        errors = child.stderr.read().decode(errors="replace")
    wall = time.perf_counter() - started
    if child.returncode != 0:
        print(f"failed ({child.returncode}): {' '.join(map(str, command))}\n{errors}", file=sys.stderr)
    return wall, usage.ru_maxrss / 1024, child.returncode


def size_of(folder):
    return sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file()) / (1 << 20)


def measure(cli, work, sizes, threads):
    today = datetime.date.today().isoformat()
    rows = []
    for size in sizes:
        n = size
        data = work / f"large-{size}"
        if not (data / "transactions.csv").is_file():
            _, _, status = run([cli, "generate", "--preset", "large", "--transfers", size,
                                "--format", "amlworld", "--seed", 7, "--out", data])
            if status != 0:
                continue
        store = work / f"store-{size}"
        subprocess.run(["rm", "-rf", str(store)], check=True)
        wall, peak, status = run([cli, "ingest", "--input", data / "transactions.csv", "--store", store])
        if status == 0:
            # the generator adds its planted attempts to the N asked for
            with open(store / "manifest.json") as f:
                n = json.load(f)["transfers"]
        rows.append(dict(date=today, transfers=n, step="ingest", threads=0, wall_s=round(wall, 2),
                         peak_mib=round(peak), store_mib=round(size_of(store)), status=status))
        print(rows[-1], flush=True)
        for t in threads:
            wall, peak, status = run([cli, "analyze", "--store", store, "--threads", t,
                                      "--out", work / f"out-{size}-{t}", "--no-report"])
            rows.append(dict(date=today, transfers=n, step="analyze", threads=t, wall_s=round(wall, 2),
                             peak_mib=round(peak), store_mib="", status=status))
            print(rows[-1], flush=True)
    return rows


def plot(rows, earlier, path):
    try:
        import matplotlib
    except ImportError:
        print("matplotlib is not installed: no plot", file=sys.stderr)
        return
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    series = [("ingest", 0, "ingest"), ("analyze", 2, "analyze, 2 threads"), ("analyze", 1, "analyze, 1 thread")]
    for (step, threads, label), colour in zip(series, ["tab:green", "tab:blue", "tab:orange"]):
        for source, hollow in ((rows, False), (earlier, True)):
            pts = sorted((r for r in source if r["step"] == step and int(r["threads"]) == threads
                          and str(r["status"]) == "0"), key=lambda r: int(r["transfers"]))
            if not pts:
                continue
            style = dict(marker="o", color=colour, linestyle=":" if hollow else "-",
                         markerfacecolor="none" if hollow else colour,
                         label=None if hollow else label)
            xs = [int(r["transfers"]) for r in pts]
            left.plot(xs, [float(r["wall_s"]) for r in pts], **style)
            right.plot(xs, [float(r["peak_mib"]) / 1024 for r in pts], **style)
    for ax, label in ((left, "wall time (s)"), (right, "peak resident memory (GiB)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("transfers (generate --preset large: 500k accounts, 60 days)")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("moneytrail ingest and analyze --store on a 2-core machine (hollow: earlier runs)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cli", required=True)
    p.add_argument("--work", required=True, type=Path)
    p.add_argument("--sizes", default="1000000,10000000")
    p.add_argument("--threads", default="2,1")
    p.add_argument("--earlier", type=Path)
    p.add_argument("--out", required=True, type=Path)
    a = p.parse_args()
    a.work.mkdir(parents=True, exist_ok=True)
    a.out.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in a.sizes.split(",") if s]
    threads = [int(t) for t in a.threads.split(",") if t]
    rows = measure(Path(a.cli).resolve(), a.work, sizes, threads)
    earlier = []
    if a.earlier:
        with open(a.earlier, newline="") as f:
            earlier = list(csv.DictReader(f))
    with open(a.out / "store_scaling.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows + earlier)
    plot(rows, earlier, a.out / "store_scaling.png")
    return 0 if all(str(r["status"]) == "0" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
