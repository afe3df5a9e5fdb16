//! `pass_through`: mule-like accounts where money comes in and most of it
//! leaves again within hours.

use super::{finish, Detection, Finding, Typology, Valued};
use crate::model::{AccountId, TransferId};
use crate::time::Span;
use rayon::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Finds accounts that forward at least `min_forwarded_share` of their
/// inflow within `max_dwell` of receiving it, over at least `min_inflows`
/// incoming transfers worth at least `min_inflow_value` in all.
///
/// Each account's transfers are replayed in time order; outgoing value is
/// matched to the most recent incoming value still held (last in, first
/// out: a mule pays on what just arrived), and matched value counts as
/// passed through when it left within `max_dwell` of arriving. Value that
/// rested longer, and spending beyond what came in (own funds), does not
/// count.
///
/// A mule pays on what it receives, not more: accounts whose outflow
/// exceeds `max_out_in_ratio` × their inflow (they spend money of their
/// own, as any business does) are not pass-throughs.
///
/// **Amount**: the value passed through. **Score** = ½·(share forwarded) +
/// ¼·min(1, inflows / (2·min_inflows)) + ¼·(1 − mean dwell / max_dwell).
///
/// # Example
///
/// ```
/// use moneytrail::detect::{PassThroughDetector, Typology};
/// use moneytrail::{FlowGraph, LedgerBuilder, NewTransfer, Valued};
/// use moneytrail::time::HOUR; // times are microseconds
/// use rust_decimal::Decimal;
///
/// let mut b = LedgerBuilder::new();
/// let usd = b.asset("USD").unwrap();
/// let mut pay = |from: &str, to: &str, hour: i64, amount: i64| {
///     let (from, to) = (b.account(from), b.account(to));
///     let row = b.len() as u32;
///     b.push(NewTransfer::simple(hour * HOUR, from, to, Decimal::from(amount), usd, row));
/// };
/// // a mule forwards 97% of each of four payments within two hours
/// for i in 0..4 {
///     pay(&format!("victim{i}"), "mule", 30 * i, 2_000);
///     pay("mule", "boss", 30 * i + 2, 1_940);
/// }
/// let graph = FlowGraph::new(b.finish().unwrap());
/// let found = PassThroughDetector::default().detect(&Valued::implied(&graph, "USD"));
/// assert_eq!(found.findings.len(), 1);
/// let mule = &found.findings[0];
/// assert_eq!(mule.typology, Typology::PassThrough);
/// assert_eq!(mule.amount, Decimal::from(4 * 1_940));
/// assert!(mule.explanation.contains("passed on 97% of 8,000.00 USD"));
/// ```
///
/// # Complexity
///
/// O(E) time: each account's transfers replayed once in time order, with a
/// stack of the inflows still held (O(in-degree) memory per worker).
///
/// # References
///
/// - X. Li et al., *FlowScope: Spotting Money Laundering Based on Graphs*,
///   AAAI 2020
///   ([doi:10.1609/aaai.v34i04.5906](https://doi.org/10.1609/aaai.v34i04.5906)):
///   middle accounts whose inflow and outflow match, the mark of a mule.
/// - E. Altman et al., *Realistic Synthetic Financial Transactions for
///   Anti-Money Laundering Models*
///   ([arXiv:2306.16424](https://arxiv.org/abs/2306.16424)): money moved on
///   quickly through intermediary accounts in the layering phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PassThroughDetector {
    /// How long money may rest and still count as passed through: 24 hours.
    pub max_dwell: Span,
    /// Share of the inflow that must pass through: 0.8.
    pub min_forwarded_share: f64,
    /// Incoming transfers needed: 3.
    pub min_inflows: usize,
    /// Total inflow needed, in the reporting currency: 5,000.
    pub min_inflow_value: Decimal,
    /// Largest outflow ÷ inflow over the account's history: 1.25.
    pub max_out_in_ratio: f64,
    /// Findings in all: 100,000.
    pub max_findings: usize,
}

impl Default for PassThroughDetector {
    fn default() -> Self {
        PassThroughDetector {
            max_dwell: Span::hours(24),
            min_forwarded_share: 0.8,
            min_inflows: 3,
            min_inflow_value: Decimal::from(5_000),
            max_out_in_ratio: 1.25,
            max_findings: 100_000,
        }
    }
}

impl super::Detector for PassThroughDetector {
    fn typologies(&self) -> &'static [Typology] {
        &[Typology::PassThrough]
    }

    fn detect(&self, data: &Valued<'_>) -> Detection {
        PassThroughDetector::detect(self, data)
    }

    fn reach(&self) -> Option<i64> {
        // one finding per account over its whole history (LIFO replay
        // from its first transfer): no shard can see that
        None
    }

    fn account_scope(&self) -> Option<super::AccountScope> {
        // everything a finding depends on is the account's own transfers
        // (and the whole data's span, for the burst test)
        Some(super::AccountScope::Own)
    }

    fn max_findings(&self) -> usize {
        self.max_findings
    }
}

impl PassThroughDetector {
    /// Run the detector.
    pub fn detect(&self, data: &Valued<'_>) -> Detection {
        let g = data.graph;
        let findings: Vec<Finding> = (0..g.account_count() as u32)
            .into_par_iter()
            .filter(|&a| data.owns_account(AccountId(a)))
            .filter_map(|a| self.account(data, AccountId(a)))
            .collect();
        finish(findings, false, self.max_findings)
    }

    fn account(&self, data: &Valued<'_>, a: AccountId) -> Option<Finding> {
        let g = data.graph;
        let ins = g.incoming(a, ..);
        let outs = g.outgoing(a, ..);
        let inflows: Vec<(TransferId, AccountId)> = ins
            .transfer
            .iter()
            .copied()
            .zip(ins.peer.iter().copied())
            .filter(|&(_, p)| p != a)
            .collect();
        if inflows.len() < self.min_inflows.max(1) || outs.is_empty() || data.is_infrastructure(a) {
            return None;
        }
        let total_in: Decimal = inflows.iter().map(|(t, _)| data.value[t.index()]).sum();
        if total_in < self.min_inflow_value || total_in.is_zero() {
            return None;
        }
        let total_out: f64 = outs
            .transfer
            .iter()
            .zip(outs.peer)
            .filter(|&(_, &p)| p != a)
            .map(|(t, _)| data.value_f64[t.index()])
            .sum();
        let total_in_f = rust_decimal::prelude::ToPrimitive::to_f64(&total_in).unwrap_or(0.0);
        if total_out > self.max_out_in_ratio * total_in_f {
            return None;
        }
        // replay in transfer order (time order, ties in input order)
        let mut held: VecDeque<(TransferId, Decimal)> = VecDeque::new();
        let (mut i, mut o) = (0, 0);
        let mut passed = Decimal::ZERO;
        let mut dwell_weighted = 0.0;
        let mut used_in: Vec<TransferId> = Vec::new();
        let mut used_out: Vec<TransferId> = Vec::new();
        let dwell = self.max_dwell.micros();
        while o < outs.len() {
            let out_t = outs.transfer[o];
            if i < inflows.len() && inflows[i].0 < out_t {
                held.push_back((inflows[i].0, data.value[inflows[i].0.index()]));
                i += 1;
                continue;
            }
            if outs.peer[o] == a {
                o += 1;
                continue;
            }
            let out_time = data.time(out_t);
            let mut need = data.value[out_t.index()];
            let mut matched = false;
            while need > Decimal::ZERO {
                let Some(front) = held.back_mut() else { break };
                let age = out_time - data.time(front.0);
                let take = need.min(front.1);
                if age <= dwell {
                    passed += take;
                    dwell_weighted += age as f64
                        * rust_decimal::prelude::ToPrimitive::to_f64(&take).unwrap_or(0.0);
                    used_in.push(front.0);
                    matched = true;
                }
                front.1 -= take;
                need -= take;
                if front.1.is_zero() {
                    held.pop_back();
                }
            }
            if matched {
                used_out.push(out_t);
            }
            o += 1;
        }
        let share = super::ratio(passed, total_in);
        if share < self.min_forwarded_share {
            return None;
        }
        let passed_f = rust_decimal::prelude::ToPrimitive::to_f64(&passed)
            .unwrap_or(0.0)
            .max(f64::MIN_POSITIVE);
        let mean_dwell = dwell_weighted / passed_f;
        let k = self.min_inflows.max(1) as f64;
        let score = 0.5 * share.min(1.0)
            + 0.25 * (inflows.len() as f64 / (2.0 * k)).min(1.0)
            + 0.25 * (1.0 - mean_dwell / dwell.max(1) as f64).max(0.0);
        let l = g.ledger();
        let mut counterparties: Vec<AccountId> = used_in
            .iter()
            .map(|t| l.froms()[t.index()])
            .chain(used_out.iter().map(|t| l.tos()[t.index()]))
            .collect();
        counterparties.sort_unstable();
        counterparties.dedup();
        let mut accounts = vec![a];
        accounts.extend(counterparties);
        let mut transfers = used_in;
        transfers.extend(used_out);
        let explanation = format!(
            "{} passed on {:.0}% of {} received in {} transfers, on average {} after it arrived",
            data.key(a),
            share * 100.0,
            data.money(total_in),
            inflows.len(),
            super::span_words(mean_dwell as i64)
        );
        Some(data.finding(
            Typology::PassThrough,
            score,
            accounts,
            transfers,
            passed,
            explanation,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testkit::{Kit, H};

    #[test]
    fn finds_a_mule_and_not_a_saver() {
        let mut k = Kit::new();
        for i in 0..4 {
            k.pay(&format!("v{i}"), "mule", i * 30 * H, 2_000);
            k.pay("mule", "boss", i * 30 * H + 2 * H, 1_940);
        }
        // a saver: receives the same but pays out a week later
        for i in 0..4 {
            k.pay(&format!("w{i}"), "saver", i * 30 * H, 2_000);
        }
        k.pay("saver", "shop", 200 * H, 7_800);
        // a business: passes money on quickly, but pays out far more than it gets
        for i in 0..4 {
            k.pay(&format!("c{i}"), "biz", i * 30 * H, 2_000);
            k.pay("biz", &format!("supplier{i}"), i * 30 * H + H, 9_000);
        }
        let g = k.graph();
        let data = Kit::valued(&g);
        let d = PassThroughDetector::default().detect(&data);
        assert_eq!(d.findings.len(), 1, "{:?}", d.findings);
        let f = &d.findings[0];
        assert_eq!(data.key(f.accounts[0]), "mule");
        assert_eq!(f.amount, Decimal::from(4 * 1_940));
        assert_eq!(f.transfers.len(), 8);
        assert!(
            f.explanation.contains("passed on 97% of 8,000.00 USD"),
            "{}",
            f.explanation
        );
    }
}
