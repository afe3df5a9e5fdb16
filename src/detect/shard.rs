//! Analysis shard by shard: the data cut into time intervals, each run
//! with the overlap its detectors need, each finding kept by the shard
//! that holds its first transfer; and into account parts, for the
//! detectors that judge one account's whole history.
//!
//! A shard of interval `[a, b)` holds the transfers of `[a − lookback,
//! b + reach)`, with the longest [`Detector::reach`](super::Detector::reach)
//! and [`Detector::lookback`](super::Detector::lookback) of the enabled
//! sharded detectors: how far after and before its first transfer a
//! finding's transfers, and what decides it, may lie. Searches that start
//! from a transfer start only from those the shard owns. What the whole
//! data decides beyond that comes from the whole data, once, before the
//! shards run ([`WholeData`]: the span, each account's transfer counts
//! and distinct payees),
//! and so does the FX table (with the rates the data's own conversions
//! imply). Each detector's result budget is applied to the findings of
//! every shard together, keeping the highest-scoring ones as an unsharded
//! run does.
//!
//! Detectors whose findings each belong to one account and depend on its
//! whole history ([`Detector::account_scope`](super::Detector::account_scope):
//! fans, gather-scatter hubs, structuring, pass-through replays,
//! scatter-gather sources, bipartite blocks by their smallest payer) run
//! in account parts instead: part `p` of `n` owns the accounts whose id is
//! `p` modulo `n` and holds every transfer one of them pays or receives,
//! plus, for the wider scopes, every transfer their payees pay
//! (scatter-gather) or receive (bipartite), so what decides each owned
//! account's findings is all there (a transfer is read by every part that
//! needs it). A detector with neither a reach nor a scope would run once
//! on the whole data beside them (none does today). Detectors whose
//! parts' results must be put together
//! ([`Detector::combine`](super::Detector::combine): the cycle search's
//! merging of repeats and its routes-per-account filter, the stacks that
//! join bipartite blocks of different parts)
//! finish over all the shards' parts. The tests check that the findings
//! equal an unsharded run's on random ledgers and generated sets for
//! shard lengths from an hour to the whole span; docs/detectors.md says,
//! per detector, why.

use super::plan::PartPlan;
use super::{Analysis, DetectConfig};
use crate::fx::FxTable;
use crate::ledger::Ledger;
use crate::model::{AccountId, AssetId};
use crate::valued::{Valued, WholeData};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// One shard: its own interval and the transfers it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

/// What a sharded run is working on, for progress reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardStep<'a> {
    /// A time shard.
    Shard(&'a Shard),
    /// Account part `part` (0-based) of `parts`.
    AccountPart {
        /// Which part.
        part: usize,
        /// How many there are.
        parts: usize,
    },
}

impl std::fmt::Display for ShardStep<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ShardStep::Shard(s) => write!(f, "shard {}", crate::time::to_rfc3339(s.start_us)),
            ShardStep::AccountPart { part, parts } => {
                write!(f, "account part {} of {parts}", part + 1)
            }
        }
    }
}

/// Most account parts a sharded run makes: each scans every transfer to
/// pick its own and builds a graph of them, so more parts cost time
/// without making the run exact in any other way.
pub const MAX_ACCOUNT_PARTS: usize = 8;

/// Account part `part` of `parts`: it owns the accounts whose id is
/// `part` modulo `parts`.
#[cfg(test)]
fn owned_accounts(accounts: usize, parts: usize, part: usize) -> Arc<[bool]> {
    (0..accounts).map(|a| a % parts == part).collect()
}

/// The transfers of `ledger` an account part that owns `owned` holds
/// for `scope`, in ascending ids: every transfer an owned account pays or
/// receives, and for the wider scopes every transfer their payees pay or
/// receive.
#[cfg(test)]
fn part_transfers(ledger: &Ledger, owned: &[bool], scope: super::AccountScope) -> Vec<u32> {
    let source = InMemory(ledger);
    let mut payees = vec![false; owned.len()];
    for (f, t) in ledger.froms().iter().zip(ledger.tos()) {
        if owned[f.index()] {
            payees[t.index()] = true;
        }
    }
    let picked = source.pick(&mut |g| super::plan::in_scope(scope, owned, &payees, g.from, g.to));
    picked.map(|(_, ids)| ids).unwrap_or_default()
}

/// What a [`PartSource`] tells of each transfer as it reads: enough to
/// pick the transfers of a part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Glance {
    /// The transfer's id: its place in the time order of the whole data.
    pub id: usize,
    /// Its time, in microseconds.
    pub time_us: i64,
    /// The payer.
    pub from: AccountId,
    /// The payee.
    pub to: AccountId,
    /// The asset paid.
    pub asset_paid: AssetId,
    /// The asset received.
    pub asset_received: AssetId,
}

/// Where a sharded analysis reads its parts, one at a time: a ledger in
/// memory, or a [`Store`](crate::store::Store) read partition by partition
/// (so that no more than one part's transfers are held at once).
pub trait PartSource: Sync {
    /// Accounts of the whole data (every ledger the source gives has all
    /// of them, under the same ids).
    fn accounts(&self) -> usize;

    /// Transfers of the whole data (ids run from 0 below it).
    fn transfers(&self) -> usize;

    /// The transfers that `keep` picks, read in id order, as a ledger (in
    /// time order) and the picked ids (ascending): transfer `i` of the
    /// ledger is transfer `ids[i]` of the whole data.
    ///
    /// # Errors
    ///
    /// When the source cannot be read.
    fn pick(&self, keep: &mut dyn FnMut(&Glance) -> bool) -> crate::Result<(Ledger, Vec<u32>)>;

    /// The transfers with ids in `ids`, as a ledger.
    ///
    /// # Errors
    ///
    /// When the source cannot be read.
    fn range(&self, ids: std::ops::Range<usize>) -> crate::Result<Ledger> {
        Ok(self.pick(&mut |g| ids.contains(&g.id))?.0)
    }

    /// Ids (ascending) where the source's own pieces start, such as a
    /// store's partition files: a range that starts and ends at them
    /// reads no piece twice. None by default.
    fn cuts(&self) -> Vec<usize> {
        Vec::new()
    }
}

/// The source's transfers as consecutive id ranges of at most `per_part`
/// (at least 1). Where the source has [`cuts`](PartSource::cuts), ranges
/// start and end only at them, as many of the source's pieces as fit in
/// `per_part` and at least one (a piece longer than `per_part` is a
/// range of its own), so that a reading part by part reads each piece
/// once.
///
/// ```
/// use moneytrail::detect::{id_ranges, InMemory};
/// use moneytrail::{LedgerBuilder, NewTransfer};
/// use rust_decimal::Decimal;
/// let mut b = LedgerBuilder::new();
/// let (x, y) = (b.account("x"), b.account("y"));
/// let usd = b.asset("USD").unwrap();
/// for i in 0..5 {
///     b.push(NewTransfer::simple(i, x, y, Decimal::ONE, usd, i as u32));
/// }
/// let ledger = b.finish().unwrap();
/// assert_eq!(id_ranges(&InMemory(&ledger), 2), [0..2, 2..4, 4..5]);
/// ```
pub fn id_ranges(source: &dyn PartSource, per_part: usize) -> Vec<std::ops::Range<usize>> {
    let (n, per_part) = (source.transfers(), per_part.max(1));
    let cuts = source.cuts();
    let mut ranges = Vec::new();
    let mut start = 0;
    while start < n {
        let limit = (start + per_part).min(n);
        let end = if cuts.is_empty() || limit == n {
            limit
        } else {
            // the last cut inside the range, else the first after it
            let below = cuts.partition_point(|&c| c <= limit);
            match below.checked_sub(1).map(|k| cuts[k]) {
                Some(cut) if cut > start => cut,
                _ => cuts.get(below).copied().unwrap_or(n).min(n),
            }
        };
        ranges.push(start..end);
        start = end;
    }
    ranges
}

/// A ledger in memory as a [`PartSource`].
#[derive(Debug, Clone, Copy)]
pub struct InMemory<'l>(pub &'l Ledger);

impl PartSource for InMemory<'_> {
    fn accounts(&self) -> usize {
        self.0.accounts().len()
    }

    fn transfers(&self) -> usize {
        self.0.len()
    }

    fn pick(&self, keep: &mut dyn FnMut(&Glance) -> bool) -> crate::Result<(Ledger, Vec<u32>)> {
        let l = self.0;
        let (times, froms, tos) = (l.times_us(), l.froms(), l.tos());
        let (paid, received) = (l.assets_paid(), l.assets_received());
        let ids: Vec<u32> = (0..l.len())
            .filter(|&i| {
                keep(&Glance {
                    id: i,
                    time_us: times[i],
                    from: froms[i],
                    to: tos[i],
                    asset_paid: paid[i],
                    asset_received: received[i],
                })
            })
            .map(|i| i as u32)
            .collect();
        Ok((l.select(&ids), ids))
    }

    fn range(&self, ids: std::ops::Range<usize>) -> crate::Result<Ledger> {
        Ok(self.0.slice(ids))
    }
}

/// What a sharded run needs to know of the whole data before its parts:
/// every transfer's time (to cut the shards), [`WholeData`], the FX table
/// and what it leaves unpriced.
#[derive(Debug, Clone)]
pub struct Facts {
    /// Every transfer's time, in id order.
    pub times_us: Vec<i64>,
    /// Every transfer's payer and payee, in id order (what decides which
    /// account parts read it).
    pub pairs: Vec<(AccountId, AccountId)>,
    /// Span, transfer counts, distinct payees.
    pub whole: Arc<WholeData>,
    /// The FX table every part is valued with.
    pub fx: FxTable,
    /// The FX warnings of the whole data ([`Valued::fx_warnings`]).
    pub fx_warnings: Vec<String>,
}

impl Facts {
    /// The facts of valued data in memory.
    pub fn of(data: &Valued<'_>) -> Facts {
        let ledger = data.graph.ledger();
        Facts {
            times_us: ledger.times_us().to_vec(),
            pairs: ledger
                .froms()
                .iter()
                .copied()
                .zip(ledger.tos().iter().copied())
                .collect(),
            whole: Arc::new(WholeData::of(ledger)),
            fx: data.fx.clone(),
            fx_warnings: data.fx_warnings(),
        }
    }

    /// The facts of a source, in one reading of it: `make_fx` is given a
    /// ledger of the transfers that convert one asset into another (all
    /// that implied rates are made from) and returns the FX table, in the
    /// reporting currency it names.
    ///
    /// # Errors
    ///
    /// When the source cannot be read.
    pub fn gather(
        source: &dyn PartSource,
        make_fx: impl FnOnce(&Ledger) -> FxTable,
    ) -> crate::Result<Facts> {
        let mut times_us = Vec::new();
        let mut pairs = Vec::new();
        let mut paid_in: Vec<usize> = Vec::new();
        let (conversions, _) = source.pick(&mut |g| {
            times_us.push(g.time_us);
            pairs.push((g.from, g.to));
            let asset = g.asset_paid.index();
            if asset >= paid_in.len() {
                paid_in.resize(asset + 1, 0);
            }
            paid_in[asset] += 1;
            g.asset_paid != g.asset_received
        })?;
        let fx = make_fx(&conversions).check(&conversions);
        let unpriced: Vec<(String, usize)> = conversions
            .assets()
            .iter()
            .enumerate()
            .filter(|(_, a)| fx.unpriced.contains(&a.code))
            .map(|(i, a)| (a.code.clone(), paid_in.get(i).copied().unwrap_or(0)))
            .collect();
        let keys = pairs
            .iter()
            .map(|&(f, t)| crate::valued::pair_key(f, t))
            .collect();
        let whole = WholeData::from_pairs(
            source.accounts(),
            times_us.first().copied(),
            times_us.last().copied().unwrap_or(0),
            keys,
        );
        Ok(Facts {
            fx_warnings: crate::valued::fx_warnings(&fx.reporting, &unpriced),
            times_us,
            pairs,
            whole: Arc::new(whole),
            fx,
        })
    }
}

/// Run every enabled detector of `config` shard by shard over `data`
/// (shards of `length_us`; as many account parts as there are shards, at
/// most [`MAX_ACCOUNT_PARTS`]), as
/// [`analyze`](super::analyze) runs them on the whole: the same findings
/// where the detectors are exact under sharding. `on_step` is told each
/// shard and each account part as it starts.
pub fn analyze_sharded(
    data: &Valued<'_>,
    config: &DetectConfig,
    length_us: i64,
    on_step: impl FnMut(ShardStep<'_>),
) -> Analysis {
    let source = InMemory(data.graph.ledger());
    match analyze_parts(&source, &Facts::of(data), config, length_us, on_step) {
        Ok(analysis) => analysis,
        // a ledger in memory is never unreadable
        Err(e) => unreachable!("reading a ledger in memory: {e}"),
    }
}

/// [`analyze_sharded`] over any [`PartSource`], reading one part at a
/// time: a time shard's transfers, then each account part's, then the
/// transfers the findings name (for the steps that put the parts'
/// findings together). Findings name transfers by their ids in the whole
/// data.
///
/// # Errors
///
/// When the source cannot be read.
pub fn analyze_parts(
    source: &dyn PartSource,
    facts: &Facts,
    config: &DetectConfig,
    length_us: i64,
    on_step: impl FnMut(ShardStep<'_>),
) -> crate::Result<Analysis> {
    let plan = PartPlan::new(facts, config, length_us);
    run_plan(source, facts, config, &plan, on_step)
}

/// Every part of `plan` in turn, read from `source`, then put together.
fn run_plan(
    source: &dyn PartSource,
    facts: &Facts,
    config: &DetectConfig,
    plan: &PartPlan,
    mut on_step: impl FnMut(ShardStep<'_>),
) -> crate::Result<Analysis> {
    let mut results = Vec::with_capacity(plan.parts());
    for part in 0..plan.parts() {
        if let Some(step) = plan.step(part) {
            on_step(step);
        }
        // each part reads the source once, so that no more than one
        // part's transfers are held at once (one reading for all the
        // scopes of an account part, with_merged_scopes, holds their
        // union: most of the data on dense sets)
        let reader = plan.reader(facts, part);
        let (ledger, ids) = match reader.range() {
            Some(range) => (
                source.range(range.clone())?,
                range.map(|i| i as u32).collect(),
            ),
            None => source.pick(&mut |g| reader.reads(facts, g.id))?,
        };
        results.push(plan.run(config, part, ledger, &ids));
    }
    // the steps that put the parts together read the transfers the
    // findings name, and only those
    let ids = plan.named(&results);
    let mut wanted = vec![false; facts.times_us.len()];
    ids.iter().for_each(|&i| wanted[i as usize] = true);
    let (ledger, _) = source.pick(&mut |g| wanted[g.id])?;
    Ok(plan.combine(config, results, ledger, &ids))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::analyze;
    use crate::detect::testkit::{Kit, H};
    use crate::detect::{AccountScope, Finding};
    use crate::graph::FlowGraph;
    use crate::synth::training::{generate, TrainingSpec};
    use crate::time::DAY;
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    /// A ledger in memory read as pieces that start at `cuts`.
    struct Cut<'l>(InMemory<'l>, Vec<usize>);

    impl PartSource for Cut<'_> {
        fn accounts(&self) -> usize {
            self.0.accounts()
        }
        fn transfers(&self) -> usize {
            self.0.transfers()
        }
        fn pick(&self, keep: &mut dyn FnMut(&Glance) -> bool) -> crate::Result<(Ledger, Vec<u32>)> {
            self.0.pick(keep)
        }
        fn cuts(&self) -> Vec<usize> {
            self.1.clone()
        }
    }

    #[test]
    fn id_ranges_end_at_the_sources_cuts_and_read_each_piece_once() {
        let mut kit = Kit::new();
        for i in 0..10 {
            kit.pay("a", "b", i, 1);
        }
        let g = kit.graph();
        let source = |cuts: &[usize]| Cut(InMemory(g.ledger()), cuts.to_vec());
        // pieces of 3, 3 and 4: two fit in 6, one alone when 2 are asked
        assert_eq!(id_ranges(&source(&[0, 3, 6]), 6), [0..6, 6..10]);
        assert_eq!(id_ranges(&source(&[0, 3, 6]), 2), [0..3, 3..6, 6..10]);
        let whole: Vec<std::ops::Range<usize>> = std::iter::once(0..10).collect();
        assert_eq!(id_ranges(&source(&[0, 3, 6]), 100), whole);
        // no cuts: ranges of the size asked
        assert_eq!(id_ranges(&source(&[]), 4), [0..4, 4..8, 8..10]);
        assert_eq!(id_ranges(&source(&[0]), 0), whole);
    }

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
        c.pass_through.min_forwarded_share = 0.3;
        c.pass_through.max_out_in_ratio = 10.0;
        c.pass_through.max_dwell = crate::time::Span::hours(72);
        c.bipartite.window = crate::time::Span::days(10);
        c.bipartite.min_density = 0.6;
        c.structuring.threshold = Decimal::from(1_000);
        c.asset_hop.min_amount = Decimal::ZERO;
        c.asset_hop.min_wallet_hops = 0;
        c
    }

    fn assert_same(data: &Valued<'_>, config: &DetectConfig, length_us: i64) {
        let whole = analyze(data, config, |_| {});
        let sharded = analyze_sharded(data, config, length_us, |_| {});
        let only = |a: &[Finding], b: &[Finding]| -> Vec<String> {
            a.iter()
                .filter(|f| !b.contains(f))
                .map(|f| format!("{} {:?} {}", f.typology.name(), f.transfers, f.explanation))
                .collect()
        };
        let same = |how: &str, got: &Analysis| {
            assert!(
                whole.findings == got.findings,
                "{how}, shards of {}: whole only {:#?}, {how} only {:#?}",
                crate::time::format_duration(length_us),
                only(&whole.findings, &got.findings),
                only(&got.findings, &whole.findings)
            );
        };
        same("sharded", &sharded);
        assert_eq!(whole.truncated, sharded.truncated);
        assert_eq!(whole.warnings, sharded.warnings);
        // each account part reading every scope at once, in two parts
        let facts = Facts::of(data);
        let plan = PartPlan::new(&facts, config, length_us)
            .with_account_parts(2)
            .with_merged_scopes();
        let source = InMemory(data.graph.ledger());
        same(
            "merged scopes",
            &run_plan(&source, &facts, config, &plan, |_| {}).unwrap(),
        );
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

    /// A ledger of transfers `(from, to, hour, amount, asset)` between
    /// five bank accounts `b0`…, two exchanges `x5`, `x6` and four
    /// self-hosted addresses `w7`…, in EUR, BTC or USDT (by `asset % 3`):
    /// random round trips through virtual assets.
    fn mixed(edges: &[(u8, u8, u16, u32, u8)]) -> FlowGraph {
        use crate::ledger::{LedgerBuilder, NewTransfer};
        use crate::model::AccountKind;
        let mut b = LedgerBuilder::new();
        let assets = ["EUR", "BTC", "USDT"].map(|c| b.asset(c).expect("asset"));
        let account = |b: &mut LedgerBuilder, n: u8| {
            let (name, kind) = match n % 11 {
                n @ 0..5 => (format!("b{n}"), AccountKind::BankAccount),
                n @ 5..7 => (format!("x{n}"), AccountKind::Exchange),
                n => (format!("w{n}"), AccountKind::VirtualAssetAddress),
            };
            let id = b.account(&name);
            b.describe_account(id, None, None, Some(kind));
            id
        };
        for (row, &(from, to, hour, amount, asset)) in edges.iter().enumerate() {
            let (f, t) = (account(&mut b, from), account(&mut b, to));
            let asset = assets[usize::from(asset % 3)];
            b.push(NewTransfer::simple(
                i64::from(hour) * H,
                f,
                t,
                Decimal::from(amount),
                asset,
                row as u32,
            ));
        }
        FlowGraph::new(b.finish().expect("ledger"))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        #[test]
        fn shards_equal_the_whole_with_exchanges_and_virtual_assets(
            edges in proptest::collection::vec((0u8..11, 0u8..11, 0u16..120, 5_000u32..6_000, 0u8..3), 50..400),
            length_hours in 1i64..120,
        ) {
            let graph = mixed(&edges);
            assert_same(&Kit::valued(&graph), &relaxed(), length_hours * H);
        }
    }

    #[test]
    fn random_round_trips_give_asset_hop_findings() {
        // the property test above means something for on_off_ramp and
        // chain_hopping only if its data has them: check a fixed draw
        let mut x: u64 = 11;
        let edges: Vec<(u8, u8, u16, u32, u8)> = (0..400)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let r = |shift: u32, m: u64| (x >> shift) % m;
                (
                    r(33, 11) as u8,
                    r(40, 11) as u8,
                    r(20, 120) as u16,
                    5_000 + r(8, 1_000) as u32,
                    r(50, 3) as u8,
                )
            })
            .collect();
        let graph = mixed(&edges);
        let data = Kit::valued(&graph);
        let per = analyze(&data, &relaxed(), |_| {}).per_typology();
        for typology in ["on_off_ramp", "chain_hopping"] {
            assert!(
                per.get(typology).is_some_and(|&n| n > 0),
                "{typology}: {per:?}"
            );
        }
        for length in [H, 6 * H, DAY, 3 * DAY] {
            assert_same(&data, &relaxed(), length);
        }
    }

    #[test]
    fn account_parts_hold_what_their_scope_names() {
        // n0 → n1 → n2, n2 → n2, n3 → n0, n1 → n3, n4 → n1
        let graph = Kit::hourly(
            &[
                (0, 1, 0),
                (1, 2, 1),
                (2, 2, 2),
                (3, 0, 3),
                (1, 3, 4),
                (4, 1, 5),
            ],
            10,
        );
        let l = graph.ledger();
        let owned = owned_accounts(l.accounts().len(), 2, 0); // n0, n2, n4
                                                              // n0 pays n1; n4 pays n1; n2 pays n2
        assert_eq!(
            part_transfers(l, &owned, AccountScope::Own),
            [0, 1, 2, 3, 5]
        );
        // and n1's payments (1, 4), n2's (2)
        assert_eq!(
            part_transfers(l, &owned, AccountScope::PayeesPayments),
            [0, 1, 2, 3, 4, 5]
        );
        // and what n1 and n2 receive (0, 5; 1, 2)
        assert_eq!(
            part_transfers(l, &owned, AccountScope::PayeesReceipts),
            [0, 1, 2, 3, 5]
        );
        let owned = owned_accounts(l.accounts().len(), 2, 1); // n1, n3
        assert_eq!(
            part_transfers(l, &owned, AccountScope::Own),
            [0, 1, 3, 4, 5]
        );
        // n1's payees n2, n3 pay 2 and 3
        assert_eq!(
            part_transfers(l, &owned, AccountScope::PayeesPayments),
            [0, 1, 2, 3, 4, 5]
        );
        // n1's payees receive 1, 2, 4; n3's payee n0 receives 3
        assert_eq!(
            part_transfers(l, &owned, AccountScope::PayeesReceipts),
            [0, 1, 2, 3, 4, 5]
        );
    }

    /// A ledger of transfers `(layer, from, to, hour, amount)` from
    /// account `from` of a layer (`l0a0`…) to account `to` of the next
    /// (three layers of five), the second layer's a day later: random
    /// blocks and stacks.
    fn layered(edges: &[(u8, u8, u8, u16, u32)]) -> FlowGraph {
        let mut k = Kit::new();
        for &(layer, from, to, hour, amount) in edges {
            let (layer, from, to) = (layer % 2, from % 5, to % 5);
            let next = layer + 1;
            k.pay(
                &format!("l{layer}a{from}"),
                &format!("l{next}a{to}"),
                (i64::from(hour) + 24 * i64::from(layer)) * H,
                i64::from(amount),
            );
        }
        k.graph()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        #[test]
        fn shards_equal_the_whole_on_layered_ledgers(
            edges in proptest::collection::vec((0u8..2, 0u8..5, 0u8..5, 0u16..240, 500u32..3_000), 20..400),
            length_hours in 1i64..240,
        ) {
            let graph = layered(&edges);
            assert_same(&Kit::valued(&graph), &relaxed(), length_hours * H);
        }
    }

    #[test]
    fn layered_random_data_gives_blocks_and_stacks() {
        let mut x: u64 = 5;
        let edges: Vec<(u8, u8, u8, u16, u32)> = (0..400)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let r = |shift: u32, m: u64| (x >> shift) % m;
                (
                    r(60, 2) as u8,
                    r(33, 5) as u8,
                    r(40, 5) as u8,
                    r(20, 240) as u16,
                    500 + r(8, 2_500) as u32,
                )
            })
            .collect();
        let graph = layered(&edges);
        let data = Kit::valued(&graph);
        let per = analyze(&data, &relaxed(), |_| {}).per_typology();
        for typology in ["bipartite", "stack"] {
            assert!(
                per.get(typology).is_some_and(|&n| n > 0),
                "{typology}: {per:?}"
            );
        }
        for length in [H, DAY, 3 * DAY, 30 * DAY] {
            assert_same(&data, &relaxed(), length);
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
        for sharded in [
            "cycle",
            "fan_out",
            "fan_in",
            "scatter_gather",
            "gather_scatter",
            "layering_chain",
            "structuring",
            "pass_through",
        ] {
            assert!(
                per.get(sharded).is_some_and(|&n| n > 0),
                "{sharded}: {per:?}"
            );
        }
        assert_same(&data, &relaxed(), DAY);
    }
}
