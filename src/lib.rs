//! # moneytrail
//!
//! Financial-flow investigation analytics: load bank and virtual-currency
//! transfers, model them as a time-stamped directed multigraph, and answer
//! the questions a financial investigator asks.
//!
//! Data flows one way:
//!
//! ```text
//! files ──ingest──▶ Ledger (columns, time-sorted) ──▶ FlowGraph (petgraph + temporal index)
//! ```
//!
//! * [`ingest`] reads IBM AMLworld, AMLSim and moneytrail's own transfers
//!   layout (CSV, Parquet, JSON lines) with polars, and reports every row
//!   it could not load.
//! * [`Ledger`] holds the transfers column-wise, sorted by time, with
//!   accounts and assets interned to dense ids. Money is
//!   [`rust_decimal::Decimal`], time is microseconds since the epoch (UTC).
//! * [`FlowGraph`] adds a petgraph `DiGraph` and a per-account time index,
//!   and is `Sync`, so rayon tasks share it.
//! * [`synth`] makes seeded synthetic data in the AMLworld and transfers
//!   layouts (benchmarks and the shipped sample).
//!
//! # Example
//!
//! ```
//! use moneytrail::{ingest, FlowGraph};
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("t.csv");
//! std::fs::write(&path, "tx_id,time,from,to,amount,asset\n\
//!     1,2024-03-01T12:00:00Z,alice,bob,100.50,EUR\n\
//!     2,2024-03-01T13:00:00Z,bob,carol,90,EUR\n").unwrap();
//! let loaded = ingest::load(&path, &ingest::LoadOptions::default()).unwrap();
//! let graph = FlowGraph::new(loaded.ledger);
//! let bob = graph.ledger().account_id("bob").unwrap();
//! assert_eq!(graph.incoming(bob, ..).len(), 1);
//! assert_eq!(graph.outgoing(bob, ..).len(), 1);
//! ```

#![deny(missing_docs)]
#![warn(unreachable_pub)]

pub mod attribution;
mod contain;
pub mod detect;
pub mod enumerate;
mod error;
pub mod format;
pub mod fx;
mod graph;
pub mod ingest;
pub mod investigate;
mod ledger;
mod model;
pub mod paths;
pub mod report;
pub mod score;
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
pub use valued::Valued;
