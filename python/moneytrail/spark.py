"""moneytrail on Apache Spark: the detectors and the features per transfer
over a Spark DataFrame of transfers, each shard run in the executors by
the Rust kernel, findings and feature values identical to a
single-machine run.

>>> findings = moneytrail.spark.analyze(spark.read.csv(path, header=True))

How it runs (one Spark job per step; see docs/python.md):

1. **read**, in the executors (``mapInArrow``): each Spark partition's rows
   are loaded as :func:`moneytrail.load` loads a frame (the same layouts
   and checks; a bad row raises :class:`~moneytrail.InputError`) into one
   canonical table, kept in executor memory and disk;
2. **plan**, on the driver: from every row's time, accounts and assets
   (and amounts only where a transfer converts one asset into another),
   the whole data's account and asset dictionaries, transfer ids (time
   order, ties in row order), FX rates, the time shards with the overlap
   each detector needs and the account parts, and which parts read each
   row; the plan is broadcast;
3. **run**, in the executors (``groupBy(part).applyInArrow``): each part's
   detectors on the rows it reads; a finding is kept by the shard that
   owns its first transfer;
4. **combine**, on the driver: the parts' findings and the rows they name
   put together (budgets, merged repeats), returned as a Spark DataFrame
   with the columns of findings.csv (accounts and rows as arrays).

:func:`features` runs the same read and plan, the detectors for the rule
columns, and then the time shards of the feature columns in the
executors (``groupBy(feature shard).applyInArrow``), each for the
transfers it owns; the rule columns are joined on the row.

Rows are numbered in the DataFrame's order (``monotonically_increasing_id``
ranked): for a file Spark reads, its 0-based data rows, as the CLI's
``rows`` column. The driver holds 8 bytes per transfer and the whole data's
account dictionary; each executor task holds one part's transfers and the
dictionary.
"""

from __future__ import annotations

import io
import json
import logging
import os
import time
import uuid
import warnings
from functools import partial
from typing import Any, Dict, Iterator, Mapping, Optional, Union

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import _native
from ._frames import frame_file, table
from ._native import InputError

__all__ = ["analyze", "features", "CANONICAL_SCHEMA"]

#: The canonical table step 1 makes of every row (Spark DDL).
CANONICAL_SCHEMA = (
    "mono long, time_us long, `from` string, `to` string, amount_paid string, "
    "asset_paid string, amount_received string, asset_received string, channel string, "
    "tx_id string, tx_hash string, chain string, from_institution string, "
    "from_jurisdiction string, from_kind string, to_institution string, "
    "to_jurisdiction string, to_kind string, paid_decimals int, received_decimals int, "
    "paid_virtual boolean, received_virtual boolean"
)

_CANONICAL_ARROW = pa.schema(
    [
        ("mono", pa.int64()),
        ("time_us", pa.int64()),
        ("from", pa.string()),
        ("to", pa.string()),
        ("amount_paid", pa.string()),
        ("asset_paid", pa.string()),
        ("amount_received", pa.string()),
        ("asset_received", pa.string()),
        ("channel", pa.string()),
        ("tx_id", pa.string()),
        ("tx_hash", pa.string()),
        ("chain", pa.string()),
        ("from_institution", pa.string()),
        ("from_jurisdiction", pa.string()),
        ("from_kind", pa.string()),
        ("to_institution", pa.string()),
        ("to_jurisdiction", pa.string()),
        ("to_kind", pa.string()),
        ("paid_decimals", pa.int32()),
        ("received_decimals", pa.int32()),
        ("paid_virtual", pa.bool_()),
        ("received_virtual", pa.bool_()),
    ]
)

#: Each step's time and size, at INFO level.
_LOG = logging.getLogger(__name__)

#: The columns of the findings DataFrame: findings.csv's, in its order.
FINDINGS_COLUMNS = (
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
)

#: The canonical columns a part's ledger is built from (the accounts'
#: and assets' attributes come with the plan's dictionaries).
_PART_COLUMNS = (
    "mono",
    "time_us",
    "from",
    "to",
    "amount_paid",
    "asset_paid",
    "amount_received",
    "asset_received",
    "channel",
    "tx_id",
    "tx_hash",
    "chain",
)

#: What step 3 returns per part.
_RESULT_SCHEMA = "part long, result string"


def analyze(
    df: Any,
    *,
    config: Union[None, str, Mapping[str, Any]] = None,
    shard: str = "7d",
    format: str = "auto",
    columns: Optional[Mapping[str, str]] = None,
    asset: Optional[str] = None,
    allow_float: bool = False,
    fx: Optional[Union[str, os.PathLike]] = None,
    account_parts: Optional[int] = None,
) -> Any:
    """Run the detectors on a Spark DataFrame of transfers, shard by shard
    in the executors; returns a Spark DataFrame of findings with the
    columns of findings.csv (``id, typology, score, amount, currency,
    first_time, last_time, accounts, rows, explanation``; ``amount`` an
    exact decimal, the times UTC timestamps, ``accounts`` and ``rows``
    arrays), in the CLI's order.

    The frame's columns are a layout's, as for :func:`moneytrail.load`
    (rename them with ``columns={"frame name": "layout name"}``); an
    AMLworld frame read with ``header=True`` (whose second ``Account``
    column Spark renames) is recognised. Read amounts as strings (Spark's
    CSV reader does unless ``inferSchema``): float amount columns are
    refused unless ``allow_float``. ``config`` takes the keys of
    ``--config``; ``shard`` is the length of the time shards (``"7d"``),
    which changes the run's cost, never its findings. ``fx`` is an FX file
    (``asset,rate`` lines, read on the driver) whose rates the data's
    own conversions complete, as the CLI's ``--fx``. ``account_parts`` is how many parts the
    detectors that judge an account's whole history run in (by default
    Spark's default parallelism): each reads its accounts' transfers and,
    for some detectors, their payees', most of the data on dense sets, so
    more parts read more in all. Warnings of the run
    (unpriced assets, detectors that hit their result budget) are issued
    as Python warnings."""
    spark = df.sparkSession
    config_text = _config_text(config)
    canonical = _canonical(df, format=format, columns=columns, asset=asset, allow_float=allow_float)
    try:
        plan, assignments = _plan(
            canonical, config_text, shard=shard, fx=fx, account_parts=account_parts
        )
        results, rows = _run_parts(canonical, plan, assignments, config_text)
        started = time.perf_counter()
        findings, summary = plan.combine(results, rows)
        _LOG.info(
            "put together in %.1f s; the detectors took %.1f s in all the parts",
            time.perf_counter() - started,
            sum(json.loads(summary)["seconds_per_detector"].values()),
        )
    finally:
        canonical.unpersist()
    _warn(json.loads(summary))
    frame = table(findings, decimals=("amount",), times=("first_time", "last_time"))
    frame = frame.select(FINDINGS_COLUMNS).with_columns(pl.col("rows").cast(pl.List(pl.Int64)))
    return _spark_frame(spark, frame.to_arrow())


def features(
    df: Any,
    *,
    window: str = "1d",
    cycle_hops: Optional[int] = None,
    currency: str = "USD",
    scatter_gather: bool = True,
    history: Optional[str] = "30d",
    rules: bool = True,
    config: Union[None, str, Mapping[str, Any]] = None,
    shard: str = "7d",
    format: str = "auto",
    columns: Optional[Mapping[str, str]] = None,
    asset: Optional[str] = None,
    allow_float: bool = False,
    fx: Optional[Union[str, os.PathLike]] = None,
    account_parts: Optional[int] = None,
) -> Any:
    """Features per transfer of a Spark DataFrame of transfers, computed
    time shard by time shard in the executors; returns a Spark DataFrame
    with the columns of ``moneytrail features`` (docs/features.md):
    ``row`` first, one row per transfer, every value equal to
    :meth:`moneytrail.Transfers.features` on the same rows.

    Each time shard of ``shard`` reads its interval plus ``window`` or
    ``history`` before it, whichever is longer (and ``window`` after it,
    with ``cycle_hops``); every column is a function of
    the transfers in its window, so the shard length changes the cost,
    never a value. The rule columns (``rule_*``; leave them out with
    ``rules=False``) come from the detectors run as :func:`analyze` runs
    them (``config`` takes the keys of ``--config``; its ``currency`` is
    ``currency``). Values are in ``currency``, valued with the data's own
    conversions completed by ``fx``. The other arguments are
    :func:`analyze`'s."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    spark = df.sparkSession
    given = json.loads(config) if isinstance(config, str) else dict(config or {})
    given["currency"] = currency
    config_text = json.dumps(given, default=str)
    ask = json.dumps(
        {
            "window": window,
            "cycle_hops": cycle_hops or 0,
            "scatter_gather": scatter_gather,
            "history": history,
        }
    )
    canonical = _canonical(df, format=format, columns=columns, asset=asset, allow_float=allow_float)
    try:
        plan, assignments = _plan(
            canonical,
            config_text,
            shard=shard,
            fx=fx,
            account_parts=account_parts,
            features=ask,
        )
        numbers, texts = plan.feature_names()
        rule_names = plan.rule_names() if rules else []
        rule_rows = None
        if rules:
            results, rows = _run_parts(canonical, plan, assignments, config_text)
            made, summary = plan.rule_table(results, rows)
            _warn(json.loads(summary))
            rule_rows = _spark_types(pq.read_table(io.BytesIO(made)))
        started = time.perf_counter()
        shipped = spark.sparkContext.broadcast(plan.shipped())
        token = uuid.uuid4().hex

        def run(data: pa.Table) -> pa.Table:
            return _run_feature_shard(data, shipped=shipped, token=token, config=config_text)

        schema = ", ".join(
            ["row long"]
            + [f"`{n}` double" for n in numbers]
            + [f"`{n}` string" for n in texts]
            + ["_warnings string"]
        )
        shards = assignments.select("mono", "id", "row", "feature_shards")
        made = (
            canonical.select(*_PART_COLUMNS)
            .join(shards, "mono")
            .withColumn("feature_shard", F.explode("feature_shards"))
            .drop("feature_shards")
            .groupBy("feature_shard")
            .applyInArrow(run, schema)
            .persist(StorageLevel.MEMORY_AND_DISK)
        )
        # what limits the columns (a search budget hit in a shard; a cut
        # in a shard's overlap is a cut in the shard that owns it too)
        said = made.where(F.col("_warnings").isNotNull()).select("_warnings").collect()
        cut = sorted({line for row in said for line in row["_warnings"].splitlines()})
        staged = made
        made = made.drop("_warnings")
        if rule_rows is not None:
            rule_frame = F.broadcast(_spark_frame(spark, rule_rows))
            made = made.join(rule_frame, "row", "left").fillna(0.0, subset=rule_names)
        out = (
            made.select("row", *[f"`{n}`" for n in numbers + rule_names + texts])
            .orderBy("row")
            .persist(StorageLevel.MEMORY_AND_DISK)
        )
        # computed now, while the canonical rows are kept (the plan stays
        # broadcast, should Spark need to compute a lost partition again)
        rows = out.count()
        staged.unpersist()
        _LOG.info("features of %d rows computed in %.1f s", rows, time.perf_counter() - started)
    finally:
        canonical.unpersist()
    for warning in cut:
        warnings.warn(warning, stacklevel=2)
    return out


def _canonical(
    df: Any,
    *,
    format: str,
    columns: Optional[Mapping[str, str]],
    asset: Optional[str],
    allow_float: bool,
) -> Any:
    """Step 1: the frame's rows as canonical rows (persisted; the caller
    unpersists)."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    spark = df.sparkSession
    raw = _amlworld_names(df).withColumn("_mono", F.monotonically_increasing_id())
    if raw.rdd.getNumPartitions() < spark.sparkContext.defaultParallelism:
        # a file read as fewer partitions than cores (Spark splits files
        # at 128 MB) is read on every core; the row keys are made before
        raw = raw.repartition(spark.sparkContext.defaultParallelism)
    read = partial(
        _read_partition,
        format=format,
        columns=dict(columns) if columns else None,
        asset=asset,
        allow_float=allow_float,
    )
    return raw.mapInArrow(read, CANONICAL_SCHEMA).persist(StorageLevel.MEMORY_AND_DISK)


def _plan(
    canonical: Any,
    config_text: Optional[str],
    *,
    shard: str,
    fx: Optional[Union[str, os.PathLike]],
    account_parts: Optional[int],
    features: Optional[str] = None,
) -> Any:
    """Step 2, on the driver: the plan, and each row's parts as a
    broadcast Spark DataFrame (``mono, id, row, parts`` and, with
    ``features``, ``feature_shards``)."""
    from pyspark.sql import functions as F

    spark = canonical.sparkSession
    started = time.perf_counter()
    converts = F.col("asset_paid") != F.col("asset_received")
    glance = canonical.select(
        "mono",
        "time_us",
        "from",
        "to",
        "asset_paid",
        "asset_received",
        F.when(converts, F.col("amount_paid")).alias("amount_paid"),
        F.when(converts, F.col("amount_received")).alias("amount_received"),
        "from_institution",
        "from_jurisdiction",
        "from_kind",
        "to_institution",
        "to_jurisdiction",
        "to_kind",
        "paid_decimals",
        "received_decimals",
        "paid_virtual",
        "received_virtual",
    ).toArrow()
    _LOG.info("read, and the plan's columns gathered, in %.1f s", time.perf_counter() - started)
    started = time.perf_counter()
    narrow = _parquet(glance)
    del glance
    plan = _native.SparkPlan(
        narrow,
        config=config_text,
        shard=shard,
        fx=None if fx is None else os.fspath(fx),
        account_parts=account_parts or spark.sparkContext.defaultParallelism,
        features=features,
    )
    del narrow
    _LOG.info(
        "planned in %.1f s: %d transfers, %d accounts, %d parts reading %d rows",
        time.perf_counter() - started,
        plan.transfers,
        plan.accounts,
        plan.parts,
        plan.reads,
    )
    assignments = _spark_types(pq.read_table(io.BytesIO(plan.take_assignments())))
    # each row's parts go to the rows where they are (a broadcast join:
    # no shuffle of the rows before the one by part)
    return plan, F.broadcast(_spark_frame(spark, assignments))


def _run_parts(canonical: Any, plan: Any, assignments: Any, config_text: Optional[str]) -> Any:
    """Step 3, in the executors: every part's detectors; returns the
    parts' results and the canonical rows of the transfers their findings
    name (Parquet bytes), for step 4."""
    from pyspark.sql import functions as F

    spark = canonical.sparkSession
    started = time.perf_counter()
    shipped = spark.sparkContext.broadcast(plan.shipped())
    token = uuid.uuid4().hex

    def run(data: pa.Table) -> pa.Table:
        return _run_part(data, shipped=shipped, token=token, config=config_text)

    results = [
        row["result"]
        for row in canonical.select(*_PART_COLUMNS)
        .join(assignments.select("mono", "id", "row", "parts"), "mono")
        .withColumn("part", F.explode("parts"))
        .drop("parts")
        .groupBy("part")
        .applyInArrow(run, _RESULT_SCHEMA)
        .collect()
    ]
    shipped.unpersist()
    _LOG.info("parts run in %.1f s", time.perf_counter() - started)
    named = _spark_frame(spark, _spark_types(pq.read_table(io.BytesIO(plan.named(results)))))
    rows = canonical.select(*_PART_COLUMNS).join(F.broadcast(named), "mono").toArrow()
    return results, _parquet(rows)


def _spark_frame(spark: Any, data: pa.Table) -> Any:
    """A Spark DataFrame of an Arrow table (pyspark cannot take an empty
    one: its columns' types are given instead)."""
    if data.num_rows > 0:
        return spark.createDataFrame(data)
    from pyspark.sql.pandas.types import from_arrow_schema

    return spark.createDataFrame([], from_arrow_schema(data.schema))


def _warn(summary: Dict[str, Any]) -> None:
    for warning in summary.get("warnings", []):
        warnings.warn(warning, stacklevel=3)
    hit = [name for name, truncated in summary.get("truncated", {}).items() if truncated]
    if hit:
        warnings.warn(
            f"{', '.join(hit)} hit the result budget: the highest-scoring findings are kept "
            "(raise max_findings in the config to see more)",
            stacklevel=3,
        )


def _config_text(config: Union[None, str, Mapping[str, Any]]) -> Optional[str]:
    if config is None or isinstance(config, str):
        return config
    return json.dumps(dict(config), default=str)


def _amlworld_names(df: Any) -> Any:
    """Spark reads AMLworld's header (two columns named ``Account``) as
    ``Account2`` and ``Account4``: give them back the names
    :func:`moneytrail.load` recognises."""
    names = list(df.columns)
    if len(names) in (10, 11) and names[2].startswith("Account") and names[4].startswith("Account"):
        if names[:2] == ["Timestamp", "From Bank"] and names[3] == "To Bank":
            names[2], names[4] = "Account", "Account_1"
            return df.toDF(*names)
    return df


def _parquet(data: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(data, sink, compression="none")
    return sink.getvalue()


def _spark_types(data: pa.Table) -> pa.Table:
    """Unsigned columns (and lists of them) as int64 and text views as
    strings: Spark has neither unsigned types nor views."""

    def typed(t: pa.DataType) -> pa.DataType:
        if pa.types.is_unsigned_integer(t):
            return pa.int64()
        if getattr(pa.types, "is_string_view", lambda _: False)(t) or pa.types.is_large_string(t):
            return pa.string()
        if pa.types.is_list(t) or pa.types.is_large_list(t):
            return pa.list_(typed(t.value_type))
        return t

    return data.cast(pa.schema([pa.field(f.name, typed(f.type)) for f in data.schema]))


def _read_partition(
    batches: Iterator[pa.RecordBatch],
    *,
    format: str,
    columns: Optional[Dict[str, str]],
    asset: Optional[str],
    allow_float: bool,
) -> Iterator[pa.RecordBatch]:
    """Step 1, in an executor: one Spark partition's rows as canonical
    rows, each with its row key ``mono``."""
    batches = list(batches)
    if sum(b.num_rows for b in batches) == 0:
        return
    data = pa.Table.from_batches(batches)
    monos = data.column("_mono")
    data = data.drop_columns(["_mono"])
    path, layout = frame_file(data, columns, allow_float)
    try:
        made = _native.spark_normalize(
            path, format=layout if format == "auto" else format, asset=asset
        )
    except InputError as error:
        # name the row by its place in the frame's input partition (for a
        # file Spark read in one piece, its 0-based data row), not in the
        # temporary file
        said = str(error)
        row = getattr(error, "row", None)
        if row is None or row >= len(monos):
            raise InputError(f"Spark input rows from {monos[0].as_py()}: {said}") from None
        mono = monos[row].as_py()
        said = said.replace(f"{path}: row {row}, ", "", 1)
        raise InputError(
            f"Spark input partition {mono >> 33}, row {mono & (2**33 - 1)}: {said}"
        ) from None
    finally:
        os.remove(path)
    rows = pq.read_table(io.BytesIO(made))
    mono = pc.take(monos, rows.column("source_row"))
    rows = rows.drop_columns(["source_row"]).add_column(0, "mono", mono)
    yield from rows.cast(_CANONICAL_ARROW).to_batches()


#: Plans an executor's Python worker has decoded, by run: each
#: task of one run reuses it instead of decoding the dictionary again.
_RECEIVED: Dict[str, Any] = {}


def _received(shipped: Any, token: str, config: Optional[str]) -> Any:
    plan = _RECEIVED.get(token)
    if plan is None:
        _RECEIVED.clear()
        plan = _native.SparkPlan.received(shipped.value, config=config)
        _RECEIVED[token] = plan
    return plan


def _run_part(data: pa.Table, *, shipped: Any, token: str, config: Optional[str]) -> pa.Table:
    """Step 3, in an executor: one part's detectors on its rows."""
    plan = _received(shipped, token, config)
    part = data.column("part")[0].as_py()
    result = plan.run(part, _parquet(data.drop_columns(["part"])))
    return pa.table({"part": pa.array([part], pa.int64()), "result": [result]})



def _run_feature_shard(
    data: pa.Table, *, shipped: Any, token: str, config: Optional[str]
) -> pa.Table:
    """In an executor: one feature shard's columns, for the rows it owns."""
    plan = _received(shipped, token, config)
    shard = data.column("feature_shard")[0].as_py()
    made = plan.features(shard, _parquet(data.drop_columns(["feature_shard"])))
    return _spark_types(pq.read_table(io.BytesIO(made)))
