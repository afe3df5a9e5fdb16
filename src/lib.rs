//! # moneytrail
//!
//! Financial-flow investigation analytics: load bank and virtual-currency
//! transfers, model them as a time-stamped directed multigraph, and answer
//! the questions a financial investigator asks: which laundering
//! typologies the data holds, where a sum of money went and where it came
//! from, how two accounts are linked, who stands behind an address.
//!
//! Data flows one way:
//!
//! ```text
//! files ─ingest─▶ Ledger ─▶ FlowGraph ─▶ Valued ─┬─ detect ──────▶ Analysis ─┐
//!                 (columns,   (petgraph +  (amounts ├─ trace ───────▶ Trace ────┼─ report ─▶ files
//!                  by time)    time index)  in one   ├─ paths, enumerate        │
//!                                           currency)├─ attribution, investigate┘
//!                                                    └─ score (against an answer key)
//! ```
//!
//! | module | its job |
//! |---|---|
//! | [`ingest`] | every reader: transfers CSV / Parquet / JSON lines, IBM AMLworld (transactions and patterns), AMLSim, UTXO transactions, and the side files (FX rates, opening balances, tags, subjects, answer keys); bad rows named by file, row, line and column |
//! | [`Ledger`], [`LedgerBuilder`] | transfers held column-wise, sorted by time, accounts and assets interned; money is [`rust_decimal::Decimal`], time microseconds since the epoch ([`time`]) |
//! | [`FlowGraph`] | a petgraph `DiGraph` with a per-account time index; `Sync`, so rayon tasks share it |
//! | [`fx`], [`Valued`] | exchange rates (given or implied by conversions) and each transfer's value in the reporting currency |
//! | [`detect`] | the typology detectors, one [`detect::Detector`] each, run by [`detect::analyze`] from one registry |
//! | [`trace`] | forward tracing under five rules (FIFO, LIFO, haircut, LIBR, poison) and backward source-of-funds |
//! | [`paths`], [`enumerate`] | time-respecting paths between two accounts; exact cycle and reach enumerations for benchmarks |
//! | [`attribution`] | UTXO address clustering, tags of known services, exposure to them |
//! | [`investigate`] | many subjects at once, one case file each, links between them, pseudonymised exchange between FIUs |
//! | [`report`] | the files every command writes: JSON, CSV, Parquet, HTML pages, goAML XML, DOT and GraphML |
//! | [`score`], [`missed`] | findings graded against an answer key; what a missed attempt looks like and which thresholds it fails |
//! | [`summary`], [`format`](mod@format) | a ledger at a glance; how numbers and durations read |
//! | [`synth`] | seeded synthetic data: the shipped sample and the training generator with answer keys |
//!
//! Errors are one type, [`Error`], whose [`ErrorKind`] says what went
//! wrong; a bad row is a [`RowError`] with its [`Reason`]. The library
//! never panics on input.
//!
//! # Example
//!
//! Load transfers, find a laundering pattern, and follow the money.
//!
//! ```
//! use moneytrail::detect::{analyze, DetectConfig, Typology};
//! use moneytrail::trace::{trace, Balances, Rule, Seed, TraceOptions};
//! use moneytrail::{ingest, FlowGraph, Valued};
//! use rust_decimal::Decimal;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("t.csv");
//! // dirty money reaches a, goes round a → b → c → a, and leaves for d
//! std::fs::write(&path, "tx_id,time,from,to,amount,asset\n\
//!     1,2024-03-01T09:00:00Z,x,a,5000.00,EUR\n\
//!     2,2024-03-01T10:00:00Z,a,b,5000.00,EUR\n\
//!     3,2024-03-01T12:00:00Z,b,c,4950.00,EUR\n\
//!     4,2024-03-01T15:00:00Z,c,a,4900.00,EUR\n\
//!     5,2024-03-02T09:00:00Z,a,d,4000.00,EUR\n").unwrap();
//! let loaded = ingest::load(&path, &ingest::LoadOptions::default()).unwrap();
//! assert!(loaded.report.reconciles()); // every row read is loaded or reported
//! let graph = FlowGraph::new(loaded.ledger);
//!
//! // typologies, amounts valued in EUR
//! let data = Valued::implied(&graph, "EUR");
//! let config = DetectConfig { currency: "EUR".into(), ..DetectConfig::default() };
//! let analysis = analyze(&data, &config, |_| {});
//! assert!(analysis.findings.iter().any(|f| f.typology == Typology::Cycle));
//!
//! // where did the money a received go? (first in, first out)
//! let l = graph.ledger();
//! let balances = Balances::new(l, &Default::default());
//! let seeds = [Seed::Inflows { account: l.account_id("a").unwrap(), since: 0, amount: None }];
//! let options = TraceOptions { rule: Rule::Fifo, ..TraceOptions::default() };
//! let traced = trace(&graph, &balances, &seeds, &options).unwrap();
//! let eur = l.asset_id("EUR").unwrap();
//! let d = l.account_id("d").unwrap();
//! let at_d: Decimal = traced.holdings.iter().filter(|h| h.account == d).map(|h| h.amount).sum();
//! // what came from x, counted once although it came back to a
//! assert_eq!(traced.traced_in[&eur], Decimal::new(500000, 2));
//! assert_eq!(at_d, Decimal::new(400000, 2));
//! ```
//!
//! The command-line tool (`moneytrail analyze`, `trace`, `sources`, `paths`,
//! `investigate`, `cluster`, `exposure`, `goaml`, `score`, `generate`…) is
//! a thin layer over these modules: each command loads, calls the library
//! and writes through [`report`].

#![deny(missing_docs)]
#![warn(unreachable_pub)]

pub mod attribution;
mod contain;
pub mod detect;
pub mod enumerate;
mod error;
pub mod features;
pub mod format;
pub mod fx;
mod graph;
pub mod ingest;
pub mod investigate;
pub mod learn;
mod ledger;
pub mod missed;
mod model;
pub mod paths;
pub mod report;
pub mod score;
pub mod store;
pub mod summary;
pub mod synth;
pub mod time;
pub mod trace;
mod valued;

pub use error::{Error, ErrorKind, Reason, Result, RowError};
pub use graph::{Adjacent, FlowGraph};
pub use ledger::{Ledger, LedgerBuilder, NewTransfer, TextColumn, Transfer};
pub use model::{
    amlworld_currency_code, Account, AccountId, AccountKind, Asset, AssetId, Channel, TransferId,
};
pub use valued::{Valued, WholeData};

/// The README's Rust example, compiled and run with the doctests so that
/// the front door stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
