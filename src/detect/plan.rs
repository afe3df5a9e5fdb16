//! A sharded analysis as separate steps, so that its parts can run
//! elsewhere (another thread, another process, a Spark executor) and be
//! put together after: [`PartPlan::new`] cuts the data into parts from the
//! whole data's [`Facts`], [`PartPlan::reader`] says which transfers each
//! part reads, [`PartPlan::run`] runs one part, and
//! [`PartPlan::combine`] puts every part's result together.
//! [`analyze_parts`](super::analyze_parts) is these steps in one process;
//! the Python package's `moneytrail.spark` runs the parts on a Spark
//! cluster. The plan and the parts' results are plain data (serde): the
//! plan holds what each part needs of the whole data (the shards, the
//! account parts, [`WholeData`], the FX table, the account and asset
//! dictionaries), and a part's result holds its findings in the transfer
//! ids of the whole data. A part's ledger must give every account of the
//! whole data its id there, and every asset too (with the decimal places
//! the whole data shows it with): the caller keeps those dictionaries.

use super::analysis::in_output_order;
use super::shard::{shards, Facts, Shard, ShardStep, MAX_ACCOUNT_PARTS};
use super::{burst_warnings, AccountScope, Analysis, DetectConfig, Detection, Detector, Finding};
use crate::fx::FxTable;
use crate::graph::FlowGraph;
use crate::ledger::Ledger;
use crate::model::{AccountId, TransferId};
use crate::valued::{Valued, WholeData};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

/// How a detector runs in a sharded analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// In time shards (it has a reach).
    Time,
    /// In account parts (each finding is one account's), holding the
    /// transfers of this scope around the owned accounts.
    Accounts(AccountScope),
    /// Once, on the whole data.
    Whole,
}

/// The enabled detectors of `config`, each with how it runs.
fn enabled_detectors(config: &DetectConfig) -> Vec<(&'static str, Box<dyn Detector>, Mode)> {
    config
        .detectors()
        .into_iter()
        .filter(|(_, d)| d.typologies().iter().any(|t| config.enabled.contains(t)))
        .map(|(name, d)| {
            let mode = match (d.reach(), d.account_scope()) {
                (Some(_), _) => Mode::Time,
                (None, Some(scope)) => Mode::Accounts(scope),
                (None, None) => Mode::Whole,
            };
            (name, d, mode)
        })
        .collect()
}

/// One part of a plan: what it reads and which detectors it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartKind {
    /// The whole data, for detectors that neither shard nor split by
    /// account (none of the registry's today).
    Whole,
    /// Time shard `index` of [`PartPlan::shards`].
    Shard(usize),
    /// Account part `part` of `parts` (it owns the accounts whose id is
    /// `part` modulo `parts`) with the transfers of `scope` around them,
    /// or of every scope when `None` ([`PartPlan::with_merged_scopes`]).
    Accounts {
        /// Which part.
        part: usize,
        /// How many there are.
        parts: usize,
        /// The transfers it holds around its accounts.
        scope: Option<AccountScope>,
    },
}

/// A sharded analysis cut into parts that can run apart (another thread,
/// another process, a Spark executor): [`new`](PartPlan::new) cuts the
/// data into time shards and account parts from the whole data's
/// [`Facts`], [`reader`](PartPlan::reader) says which transfers each part
/// reads, [`run`](PartPlan::run) runs one part on them, and
/// [`combine`](PartPlan::combine) puts every part's [`PartResult`]
/// together. The plan and the results are plain data (serde). A part's
/// ledger must give every account and asset of the whole data its id
/// there ([`LedgerBuilder::with_dictionary`](crate::LedgerBuilder::with_dictionary)).
///
/// ```
/// use moneytrail::detect::{analyze, DetectConfig, Facts, InMemory, PartPlan, PartSource};
/// use moneytrail::{FlowGraph, LedgerBuilder, NewTransfer, Valued};
/// use moneytrail::time::DAY;
/// use rust_decimal::Decimal;
///
/// let mut b = LedgerBuilder::new();
/// let usd = b.asset("USD").unwrap();
/// let hub = b.account("hub");
/// for i in 0..40 {
///     let other = b.account(&format!("a{}", i % 13));
///     let (from, to) = if i % 2 == 0 { (hub, other) } else { (other, hub) };
///     b.push(NewTransfer::simple(i64::from(i) * DAY / 4, from, to, Decimal::from(9_000 + i), usd, i as u32));
/// }
/// let graph = FlowGraph::new(b.finish().unwrap());
/// let data = Valued::implied(&graph, "USD");
/// let (facts, config) = (Facts::of(&data), DetectConfig::default());
/// let plan = PartPlan::new(&facts, &config, 2 * DAY);
/// let source = InMemory(graph.ledger());
/// // every part in turn (or anywhere), each given only the transfers it reads
/// let results: Vec<_> = (0..plan.parts())
///     .map(|part| {
///         let reads = plan.reader(&facts, part);
///         let (ledger, ids) = source.pick(&mut |g| reads.reads(&facts, g.id)).unwrap();
///         plan.run(&config, part, ledger, &ids)
///     })
///     .collect();
/// let named = plan.named(&results);
/// let (ledger, _) = source.pick(&mut |g| named.binary_search(&(g.id as u32)).is_ok()).unwrap();
/// let analysis = plan.combine(&config, results, ledger, &named);
/// assert_eq!(analysis.findings, analyze(&data, &config, |_| {}).findings);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartPlan {
    /// Transfers of the whole data.
    transfers: usize,
    /// Its time shards.
    shards: Vec<Shard>,
    /// How many account parts.
    account_parts: usize,
    /// The scopes the account parts are read with (one part per scope).
    scopes: Vec<AccountScope>,
    /// Whether each account part reads every scope at once.
    #[serde(default)]
    merged_scopes: bool,
    /// Whether some detector runs on the whole data.
    whole_part: bool,
    /// What every part needs of the whole data.
    whole: WholeData,
    /// The FX table every part is valued with.
    fx: FxTable,
    /// Warnings of the run: unpriced assets, burst tests that cannot pass.
    warnings: Vec<String>,
}

impl PartPlan {
    /// The plan of `config` over the data `facts` tells of, in time
    /// shards of `length_us` and as many account parts as there are
    /// shards (at most [`MAX_ACCOUNT_PARTS`]).
    pub fn new(facts: &Facts, config: &DetectConfig, length_us: i64) -> PartPlan {
        let detectors = enabled_detectors(config);
        let timed = || detectors.iter().filter(|d| d.2 == Mode::Time);
        let after = timed().filter_map(|d| d.1.reach()).max().unwrap_or(0);
        let before = timed().map(|d| d.1.lookback()).max().unwrap_or(0);
        let shard_list = shards(&facts.times_us, length_us, before, after);
        let mut scopes: Vec<AccountScope> = detectors
            .iter()
            .filter_map(|d| match d.2 {
                Mode::Accounts(scope) => Some(scope),
                _ => None,
            })
            .collect();
        scopes.sort_unstable();
        scopes.dedup();
        let accounts = facts.whole.accounts();
        // as many parts as time shards, up to MAX_ACCOUNT_PARTS (each part
        // reads every transfer to pick its own and builds a graph of
        // them), never more than accounts (those would be empty)
        let account_parts = shard_list.len().min(MAX_ACCOUNT_PARTS).min(accounts).max(1);
        let mut warnings = facts.fx_warnings.clone();
        warnings.extend(burst_warnings(config, facts.whole.span_us()));
        let timed_shards = if detectors.iter().any(|d| d.2 == Mode::Time) {
            shard_list
        } else {
            Vec::new()
        };
        PartPlan {
            transfers: facts.times_us.len(),
            shards: timed_shards,
            account_parts: if scopes.is_empty() { 0 } else { account_parts },
            scopes,
            merged_scopes: false,
            whole_part: detectors.iter().any(|d| d.2 == Mode::Whole),
            whole: (*facts.whole).clone(),
            fx: facts.fx.clone(),
            warnings,
        }
    }

    /// The same plan with `n` account parts (at least one, at most one
    /// per account): fewer parts read less in all where the scopes reach
    /// most of the data (each reads its accounts' payees' transfers too),
    /// more make smaller parts. The findings are the same either way.
    #[must_use]
    pub fn with_account_parts(mut self, n: usize) -> PartPlan {
        if self.account_parts > 0 {
            self.account_parts = n.min(self.whole.accounts()).max(1);
        }
        self
    }

    /// The same plan with each account part reading the transfers of
    /// every scope at once and running every per-account detector on
    /// them (a scope's detectors find the same for the owned accounts in
    /// any data that holds the scope's transfers): one reading per
    /// account part instead of one per scope, each holding their union.
    /// Fewer rows read in all where the scopes overlap (most of the data
    /// on dense sets); more held at once.
    #[must_use]
    pub fn with_merged_scopes(mut self) -> PartPlan {
        self.merged_scopes = true;
        self
    }

    /// Account parts' readings per account part.
    fn readings(&self) -> usize {
        if self.merged_scopes {
            usize::from(!self.scopes.is_empty())
        } else {
            self.scopes.len()
        }
    }

    /// How many parts there are; parts are numbered `0 .. parts()`.
    pub fn parts(&self) -> usize {
        usize::from(self.whole_part) + self.shards.len() + self.account_parts * self.readings()
    }

    /// The time shards.
    pub fn shards(&self) -> &[Shard] {
        &self.shards
    }

    /// The FX table every part is valued with.
    pub fn fx(&self) -> &FxTable {
        &self.fx
    }

    /// Transfers of the whole data.
    pub fn transfers(&self) -> usize {
        self.transfers
    }

    /// What part `part` is.
    ///
    /// # Panics
    ///
    /// When `part` is not below [`parts`](PartPlan::parts).
    pub fn kind(&self, part: usize) -> PartKind {
        assert!(part < self.parts(), "part {part} of {}", self.parts());
        let mut k = part;
        if self.whole_part {
            if k == 0 {
                return PartKind::Whole;
            }
            k -= 1;
        }
        if k < self.shards.len() {
            return PartKind::Shard(k);
        }
        k -= self.shards.len();
        let readings = self.readings();
        PartKind::Accounts {
            part: k / readings,
            parts: self.account_parts,
            scope: (!self.merged_scopes).then(|| self.scopes[k % readings]),
        }
    }

    /// Part `part` as a progress step (an account part's scopes are one
    /// step).
    pub fn step(&self, part: usize) -> Option<ShardStep<'_>> {
        match self.kind(part) {
            PartKind::Whole => None,
            PartKind::Shard(k) => Some(ShardStep::Shard(&self.shards[k])),
            PartKind::Accounts { part, parts, scope } => (scope.is_none()
                || scope == self.scopes.first().copied())
            .then_some(ShardStep::AccountPart { part, parts }),
        }
    }

    /// Which transfers part `part` reads.
    pub fn reader(&self, facts: &Facts, part: usize) -> Reader {
        match self.kind(part) {
            PartKind::Whole => Reader::Range(0, self.transfers),
            PartKind::Shard(k) => Reader::Range(self.shards[k].read.0, self.shards[k].read.1),
            PartKind::Accounts { part, parts, scope } => {
                let accounts = self.whole.accounts();
                let owned: Vec<bool> = (0..accounts).map(|a| a % parts == part).collect();
                let scopes = match scope {
                    Some(scope) => vec![scope],
                    None => self.scopes.clone(),
                };
                let mut payees = vec![false; accounts];
                if scopes.iter().any(|&s| s != AccountScope::Own) {
                    for &(f, t) in &facts.pairs {
                        if owned[f.index()] {
                            payees[t.index()] = true;
                        }
                    }
                }
                Reader::Scope {
                    scopes,
                    owned,
                    payees,
                }
            }
        }
    }

    /// Every part that reads each transfer, as `(transfer id, part)`
    /// pairs in part order, then id order: how an engine that runs the
    /// parts apart hands each its transfers.
    pub fn assignments(&self, facts: &Facts) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        for part in 0..self.parts() {
            let reader = self.reader(facts, part);
            match reader {
                Reader::Range(lo, hi) => out.extend((lo..hi).map(|i| (i as u32, part as u32))),
                Reader::Scope { .. } => out.extend(
                    (0..self.transfers)
                        .filter(|&i| reader.reads(facts, i))
                        .map(|i| (i as u32, part as u32)),
                ),
            }
        }
        out
    }

    /// Run part `part` of `config`'s detectors on `ledger`, the transfers
    /// [`reader`](PartPlan::reader) picks (transfer `i` of `ledger` is
    /// transfer `ids[i]` of the whole data; `ids` ascending), with every
    /// account of the whole data under its id.
    ///
    /// # Panics
    ///
    /// When `ids` does not have one id per transfer of `ledger`.
    pub fn run(
        &self,
        config: &DetectConfig,
        part: usize,
        ledger: Ledger,
        ids: &[u32],
    ) -> PartResult {
        assert_eq!(ids.len(), ledger.len(), "one id per transfer");
        let kind = self.kind(part);
        let graph = FlowGraph::new(ledger);
        let whole = Arc::new(self.whole.clone());
        let local = |global: usize| ids.partition_point(|&x| (x as usize) < global);
        let (data, owned) = match kind {
            PartKind::Whole => (
                Valued::shard(&graph, self.fx.clone(), whole, (0, ids.len())),
                None,
            ),
            PartKind::Shard(k) => {
                let (a, b) = self.shards[k].owned;
                (
                    Valued::shard(&graph, self.fx.clone(), whole, (local(a), local(b))),
                    Some((a, b)),
                )
            }
            PartKind::Accounts { part, parts, .. } => {
                let owned: Arc<[bool]> = (0..self.whole.accounts())
                    .map(|a| a % parts == part)
                    .collect();
                (
                    Valued::account_part(&graph, self.fx.clone(), whole, owned),
                    None,
                )
            }
        };
        let detectors = enabled_detectors(config)
            .into_iter()
            .map(|(_, detector, mode)| {
                let runs = match (kind, mode) {
                    (PartKind::Whole, Mode::Whole) | (PartKind::Shard(_), Mode::Time) => true,
                    (PartKind::Accounts { scope, .. }, Mode::Accounts(s)) => {
                        scope.is_none_or(|scope| scope == s)
                    }
                    _ => false,
                };
                if !runs {
                    return DetectorPart::default();
                }
                let started = Instant::now();
                let Detection {
                    findings,
                    truncated,
                } = if mode == Mode::Whole {
                    detector.detect(&data)
                } else {
                    detector.detect_part(&data)
                };
                let to_whole = |t: TransferId| TransferId(ids[t.index()]);
                let findings = findings
                    .into_iter()
                    .filter(|f| match owned {
                        // kept by the shard that owns its first transfer
                        Some((a, b)) => {
                            let first = f.transfers.first().map_or(0, |&t| to_whole(t).index());
                            (a..b).contains(&first)
                        }
                        None => true,
                    })
                    .map(|mut f| {
                        f.transfers.iter_mut().for_each(|t| *t = to_whole(*t));
                        WireFinding::from(f)
                    })
                    .collect();
                DetectorPart {
                    findings,
                    truncated,
                    seconds: started.elapsed().as_secs_f64(),
                }
            })
            .collect();
        PartResult { part, detectors }
    }

    /// The transfers the parts' findings name, ascending: what
    /// [`combine`](PartPlan::combine) reads.
    pub fn named(&self, results: &[PartResult]) -> Vec<u32> {
        let mut named = vec![false; self.transfers];
        for f in results
            .iter()
            .flat_map(|r| &r.detectors)
            .flat_map(|d| &d.findings)
        {
            for &t in &f.transfers {
                if let Some(n) = named.get_mut(t as usize) {
                    *n = true;
                }
            }
        }
        (0..self.transfers as u32)
            .filter(|&i| named[i as usize])
            .collect()
    }

    /// Put every part's result together: the analysis the whole data
    /// gives, findings naming transfers by their ids in the whole data.
    /// `ledger` holds the transfers [`named`](PartPlan::named) lists
    /// (transfer `i` is `ids[i]`), with every account under its id.
    ///
    /// # Panics
    ///
    /// When `ids` does not have one id per transfer of `ledger`, or does
    /// not hold every transfer the results name.
    pub fn combine(
        &self,
        config: &DetectConfig,
        mut results: Vec<PartResult>,
        ledger: Ledger,
        ids: &[u32],
    ) -> Analysis {
        assert_eq!(ids.len(), ledger.len(), "one id per transfer");
        results.sort_by_key(|r| r.part);
        let graph = FlowGraph::new(ledger);
        let data = Valued::shard(
            &graph,
            self.fx.clone(),
            Arc::new(self.whole.clone()),
            (0, ids.len()),
        );
        let local = |t: u32| {
            let i = ids.partition_point(|&x| x < t);
            assert!(
                ids.get(i) == Some(&t),
                "transfer {t} is not in the named ledger"
            );
            TransferId(i as u32)
        };
        let global = |t: TransferId| TransferId(ids[t.index()]);
        let mut analysis = Analysis {
            warnings: self.warnings.clone(),
            ..Analysis::default()
        };
        let mut seconds: BTreeMap<String, f64> = BTreeMap::new();
        for (k, (name, detector, mode)) in enabled_detectors(config).into_iter().enumerate() {
            let mut truncated = false;
            let mut spent = 0.0;
            let mut parts = Vec::new();
            for r in &mut results {
                let Some(d) = r.detectors.get_mut(k) else {
                    continue;
                };
                truncated |= d.truncated;
                spent += d.seconds;
                parts.extend(
                    std::mem::take(&mut d.findings)
                        .into_iter()
                        .map(WireFinding::into_finding),
                );
            }
            parts.retain(|f| config.enabled.contains(&f.typology));
            let Detection {
                findings,
                truncated,
            } = if mode == Mode::Whole {
                Detection {
                    findings: parts,
                    truncated,
                }
            } else {
                for f in &mut parts {
                    f.transfers.iter_mut().for_each(|t| *t = local(t.0));
                }
                let mut done = detector.combine(&data, parts, truncated);
                for f in &mut done.findings {
                    f.transfers.iter_mut().for_each(|t| *t = global(*t));
                }
                done
            };
            seconds.insert(name.to_string(), spent);
            analysis.truncated.insert(name.to_string(), truncated);
            analysis.findings.extend(findings);
        }
        analysis.seconds = seconds;
        in_output_order(&mut analysis.findings);
        analysis
    }
}

/// Which transfers a part reads ([`PartPlan::reader`]).
#[derive(Debug, Clone)]
pub enum Reader {
    /// Transfer ids `lo .. hi`.
    Range(usize, usize),
    /// Every transfer an owned account pays or receives, and for the
    /// wider scopes every transfer their payees pay or receive.
    Scope {
        /// The transfers around the owned accounts it holds: those of
        /// any of these scopes.
        scopes: Vec<AccountScope>,
        /// Owned accounts, by id.
        owned: Vec<bool>,
        /// Accounts an owned account pays, by id.
        payees: Vec<bool>,
    },
}

impl Reader {
    /// Whether the part reads transfer `id`.
    pub fn reads(&self, facts: &Facts, id: usize) -> bool {
        match self {
            Reader::Range(lo, hi) => (*lo..*hi).contains(&id),
            Reader::Scope {
                scopes,
                owned,
                payees,
            } => {
                let (f, t) = facts.pairs[id];
                scopes.iter().any(|&s| in_scope(s, owned, payees, f, t))
            }
        }
    }

    /// The ids it reads when they are one range.
    pub fn range(&self) -> Option<std::ops::Range<usize>> {
        match self {
            Reader::Range(lo, hi) => Some(*lo..*hi),
            Reader::Scope { .. } => None,
        }
    }
}

/// Whether a part that owns `owned` (and whose owned accounts pay
/// `payees`) holds the transfer `from → to` for `scope`.
pub(crate) fn in_scope(
    scope: AccountScope,
    owned: &[bool],
    payees: &[bool],
    from: AccountId,
    to: AccountId,
) -> bool {
    owned[from.index()]
        || owned[to.index()]
        || match scope {
            AccountScope::Own => false,
            AccountScope::PayeesPayments => payees[from.index()],
            AccountScope::PayeesReceipts => payees[to.index()],
        }
}

/// What one part found ([`PartPlan::run`]): per enabled detector, its
/// findings (in the transfer ids of the whole data), whether it hit its
/// budget, and its seconds. Plain data, to be sent where the parts are
/// put together ([`to_json`](PartResult::to_json)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartResult {
    part: usize,
    detectors: Vec<DetectorPart>,
}

impl PartResult {
    /// The part it is the result of.
    pub fn part(&self) -> usize {
        self.part
    }

    /// Its findings, over every detector.
    pub fn findings(&self) -> usize {
        self.detectors.iter().map(|d| d.findings.len()).sum()
    }

    /// As JSON (scores kept to the bit).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| unreachable!("a part result as JSON: {e}"))
    }

    /// From [`to_json`](PartResult::to_json)'s text.
    ///
    /// # Errors
    ///
    /// When the text is not a part result.
    pub fn from_json(text: &str) -> crate::Result<PartResult> {
        serde_json::from_str(text)
            .map_err(|e| crate::Error::invalid(format!("not a part result: {e}")))
    }
}

/// One detector's share of a [`PartResult`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct DetectorPart {
    findings: Vec<WireFinding>,
    truncated: bool,
    seconds: f64,
}

/// A [`Finding`] as plain data: the score as its bits, so that it comes
/// back exactly whatever the JSON reader does with floats.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct WireFinding {
    typology: super::Typology,
    score_bits: u64,
    accounts: Vec<u32>,
    transfers: Vec<u32>,
    amount: Decimal,
    first_time_us: i64,
    last_time_us: i64,
    explanation: String,
}

impl From<Finding> for WireFinding {
    fn from(f: Finding) -> WireFinding {
        WireFinding {
            typology: f.typology,
            score_bits: f.score.to_bits(),
            accounts: f.accounts.iter().map(|a| a.0).collect(),
            transfers: f.transfers.iter().map(|t| t.0).collect(),
            amount: f.amount,
            first_time_us: f.first_time_us,
            last_time_us: f.last_time_us,
            explanation: f.explanation,
        }
    }
}

impl WireFinding {
    fn into_finding(self) -> Finding {
        Finding {
            typology: self.typology,
            score: f64::from_bits(self.score_bits),
            accounts: self.accounts.into_iter().map(AccountId).collect(),
            transfers: self.transfers.into_iter().map(TransferId).collect(),
            amount: self.amount,
            first_time_us: self.first_time_us,
            last_time_us: self.last_time_us,
            explanation: self.explanation,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::analyze;
    use crate::synth::training::{generate, TrainingSpec};
    use crate::time::DAY;

    /// Parts run apart, told to each other only as JSON, and put together
    /// in another order give the whole data's findings.
    #[test]
    fn parts_told_as_json_give_the_whole_findings() {
        let dir = tempfile::tempdir().unwrap();
        let mut spec = TrainingSpec::preset("tiny").unwrap();
        spec.seed = 5;
        generate(&spec, dir.path()).unwrap();
        let loaded = crate::ingest::load(
            &dir.path().join("transactions.csv"),
            &crate::ingest::LoadOptions::default(),
        )
        .unwrap();
        let graph = FlowGraph::new(loaded.ledger);
        let data = Valued::implied(&graph, "USD");
        let facts = Facts::of(&data);
        let config = DetectConfig::default();
        let whole = analyze(&data, &config, |_| {});
        assert!(!whole.findings.is_empty());
        for (length, account_parts, merged) in [
            (DAY / 2, 8, false),
            (3 * DAY, 1, true),
            (30 * DAY, 5, false),
            (DAY, 3, true),
        ] {
            let mut plan = PartPlan::new(&facts, &config, length).with_account_parts(account_parts);
            if merged {
                plan = plan.with_merged_scopes();
            }
            let sent: PartPlan =
                serde_json::from_str(&serde_json::to_string(&plan).unwrap()).unwrap();
            assert_eq!(sent, plan);
            let pairs = plan.assignments(&facts);
            let ledger = graph.ledger();
            let mut results: Vec<PartResult> = (0..plan.parts())
                .rev()
                .map(|part| {
                    let ids: Vec<u32> = pairs
                        .iter()
                        .filter(|&&(_, p)| p as usize == part)
                        .map(|&(i, _)| i)
                        .collect();
                    let result = sent.run(&config, part, ledger.select(&ids), &ids);
                    PartResult::from_json(&result.to_json()).unwrap()
                })
                .collect();
            results.rotate_left(1);
            let named = plan.named(&results);
            let analysis = plan.combine(&config, results, ledger.select(&named), &named);
            assert_eq!(
                analysis.findings, whole.findings,
                "shards of {length} µs, {account_parts} account parts, merged scopes {merged}"
            );
            assert_eq!(analysis.truncated, whole.truncated);
        }
    }
}
