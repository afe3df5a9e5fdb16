//! `cycle`: round-tripping along a time-respecting cycle.
//!
//! The search follows the temporal-cycle methods of Kumar & Calders
//! (2SCENT, "Finding simple temporal cycles in an interaction network",
//! 2018) and Blanuša et al. ("Scalable fine-grained parallel cycle
//! enumeration algorithms", 2022), adapted to a hop bound:
//!
//! * **parallel over start transfers**: every cycle is found exactly once,
//!   from its earliest transfer, by the rayon task that owns that transfer;
//! * **split by strongly connected components**: a transfer whose ends lie
//!   in different SCCs of the static graph can be on no cycle;
//! * **prune by closing times**: before searching from a start transfer
//!   `s → v` at `t0`, a backward pass from `s` over the transfers inside
//!   `[t0, t0 + window]`, layer by layer, gives each account, per hop
//!   count `d`, the latest transfer that starts a time-respecting path of
//!   `d` transfers back to `s` (2SCENT's closing times, per hop count
//!   because the hop bound and the value floor depend on it). The forward
//!   search enters an account only when it can still close the cycle
//!   after the transfer that reached it, within the hops left. The tables
//!   live in per-thread dense slots, reused from start to start;
//! * accounts with more than `max_degree` transfers (processors, big
//!   merchants, exchanges) are not part of any cycle searched;
//! * each hop carries between `min_hop_ratio` and `max_hop_ratio` of the
//!   previous hop's value, and the backward pass skips transfers too small
//!   to be on a cycle that returns `min_return_share` of its start;
//! * the forward search is a depth-first search over time-respecting
//!   transfers: each hop is later than the one before (equal timestamps
//!   count when the input lists them in that order, as minute-resolution
//!   data needs), no account is visited twice.
//!
//! Cycles over the same accounts in the same order whose times overlap
//! (parallel transfers, repeats) are merged into one finding. Cycles
//! through an account that lies on more than `max_routes_per_account`
//! distinct routes (a dense trading network) are left out.

use super::marks::{grow, Marks};
use super::{finish, span_words, Detection, Finding, Typology, Valued};
use crate::model::{AccountId, TransferId};
use crate::time::Span;
use rayon::prelude::*;
use rust_decimal::Decimal;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

/// Finds time-respecting cycles of `min_hops..=max_hops` transfers that
/// complete within `window`.
///
/// **Amount**: the value that left the start account. **Returned share**:
/// value that came back to it ÷ value that left.
///
/// **Score** = 0.6·closeness + 0.2·[hops ≥ 3] + 0.2·(1 − span/window), where
/// closeness is the returned share, or its inverse when above 1: money that
/// comes back almost whole, through several hands, quickly, is what
/// round-tripping looks like.
///
/// # Example
///
/// ```
/// use moneytrail::detect::CycleDetector;
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
/// // 1,000 leaves a, passes three hands in three hours, 970 comes back
/// pay("a", "b", 0, 1_000);
/// pay("b", "c", 1, 990);
/// pay("c", "d", 2, 980);
/// pay("d", "a", 3, 970);
/// // not time-respecting: the closing transfer is older than the middle one
/// pay("x", "y", 0, 1_000);
/// pay("y", "z", 5, 990);
/// pay("z", "x", 2, 980);
/// let graph = FlowGraph::new(b.finish().unwrap());
/// let found = CycleDetector::default().detect(&Valued::implied(&graph, "USD"));
/// assert_eq!(found.findings.len(), 1);
/// let cycle = &found.findings[0];
/// assert_eq!(cycle.transfers.len(), 4);
/// assert!(cycle.explanation.contains("4-hop cycle a → b → c → d → a"));
/// assert!(cycle.explanation.contains("97% came back"));
/// ```
///
/// # Complexity
///
/// Exponential in `max_hops` in the worst case (as any cycle enumeration);
/// bounded by `max_cycles_per_start` and `max_steps_per_start` per start
/// transfer and by `max_findings` in all. Memory per worker: the accounts
/// within `max_hops` of the start inside the window.
///
/// # References
///
/// - D. B. Johnson, *Finding all the elementary circuits of a directed
///   graph*, SIAM J. Comput. 4(1), 1975
///   ([doi:10.1137/0204007](https://doi.org/10.1137/0204007)): the
///   blocked-set search the forward pass follows.
/// - R. Kumar and T. Calders, *2SCENT: An Efficient Algorithm to Enumerate
///   All Simple Temporal Cycles*, PVLDB 11(11), 2018
///   ([doi:10.14778/3236187.3236197](https://doi.org/10.14778/3236187.3236197)):
///   the backward pass of closing times that prunes the forward search.
/// - J. Blanuša, K. Atasu and P. Ienne, *Fast Parallel Algorithms for
///   Enumeration of Simple, Temporal, and Hop-Constrained Cycles*
///   ([arXiv:2301.01068](https://arxiv.org/abs/2301.01068)): parallelism
///   over start edges, each cycle found once from its earliest transfer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CycleDetector {
    /// Fewest transfers in a cycle: 2 (A → B → A).
    pub min_hops: usize,
    /// Most transfers in a cycle: 12 (AMLworld's planted cycles in
    /// HI-Small have up to 12 hops: 11 of 54 have 10–12); at most 16.
    pub max_hops: usize,
    /// The whole cycle completes within: 4 days (AMLworld's planted
    /// cycles span at most 96 hours).
    pub window: Span,
    /// Smallest value of the start transfer, in the reporting currency:
    /// 100 (round-tripping small change is not worth an analyst's time, and
    /// with the value bounds below it prunes the search hard).
    pub min_amount: Decimal,
    /// Each hop carries at least this share of the previous hop's value:
    /// 0.25. With `max_hop_ratio` it keeps the search on one sum of money
    /// moving round, not on any chain of unrelated payments. Measured on
    /// AMLworld's planted cycles (values in USD), 0.25–4 keeps all that
    /// the search finds without bounds; 0.5–2 loses one in nine.
    pub min_hop_ratio: f64,
    /// Each hop carries at most this multiple of the previous hop's value: 4.
    pub max_hop_ratio: f64,
    /// Smallest share of the value that must come back: 0.5. Honest
    /// cycles (a refund, a payment for goods) return a small or unrelated
    /// amount; round-tripped money comes back nearly whole.
    pub min_return_share: f64,
    /// Largest share that may come back: 1.5 (more than came in is new
    /// money, not the same money).
    pub max_return_share: f64,
    /// Accounts with more transfers than this (in and out, whole data) are
    /// neither starts nor stops of a cycle: 1,000. Payment processors, big
    /// merchants and exchanges close countless honest cycles, and searching
    /// through them costs more than the rest of the graph together.
    pub max_degree: usize,
    /// Accounts on more than this many distinct cycle routes (account
    /// sequences, whatever the start) are part of a dense trading network
    /// — suppliers and group companies paying each other similar sums —
    /// and the cycles through them are not reported: 16 (0: no limit).
    /// The laundering accounts of AMLworld's planted cycles lie on at most
    /// 12 routes each; on the training generator's honest supplier
    /// networks most cycle accounts lie on 30 or more.
    pub max_routes_per_account: usize,
    /// Cycles kept per start transfer before stopping: 64.
    pub max_cycles_per_start: usize,
    /// Accounts (per distance layer) the backward pass may reach from one
    /// start before giving up on it (and reporting truncation): 2,000.
    pub max_reach_per_start: usize,
    /// Search steps per start transfer before stopping: 5,000. These two
    /// budgets bound the cost of dense honest networks (suppliers paying
    /// each other similar sums), where a start can reach most of the graph.
    pub max_steps_per_start: usize,
    /// Findings in all: 100,000.
    pub max_findings: usize,
}

impl Default for CycleDetector {
    fn default() -> CycleDetector {
        CycleDetector {
            min_hops: 2,
            max_hops: 12,
            window: Span::days(4),
            min_amount: Decimal::from(100),
            min_hop_ratio: 0.25,
            max_hop_ratio: 4.0,
            min_return_share: 0.5,
            max_return_share: 1.5,
            max_degree: 1_000,
            max_routes_per_account: 16,
            max_cycles_per_start: 64,
            max_reach_per_start: 2_000,
            max_steps_per_start: 5_000,
            max_findings: 100_000,
        }
    }
}

/// One cycle: accounts from the start, and its transfers in order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Hit {
    pub(crate) accounts: Vec<AccountId>,
    pub(crate) transfers: Vec<TransferId>,
}

impl super::Detector for CycleDetector {
    fn typologies(&self) -> &'static [Typology] {
        &[Typology::Cycle]
    }

    fn detect(&self, data: &Valued<'_>) -> Detection {
        CycleDetector::detect(self, data)
    }

    fn reach(&self) -> Option<i64> {
        Some(self.window.micros())
    }

    fn lookback(&self) -> i64 {
        // each search starts at its transfer and looks forward only
        0
    }

    fn max_findings(&self) -> usize {
        self.max_findings
    }

    /// A shard's raw cycles, unmerged and unfiltered: repeats of a route
    /// merge, and dense networks are left out, over the whole data only
    /// (in [`combine`](super::Detector::combine)). Each is carried as a
    /// bare finding: the route's accounts and the cycle's transfers, the
    /// start transfer first.
    fn detect_part(&self, data: &Valued<'_>) -> Detection {
        let (hits, truncated) = self.cycles(data);
        let findings = hits
            .into_iter()
            .map(|h| Finding {
                typology: Typology::Cycle,
                score: 0.0,
                first_time_us: data.time(h.transfers[0]),
                last_time_us: data.time(h.transfers[h.transfers.len() - 1]),
                accounts: h.accounts,
                transfers: h.transfers,
                amount: Decimal::ZERO,
                explanation: String::new(),
            })
            .collect();
        Detection {
            findings,
            truncated,
        }
    }

    fn combine(&self, data: &Valued<'_>, parts: Vec<Finding>, truncated: bool) -> Detection {
        let mut hits: Vec<Hit> = parts
            .into_iter()
            .map(|f| Hit {
                accounts: f.accounts,
                transfers: f.transfers,
            })
            .collect();
        // the order an unsharded run finds them in: by start transfer
        hits.sort_by(|a, b| a.transfers[0].cmp(&b.transfers[0]));
        let hits = self.outside_dense_networks(hits);
        let findings = self.merge(data, hits);
        finish(findings, truncated, self.max_findings)
    }
}

impl CycleDetector {
    /// Run the detector.
    pub fn detect(&self, data: &Valued<'_>) -> Detection {
        let (hits, truncated) = self.cycles(data);
        let hits = self.outside_dense_networks(hits);
        let findings = self.merge(data, hits);
        finish(findings, truncated, self.max_findings)
    }

    /// Every cycle, in start-transfer order, and whether a budget was hit.
    pub(crate) fn cycles(&self, data: &Valued<'_>) -> (Vec<Hit>, bool) {
        let g = data.graph;
        let l = g.ledger();
        let component = g.strongly_connected_components();
        let (froms, tos) = (l.froms(), l.tos());
        let hub: Vec<bool> = (0..g.account_count() as u32)
            .map(|a| self.is_hub(data, AccountId(a)))
            .collect();
        let results: Vec<(Vec<Hit>, bool)> = (0..l.len() as u32)
            .into_par_iter()
            .with_min_len(256)
            .map(|i| {
                let i = i as usize;
                let (s, v) = (froms[i], tos[i]);
                if s == v
                    || !data.is_start(i)
                    || component[s.index()] != component[v.index()]
                    || data.value[i] < self.min_amount
                    || hub[s.index()]
                    || hub[v.index()]
                {
                    return (Vec::new(), false);
                }
                self.search_start(data, &hub, TransferId(i as u32))
            })
            .collect();
        let truncated = results.iter().any(|(_, t)| *t);
        (
            results.into_iter().flat_map(|(h, _)| h).collect(),
            truncated,
        )
    }

    /// Drop the cycles through accounts that lie on more than
    /// `max_routes_per_account` distinct routes.
    fn outside_dense_networks(&self, hits: Vec<Hit>) -> Vec<Hit> {
        if self.max_routes_per_account == 0 {
            return hits;
        }
        // a route is its accounts rotated to start at the smallest id
        let routes: FxHashSet<Vec<AccountId>> = hits
            .iter()
            .map(|h| {
                let at = (0..h.accounts.len())
                    .min_by_key(|&i| h.accounts[i])
                    .unwrap_or(0);
                let mut route = h.accounts[at..].to_vec();
                route.extend_from_slice(&h.accounts[..at]);
                route
            })
            .collect();
        let mut on_routes: FxHashMap<AccountId, usize> = FxHashMap::default();
        for route in &routes {
            for &a in route {
                *on_routes.entry(a).or_insert(0) += 1;
            }
        }
        hits.into_iter()
            .filter(|h| {
                h.accounts
                    .iter()
                    .all(|a| on_routes[a] <= self.max_routes_per_account)
            })
            .collect()
    }

    fn is_hub(&self, data: &Valued<'_>, a: AccountId) -> bool {
        data.out_degree(a) + data.in_degree(a) > self.max_degree
    }

    fn search_start(&self, data: &Valued<'_>, hub: &[bool], start: TransferId) -> (Vec<Hit>, bool) {
        let g = data.graph;
        let l = g.ledger();
        let s = l.froms()[start.index()];
        let v = l.tos()[start.index()];
        let t0 = l.times_us()[start.index()];
        let deadline = t0.saturating_add(self.window.micros());
        let max_hops = self.max_hops.clamp(2, LAYERS);
        // quick rejection: nothing comes back to s in the window after start
        let back = g.incoming(s, t0..=deadline);
        if !back.transfer.iter().any(|&x| x > start) {
            return (Vec::new(), false);
        }
        SCRATCH.with(|cell| {
            let mut scratch = cell.borrow_mut();
            let closing = &mut *scratch;
            closing.begin(g.account_count());
            if !self.closing_paths(data, hub, start, deadline, max_hops, closing) {
                return (Vec::new(), true);
            }
            // the start's payee must reach s, after the start, within the
            // hops left
            if !closing.can_close(v, max_hops - 1, start) {
                return (Vec::new(), false);
            }
            let mut search = Forward {
                detector: self,
                data,
                closing,
                deadline,
                max_hops,
                accounts: vec![s, v],
                transfers: vec![start],
                hits: Vec::new(),
                steps: 0,
                truncated: false,
            };
            search.extend();
            (search.hits, search.truncated)
        })
    }

    /// The backward pass: for every account that can pay into the start's
    /// payer `s` along a time-respecting path of `d` transfers inside the
    /// window (all after the start), the latest first transfer of such a
    /// path, per `d` (2SCENT's closing times, kept per hop count because
    /// the hop bound and the value floor both depend on it). Returns false
    /// when `max_reach_per_start` was exceeded.
    #[allow(clippy::too_many_arguments)]
    fn closing_paths(
        &self,
        data: &Valued<'_>,
        hub: &[bool],
        start: TransferId,
        deadline: i64,
        max_hops: usize,
        closing: &mut Closing,
    ) -> bool {
        let g = data.graph;
        let l = g.ledger();
        let s = l.froms()[start.index()];
        let t0 = l.times_us()[start.index()];
        // a transfer d hops before the end of a cycle carries at least
        // v0 × min_return_share ÷ max_hop_ratio^d, so smaller ones cannot
        // be on one
        let v0 = data.value_f64[start.index()];
        let floor = |d: usize| {
            v0 * self.min_return_share / self.max_hop_ratio.max(1.0).powi(d as i32) * (1.0 - 1e-9)
        };
        closing.reach(s, 0, NO_LIMIT);
        let mut frontier = vec![s];
        let mut reached = 1usize;
        for d in 0..max_hops - 1 {
            let min_value = floor(d);
            let mut next = Vec::new();
            for &u in &frontier {
                // the transfer out of u on its path (exclusive), as id + 1
                let before = closing.latest(u, d);
                let inc = g.incoming(u, t0..=deadline);
                let from = inc.transfer.partition_point(|&x| x <= start);
                for (&x, &w) in inc.transfer[from..].iter().zip(&inc.peer[from..]) {
                    if x.0 + 1 >= before {
                        break;
                    }
                    if data.value_f64[x.index()] < min_value || hub[w.index()] {
                        continue;
                    }
                    if closing.reach(w, d + 1, x.0 + 1) {
                        next.push(w);
                        reached += 1;
                        if reached > self.max_reach_per_start {
                            return false;
                        }
                    }
                }
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
        closing.accumulate();
        true
    }

    /// Merge cycles over the same accounts in the same order whose times
    /// overlap, and make findings.
    fn merge(&self, data: &Valued<'_>, mut hits: Vec<Hit>) -> Vec<Finding> {
        hits.sort_by(|a, b| (&a.accounts, a.transfers[0]).cmp(&(&b.accounts, b.transfers[0])));
        let mut findings = Vec::new();
        let mut i = 0;
        while i < hits.len() {
            let mut j = i + 1;
            let mut end = data.time(*hits[i].transfers.last().unwrap_or(&hits[i].transfers[0]));
            while j < hits.len()
                && hits[j].accounts == hits[i].accounts
                && data.time(hits[j].transfers[0]) <= end
            {
                end = end.max(data.time(hits[j].transfers[hits[j].transfers.len() - 1]));
                j += 1;
            }
            findings.extend(self.finding(data, &hits[i..j]));
            i = j;
        }
        findings
    }

    fn finding(&self, data: &Valued<'_>, group: &[Hit]) -> Option<Finding> {
        let accounts = group[0].accounts.clone();
        let hops = accounts.len();
        let s = accounts[0];
        let l = data.graph.ledger();
        let mut transfers: Vec<TransferId> = group
            .iter()
            .flat_map(|h| h.transfers.iter().copied())
            .collect();
        transfers.sort_unstable();
        transfers.dedup();
        let left: Decimal = transfers
            .iter()
            .filter(|t| l.froms()[t.index()] == s)
            .map(|t| data.value[t.index()])
            .sum();
        let back: Decimal = transfers
            .iter()
            .filter(|t| l.tos()[t.index()] == s)
            .map(|t| data.value[t.index()])
            .sum();
        let share = super::ratio(back, left);
        if share < self.min_return_share || share > self.max_return_share {
            return None;
        }
        let closeness = if share <= 1.0 { share } else { 1.0 / share };
        let span = data.time(transfers[transfers.len() - 1]) - data.time(transfers[0]);
        let window = self.window.micros().max(1) as f64;
        let score = 0.6 * closeness
            + 0.2 * f64::from(u8::from(hops >= 3))
            + 0.2 * (1.0 - span as f64 / window).max(0.0);
        let route: Vec<&str> = accounts.iter().chain([&s]).map(|&a| data.key(a)).collect();
        let repeats = if group.len() > 1 {
            format!(" ({} times)", group.len())
        } else {
            String::new()
        };
        let explanation = format!(
            "{}-hop cycle {}{repeats} within {}: {} left, {:.0}% came back",
            hops,
            route.join(" → "),
            span_words(span),
            data.money(left),
            share * 100.0
        );
        Some(data.finding(
            Typology::Cycle,
            score,
            accounts,
            transfers,
            left,
            explanation,
        ))
    }
}

/// Most hops a cycle may have, and so the longest closing path + 1.
const LAYERS: usize = 16;
/// The closing time of the start's payer: any later transfer may close.
const NO_LIMIT: u32 = u32::MAX;

thread_local! {
    /// Each worker's backward-pass table, reused from start to start so
    /// that a search allocates nothing per account of the graph.
    static SCRATCH: std::cell::RefCell<Closing> = std::cell::RefCell::default();
}

/// Closing times of one start's backward pass, in dense per-account slots
/// marked with the search that wrote them (no clearing between searches).
#[derive(Default)]
struct Closing {
    /// Which accounts this search reached.
    marks: Marks,
    /// Per account: its row in `latest` when marked.
    row: Vec<u32>,
    /// Per reached account and hop count `d`: 1 + the latest transfer
    /// starting a `d`-transfer closing path (0: none); after
    /// [`Closing::accumulate`], for paths of at most `d` transfers.
    latest: Vec<[u32; LAYERS]>,
}

impl Closing {
    fn begin(&mut self, accounts: usize) {
        self.marks.begin(accounts);
        grow(&mut self.row, accounts, 0);
        self.latest.clear();
    }

    fn slot(&self, a: AccountId) -> Option<usize> {
        self.marks.is_set(a).then(|| self.row[a.index()] as usize)
    }

    /// Record a `d`-transfer closing path from `a` starting with the
    /// transfer `first − 1`; true when `a` is new at this hop count.
    fn reach(&mut self, a: AccountId, d: usize, first: u32) -> bool {
        let at = match self.slot(a) {
            Some(at) => at,
            None => {
                self.marks.set(a);
                self.row[a.index()] = self.latest.len() as u32;
                self.latest.push([0; LAYERS]);
                self.latest.len() - 1
            }
        };
        let cell = &mut self.latest[at][d];
        let new = *cell == 0;
        *cell = (*cell).max(first);
        new
    }

    fn latest(&self, a: AccountId, d: usize) -> u32 {
        self.slot(a).map_or(0, |at| self.latest[at][d])
    }

    /// Turn "exactly d transfers" into "at most d transfers".
    fn accumulate(&mut self) {
        for row in &mut self.latest {
            for d in 1..LAYERS {
                row[d] = row[d].max(row[d - 1]);
            }
        }
    }

    /// Whether `a` can pay back to the start's payer in at most `hops`
    /// transfers, the first of them later than `after`.
    fn can_close(&self, a: AccountId, hops: usize, after: TransferId) -> bool {
        hops > 0 && self.latest(a, hops.min(LAYERS - 1)) > after.0 + 1
    }
}

/// The forward depth-first search of one start transfer.
struct Forward<'a, 'd> {
    detector: &'a CycleDetector,
    data: &'a Valued<'d>,
    closing: &'a Closing,
    deadline: i64,
    max_hops: usize,
    accounts: Vec<AccountId>,
    transfers: Vec<TransferId>,
    hits: Vec<Hit>,
    steps: usize,
    truncated: bool,
}

impl Forward<'_, '_> {
    fn extend(&mut self) {
        let d = self.detector;
        let g = self.data.graph;
        let s = self.accounts[0];
        let u = self.accounts[self.accounts.len() - 1];
        let last = self.transfers[self.transfers.len() - 1];
        let t = self.data.time(last);
        let depth = self.transfers.len();
        let out = g.outgoing(u, t..=self.deadline);
        let before = self.data.value_f64[last.index()];
        let (lo, hi) = (
            before * d.min_hop_ratio * (1.0 - 1e-9),
            before * d.max_hop_ratio * (1.0 + 1e-9),
        );
        for (&x, &w) in out.transfer.iter().zip(out.peer) {
            if x <= last {
                continue;
            }
            let value = self.data.value_f64[x.index()];
            if value < lo || value > hi {
                continue;
            }
            self.steps += 1;
            if self.steps > d.max_steps_per_start || self.hits.len() >= d.max_cycles_per_start {
                self.truncated = true;
                return;
            }
            if w == s {
                if depth + 1 >= d.min_hops {
                    let mut transfers = self.transfers.clone();
                    transfers.push(x);
                    self.hits.push(Hit {
                        accounts: self.accounts.clone(),
                        transfers,
                    });
                }
                continue;
            }
            // w must close the cycle, after x, within the hops left
            let left = self.max_hops.saturating_sub(depth + 1);
            if !self.closing.can_close(w, left, x) || self.accounts.contains(&w) {
                continue;
            }
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testkit::{with_threads, Kit, H};
    use proptest::prelude::*;

    #[test]
    fn finds_a_time_respecting_cycle() {
        let mut k = Kit::new();
        k.pay("a", "b", 0, 1000)
            .pay("b", "c", H, 990)
            .pay("c", "d", 2 * H, 980)
            .pay("d", "a", 3 * H, 970);
        let g = k.graph();
        let data = Kit::valued(&g);
        let d = CycleDetector::default().detect(&data);
        assert_eq!(d.findings.len(), 1, "{:?}", d.findings);
        let f = &d.findings[0];
        assert_eq!(f.transfers.len(), 4);
        assert_eq!(f.amount, Decimal::from(1000));
        assert!(
            f.explanation.contains("4-hop cycle a → b → c → d → a"),
            "{}",
            f.explanation
        );
        assert!(f.explanation.contains("97% came back"), "{}", f.explanation);
        assert!(!d.truncated);
    }

    #[test]
    fn ignores_wrong_time_order_and_too_long_cycles() {
        let mut k = Kit::new();
        // the closing transfer happens before the middle one: not time-respecting
        k.pay("a", "b", 0, 1000)
            .pay("b", "c", 5 * H, 990)
            .pay("c", "a", 2 * H, 980);
        // closes after the 4-day window
        k.pay("x", "y", 0, 1000).pay("y", "x", 100 * H, 990);
        // comes back, but only a tenth of it: a payment and a small refund
        k.pay("m", "n", 0, 1000).pay("n", "m", 5 * H, 100);
        let g = k.graph();
        let data = Kit::valued(&g);
        let d = CycleDetector::default().detect(&data);
        assert!(d.findings.is_empty(), "{:?}", d.findings);
        // a hop bound below the cycle's length finds nothing either
        let mut k = Kit::new();
        k.pay("a", "b", 0, 1)
            .pay("b", "c", H, 1)
            .pay("c", "d", 2 * H, 1)
            .pay("d", "a", 3 * H, 1);
        let g = k.graph();
        let data = Kit::valued(&g);
        let d = CycleDetector {
            max_hops: 3,
            ..CycleDetector::default()
        }
        .detect(&data);
        assert!(d.findings.is_empty());
    }

    #[test]
    fn leaves_out_cycles_of_dense_trading_networks() {
        let mut k = Kit::new();
        // h pays five accounts, each pays four others, who all pay h back:
        // 20 routes through h
        for i in 0..5 {
            k.pay("h", &format!("x{i}"), i * H, 1000);
            for j in 0..4 {
                k.pay(&format!("x{i}"), &format!("y{j}"), 10 * H + i * 4 + j, 1000);
            }
        }
        for j in 0..4 {
            k.pay(&format!("y{j}"), "h", 30 * H + j, 1000);
        }
        // and one round trip on its own
        k.pay("a", "b", 0, 500)
            .pay("b", "c", H, 490)
            .pay("c", "a", 2 * H, 480);
        let g = k.graph();
        let data = Kit::valued(&g);
        let d = CycleDetector::default().detect(&data);
        assert_eq!(d.findings.len(), 1, "{:?}", d.findings);
        assert!(d.findings[0].explanation.contains("a → b → c → a"));
        let all = CycleDetector {
            max_routes_per_account: 0,
            ..CycleDetector::default()
        }
        .detect(&data);
        assert_eq!(all.findings.len(), 21);
        // at the limit itself the network stays in
        let twenty = CycleDetector {
            max_routes_per_account: 20,
            ..CycleDetector::default()
        }
        .detect(&data);
        assert_eq!(twenty.findings.len(), 21);
    }

    #[test]
    fn merges_repeats_and_reports_truncation() {
        let mut k = Kit::new();
        for i in 0..3 {
            k.pay("a", "b", i, 100);
        }
        for i in 0..3 {
            k.pay("b", "a", H + i, 100);
        }
        let g = k.graph();
        let data = Kit::valued(&g);
        let any = CycleDetector {
            min_amount: Decimal::ZERO,
            ..CycleDetector::default()
        };
        let d = any.detect(&data);
        assert_eq!(d.findings.len(), 1);
        assert_eq!(d.findings[0].transfers.len(), 6);
        let tight = CycleDetector {
            max_cycles_per_start: 1,
            ..any
        }
        .detect(&data);
        assert!(tight.truncated);
        // a smallest start above 100 leaves these 100s alone
        let big = CycleDetector {
            min_amount: Decimal::from(101),
            ..any
        };
        assert!(big.detect(&data).findings.is_empty());
    }

    #[test]
    fn a_long_path_does_not_overflow_the_stack() {
        let mut k = Kit::new();
        for i in 0..60_000 {
            k.pay(&format!("a{i}"), &format!("a{}", i + 1), i, 100);
        }
        k.pay("a60000", "a0", 70_000, 100);
        let g = k.graph();
        let data = Kit::valued(&g);
        // runs on a test thread's small stack
        let d = CycleDetector::default().detect(&data);
        assert!(
            d.findings.is_empty(),
            "a 60,001-hop cycle is beyond max_hops"
        );
    }

    fn random_graph(edges: &[(u8, u8, u8)]) -> crate::graph::FlowGraph {
        Kit::hourly(edges, 100)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn every_cycle_is_a_time_respecting_cycle(
            edges in prop::collection::vec((0u8..8, 0u8..8, 0u8..60), 1..60)
        ) {
            let g = random_graph(&edges);
            let data = Kit::valued(&g);
            let detector = CycleDetector { window: Span::hours(40), max_hops: 5, min_amount: Decimal::ZERO, ..CycleDetector::default() };
            let (hits, _) = detector.cycles(&data);
            let l = g.ledger();
            for h in &hits {
                prop_assert!(h.transfers.len() >= 2 && h.transfers.len() <= 5);
                prop_assert_eq!(h.transfers.len(), h.accounts.len());
                for (k, &t) in h.transfers.iter().enumerate() {
                    prop_assert_eq!(l.froms()[t.index()], h.accounts[k]);
                    prop_assert_eq!(l.tos()[t.index()], h.accounts[(k + 1) % h.accounts.len()]);
                    if k > 0 {
                        prop_assert!(t > h.transfers[k - 1]);
                        prop_assert!(l.times_us()[t.index()] >= l.times_us()[h.transfers[k - 1].index()]);
                    }
                }
                let span = l.times_us()[h.transfers[h.transfers.len() - 1].index()] - l.times_us()[h.transfers[0].index()];
                prop_assert!(span <= 40 * H);
                let mut distinct = h.accounts.clone();
                distinct.sort();
                distinct.dedup();
                prop_assert_eq!(distinct.len(), h.accounts.len());
            }
            // brute force: count 2- and 3-hop time-respecting cycles
            let n = l.len();
            let mut brute = 0;
            for i in 0..n {
                for j in i + 1..n {
                    let ok2 = l.tos()[i] == l.froms()[j] && l.tos()[j] == l.froms()[i] && l.froms()[i] != l.tos()[i]
                        && l.times_us()[j] - l.times_us()[i] <= 40 * H;
                    if ok2 { brute += 1; }
                    for m in j + 1..n {
                        let (a, b, c) = (l.froms()[i], l.froms()[j], l.froms()[m]);
                        let ok3 = l.tos()[i] == b && l.tos()[j] == c && l.tos()[m] == a
                            && a != b && b != c && a != c
                            && l.times_us()[m] - l.times_us()[i] <= 40 * H;
                        if ok3 { brute += 1; }
                    }
                }
            }
            let short = CycleDetector { window: Span::hours(40), max_hops: 3, min_amount: Decimal::ZERO, max_cycles_per_start: 1_000_000, ..CycleDetector::default() };
            let (hits, truncated) = short.cycles(&data);
            prop_assert!(!truncated);
            prop_assert_eq!(hits.len(), brute);
        }

        #[test]
        fn parallel_equals_sequential(edges in prop::collection::vec((0u8..10, 0u8..10, 0u8..80), 1..80)) {
            let g = random_graph(&edges);
            let data = Kit::valued(&g);
            let detector = CycleDetector { min_amount: Decimal::ZERO, ..CycleDetector::default() };
            let one = with_threads(1, || detector.detect(&data));
            let four = with_threads(4, || detector.detect(&data));
            prop_assert_eq!(one, four);
        }
    }
}
