"""Time `analyze` from Python against the CLI on the same file, side by side.

    python python/benches/cli_vs_python.py FILE --cli target/release/moneytrail [--rounds 5]

Each round runs, in turn: the CLI (`analyze --input FILE`, findings
printed, no files written), Python from the path (`load(FILE).analyze()`
and the findings DataFrame), and Python from a polars frame of the file
(`load(frame).analyze()`, the frame read beforehand and not timed). Each
Python run is a fresh interpreter, like the CLI. Prints the median wall
time and peak memory of each, and the ratio to the CLI.
"""

import argparse
import json
import statistics
import subprocess
import sys
import textwrap

RUN = textwrap.dedent(
    """
    import json, resource, sys, time
    import polars as pl
    import moneytrail
    path, mode = sys.argv[1], sys.argv[2]
    frame = pl.read_csv(path, infer_schema=False) if mode == "frame" else None
    started = time.perf_counter()
    transfers = moneytrail.load(frame if mode == "frame" else path)
    findings = transfers.analyze().findings
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mib": peak, "findings": findings.height}))
    """
)


def cli_run(cli, path):
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%e %M", cli, "analyze", "--input", path, "--top", "0"],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, kib = done.stderr.strip().splitlines()[-1].split()
    return {"seconds": float(seconds), "peak_mib": int(kib) / 1024}


def python_run(path, mode):
    done = subprocess.run(
        [sys.executable, "-c", RUN, path, mode], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--cli", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    runs = {"cli": [], "python, path": [], "python, frame": []}
    for _ in range(args.rounds):
        runs["cli"].append(cli_run(args.cli, args.file))
        runs["python, path"].append(python_run(args.file, "path"))
        runs["python, frame"].append(python_run(args.file, "frame"))
    base = statistics.median(r["seconds"] for r in runs["cli"])
    print(f"{args.file}, {args.rounds} rounds, medians")
    for name, rs in runs.items():
        seconds = statistics.median(r["seconds"] for r in rs)
        peak = statistics.median(r["peak_mib"] for r in rs)
        print(f"  {name:<14} {seconds:6.2f} s  {seconds / base:4.2f}x  peak {peak:6.0f} MiB")


if __name__ == "__main__":
    main()
