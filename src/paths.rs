//! Time-respecting paths between two accounts.
//!
//! A path is a sequence of transfers `from → a₁ → … → to`, each later than
//! the one before (equal timestamps count in input order), all within a
//! window of the first, visiting no account twice, at most `max_hops`
//! long, each hop worth at least `min_amount` and at least
//! `min_retention` of the previous hop. Its **bottleneck** is the smallest
//! hop value: the most that could have flowed along it.
//!
//! The search runs in parallel over the first hop. A backward
//! breadth-first pass from `to` gives each account's hop distance to it,
//! so the forward search only enters accounts that can still arrive within
//! the hop bound.

use crate::model::{AccountId, TransferId};
use crate::time::Span;
use crate::valued::Valued;
use rayon::prelude::*;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use std::collections::VecDeque;
use std::ops::Bound;

/// Bounds of a path search.
#[derive(Debug, Clone, PartialEq)]
pub struct PathOptions {
    /// Most transfers in a path: 6.
    pub max_hops: usize,
    /// The whole path within this of its first transfer: 30 days.
    pub window: Span,
    /// Smallest value of each hop, in the reporting currency: 0.
    pub min_amount: Decimal,
    /// Smallest share of the previous hop's value each hop carries: 0
    /// (no constraint).
    pub min_retention: f64,
    /// Most paths returned: 100. Paths are sorted shortest first, then by
    /// first time; when more exist, the result is marked truncated.
    pub limit: usize,
    /// Search steps per first hop: 200,000.
    pub max_steps_per_start: usize,
    /// Only paths whose first transfer is at or after this time
    /// (microseconds since the epoch): none.
    pub since_us: Option<i64>,
    /// Only paths whose first transfer is before this time: none.
    pub until_us: Option<i64>,
}

impl PathOptions {
    /// The time every transfer of every path found lies in: from `since`
    /// to `until` plus the window (open where they are not set). Data
    /// outside it cannot change the paths found, so a store need not read
    /// it.
    ///
    /// ```
    /// use moneytrail::paths::PathOptions;
    /// use moneytrail::time::{Span, DAY};
    /// let o = PathOptions { since_us: Some(10 * DAY), until_us: Some(12 * DAY), window: Span::days(3), ..PathOptions::default() };
    /// assert_eq!(o.horizon(), (Some(10 * DAY), Some(15 * DAY)));
    /// ```
    pub fn horizon(&self) -> (Option<i64>, Option<i64>) {
        (
            self.since_us,
            self.until_us
                .map(|u| u.saturating_add(self.window.micros())),
        )
    }
}

impl Default for PathOptions {
    fn default() -> PathOptions {
        PathOptions {
            max_hops: 6,
            window: Span::days(30),
            min_amount: Decimal::ZERO,
            min_retention: 0.0,
            limit: 100,
            max_steps_per_start: 200_000,
            since_us: None,
            until_us: None,
        }
    }
}

/// One path.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    /// Accounts from `from` to `to`.
    pub accounts: Vec<AccountId>,
    /// Its transfers in order.
    pub transfers: Vec<TransferId>,
    /// Smallest hop value (reporting currency).
    pub bottleneck: Decimal,
}

/// The result of a search.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PathSearch {
    /// Paths, shortest first, then by time.
    pub paths: Vec<Path>,
    /// Whether a budget cut the search or the list.
    pub truncated: bool,
}

/// Find time-respecting paths from `from` to `to`.
///
/// # Example
///
/// ```
/// use moneytrail::{FlowGraph, LedgerBuilder, NewTransfer, Valued, paths::{find_paths, PathOptions}};
/// use rust_decimal::Decimal;
/// let mut b = LedgerBuilder::new();
/// let (a, m, z) = (b.account("a"), b.account("m"), b.account("z"));
/// let usd = b.asset("USD").unwrap();
/// b.push(NewTransfer::simple(1, a, m, Decimal::from(100), usd, 0));
/// b.push(NewTransfer::simple(2, m, z, Decimal::from(60), usd, 1));
/// b.push(NewTransfer::simple(0, m, z, Decimal::from(90), usd, 2)); // too early
/// let g = FlowGraph::new(b.finish().unwrap());
/// let data = Valued::implied(&g, "USD");
/// let found = find_paths(&data, a, z, &PathOptions::default());
/// assert_eq!(found.paths.len(), 1);
/// assert_eq!(found.paths[0].bottleneck, Decimal::from(60));
/// ```
///
/// # Complexity
///
/// Exponential in `max_hops` in the worst case; bounded per first hop by
/// `max_steps_per_start` and in all by `limit`.
pub fn find_paths(
    data: &Valued<'_>,
    from: AccountId,
    to: AccountId,
    options: &PathOptions,
) -> PathSearch {
    let g = data.graph;
    if from == to || from.index() >= g.account_count() || to.index() >= g.account_count() {
        return PathSearch::default();
    }
    let max_hops = options.max_hops.max(1);
    // backward hop distances to `to`
    let mut dist: FxHashMap<AccountId, u8> = FxHashMap::default();
    dist.insert(to, 0);
    let mut queue = VecDeque::from([to]);
    while let Some(u) = queue.pop_front() {
        let du = dist[&u];
        if usize::from(du) + 1 >= max_hops {
            continue;
        }
        for &w in g.incoming(u, ..).peer {
            if let std::collections::hash_map::Entry::Vacant(e) = dist.entry(w) {
                e.insert(du + 1);
                queue.push_back(w);
            }
        }
    }
    let starts = (
        options.since_us.map_or(Bound::Unbounded, Bound::Included),
        options.until_us.map_or(Bound::Unbounded, Bound::Excluded),
    );
    let firsts = g.outgoing(from, starts);
    let results: Vec<(Vec<Path>, bool)> = firsts
        .transfer
        .par_iter()
        .zip(firsts.peer.par_iter())
        .map(|(&x, &w)| {
            if data.value[x.index()] < options.min_amount {
                return (Vec::new(), false);
            }
            let mut search = Search {
                data,
                options,
                dist: &dist,
                to,
                deadline: data.time(x).saturating_add(options.window.micros()),
                accounts: vec![from, w],
                transfers: vec![x],
                found: Vec::new(),
                steps: 0,
                truncated: false,
            };
            if w == to {
                search.record();
            } else if dist.get(&w).is_some_and(|&d| usize::from(d) < max_hops) {
                search.extend();
            }
            (search.found, search.truncated)
        })
        .collect();
    let mut truncated = results.iter().any(|(_, t)| *t);
    let mut paths: Vec<Path> = results.into_iter().flat_map(|(p, _)| p).collect();
    paths.sort_by(|a, b| (a.transfers.len(), &a.transfers).cmp(&(b.transfers.len(), &b.transfers)));
    if paths.len() > options.limit {
        paths.truncate(options.limit);
        truncated = true;
    }
    PathSearch { paths, truncated }
}

struct Search<'a, 'g> {
    data: &'a Valued<'g>,
    options: &'a PathOptions,
    dist: &'a FxHashMap<AccountId, u8>,
    to: AccountId,
    deadline: i64,
    accounts: Vec<AccountId>,
    transfers: Vec<TransferId>,
    found: Vec<Path>,
    steps: usize,
    truncated: bool,
}

impl Search<'_, '_> {
    fn record(&mut self) {
        let bottleneck = self
            .transfers
            .iter()
            .map(|t| self.data.value[t.index()])
            .min()
            .unwrap_or(Decimal::ZERO);
        self.found.push(Path {
            accounts: self.accounts.clone(),
            transfers: self.transfers.clone(),
            bottleneck,
        });
    }

    fn extend(&mut self) {
        let g = self.data.graph;
        let last = self.transfers[self.transfers.len() - 1];
        let u = self.accounts[self.accounts.len() - 1];
        let t = self.data.time(last);
        let depth = self.transfers.len();
        let before = self.data.value_f64[last.index()];
        let out = g.outgoing(u, t..=self.deadline);
        for (&x, &w) in out.transfer.iter().zip(out.peer) {
            if x <= last || self.accounts.contains(&w) {
                continue;
            }
            self.steps += 1;
            if self.steps > self.options.max_steps_per_start
                || self.found.len() > self.options.limit
            {
                self.truncated = true;
                return;
            }
            if self.data.value[x.index()] < self.options.min_amount
                || self.data.value_f64[x.index()] < self.options.min_retention * before
            {
                continue;
            }
            let Some(&dw) = self.dist.get(&w) else {
                continue;
            };
            if depth + 1 + usize::from(dw) > self.options.max_hops {
                continue;
            }
            self.accounts.push(w);
            self.transfers.push(x);
            if w == self.to {
                self.record();
            } else {
                self.extend();
            }
            self.accounts.pop();
            self.transfers.pop();
            if self.truncated {
                return;
            }
        }
    }
}

/// Why a search found no path, and what to try: the nearest path under
/// the same bounds but more hops (up to twice `max_hops`, at least 12);
/// else one with a window as long as the data; else one without the value
/// bounds; else whether `to` can be reached at all when time order is
/// ignored. Each retry is a bounded search like [`find_paths`].
///
/// ```
/// use moneytrail::{FlowGraph, LedgerBuilder, NewTransfer, Valued};
/// use moneytrail::paths::{find_paths, why_no_path, PathOptions};
/// use rust_decimal::Decimal;
/// let mut b = LedgerBuilder::new();
/// let keys = ["a", "b", "c", "d"];
/// let ids: Vec<_> = keys.iter().map(|k| b.account(k)).collect();
/// let usd = b.asset("USD").unwrap();
/// for i in 0..3 {
///     b.push(NewTransfer::simple(i as i64, ids[i], ids[i + 1], Decimal::TEN, usd, i as u32));
/// }
/// let g = FlowGraph::new(b.finish().unwrap());
/// let data = Valued::implied(&g, "USD");
/// let two_hops = PathOptions { max_hops: 2, ..PathOptions::default() };
/// assert!(find_paths(&data, ids[0], ids[3], &two_hops).paths.is_empty());
/// let why = why_no_path(&data, ids[0], ids[3], &two_hops);
/// assert_eq!(why, "the nearest path within 30d has 3 hops: try --max-hops 3");
/// ```
pub fn why_no_path(
    data: &Valued<'_>,
    from: AccountId,
    to: AccountId,
    options: &PathOptions,
) -> String {
    let g = data.graph;
    if from == to {
        return "the two accounts are the same".to_string();
    }
    let most = (options.max_hops * 2).max(12);
    let probe = |o: PathOptions| find_paths(data, from, to, &PathOptions { limit: 1, ..o });
    if options.since_us.is_some() || options.until_us.is_some() {
        let any_start = probe(PathOptions {
            since_us: None,
            until_us: None,
            ..options.clone()
        });
        if let Some(p) = any_start.paths.first() {
            return format!(
                "a path exists whose first transfer, at {}, is outside --since/--until",
                crate::time::to_rfc3339(data.time(p.transfers[0]))
            );
        }
    }
    for hops in options.max_hops + 1..=most {
        let found = probe(PathOptions {
            max_hops: hops,
            ..options.clone()
        });
        if !found.paths.is_empty() {
            return format!(
                "the nearest path within {} has {hops} hops: try --max-hops {hops}",
                options.window
            );
        }
    }
    let whole = Span(data.span_us.max(options.window.micros()));
    let longer = probe(PathOptions {
        max_hops: most,
        window: whole,
        ..options.clone()
    });
    if let Some(p) = longer.paths.first() {
        let (first, last) = (
            data.time(p.transfers[0]),
            data.time(p.transfers[p.transfers.len() - 1]),
        );
        let needed = Span(last - first + 1);
        return format!(
            "a path of {} hops exists over {}, longer than the window: try --window {} --max-hops {}",
            p.transfers.len(),
            crate::format::span_words(needed.micros()),
            Span((needed.micros() + crate::time::DAY - 1) / crate::time::DAY * crate::time::DAY),
            p.transfers.len().max(options.max_hops)
        );
    }
    if options.min_amount > Decimal::ZERO || options.min_retention > 0.0 {
        let unbounded = probe(PathOptions {
            max_hops: most,
            window: whole,
            min_amount: Decimal::ZERO,
            min_retention: 0.0,
            ..options.clone()
        });
        if !unbounded.paths.is_empty() {
            return "paths exist only with smaller hops: lower --min-amount or --min-retention"
                .to_string();
        }
    }
    // breadth-first over transfers in any order
    let mut seen = vec![false; g.account_count()];
    let mut frontier = vec![from];
    seen[from.index()] = true;
    let mut hops = 0;
    while !frontier.is_empty() {
        hops += 1;
        let mut next = Vec::new();
        for u in frontier {
            for &w in g.outgoing(u, ..).peer {
                if w == to {
                    return format!(
                        "money can reach it in {hops} hops only out of time order (a hop before the one that funds it), so no time-respecting path exists"
                    );
                }
                if !seen[w.index()] {
                    seen[w.index()] = true;
                    next.push(w);
                }
            }
        }
        frontier = next;
    }
    "no chain of transfers leads from one to the other, in any order".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testkit::{Kit, H};
    use proptest::prelude::*;

    #[test]
    fn finds_a_path_exactly_max_hops_long() {
        let mut k = Kit::new();
        for i in 0..6 {
            k.pay(&format!("c{i}"), &format!("c{}", i + 1), i * H, 100);
        }
        let g = k.graph();
        let data = Kit::valued(&g);
        let l = g.ledger();
        let (a, z) = (l.account_id("c0").unwrap(), l.account_id("c6").unwrap());
        let found = find_paths(
            &data,
            a,
            z,
            &PathOptions {
                max_hops: 6,
                ..PathOptions::default()
            },
        );
        assert_eq!(found.paths.len(), 1);
        assert_eq!(found.paths[0].transfers.len(), 6);
        assert!(find_paths(
            &data,
            a,
            z,
            &PathOptions {
                max_hops: 5,
                ..PathOptions::default()
            }
        )
        .paths
        .is_empty());
    }

    #[test]
    fn shortest_first_with_bottlenecks_and_constraints() {
        let mut k = Kit::new();
        k.pay("a", "z", 5 * H, 10); // direct
        k.pay("a", "m", H, 100).pay("m", "z", 2 * H, 80); // two hops
        k.pay("a", "p", H, 100)
            .pay("p", "q", 2 * H, 95)
            .pay("q", "z", 3 * H, 90); // three
        k.pay("a", "r", 3 * H, 100).pay("r", "z", 2 * H, 100); // wrong order
        let g = k.graph();
        let data = Kit::valued(&g);
        let (a, z) = (
            g.ledger().account_id("a").unwrap(),
            g.ledger().account_id("z").unwrap(),
        );
        let found = find_paths(&data, a, z, &PathOptions::default());
        let hops: Vec<usize> = found.paths.iter().map(|p| p.transfers.len()).collect();
        assert_eq!(hops, [1, 2, 3]);
        let bottlenecks: Vec<Decimal> = found.paths.iter().map(|p| p.bottleneck).collect();
        assert_eq!(
            bottlenecks,
            [Decimal::from(10), Decimal::from(80), Decimal::from(90)]
        );
        let big = find_paths(
            &data,
            a,
            z,
            &PathOptions {
                min_amount: Decimal::from(50),
                ..PathOptions::default()
            },
        );
        assert_eq!(big.paths.len(), 2);
        let kept = find_paths(
            &data,
            a,
            z,
            &PathOptions {
                min_retention: 0.9,
                ..PathOptions::default()
            },
        );
        assert_eq!(kept.paths.len(), 2, "80 of 100 is below 90%");
        let short = find_paths(
            &data,
            a,
            z,
            &PathOptions {
                max_hops: 2,
                ..PathOptions::default()
            },
        );
        assert_eq!(short.paths.len(), 2);
        let one = find_paths(
            &data,
            a,
            z,
            &PathOptions {
                limit: 1,
                ..PathOptions::default()
            },
        );
        assert!(one.truncated && one.paths.len() == 1);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn every_path_is_time_respecting_and_parallel_equals_serial(
            edges in prop::collection::vec((0u8..7, 0u8..7, 0u8..40), 1..60)
        ) {
            let mut k = Kit::new();
            for &(a, b, t) in &edges {
                k.pay(&format!("n{a}"), &format!("n{b}"), i64::from(t) * H, 100);
            }
            let g = k.graph();
            let data = Kit::valued(&g);
            let l = g.ledger();
            let (Some(from), Some(to)) = (l.account_id("n0"), l.account_id("n1")) else { return Ok(()) };
            let options = PathOptions { max_hops: 4, window: Span::hours(30), ..PathOptions::default() };
            let found = find_paths(&data, from, to, &options);
            for p in &found.paths {
                prop_assert_eq!(p.accounts.len(), p.transfers.len() + 1);
                prop_assert_eq!(p.accounts[0], from);
                prop_assert_eq!(*p.accounts.last().unwrap(), to);
                for (i, &t) in p.transfers.iter().enumerate() {
                    prop_assert_eq!(l.froms()[t.index()], p.accounts[i]);
                    prop_assert_eq!(l.tos()[t.index()], p.accounts[i + 1]);
                    if i > 0 { prop_assert!(t > p.transfers[i - 1]); }
                }
                let span = l.times_us()[p.transfers[p.transfers.len() - 1].index()] - l.times_us()[p.transfers[0].index()];
                prop_assert!(span <= 30 * H);
            }
            let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap().install(|| find_paths(&data, from, to, &options));
            prop_assert_eq!(one, found);
        }

        /// Paths with their first transfer in [since, until) are the
        /// unbounded search's paths that start there, and the same found in
        /// only the transfers of the horizon (as a store reads them).
        #[test]
        fn bounded_starts_find_the_paths_starting_there_in_the_horizon_alone(
            edges in prop::collection::vec((0u8..7, 0u8..7, 0u8..40), 1..60),
            since in proptest::option::of(0i64..40),
            length in proptest::option::of(0i64..20),
        ) {
            let pay = |k: &mut Kit, keep: &dyn Fn(i64) -> bool| {
                for &(a, b, t) in &edges {
                    let t = i64::from(t) * H;
                    if keep(t) {
                        k.pay(&format!("n{a}"), &format!("n{b}"), t, 100);
                    }
                }
                // both ends known even when the horizon holds none of theirs
                k.pay("n0", "z", 1000 * H, 1);
                k.pay("n1", "z", 1000 * H, 1);
            };
            let window = Span::hours(30);
            let options = PathOptions {
                max_hops: 4,
                window,
                limit: 10_000,
                since_us: since.map(|s| s * H),
                until_us: since.zip(length).map(|(s, n)| (s + n) * H),
                ..PathOptions::default()
            };
            let (lo, hi) = options.horizon();
            let in_horizon = |t: i64| lo.is_none_or(|lo| t >= lo) && hi.is_none_or(|hi| t < hi);
            let (mut whole, mut part) = (Kit::new(), Kit::new());
            pay(&mut whole, &|_| true);
            pay(&mut part, &|t| in_horizon(t) && t < 1000 * H);
            let (gw, gp) = (whole.graph(), part.graph());
            let (dw, dp) = (Kit::valued(&gw), Kit::valued(&gp));
            let ends = |g: &crate::graph::FlowGraph| {
                let l = g.ledger();
                (l.account_id("n0").unwrap(), l.account_id("n1").unwrap())
            };
            let unbounded = find_paths(&dw, ends(&gw).0, ends(&gw).1, &PathOptions { since_us: None, until_us: None, ..options.clone() });
            let starts = |l: &crate::Ledger, p: &Path| {
                let t = l.times_us()[p.transfers[0].index()];
                options.since_us.is_none_or(|s| t >= s) && options.until_us.is_none_or(|u| t < u)
            };
            let times = |l: &crate::Ledger, paths: &[Path]| -> Vec<Vec<(i64, String, String)>> {
                paths.iter().map(|p| p.transfers.iter().map(|t| {
                    let x = t.index();
                    (l.times_us()[x], l.account(l.froms()[x]).key.clone(), l.account(l.tos()[x]).key.clone())
                }).collect()).collect()
            };
            let expected: Vec<Path> = unbounded.paths.iter().filter(|p| starts(gw.ledger(), p)).cloned().collect();
            let bounded = find_paths(&dw, ends(&gw).0, ends(&gw).1, &options);
            prop_assert_eq!(&bounded.paths, &expected);
            let alone = find_paths(&dp, ends(&gp).0, ends(&gp).1, &options);
            prop_assert_eq!(times(gp.ledger(), &alone.paths), times(gw.ledger(), &expected));
        }
    }
}
