//! Analysis shard by shard: the data cut into time intervals, each run
//! with the overlap its detectors need, each finding kept by the shard
//! that holds its first transfer.
//!
//! A shard of interval `[a, b)` holds the transfers of `[a − lookback,
//! b + reach)`, with the longest [`Detector::reach`](super::Detector::reach)
//! and [`Detector::lookback`](super::Detector::lookback) of the enabled
//! sharded detectors: how far after and before its first transfer a
//! finding's transfers, and what decides it, may lie. Searches that start
//! from a transfer start only from those the shard owns. What the whole
//! data decides beyond that comes from the whole data, once, before the
//! shards run ([`WholeData`]: the span, each account's transfer counts),
//! and so does the FX table (with the rates the data's own conversions
//! imply). Each detector's result budget is applied to the findings of
//! every shard together, keeping the highest-scoring ones as an unsharded
//! run does.
//!
//! Detectors whose findings depend on an account's whole history
//! ([`Detector::reach`](super::Detector::reach) is `None`: fans, scans
//! that resume after each finding, per-account replays) run once on the
//! whole data beside the shards; detectors whose shard results must be
//! put together ([`Detector::combine`](super::Detector::combine): the
//! cycle search's merging of repeats and its routes-per-account filter)
//! finish over all the shards' parts. The
//! tests check that the findings equal an unsharded run's on random
//! ledgers and generated sets for shard lengths from an hour to the whole
//! span; docs/detectors.md says, per detector, why.

use super::analysis::in_output_order;
use super::{burst_warnings, Analysis, DetectConfig, Detection, Finding};
use crate::graph::FlowGraph;
use crate::model::TransferId;
use crate::valued::{Valued, WholeData};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

/// One shard: its own interval and the transfers it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// Its interval `[start, end)`, in microseconds.
    pub start_us: i64,
    /// End of the interval (exclusive).
    pub end_us: i64,
    /// The transfers it owns: ids `owned.0 .. owned.1` of the whole data.
    pub owned: (usize, usize),
    /// The transfers it reads, overlap included.
    pub read: (usize, usize),
}

/// The shards of sorted transfer times `times_us`, intervals of
/// `length_us` from the first transfer's interval (multiples of the
/// length from 1970-01-01), each reading `before_us` before and
/// `after_us` after its interval; shards that own no transfer are left
/// out.
///
/// ```
/// use moneytrail::detect::shards;
/// use moneytrail::time::DAY;
/// let times = [0, DAY / 2, DAY + 1, 3 * DAY];
/// let s = shards(&times, DAY, 3 * DAY / 4, DAY / 4);
/// assert_eq!(s.len(), 3); // the third day owns nothing
/// assert_eq!(s[0].owned, (0, 2));
/// assert_eq!(s[1].owned, (2, 3));
/// assert_eq!(s[1].read, (1, 3)); // the half-day transfer is within the look-back
/// ```
pub fn shards(times_us: &[i64], length_us: i64, before_us: i64, after_us: i64) -> Vec<Shard> {
    let (Some(&first), Some(&last)) = (times_us.first(), times_us.last()) else {
        return Vec::new();
    };
    let length = length_us.max(1);
    let at = |t: i64| times_us.partition_point(|&x| x < t);
    let mut out = Vec::new();
    let mut start = first.div_euclid(length).saturating_mul(length);
    while start <= last {
        let end = start.saturating_add(length);
        let owned = (at(start), at(end));
        if owned.0 < owned.1 {
            out.push(Shard {
                start_us: start,
                end_us: end,
                owned,
                read: (
                    at(start.saturating_sub(before_us)),
                    at(end.saturating_add(after_us)),
                ),
            });
        }
        if end == i64::MAX {
            break;
        }
        start = end;
    }
    out
}

/// Run every enabled detector of `config` shard by shard over `data`
/// (shards of `length_us`), as [`analyze`](super::analyze) runs them on
/// the whole: the same findings where the detectors are exact under
/// sharding. `on_shard` is told each shard as it starts.
pub fn analyze_sharded(
    data: &Valued<'_>,
    config: &DetectConfig,
    length_us: i64,
    mut on_shard: impl FnMut(&Shard, usize),
) -> Analysis {
    let mut warnings = data.fx_warnings();
    warnings.extend(burst_warnings(config, data.span_us));
    let enabled = |t: super::Typology| config.enabled.contains(&t);
    let detectors: Vec<_> = config
        .detectors()
        .into_iter()
        .filter(|(_, d)| d.typologies().iter().any(|&t| enabled(t)))
        .collect();
    // which detectors run in shards; the others need the whole data
    let sharded: Vec<bool> = detectors.iter().map(|(_, d)| d.reach().is_some()).collect();
    let in_shards = || {
        detectors
            .iter()
            .zip(&sharded)
            .filter(|(_, &s)| s)
            .map(|(d, _)| &d.1)
    };
    let after = in_shards().filter_map(|d| d.reach()).max().unwrap_or(0);
    let before = in_shards().map(|d| d.lookback()).max().unwrap_or(0);
    let ledger = data.graph.ledger();
    let whole = Arc::new(WholeData::of(ledger));
    let list = shards(ledger.times_us(), length_us, before, after);
    let mut found: Vec<Vec<Finding>> = vec![Vec::new(); detectors.len()];
    let mut truncated = vec![false; detectors.len()];
    let mut seconds = vec![0.0f64; detectors.len()];
    // what needs each account's whole history runs on the whole data
    for (k, (_, detector)) in detectors.iter().enumerate() {
        if !sharded[k] {
            let started = Instant::now();
            let detection = detector.detect(data);
            truncated[k] = detection.truncated;
            found[k] = detection.findings;
            seconds[k] = started.elapsed().as_secs_f64();
        }
    }
    for (n, shard) in list.iter().enumerate() {
        on_shard(shard, n);
        let (lo, hi) = shard.read;
        let graph = FlowGraph::new(ledger.slice(lo..hi));
        let owned = (shard.owned.0 - lo, shard.owned.1 - lo);
        let part = Valued::shard(&graph, data.fx.clone(), whole.clone(), owned);
        for (k, (_, detector)) in detectors.iter().enumerate() {
            if !sharded[k] {
                continue;
            }
            let started = Instant::now();
            let Detection {
                findings,
                truncated: hit,
            } = detector.detect_part(&part);
            truncated[k] |= hit;
            for mut f in findings {
                let first = f.transfers.first().map_or(0, |t| t.index() + lo);
                if first < shard.owned.0 || first >= shard.owned.1 {
                    continue;
                }
                for t in &mut f.transfers {
                    *t = TransferId((t.index() + lo) as u32);
                }
                found[k].push(f);
            }
            seconds[k] += started.elapsed().as_secs_f64();
        }
    }
    for findings in &mut found {
        findings.retain(|f| enabled(f.typology));
    }
    let mut analysis = Analysis {
        warnings,
        ..Analysis::default()
    };
    let mut per_name: BTreeMap<String, f64> = BTreeMap::new();
    for (k, (name, detector)) in detectors.iter().enumerate() {
        let parts = std::mem::take(&mut found[k]);
        let Detection {
            findings,
            truncated: hit,
        } = if sharded[k] {
            detector.combine(data, parts, truncated[k])
        } else {
            Detection {
                findings: parts,
                truncated: truncated[k],
            }
        };
        per_name.insert(name.to_string(), seconds[k]);
        analysis.truncated.insert(name.to_string(), hit);
        analysis.findings.extend(findings);
    }
    analysis.seconds = per_name;
    in_output_order(&mut analysis.findings);
    analysis
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::analyze;
    use crate::detect::testkit::{Kit, H};
    use crate::synth::training::{generate, TrainingSpec};
    use crate::time::DAY;
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    /// Thresholds low enough that small random data gives findings of
    /// most typologies.
    fn relaxed() -> DetectConfig {
        let mut c = DetectConfig::default();
        c.fan_out.min_counterparties = 3;
        c.fan_out.min_amount = Decimal::ZERO;
        c.fan_out.min_burst = 1.0;
        c.fan_in.min_counterparties = 3;
        c.fan_in.min_amount = Decimal::ZERO;
        c.fan_in.min_burst = 1.0;
        c.cycle.min_amount = Decimal::ZERO;
        c.cycle.max_routes_per_account = 0;
        c.cycle.min_hop_ratio = 0.0;
        c.cycle.max_hop_ratio = 10.0;
        c.cycle.min_return_share = 0.0;
        c.cycle.max_return_share = 10.0;
        c.scatter_gather.min_intermediaries = 2;
        c.gather_scatter.min_sources = 2;
        c.gather_scatter.min_sinks = 2;
        c.gather_scatter.min_burst = 1.0;
        c.layering_chain.min_amount = Decimal::ZERO;
        c.pass_through.min_inflow_value = Decimal::ZERO;
        c.structuring.threshold = Decimal::from(1_000);
        c
    }

    fn assert_same(data: &Valued<'_>, config: &DetectConfig, length_us: i64) {
        let whole = analyze(data, config, |_| {});
        let sharded = analyze_sharded(data, config, length_us, |_, _| {});
        let only = |a: &[Finding], b: &[Finding]| -> Vec<String> {
            a.iter()
                .filter(|f| !b.contains(f))
                .map(|f| format!("{} {:?} {}", f.typology.name(), f.transfers, f.explanation))
                .collect()
        };
        assert!(
            whole.findings == sharded.findings,
            "shards of {}: whole only {:#?}, sharded only {:#?}",
            crate::time::format_duration(length_us),
            only(&whole.findings, &sharded.findings),
            only(&sharded.findings, &whole.findings)
        );
        assert_eq!(whole.truncated, sharded.truncated);
        assert_eq!(whole.warnings, sharded.warnings);
    }

    #[test]
    fn shards_equal_the_whole_on_generated_sets() {
        let dir = tempfile::tempdir().unwrap();
        for seed in [1, 2] {
            let mut spec = TrainingSpec::preset("tiny").unwrap();
            spec.seed = seed;
            let out = dir.path().join(seed.to_string());
            generate(&spec, &out).unwrap();
            let loaded = crate::ingest::load(
                &out.join("transactions.csv"),
                &crate::ingest::LoadOptions::default(),
            )
            .unwrap();
            let graph = FlowGraph::new(loaded.ledger);
            let data = Valued::implied(&graph, "USD");
            let found = analyze(&data, &DetectConfig::default(), |_| {})
                .findings
                .len();
            assert!(found > 20, "seed {seed}: {found} findings");
            for length in [DAY / 2, DAY, 3 * DAY, 30 * DAY] {
                assert_same(&data, &DetectConfig::default(), length);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn shards_equal_the_whole_on_random_ledgers(
            edges in proptest::collection::vec((0u8..12, 0u8..12, 0u16..480, 1u32..3_000), 20..300),
            length_hours in 1i64..240,
            routes in 0usize..200,
        ) {
            let mut k = Kit::new();
            for &(from, to, hour, amount) in &edges {
                k.pay(&format!("n{from}"), &format!("n{to}"), i64::from(hour) * H, i64::from(amount));
            }
            let graph = k.graph();
            let data = Kit::valued(&graph);
            // the dense-network filter counts routes over the whole data
            let mut config = relaxed();
            config.cycle.max_routes_per_account = routes;
            assert_same(&data, &config, length_hours * H);
        }
    }

    #[test]
    fn the_relaxed_config_finds_shapes_in_random_data() {
        // the property test above means something only if the detectors
        // find things on such data: check it once, on a fixed draw
        let mut k = Kit::new();
        let mut x: u64 = 7;
        for _ in 0..300 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let (f, t, h) = ((x >> 33) % 12, (x >> 40) % 12, (x >> 20) % 480);
            k.pay(
                &format!("n{f}"),
                &format!("n{t}"),
                h as i64 * H,
                500 + (x % 900) as i64,
            );
        }
        let graph = k.graph();
        let data = Kit::valued(&graph);
        let per = analyze(&data, &relaxed(), |_| {}).per_typology();
        assert!(per.len() >= 5, "{per:?}");
        for sharded in ["cycle", "gather_scatter", "layering_chain"] {
            assert!(
                per.get(sharded).is_some_and(|&n| n > 0),
                "{sharded}: {per:?}"
            );
        }
        assert_same(&data, &relaxed(), DAY);
    }
}
