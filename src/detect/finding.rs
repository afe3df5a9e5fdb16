//! What detectors find: the typologies, a finding with its evidence, a
//! detector's result, and how results are ordered and kept in budget.

use crate::model::{AccountId, TransferId};
use crate::valued::Valued;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A laundering typology moneytrail detects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Typology {
    /// One account pays many counterparties within a window.
    FanOut,
    /// One account receives from many counterparties within a window.
    FanIn,
    /// Money goes round and comes back (a time-respecting cycle).
    Cycle,
    /// A source pays intermediaries that all pay one sink.
    ScatterGather,
    /// Sources pay a hub that pays many sinks.
    GatherScatter,
    /// A set of payers densely paying a set of payees.
    Bipartite,
    /// Two or more bipartite layers in sequence.
    Stack,
    /// A time-respecting chain where each hop forwards most of the money.
    LayeringChain,
    /// Repeated amounts just under a reporting threshold.
    Structuring,
    /// A mule-like account: money in, most of it out again within hours.
    PassThrough,
    /// Fiat out through an exchange into a virtual asset and back to fiat
    /// soon after.
    OnOffRamp,
    /// Like `on_off_ramp`, through two or more virtual assets (fiat → BTC →
    /// USDT → fiat).
    ChainHopping,
}

impl Typology {
    /// All typologies, in output order.
    pub const ALL: [Typology; 12] = [
        Typology::FanOut,
        Typology::FanIn,
        Typology::Cycle,
        Typology::ScatterGather,
        Typology::GatherScatter,
        Typology::Bipartite,
        Typology::Stack,
        Typology::LayeringChain,
        Typology::Structuring,
        Typology::PassThrough,
        Typology::OnOffRamp,
        Typology::ChainHopping,
    ];

    /// The snake_case name used in every output.
    pub fn name(self) -> &'static str {
        match self {
            Typology::FanOut => "fan_out",
            Typology::FanIn => "fan_in",
            Typology::Cycle => "cycle",
            Typology::ScatterGather => "scatter_gather",
            Typology::GatherScatter => "gather_scatter",
            Typology::Bipartite => "bipartite",
            Typology::Stack => "stack",
            Typology::LayeringChain => "layering_chain",
            Typology::Structuring => "structuring",
            Typology::PassThrough => "pass_through",
            Typology::OnOffRamp => "on_off_ramp",
            Typology::ChainHopping => "chain_hopping",
        }
    }

    /// The name of the detector that finds it (as in `summary.json`'s
    /// `seconds_per_detector`): `bipartite` for `stack`, `asset_hop` for
    /// `on_off_ramp` and `chain_hopping`, else the typology's own name; from
    /// the registry ([`DetectConfig::detectors`](super::DetectConfig::detectors)).
    pub fn detector(self) -> &'static str {
        super::registry::detector_of(self)
    }

    /// The typology with this snake_case name.
    pub fn from_name(name: &str) -> Option<Typology> {
        Typology::ALL.into_iter().find(|t| t.name() == name)
    }
}

impl fmt::Display for Typology {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One detected instance of a typology, with its evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// What shape it is.
    pub typology: Typology,
    /// How suspicious, in [0, 1] (each detector documents its formula).
    pub score: f64,
    /// The accounts involved, in the order the shape gives them (the hub
    /// first, or the path order).
    pub accounts: Vec<AccountId>,
    /// The transfers involved, ascending (time order).
    pub transfers: Vec<TransferId>,
    /// The amount at stake in the reporting currency (each detector says
    /// which transfers it sums).
    pub amount: Decimal,
    /// Time of the first transfer (microseconds).
    pub first_time_us: i64,
    /// Time of the last transfer (microseconds).
    pub last_time_us: i64,
    /// One line a person can read.
    pub explanation: String,
}

/// What a detector returns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Detection {
    /// The findings, sorted by first time, then transfers.
    pub findings: Vec<Finding>,
    /// Whether a result budget was hit (some findings were not made).
    pub truncated: bool,
}

impl Valued<'_> {
    /// A finding over some transfers: sorts and dedups them, fills in times.
    pub(crate) fn finding(
        &self,
        typology: Typology,
        score: f64,
        accounts: Vec<AccountId>,
        mut transfers: Vec<TransferId>,
        amount: Decimal,
        explanation: String,
    ) -> Finding {
        transfers.sort_unstable();
        transfers.dedup();
        let first = transfers.first().map_or(0, |&t| self.time(t));
        let last = transfers.last().map_or(0, |&t| self.time(t));
        Finding {
            typology,
            score: score.clamp(0.0, 1.0),
            accounts,
            transfers,
            amount,
            first_time_us: first,
            last_time_us: last,
            explanation,
        }
    }
}

/// Sort findings into their output order and merge exact repeats (same
/// typology over the same transfers), keeping the higher score. Over the
/// budget, the highest-scoring findings are kept and the result says it
/// was truncated.
pub(crate) fn finish(mut findings: Vec<Finding>, truncated: bool, budget: usize) -> Detection {
    findings.sort_by(|a, b| {
        (a.first_time_us, a.typology, &a.transfers, &a.accounts)
            .cmp(&(b.first_time_us, b.typology, &b.transfers, &b.accounts))
            .then(b.score.total_cmp(&a.score))
    });
    findings.dedup_by(|later, earlier| {
        later.typology == earlier.typology && later.transfers == earlier.transfers
    });
    let mut truncated = truncated;
    if findings.len() > budget {
        // over budget: keep the highest scores (ties: the earlier), in time order
        let mut order: Vec<usize> = (0..findings.len()).collect();
        order.sort_by(|&i, &j| {
            findings[j]
                .score
                .total_cmp(&findings[i].score)
                .then(i.cmp(&j))
        });
        let mut keep = vec![false; findings.len()];
        for &i in &order[..budget] {
            keep[i] = true;
        }
        findings = findings
            .into_iter()
            .zip(keep)
            .filter_map(|(f, k)| k.then_some(f))
            .collect();
        truncated = true;
    }
    Detection {
        findings,
        truncated,
    }
}

/// `numerator ÷ denominator` as `f64`, 0 when the denominator is zero or
/// the quotient does not fit a `Decimal` (sums of values over a tiny base).
pub(crate) fn ratio(numerator: Decimal, denominator: Decimal) -> f64 {
    numerator
        .checked_div(denominator)
        .and_then(|q| q.to_f64())
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(time: i64, score: f64) -> Finding {
        Finding {
            typology: Typology::FanOut,
            score,
            accounts: vec![AccountId(0)],
            transfers: vec![TransferId(time as u32)],
            amount: Decimal::ONE,
            first_time_us: time,
            last_time_us: time,
            explanation: String::new(),
        }
    }

    #[test]
    fn over_budget_keeps_the_best_in_time_order() {
        let found = vec![
            finding(3, 0.2),
            finding(1, 0.9),
            finding(2, 0.5),
            finding(4, 0.9),
            finding(1, 0.1),
        ];
        let d = finish(found, false, 3);
        assert!(d.truncated);
        let kept: Vec<(i64, f64)> = d
            .findings
            .iter()
            .map(|f| (f.first_time_us, f.score))
            .collect();
        assert_eq!(kept, [(1, 0.9), (2, 0.5), (4, 0.9)]);
        let d = finish(vec![finding(1, 0.1), finding(1, 0.4)], false, 5);
        assert_eq!(d.findings.len(), 1, "repeats over the same transfers merge");
        assert_eq!(d.findings[0].score, 0.4);
        assert!(!d.truncated);
    }
}
