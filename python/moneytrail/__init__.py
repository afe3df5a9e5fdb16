"""moneytrail: financial-flow investigation analytics from Python.

Load transfers (a file of any layout moneytrail reads, a store written by
``moneytrail ingest``, or a polars, pandas or pyarrow frame), then find
laundering typologies, trace funds under the rules courts use and search
time-respecting paths. Results are polars DataFrames with exact decimal
amounts; every computation runs in Rust with the GIL released.

>>> import moneytrail
>>> transfers = moneytrail.sample()
>>> analysis = transfers.analyze()
>>> analysis.findings.columns[:3]
['id', 'typology', 'score']
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, Iterable, Mapping, Optional, Union

import polars as pl

from . import _native
from ._frames import frame_file, records, table
from ._native import ArgumentError, InputError, MoneytrailError
from ._results import Analysis, Finding, Investigation, Paths, SourcesOfFunds, Trace

__version__ = _native.__version__
__all__ = [
    "Analysis",
    "ArgumentError",
    "Finding",
    "InputError",
    "Investigation",
    "MoneytrailError",
    "Paths",
    "SourcesOfFunds",
    "Trace",
    "Transfers",
    "cluster",
    "generate",
    "ingest",
    "load",
    "open_store",
    "sample",
]

PathLike = Union[str, "os.PathLike[str]"]

class Transfers:
    """Loaded transfers: the time-stamped multigraph every job reads.

    Make one with :func:`load`, :func:`open_store` or :func:`sample`."""

    def __init__(self, native: Any):
        self._native = native
        self._frame: Optional[pl.DataFrame] = None

    def __len__(self) -> int:
        return len(self._native)

    def __repr__(self) -> str:
        return repr(self._native)

    @property
    def source(self) -> str:
        """The file or store the transfers came from."""
        return self._native.source

    @property
    def account_count(self) -> int:
        """Number of accounts."""
        return self._native.account_count

    @property
    def load_report(self) -> Dict[str, Any]:
        """What the load read, loaded and rejected (with the rejected rows:
        row, column, value and reason), and how long it took."""
        return json.loads(self._native.load_report_json())

    def summary(self) -> Dict[str, Any]:
        """Counts, time span, volume per asset and channel (``moneytrail
        summary``)."""
        text, _ = self._native.summary_json()
        return json.loads(text)

    def to_polars(self) -> pl.DataFrame:
        """Every transfer, in time order: ``row`` (the 0-based data row of
        the input), time, accounts, exact amounts paid and received and
        their assets, channel, transaction id."""
        if self._frame is None:
            self._frame = table(
                self._native.transfers_parquet(),
                decimals=("amount_paid", "amount_received"),
                times=("time",),
            )
        return self._frame

    def analyze(
        self,
        detectors: Optional[Iterable[str]] = None,
        *,
        config: Optional[Mapping[str, Any]] = None,
        shard: Optional[str] = None,
        currency: Optional[str] = None,
        model: Optional[PathLike] = None,
    ) -> Analysis:
        """Run the detectors (all, or those named, such as ``["cycle",
        "fan_in"]``). ``config`` takes the keys of ``moneytrail analyze
        --config`` (``{"cycle": {"max_hops": 6}}``; amounts as strings or
        Decimal); ``shard`` a duration such as ``"7d"`` to run in time
        shards, with the same findings; ``model`` a folder written by
        :meth:`train`, to score every transfer (``Analysis.transfer_scores``)
        or, for a model trained on account labels, every account
        (``Analysis.account_scores``) as ``analyze --model`` does."""
        merged: Dict[str, Any] = dict(config or {})
        if detectors is not None:
            merged["enabled"] = list(detectors)
        if currency is not None:
            merged["currency"] = currency.upper()
        text = json.dumps(merged, default=_json_default) if merged else None
        folder = None if model is None else os.fspath(model)
        return Analysis(self._native.analyze(text, shard, folder), self)

    def trace(
        self,
        account: Optional[str] = None,
        *,
        transfers: Optional[Iterable[Union[str, int]]] = None,
        sent: bool = False,
        since: Optional[str] = None,
        amount: Union[None, str, Decimal, int] = None,
        rule: str = "fifo",
        max_hops: int = 12,
        horizon: Optional[str] = None,
        min_amount: Union[None, str, Decimal, int] = None,
        currency: str = "USD",
        through_exchanges: str = "linked",
        exchange_links: Optional[PathLike] = None,
    ) -> Trace:
        """Trace value forward under ``rule`` (poison, haircut, fifo, lifo,
        libr) from an account's inflows (or its payments, with ``sent``)
        since a time, or from named transfers (``row:12``, a transaction id
        or hash, as ``--transfer``). At an exchange, ``through_exchanges=
        "linked"`` follows a deposit on into the payouts it is linked to
        (detected round trips, or the ``deposit,payout`` pairs of the CSV
        ``exchange_links``); ``"stop"`` leaves the taint there."""
        specs = None if transfers is None else [_transfer_spec(t) for t in transfers]
        native = self._native.trace(
            account,
            transfers=specs,
            sent=sent,
            since=since,
            amount=_decimal_text(amount),
            rule=rule,
            max_hops=max_hops,
            horizon=horizon,
            min_amount=_decimal_text(min_amount),
            currency=currency,
            through_exchanges=through_exchanges,
            exchange_links=_path(exchange_links),
        )
        return Trace(native)

    def sources_of_funds(
        self,
        account: str,
        *,
        at: Optional[str] = None,
        rule: str = "fifo",
        max_hops: int = 12,
        min_amount: Union[None, str, Decimal, int] = None,
        max_sources: int = 10_000,
        currency: str = "USD",
        through_exchanges: str = "linked",
        exchange_links: Optional[PathLike] = None,
    ) -> SourcesOfFunds:
        """Where the money in ``account``'s balance at ``at`` (default: the
        end of the data) came from, per asset, under ``rule`` (``moneytrail
        trace --backward``)."""
        return SourcesOfFunds(
            self._native.sources_of_funds(
                account,
                at=at,
                rule=rule,
                max_hops=max_hops,
                min_amount=_decimal_text(min_amount),
                max_sources=max_sources,
                currency=currency,
                through_exchanges=through_exchanges,
                exchange_links=_path(exchange_links),
            )
        )

    def train(
        self,
        out: PathLike,
        *,
        labels: Optional[PathLike] = None,
        rounds: Optional[int] = None,
        seed: int = 1,
        validation_share: Optional[float] = None,
        window: str = "1d",
        cycle_hops: Optional[int] = None,
        currency: str = "USD",
        history: Optional[str] = "30d",
        negative_share: Optional[float] = None,
    ) -> Dict[str, Any]:
        """Learn gradient-boosted trees from labelled transfers
        (``moneytrail train``): labels from the input's label column, or
        ``labels`` (a truth.json answer key or an AMLworld patterns file).
        The last ``validation_share`` of the data by time picks the stopping
        round and the threshold; the trees learn from every laundering
        transfer and a ``negative_share`` (0.25) sample of the others
        (``--negative-share``). ``history`` is the window of the history
        columns (``None``: none). Saves the model and metrics.json into
        ``out``; returns the metrics."""
        text = self._native.train(
            os.fspath(out),
            labels=None if labels is None else os.fspath(labels),
            rounds=rounds,
            seed=seed,
            validation_share=validation_share,
            window=window,
            cycle_hops=cycle_hops,
            currency=currency,
            history=history,
            negative_share=negative_share,
        )
        return json.loads(text)

    def exposure(
        self,
        account: str,
        tags: PathLike,
        *,
        max_hops: int = 3,
        rule: str = "fifo",
        cluster: bool = False,
        currency: str = "USD",
        through_exchanges: str = "linked",
        exchange_links: Optional[PathLike] = None,
    ) -> Dict[str, Any]:
        """How much of ``account``'s money came from, and went to, tagged
        entities (``tags``: a tags CSV of address, entity, category…) within
        ``max_hops`` (``moneytrail exposure --json``); with ``cluster``, for
        the whole address cluster of a UTXO input. ``incoming`` and
        ``outgoing`` are lists of per-category records."""
        text = self._native.exposure_json(
            account,
            os.fspath(tags),
            max_hops=max_hops,
            rule=rule,
            cluster=cluster,
            currency=currency,
            through_exchanges=through_exchanges,
            exchange_links=_path(exchange_links),
        )
        return json.loads(text)

    def features(
        self,
        *,
        window: str = "1d",
        cycle_hops: Optional[int] = None,
        currency: str = "USD",
        shard: Optional[str] = None,
        history: Optional[str] = "30d",
    ) -> pl.DataFrame:
        """Features per transfer (``moneytrail features``; columns in
        docs/features.md): one row per transfer, ``row`` first, each
        endpoint's activity within ``window`` and its history within
        ``history`` (``None``: no history columns), and what the detectors
        say about the transfer. With ``shard`` (``"7d"``) they are computed
        time shard by time shard, the detectors too (``features
        --shard``): the same values."""
        handle, path = tempfile.mkstemp(prefix="moneytrail-features-", suffix=".parquet")
        os.close(handle)
        try:
            for warning in self._native.features_file(
                path,
                window=window,
                cycle_hops=cycle_hops,
                currency=currency,
                shard=shard,
                history=history,
            ):
                warnings.warn(warning, stacklevel=2)
            return pl.read_parquet(path)
        finally:
            os.remove(path)

    def paths(
        self,
        source: str,
        target: str,
        *,
        max_hops: int = 6,
        window: str = "30d",
        limit: int = 100,
        min_amount: Union[None, str, Decimal, int] = None,
        min_retention: Optional[float] = None,
        since: Optional[str] = None,
        until: Optional[str] = None,
        currency: str = "USD",
    ) -> Paths:
        """Time-respecting paths from ``source`` to ``target``: each hop
        later than the one before, all within ``window``; with ``since`` /
        ``until`` (RFC 3339 or YYYY-MM-DD) only those whose first transfer
        lies between them."""
        text, truncated, why = self._native.paths_json(
            source,
            target,
            max_hops=max_hops,
            window=window,
            limit=limit,
            min_amount=_decimal_text(min_amount),
            min_retention=min_retention,
            since=since,
            until=until,
            currency=currency,
        )
        return Paths(text, truncated, why)


def load(
    source: Any,
    *,
    format: str = "auto",
    lenient: bool = False,
    asset: Optional[str] = None,
    nodes: Optional[PathLike] = None,
    fx: Optional[PathLike] = None,
    columns: Optional[Mapping[str, str]] = None,
    allow_float: bool = False,
) -> Transfers:
    """Load transfers from a path (CSV, Parquet or JSON lines in any layout
    moneytrail reads) or from a frame (polars, pandas, pyarrow, or anything
    with ``__arrow_c_stream__``) whose columns are a layout's (rename them
    with ``columns={"frame name": "layout name"}``).

    ``lenient`` skips bad rows and lists them in ``load_report``; without
    it the first bad row raises :class:`InputError` naming its row, column
    and value. Amount columns held as floats are refused unless
    ``allow_float``."""
    if isinstance(source, (str, os.PathLike)):
        if columns is not None or allow_float:
            raise ArgumentError("columns and allow_float apply to frames, not files")
        return Transfers(
            _native.load(
                os.fspath(source),
                format=format,
                lenient=lenient,
                asset=asset,
                nodes=None if nodes is None else os.fspath(nodes),
                fx=None if fx is None else os.fspath(fx),
            )
        )
    path, layout = frame_file(source, columns, allow_float)
    try:
        return Transfers(
            _native.load(
                path,
                format=layout if format == "auto" else format,
                lenient=lenient,
                asset=asset,
                fx=None if fx is None else os.fspath(fx),
            )
        )
    except InputError as error:
        raise _from_frame(error, path) from None
    finally:
        os.remove(path)


def generate(
    dir: PathLike,
    *,
    preset: str = "small",
    seed: int = 1,
    accounts: Optional[int] = None,
    transfers: Optional[int] = None,
    days: Optional[int] = None,
    per_typology: Optional[int] = None,
    difficulty: str = "normal",
    format: str = "transfers",
    parquet: bool = False,
) -> Dict[str, Any]:
    """Write a training set with planted laundering and its answer key into
    ``dir`` (``moneytrail generate``): transactions.csv (or .parquet),
    accounts.csv, truth.json, patterns.txt. Returns the counts and the
    transactions file, ready for :func:`load`."""
    rows, accounts_made, attempts = _native.generate(
        os.fspath(dir),
        preset=preset,
        seed=seed,
        accounts=accounts,
        transfers=transfers,
        days=days,
        per_typology=per_typology,
        difficulty=difficulty,
        format=format,
        parquet=parquet,
    )
    folder = Path(dir)
    return {
        "rows": rows,
        "accounts": accounts_made,
        "attempts": attempts,
        "transactions": str(folder / ("transactions.parquet" if parquet else "transactions.csv")),
        "truth": str(folder / "truth.json"),
    }


def cluster(
    path: PathLike,
    *,
    tags: Optional[PathLike] = None,
    keep_coinjoin: bool = False,
    lenient: bool = False,
) -> pl.DataFrame:
    """Cluster the addresses of a UTXO file (JSON lines of transactions) by
    the common-input heuristic, likely CoinJoins left out unless
    ``keep_coinjoin`` (``moneytrail cluster``). One row per cluster:
    ``cluster, size, addresses, entities, categories`` (tags from ``tags``
    spread to the whole cluster)."""
    text, _ = _native.cluster(
        os.fspath(path),
        tags=None if tags is None else os.fspath(tags),
        keep_coinjoin=keep_coinjoin,
        lenient=lenient,
    )
    return records(
        text,
        {
            "cluster": pl.UInt32,
            "size": pl.UInt32,
            "addresses": pl.List(pl.String),
            "entities": pl.List(pl.String),
            "categories": pl.List(pl.String),
        },
    )


def ingest(
    store: PathLike,
    inputs: Union[PathLike, Iterable[PathLike]],
    *,
    format: str = "auto",
    lenient: bool = False,
    asset: Optional[str] = None,
    partition: str = "1d",
    piece_rows: int = 4_000_000,
) -> Dict[str, Any]:
    """Load transfers files into a time-partitioned store (``moneytrail
    ingest``): a new store when ``store`` holds none, else the files are
    appended to it. ``partition`` is the length of a partition (``1d``,
    ``12h``, ``7d``) and applies to a new store only. A file is read in
    pieces of ``piece_rows`` rows, sorted and spilled into the store's
    folder, then merged: memory holds a piece, not the file, and the
    store is the one a whole read gives.

    Returns what was done: ``transfers_added``, ``rows_rejected`` (with
    ``lenient``), ``partitions_written``, ``appended``, ``fx_copied`` (the
    FX file copied from beside the first input, if any) and the store's
    ``manifest``. Read the store with :func:`open_store`."""
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    text = _native.ingest_files(
        os.fspath(store),
        [os.fspath(p) for p in inputs],
        format=format,
        lenient=lenient,
        asset=asset,
        partition=partition,
        piece_rows=piece_rows,
    )
    return json.loads(text)


def open_store(
    path: PathLike,
    *,
    read_from: Optional[str] = None,
    read_until: Optional[str] = None,
    fx: Optional[PathLike] = None,
) -> Transfers:
    """Read a store written by ``moneytrail ingest``: only the partitions
    that meet ``[read_from, read_until)`` (RFC 3339 times or dates)."""
    return Transfers(
        _native.open_store(
            os.fspath(path),
            read_from=read_from,
            read_until=read_until,
            fx=None if fx is None else os.fspath(fx),
        )
    )


def sample() -> Transfers:
    """The shipped sample (``data/sample_transfers.csv``: 3,008 bank and
    virtual-currency transfers with planted laundering) and its FX rates."""
    folder = Path(tempfile.gettempdir()) / f"moneytrail-sample-{__version__}"
    return load(_native.sample_files(str(folder)))


def _from_frame(error: InputError, path: str) -> InputError:
    """The error of loading a frame, naming the frame instead of the
    temporary file it went through."""
    message = str(error).replace(path, "frame")
    fresh = InputError(message)
    for name in ("row", "line", "column", "value", "reason", "detail"):
        setattr(fresh, name, getattr(error, name, None))
    fresh.path = "frame"
    return fresh


def _path(path: Optional[PathLike]) -> Optional[str]:
    return None if path is None else os.fspath(path)


def _transfer_spec(t: Union[str, int]) -> str:
    return f"row:{t}" if isinstance(t, int) else str(t)


def _decimal_text(value: Union[None, str, Decimal, int]) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, float):
        raise TypeError("amounts are exact: give a str, Decimal or int, not a float")
    return str(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot put a {type(value).__name__} in a detector config")
