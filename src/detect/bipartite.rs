//! `bipartite` (a set of payers densely paying a set of payees) and `stack`
//! (two such layers in sequence: the payees of one pay on as the payers of
//! the next).

use super::{finish, span_words, Detection, Finding, Typology, Valued};
use crate::model::{AccountId, TransferId};
use crate::time::Span;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

/// Finds sets of at least `min_payers` payers and `min_payees` payees where
/// at least `min_density` of the possible payer → payee pairs carry a
/// transfer inside one `window`; then links layers into stacks.
///
/// For each payer `p` (in parallel), the payers sharing at least
/// `min_payees` payees with `p` are gathered through `p`'s payees; the
/// group is reported by its smallest payer only, so each is found once.
/// Accounts with more than `max_degree` counterparties (merchants,
/// payroll, exchanges) are left out: a dense block through a hub is
/// everyday commerce.
///
/// A `stack` joins two bipartite findings when at least half the payees of
/// the first pay as payers in the second, and the second starts after the
/// first.
///
/// **Amount**: value of the block's transfers. **Score** = ½·density +
/// ½·min(1, pairs / (2·min_payers·min_payees)); a stack scores the mean of
/// its layers.
///
/// # Example
///
/// ```
/// use moneytrail::detect::{BipartiteDetector, Typology};
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
/// // three payers each pay the same three payees, then those pay three more
/// let mut hour = 0;
/// for (payers, payees, amount) in [(["p1", "p2", "p3"], ["q1", "q2", "q3"], 1_000),
///                                  (["q1", "q2", "q3"], ["r1", "r2", "r3"], 900)] {
///     for p in payers {
///         for q in payees {
///             pay(p, q, hour, amount);
///             hour += 1;
///         }
///     }
/// }
/// let graph = FlowGraph::new(b.finish().unwrap());
/// let found = BipartiteDetector::default().detect(&Valued::implied(&graph, "USD"));
/// let count = |t| found.findings.iter().filter(|f| f.typology == t).count();
/// assert_eq!(count(Typology::Bipartite), 2); // the two layers
/// assert_eq!(count(Typology::Stack), 1); // and the two in sequence
/// ```
///
/// # Complexity
///
/// Per payer, O(Σ over its payees of their in-degree) to gather the payers
/// that share payees with it; accounts above `max_degree` are skipped, so
/// this is at most O(E · max_degree). Stacks join each block to the blocks
/// whose payers are its payees, found through an index of payers.
///
/// # References
///
/// - E. Altman et al., *Realistic Synthetic Financial Transactions for
///   Anti-Money Laundering Models*, NeurIPS 2023 Datasets and Benchmarks
///   ([arXiv:2306.16424](https://arxiv.org/abs/2306.16424)): AMLworld's
///   bipartite and stack patterns.
/// - X. Li et al., *FlowScope: Spotting Money Laundering Based on Graphs*,
///   AAAI 2020
///   ([doi:10.1609/aaai.v34i04.5906](https://doi.org/10.1609/aaai.v34i04.5906)):
///   laundering as dense flows through the layers of a multipartite graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BipartiteDetector {
    /// Payers needed: 3.
    pub min_payers: usize,
    /// Payees needed: 3.
    pub min_payees: usize,
    /// Share of payer → payee pairs with a transfer: 0.75.
    pub min_density: f64,
    /// Window of one block: 4 days.
    pub window: Span,
    /// Accounts with more distinct counterparties are skipped: 50.
    pub max_degree: usize,
    /// Findings in all: 100,000.
    pub max_findings: usize,
}

impl Default for BipartiteDetector {
    fn default() -> Self {
        BipartiteDetector {
            min_payers: 3,
            min_payees: 3,
            min_density: 0.75,
            window: Span::days(4),
            max_degree: 50,
            max_findings: 100_000,
        }
    }
}

/// A dense block before it becomes a finding.
struct Block {
    payers: Vec<AccountId>,
    payees: Vec<AccountId>,
    transfers: Vec<TransferId>,
    density: f64,
}

impl super::Detector for BipartiteDetector {
    fn typologies(&self) -> &'static [Typology] {
        &[Typology::Bipartite, Typology::Stack]
    }

    fn detect(&self, data: &Valued<'_>) -> Detection {
        BipartiteDetector::detect(self, data)
    }

    fn reach(&self) -> Option<i64> {
        // counterparty sets over the whole data decide the blocks: no
        // time shard can see them
        None
    }

    fn account_scope(&self) -> Option<super::AccountScope> {
        // a block is its smallest payer's: decided by that payer's
        // payees, everything those payees receive (their other payers and
        // what they paid), and how many payees the other payers have
        // (from the whole data)
        Some(super::AccountScope::PayeesReceipts)
    }

    fn detect_part(&self, data: &Valued<'_>) -> Detection {
        // the blocks only, every one of them: stacks join blocks of
        // different parts, and the budget applies to blocks and stacks
        // together (in `combine`)
        let blocks = self.blocks(data);
        Detection {
            findings: blocks.iter().map(|b| self.finding(data, b)).collect(),
            truncated: false,
        }
    }

    fn combine(&self, data: &Valued<'_>, parts: Vec<Finding>, truncated: bool) -> Detection {
        let l = data.graph.ledger();
        let mut blocks: Vec<Block> = parts
            .iter()
            .map(|f| {
                // a block's payers pay its payees and are none of them
                let mut payers: Vec<AccountId> =
                    f.transfers.iter().map(|t| l.froms()[t.index()]).collect();
                let mut payees: Vec<AccountId> =
                    f.transfers.iter().map(|t| l.tos()[t.index()]).collect();
                let mut pairs: Vec<(AccountId, AccountId)> =
                    payers.iter().copied().zip(payees.iter().copied()).collect();
                for list in [&mut payers, &mut payees] {
                    list.sort_unstable();
                    list.dedup();
                }
                pairs.sort_unstable();
                pairs.dedup();
                let density = pairs.len() as f64 / (payers.len() * payees.len()) as f64;
                Block {
                    payers,
                    payees,
                    transfers: f.transfers.clone(),
                    density,
                }
            })
            .collect();
        blocks.sort_by_key(|b| (b.transfers[0], b.payers.clone()));
        let mut findings = parts;
        findings.extend(self.stacks(data, &blocks));
        finish(findings, truncated, self.max_findings)
    }

    fn max_findings(&self) -> usize {
        self.max_findings
    }
}

impl BipartiteDetector {
    /// Run the detector: bipartite blocks, then stacks of them.
    pub fn detect(&self, data: &Valued<'_>) -> Detection {
        let blocks = self.blocks(data);
        let mut findings: Vec<Finding> = blocks.iter().map(|b| self.finding(data, b)).collect();
        findings.extend(self.stacks(data, &blocks));
        finish(findings, false, self.max_findings)
    }

    /// The dense blocks of the accounts `data` owns (each reported by its
    /// smallest payer), by first transfer.
    fn blocks(&self, data: &Valued<'_>) -> Vec<Block> {
        let g = data.graph;
        let peers = Counterparties::of(data);
        let mut blocks: Vec<Block> = (0..g.account_count() as u32)
            .into_par_iter()
            .filter(|&p| data.owns_account(AccountId(p)))
            .filter_map(|p| self.block(data, &peers, AccountId(p)))
            .collect();
        blocks.sort_by_key(|b| (b.transfers[0], b.payers.clone()));
        blocks
    }

    /// `p`'s distinct payees (itself left out) when their number is within
    /// bounds: counted in the whole data when `data` is a part of it (a
    /// part holds every payment of the accounts it owns, not of their
    /// payees' other payers).
    fn payees<'p>(
        &self,
        data: &Valued<'_>,
        peers: &'p Counterparties,
        p: AccountId,
    ) -> Option<&'p [AccountId]> {
        let all = peers.payees(p);
        let n = data
            .whole_payees(p)
            .unwrap_or_else(|| all.len() - usize::from(all.binary_search(&p).is_ok()));
        (n >= self.min_payees.max(2) && n <= self.max_degree).then_some(all)
    }

    fn block(&self, data: &Valued<'_>, peers: &Counterparties, p: AccountId) -> Option<Block> {
        let g = data.graph;
        let qs = self.payees(data, peers, p)?;
        let mut shared: FxHashMap<AccountId, usize> = FxHashMap::default();
        for &q in qs.iter().filter(|&&q| q != p) {
            let payers = peers.payers(q);
            if payers.len() > self.max_degree {
                continue;
            }
            for &p2 in payers {
                if p2 != p && p2 != q {
                    *shared.entry(p2).or_insert(0) += 1;
                }
            }
        }
        let mut group: Vec<AccountId> = shared
            .into_iter()
            .filter(|&(_, n)| n >= self.min_payees.max(2))
            .map(|(a, _)| a)
            .filter(|&a| self.payees(data, peers, a).is_some())
            .collect();
        group.push(p);
        group.sort_unstable();
        if group.len() < self.min_payers.max(2) || group[0] != p {
            return None;
        }
        let is_payee = |q: AccountId| q != p && qs.binary_search(&q).is_ok();
        // transfers from the group to p's payees, in time order
        let mut transfers: Vec<(i64, TransferId, AccountId, AccountId)> = Vec::new();
        for &a in &group {
            let out = g.outgoing(a, ..);
            for ((&t, &x), &q) in out.time_us.iter().zip(out.transfer).zip(out.peer) {
                if is_payee(q) && group.binary_search(&q).is_err() {
                    transfers.push((t, x, a, q));
                }
            }
        }
        transfers.sort_unstable_by_key(|x| x.1);
        // the window holding the most distinct pairs (the first such), by
        // sliding it over the transfers with a count per pair
        let w = self.window.micros();
        let mut best: Option<(usize, usize, usize)> = None;
        let mut in_window: FxHashMap<(AccountId, AccountId), u32> = FxHashMap::default();
        let mut hi = 0;
        for lo in 0..transfers.len() {
            while hi < transfers.len() && transfers[hi].0 <= transfers[lo].0.saturating_add(w) {
                *in_window
                    .entry((transfers[hi].2, transfers[hi].3))
                    .or_insert(0) += 1;
                hi += 1;
            }
            if best.is_none_or(|(_, _, n)| in_window.len() > n) {
                best = Some((lo, hi, in_window.len()));
            }
            let pair = (transfers[lo].2, transfers[lo].3);
            if let Some(n) = in_window.get_mut(&pair) {
                *n -= 1;
                if *n == 0 {
                    in_window.remove(&pair);
                }
            }
        }
        let (lo, hi, _) = best?;
        let inside = &transfers[lo..hi];
        let payers: FxHashSet<AccountId> = inside.iter().map(|x| x.2).collect();
        let mut payees_count: FxHashMap<AccountId, FxHashSet<AccountId>> = FxHashMap::default();
        for x in inside {
            payees_count.entry(x.3).or_default().insert(x.2);
        }
        let need = (self.min_density * payers.len() as f64).ceil() as usize;
        let mut payees: Vec<AccountId> = payees_count
            .iter()
            .filter(|(_, ps)| ps.len() >= need.max(2))
            .map(|(&q, _)| q)
            .collect();
        payees.sort_unstable();
        let payee_set: FxHashSet<AccountId> = payees.iter().copied().collect();
        let kept: Vec<&(i64, TransferId, AccountId, AccountId)> =
            inside.iter().filter(|x| payee_set.contains(&x.3)).collect();
        let mut payers: Vec<AccountId> = kept
            .iter()
            .map(|x| x.2)
            .collect::<FxHashSet<_>>()
            .into_iter()
            .collect();
        payers.sort_unstable();
        if payers.len() < self.min_payers.max(2)
            || payees.len() < self.min_payees.max(2)
            || payers[0] != p
        {
            return None;
        }
        let pairs: FxHashSet<(AccountId, AccountId)> = kept.iter().map(|x| (x.2, x.3)).collect();
        let density = pairs.len() as f64 / (payers.len() * payees.len()) as f64;
        if density < self.min_density {
            return None;
        }
        let mut transfers: Vec<TransferId> = kept.iter().map(|x| x.1).collect();
        transfers.sort_unstable();
        Some(Block {
            payers,
            payees,
            transfers,
            density,
        })
    }

    fn finding(&self, data: &Valued<'_>, b: &Block) -> Finding {
        let pairs = b.density * (b.payers.len() * b.payees.len()) as f64;
        let scale = (2 * self.min_payers.max(1) * self.min_payees.max(1)) as f64;
        let score = 0.5 * b.density + 0.5 * (pairs / scale).min(1.0);
        let amount = data.total(&b.transfers);
        let span = data.time(b.transfers[b.transfers.len() - 1]) - data.time(b.transfers[0]);
        let mut accounts = b.payers.clone();
        accounts.extend_from_slice(&b.payees);
        let explanation = format!(
            "{} payers pay {} payees ({:.0}% of the pairs) in {} transfers within {}, {} in all",
            b.payers.len(),
            b.payees.len(),
            b.density * 100.0,
            b.transfers.len(),
            span_words(span),
            data.money(amount)
        );
        data.finding(
            Typology::Bipartite,
            score,
            accounts,
            b.transfers.clone(),
            amount,
            explanation,
        )
    }

    fn stacks(&self, data: &Valued<'_>, blocks: &[Block]) -> Vec<Finding> {
        let mut by_payer: FxHashMap<AccountId, Vec<usize>> = FxHashMap::default();
        for (i, b) in blocks.iter().enumerate() {
            for &p in &b.payers {
                by_payer.entry(p).or_default().push(i);
            }
        }
        let mut out = Vec::new();
        for (i, first) in blocks.iter().enumerate() {
            let mut next: Vec<usize> = first
                .payees
                .iter()
                .filter_map(|q| by_payer.get(q))
                .flatten()
                .copied()
                .collect();
            next.sort_unstable();
            next.dedup();
            for j in next {
                let second = &blocks[j];
                if j == i || second.transfers[0] <= first.transfers[0] {
                    continue;
                }
                let linked = first
                    .payees
                    .iter()
                    .filter(|q| second.payers.contains(q))
                    .count();
                if 2 * linked < first.payees.len() {
                    continue;
                }
                let mut accounts = first.payers.clone();
                accounts.extend(first.payees.iter().chain(&second.payees).copied());
                accounts.dedup();
                let mut transfers = first.transfers.clone();
                transfers.extend_from_slice(&second.transfers);
                let amount = data.total(&first.transfers);
                let score =
                    (self.finding(data, first).score + self.finding(data, second).score) / 2.0;
                let explanation = format!(
                    "two layers: {} payers → {} accounts → {} payees, {} entering the first layer",
                    first.payers.len(),
                    first.payees.len(),
                    second.payees.len(),
                    data.money(amount)
                );
                out.push(data.finding(
                    Typology::Stack,
                    score,
                    accounts,
                    transfers,
                    amount,
                    explanation,
                ));
            }
        }
        out
    }
}

/// Every account's distinct counterparties, both ways, sorted: computed
/// once per run instead of once per payer that looks at them.
struct Counterparties {
    payee_offsets: Vec<usize>,
    payees: Vec<AccountId>,
    payer_offsets: Vec<usize>,
    payers: Vec<AccountId>,
}

impl Counterparties {
    fn of(data: &Valued<'_>) -> Counterparties {
        let g = data.graph;
        let distinct = |incoming: bool| -> (Vec<usize>, Vec<AccountId>) {
            let lists: Vec<Vec<AccountId>> = (0..g.account_count() as u32)
                .into_par_iter()
                .map(|a| {
                    let side = if incoming {
                        g.incoming(AccountId(a), ..)
                    } else {
                        g.outgoing(AccountId(a), ..)
                    };
                    let mut peers = side.peer.to_vec();
                    peers.sort_unstable();
                    peers.dedup();
                    peers
                })
                .collect();
            let mut offsets = Vec::with_capacity(lists.len() + 1);
            offsets.push(0);
            for list in &lists {
                offsets.push(offsets[offsets.len() - 1] + list.len());
            }
            (offsets, lists.concat())
        };
        let (payee_offsets, payees) = distinct(false);
        let (payer_offsets, payers) = distinct(true);
        Counterparties {
            payee_offsets,
            payees,
            payer_offsets,
            payers,
        }
    }

    fn payees(&self, a: AccountId) -> &[AccountId] {
        &self.payees[self.payee_offsets[a.index()]..self.payee_offsets[a.index() + 1]]
    }

    fn payers(&self, a: AccountId) -> &[AccountId] {
        &self.payers[self.payer_offsets[a.index()]..self.payer_offsets[a.index() + 1]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testkit::{Kit, H};

    #[test]
    fn finds_a_dense_block_and_a_stack() {
        let mut k = Kit::new();
        let mut t = 0;
        for p in ["p1", "p2", "p3"] {
            for q in ["q1", "q2", "q3"] {
                k.pay(p, q, t, 1000);
                t += H;
            }
        }
        for q in ["q1", "q2", "q3"] {
            for r in ["r1", "r2", "r3"] {
                k.pay(q, r, t, 900);
                t += H;
            }
        }
        let g = k.graph();
        let data = Kit::valued(&g);
        let d = BipartiteDetector::default().detect(&data);
        let kinds: Vec<Typology> = d.findings.iter().map(|f| f.typology).collect();
        assert_eq!(
            kinds.iter().filter(|&&t| t == Typology::Bipartite).count(),
            2,
            "{:?}",
            d.findings
        );
        assert_eq!(kinds.iter().filter(|&&t| t == Typology::Stack).count(), 1);
        let first = d
            .findings
            .iter()
            .find(|f| f.typology == Typology::Bipartite)
            .unwrap();
        assert_eq!(first.transfers.len(), 9);
        assert!(
            first
                .explanation
                .starts_with("3 payers pay 3 payees (100% of the pairs)"),
            "{}",
            first.explanation
        );
    }

    #[test]
    fn ignores_sparse_and_slow_blocks() {
        let mut k = Kit::new();
        // each payer pays only one payee: sparse
        for (p, q) in [("a1", "b1"), ("a2", "b2"), ("a3", "b3"), ("a1", "b2")] {
            k.pay(p, q, 0, 100);
        }
        // dense but spread over 9 weeks
        let mut t = 0;
        for p in ["s1", "s2", "s3"] {
            for q in ["u1", "u2", "u3"] {
                k.pay(p, q, t, 100);
                t += 7 * 24 * H;
            }
        }
        let g = k.graph();
        let data = Kit::valued(&g);
        let d = BipartiteDetector::default().detect(&data);
        assert!(d.findings.is_empty(), "{:?}", d.findings);
    }
}
