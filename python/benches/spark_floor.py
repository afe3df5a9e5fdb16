"""What Spark itself costs on a file, before any moneytrail work: the floor
under `moneytrail.spark`'s wall time on the same machine.

    python python/benches/spark_floor.py FILE [--master local[2]] [--driver-memory 8g]

One fresh session (timed from before the import of pyspark), then on
`spark.read.csv(FILE, header=True)`: a count; a count of a second read;
every row through Arrow into a Python worker and back (`mapInArrow`,
first one column, then all of them); a repartition of every row; every
row to the driver as Arrow (`toArrow`). Prints the seconds of each as
JSON.
"""

import argparse
import json
import os
import sys
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--driver-memory", default="8g")
    args = parser.parse_args()
    os.environ["PYSPARK_PYTHON"] = sys.executable
    started = time.perf_counter()
    import pyarrow as pa
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master(args.master)
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", args.driver_memory)
        .config("spark.driver.maxResultSize", "0")
        .config("spark.sql.shuffle.partitions", "8")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    seconds = {"session": time.perf_counter() - started}

    def timed(name, run):
        began = time.perf_counter()
        run()
        seconds[name] = time.perf_counter() - began

    def first_column(batches):
        for b in batches:
            yield pa.RecordBatch.from_arrays([b.column(0)], names=["x"])

    def unchanged(batches):
        yield from batches

    df = spark.read.csv(args.file, header=True)
    timed("read and count", lambda: df.count())
    timed("read and count again", lambda: spark.read.csv(args.file, header=True).count())
    timed("mapInArrow, one column", lambda: df.mapInArrow(first_column, "x string").count())
    timed("mapInArrow, every column", lambda: df.mapInArrow(unchanged, df.schema).count())
    timed("repartition", lambda: df.repartition(8).count())
    timed("toArrow", lambda: df.toArrow())
    seconds["total"] = time.perf_counter() - started
    print(json.dumps({"file": args.file, "seconds": {k: round(v, 2) for k, v in seconds.items()}}))
    spark.stop()


if __name__ == "__main__":
    main()
