//! Whether an analysis held in memory fits a memory budget, and the shard
//! length of a part-by-part one when it does not (`analyze --max-memory`).
//!
//! The estimate is the measured peak per transfer of an unsharded
//! `analyze`, not a bound: memory per transfer grows with how dense the
//! accounts are (docs/performance.md), so the highest figure measured is
//! used.

use crate::time::{Span, DAY};

/// Peak bytes per transfer of an unsharded `analyze` (ledger, graph,
/// temporal index and detector state), the highest measured on generated
/// data: 2.10 GiB for 10M transfers among 500,000 accounts (225 B), 20.9
/// GiB for 50M among the same accounts (449 B).
pub const ANALYZE_BYTES_PER_TRANSFER: u64 = 450;

/// The peak an unsharded analysis of `transfers` transfers is expected to
/// reach, in bytes.
///
/// ```
/// use moneytrail::detect::analyze_bytes;
/// assert_eq!(analyze_bytes(10_000_000), 4_500_000_000);
/// ```
pub fn analyze_bytes(transfers: u64) -> u64 {
    transfers.saturating_mul(ANALYZE_BYTES_PER_TRANSFER)
}

/// The shard length for analysing `transfers` transfers spread over
/// `span_us` part by part within `budget` bytes: the span cut into as many
/// time shards as the expected unsharded peak holds budgets, each a whole
/// number of days and at least one. `None` when the unsharded analysis is
/// expected to fit.
///
/// A part also reads the overlap its detectors need, and on dense data an
/// account part holds much of the data (docs/detectors.md), so this picks
/// the shards, it does not promise the peak.
///
/// ```
/// use moneytrail::detect::shard_length_within;
/// use moneytrail::time::Span;
/// let gib = 1u64 << 30;
/// // 10M transfers (about 4.2 GiB expected) fit 8 GiB
/// assert_eq!(shard_length_within(10_000_000, Span::days(60).micros(), 8 * gib), None);
/// // 180M transfers over 60 days (about 75 GiB) in 8 GiB: 10 shards of 6 days
/// assert_eq!(
///     shard_length_within(180_000_000, Span::days(60).micros(), 8 * gib),
///     Some(Span::days(6))
/// );
/// ```
pub fn shard_length_within(transfers: u64, span_us: i64, budget: u64) -> Option<Span> {
    let needed = analyze_bytes(transfers);
    if needed <= budget {
        return None;
    }
    let parts = needed.div_ceil(budget.max(1));
    let days = span_us.max(0) / DAY;
    let per_part = days / i64::try_from(parts).unwrap_or(i64::MAX);
    Some(Span::days(per_part.max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_below_one_day_of_data_still_gives_one_day_shards() {
        assert_eq!(
            shard_length_within(u64::MAX, Span::days(400).micros(), 1),
            Some(Span::days(1))
        );
        assert_eq!(shard_length_within(5, 0, 1), Some(Span::days(1)));
        assert_eq!(shard_length_within(0, 0, 0), None);
    }

    #[test]
    fn more_budget_gives_longer_shards_until_none_are_needed() {
        let span = Span::days(90).micros();
        let mut last = Span::days(1);
        for gib in 1..200u64 {
            match shard_length_within(50_000_000, span, gib << 30) {
                Some(length) => {
                    assert!(length >= last, "{gib} GiB: {length} after {last}");
                    last = length;
                }
                None => {
                    assert!(analyze_bytes(50_000_000) <= gib << 30);
                    return;
                }
            }
        }
        panic!("50M transfers never fitted");
    }
}
