# %% [markdown]
# # A first investigation from Python
#
# Runs as a script (`python python/examples/investigation.py`, as CI does)
# or cell by cell in Jupyter. It loads the shipped sample, looks at what
# the detectors found, traces the money of the strongest cycle under two
# rules, searches the paths between two of its accounts, and writes the
# HTML report.

# %%
import tempfile
from decimal import Decimal
from pathlib import Path

import polars as pl

import moneytrail

transfers = moneytrail.sample()
print(transfers)
summary = transfers.summary()
print(f"{summary['transfers']} transfers among {summary['accounts']} accounts, "
      f"{summary['first_time']} to {summary['last_time']}")

# %% [markdown]
# ## What the detectors found
# One row per finding; `accounts` and `rows` are list columns, `amount` is
# an exact decimal in the reporting currency.

# %%
analysis = transfers.analyze()
print(analysis.table)
per_typology = analysis.findings.group_by("typology").agg(
    pl.len().alias("findings"), pl.col("amount").sum().alias("amount")
).sort("findings", descending=True)
print(per_typology)

# %% [markdown]
# ## The strongest cycle, and where its money went

# %%
cycles = analysis.findings.filter(pl.col("typology") == "cycle").sort("score", descending=True)
assert cycles.height > 0, "the sample plants cycles"
cycle = cycles.row(0, named=True)
print(cycle["explanation"])
finding = analysis.finding(analysis.findings["id"].to_list().index(cycle["id"]))
print(finding.transfers.select("row", "time", "from", "to", "amount_paid", "asset_paid"))

start = cycle["accounts"][0]
for rule in ("fifo", "haircut"):
    # What the cycle's first account paid out: it goes round and comes back.
    trace = transfers.trace(start, sent=True, rule=rule)
    assert trace.conserved, "the conserving rules never invent or lose value"
    print(f"\n{rule}: {trace.flows.height} tainted transfers; largest holdings:")
    print(trace.holdings.head(5).select("account", "asset", "amount", "hops"))

# %% [markdown]
# ## Paths between two accounts of the cycle

# %%
paths = transfers.paths(cycle["accounts"][0], cycle["accounts"][1], max_hops=4, window="4d")
print(paths, paths.frame.select("hops", "accounts", "bottleneck"))

# %% [markdown]
# ## A frame in: the same findings from a polars DataFrame with exact decimals

# %%
shipped = Path(transfers.source)
frame = pl.read_csv(shipped, infer_schema=False).with_columns(
    pl.col("amount", "amount_received").cast(pl.Decimal(38, 8))
)
again = moneytrail.load(frame, fx=shipped.with_name("sample_fx.csv"))
assert again.analyze().findings.equals(analysis.findings)
print("\nthe frame gives the same", len(analysis), "findings")

# %% [markdown]
# ## The report

# %%
out = Path(tempfile.mkdtemp(prefix="moneytrail-example-"))
written = analysis.write(out)
print("wrote", ", ".join(written), "in", out)
assert (out / "report.html").stat().st_size > 0
assert sum(transfers.to_polars()["amount_paid"].to_list(), Decimal(0)) > 0
