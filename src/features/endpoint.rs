//! Each endpoint's activity in a window, computed exactly and causally.
//!
//! For a transfer `t` at time `τ` and each of its endpoints `a` (payer and
//! payee), the window holds every transfer `s` that touches `a`, comes no
//! later than `t` in the ledger's order (so `t` itself and ties before it,
//! never what follows) and is no older than `τ − window`. That is what a
//! stream that sees the transfers one by one knows when `t` arrives, as
//! Snap ML's Graph Feature Preprocessor computes its vertex statistics.
//! Over the window, separately for what `a` received (`in`) and paid
//! (`out`):
//!
//! | column | meaning |
//! |---|---|
//! | `degree` | transfers |
//! | `fan` | distinct counterparties (payers for `in`, payees for `out`; `a` itself not counted) |
//! | `sum`, `mean`, `min`, `max` | of the transfers' values in the reporting currency |
//! | `var`, `skew` | population variance and skewness of those values (0 with fewer than two, or no spread) |
//!
//! Columns are named `<payer|payee>_<in|out>_<statistic>`, 32 in all
//! ([`ENDPOINT_COLUMNS`]). Each account's transfers are swept once with a
//! sliding window (running sums, a count per counterparty, monotone queues
//! for the minimum and maximum), accounts in parallel: O(transfers) work,
//! the same result on any number of threads.

use crate::graph::FlowGraph;
use crate::model::{AccountId, TransferId};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::collections::VecDeque;

/// Statistics per direction, in column order.
pub const STATISTICS: [&str; 8] = ["degree", "fan", "sum", "mean", "min", "max", "var", "skew"];

/// The endpoint columns' names, in order: payer in, payer out, payee in,
/// payee out, each with the [`STATISTICS`].
pub const ENDPOINT_COLUMNS: usize = 32;

/// Feature columns: `names[j]` heads `values[j]`, one value per transfer
/// in ledger order.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureColumns {
    /// Column names.
    pub names: Vec<String>,
    /// Column values, one `Vec` per column, each as long as the ledger.
    pub values: Vec<Vec<f64>>,
}

/// The names of the endpoint columns (see the module documentation).
pub fn endpoint_names() -> Vec<String> {
    let mut names = Vec::with_capacity(ENDPOINT_COLUMNS);
    for side in ["payer", "payee"] {
        for direction in ["in", "out"] {
            for stat in STATISTICS {
                names.push(format!("{side}_{direction}_{stat}"));
            }
        }
    }
    names
}

/// One direction's window: running sums, counterparties, extremes.
#[derive(Default)]
struct Side {
    count: usize,
    /// The values' sum, and the power sums of their distance from `shift`
    /// (the first value of the window since it was last empty), which
    /// keeps the variance from cancelling away when values cluster.
    sum: f64,
    shift: f64,
    sum1: f64,
    sum2: f64,
    sum3: f64,
    peers: FxHashMap<AccountId, u32>,
    /// Candidates for the minimum (values ascending) and maximum
    /// (descending), with their transfers.
    low: VecDeque<(TransferId, f64)>,
    high: VecDeque<(TransferId, f64)>,
}

impl Side {
    fn add(&mut self, t: TransferId, v: f64, peer: Option<AccountId>) {
        if self.count == 0 {
            self.shift = v;
        }
        self.count += 1;
        self.sum += v;
        let d = v - self.shift;
        self.sum1 += d;
        self.sum2 += d * d;
        self.sum3 += d * d * d;
        if let Some(p) = peer {
            *self.peers.entry(p).or_default() += 1;
        }
        while self.low.back().is_some_and(|&(_, x)| x >= v) {
            self.low.pop_back();
        }
        self.low.push_back((t, v));
        while self.high.back().is_some_and(|&(_, x)| x <= v) {
            self.high.pop_back();
        }
        self.high.push_back((t, v));
    }

    fn remove(&mut self, t: TransferId, v: f64, peer: Option<AccountId>) {
        self.count -= 1;
        self.sum -= v;
        let d = v - self.shift;
        self.sum1 -= d;
        self.sum2 -= d * d;
        self.sum3 -= d * d * d;
        if let Some(p) = peer {
            if let Some(n) = self.peers.get_mut(&p) {
                *n -= 1;
                if *n == 0 {
                    self.peers.remove(&p);
                }
            }
        }
        for q in [&mut self.low, &mut self.high] {
            if q.front().is_some_and(|&(x, _)| x == t) {
                q.pop_front();
            }
        }
        if self.count == 0 {
            // running sums are exact again from here
            *self = Side::default();
        }
    }

    fn write(&self, out: &mut [f64]) {
        let n = self.count as f64;
        let (mean, var, skew) = if self.count == 0 {
            (0.0, 0.0, 0.0)
        } else {
            let mean = self.sum / n;
            // moments about `shift`, then about the mean
            let m = self.sum1 / n;
            let var = (self.sum2 / n - m * m).max(0.0);
            let m3 = self.sum3 / n - 3.0 * m * self.sum2 / n + 2.0 * m * m * m;
            // no spread worth the name: float noise, not skew
            let skew = if var > 1e-12 * (mean * mean).max(1.0) {
                m3 / var.powf(1.5)
            } else {
                0.0
            };
            (mean, var, skew)
        };
        let first = |q: &VecDeque<(TransferId, f64)>| q.front().map_or(0.0, |&(_, v)| v);
        out.copy_from_slice(&[
            n,
            self.peers.len() as f64,
            self.sum,
            mean,
            first(&self.low),
            first(&self.high),
            var,
            skew,
        ]);
    }
}

/// The endpoint features of every transfer (see the module documentation)
/// over `window_us` microseconds; `value` is each transfer's value in the
/// reporting currency (as [`Valued::value_f64`](crate::Valued)).
///
/// ```
/// use moneytrail::features::{endpoint_features, endpoint_names};
/// use moneytrail::{FlowGraph, LedgerBuilder, NewTransfer};
/// use rust_decimal::Decimal;
///
/// let mut b = LedgerBuilder::new();
/// let (x, y, hub) = (b.account("x"), b.account("y"), b.account("hub"));
/// let usd = b.asset("USD").unwrap();
/// b.push(NewTransfer::simple(0, x, hub, Decimal::from(100), usd, 0));
/// b.push(NewTransfer::simple(10, y, hub, Decimal::from(300), usd, 1));
/// let g = FlowGraph::new(b.finish().unwrap());
/// let f = endpoint_features(&g, &[100.0, 300.0], 60);
/// let column = |name: &str| &f.values[endpoint_names().iter().position(|n| n == name).unwrap()];
/// // when the second transfer arrives, the hub has heard from two payers
/// assert_eq!(column("payee_in_fan"), &[1.0, 2.0]);
/// assert_eq!(column("payee_in_mean"), &[100.0, 200.0]);
/// ```
pub fn endpoint_features(graph: &FlowGraph, value: &[f64], window_us: i64) -> FeatureColumns {
    let l = graph.ledger();
    let n = l.len();
    let half = ENDPOINT_COLUMNS / 2;
    // per account: (transfer, whether it is the payer's row, 16 values)
    let rows: Vec<Vec<(TransferId, bool, [f64; 16])>> = (0..graph.account_count() as u32)
        .into_par_iter()
        .map(|a| sweep(graph, value, window_us, AccountId(a)))
        .collect();
    let mut values = vec![vec![0.0; n]; ENDPOINT_COLUMNS];
    for (t, payer, cells) in rows.into_iter().flatten() {
        let offset = if payer { 0 } else { half };
        for (j, v) in cells.into_iter().enumerate() {
            values[offset + j][t.index()] = v;
        }
    }
    FeatureColumns {
        names: endpoint_names(),
        values,
    }
}

/// One account's transfers in ledger order, with the window's state after
/// each: a row for each side the account takes in it.
fn sweep(
    graph: &FlowGraph,
    value: &[f64],
    window_us: i64,
    a: AccountId,
) -> Vec<(TransferId, bool, [f64; 16])> {
    let l = graph.ledger();
    let (inc, out) = (graph.incoming(a, ..), graph.outgoing(a, ..));
    // the account's transfers, merged in ledger order, each once
    let mut events: Vec<TransferId> = inc.transfer.iter().chain(out.transfer).copied().collect();
    events.sort_unstable();
    events.dedup();
    let peer = |t: TransferId, incoming: bool| {
        let i = t.index();
        let p = if incoming { l.froms()[i] } else { l.tos()[i] };
        (p != a).then_some(p)
    };
    let (mut ins, mut outs) = (Side::default(), Side::default());
    let mut start = 0;
    let mut rows = Vec::with_capacity(events.len());
    for (k, &t) in events.iter().enumerate() {
        let i = t.index();
        let (now, v) = (l.times_us()[i], value[i]);
        let (is_in, is_out) = (l.tos()[i] == a, l.froms()[i] == a);
        if is_in {
            ins.add(t, v, peer(t, true));
        }
        if is_out {
            outs.add(t, v, peer(t, false));
        }
        let oldest = now.saturating_sub(window_us);
        while start < k && l.times_us()[events[start].index()] < oldest {
            let s = events[start];
            let (j, w) = (s.index(), value[s.index()]);
            if l.tos()[j] == a {
                ins.remove(s, w, peer(s, true));
            }
            if l.froms()[j] == a {
                outs.remove(s, w, peer(s, false));
            }
            start += 1;
        }
        let mut cells = [0.0; 16];
        ins.write(&mut cells[..8]);
        outs.write(&mut cells[8..]);
        if is_out {
            rows.push((t, true, cells));
        }
        if is_in {
            rows.push((t, false, cells));
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{LedgerBuilder, NewTransfer};
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    /// The statistics of one endpoint's direction, the slow way: every
    /// transfer looked at for every transfer.
    fn brute(
        g: &FlowGraph,
        value: &[f64],
        window: i64,
        t: usize,
        a: AccountId,
        incoming: bool,
    ) -> [f64; 8] {
        let l = g.ledger();
        let now = l.times_us()[t];
        let mut xs = Vec::new();
        let mut peers = std::collections::BTreeSet::new();
        for (s, &v) in value.iter().enumerate().take(t + 1) {
            let (from, to) = (l.froms()[s], l.tos()[s]);
            let touches = if incoming { to == a } else { from == a };
            if touches && l.times_us()[s] >= now - window {
                xs.push(v);
                let p = if incoming { from } else { to };
                if p != a {
                    peers.insert(p);
                }
            }
        }
        let n = xs.len() as f64;
        if xs.is_empty() {
            return [0.0, peers.len() as f64, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        }
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        let m3 = xs.iter().map(|x| (x - mean).powi(3)).sum::<f64>() / n;
        let skew = if var > 1e-9 { m3 / var.powf(1.5) } else { 0.0 };
        let min = xs.iter().copied().fold(f64::INFINITY, f64::min);
        let max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        [
            n,
            peers.len() as f64,
            xs.iter().sum(),
            mean,
            min,
            max,
            var,
            skew,
        ]
    }

    fn ledger(ops: &[(u8, u8, u16, u8)]) -> (FlowGraph, Vec<f64>) {
        let mut b = LedgerBuilder::new();
        let usd = b.asset("USD").unwrap();
        let mut time = 0;
        for (row, &(f, t, cents, gap)) in ops.iter().enumerate() {
            time += i64::from(gap % 4); // ties are common
            let (f, t) = (b.account(&format!("a{f}")), b.account(&format!("a{t}")));
            let amount = Decimal::new(i64::from(cents) + 1, 0);
            b.push(NewTransfer::simple(time, f, t, amount, usd, row as u32));
        }
        let g = FlowGraph::new(b.finish().unwrap());
        let value = g
            .ledger()
            .amounts_paid()
            .iter()
            .map(|a| rust_decimal::prelude::ToPrimitive::to_f64(a).unwrap())
            .collect();
        (g, value)
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1.0)
    }

    /// Skewness from running sums loses digits when the spread is small
    /// against the values: a looser bound.
    fn close_skew(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-4 * a.abs().max(b.abs()).max(1.0)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn the_sweep_equals_the_slow_way(
            ops in prop::collection::vec((0u8..5, 0u8..5, 0u16..1000, 0u8..8), 1..60),
            window in 0i64..12,
        ) {
            let (g, value) = ledger(&ops);
            let f = endpoint_features(&g, &value, window);
            let l = g.ledger();
            for t in 0..l.len() {
                for (side, a) in [(0, l.froms()[t]), (1, l.tos()[t])] {
                    for (d, incoming) in [(0, true), (1, false)] {
                        let want = brute(&g, &value, window, t, a, incoming);
                        for (k, w) in want.iter().enumerate() {
                            let got = f.values[side * 16 + d * 8 + k][t];
                            let ok = if k == 7 { close_skew(got, *w) } else { close(got, *w) };
                            prop_assert!(ok, "transfer {t} side {side} dir {d} {}: {got} ≠ {w}", STATISTICS[k]);
                        }
                    }
                }
            }
        }

        #[test]
        fn one_thread_or_many_give_the_same_columns(
            ops in prop::collection::vec((0u8..5, 0u8..5, 0u16..1000, 0u8..8), 1..60),
        ) {
            let (g, value) = ledger(&ops);
            let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap()
                .install(|| endpoint_features(&g, &value, 5));
            let many = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap()
                .install(|| endpoint_features(&g, &value, 5));
            prop_assert_eq!(one, many);
        }
    }
}
