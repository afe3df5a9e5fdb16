"""DataFrames in and out: JSON records from the Rust side into polars
frames with exact decimals and UTC times, and any Arrow-compatible frame
into a file the loader reads."""

from __future__ import annotations

import io
import json
import os
import tempfile
from typing import Any, Mapping, Optional

import polars as pl

#: How the Rust side writes times (RFC 3339, fractional seconds when any).
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%.fZ"


def records(
    text: str,
    schema: Mapping[str, Any],
    *,
    decimals: tuple = (),
    times: tuple = (),
) -> pl.DataFrame:
    """A frame of JSON records with `schema` (strings for decimals and
    times), then each decimal column as Decimal at the largest scale any of
    its values has (exact), and each time column as UTC datetimes."""
    frame = pl.DataFrame(json.loads(text), schema=dict(schema))
    return typed(frame, decimals, times)


def table(
    data: bytes,
    *,
    decimals: tuple = (),
    times: tuple = (),
) -> pl.DataFrame:
    """A frame from the Parquet bytes the Rust side builds (typed columns,
    amounts and times as text), with the same casts as :func:`records`."""
    frame = pl.read_parquet(io.BytesIO(data))
    return typed(frame, decimals, times)


def typed(frame: pl.DataFrame, decimals: tuple, times: tuple) -> pl.DataFrame:
    """Decimal columns as Decimal at the largest scale any value has
    (exact), time columns as UTC datetimes."""
    casts = []
    for name in decimals:
        casts.append(pl.col(name).cast(pl.Decimal(38, decimal_scale(frame[name]))))
    for name in times:
        casts.append(
            pl.col(name).str.to_datetime(TIME_FORMAT, time_unit="us", time_zone="UTC")
        )
    return frame.with_columns(casts) if casts else frame


def decimal_scale(column: pl.Series) -> int:
    """The most digits after the point in a column of decimal strings."""
    if column.len() == 0 or column.null_count() == column.len():
        return 0
    fraction = column.str.split(".").list.get(1, null_on_oob=True).str.len_chars()
    return int(fraction.max() or 0)


#: Column names that carry amounts in the layouts moneytrail reads.
AMOUNT_WORDS = ("amount", "amt", "value")


def as_polars(frame: Any) -> pl.DataFrame:
    """Any Arrow-compatible frame as a polars DataFrame: polars itself, a
    LazyFrame, anything with the Arrow PyCapsule stream interface (pyarrow
    tables, pandas ≥ 2.2, DuckDB results…), pandas, or a pyarrow Table."""
    if isinstance(frame, pl.DataFrame):
        return frame
    if isinstance(frame, pl.LazyFrame):
        return frame.collect()
    if hasattr(frame, "__arrow_c_stream__"):
        return pl.DataFrame(frame)
    module = type(frame).__module__.split(".")[0]
    if module == "pandas":
        return pl.from_pandas(frame)
    if module == "pyarrow":
        return pl.from_arrow(frame)
    raise TypeError(
        f"cannot read a {type(frame).__name__} as transfers: give a path, a polars, "
        "pandas or pyarrow frame, or any object with __arrow_c_stream__"
    )


def frame_file(
    frame: Any,
    columns: Optional[Mapping[str, str]],
    allow_float: bool,
) -> tuple:
    """Write `frame` (its columns renamed by `columns`, from the frame's name
    to the layout's) as a file the loader reads: Parquet in the native
    layout, or CSV for AMLworld's columns. Returns its path and format.
    Amount columns stored as floats are refused unless `allow_float`,
    because a float cannot hold most cent amounts exactly."""
    df = as_polars(frame)
    if columns:
        missing = [c for c in columns if c not in df.columns]
        if missing:
            raise KeyError(f"columns maps {missing} but the frame has {df.columns}")
        df = df.rename(dict(columns))
    floats = [
        name
        for name, dtype in df.schema.items()
        if dtype in (pl.Float32, pl.Float64)
        and any(word in name.lower() for word in AMOUNT_WORDS)
    ]
    if floats and not allow_float:
        raise TypeError(
            f"amount columns {floats} are floats, which cannot hold most amounts exactly: "
            "give them as decimals (pl.Decimal, pyarrow decimal128) or strings, "
            "or pass allow_float=True to read each float's shortest decimal form"
        )
    if floats:
        df = df.with_columns([pl.col(c).cast(pl.String) for c in floats])
    if is_amlworld(df):
        # AMLworld names both account columns "Account", which no frame can
        # hold: its CSV layout is read by position, so write it back as one.
        handle, path = tempfile.mkstemp(prefix="moneytrail-frame-", suffix=".csv")
        os.close(handle)
        with open(path, "w", encoding="utf-8", newline="") as out:
            out.write(",".join(AMLWORLD_HEADER) + "\n")
            df.write_csv(out, include_header=False, datetime_format="%Y/%m/%d %H:%M")
        return path, "amlworld"
    handle, path = tempfile.mkstemp(prefix="moneytrail-frame-", suffix=".parquet")
    os.close(handle)
    df.write_parquet(path, compression="uncompressed", statistics=False)
    return path, "parquet"


#: The header of IBM AMLworld's transactions files.
AMLWORLD_HEADER = (
    "Timestamp", "From Bank", "Account", "To Bank", "Account", "Amount Received",
    "Receiving Currency", "Amount Paid", "Payment Currency", "Payment Format", "Is Laundering",
)


def is_amlworld(df: pl.DataFrame) -> bool:
    """Whether the frame holds AMLworld's columns in their order, the second
    account column renamed as pandas or polars rename a repeated name
    (``Account.1``, ``Account_duplicated_0``); ``Is Laundering`` optional."""
    names = list(df.columns)
    if len(names) not in (10, 11) or not names[4].startswith("Account") or names[4] == "Account":
        return False
    expected = list(AMLWORLD_HEADER[: len(names)])
    return names[:4] == expected[:4] and names[5:] == expected[5:]
