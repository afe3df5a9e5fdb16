"""moneytrail.spark in Spark's local mode: the same findings as a
single-machine run, field by field, however many shards; AMLworld frames
as Spark reads them; errors that say where. Needs pyspark and Java
(``.ci/run`` installs both; elsewhere these tests skip unless
``MONEYTRAIL_REQUIRE_SPARK=1``). The 1M-row AMLworld mix runs with
``MONEYTRAIL_SPARK_MIX=FILE`` (``.ci/run`` makes it)."""

import os
import sys
import warnings
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

import moneytrail
import moneytrail.spark

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample_transfers.csv"
SAMPLE_FX = REPO / "data" / "sample_fx.csv"

COLUMNS = [
    "id",
    "typology",
    "score",
    "amount",
    "currency",
    "first_time",
    "last_time",
    "accounts",
    "rows",
    "explanation",
]


@pytest.fixture(scope="module")
def spark():
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        if os.environ.get("MONEYTRAIL_REQUIRE_SPARK") == "1":
            pytest.fail("pyspark is not installed")
        pytest.skip("pyspark is not installed")
    # the executors' Python is this one, where moneytrail is installed
    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("moneytrail-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "4g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def spark_findings(df) -> pl.DataFrame:
    frame = pl.from_arrow(df.toArrow())
    return frame.select(COLUMNS)


def comparable(frame: pl.DataFrame) -> pl.DataFrame:
    """Amounts as their decimal text (exact), rows as int64 lists."""
    return frame.select(COLUMNS).with_columns(
        pl.col("amount").cast(pl.String),
        pl.col("rows").cast(pl.List(pl.Int64)),
    )


def assert_same(got: pl.DataFrame, want: pl.DataFrame):
    got, want = comparable(got), comparable(want)
    assert got.height == want.height, (got.height, want.height)
    for column in COLUMNS:
        differ = got.with_row_index().filter(pl.col(column).ne_missing(want[column]))
        assert differ.height == 0, f"{column} differs: {differ.head(3)} against {want.head(3)}"


@pytest.mark.parametrize("shard,account_parts", [("6h", 8), ("2d", None), ("30d", 1)])
def test_sample_same_findings_as_one_machine(spark, shard, account_parts):
    df = spark.read.csv(str(SAMPLE), header=True)
    analyzed = moneytrail.spark.analyze(df, shard=shard, fx=SAMPLE_FX, account_parts=account_parts)
    got = spark_findings(analyzed)
    want = moneytrail.load(SAMPLE).analyze().findings
    assert want.height > 20
    assert_same(got, want)


def test_sample_same_rows_as_the_cli(spark, cli, tmp_path):
    cli("analyze", "--input", SAMPLE, "--out", tmp_path)
    want = pl.read_csv(tmp_path / "findings.csv", infer_schema=False)
    df = spark.read.csv(str(SAMPLE), header=True)
    got = spark_findings(moneytrail.spark.analyze(df, shard="1d", fx=SAMPLE_FX))
    assert got["id"].to_list() == want["id"].to_list()
    assert [";".join(map(str, r)) for r in got["rows"].to_list()] == want["rows"].to_list()
    # exact decimals: equal in value (the frame's column has one scale)
    assert got["amount"].to_list() == [Decimal(a) for a in want["amount"].to_list()]


def test_schema_is_typed(spark):
    from pyspark.sql import types as T

    df = spark.read.csv(str(SAMPLE), header=True)
    out = moneytrail.spark.analyze(df, fx=SAMPLE_FX)
    fields = {f.name: f.dataType for f in out.schema.fields}
    assert list(fields) == COLUMNS
    assert isinstance(fields["amount"], T.DecimalType)
    assert isinstance(fields["first_time"], T.TimestampType)
    assert fields["accounts"] == T.ArrayType(T.StringType(), True)
    assert fields["rows"] == T.ArrayType(T.LongType(), True)


def test_config_and_empty_results(spark):
    df = spark.read.csv(str(SAMPLE), header=True)
    only_cycles = moneytrail.spark.analyze(df, config={"enabled": ["cycle"]}, fx=SAMPLE_FX)
    want = moneytrail.load(SAMPLE).analyze(config={"enabled": ["cycle"]}).findings
    assert_same(spark_findings(only_cycles), want)
    none = moneytrail.spark.analyze(
        df, config={"enabled": ["structuring"], "structuring": {"threshold": "1"}}, fx=SAMPLE_FX
    )
    assert none.count() == 0
    assert [f.name for f in none.schema.fields] == COLUMNS


def test_amlworld_frame_as_spark_reads_it(spark, tmp_path):
    moneytrail.generate(tmp_path, preset="tiny", seed=3, format="amlworld")
    path = tmp_path / "transactions.csv"
    df = spark.read.csv(str(path), header=True)
    assert df.columns[2] != df.columns[4]  # Spark renamed the second Account
    got = spark_findings(moneytrail.spark.analyze(df, shard="1d"))
    want = moneytrail.load(path).analyze().findings
    assert want.height > 5
    assert_same(got, want)


def test_bad_row_says_where(spark, tmp_path):
    lines = SAMPLE.read_text().splitlines()
    fields = lines[5].split(",")
    fields[4] = "12,5x".replace(",", "")  # the amount column
    lines[5] = ",".join(fields)
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n")
    df = spark.read.csv(str(bad), header=True)
    with pytest.raises(Exception) as raised:
        moneytrail.spark.analyze(df)
    text = str(raised.value)
    assert "partition 0, row 4: " in text and "amount" in text and "125x" in text, text


def test_unpriced_asset_is_a_warning(spark):
    df = spark.read.csv(str(SAMPLE), header=True)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        moneytrail.spark.analyze(df)
    assert any("no USD rate" in str(w.message) for w in seen), [str(w.message) for w in seen]


def assert_same_features(got, want: pl.DataFrame):
    got = pl.from_arrow(got.toArrow())
    assert got.columns == want.columns
    got = got.with_columns(pl.col("row").cast(want["row"].dtype))
    assert got.height == want.height, (got.height, want.height)
    for column in want.columns:
        differ = got.with_row_index().filter(pl.col(column).ne_missing(want[column]))
        assert differ.height == 0, f"{column} differs: {differ.select('row', column).head(3)}"


@pytest.mark.parametrize("shard,cycle_hops", [("1d", 3), ("3d", None), ("60d", None)])
def test_features_value_for_value_as_one_machine(spark, shard, cycle_hops):
    df = spark.read.csv(str(SAMPLE), header=True)
    got = moneytrail.spark.features(
        df, window="2d", cycle_hops=cycle_hops, shard=shard, fx=SAMPLE_FX
    )
    want = moneytrail.load(SAMPLE).features(window="2d", cycle_hops=cycle_hops)
    assert want.height == 3008 and "rule_fan_in_score" in want.columns
    assert want["payee_in_degree"].max() > 10  # windows that reach back across shards
    assert_same_features(got, want)
    got.unpersist()


def test_features_say_when_a_search_was_cut(spark, tmp_path):
    # seven accounts that all pay each other, twelve rounds in a day: more
    # than 1,000 cycles of up to five transfers start from one transfer
    lines = ["tx_id,time,from,to,amount,asset"]
    pairs = [(a, b) for a in range(7) for b in range(7) if a != b]
    for k, (a, b) in enumerate(pairs * 12):
        lines.append(f"t{k},2024-01-01T{k // 60 % 24:02d}:{k % 60:02d}:00Z,a{a},a{b},100.00,USD")
    path = tmp_path / "dense.csv"
    path.write_text("\n".join(lines) + "\n")
    with warnings.catch_warnings(record=True) as local:
        warnings.simplefilter("always")
        want = moneytrail.load(path).features(cycle_hops=5, window="1d")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        got = moneytrail.spark.features(
            spark.read.csv(str(path), header=True), cycle_hops=5, window="1d", shard="3h"
        )
    cut = [str(w.message) for w in local if "cycles per first transfer" in str(w.message)]
    assert cut, [str(w.message) for w in local]
    assert cut[0] in [str(w.message) for w in seen], [str(w.message) for w in seen]
    assert_same_features(got, want)
    got.unpersist()


def test_features_without_rules_and_on_an_amlworld_frame(spark, tmp_path):
    moneytrail.generate(tmp_path, preset="tiny", seed=3, format="amlworld")
    path = tmp_path / "transactions.csv"
    df = spark.read.csv(str(path), header=True)
    got = moneytrail.spark.features(df, rules=False, shard="2d")
    assert not any(c.startswith("rule_") for c in got.columns)
    want = moneytrail.load(path).features()
    want = want.select([c for c in want.columns if not c.startswith("rule_")])
    assert_same_features(got, want)
    got.unpersist()


@pytest.mark.skipif(
    not os.environ.get("MONEYTRAIL_SPARK_MIX"), reason="MONEYTRAIL_SPARK_MIX names the 1M mix"
)
def test_amlworld_mix_same_findings_in_four_or_more_shards(spark):
    path = os.environ["MONEYTRAIL_SPARK_MIX"]
    df = spark.read.csv(path, header=True)
    got = spark_findings(moneytrail.spark.analyze(df, shard="4d"))
    want = moneytrail.load(path).analyze().findings
    assert want.height > 1000
    assert_same(got, want)


def test_no_transfers_no_findings(spark, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text(SAMPLE.read_text().splitlines()[0] + "\n")
    df = spark.read.csv(str(empty), header=True)
    out = moneytrail.spark.analyze(df)
    assert out.count() == 0
    assert [f.name for f in out.schema.fields] == COLUMNS
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the detectors' notes on an empty span
        features = moneytrail.spark.features(df)
    assert features.count() == 0
    assert features.columns == moneytrail.load(SAMPLE).features().columns
    with pytest.raises(moneytrail.ArgumentError, match="window"):
        moneytrail.spark.features(df, window="x")


def test_a_file_in_many_partitions_keeps_its_rows(spark):
    # Spark splits a file into partitions by bytes; the rows are numbered
    # across them in the file's order
    spark.conf.set("spark.sql.files.maxPartitionBytes", 32 * 1024)
    try:
        df = spark.read.csv(str(SAMPLE), header=True)
        assert df.rdd.getNumPartitions() >= 4
        got = spark_findings(moneytrail.spark.analyze(df, shard="2d", fx=SAMPLE_FX))
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")
    assert_same(got, moneytrail.load(SAMPLE).analyze().findings)
