//! `layering_chain`: money handed on along a time-respecting chain, each
//! intermediary forwarding most of what it received, quickly.

use super::{finish, span_words, Detection, Finding, Typology, Valued};
use crate::model::{AccountId, TransferId};
use crate::time::Span;
use rayon::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Finds chains of at least `min_hops` transfers `a₀ → a₁ → … → aₙ` where
/// each transfer leaves its account within `max_dwell` of the previous
/// one's arrival and carries between `min_retention` and `max_retention`
/// of the previous transfer's value (fees and FX noise allowed).
///
/// A search starts only at transfers with no such predecessor, and a chain
/// is reported only when it cannot be extended, so each finding is a
/// maximal chain (different branches from one start are separate findings).
///
/// **Amount**: the value of the first transfer. **Score** =
/// 0.4·min(1, (hops − h + 1)/h) + 0.3·(mean retention closeness to 1) +
/// 0.3·(1 − mean dwell / max dwell).
///
/// # Example
///
/// ```
/// use moneytrail::detect::{ChainDetector, Typology};
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
/// // 100,000 passes four hands, 2% fee a hop, each forwarded within 3 hours
/// let mut amount = 100_000;
/// for (i, (from, to)) in [("a", "b"), ("b", "c"), ("c", "d"), ("d", "e")].into_iter().enumerate() {
///     pay(from, to, 3 * i as i64, amount);
///     amount = amount * 98 / 100;
/// }
/// let graph = FlowGraph::new(b.finish().unwrap());
/// let found = ChainDetector::default().detect(&Valued::implied(&graph, "USD"));
/// assert_eq!(found.findings.len(), 1);
/// let chain = &found.findings[0];
/// assert_eq!(chain.typology, Typology::LayeringChain);
/// assert_eq!(chain.amount, Decimal::from(100_000));
/// assert!(chain.explanation.starts_with("4-hop chain a → b → c → d → e"));
/// ```
///
/// # Complexity
///
/// Per start transfer, a depth-first search bounded by `max_hops`,
/// `max_chains_per_start` and `max_steps_per_start`.
///
/// # References
///
/// - S. Meiklejohn et al., *A Fistful of Bitcoins: Characterizing Payments
///   Among Men with No Names*, IMC 2013
///   ([doi:10.1145/2504730.2504747](https://doi.org/10.1145/2504730.2504747)):
///   peeling chains, value passed hop after hop with a little kept.
/// - H. Tariq and M. Hassani, *Topology-Agnostic Detection of Temporal
///   Money Laundering Flows in Billion-Scale Transactions*
///   ([arXiv:2309.13662](https://arxiv.org/abs/2309.13662)): sequential
///   transfers joined when one follows the other in time and value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChainDetector {
    /// Fewest transfers: 3 (two intermediaries).
    pub min_hops: usize,
    /// Most transfers followed: 12.
    pub max_hops: usize,
    /// Longest time money may rest at an intermediary: 24 hours.
    pub max_dwell: Span,
    /// Smallest share of the previous hop's value forwarded: 0.90
    /// (layering pays fees of a few percent; honest supply chains pass on
    /// sums that differ more).
    pub min_retention: f64,
    /// Largest share (above 1 allows FX rounding and top-ups): 1.02.
    pub max_retention: f64,
    /// Smallest value of the first transfer, in the reporting currency:
    /// 5,000 (smaller sums forwarded on are everyday life).
    pub min_amount: Decimal,
    /// Chains kept per start transfer: 32.
    pub max_chains_per_start: usize,
    /// Search steps per start transfer: 50,000.
    pub max_steps_per_start: usize,
    /// Findings in all: 100,000.
    pub max_findings: usize,
}

impl Default for ChainDetector {
    fn default() -> ChainDetector {
        ChainDetector {
            min_hops: 3,
            max_hops: 12,
            max_dwell: Span::hours(24),
            min_retention: 0.90,
            max_retention: 1.02,
            min_amount: Decimal::from(5000),
            max_chains_per_start: 32,
            max_steps_per_start: 50_000,
            max_findings: 100_000,
        }
    }
}

/// A chain: its accounts, and its transfers in order.
pub(crate) type Chain = (Vec<AccountId>, Vec<TransferId>);

struct Search<'a, 'g> {
    detector: &'a ChainDetector,
    data: &'a Valued<'g>,
    accounts: Vec<AccountId>,
    transfers: Vec<TransferId>,
    chains: Vec<Chain>,
    steps: usize,
    truncated: bool,
}

impl super::Detector for ChainDetector {
    fn typologies(&self) -> &'static [Typology] {
        &[Typology::LayeringChain]
    }

    fn detect(&self, data: &Valued<'_>) -> Detection {
        ChainDetector::detect(self, data)
    }

    fn reach(&self) -> Option<i64> {
        Some(self.max_dwell.micros().saturating_mul(self.max_hops as i64))
    }

    fn lookback(&self) -> i64 {
        // a chain is left out when a fitting transfer reached its first
        // account within one dwell before it (it is part of a longer one)
        self.max_dwell.micros()
    }

    fn max_findings(&self) -> usize {
        self.max_findings
    }
}

impl ChainDetector {
    /// Run the detector.
    pub fn detect(&self, data: &Valued<'_>) -> Detection {
        let (chains, truncated) = self.chains(data);
        let findings = chains
            .into_iter()
            .map(|(a, t)| self.finding(data, a, t))
            .collect();
        finish(findings, truncated, self.max_findings)
    }

    fn fits(&self, data: &Valued<'_>, previous: TransferId, next: TransferId) -> bool {
        let before = data.value_f64[previous.index()];
        if before <= 0.0 {
            return false;
        }
        let ratio = data.value_f64[next.index()] / before;
        ratio >= self.min_retention && ratio <= self.max_retention
    }

    fn has_predecessor(&self, data: &Valued<'_>, start: TransferId) -> bool {
        let g = data.graph;
        let l = g.ledger();
        let (a, t) = (l.froms()[start.index()], l.times_us()[start.index()]);
        let inc = g.incoming(a, t.saturating_sub(self.max_dwell.micros())..=t);
        inc.transfer
            .iter()
            .zip(inc.peer)
            .any(|(&p, &x)| p < start && x != a && self.fits(data, p, start))
    }

    /// Every maximal chain, in start-transfer order, and whether a budget
    /// was hit.
    pub(crate) fn chains(&self, data: &Valued<'_>) -> (Vec<Chain>, bool) {
        let l = data.graph.ledger();
        let results: Vec<(Vec<Chain>, bool)> = (0..l.len() as u32)
            .into_par_iter()
            .with_min_len(256)
            .map(|i| {
                let start = TransferId(i);
                let (a, b) = (l.froms()[i as usize], l.tos()[i as usize]);
                if a == b
                    || !data.is_start(i as usize)
                    || data.value[i as usize] < self.min_amount
                    || self.has_predecessor(data, start)
                {
                    return (Vec::new(), false);
                }
                let mut search = Search {
                    detector: self,
                    data,
                    accounts: vec![a, b],
                    transfers: vec![start],
                    chains: Vec::new(),
                    steps: 0,
                    truncated: false,
                };
                search.extend();
                (search.chains, search.truncated)
            })
            .collect();
        let truncated = results.iter().any(|(_, t)| *t);
        (
            results.into_iter().flat_map(|(c, _)| c).collect(),
            truncated,
        )
    }

    fn finding(
        &self,
        data: &Valued<'_>,
        accounts: Vec<AccountId>,
        transfers: Vec<TransferId>,
    ) -> Finding {
        let hops = transfers.len();
        let h = self.min_hops.max(1) as f64;
        let first = data.value[transfers[0].index()];
        let last = data.value[transfers[hops - 1].index()];
        let (mut closeness, mut dwell) = (0.0, 0.0);
        for w in transfers.windows(2) {
            let r =
                data.value_f64[w[1].index()] / data.value_f64[w[0].index()].max(f64::MIN_POSITIVE);
            closeness += if r <= 1.0 { r } else { 1.0 / r };
            dwell += (data.time(w[1]) - data.time(w[0])) as f64;
        }
        let pairs = (hops - 1).max(1) as f64;
        let (closeness, dwell) = (closeness / pairs, dwell / pairs);
        let score = 0.4 * ((hops as f64 - h + 1.0) / h).min(1.0)
            + 0.3 * closeness
            + 0.3 * (1.0 - dwell / self.max_dwell.micros().max(1) as f64).max(0.0);
        let span = data.time(transfers[hops - 1]) - data.time(transfers[0]);
        let route: Vec<&str> = accounts.iter().map(|&a| data.key(a)).collect();
        let explanation = format!(
            "{hops}-hop chain {} within {}: {} in, {} out at the end ({:.1}% kept per hop on average)",
            route.join(" → "),
            span_words(span),
            data.money(first),
            data.money(last),
            closeness * 100.0
        );
        data.finding(
            Typology::LayeringChain,
            score,
            accounts,
            transfers,
            first,
            explanation,
        )
    }
}

impl Search<'_, '_> {
    fn extend(&mut self) {
        let d = self.detector;
        let g = self.data.graph;
        let last = self.transfers[self.transfers.len() - 1];
        let u = self.accounts[self.accounts.len() - 1];
        let t = self.data.time(last);
        let mut extended = false;
        if self.transfers.len() < d.max_hops.max(1) {
            let out = g.outgoing(u, t..=t.saturating_add(d.max_dwell.micros()));
            for (&x, &w) in out.transfer.iter().zip(out.peer) {
                if x <= last || self.accounts.contains(&w) || !d.fits(self.data, last, x) {
                    continue;
                }
                self.steps += 1;
                if self.steps > d.max_steps_per_start || self.chains.len() >= d.max_chains_per_start
                {
                    self.truncated = true;
                    return;
                }
                extended = true;
                self.accounts.push(w);
                self.transfers.push(x);
                self.extend();
                self.accounts.pop();
                self.transfers.pop();
                if self.truncated {
                    return;
                }
            }
        }
        if !extended && self.transfers.len() >= d.min_hops {
            self.chains
                .push((self.accounts.clone(), self.transfers.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testkit::{with_threads, Kit, H};
    use proptest::prelude::*;

    #[test]
    fn finds_a_chain_with_fees_and_short_dwell() {
        let mut k = Kit::new();
        let mut amount = 100_000;
        for (i, (a, b)) in [("a", "b"), ("b", "c"), ("c", "d"), ("d", "e")]
            .into_iter()
            .enumerate()
        {
            k.pay(a, b, i as i64 * 3 * H, amount);
            amount = amount * 98 / 100;
        }
        let g = k.graph();
        let data = Kit::valued(&g);
        let d = ChainDetector::default().detect(&data);
        assert_eq!(d.findings.len(), 1, "{:?}", d.findings);
        let f = &d.findings[0];
        assert_eq!(f.transfers.len(), 4);
        assert_eq!(f.amount, Decimal::from(100_000));
        assert!(
            f.explanation.starts_with("4-hop chain a → b → c → d → e"),
            "{}",
            f.explanation
        );
    }

    #[test]
    fn ignores_kept_money_slow_hops_and_wrong_order() {
        // the second hop forwards only half: no 3-hop chain
        let mut k = Kit::new();
        k.pay("a", "b", 0, 10_000)
            .pay("b", "c", H, 5_000)
            .pay("c", "d", 2 * H, 5_000);
        // dwell of 3 days at y
        k.pay("w", "x", 0, 10_000)
            .pay("x", "y", H, 9_900)
            .pay("y", "z", 80 * H, 9_800);
        // wrong order: the onward transfer precedes the incoming one
        k.pay("p", "q", 10 * H, 10_000)
            .pay("q", "r", 5 * H, 9_900)
            .pay("r", "s", 11 * H, 9_800);
        let g = k.graph();
        let data = Kit::valued(&g);
        let d = ChainDetector::default().detect(&data);
        assert!(d.findings.is_empty(), "{:?}", d.findings);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn every_chain_is_a_time_respecting_path(
            edges in prop::collection::vec((0u8..8, 0u8..8, 0u8..60, 1000i64..1100), 1..70)
        ) {
            let mut k = Kit::new();
            for &(a, b, t, amount) in &edges {
                k.pay(&format!("n{a}"), &format!("n{b}"), i64::from(t) * H, amount);
            }
            let g = k.graph();
            let data = Kit::valued(&g);
            let detector = ChainDetector { min_amount: Decimal::ZERO, ..ChainDetector::default() };
            let (chains, _) = detector.chains(&data);
            let l = g.ledger();
            for (accounts, transfers) in &chains {
                prop_assert!(transfers.len() >= 3);
                prop_assert_eq!(accounts.len(), transfers.len() + 1);
                let mut distinct = accounts.clone();
                distinct.sort();
                distinct.dedup();
                prop_assert_eq!(distinct.len(), accounts.len());
                for (i, &t) in transfers.iter().enumerate() {
                    prop_assert_eq!(l.froms()[t.index()], accounts[i]);
                    prop_assert_eq!(l.tos()[t.index()], accounts[i + 1]);
                    if i > 0 {
                        let dwell = l.times_us()[t.index()] - l.times_us()[transfers[i - 1].index()];
                        prop_assert!(t > transfers[i - 1] && (0..=24 * H).contains(&dwell));
                    }
                }
            }
            let one = with_threads(1, || detector.detect(&data));
            let three = with_threads(3, || detector.detect(&data));
            prop_assert_eq!(one, three);
        }
    }
}
