//! Exact enumerations of temporal patterns, with no scoring, value
//! filters or merging: the tasks that other tools also do, so that
//! benchmarks can compare both the time and the answer (see
//! `benches/compare/`). Each is bounded by hops, a time window and a
//! result budget per start, and says when a budget cut it.
//!
//! *Ledger order* is time order with ties in input order; "later" below
//! means later in ledger order.

use crate::detect::CycleDetector;
use crate::graph::FlowGraph;
use crate::model::{AccountId, TransferId};
use crate::time::Span;
use crate::Valued;
use rayon::prelude::*;
use rust_decimal::Decimal;

/// What an enumeration found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Enumeration {
    /// Each item's transfers, in path order; items sorted by their first
    /// transfer, then lexicographically.
    pub items: Vec<Vec<TransferId>>,
    /// Whether a per-start budget cut the search (the list is then
    /// incomplete).
    pub truncated: bool,
}

/// Every time-respecting simple cycle of 2 to `max_hops` transfers (at most
/// 16) that completes within `window` of its first transfer: transfers
/// `t₁ … tₖ`, each later than the one before, each paid by the previous
/// one's payee, the last paid to the first's payer, no account twice,
/// `time(tₖ) − time(t₁) ≤ window`. Each cycle is listed once, starting at
/// its earliest transfer. Self-transfers are not cycles. At most
/// `max_per_start` cycles per first transfer.
///
/// This is the cycle detector's search (strongly connected components,
/// closing times per hop count) with every value filter and the
/// dense-network filter off.
pub fn temporal_cycles(
    data: &Valued<'_>,
    max_hops: usize,
    window: Span,
    max_per_start: usize,
) -> Enumeration {
    let detector = CycleDetector {
        min_hops: 2,
        max_hops: max_hops.clamp(2, 16),
        window,
        min_amount: Decimal::ZERO,
        min_hop_ratio: 0.0,
        max_hop_ratio: f64::INFINITY,
        min_return_share: 0.0,
        max_return_share: f64::INFINITY,
        max_degree: usize::MAX,
        max_routes_per_account: 0,
        max_cycles_per_start: max_per_start,
        max_reach_per_start: usize::MAX,
        max_steps_per_start: max_per_start.saturating_mul(1_000),
        max_findings: usize::MAX,
    };
    let (hits, truncated) = detector.cycles(data);
    let mut items: Vec<Vec<TransferId>> = hits.into_iter().map(|h| h.transfers).collect();
    items.sort_unstable();
    Enumeration { items, truncated }
}

/// The rule a chain's hops follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainRule {
    /// Fewest transfers: 2.
    pub min_hops: usize,
    /// Most transfers: 4.
    pub max_hops: usize,
    /// Longest wait between a transfer and the next: 24 hours.
    pub max_dwell: Span,
    /// The next transfer pays at least this multiple of what the previous
    /// one delivered, in the same asset: 0.9.
    pub min_ratio: Decimal,
    /// … and at most this multiple: 1.02.
    pub max_ratio: Decimal,
}

impl Default for ChainRule {
    fn default() -> ChainRule {
        ChainRule {
            min_hops: 2,
            max_hops: 4,
            max_dwell: Span::hours(24),
            min_ratio: Decimal::new(9, 1),
            max_ratio: Decimal::new(102, 2),
        }
    }
}

/// Every layering chain under `rule`: transfers `t₁ … tₖ` (`min_hops ≤ k ≤
/// max_hops`), each paid by the previous one's payee, later than it and
/// within `max_dwell` of it, in the asset the previous one delivered, for
/// `min_ratio` to `max_ratio` times the amount it delivered (exact decimal
/// comparison), no account twice. Every such path is listed, including the
/// shorter paths a longer one extends. At most `max_per_start` per first
/// transfer.
pub fn chains(graph: &FlowGraph, rule: &ChainRule, max_per_start: usize) -> Enumeration {
    let l = graph.ledger();
    let results: Vec<(Vec<Vec<TransferId>>, bool)> = (0..l.len() as u32)
        .into_par_iter()
        .with_min_len(512)
        .map(|i| {
            let start = TransferId(i);
            let (a, b) = (l.froms()[i as usize], l.tos()[i as usize]);
            if a == b {
                return (Vec::new(), false);
            }
            let mut found = Vec::new();
            let mut accounts = vec![a, b];
            let mut path = vec![start];
            let truncated = extend_chain(
                graph,
                rule,
                max_per_start,
                &mut accounts,
                &mut path,
                &mut found,
            );
            (found, truncated)
        })
        .collect();
    let truncated = results.iter().any(|(_, t)| *t);
    let mut items: Vec<Vec<TransferId>> = results.into_iter().flat_map(|(f, _)| f).collect();
    items.sort_unstable();
    Enumeration { items, truncated }
}

/// Depth-first extension; returns whether the budget was hit.
fn extend_chain(
    graph: &FlowGraph,
    rule: &ChainRule,
    budget: usize,
    accounts: &mut Vec<AccountId>,
    path: &mut Vec<TransferId>,
    found: &mut Vec<Vec<TransferId>>,
) -> bool {
    if path.len() >= rule.max_hops {
        return false;
    }
    let l = graph.ledger();
    let last = path[path.len() - 1];
    let i = last.index();
    let (u, t) = (l.tos()[i], l.times_us()[i]);
    let (delivered, asset) = (l.amounts_received()[i], l.assets_received()[i]);
    let (lo, hi) = (delivered * rule.min_ratio, delivered * rule.max_ratio);
    let out = graph.outgoing(u, t..=t.saturating_add(rule.max_dwell.micros()));
    for (&x, &w) in out.transfer.iter().zip(out.peer) {
        let j = x.index();
        if x <= last || accounts.contains(&w) || l.assets_paid()[j] != asset {
            continue;
        }
        let paid = l.amounts_paid()[j];
        if paid < lo || paid > hi {
            continue;
        }
        path.push(x);
        accounts.push(w);
        if path.len() >= rule.min_hops {
            if found.len() >= budget {
                path.pop();
                accounts.pop();
                return true;
            }
            found.push(path.clone());
        }
        let cut = extend_chain(graph, rule, budget, accounts, path, found);
        path.pop();
        accounts.pop();
        if cut {
            return true;
        }
    }
    false
}

/// [`reachable`] for many seeds in parallel, in the seeds' order.
pub fn reach_from(
    graph: &FlowGraph,
    seeds: &[AccountId],
    window: Span,
    max_hops: usize,
) -> Vec<Vec<(AccountId, TransferId)>> {
    use rayon::prelude::*;
    seeds
        .par_iter()
        .map(|&s| reachable(graph, s, window, max_hops))
        .collect()
}

/// Every account a seed's money can reach along time-respecting paths of
/// at most `max_hops` transfers, all within `window` of the seed's first
/// payment, with the earliest transfer (in ledger order) by which it is
/// reached; sorted by account. The seed itself is left out.
///
/// Earliest arrival per hop count dominates later ones, so one pass per
/// hop, relaxing only the accounts whose arrival improved, is exact; a
/// walk that revisits an account can always be cut to a path, so walks and
/// paths reach the same accounts.
pub fn reachable(
    graph: &FlowGraph,
    seed: AccountId,
    window: Span,
    max_hops: usize,
) -> Vec<(AccountId, TransferId)> {
    let l = graph.ledger();
    let out = graph.outgoing(seed, ..);
    let Some(&first) = out.transfer.first() else {
        return Vec::new();
    };
    let deadline = l.times_us()[first.index()].saturating_add(window.micros());
    let mut best: std::collections::BTreeMap<AccountId, TransferId> = Default::default();
    // (account, arrival): the seed can pay from its first payment on
    let mut frontier: Vec<(AccountId, Option<TransferId>)> = vec![(seed, None)];
    for _ in 0..max_hops {
        let mut next: Vec<(AccountId, Option<TransferId>)> = Vec::new();
        for &(u, arrival) in &frontier {
            let from = arrival.map_or(l.times_us()[first.index()], |a| l.times_us()[a.index()]);
            let adj = graph.outgoing(u, from..=deadline);
            for (&x, &v) in adj.transfer.iter().zip(adj.peer) {
                if arrival.is_some_and(|a| x <= a) || v == seed {
                    continue;
                }
                let improves = best.get(&v).is_none_or(|&b| x < b);
                if improves {
                    best.insert(v, x);
                    next.push((v, Some(x)));
                }
            }
        }
        if next.is_empty() {
            break;
        }
        // keep each account's earliest arrival of this round only
        next.sort_unstable();
        next.dedup_by_key(|e| e.0);
        frontier = next;
    }
    best.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testkit::{Kit, H};

    #[test]
    fn cycles_are_every_time_respecting_simple_cycle() {
        let mut k = Kit::new();
        k.pay("a", "b", 0, 100)
            .pay("b", "c", H, 5) // any value: no filters
            .pay("c", "a", 2 * H, 7)
            .pay("b", "a", 3 * H, 1) // a 2-cycle a → b → a
            .pay("c", "a", 100 * H, 1); // too late for a 1-day window
        let g = k.graph();
        let data = Kit::valued(&g);
        let e = temporal_cycles(&data, 4, Span::days(1), 1000);
        let got: Vec<Vec<u32>> = e
            .items
            .iter()
            .map(|c| c.iter().map(|t| t.0).collect())
            .collect();
        assert_eq!(got, vec![vec![0, 1, 2], vec![0, 3]]);
        assert!(!e.truncated);
    }

    #[test]
    fn chains_list_every_path_that_keeps_the_rule() {
        let mut k = Kit::new();
        k.pay("a", "b", 0, 1000)
            .pay("b", "c", H, 950)
            .pay("c", "d", 2 * H, 940)
            .pay("b", "e", 3 * H, 500) // keeps too little
            .pay("c", "d", 30 * H, 930); // waits too long
        let g = k.graph();
        let e = chains(&g, &ChainRule::default(), 100);
        let got: Vec<Vec<u32>> = e
            .items
            .iter()
            .map(|c| c.iter().map(|t| t.0).collect())
            .collect();
        assert_eq!(got, vec![vec![0, 1], vec![0, 1, 2], vec![1, 2]]);
        let cut = chains(&g, &ChainRule::default(), 1);
        assert!(cut.truncated);
    }

    #[test]
    fn reach_follows_time_and_hops() {
        let mut k = Kit::new();
        k.pay("s", "a", H, 10)
            .pay("a", "b", 2 * H, 10)
            .pay("b", "c", 3 * H, 10)
            .pay("c", "d", 4 * H, 10) // a fourth hop
            .pay("x", "a", 0, 10) // before: irrelevant
            .pay("b", "a", 30 * H, 10) // beyond a 1-day window
            .pay("s", "e", 5 * H, 10)
            .pay("e", "b", 6 * H, 10); // b again, later than via a
        let g = k.graph();
        let l = g.ledger();
        let s = l.account_id("s").unwrap();
        let got: Vec<(String, u32)> = reachable(&g, s, Span::days(1), 3)
            .into_iter()
            .map(|(a, t)| (l.account(a).key.clone(), t.0))
            .collect();
        let key = |n: &str| l.account_id(n).unwrap();
        let mut expected = vec![
            (key("a"), "a", 1u32),
            (key("b"), "b", 2),
            (key("c"), "c", 3),
            (key("e"), "e", 5),
        ];
        expected.sort();
        let expected: Vec<(String, u32)> = expected
            .into_iter()
            .map(|(_, n, t)| (n.to_string(), t))
            .collect();
        assert_eq!(
            got, expected,
            "d is four hops away; b is reached first via a"
        );
    }

    /// All cycles by brute force over transfer sequences.
    fn brute_force(g: &FlowGraph, max_hops: usize, window: i64) -> Vec<Vec<u32>> {
        let l = g.ledger();
        let n = l.len();
        let mut out = Vec::new();
        let mut stack: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
        while let Some(p) = stack.pop() {
            let first = p[0];
            let last = p[p.len() - 1];
            let start = l.froms()[first];
            if l.tos()[first] == start {
                continue;
            }
            if p.len() >= 2 && l.tos()[last] == start {
                out.push(p.iter().map(|&i| i as u32).collect());
                continue;
            }
            if p.len() == max_hops {
                continue;
            }
            for j in last + 1..n {
                let next_to = l.tos()[j];
                let seen = p.iter().any(|&i| l.froms()[i] == next_to) && next_to != start;
                if l.froms()[j] == l.tos()[last]
                    && next_to != l.froms()[j]
                    && !seen
                    && l.times_us()[j] - l.times_us()[first] <= window
                {
                    let mut q = p.clone();
                    q.push(j);
                    stack.push(q);
                }
            }
        }
        out.sort_unstable();
        out
    }

    /// Earliest arrivals by enumerating every time-respecting walk.
    fn brute_reach(
        g: &FlowGraph,
        seed: AccountId,
        window: i64,
        hops: usize,
    ) -> Vec<(AccountId, TransferId)> {
        let l = g.ledger();
        let firsts: Vec<usize> = (0..l.len()).filter(|&i| l.froms()[i] == seed).collect();
        let Some(&first) = firsts.first() else {
            return Vec::new();
        };
        let deadline = l.times_us()[first] + window;
        let mut best: std::collections::BTreeMap<AccountId, TransferId> = Default::default();
        let mut stack: Vec<(usize, usize)> = firsts
            .iter()
            .filter(|&&i| l.times_us()[i] <= deadline)
            .map(|&i| (i, 1))
            .collect();
        while let Some((i, depth)) = stack.pop() {
            let v = l.tos()[i];
            if v != seed {
                let e = best.entry(v).or_insert(TransferId(i as u32));
                if TransferId(i as u32) < *e {
                    *e = TransferId(i as u32);
                }
            }
            if depth == hops {
                continue;
            }
            for j in i + 1..l.len() {
                if l.froms()[j] == v && l.times_us()[j] <= deadline && l.tos()[j] != seed {
                    stack.push((j, depth + 1));
                }
            }
        }
        best.into_iter().collect()
    }

    proptest::proptest! {
        #[test]
        fn reach_equals_a_brute_force_search(
            edges in proptest::collection::vec((0u8..6, 0u8..6, 0u8..40), 1..30),
            hops in 1usize..5,
            window_hours in 1i64..30,
        ) {
            let g = Kit::hourly(&edges, 10);
            let seed = g.ledger().froms()[0];
            proptest::prop_assert_eq!(
                reachable(&g, seed, Span::hours(window_hours), hops),
                brute_reach(&g, seed, window_hours * H, hops)
            );
        }

        #[test]
        fn cycles_equal_a_brute_force_search(
            edges in proptest::collection::vec((0u8..6, 0u8..6, 0u8..40), 1..30),
            max_hops in 2usize..5,
            window_hours in 1i64..30,
        ) {
            let g = Kit::hourly(&edges, 10);
            let data = Kit::valued(&g);
            let e = temporal_cycles(&data, max_hops, Span::hours(window_hours), 1_000_000);
            let got: Vec<Vec<u32>> = e.items.iter().map(|c| c.iter().map(|t| t.0).collect()).collect();
            proptest::prop_assert_eq!(got, brute_force(&g, max_hops, window_hours * H));
        }
    }
}
