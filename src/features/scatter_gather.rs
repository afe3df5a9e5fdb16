//! Scatter-gather through each transfer, computed exactly and causally:
//! the parallel two-hop paths that the transfer completes.
//!
//! For a transfer `t` from `w` to `v` at time `τ`, the window holds every
//! transfer no later than `t` in the ledger's order and no older than
//! `τ − window` (what a stream knows when `t` arrives, as for the endpoint
//! columns). A *source* is an account `s` (neither `w` nor `v`) that paid
//! `w` in the window before `t`. The *intermediaries* of a source are the
//! accounts `x` (neither `s` nor `v`) with a payment `s → x` and a later
//! payment `x → v`, both in the window: `w` is one of them, through `t`.
//!
//! | column | meaning |
//! |---|---|
//! | `sg_sources` | sources with at least two intermediaries: scatter-gathers from a source to `v` that `t` completes |
//! | `sg_width` | the most intermediaries of one source (0 without a source, 1 when each reaches `v` only through `w`) |
//!
//! Snap ML's Graph Feature Preprocessor counts scatter-gather patterns per
//! transfer in its own windows with bins by size; these two columns carry
//! the same evidence (how many sources fan out and gather again at the
//! payee, and how wide the widest is) without its undocumented boundary
//! rules. Bipartite sets and stacks give wide parallel two-hop paths too.
//!
//! Each transfer's search reads the payee's receipts in the window and,
//! for each, the intermediary's receipts before it; at most
//! [`STEPS_PER_TRANSFER`] of those are read, and the search says when it
//! stopped there (its counts are then lower bounds). Transfers are
//! searched in parallel: the same columns on any number of threads.

use super::FeatureColumns;
use crate::graph::FlowGraph;
use crate::model::{AccountId, TransferId};
use rayon::prelude::*;

/// Receipts read per transfer before its search stops.
pub const STEPS_PER_TRANSFER: usize = 20_000;

/// The scatter-gather columns' names, in order.
pub const SCATTER_GATHER_COLUMNS: [&str; 2] = ["sg_sources", "sg_width"];

/// The scatter-gather columns of every transfer (ledger order) over
/// `window_us` microseconds, and whether a search stopped at its budget.
///
/// ```
/// use moneytrail::features::scatter_gather_features;
/// use moneytrail::{FlowGraph, LedgerBuilder, NewTransfer};
/// use rust_decimal::Decimal;
///
/// // s pays a, b and c; each pays d: the third payment to d completes a
/// // scatter-gather of width 3
/// let mut b = LedgerBuilder::new();
/// let usd = b.asset("USD").unwrap();
/// let [s, x, y, z, d] = ["s", "a", "b", "c", "d"].map(|k| b.account(k));
/// let hour = 3_600_000_000;
/// let mut row = 0;
/// for (t, from, to) in [(0, s, x), (1, s, y), (2, s, z), (3, x, d), (4, y, d), (5, z, d)] {
///     b.push(NewTransfer::simple(t * hour, from, to, Decimal::from(100), usd, row));
///     row += 1;
/// }
/// let g = FlowGraph::new(b.finish().unwrap());
/// let (f, cut) = scatter_gather_features(&g, 24 * hour);
/// assert!(!cut);
/// assert_eq!(f.values[0], [0.0, 0.0, 0.0, 0.0, 1.0, 1.0]); // sg_sources
/// assert_eq!(f.values[1], [0.0, 0.0, 0.0, 1.0, 2.0, 3.0]); // sg_width
/// ```
pub fn scatter_gather_features(graph: &FlowGraph, window_us: i64) -> (FeatureColumns, bool) {
    let n = graph.ledger().len();
    let found: Vec<(f64, f64, bool)> = (0..n as u32)
        .into_par_iter()
        .map(|t| through(graph, TransferId(t), window_us))
        .collect();
    let truncated = found.iter().any(|f| f.2);
    let values = vec![
        found.iter().map(|f| f.0).collect(),
        found.iter().map(|f| f.1).collect(),
    ];
    let names = SCATTER_GATHER_COLUMNS
        .iter()
        .map(|s| s.to_string())
        .collect();
    (FeatureColumns { names, values }, truncated)
}

/// `(sg_sources, sg_width, stopped at the budget)` of transfer `t`.
fn through(graph: &FlowGraph, t: TransferId, window_us: i64) -> (f64, f64, bool) {
    let l = graph.ledger();
    let (w, v, time) = (
        l.froms()[t.index()],
        l.tos()[t.index()],
        l.times_us()[t.index()],
    );
    let since = time.saturating_sub(window_us);
    if w == v {
        return (0.0, 0.0, false);
    }
    let mut sources: Vec<AccountId> = graph
        .incoming(w, since..=time)
        .iter()
        .filter(|&(_, e, s)| e < t && s != v && s != w)
        .map(|(_, _, s)| s)
        .collect();
    sources.sort_unstable();
    sources.dedup();
    if sources.is_empty() {
        return (0.0, 0.0, false);
    }
    // every (source, intermediary) pair with a path source → x → v
    let mut pairs: Vec<(AccountId, AccountId)> = Vec::new();
    let mut steps = 0usize;
    let mut cut = false;
    'receipts: for (at, second, x) in graph.incoming(v, since..=time).iter() {
        if second > t || x == v {
            continue;
        }
        for (_, first, s) in graph.incoming(x, since..=at).iter() {
            steps += 1;
            if steps > STEPS_PER_TRANSFER {
                cut = true;
                break 'receipts;
            }
            if first < second && s != x && sources.binary_search(&s).is_ok() {
                pairs.push((s, x));
            }
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    let (mut wide, mut widest) = (0usize, 0usize);
    for run in pairs.chunk_by(|a, b| a.0 == b.0) {
        widest = widest.max(run.len());
        wide += usize::from(run.len() >= 2);
    }
    (wide as f64, widest as f64, cut)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LedgerBuilder, NewTransfer};
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    const HOUR: i64 = 3_600_000_000;

    /// The columns the slow way, from the definition: every source of the
    /// payer in the window before `t`, and for each every intermediary
    /// with an earlier payment from it and a later one to the payee.
    fn brute(g: &FlowGraph, window: i64) -> Vec<(f64, f64)> {
        let l = g.ledger();
        let (from, to, time) = (l.froms(), l.tos(), l.times_us());
        let n = l.len();
        (0..n)
            .map(|t| {
                let (w, v) = (from[t], to[t]);
                let inside = |e: usize| e <= t && time[e] >= time[t] - window;
                if w == v {
                    return (0.0, 0.0);
                }
                let mut sources: Vec<AccountId> = (0..t)
                    .filter(|&e| inside(e) && to[e] == w && from[e] != v && from[e] != w)
                    .map(|e| from[e])
                    .collect();
                sources.sort_unstable();
                sources.dedup();
                let widths: Vec<usize> = sources
                    .iter()
                    .map(|&s| {
                        let mut xs: Vec<AccountId> = Vec::new();
                        for e1 in (0..n).filter(|&e| inside(e) && from[e] == s) {
                            let x = to[e1];
                            if x == s || x == v {
                                continue;
                            }
                            if (e1 + 1..n).any(|e2| inside(e2) && from[e2] == x && to[e2] == v) {
                                xs.push(x);
                            }
                        }
                        xs.sort_unstable();
                        xs.dedup();
                        xs.len()
                    })
                    .collect();
                (
                    widths.iter().filter(|&&k| k >= 2).count() as f64,
                    widths.iter().copied().max().unwrap_or(0) as f64,
                )
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn columns_equal_the_definition_on_random_ledgers(
            edges in proptest::collection::vec((0u8..7, 0u8..7, 0u16..96), 1..120),
            window_hours in 1i64..48,
        ) {
            let mut b = LedgerBuilder::new();
            let usd = b.asset("USD").unwrap();
            let ids: Vec<AccountId> = (0..7).map(|i| b.account(&format!("a{i}"))).collect();
            for (row, &(f, t, h)) in edges.iter().enumerate() {
                b.push(NewTransfer::simple(
                    i64::from(h) * HOUR,
                    ids[usize::from(f)],
                    ids[usize::from(t)],
                    Decimal::ONE,
                    usd,
                    row as u32,
                ));
            }
            let g = FlowGraph::new(b.finish().unwrap());
            let (f, cut) = scatter_gather_features(&g, window_hours * HOUR);
            prop_assert!(!cut);
            let expected = brute(&g, window_hours * HOUR);
            for (t, &(sources, width)) in expected.iter().enumerate() {
                prop_assert_eq!((f.values[0][t], f.values[1][t]), (sources, width), "transfer {}", t);
            }
        }
    }

    #[test]
    fn one_thread_or_three_give_the_same_columns() {
        let mut b = LedgerBuilder::new();
        let usd = b.asset("USD").unwrap();
        let ids: Vec<AccountId> = (0..30).map(|i| b.account(&format!("a{i}"))).collect();
        let mut x: u64 = 3;
        for row in 0..3_000u32 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let (f, t, h) = ((x >> 33) % 30, (x >> 40) % 30, (x >> 20) % 400);
            b.push(NewTransfer::simple(
                h as i64 * HOUR,
                ids[f as usize],
                ids[t as usize],
                Decimal::ONE,
                usd,
                row,
            ));
        }
        let g = FlowGraph::new(b.finish().unwrap());
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| scatter_gather_features(&g, 24 * HOUR))
        };
        let one = run(1);
        assert!(
            one.0.values[0].iter().any(|&s| s > 0.0),
            "the data has scatter-gathers"
        );
        assert_eq!(one, run(3));
    }
}
