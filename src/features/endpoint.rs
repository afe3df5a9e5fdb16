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
//! sliding window (a count per counterparty, monotone queues for the
//! minimum and maximum, and power sums kept exactly in integers, see
//! `moments`), accounts in parallel: O(transfers) work, the same result on
//! any number of threads, and each value a function of the transfers in
//! its window alone, so a time shard that starts later gives the same.

use super::moments::{to_units, unit_decimals, Moments};
use crate::graph::FlowGraph;
use crate::model::{AccountId, TransferId};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::collections::VecDeque;

/// Accounts swept between two writes into the columns.
const ACCOUNTS_PER_BATCH: usize = 16_384;

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

/// One direction's window: exact power sums, counterparties, extremes.
#[derive(Default)]
struct Side {
    moments: Moments,
    peers: FxHashMap<AccountId, u32>,
    /// Candidates for the minimum (values ascending) and maximum
    /// (descending), with their transfers.
    low: VecDeque<(TransferId, f64)>,
    high: VecDeque<(TransferId, f64)>,
}

impl Side {
    fn add(&mut self, t: TransferId, v: f64, units: i64, peer: Option<AccountId>) {
        self.moments.add(units);
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

    fn remove(&mut self, t: TransferId, units: i64, peer: Option<AccountId>) {
        self.moments.remove(units);
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
    }

    /// The statistics, with values in units of `1 / scale`.
    fn write(&self, scale: f64, out: &mut [f64]) {
        let s = self.moments.stats();
        let first = |q: &VecDeque<(TransferId, f64)>| q.front().map_or(0.0, |&(_, v)| v);
        out.copy_from_slice(&[
            self.moments.count() as f64,
            self.peers.len() as f64,
            s.sum / scale,
            s.mean / scale,
            first(&self.low),
            first(&self.high),
            s.var / (scale * scale),
            s.skew,
        ]);
    }
}

/// The endpoint features of every transfer (see the module documentation)
/// over `window_us` microseconds; `value` is each transfer's value in the
/// reporting currency (as [`Valued::value_f64`](crate::Valued)), and
/// `decimals` the currency's decimal places: sums, means, variances and
/// skewness are taken exactly in units of `10^-d`, `d` that number held
/// between 2 and 6, so each depends only on the values in the window.
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
/// let f = endpoint_features(&g, &[100.0, 300.0], 2, 60);
/// let column = |name: &str| &f.values[endpoint_names().iter().position(|n| n == name).unwrap()];
/// // when the second transfer arrives, the hub has heard from two payers
/// assert_eq!(column("payee_in_fan"), &[1.0, 2.0]);
/// assert_eq!(column("payee_in_mean"), &[100.0, 200.0]);
/// ```
pub fn endpoint_features(
    graph: &FlowGraph,
    value: &[f64],
    decimals: u32,
    window_us: i64,
) -> FeatureColumns {
    let l = graph.ledger();
    let n = l.len();
    let half = ENDPOINT_COLUMNS / 2;
    let decimals = unit_decimals(decimals);
    let units = Units {
        value,
        units: &to_units(value, decimals),
        scale: 10f64.powi(decimals as i32),
    };
    let mut values = vec![vec![0.0; n]; ENDPOINT_COLUMNS];
    // accounts a batch at a time, so that the rows swept and not yet
    // written (136 bytes each) stay a bounded number
    let accounts: Vec<u32> = (0..graph.account_count() as u32).collect();
    for batch in accounts.chunks(ACCOUNTS_PER_BATCH) {
        // per account: (transfer, whether it is the payer's row, 16 values)
        let rows: Vec<Vec<(TransferId, bool, [f64; 16])>> = batch
            .par_iter()
            .map(|&a| sweep(graph, &units, window_us, AccountId(a)))
            .collect();
        for (t, payer, cells) in rows.into_iter().flatten() {
            let offset = if payer { 0 } else { half };
            for (j, v) in cells.into_iter().enumerate() {
                values[offset + j][t.index()] = v;
            }
        }
    }
    FeatureColumns {
        names: endpoint_names(),
        values,
    }
}

/// Each transfer's value, and in whole units of `1 / scale`.
struct Units<'a> {
    value: &'a [f64],
    units: &'a [i64],
    scale: f64,
}

/// One account's transfers in ledger order, with the window's state after
/// each: a row for each side the account takes in it.
fn sweep(
    graph: &FlowGraph,
    value: &Units<'_>,
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
        let (now, v, q) = (l.times_us()[i], value.value[i], value.units[i]);
        let (is_in, is_out) = (l.tos()[i] == a, l.froms()[i] == a);
        if is_in {
            ins.add(t, v, q, peer(t, true));
        }
        if is_out {
            outs.add(t, v, q, peer(t, false));
        }
        let oldest = now.saturating_sub(window_us);
        while start < k && l.times_us()[events[start].index()] < oldest {
            let s = events[start];
            let (j, w) = (s.index(), value.units[s.index()]);
            if l.tos()[j] == a {
                ins.remove(s, w, peer(s, true));
            }
            if l.froms()[j] == a {
                outs.remove(s, w, peer(s, false));
            }
            start += 1;
        }
        let mut cells = [0.0; 16];
        ins.write(value.scale, &mut cells[..8]);
        outs.write(value.scale, &mut cells[8..]);
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

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn the_sweep_equals_the_slow_way(
            ops in prop::collection::vec((0u8..5, 0u8..5, 0u16..1000, 0u8..8), 1..60),
            window in 0i64..12,
        ) {
            let (g, value) = ledger(&ops);
            let f = endpoint_features(&g, &value, 2, window);
            let l = g.ledger();
            for t in 0..l.len() {
                for (side, a) in [(0, l.froms()[t]), (1, l.tos()[t])] {
                    for (d, incoming) in [(0, true), (1, false)] {
                        let want = brute(&g, &value, window, t, a, incoming);
                        for (k, w) in want.iter().enumerate() {
                            let got = f.values[side * 16 + d * 8 + k][t];
                            prop_assert!(close(got, *w), "transfer {t} side {side} dir {d} {}: {got} ≠ {w}", STATISTICS[k]);
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
                .install(|| endpoint_features(&g, &value, 2, 5));
            let many = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap()
                .install(|| endpoint_features(&g, &value, 2, 5));
            prop_assert_eq!(one, many);
        }
    }
}
