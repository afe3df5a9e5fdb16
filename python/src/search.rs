//! `Transfers.trace` (forward, under any of the five rules, from an
//! account's proceeds, its payments or named transfers) and
//! `Transfers.paths` (time-respecting paths between two accounts).

use crate::books::{
    account, duration, exchange_links as links, output_options, time, Books, Transfers,
};
use crate::errors::{argument, to_py};
use crate::records::json;
use crate::table::Table;
use moneytrail::fx::FxTable;
use moneytrail::paths::{find_paths, why_no_path, PathOptions};
use moneytrail::report::{self, Picture, TraceNotes};
use moneytrail::time::{to_rfc3339, Span};
use moneytrail::trace::{
    exchange_stops, passage_words, stop_words, why_nothing_traced, Balances, Rule, Seed, Trace,
    TraceOptions,
};
use moneytrail::Valued;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use rust_decimal::Decimal;
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;

/// How long after taint reaches an exchange its payouts are listed (as the CLI).
const STOP_WINDOW: i64 = moneytrail::time::DAY;

/// A finished trace with the words that describe it.
#[pyclass(frozen, module = "moneytrail._native")]
pub(crate) struct Traced {
    books: Arc<Books>,
    /// The rates of the trace's reporting currency, made once.
    fx: FxTable,
    trace: Trace,
    notes: TraceNotes,
    why_empty: Option<String>,
}

pub(crate) fn rule(name: &str) -> PyResult<Rule> {
    Rule::ALL
        .into_iter()
        .find(|r| r.name() == name.to_ascii_lowercase())
        .ok_or_else(|| {
            argument(format!(
                "unknown rule {name:?}: expected poison, haircut, fifo, lifo or libr"
            ))
        })
}

pub(crate) fn decimal(text: Option<&str>, what: &str) -> PyResult<Option<Decimal>> {
    text.map(|t| {
        t.parse::<Decimal>()
            .map_err(|e| argument(format!("{what} {t:?}: not a decimal amount ({e})")))
    })
    .transpose()
}

#[derive(Serialize)]
struct PathRecord<'a> {
    path: usize,
    hops: usize,
    accounts: Vec<&'a str>,
    rows: Vec<u32>,
    bottleneck: String,
    first_time: String,
    last_time: String,
}

#[pymethods]
impl Transfers {
    /// Trace forward. Seeds: `transfers` (specs as `--transfer`: a row, a
    /// tx id or hash), else `account` (its inflows, or its payments with
    /// `sent`) from `since` on. Amounts are decimal strings.
    /// `through_exchanges`: `linked` follows a deposit into an exchange on
    /// into the payouts it is linked to (detected round trips, or the pairs
    /// of `exchange_links`), `stop` leaves taint at the exchange.
    #[pyo3(signature = (account = None, *, transfers = None, sent = false, since = None, amount = None,
        rule = "fifo", max_hops = 12, horizon = None, min_amount = None, currency = "USD",
        through_exchanges = "linked", exchange_links = None))]
    #[allow(clippy::too_many_arguments)]
    fn trace(
        &self,
        py: Python<'_>,
        account: Option<&str>,
        transfers: Option<Vec<String>>,
        sent: bool,
        since: Option<&str>,
        amount: Option<&str>,
        rule: &str,
        max_hops: u16,
        horizon: Option<&str>,
        min_amount: Option<&str>,
        currency: &str,
        through_exchanges: &str,
        exchange_links: Option<PathBuf>,
    ) -> PyResult<Traced> {
        let books = Arc::clone(&self.books);
        let l = books.graph.ledger();
        let amount = decimal(amount, "amount")?;
        let mut options = TraceOptions {
            rule: self::rule(rule)?,
            max_hops,
            horizon: horizon.map(|h| time(h, "horizon")).transpose()?,
            ..TraceOptions::default()
        };
        if let Some(m) = decimal(min_amount, "min_amount")? {
            options.min_amount = m;
        }
        let (seeds, words) = match (&transfers, account) {
            (Some(specs), _) if !specs.is_empty() => {
                let mut seeds = Vec::new();
                let mut words = Vec::new();
                for spec in specs {
                    for t in l.find_transfers(spec).map_err(to_py)? {
                        seeds.push(Seed::Transfer {
                            transfer: t,
                            amount,
                        });
                        words.push(format!("transfer {}", l.describe(t)));
                    }
                }
                (seeds, words)
            }
            (_, Some(key)) => {
                let id = self::account(&books, key)?;
                let since_us = since.map(|s| time(s, "since")).transpose()?;
                let seed = if sent {
                    Seed::Outflows {
                        account: id,
                        since: since_us.unwrap_or(i64::MIN),
                        amount,
                    }
                } else {
                    Seed::Inflows {
                        account: id,
                        since: since_us.unwrap_or(i64::MIN),
                        amount,
                    }
                };
                let what = if sent { "payments" } else { "inflows" };
                let word = format!("{what} of {key} since {}", since.unwrap_or("the start"));
                (vec![seed], vec![word])
            }
            _ => {
                return Err(argument(
                    "trace: give an account or transfers to start from",
                ))
            }
        };
        let (currency, through) = (currency.to_string(), through_exchanges.to_string());
        py.detach(move || {
            let g = &books.graph;
            let data = books.valued(&currency)?;
            options.exchange_links = links(&data, &through, exchange_links.as_deref(), None)?;
            let balances = Balances::new(g.ledger(), &Default::default());
            let trace = moneytrail::trace::trace(g, &balances, &seeds, &options).map_err(to_py)?;
            let notes = TraceNotes {
                seeds: words,
                stops: exchange_stops(&data, &trace, STOP_WINDOW, 3)
                    .iter()
                    .map(|stop| stop_words(&data, stop, STOP_WINDOW))
                    .collect(),
                passages: passage_words(g.ledger(), &trace.passages),
            };
            let why_empty = match trace.traced_in.is_empty() {
                true => seeds.first().map(|seed| why_nothing_traced(g, seed)),
                false => None,
            };
            let fx = data.fx.clone();
            drop(data);
            Ok(Traced {
                books,
                fx,
                trace,
                notes,
                why_empty,
            })
        })
    }

    /// Time-respecting paths from `source` to `target`: as JSON records,
    /// whether a budget cut the search, and why none was found.
    #[pyo3(signature = (source, target, *, max_hops = 6, window = "30d", limit = 100,
        min_amount = None, min_retention = None, since = None, until = None, currency = "USD"))]
    #[allow(clippy::too_many_arguments)]
    fn paths_json(
        &self,
        py: Python<'_>,
        source: &str,
        target: &str,
        max_hops: usize,
        window: &str,
        limit: usize,
        min_amount: Option<&str>,
        min_retention: Option<f64>,
        since: Option<&str>,
        until: Option<&str>,
        currency: &str,
    ) -> PyResult<(String, bool, Option<String>)> {
        let books = &self.books;
        let (from, to) = (account(books, source)?, account(books, target)?);
        let mut options = PathOptions {
            max_hops,
            window: Span(duration(window, "window")?),
            limit,
            since_us: since.map(|t| time(t, "since")).transpose()?,
            until_us: until.map(|t| time(t, "until")).transpose()?,
            ..PathOptions::default()
        };
        if let Some(m) = decimal(min_amount, "min_amount")? {
            options.min_amount = m;
        }
        if let Some(r) = min_retention {
            options.min_retention = r;
        }
        py.detach(|| {
            let data = books.valued(currency)?;
            let l = books.graph.ledger();
            let found = find_paths(&data, from, to, &options);
            let records: Vec<PathRecord<'_>> = found
                .paths
                .iter()
                .enumerate()
                .map(|(i, p)| PathRecord {
                    path: i,
                    hops: p.transfers.len(),
                    accounts: p
                        .accounts
                        .iter()
                        .map(|&a| l.account(a).key.as_str())
                        .collect(),
                    rows: p
                        .transfers
                        .iter()
                        .map(|t| l.source_rows()[t.index()])
                        .collect(),
                    bottleneck: p.bottleneck.to_string(),
                    first_time: p
                        .transfers
                        .first()
                        .map_or_else(String::new, |t| to_rfc3339(l.times_us()[t.index()])),
                    last_time: p
                        .transfers
                        .last()
                        .map_or_else(String::new, |t| to_rfc3339(l.times_us()[t.index()])),
                })
                .collect();
            let why = found
                .paths
                .is_empty()
                .then(|| why_no_path(&data, from, to, &options));
            Ok((json(&records)?, found.truncated, why))
        })
    }
}

#[pymethods]
impl Traced {
    /// The totals and holdings as `trace.json` holds them.
    fn summary_json(&self) -> PyResult<String> {
        json(&report::trace_json(
            self.books.graph.ledger(),
            &self.trace,
            &self.notes,
            Some(&self.fx),
        ))
    }

    /// Every tainted transfer, in time order.
    fn flows_parquet(&self, py: Python<'_>) -> PyResult<Py<PyBytes>> {
        let l = self.books.graph.ledger();
        let flows = &self.trace.flows;
        let at = |f: &moneytrail::trace::Flow| f.transfer.index();
        let key = |a: moneytrail::AccountId| Some(l.account(a).key.as_str());
        let code = |a: moneytrail::AssetId| Some(l.asset(a).code.as_str());
        Table::new(flows.len())
            .u32s(
                "row",
                flows.iter().map(|f| l.source_rows()[at(f)]).collect(),
            )
            .texts(
                "time",
                flows
                    .iter()
                    .map(|f| Some(to_rfc3339(l.times_us()[at(f)])))
                    .collect(),
            )
            .texts(
                "from",
                flows.iter().map(|f| key(l.froms()[at(f)])).collect(),
            )
            .texts("to", flows.iter().map(|f| key(l.tos()[at(f)])).collect())
            .texts(
                "paid",
                flows.iter().map(|f| Some(f.paid.to_string())).collect(),
            )
            .texts(
                "asset_paid",
                flows.iter().map(|f| code(l.assets_paid()[at(f)])).collect(),
            )
            .texts(
                "received",
                flows.iter().map(|f| Some(f.received.to_string())).collect(),
            )
            .texts(
                "asset_received",
                flows
                    .iter()
                    .map(|f| code(l.assets_received()[at(f)]))
                    .collect(),
            )
            .u32s("hops", flows.iter().map(|f| u32::from(f.hops)).collect())
            .parquet(py)
    }

    /// The trace in words, as `moneytrail trace` prints it.
    #[pyo3(signature = (top = 10))]
    fn text(&self, top: usize) -> PyResult<String> {
        let data = Valued::new(&self.books.graph, self.fx.clone());
        Ok(report::trace_text(
            &data,
            &self.trace,
            &self.notes,
            self.why_empty.as_deref(),
            top,
        ))
    }

    /// Why nothing was traced, when nothing was.
    #[getter]
    fn why_empty(&self) -> Option<String> {
        self.why_empty.clone()
    }

    /// Whether the books balance exactly (always for the conserving rules).
    #[getter]
    fn conserved(&self) -> bool {
        self.trace.conserved()
    }

    /// Where the traced value went, drawn as SVG.
    #[pyo3(signature = (max_arrows = 60))]
    fn svg(&self, max_arrows: usize) -> PyResult<String> {
        let picture = Picture::of_trace(
            self.books.graph.ledger(),
            &self.trace,
            |code| self.fx.rate(code),
            max_arrows,
        );
        Ok(report::svg::picture_svg(&picture))
    }

    /// Write `trace.json`, `holdings.csv`, `flows.csv` and (unless `html` is
    /// false) `report.html` into `dir`; returns the files written.
    #[pyo3(signature = (dir, *, html = true, parquet = false))]
    fn write(
        &self,
        py: Python<'_>,
        dir: PathBuf,
        html: bool,
        parquet: bool,
    ) -> PyResult<Vec<String>> {
        let options = output_options(html, parquet);
        py.detach(|| {
            let l = self.books.graph.ledger();
            report::write_trace(&dir, l, &self.trace, &self.notes, Some(&self.fx), &options)
                .map_err(to_py)
        })
    }
}
