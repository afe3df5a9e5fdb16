"""What the jobs return: an analysis and its findings, a trace, a path
search. Each holds the native result and hands out polars DataFrames;
each draws itself in Jupyter (`_repr_html_`)."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

import polars as pl

from ._frames import decimal_scale, records, table

HOLDINGS_SCHEMA = {
    "account": pl.String,
    "asset": pl.String,
    "amount": pl.String,
    "value": pl.String,
    "share": pl.Float64,
    "hops": pl.UInt16,
    "first_time": pl.String,
}

PATHS_SCHEMA = {
    "path": pl.UInt32,
    "hops": pl.UInt32,
    "accounts": pl.List(pl.String),
    "rows": pl.List(pl.UInt32),
    "bottleneck": pl.String,
    "first_time": pl.String,
    "last_time": pl.String,
}


def _table_html(frame: pl.DataFrame, limit: int = 20) -> str:
    return frame.head(limit)._repr_html_()


class Finding:
    """One finding: its record (as in findings.json), its transfers and its
    drawing."""

    def __init__(self, analysis: "Analysis", index: int):
        self._analysis = analysis
        self.index = index
        self.record: Dict[str, Any] = analysis.findings.row(index, named=True)

    @property
    def transfers(self) -> pl.DataFrame:
        """The finding's transfers (rows of the input), in time order."""
        rows = self.record["rows"]
        return (
            self._analysis._transfers.to_polars()
            .filter(pl.col("row").is_in(rows))
            .sort("time", "row")
        )

    def svg(self, max_arrows: int = 60) -> str:
        """The finding drawn as SVG: its accounts and transfers."""
        return self._analysis._native.finding_svg(self.index, max_arrows)

    def __repr__(self) -> str:
        r = self.record
        return f"Finding({r['id']} {r['typology']} score {r['score']}: {r['explanation']})"

    def _repr_html_(self) -> str:
        r = self.record
        head = html.escape(f"{r['id']} {r['typology']} (score {r['score']}): {r['explanation']}")
        return f"<div><p><b>{head}</b></p>{self.svg()}{_table_html(self.transfers, 50)}</div>"


class Analysis:
    """The findings of `Transfers.analyze`, with the per-detector table,
    warnings and budgets."""

    def __init__(self, native: Any, transfers: Any):
        self._native = native
        self._transfers = transfers
        self.findings: pl.DataFrame = table(
            native.findings_parquet(),
            decimals=("amount",),
            times=("first_time", "last_time"),
        )
        """One row per finding, in output order (the columns of findings.json)."""

    @property
    def transfer_scores(self) -> Optional[pl.DataFrame]:
        """With a model: every transfer's score in input row order (``row,
        score, flagged, reasons``; reasons in words for flagged ones), as
        transfer_scores.csv; ``None`` without a model."""
        made = self._native.transfer_scores_parquet()
        return None if made is None else table(made)

    @property
    def account_scores(self) -> Optional[pl.DataFrame]:
        """With an account-level model (trained on account labels such as
        AMLSim's nodes.csv): every scored account, highest score first
        (``account, score, flagged, reasons``), as account_scores.csv;
        ``None`` otherwise."""
        made = self._native.account_scores_parquet()
        return None if made is None else table(made)

    @property
    def table(self) -> str:
        """The per-detector table `moneytrail analyze` prints."""
        return self._native.table()

    @property
    def warnings(self) -> List[str]:
        """What limits this run, in words."""
        return self._native.warnings

    @property
    def truncated(self) -> Dict[str, bool]:
        """Whether each detector hit its result budget."""
        return self._native.truncated

    @property
    def seconds(self) -> Dict[str, float]:
        """Seconds each detector took."""
        return self._native.seconds

    @property
    def currency(self) -> str:
        """The reporting currency of the amounts."""
        return self._native.currency

    @property
    def config(self) -> Dict[str, Any]:
        """The configuration the run used (the keys of `--config`)."""
        return json.loads(self._native.config_json())

    def finding(self, index: int) -> Finding:
        """The finding at `index` (0-based, output order)."""
        if not 0 <= index < len(self):
            raise IndexError(f"no finding {index}: there are {len(self)}")
        return Finding(self, index)

    def score(
        self,
        truth: Union[str, Path],
        *,
        typologies: Optional[List[str]] = None,
        min_score: float = 0.0,
    ) -> Dict[str, Any]:
        """Grade the findings against an answer key (``truth.json`` from
        :func:`generate`, or an AMLworld patterns file): recall per
        typology, precision, the missed attempts (``moneytrail score
        --json``)."""
        text = self._native.score_json(str(truth), typologies=list(typologies or []), min_score=min_score)
        return json.loads(text)

    def investigate(
        self,
        subjects: Any,
        *,
        rule: str = "fifo",
        max_hops: int = 4,
        top: int = 25,
        pseudonymise: Optional[str] = None,
        tags: Optional[Union[str, Path]] = None,
        through_exchanges: str = "linked",
        exchange_links: Optional[Union[str, Path]] = None,
    ) -> "Investigation":
        """A case file per subject, built in parallel (``moneytrail
        investigate``). ``subjects``: a frame or a list of dicts with
        ``case_ref`` and ``subject`` (and optionally ``trace``: ``sent``,
        ``received`` or transfer specs), or a subjects CSV file. With
        ``pseudonymise`` (a key), identifiers become keyed pseudonyms; with
        ``tags`` (a tags CSV), each case gets its exposure to tagged
        entities."""
        if isinstance(subjects, (str, Path)):
            subjects = pl.read_csv(subjects, infer_schema=False)
        if isinstance(subjects, pl.DataFrame):
            subjects = subjects.to_dicts()
        elif not isinstance(subjects, list):
            from ._frames import as_polars

            subjects = as_polars(subjects).to_dicts()
        triples = []
        for i, s in enumerate(subjects):
            if not isinstance(s, dict) or "case_ref" not in s or "subject" not in s:
                raise ValueError(f"subject {i}: needs case_ref and subject, got {s!r}")
            triples.append((str(s["case_ref"]), str(s["subject"]), str(s.get("trace") or "")))
        native = self._native.investigate(
            triples,
            rule=rule,
            max_hops=max_hops,
            top=top,
            pseudonymise=pseudonymise,
            tags=None if tags is None else str(tags),
            through_exchanges=through_exchanges,
            exchange_links=None if exchange_links is None else str(exchange_links),
        )
        return Investigation(native)

    def write(self, dir: Union[str, Path], *, html: bool = True, parquet: bool = False) -> List[str]:
        """Write the results folder of `moneytrail analyze --out` (report.html
        unless `html` is false); returns the names of the files written."""
        return self._native.write(str(dir), html=html, parquet=parquet)

    def __len__(self) -> int:
        return self.findings.height

    def __repr__(self) -> str:
        return f"Analysis({len(self)} findings)"

    def _repr_html_(self) -> str:
        parts = [f"<pre>{html.escape(self.table)}</pre>"]
        parts += [f"<p>warning: {html.escape(w)}</p>" for w in self.warnings]
        parts.append(_table_html(self.findings))
        return "<div>" + "".join(parts) + "</div>"


class Investigation:
    """Case files, one per subject: what each subject received and paid,
    its counterparties, findings, traces and links to other subjects."""

    def __init__(self, native: Any):
        self._native = native
        self.cases: List[Dict[str, Any]] = json.loads(native.cases_json())
        """Every case file, as the JSON ``investigate`` writes per subject."""
        self.index: pl.DataFrame = pl.DataFrame(
            [
                {
                    "case_ref": c["case_ref"],
                    "subject": c["subject"],
                    "found": c["found"],
                    "value_in": c["total"]["value_in"],
                    "value_out": c["total"]["value_out"],
                    "findings": len(c["findings"]),
                    "links": len(c["links"]),
                    "freezable_value": c["freezable_value"]["total"],
                }
                for c in self.cases
            ],
            schema={
                "case_ref": pl.String,
                "subject": pl.String,
                "found": pl.Boolean,
                "value_in": pl.String,
                "value_out": pl.String,
                "findings": pl.UInt32,
                "links": pl.UInt32,
                "freezable_value": pl.String,
            },
        )
        """One row per subject, as index.csv (amounts in the reporting currency)."""
        self.index = self.index.with_columns(
            [
                pl.col(c).cast(pl.Decimal(38, decimal_scale(self.index[c])))
                for c in ("value_in", "value_out", "freezable_value")
            ]
        )

    def write(self, dir: Union[str, Path], *, html: bool = True, parquet: bool = False) -> List[str]:
        """Write the case files, index.json, index.csv and report.html."""
        return self._native.write(str(dir), html=html, parquet=parquet)

    def __len__(self) -> int:
        return len(self.cases)

    def __repr__(self) -> str:
        return f"Investigation({len(self)} subjects, {int(self.index['found'].sum())} found)"

    def _repr_html_(self) -> str:
        return _table_html(self.index, 50)


class Trace:
    """A forward trace: where the value went, and the books that show
    nothing was invented or lost."""

    def __init__(self, native: Any):
        self._native = native
        self.summary: Dict[str, Any] = json.loads(native.summary_json())
        """Totals per asset (traced_in, held, exited, dust, converted) and
        the seeds, as trace.json holds them."""
        self.holdings: pl.DataFrame = records(
            json.dumps(self.summary.get("holdings", [])),
            HOLDINGS_SCHEMA,
            decimals=("amount", "value"),
            times=("first_time",),
        )
        """Tainted value held at the end, largest first."""
        self.flows: pl.DataFrame = table(
            native.flows_parquet(), decimals=("paid", "received"), times=("time",)
        )
        """Every tainted transfer, in time order."""

    @property
    def conserved(self) -> bool:
        """Whether the books balance exactly (the conserving rules always do)."""
        return self._native.conserved

    @property
    def why_empty(self) -> Optional[str]:
        """Why nothing was traced, when nothing was."""
        return self._native.why_empty

    def text(self, top: int = 10) -> str:
        """The trace in words, as `moneytrail trace` prints it."""
        return self._native.text(top)

    def svg(self, max_arrows: int = 60) -> str:
        """Where the traced value went, drawn as SVG."""
        return self._native.svg(max_arrows)

    def write(self, dir: Union[str, Path], *, html: bool = True, parquet: bool = False) -> List[str]:
        """Write trace.json, holdings.csv, flows.csv and report.html."""
        return self._native.write(str(dir), html=html, parquet=parquet)

    def __repr__(self) -> str:
        return f"Trace({self.summary['rule']}, {self.flows.height} tainted transfers, {self.holdings.height} holdings)"

    def _repr_html_(self) -> str:
        return (
            f"<div><pre>{html.escape(self.text())}</pre>{self.svg()}"
            f"{_table_html(self.holdings)}</div>"
        )


BALANCES_SCHEMA = {
    "asset": pl.String,
    "balance": pl.String,
    "traced": pl.String,
    "untraced": pl.String,
    "sources": pl.UInt32,
    "openings": pl.UInt32,
    "truncated": pl.Boolean,
    "openings_cut": pl.Boolean,
    "direct_payers": pl.String,
}

SOURCES_SCHEMA = {
    "asset": pl.String,
    "kind": pl.String,
    "account": pl.String,
    "amount": pl.String,
    "row": pl.UInt32,
    "time": pl.String,
}


class SourcesOfFunds:
    """Where the money in an account's balance came from, per asset."""

    def __init__(self, native: Any):
        self._native = native
        self.balances: pl.DataFrame = records(
            native.balances_json(),
            BALANCES_SCHEMA,
            decimals=("balance", "traced", "untraced"),
        )
        """One row per asset: the balance, the part traced to sources and
        the part left untraced (balance = traced + untraced)."""
        self.sources: pl.DataFrame = records(
            native.sources_json(), SOURCES_SCHEMA, decimals=("amount",), times=("time",)
        )
        """One row per source: an entry transfer (``kind`` transfer, with
        its row) or an opening balance (``kind`` opening)."""

    @property
    def why_empty(self) -> Optional[str]:
        """Why there is no balance to explain, when there is none."""
        return self._native.why_empty

    def write(self, dir: Union[str, Path], *, html: bool = True, parquet: bool = False) -> List[str]:
        """Write trace.json (direction backward), sources.csv and report.html."""
        return self._native.write(str(dir), html=html, parquet=parquet)

    def __repr__(self) -> str:
        return f"SourcesOfFunds({self.balances.height} assets, {self.sources.height} sources)"

    def _repr_html_(self) -> str:
        if self.why_empty:
            return f"<p>{html.escape(self.why_empty)}</p>"
        return f"<div>{_table_html(self.balances)}{_table_html(self.sources)}</div>"


class Paths:
    """Time-respecting paths between two accounts."""

    def __init__(self, text: str, truncated: bool, why_empty: Optional[str]):
        self.frame: pl.DataFrame = records(
            text, PATHS_SCHEMA, decimals=("bottleneck",), times=("first_time", "last_time")
        )
        """One row per path, shortest first, then by time."""
        self.truncated = truncated
        """Whether a budget cut the search or the list."""
        self.why_empty = why_empty
        """Why no path was found, when none was."""

    def __len__(self) -> int:
        return self.frame.height

    def __repr__(self) -> str:
        more = "; more exist (truncated)" if self.truncated else ""
        return f"Paths({len(self)} found{more})"

    def _repr_html_(self) -> str:
        if self.why_empty:
            return f"<p>no path: {html.escape(self.why_empty)}</p>"
        return _table_html(self.frame)
