//! Temporal cycles through each transfer, by length: for `k` from 2 to
//! the most hops asked for, `cycle_<k>` counts the time-respecting simple
//! cycles of `k` transfers that hold the transfer and complete within the
//! window of their first transfer (as [`enumerate::temporal_cycles`]
//! defines them: each transfer later than the one before in ledger order,
//! each paid by the previous one's payee, the last paid to the first's
//! payer, no account twice). Like GFP's `temp-cycle` histogram, but over
//! whole cycles: a cycle counts for every transfer in it, the earlier ones
//! included, so the columns are not causal. The search keeps at most
//! [`CYCLES_PER_START`] cycles per first transfer and says when it cut one.
//!
//! [`enumerate::temporal_cycles`]: crate::enumerate::temporal_cycles

use super::FeatureColumns;
use crate::time::Span;
use crate::Valued;

/// Cycles kept per first transfer before the search says it cut them.
pub const CYCLES_PER_START: usize = 1_000;

/// The cycle columns' names for cycles of 2 to `max_hops` transfers.
pub fn cycle_names(max_hops: usize) -> Vec<String> {
    (2..=max_hops).map(|k| format!("cycle_{k}")).collect()
}

/// The cycle columns of `data` (ledger order), and whether the per-start
/// budget cut the search.
pub fn cycle_features(data: &Valued<'_>, max_hops: usize, window: Span) -> (FeatureColumns, bool) {
    let names = cycle_names(max_hops);
    let mut values = vec![vec![0.0; data.graph.ledger().len()]; names.len()];
    if names.is_empty() {
        return (FeatureColumns { names, values }, false);
    }
    let found = crate::enumerate::temporal_cycles(data, max_hops, window, CYCLES_PER_START);
    for cycle in &found.items {
        let column = &mut values[cycle.len() - 2];
        for t in cycle {
            column[t.index()] += 1.0;
        }
    }
    (FeatureColumns { names, values }, found.truncated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FlowGraph, LedgerBuilder, NewTransfer};
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    const HOUR: i64 = 3_600_000_000;

    /// Every cycle the slow way: from each transfer, extend by every later
    /// transfer its payee pays within the window, to a new account or
    /// back to the first payer (which closes a cycle).
    fn brute(g: &FlowGraph, max_hops: usize, window: i64) -> Vec<Vec<f64>> {
        let l = g.ledger();
        let n = l.len();
        let mut counts = vec![vec![0.0; n]; max_hops - 1];
        let mut stack: Vec<Vec<usize>> = (0..n)
            .filter(|&t| l.froms()[t] != l.tos()[t])
            .map(|t| vec![t])
            .collect();
        while let Some(path) = stack.pop() {
            let (first, last) = (path[0], path[path.len() - 1]);
            let start = l.froms()[first];
            for next in last + 1..n {
                if l.froms()[next] != l.tos()[last]
                    || l.times_us()[next] - l.times_us()[first] > window
                {
                    continue;
                }
                let to = l.tos()[next];
                if to == start {
                    for &t in path.iter().chain([&next]) {
                        counts[path.len() - 1][t] += 1.0;
                    }
                } else if path.len() + 1 < max_hops && !path.iter().any(|&t| l.tos()[t] == to) {
                    let mut longer = path.clone();
                    longer.push(next);
                    stack.push(longer);
                }
            }
        }
        counts
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(120))]
        #[test]
        fn cycle_counts_equal_the_slow_way(
            ops in proptest::collection::vec((0u8..5, 0u8..5, 0u8..40), 1..40),
            max_hops in 2usize..6,
            window_hours in 1i64..30,
        ) {
            let mut b = LedgerBuilder::new();
            let usd = b.asset("USD").unwrap();
            let accounts: Vec<_> = (0..5).map(|i| b.account(&format!("a{i}"))).collect();
            for (row, &(f, t, hour)) in ops.iter().enumerate() {
                b.push(NewTransfer::simple(
                    i64::from(hour) * HOUR,
                    accounts[f as usize],
                    accounts[t as usize],
                    Decimal::from(10),
                    usd,
                    row as u32,
                ));
            }
            let g = FlowGraph::new(b.finish().unwrap());
            let data = Valued::implied(&g, "USD");
            let (got, truncated) = cycle_features(&data, max_hops, Span::hours(window_hours));
            prop_assert!(!truncated);
            prop_assert_eq!(got.names, cycle_names(max_hops));
            prop_assert_eq!(got.values, brute(&g, max_hops, window_hours * HOUR));
        }
    }
}
