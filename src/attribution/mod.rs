//! Attribution: who stands behind addresses and accounts, and how much of
//! a subject's money came from or went to them.
//!
//! * [`cluster()`]: on-chain addresses grouped into probable owners by
//!   common-input ownership, likely CoinJoins left out, with the chain of
//!   transactions that joins any two members ([`Clusters::provenance`]).
//! * tags ([`propagate`], [`tagged_accounts`]): attribution tags (read by
//!   [`ingest::read_tags`](crate::ingest::read_tags)) spread to an
//!   address's whole cluster, and one [`Category`] per account.
//! * [`exposure()`]: the share of a subject's money that came from or went
//!   to each category, directly and within N hops, by tracing.
//!
//! # Example
//!
//! ```
//! use moneytrail::attribution::{cluster, ClusterOptions};
//! use moneytrail::ingest::{Leg, UtxoTransaction};
//! use rust_decimal::Decimal;
//! let leg = |a: &str, n: i64| Leg { address: a.into(), amount: Decimal::from(n) };
//! // a and b spend together, so one owner holds both
//! let tx = UtxoTransaction {
//!     hash: "t1".into(), time_us: 0, chain: "bitcoin".into(), asset: "BTC".into(),
//!     inputs: vec![leg("a", 1), leg("b", 2)], outputs: vec![leg("c", 3)],
//!     fee: Decimal::ZERO, row: 0,
//! };
//! let clusters = cluster(&[tx], &ClusterOptions::default());
//! assert_eq!(clusters.cluster("a"), clusters.cluster("b"));
//! assert_ne!(clusters.cluster("a"), clusters.cluster("c"));
//! ```

mod cluster;
mod exposure;
mod tags;

pub use crate::model::{Category, Tag};
pub use cluster::{cluster, clusters_of, is_likely_coinjoin, ClusterOptions, Clusters};
pub use exposure::{exposure, CategoryExposure, Exposure, ExposureOptions};
pub use tags::{names_of, propagate, tagged_accounts, AppliedTag};

#[cfg(test)]
mod tests;
