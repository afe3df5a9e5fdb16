//! `Transfers.sources_of_funds`: where the money in an account's balance
//! came from (a backward trace, as `moneytrail trace --backward`).

use crate::books::{account, exchange_links as links, output_options, time, Books, Transfers};
use crate::errors::to_py;
use crate::records::json;
use crate::search::{decimal, rule};
use moneytrail::fx::FxTable;
use moneytrail::report;
use moneytrail::time::to_rfc3339;
use moneytrail::trace::{
    direct_payers, payers_words, sources_of_balances, why_no_balance, Balances, SourceOfFunds,
    TraceOptions,
};
use pyo3::prelude::*;
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;

/// A backward trace per asset of the balance, with the words for it.
#[pyclass(frozen, module = "moneytrail._native")]
pub(crate) struct Sources {
    books: Arc<Books>,
    key: String,
    at: i64,
    rule: &'static str,
    /// The rates of the reporting currency, made once.
    fx: FxTable,
    explained: Vec<SourceOfFunds>,
    payers: Vec<String>,
    why_empty: Option<String>,
}

#[derive(Serialize)]
struct BalanceRecord<'a> {
    asset: &'a str,
    balance: String,
    traced: String,
    untraced: String,
    sources: usize,
    openings: usize,
    truncated: bool,
    openings_cut: bool,
    direct_payers: &'a str,
}

#[derive(Serialize)]
struct SourceRecord<'a> {
    asset: &'a str,
    kind: &'static str,
    account: &'a str,
    amount: String,
    row: Option<u32>,
    time: Option<String>,
}

#[pymethods]
impl Transfers {
    /// The sources of `account`'s balance at `at` (default: the end of the
    /// data), per asset, under `rule`; at most `max_sources` entry
    /// transfers per asset.
    #[pyo3(signature = (account, *, at = None, rule = "fifo", max_hops = 12, min_amount = None,
        max_sources = 10_000, currency = "USD", through_exchanges = "linked", exchange_links = None))]
    #[allow(clippy::too_many_arguments)]
    fn sources_of_funds(
        &self,
        py: Python<'_>,
        account: &str,
        at: Option<&str>,
        rule: &str,
        max_hops: u16,
        min_amount: Option<&str>,
        max_sources: usize,
        currency: &str,
        through_exchanges: &str,
        exchange_links: Option<PathBuf>,
    ) -> PyResult<Sources> {
        let books = Arc::clone(&self.books);
        let id = self::account(&books, account)?;
        let l = books.graph.ledger();
        let at = match at {
            Some(t) => time(t, "at")?,
            None => l.times_us().last().copied().unwrap_or(0),
        };
        let mut options = TraceOptions {
            rule: self::rule(rule)?,
            max_hops,
            ..TraceOptions::default()
        };
        if let Some(m) = decimal(min_amount, "min_amount")? {
            options.min_amount = m;
        }
        let (key, currency) = (account.to_string(), currency.to_string());
        let through = through_exchanges.to_string();
        py.detach(move || {
            let g = &books.graph;
            let data = books.valued(&currency)?;
            options.exchange_links = links(&data, &through, exchange_links.as_deref(), None)?;
            let fx = data.fx.clone();
            drop(data);
            let balances = Balances::new(g.ledger(), &Default::default());
            let explained =
                sources_of_balances(g, &balances, id, at, &options, max_sources).map_err(to_py)?;
            let payers = explained
                .iter()
                .map(|sof| payers_words(g, &direct_payers(g, id, sof.asset, at), sof.asset, 5))
                .collect();
            let why_empty = explained.is_empty().then(|| why_no_balance(g, id, at));
            Ok(Sources {
                rule: options.rule.name(),
                books,
                key,
                at,
                fx,
                explained,
                payers,
                why_empty,
            })
        })
    }
}

#[pymethods]
impl Sources {
    /// One record per asset of the balance: the balance, what the trace
    /// explains and what it does not.
    fn balances_json(&self) -> PyResult<String> {
        let l = self.books.graph.ledger();
        let records: Vec<BalanceRecord<'_>> = self
            .explained
            .iter()
            .zip(&self.payers)
            .map(|(s, payers)| BalanceRecord {
                asset: &l.asset(s.asset).code,
                balance: s.target_amount.to_string(),
                traced: s.traced.to_string(),
                untraced: s.untraced.to_string(),
                sources: s.sources.len(),
                openings: s.openings.len(),
                truncated: s.truncated,
                openings_cut: s.openings_cut,
                direct_payers: payers,
            })
            .collect();
        json(&records)
    }

    /// One record per source: an entry transfer or an opening balance.
    fn sources_json(&self) -> PyResult<String> {
        let l = self.books.graph.ledger();
        let mut records = Vec::new();
        for s in &self.explained {
            let asset = &l.asset(s.asset).code;
            for o in &s.openings {
                records.push(SourceRecord {
                    asset,
                    kind: "opening",
                    account: &l.account(o.account).key,
                    amount: o.amount.to_string(),
                    row: None,
                    time: None,
                });
            }
            for x in &s.sources {
                let i = x.transfer.index();
                records.push(SourceRecord {
                    asset,
                    kind: "transfer",
                    account: &l.account(x.account).key,
                    amount: x.amount.to_string(),
                    row: Some(l.source_rows()[i]),
                    time: Some(to_rfc3339(l.times_us()[i])),
                });
            }
        }
        json(&records)
    }

    /// Why there is no balance to explain, when there is none.
    #[getter]
    fn why_empty(&self) -> Option<String> {
        self.why_empty.clone()
    }

    /// Write trace.json (direction backward), sources.csv and report.html
    /// into `dir`; returns the files written.
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
            let backward = report::BackwardTrace {
                account: &self.key,
                at: self.at,
                rule: self.rule,
                balances: &self.explained,
                payers: &self.payers,
                fx: Some(&self.fx),
            };
            report::write_sources(&dir, self.books.graph.ledger(), &backward, &options)
                .map_err(to_py)
        })
    }
}
