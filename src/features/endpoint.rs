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
//! ([`ENDPOINT_COLUMNS`]). [`history_features`] sweeps a second, longer
//! window (30 days by default) for each account's profile: the same
//! statistics but the variance and skewness, the distinct `assets` of each
//! direction, and the `hours` since the account's earliest transfer in
//! that window, named `<payer|payee>_history_…` ([`HISTORY_COLUMNS`]).
//! Each account's transfers are swept once with a sliding window (a count
//! per counterparty, monotone queues for the minimum and maximum, and
//! power sums kept exactly in integers, see `moments`), accounts in
//! parallel: O(transfers) work, the same result on any number of threads,
//! and each value a function of the transfers in its window alone, so a
//! time shard that starts later gives the same.

use super::moments::{to_units, unit_decimals, Moments};
use crate::graph::FlowGraph;
use crate::model::{AccountId, AssetId, TransferId};
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

/// Statistics per direction of the history columns.
pub const HISTORY_STATISTICS: [&str; 7] = ["degree", "fan", "sum", "mean", "min", "max", "assets"];

/// The history columns: for the payer, then the payee, the
/// [`HISTORY_STATISTICS`] of what it received (`in`) and paid (`out`),
/// then its `hours`.
pub const HISTORY_COLUMNS: usize = 30;

/// What a sweep writes for one account at one transfer: the nine
/// statistics (the [`STATISTICS`] and distinct assets) of what it received,
/// the nine of what it paid, and the hours since its earliest transfer in
/// the window.
type Cells = [f64; 19];

/// The family of endpoint columns a sweep fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    /// [`endpoint_features`]: the [`STATISTICS`] of both directions.
    Activity,
    /// [`history_features`]: the [`HISTORY_STATISTICS`] of both
    /// directions and the hours.
    History,
}

impl Family {
    /// The places in [`Cells`] of the family's columns of one side, in order.
    fn cells(self) -> &'static [usize] {
        match self {
            Family::Activity => &[0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16],
            Family::History => &[0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13, 14, 17, 18],
        }
    }

    fn names(self) -> Vec<String> {
        match self {
            Family::Activity => endpoint_names(),
            Family::History => history_names(),
        }
    }
}

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

/// The names of the history columns (see the module documentation).
pub fn history_names() -> Vec<String> {
    let mut names = Vec::with_capacity(HISTORY_COLUMNS);
    for side in ["payer", "payee"] {
        for direction in ["in", "out"] {
            for stat in HISTORY_STATISTICS {
                names.push(format!("{side}_history_{direction}_{stat}"));
            }
        }
        names.push(format!("{side}_history_hours"));
    }
    names
}

/// One direction's window: exact power sums, counterparties, assets,
/// extremes.
#[derive(Default)]
struct Side {
    moments: Moments,
    peers: FxHashMap<AccountId, u32>,
    /// Transfers per asset, when the family counts assets.
    assets: Option<FxHashMap<AssetId, u32>>,
    /// Candidates for the minimum (values ascending) and maximum
    /// (descending), with their transfers.
    low: VecDeque<(TransferId, f64)>,
    high: VecDeque<(TransferId, f64)>,
}

impl Side {
    fn counting_assets(count: bool) -> Side {
        Side {
            assets: count.then(FxHashMap::default),
            ..Side::default()
        }
    }

    fn add(&mut self, t: TransferId, v: f64, units: i64, peer: Option<AccountId>, asset: AssetId) {
        self.moments.add(units);
        if let Some(p) = peer {
            *self.peers.entry(p).or_default() += 1;
        }
        if let Some(assets) = &mut self.assets {
            *assets.entry(asset).or_default() += 1;
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

    fn remove(&mut self, t: TransferId, units: i64, peer: Option<AccountId>, asset: AssetId) {
        self.moments.remove(units);
        if let Some(p) = peer {
            forget(&mut self.peers, p);
        }
        if let Some(assets) = &mut self.assets {
            forget(assets, asset);
        }
        for q in [&mut self.low, &mut self.high] {
            if q.front().is_some_and(|&(x, _)| x == t) {
                q.pop_front();
            }
        }
    }

    /// The statistics and the distinct assets (0 when not counted), with
    /// values in units of `1 / scale`.
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
            self.assets.as_ref().map_or(0.0, |a| a.len() as f64),
        ]);
    }
}

/// One transfer less of `key` in a count: gone at zero.
fn forget<K: std::hash::Hash + Eq>(counts: &mut FxHashMap<K, u32>, key: K) {
    if let Some(n) = counts.get_mut(&key) {
        *n -= 1;
        if *n == 0 {
            counts.remove(&key);
        }
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
    sweep_columns(graph, value, decimals, window_us, Family::Activity)
}

/// Each endpoint's profile over a longer window, `window_us`
/// microseconds (see the module documentation): what it received and
/// paid there (transfers, counterparties, the sum, mean, minimum and
/// maximum of the values, distinct assets) and the hours since its
/// earliest transfer there. Causal, as [`endpoint_features`]: a mule or a
/// hub that exists only to pass money on shows a short history of few
/// assets and counterparties that in and out mirror, where an honest
/// account has a long, steady one.
///
/// ```
/// use moneytrail::features::{history_features, history_names};
/// use moneytrail::{FlowGraph, LedgerBuilder, NewTransfer};
/// use rust_decimal::Decimal;
///
/// let hour = 3_600_000_000;
/// let mut b = LedgerBuilder::new();
/// let (x, hub, y) = (b.account("x"), b.account("hub"), b.account("y"));
/// let (usd, eur) = (b.asset("USD").unwrap(), b.asset("EUR").unwrap());
/// b.push(NewTransfer::simple(0, x, hub, Decimal::from(100), usd, 0));
/// b.push(NewTransfer::simple(5 * hour, hub, y, Decimal::from(90), eur, 1));
/// let g = FlowGraph::new(b.finish().unwrap());
/// let f = history_features(&g, &[100.0, 90.0], 2, 30 * 24 * hour);
/// let column = |name: &str| &f.values[history_names().iter().position(|n| n == name).unwrap()];
/// // when the hub pays on, it has held money for 5 hours; it received
/// // dollars and pays euros (x, the first payer, had received nothing)
/// assert_eq!(column("payer_history_hours"), &[0.0, 5.0]);
/// assert_eq!(column("payer_history_in_assets"), &[0.0, 1.0]);
/// assert_eq!(column("payer_history_out_assets"), &[1.0, 1.0]);
/// ```
pub fn history_features(
    graph: &FlowGraph,
    value: &[f64],
    decimals: u32,
    window_us: i64,
) -> FeatureColumns {
    sweep_columns(graph, value, decimals, window_us, Family::History)
}

/// The columns of `family` over `window_us`, accounts swept in parallel.
fn sweep_columns(
    graph: &FlowGraph,
    value: &[f64],
    decimals: u32,
    window_us: i64,
    family: Family,
) -> FeatureColumns {
    let l = graph.ledger();
    let n = l.len();
    let cells = family.cells();
    let decimals = unit_decimals(decimals);
    let units = Units {
        value,
        units: &to_units(value, decimals),
        scale: 10f64.powi(decimals as i32),
    };
    let mut values = vec![vec![0.0; n]; 2 * cells.len()];
    // accounts a batch at a time, so that the rows swept and not yet
    // written (160 bytes each) stay a bounded number
    let accounts: Vec<u32> = (0..graph.account_count() as u32).collect();
    for batch in accounts.chunks(ACCOUNTS_PER_BATCH) {
        // per account: (transfer, whether it is the payer's row, the cells)
        let rows: Vec<Vec<(TransferId, bool, Cells)>> = batch
            .par_iter()
            .map(|&a| sweep(graph, &units, window_us, family, AccountId(a)))
            .collect();
        for (t, payer, row) in rows.into_iter().flatten() {
            let offset = if payer { 0 } else { cells.len() };
            for (j, &c) in cells.iter().enumerate() {
                values[offset + j][t.index()] = row[c];
            }
        }
    }
    FeatureColumns {
        names: family.names(),
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
    family: Family,
    a: AccountId,
) -> Vec<(TransferId, bool, Cells)> {
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
    let assets = family == Family::History;
    let (mut ins, mut outs) = (Side::counting_assets(assets), Side::counting_assets(assets));
    let mut start = 0;
    let mut rows = Vec::with_capacity(events.len());
    for (k, &t) in events.iter().enumerate() {
        let i = t.index();
        let (now, v, q) = (l.times_us()[i], value.value[i], value.units[i]);
        let (is_in, is_out) = (l.tos()[i] == a, l.froms()[i] == a);
        if is_in {
            ins.add(t, v, q, peer(t, true), l.assets_received()[i]);
        }
        if is_out {
            outs.add(t, v, q, peer(t, false), l.assets_paid()[i]);
        }
        let oldest = now.saturating_sub(window_us);
        while start < k && l.times_us()[events[start].index()] < oldest {
            let s = events[start];
            let (j, w) = (s.index(), value.units[s.index()]);
            if l.tos()[j] == a {
                ins.remove(s, w, peer(s, true), l.assets_received()[j]);
            }
            if l.froms()[j] == a {
                outs.remove(s, w, peer(s, false), l.assets_paid()[j]);
            }
            start += 1;
        }
        let mut cells = [0.0; 19];
        ins.write(value.scale, &mut cells[..9]);
        outs.write(value.scale, &mut cells[9..18]);
        let earliest = l.times_us()[events[start].index()];
        cells[18] = (now - earliest) as f64 / crate::time::HOUR as f64;
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
    /// transfer looked at for every transfer: the [`STATISTICS`], then the
    /// distinct assets.
    fn brute(
        g: &FlowGraph,
        value: &[f64],
        window: i64,
        t: usize,
        a: AccountId,
        incoming: bool,
    ) -> [f64; 9] {
        let l = g.ledger();
        let now = l.times_us()[t];
        let mut xs = Vec::new();
        let mut peers = std::collections::BTreeSet::new();
        let mut assets = std::collections::BTreeSet::new();
        for (s, &v) in value.iter().enumerate().take(t + 1) {
            let (from, to) = (l.froms()[s], l.tos()[s]);
            let touches = if incoming { to == a } else { from == a };
            if touches && l.times_us()[s] >= now - window {
                xs.push(v);
                let p = if incoming { from } else { to };
                if p != a {
                    peers.insert(p);
                }
                assets.insert(if incoming {
                    l.assets_received()[s]
                } else {
                    l.assets_paid()[s]
                });
            }
        }
        let n = xs.len() as f64;
        if xs.is_empty() {
            return [0.0, peers.len() as f64, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
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
            assets.len() as f64,
        ]
    }

    /// Hours from `a`'s earliest transfer within the window to `t`, the
    /// slow way.
    fn brute_hours(g: &FlowGraph, window: i64, t: usize, a: AccountId) -> f64 {
        let l = g.ledger();
        let now = l.times_us()[t];
        let earliest = (0..=t)
            .filter(|&s| l.froms()[s] == a || l.tos()[s] == a)
            .map(|s| l.times_us()[s])
            .filter(|&time| time >= now - window)
            .min()
            .unwrap();
        (now - earliest) as f64 / crate::time::HOUR as f64
    }

    fn ledger(ops: &[(u8, u8, u16, u8)]) -> (FlowGraph, Vec<f64>) {
        let mut b = LedgerBuilder::new();
        let assets = [
            b.asset("USD").unwrap(),
            b.asset("EUR").unwrap(),
            b.asset("GBP").unwrap(),
        ];
        let mut time = 0;
        for (row, &(f, t, cents, gap)) in ops.iter().enumerate() {
            time += i64::from(gap % 4); // ties are common
            let (f, t) = (b.account(&format!("a{f}")), b.account(&format!("a{t}")));
            let amount = Decimal::new(i64::from(cents) + 1, 0);
            let asset = assets[usize::from(cents % 3)];
            b.push(NewTransfer::simple(time, f, t, amount, asset, row as u32));
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
                        for (k, w) in want[..8].iter().enumerate() {
                            let got = f.values[side * 16 + d * 8 + k][t];
                            prop_assert!(close(got, *w), "transfer {t} side {side} dir {d} {}: {got} ≠ {w}", STATISTICS[k]);
                        }
                    }
                }
            }
        }

        #[test]
        fn the_history_sweep_equals_the_slow_way(
            ops in prop::collection::vec((0u8..5, 0u8..5, 0u16..1000, 0u8..8), 1..60),
            window in 0i64..12,
        ) {
            let (g, value) = ledger(&ops);
            let f = history_features(&g, &value, 2, window);
            prop_assert_eq!(&f.names, &history_names());
            let column = |name: String| &f.values[f.names.iter().position(|n| *n == name).unwrap()];
            let l = g.ledger();
            for t in 0..l.len() {
                for (side, a) in [("payer", l.froms()[t]), ("payee", l.tos()[t])] {
                    for (direction, incoming) in [("in", true), ("out", false)] {
                        let want = brute(&g, &value, window, t, a, incoming);
                        for (stat, k) in HISTORY_STATISTICS.iter().zip([0, 1, 2, 3, 4, 5, 8]) {
                            let got = column(format!("{side}_history_{direction}_{stat}"))[t];
                            prop_assert!(close(got, want[k]), "transfer {t} {side} {direction} {stat}: {got} ≠ {}", want[k]);
                        }
                    }
                    // the same quotient of the same whole microseconds: equal exactly
                    let hours = column(format!("{side}_history_hours"))[t];
                    prop_assert_eq!(hours, brute_hours(&g, window, t, a), "transfer {} {} hours", t, side);
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
