//! `scatter_gather`: one source → many intermediaries → one sink.

use super::marks::{grow, Marks};
use super::{finish, ratio, span_words, Detection, Finding, Typology, Valued};
use crate::model::{AccountId, TransferId};
use crate::time::Span;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// Finds a source that pays at least `min_intermediaries` accounts, each of
/// which then pays one common sink (after receiving), all within `window`,
/// each intermediary passing on between `min_retention` and
/// `max_retention` of what it got.
///
/// Per source, every two-hop continuation `s → m → d` inside the window is
/// listed and grouped by sink; each sink reached through enough distinct
/// intermediaries inside one window is a finding.
///
/// **Amount**: value scattered by the source. **Score** =
/// ½·min(1, (intermediaries − k + 1)/k) + ½·(gathered ÷ scattered,
/// inverted above 1).
///
/// # Example
///
/// ```
/// use moneytrail::detect::{ScatterGatherDetector, Typology};
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
/// // src pays three accounts, each passes 98% on to the same sink
/// for (i, mid) in ["m1", "m2", "m3"].into_iter().enumerate() {
///     pay("src", mid, i as i64, 5_000);
///     pay(mid, "sink", 10 + i as i64, 4_900);
/// }
/// let graph = FlowGraph::new(b.finish().unwrap());
/// let found = ScatterGatherDetector::default().detect(&Valued::implied(&graph, "USD"));
/// assert_eq!(found.findings.len(), 1);
/// let found = &found.findings[0];
/// assert_eq!(found.typology, Typology::ScatterGather);
/// assert_eq!(found.amount, Decimal::from(15_000));
/// assert_eq!(found.transfers.len(), 6);
/// ```
///
/// # Complexity
///
/// O(Σ out-degree²) over the two hops inside the window, bounded by
/// `max_paths_per_source`.
///
/// # References
///
/// - E. Altman et al., *Realistic Synthetic Financial Transactions for
///   Anti-Money Laundering Models*, NeurIPS 2023 Datasets and Benchmarks
///   ([arXiv:2306.16424](https://arxiv.org/abs/2306.16424)): AMLworld's
///   scatter-gather pattern.
/// - J. Blanuša et al., *Graph Feature Preprocessor*, ICAIF 2024
///   ([arXiv:2402.08593](https://arxiv.org/abs/2402.08593)): scatter-gather
///   counts in a time window as laundering features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScatterGatherDetector {
    /// Distinct intermediaries needed: 3.
    pub min_intermediaries: usize,
    /// Window from the first scatter to the last gather: 4 days (AMLworld's
    /// planted scatter-gathers span at most 96 hours).
    pub window: Span,
    /// Smallest share an intermediary passes on: 0.5 (0.8 halves the
    /// honest supplier networks of the training generator's data but loses
    /// a tenth of AMLworld's planted scatter-gathers, whose intermediaries
    /// pass on varying shares).
    pub min_retention: f64,
    /// Largest share (above 1: the intermediary adds its own money): 1.1.
    pub max_retention: f64,
    /// Two-hop paths examined per source before stopping: 200,000.
    pub max_paths_per_source: usize,
    /// Findings in all: 100,000.
    pub max_findings: usize,
}

impl Default for ScatterGatherDetector {
    fn default() -> Self {
        ScatterGatherDetector {
            min_intermediaries: 3,
            window: Span::days(4),
            min_retention: 0.5,
            max_retention: 1.1,
            max_paths_per_source: 200_000,
            max_findings: 100_000,
        }
    }
}

/// Whether `s` pays at least `k` distinct other accounts within some
/// window of `w` microseconds: a scatter needs that many first hops.
fn pays_enough_within(outs: crate::graph::Adjacent<'_>, s: AccountId, k: usize, w: i64) -> bool {
    let mut count: FxHashMap<AccountId, u32> = FxHashMap::default();
    let mut lo = 0;
    for hi in 0..outs.peer.len() {
        while outs.time_us[lo] < outs.time_us[hi].saturating_sub(w) {
            let p = outs.peer[lo];
            if p != s {
                if let Some(n) = count.get_mut(&p) {
                    *n -= 1;
                    if *n == 0 {
                        count.remove(&p);
                    }
                }
            }
            lo += 1;
        }
        if outs.peer[hi] != s {
            *count.entry(outs.peer[hi]).or_insert(0) += 1;
            if count.len() >= k {
                return true;
            }
        }
    }
    false
}

thread_local! {
    /// Each worker's per-sink tally, reused from source to source.
    static TALLY: std::cell::RefCell<SinkTally> = std::cell::RefCell::default();
}

/// Per sink, how many times the intermediary changed from one two-hop
/// path to the next: at least the number of distinct intermediaries. Dense
/// slots marked with the source that wrote them (no clearing).
#[derive(Default)]
struct SinkTally {
    /// Which sinks this source reached.
    marks: Marks,
    last_mid: Vec<AccountId>,
    changes: Vec<u32>,
}

impl SinkTally {
    fn begin(&mut self, accounts: usize) {
        self.marks.begin(accounts);
        grow(&mut self.last_mid, accounts, AccountId(0));
        grow(&mut self.changes, accounts, 0);
    }

    fn count(&mut self, sink: AccountId, mid: AccountId) {
        let d = sink.index();
        if !self.marks.is_set(sink) {
            self.marks.set(sink);
            self.last_mid[d] = mid;
            self.changes[d] = 1;
        } else if self.last_mid[d] != mid {
            self.last_mid[d] = mid;
            self.changes[d] += 1;
        }
    }

    fn at_least(&self, sink: AccountId, k: usize) -> bool {
        self.marks.is_set(sink) && self.changes[sink.index()] as usize >= k
    }
}

#[derive(Clone, Copy)]
struct TwoHop {
    sink: AccountId,
    t1: i64,
    first: TransferId,
    mid: AccountId,
    t2: i64,
    second: TransferId,
}

impl super::Detector for ScatterGatherDetector {
    fn typologies(&self) -> &'static [Typology] {
        &[Typology::ScatterGather]
    }

    fn detect(&self, data: &Valued<'_>) -> Detection {
        ScatterGatherDetector::detect(self, data)
    }

    fn reach(&self) -> Option<i64> {
        // the per-source budget counts paths over the source's whole
        // history, and a sink's windows start where the previous one's
        // paths end: no time shard can see that
        None
    }

    fn account_scope(&self) -> Option<super::AccountScope> {
        // a finding is its source's: decided by the source's payments and
        // what its payees pay on
        Some(super::AccountScope::PayeesPayments)
    }

    fn max_findings(&self) -> usize {
        self.max_findings
    }
}

impl ScatterGatherDetector {
    /// Run the detector.
    pub fn detect(&self, data: &Valued<'_>) -> Detection {
        let g = data.graph;
        let results: Vec<(Vec<Finding>, bool)> = (0..g.account_count() as u32)
            .into_par_iter()
            .filter(|&s| data.owns_account(AccountId(s)))
            .map(|s| self.source(data, AccountId(s)))
            .collect();
        let truncated = results.iter().any(|(_, t)| *t);
        finish(
            results.into_iter().flat_map(|(f, _)| f).collect(),
            truncated,
            self.max_findings,
        )
    }

    fn source(&self, data: &Valued<'_>, s: AccountId) -> (Vec<Finding>, bool) {
        let g = data.graph;
        let k = self.min_intermediaries.max(2);
        let outs = g.outgoing(s, ..);
        if outs.len() < k || data.is_infrastructure(s) {
            return (Vec::new(), false);
        }
        let w = self.window.micros();
        if !pays_enough_within(outs, s, k, w) {
            return (Vec::new(), false);
        }
        let mut paths = Vec::new();
        let mut truncated = false;
        'outer: for ((&t1, &e1), &m) in outs.time_us.iter().zip(outs.transfer).zip(outs.peer) {
            if m == s {
                continue;
            }
            let onward = g.outgoing(m, t1..=t1.saturating_add(w));
            let before = data.value_f64[e1.index()];
            for ((&t2, &e2), &d) in onward.time_us.iter().zip(onward.transfer).zip(onward.peer) {
                if e2 <= e1 || d == s || d == m {
                    continue;
                }
                let ratio = if before > 0.0 {
                    data.value_f64[e2.index()] / before
                } else {
                    0.0
                };
                if ratio < self.min_retention || ratio > self.max_retention {
                    continue;
                }
                if paths.len() >= self.max_paths_per_source {
                    truncated = true;
                    break 'outer;
                }
                paths.push(TwoHop {
                    sink: d,
                    t1,
                    first: e1,
                    mid: m,
                    t2,
                    second: e2,
                });
            }
        }
        // most sinks are reached through fewer than k intermediaries: drop
        // their paths before sorting (an upper bound on the distinct
        // intermediaries per sink, counted in per-thread dense slots)
        TALLY.with(|cell| {
            let mut tally = cell.borrow_mut();
            tally.begin(g.account_count());
            for p in &paths {
                tally.count(p.sink, p.mid);
            }
            paths.retain(|p| tally.at_least(p.sink, k));
        });
        paths.sort_unstable_by_key(|p| (p.sink, p.t1, p.first, p.second));
        // (the tally above already dropped the sinks reached through fewer
        // than k intermediaries)
        let mut findings = Vec::new();
        for group in paths.chunk_by(|a, b| a.sink == b.sink) {
            self.windows(group, w, k, &mut |inside, mids| {
                findings.push(self.finding(data, s, inside[0].sink, mids, inside));
            });
        }
        (findings, truncated)
    }

    /// The windows of one sink's two-hop paths (sorted by first hop) that
    /// reach `k` distinct intermediaries: from the earliest path not yet
    /// used, a window holds the paths whose first hop falls within `w` of
    /// it and whose second hop also ends by then. A window that reaches
    /// `k` becomes a finding and uses its paths; otherwise the window
    /// moves on by one path. Sliding, with a count per intermediary and
    /// the paths whose second hop is still too late kept by that time, so
    /// a busy sink costs O(n log n), not O(n²).
    fn windows(
        &self,
        group: &[TwoHop],
        w: i64,
        k: usize,
        found: &mut dyn FnMut(&[&TwoHop], &[AccountId]),
    ) {
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        let mut count: FxHashMap<AccountId, u32> = FxHashMap::default();
        // paths inside the first-hop range whose second hop ends after the
        // current window: (second-hop time, index), earliest first
        let mut waiting: BinaryHeap<Reverse<(i64, usize)>> = BinaryHeap::new();
        let mut admitted = vec![false; group.len()];
        let (mut lo, mut hi) = (0, 0);
        while lo < group.len() {
            let end = group[lo].t1.saturating_add(w);
            while hi < group.len() && group[hi].t1 <= end {
                waiting.push(Reverse((group[hi].t2, hi)));
                hi += 1;
            }
            while let Some(&Reverse((t2, j))) = waiting.peek() {
                if t2 > end {
                    break;
                }
                waiting.pop();
                if j >= lo {
                    admitted[j] = true;
                    *count.entry(group[j].mid).or_insert(0) += 1;
                }
            }
            if count.len() >= k {
                let inside: Vec<&TwoHop> = (lo..hi)
                    .filter(|&j| admitted[j])
                    .map(|j| &group[j])
                    .collect();
                let mut mids: Vec<AccountId> = count.keys().copied().collect();
                mids.sort_unstable();
                found(&inside, &mids);
                // the window's paths are used: start afresh after them
                count.clear();
                waiting.clear();
                lo = hi;
                continue;
            }
            if admitted[lo] {
                let mid = group[lo].mid;
                if let Some(n) = count.get_mut(&mid) {
                    *n -= 1;
                    if *n == 0 {
                        count.remove(&mid);
                    }
                }
            }
            lo += 1;
            hi = hi.max(lo);
        }
    }

    fn finding(
        &self,
        data: &Valued<'_>,
        s: AccountId,
        d: AccountId,
        mids: &[AccountId],
        paths: &[&TwoHop],
    ) -> Finding {
        let mut firsts: Vec<TransferId> = paths.iter().map(|p| p.first).collect();
        let mut seconds: Vec<TransferId> = paths.iter().map(|p| p.second).collect();
        firsts.sort_unstable();
        firsts.dedup();
        seconds.sort_unstable();
        seconds.dedup();
        let scattered = data.total(&firsts);
        let gathered = data.total(&seconds);
        let ratio = ratio(gathered, scattered);
        let k = self.min_intermediaries.max(2) as f64;
        let score = 0.5 * ((mids.len() as f64 - k + 1.0) / k).min(1.0)
            + 0.5 * if ratio <= 1.0 { ratio } else { 1.0 / ratio };
        let mut accounts = vec![s, d];
        accounts.extend_from_slice(mids);
        let mut transfers = firsts;
        transfers.extend(seconds);
        transfers.sort_unstable();
        let span = data.time(transfers[transfers.len() - 1]) - data.time(transfers[0]);
        let explanation = format!(
            "{} scatters {} to {} intermediaries that gather {} into {} within {}",
            data.key(s),
            data.money(scattered),
            mids.len(),
            data.money(gathered),
            data.key(d),
            span_words(span)
        );
        data.finding(
            Typology::ScatterGather,
            score,
            accounts,
            transfers,
            scattered,
            explanation,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testkit::{Kit, H};
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    /// The window scan as first written: rebuild each window from scratch.
    fn windows_by_rebuilding(
        group: &[TwoHop],
        w: i64,
        k: usize,
    ) -> Vec<(Vec<u32>, Vec<AccountId>)> {
        let mut out = Vec::new();
        let mut lo = 0;
        while lo < group.len() {
            let end = group[lo].t1.saturating_add(w);
            let inside: Vec<&TwoHop> = group[lo..]
                .iter()
                .take_while(|p| p.t1 <= end)
                .filter(|p| p.t2 <= end)
                .collect();
            let mut mids: Vec<AccountId> = inside.iter().map(|p| p.mid).collect();
            mids.sort_unstable();
            mids.dedup();
            if mids.len() >= k {
                out.push((inside.iter().map(|p| p.first.0).collect(), mids));
                lo += group[lo..].iter().take_while(|p| p.t1 <= end).count();
            } else {
                lo += 1;
            }
        }
        out
    }

    proptest! {
        #[test]
        fn sliding_windows_equal_rebuilt_windows(
            hops in prop::collection::vec((0i64..60, 0i64..30, 0u32..6), 0..40),
            w in 1i64..40,
            k in 2usize..5,
        ) {
            let mut group: Vec<TwoHop> = hops
                .iter()
                .enumerate()
                .map(|(i, &(t1, wait, mid))| TwoHop {
                    sink: AccountId(99),
                    t1,
                    first: TransferId(i as u32),
                    mid: AccountId(mid),
                    t2: t1 + wait,
                    second: TransferId(1000 + i as u32),
                })
                .collect();
            group.sort_unstable_by_key(|p| (p.t1, p.first, p.second));
            let mut sliding = Vec::new();
            ScatterGatherDetector::default().windows(&group, w, k, &mut |inside, mids| {
                sliding.push((inside.iter().map(|p| p.first.0).collect::<Vec<u32>>(), mids.to_vec()));
            });
            prop_assert_eq!(sliding, windows_by_rebuilding(&group, w, k));
        }
    }

    #[test]
    fn a_source_needs_k_distinct_payees_within_one_window() {
        let mut k = Kit::new();
        // three payees, but a day and more apart; and one paid twice
        k.pay("s", "a", 0, 10)
            .pay("s", "a", H, 10)
            .pay("s", "b", 30 * H, 10)
            .pay("s", "c", 60 * H, 10);
        let g = k.graph();
        let s = g.ledger().account_id("s").expect("s");
        let outs = g.outgoing(s, ..);
        assert!(!pays_enough_within(outs, s, 3, 24 * H));
        assert!(pays_enough_within(outs, s, 3, 60 * H));
        assert!(pays_enough_within(outs, s, 2, 30 * H - H));
        assert!(!pays_enough_within(outs, s, 2, 29 * H - 1));
    }

    #[test]
    fn finds_scatter_gather_and_not_when_the_sink_differs() {
        let mut k = Kit::new();
        for i in 0..4 {
            let m = format!("m{i}");
            k.pay("src", &m, i * H, 1000);
            k.pay(&m, "dst", 10 * H + i * H, 950);
        }
        // near miss: each intermediary pays a different sink
        for i in 0..4 {
            let m = format!("n{i}");
            k.pay("src2", &m, i * H, 1000);
            k.pay(&m, &format!("sink{i}"), 10 * H, 950);
        }
        let g = k.graph();
        let data = Kit::valued(&g);
        let d = ScatterGatherDetector::default().detect(&data);
        assert_eq!(d.findings.len(), 1, "{:?}", d.findings);
        let f = &d.findings[0];
        assert_eq!(f.typology, Typology::ScatterGather);
        assert_eq!(f.transfers.len(), 8);
        assert_eq!(f.amount, Decimal::from(4000));
        assert!(
            f.explanation.contains("to 4 intermediaries"),
            "{}",
            f.explanation
        );
    }

    #[test]
    fn scatter_gather_ignores_gathers_before_scatters_and_kept_money() {
        let mut k = Kit::new();
        for i in 0..4 {
            let m = format!("m{i}");
            k.pay(&m, "dst", i * H, 950); // before the money arrives
            k.pay("src", &m, 10 * H + i * H, 1000);
        }
        for i in 0..4 {
            let m = format!("k{i}");
            k.pay("src3", &m, i * H, 1000);
            k.pay(&m, "dst3", 10 * H, 100); // keeps 90%
        }
        let g = k.graph();
        let data = Kit::valued(&g);
        assert!(ScatterGatherDetector::default()
            .detect(&data)
            .findings
            .is_empty());
    }
}
