//! Laundering-typology detectors.
//!
//! Each detector is a struct of parameters with documented defaults and a
//! `detect(&self, &Valued) -> Detection`. All run in parallel with rayon
//! over start accounts or start transfers, and return the same findings in
//! the same order whatever the thread count: each worker's output is
//! collected in input order and the findings are sorted before returning.
//! Every enumeration is bounded by hops, a time window and a result budget;
//! a run that hits a budget says so ([`Detection::truncated`]).
//!
//! | typology | detector |
//! |---|---|
//! | `fan_out`, `fan_in` | [`FanDetector`] |
//! | `cycle` | [`CycleDetector`] |
//! | `scatter_gather` | [`ScatterGatherDetector`] |
//! | `gather_scatter` | [`GatherScatterDetector`] |
//! | `bipartite`, `stack` | [`BipartiteDetector`] |
//! | `layering_chain` | [`ChainDetector`] |
//! | `structuring` | [`StructuringDetector`] |
//! | `pass_through` | [`PassThroughDetector`] |
//! | `on_off_ramp`, `chain_hopping` | [`AssetHopDetector`] |
//!
//! Amounts are compared in one reporting currency: [`Valued`] holds each
//! transfer's amount paid valued through an [`FxTable`](crate::fx::FxTable).

mod analysis;
mod asset_hop;
mod bipartite;
mod budget;
mod chain;
mod cycle;
mod fan;
mod finding;
mod gather_scatter;
mod marks;
mod pass_through;
mod plan;
mod registry;
mod scatter_gather;
mod shard;
mod structuring;

pub use asset_hop::AssetHopDetector;
pub use bipartite::BipartiteDetector;
pub use budget::{analyze_bytes, shard_length_within, ANALYZE_BYTES_PER_TRANSFER};
pub use chain::ChainDetector;
pub use cycle::CycleDetector;
pub use fan::{Direction, FanDetector};
pub use gather_scatter::GatherScatterDetector;
pub use pass_through::PassThroughDetector;
pub use scatter_gather::ScatterGatherDetector;
pub use structuring::StructuringDetector;

pub use analysis::{analyze, burst_warnings, Analysis};
pub use finding::{Detection, Finding, Typology};
pub use plan::{PartKind, PartPlan, PartResult, Reader};
pub use registry::{AccountScope, DetectConfig, Detector};
pub use shard::{
    analyze_parts, analyze_sharded, id_ranges, shards, Facts, Glance, InMemory, PartSource, Shard,
    ShardStep, MAX_ACCOUNT_PARTS,
};

pub(crate) use crate::format::span_words;
use crate::valued::Valued;
pub(crate) use finding::{finish, ratio};

#[cfg(test)]
pub(crate) mod testkit;
