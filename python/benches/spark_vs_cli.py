"""Time `moneytrail.spark.analyze` in Spark's local mode against the CLI on
the same file, side by side, and check that the findings are the same.

    python python/benches/spark_vs_cli.py FILE --cli target/release/moneytrail \\
        [--shards 1d,2d,4d] [--master local[2]] [--driver-memory 8g] [--job features]

With `--job features`, `moneytrail features` against
`moneytrail.spark.features` instead (written by Spark as Parquet, then
compared with the CLI's features.parquet column by column, value for
value).

First the CLI (`analyze --input FILE --out DIR`: findings.csv written),
then, per shard length, a fresh Spark session (`spark.read.csv(FILE,
header=True)` then `moneytrail.spark.analyze`, the findings collected to
the driver). Wall time includes Spark's start (the JVM) and the read;
peak memory is the summed resident memory of the whole process tree (the
JVM, the Python driver and the Python workers), sampled every 0.2 s. The
driver's result size is unbounded (`spark.driver.maxResultSize=0`): the
plan gathers every transfer's narrow columns, past 1 GB from 10M rows.
Each Spark run's findings are compared with the CLI's findings.csv (ids,
typologies, rows, amounts). Prints one line per run and JSON at the end.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

RUN = textwrap.dedent(
    """
    import json, os, sys, time, warnings
    warnings.simplefilter("ignore")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    started = time.perf_counter()
    import polars as pl
    import moneytrail.spark
    from pyspark.sql import SparkSession
    path, shard, master, memory, out, task_cpus, job = sys.argv[1:8]
    spark = (SparkSession.builder.master(master).config("spark.ui.enabled", "false")
             .config("spark.driver.memory", memory)
             .config("spark.driver.maxResultSize", "0")
             .config("spark.task.cpus", task_cpus)
             .config("spark.sql.shuffle.partitions", "8").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    df = spark.read.csv(path, header=True)
    if job == "features":
        made = moneytrail.spark.features(df, shard=shard)
        made.write.parquet(out)
        seconds = time.perf_counter() - started
        print(json.dumps({"seconds": seconds, "findings": made.count()}))
        spark.stop()
        sys.exit(0)
    found = pl.from_arrow(moneytrail.spark.analyze(df, shard=shard).toArrow())
    seconds = time.perf_counter() - started
    found.with_columns(
        pl.col("rows").list.eval(pl.element().cast(pl.String)).list.join(";"),
        pl.col("amount").cast(pl.String),
    ).select("id", "typology", "rows", "amount").write_csv(out)
    print(json.dumps({"seconds": seconds, "findings": found.height}))
    spark.stop()
    """
)


def tree_rss_kib(pid):
    """Summed VmRSS of `pid` and its descendants."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parent = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def measured(command):
    """Run `command`; return (stdout, wall seconds, peak tree RSS in GiB)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0]

    def watch():
        while process.poll() is None:
            peak[0] = max(peak[0], tree_rss_kib(process.pid))
            time.sleep(0.2)

    watcher = threading.Thread(target=watch)
    watcher.start()
    out, err = process.communicate()
    watcher.join()
    if process.returncode != 0:
        sys.exit(f"{command[0]} failed:\n{err[-3000:]}")
    return out, time.perf_counter() - started, peak[0] / 1048576


def comparable(path):
    import polars as pl
    from decimal import Decimal

    frame = pl.read_csv(path, infer_schema=False).select("id", "typology", "rows", "amount")
    return [(i, t, r, Decimal(a)) for i, t, r, a in frame.iter_rows()]


def same_features(spark_dir, cli_file):
    """Whether Spark's Parquet folder holds the CLI's features, value for value."""
    import polars as pl

    want = pl.read_parquet(cli_file)
    got = pl.read_parquet(os.path.join(spark_dir, "*.parquet")).sort("row")
    got = got.with_columns(pl.col("row").cast(want["row"].dtype))
    return got.columns == want.columns and got.equals(want)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--cli", required=True)
    parser.add_argument("--shards", default="1d,2d,4d")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--driver-memory", default="8g")
    parser.add_argument(
        "--task-cpus",
        default="1",
        help="spark.task.cpus: 2 on local[2] runs one part at a time (each uses both cores)",
    )
    parser.add_argument("--job", choices=["analyze", "features"], default="analyze")
    args = parser.parse_args()
    runs = []
    features = args.job == "features"
    with tempfile.TemporaryDirectory() as tmp:
        if features:
            command = [args.cli, "features", "--input", args.file, "--out", tmp]
        else:
            command = [args.cli, "analyze", "--input", args.file, "--out", tmp, "--top", "0"]
        _, seconds, peak = measured(command)
        if features:
            cli_file = os.path.join(tmp, "features.parquet")
            import polars as pl

            made = pl.scan_parquet(cli_file).select(pl.len()).collect().item()
        else:
            cli = comparable(os.path.join(tmp, "findings.csv"))
            made = len(cli)
        runs.append({"run": "cli", "seconds": seconds, "peak_gib": peak, "findings": made})
        print(f"cli {args.job:<15} {seconds:7.1f} s  peak {peak:5.2f} GiB  {made} rows", flush=True)
        for shard in args.shards.split(","):
            out = os.path.join(tmp, f"spark-{shard}" + ("" if features else ".csv"))
            command = [
                sys.executable, "-c", RUN, args.file, shard, args.master,
                args.driver_memory, out, args.task_cpus, args.job,
            ]
            stdout, seconds, peak = measured(command)
            same = same_features(out, cli_file) if features else comparable(out) == cli
            result = json.loads(stdout.strip().splitlines()[-1])
            runs.append(
                {
                    "run": f"spark {args.master}, {shard} shards, task cpus {args.task_cpus}",
                    "seconds": seconds,
                    "peak_gib": peak,
                    "findings": result["findings"],
                    "identical": same,
                }
            )
            print(
                f"spark {args.master} {shard:>4}  {seconds:7.1f} s  peak {peak:5.2f} GiB  "
                f"{result['findings']} {'rows' if features else 'findings'}, identical: {same}",
                flush=True,
            )
    print(json.dumps({"file": args.file, "runs": runs}, indent=1))


if __name__ == "__main__":
    main()
