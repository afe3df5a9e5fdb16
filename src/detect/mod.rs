//! Laundering-typology detectors.
//!
//! Each detector is a struct of parameters with documented defaults and a
//! `detect(&self, &Valued) -> Detection`. All run in parallel with rayon
//! over start accounts or start transfers, and return the same findings in
//! the same order whatever the thread count: each worker's output is
//! collected in input order and the findings are sorted before returning.
//! Every enumeration is bounded by hops, a time window and a result budget;
//! a run that hits a budget says so ([`Detection::truncated`]).
//!
//! | typology | detector |
//! |---|---|
//! | `fan_out`, `fan_in` | [`FanDetector`] |
//! | `cycle` | [`CycleDetector`] |
//! | `scatter_gather` | [`ScatterGatherDetector`] |
//! | `gather_scatter` | [`GatherScatterDetector`] |
//! | `bipartite`, `stack` | [`BipartiteDetector`] |
//! | `layering_chain` | [`ChainDetector`] |
//! | `structuring` | [`StructuringDetector`] |
//! | `pass_through` | [`PassThroughDetector`] |
//! | `on_off_ramp`, `chain_hopping` | [`AssetHopDetector`] |
//!
//! Amounts are compared in one reporting currency: [`Valued`] holds each
//! transfer's amount paid valued through an [`FxTable`].

mod asset_hop;
mod bipartite;
mod chain;
mod cycle;
mod fan;
mod marks;
mod pass_through;
mod scatter;
mod structuring;

pub use asset_hop::AssetHopDetector;
pub use bipartite::BipartiteDetector;
pub use chain::ChainDetector;
pub use cycle::CycleDetector;
pub use fan::{Direction, FanDetector};
pub use pass_through::PassThroughDetector;
pub use scatter::{GatherScatterDetector, ScatterGatherDetector};
pub use structuring::StructuringDetector;

use crate::fx::FxTable;
use crate::graph::FlowGraph;
use crate::model::{AccountId, TransferId};
use crate::time;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::time::Instant;

/// A laundering typology moneytrail detects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Typology {
    /// One account pays many counterparties within a window.
    FanOut,
    /// One account receives from many counterparties within a window.
    FanIn,
    /// Money goes round and comes back (a time-respecting cycle).
    Cycle,
    /// A source pays intermediaries that all pay one sink.
    ScatterGather,
    /// Sources pay a hub that pays many sinks.
    GatherScatter,
    /// A set of payers densely paying a set of payees.
    Bipartite,
    /// Two or more bipartite layers in sequence.
    Stack,
    /// A time-respecting chain where each hop forwards most of the money.
    LayeringChain,
    /// Repeated amounts just under a reporting threshold.
    Structuring,
    /// A mule-like account: money in, most of it out again within hours.
    PassThrough,
    /// Fiat out through an exchange into a virtual asset and back to fiat
    /// soon after.
    OnOffRamp,
    /// Like `on_off_ramp`, through two or more virtual assets (fiat → BTC →
    /// USDT → fiat).
    ChainHopping,
}

impl Typology {
    /// All typologies, in output order.
    pub const ALL: [Typology; 12] = [
        Typology::FanOut,
        Typology::FanIn,
        Typology::Cycle,
        Typology::ScatterGather,
        Typology::GatherScatter,
        Typology::Bipartite,
        Typology::Stack,
        Typology::LayeringChain,
        Typology::Structuring,
        Typology::PassThrough,
        Typology::OnOffRamp,
        Typology::ChainHopping,
    ];

    /// The snake_case name used in every output.
    pub fn name(self) -> &'static str {
        match self {
            Typology::FanOut => "fan_out",
            Typology::FanIn => "fan_in",
            Typology::Cycle => "cycle",
            Typology::ScatterGather => "scatter_gather",
            Typology::GatherScatter => "gather_scatter",
            Typology::Bipartite => "bipartite",
            Typology::Stack => "stack",
            Typology::LayeringChain => "layering_chain",
            Typology::Structuring => "structuring",
            Typology::PassThrough => "pass_through",
            Typology::OnOffRamp => "on_off_ramp",
            Typology::ChainHopping => "chain_hopping",
        }
    }

    /// The name of the detector that finds it (as in `summary.json`'s
    /// `seconds_per_detector`): `bipartite` for `stack`, `asset_hop` for
    /// `on_off_ramp` and `chain_hopping`, else the typology's own name.
    pub fn detector(self) -> &'static str {
        match self {
            Typology::Stack => "bipartite",
            Typology::OnOffRamp | Typology::ChainHopping => "asset_hop",
            t => t.name(),
        }
    }

    /// The typology with this snake_case name.
    pub fn from_name(name: &str) -> Option<Typology> {
        Typology::ALL.into_iter().find(|t| t.name() == name)
    }
}

impl fmt::Display for Typology {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One detected instance of a typology, with its evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// What shape it is.
    pub typology: Typology,
    /// How suspicious, in [0, 1] (each detector documents its formula).
    pub score: f64,
    /// The accounts involved, in the order the shape gives them (the hub
    /// first, or the path order).
    pub accounts: Vec<AccountId>,
    /// The transfers involved, ascending (time order).
    pub transfers: Vec<TransferId>,
    /// The amount at stake in the reporting currency (each detector says
    /// which transfers it sums).
    pub amount: Decimal,
    /// Time of the first transfer (microseconds).
    pub first_time_us: i64,
    /// Time of the last transfer (microseconds).
    pub last_time_us: i64,
    /// One line a person can read.
    pub explanation: String,
}

/// What a detector returns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Detection {
    /// The findings, sorted by first time, then transfers.
    pub findings: Vec<Finding>,
    /// Whether a result budget was hit (some findings were not made).
    pub truncated: bool,
}

/// The graph and every transfer's amount paid in the reporting currency.
#[derive(Debug)]
pub struct Valued<'g> {
    /// The graph.
    pub graph: &'g FlowGraph,
    /// The FX table used.
    pub fx: FxTable,
    /// Amount paid of each transfer, in the reporting currency.
    pub value: Vec<Decimal>,
    /// The same as `f64`, for ratios in hot loops (never for totals).
    pub value_f64: Vec<f64>,
    /// Time from the first to the last transfer of the data set
    /// (microseconds, at least one).
    pub span_us: i64,
}

impl<'g> Valued<'g> {
    /// Value a graph's transfers with an FX table.
    pub fn new(graph: &'g FlowGraph, fx: FxTable) -> Valued<'g> {
        let fx = fx.check(graph.ledger());
        let value = fx.value_paid(graph.ledger());
        let value_f64 = value.iter().map(|v| v.to_f64().unwrap_or(0.0)).collect();
        let times = graph.ledger().times_us();
        let span_us = match (times.first(), times.last()) {
            (Some(a), Some(b)) => (b - a).max(1),
            _ => 1,
        };
        Valued {
            graph,
            fx,
            value,
            value_f64,
            span_us,
        }
    }

    /// Value a graph with rates implied by its own conversions (see
    /// [`FxTable::implied`]).
    pub fn implied(graph: &'g FlowGraph, reporting: &str) -> Valued<'g> {
        let fx = FxTable::implied(graph.ledger(), reporting);
        Valued::new(graph, fx)
    }

    /// The reporting currency.
    pub fn currency(&self) -> &str {
        &self.fx.reporting
    }

    /// Whether an account is infrastructure rather than a party: cash or an
    /// unidentified counterparty, or an exchange (VASP). Such accounts are
    /// never the hub of a fan, a gather-scatter, a scatter-gather or a
    /// pass-through: cash is not an account anyone controls, and an
    /// exchange pays and is paid by many customers every day by design.
    /// (They can still be on a path, a cycle or a chain.)
    pub fn is_infrastructure(&self, a: AccountId) -> bool {
        matches!(
            self.graph.ledger().account(a).kind,
            crate::model::AccountKind::CashOrUnknown | crate::model::AccountKind::Exchange
        )
    }

    /// How much busier an account is inside a window than on average:
    /// (its transfers in the window ÷ all its transfers) × (data span ÷
    /// window). About 1 for steady activity (a merchant, a payroll); large
    /// when the account does most of its business in one burst, as
    /// laundering accounts do. When the whole data set spans less than two
    /// windows the ratio cannot tell a burst from steady business, and it is
    /// infinite (every test on it passes).
    pub fn burst(&self, in_window: usize, total: usize, window: i64) -> f64 {
        if self.span_us < 2 * window {
            return f64::INFINITY;
        }
        if total == 0 {
            return 0.0;
        }
        let share = in_window as f64 / total as f64;
        share * (self.span_us as f64 / window.max(1) as f64).max(1.0)
    }

    /// Sum of the values of some transfers.
    pub fn total(&self, transfers: &[TransferId]) -> Decimal {
        transfers.iter().map(|t| self.value[t.index()]).sum()
    }

    /// The time of a transfer.
    pub fn time(&self, t: TransferId) -> i64 {
        self.graph.ledger().times_us()[t.index()]
    }

    /// An account's key.
    pub fn key(&self, a: AccountId) -> &str {
        &self.graph.ledger().account(a).key
    }

    /// A finding over some transfers: sorts and dedups them, fills in times.
    pub(crate) fn finding(
        &self,
        typology: Typology,
        score: f64,
        accounts: Vec<AccountId>,
        mut transfers: Vec<TransferId>,
        amount: Decimal,
        explanation: String,
    ) -> Finding {
        transfers.sort_unstable();
        transfers.dedup();
        let first = transfers.first().map_or(0, |&t| self.time(t));
        let last = transfers.last().map_or(0, |&t| self.time(t));
        Finding {
            typology,
            score: score.clamp(0.0, 1.0),
            accounts,
            transfers,
            amount,
            first_time_us: first,
            last_time_us: last,
            explanation,
        }
    }

    /// Format an amount in the reporting currency, whole units with
    /// thousands separators (`52,218 USD`).
    pub fn money(&self, amount: Decimal) -> String {
        format!(
            "{} {}",
            crate::summary::group_thousands(amount.round_dp(0)),
            self.fx.reporting
        )
    }
}

/// Sort findings into their output order and merge exact repeats (same
/// typology over the same transfers), keeping the higher score. Over the
/// budget, the highest-scoring findings are kept and the result says it
/// was truncated.
pub(crate) fn finish(mut findings: Vec<Finding>, truncated: bool, budget: usize) -> Detection {
    findings.sort_by(|a, b| {
        (a.first_time_us, a.typology, &a.transfers, &a.accounts)
            .cmp(&(b.first_time_us, b.typology, &b.transfers, &b.accounts))
            .then(b.score.total_cmp(&a.score))
    });
    findings.dedup_by(|later, earlier| {
        later.typology == earlier.typology && later.transfers == earlier.transfers
    });
    let mut truncated = truncated;
    if findings.len() > budget {
        // over budget: keep the highest scores (ties: the earlier), in time order
        let mut order: Vec<usize> = (0..findings.len()).collect();
        order.sort_by(|&i, &j| {
            findings[j]
                .score
                .total_cmp(&findings[i].score)
                .then(i.cmp(&j))
        });
        let mut keep = vec![false; findings.len()];
        for &i in &order[..budget] {
            keep[i] = true;
        }
        findings = findings
            .into_iter()
            .zip(keep)
            .filter_map(|(f, k)| k.then_some(f))
            .collect();
        truncated = true;
    }
    Detection {
        findings,
        truncated,
    }
}

/// `numerator ÷ denominator` as `f64`, 0 when the denominator is zero or
/// the quotient does not fit a `Decimal` (sums of values over a tiny base).
pub(crate) fn ratio(numerator: Decimal, denominator: Decimal) -> f64 {
    numerator
        .checked_div(denominator)
        .and_then(|q| q.to_f64())
        .unwrap_or(0.0)
}

/// Describe a duration for explanations (`26 h`, `3 d`, `45 min`).
pub(crate) fn span_words(micros: i64) -> String {
    if micros >= 2 * time::DAY {
        format!("{:.1} d", micros as f64 / time::DAY as f64)
    } else if micros >= 2 * time::HOUR {
        format!("{} h", (micros + time::HOUR / 2) / time::HOUR)
    } else {
        format!("{} min", (micros + time::MINUTE / 2) / time::MINUTE)
    }
}

/// Every detector's parameters: what `analyze --config` reads. Any field
/// may be left out of a config file; it keeps its default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectConfig {
    /// Reporting currency for amounts.
    pub currency: String,
    /// Which typologies to run (all by default).
    pub enabled: Vec<Typology>,
    /// `fan_out` parameters.
    pub fan_out: FanDetector,
    /// `fan_in` parameters.
    pub fan_in: FanDetector,
    /// `cycle` parameters.
    pub cycle: CycleDetector,
    /// `scatter_gather` parameters.
    pub scatter_gather: ScatterGatherDetector,
    /// `gather_scatter` parameters.
    pub gather_scatter: GatherScatterDetector,
    /// `bipartite` and `stack` parameters.
    pub bipartite: BipartiteDetector,
    /// `layering_chain` parameters.
    pub layering_chain: ChainDetector,
    /// `structuring` parameters.
    pub structuring: StructuringDetector,
    /// `pass_through` parameters.
    pub pass_through: PassThroughDetector,
    /// `on_off_ramp` and `chain_hopping` parameters.
    pub asset_hop: AssetHopDetector,
}

impl Default for DetectConfig {
    fn default() -> DetectConfig {
        DetectConfig {
            currency: "USD".to_string(),
            enabled: Typology::ALL.to_vec(),
            fan_out: FanDetector::default(),
            fan_in: FanDetector {
                direction: Direction::In,
                ..FanDetector::default()
            },
            cycle: CycleDetector::default(),
            scatter_gather: ScatterGatherDetector::default(),
            gather_scatter: GatherScatterDetector::default(),
            bipartite: BipartiteDetector::default(),
            layering_chain: ChainDetector::default(),
            structuring: StructuringDetector::default(),
            pass_through: PassThroughDetector::default(),
            asset_hop: AssetHopDetector::default(),
        }
    }
}

impl DetectConfig {
    /// Read a configuration written in TOML (keys left out keep their
    /// defaults).
    ///
    /// ```
    /// use moneytrail::detect::DetectConfig;
    /// let c = DetectConfig::from_toml("currency = \"EUR\"\n[cycle]\nmax_hops = 4\n").unwrap();
    /// assert_eq!((c.currency.as_str(), c.cycle.max_hops), ("EUR", 4));
    /// assert_eq!(DetectConfig::from_toml(&DetectConfig::default().to_toml().unwrap()).unwrap(), DetectConfig::default());
    /// ```
    ///
    /// # Errors
    ///
    /// When the text is not TOML or a value does not fit its key.
    pub fn from_toml(text: &str) -> crate::Result<DetectConfig> {
        toml::from_str(text).map_err(|e| crate::error::Error::invalid(e.to_string()))
    }

    /// Read a configuration written in JSON (keys left out keep their
    /// defaults).
    ///
    /// # Errors
    ///
    /// When the text is not JSON or a value does not fit its key.
    pub fn from_json(text: &str) -> crate::Result<DetectConfig> {
        serde_json::from_str(text).map_err(|e| crate::error::Error::invalid(e.to_string()))
    }

    /// The configuration as TOML (what `analyze --print-config` prints).
    ///
    /// # Errors
    ///
    /// When a value has no TOML form (none does today).
    pub fn to_toml(&self) -> crate::Result<String> {
        toml::to_string(self).map_err(|e| crate::error::Error::invalid(e.to_string()))
    }
}

/// The result of running every enabled detector.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    /// All findings, in typology order, then by time.
    pub findings: Vec<Finding>,
    /// Whether any detector hit a budget, per detector name.
    pub truncated: BTreeMap<String, bool>,
    /// Seconds each detector took.
    pub seconds: BTreeMap<String, f64>,
    /// Parameters that cannot work on this data, in words (see
    /// [`burst_warnings`]).
    pub warnings: Vec<String>,
}

impl Analysis {
    /// Whether any detector hit a budget.
    pub fn any_truncated(&self) -> bool {
        self.truncated.values().any(|&t| t)
    }

    /// The run as `analyze` prints it: per detector, its findings, seconds
    /// and whether it hit a budget.
    pub fn table(&self) -> String {
        use std::fmt::Write;
        let mut t = format!(
            "{:<16} {:>9} {:>9}  truncated\n",
            "typology", "findings", "seconds"
        );
        for (name, seconds) in &self.seconds {
            let count = self
                .findings
                .iter()
                .filter(|f| f.typology.detector() == name)
                .count();
            let truncated = self.truncated.get(name).copied().unwrap_or(false);
            let _ = writeln!(
                t,
                "{name:<16} {count:>9} {seconds:>9.3}  {}",
                if truncated { "yes" } else { "" }
            );
        }
        t
    }

    /// Number of findings per typology name.
    pub fn per_typology(&self) -> BTreeMap<String, usize> {
        let mut per = BTreeMap::new();
        for f in &self.findings {
            *per.entry(f.typology.name().to_string()).or_insert(0) += 1;
        }
        per
    }
}

/// Warnings about burst tests that this data set makes meaningless.
///
/// The burst ratio ([`Valued::burst`]) is at most span ÷ window (all of an
/// account's transfers in one window), so a detector whose `min_burst`
/// exceeds that can find nothing at all; and on data spanning less than
/// two windows the test is off. Both are said rather than left to be
/// discovered from an empty or crowded result.
///
/// ```
/// use moneytrail::detect::{burst_warnings, DetectConfig};
/// use moneytrail::time::DAY;
/// let mut config = DetectConfig::default();
/// config.fan_in.window = "10d".parse().unwrap();
/// let warnings = burst_warnings(&config, 28 * DAY);
/// assert_eq!(warnings.len(), 1);
/// assert!(warnings[0].starts_with("fan_in: no account can pass the burst test"));
/// ```
pub fn burst_warnings(config: &DetectConfig, span_us: i64) -> Vec<String> {
    let tests = [
        (
            Typology::FanOut,
            "fan_out",
            config.fan_out.window,
            config.fan_out.min_burst,
        ),
        (
            Typology::FanIn,
            "fan_in",
            config.fan_in.window,
            config.fan_in.min_burst,
        ),
        (
            Typology::GatherScatter,
            "gather_scatter",
            config.gather_scatter.window,
            config.gather_scatter.min_burst,
        ),
    ];
    let mut warnings = Vec::new();
    for (typology, name, window, min_burst) in tests {
        let w = window.micros().max(1);
        if !config.enabled.contains(&typology) || min_burst <= 0.0 {
            continue;
        }
        let days = |us: i64| us as f64 / time::DAY as f64;
        if span_us < 2 * w {
            warnings.push(format!(
                "{name}: the data span ({:.1} d) is under two windows of {:.1} d, so the burst test is off and every {name} that reaches the other thresholds is reported",
                days(span_us),
                days(w)
            ));
        } else if (span_us as f64 / w as f64) < min_burst {
            warnings.push(format!(
                "{name}: no account can pass the burst test: the data span ({:.1} d) is {:.2} windows of {:.1} d, and the burst ratio is at most that, below min_burst {min_burst}; lower min_burst or the window",
                days(span_us),
                // rounded down: "3.00" must not show for 2.9999
                (span_us as f64 / w as f64 * 100.0).floor() / 100.0,
                days(w)
            ));
        }
    }
    warnings
}

/// Run every enabled detector of `config` on valued data, one after the
/// other (each is parallel inside).
pub fn analyze(
    data: &Valued<'_>,
    config: &DetectConfig,
    mut on_detector: impl FnMut(&str),
) -> Analysis {
    let mut analysis = Analysis {
        warnings: burst_warnings(config, data.span_us),
        ..Analysis::default()
    };
    let enabled = |t: Typology| config.enabled.contains(&t);
    let mut run = |name: &str, detect: &dyn Fn() -> Detection| {
        on_detector(name);
        let started = Instant::now();
        let detection = detect();
        analysis
            .seconds
            .insert(name.to_string(), started.elapsed().as_secs_f64());
        analysis
            .truncated
            .insert(name.to_string(), detection.truncated);
        analysis.findings.extend(detection.findings);
    };
    if enabled(Typology::FanOut) {
        let d = FanDetector {
            direction: Direction::Out,
            ..config.fan_out.clone()
        };
        run("fan_out", &|| d.detect(data));
    }
    if enabled(Typology::FanIn) {
        let d = FanDetector {
            direction: Direction::In,
            ..config.fan_in.clone()
        };
        run("fan_in", &|| d.detect(data));
    }
    if enabled(Typology::Cycle) {
        run("cycle", &|| config.cycle.detect(data));
    }
    if enabled(Typology::ScatterGather) {
        run("scatter_gather", &|| config.scatter_gather.detect(data));
    }
    if enabled(Typology::GatherScatter) {
        run("gather_scatter", &|| config.gather_scatter.detect(data));
    }
    if enabled(Typology::Bipartite) || enabled(Typology::Stack) {
        run("bipartite", &|| {
            let mut d = config.bipartite.detect(data);
            d.findings.retain(|f| enabled(f.typology));
            d
        });
    }
    if enabled(Typology::LayeringChain) {
        run("layering_chain", &|| config.layering_chain.detect(data));
    }
    if enabled(Typology::Structuring) {
        run("structuring", &|| config.structuring.detect(data));
    }
    if enabled(Typology::PassThrough) {
        run("pass_through", &|| config.pass_through.detect(data));
    }
    if enabled(Typology::OnOffRamp) || enabled(Typology::ChainHopping) {
        run("asset_hop", &|| {
            let mut d = config.asset_hop.detect(data);
            d.findings.retain(|f| enabled(f.typology));
            d
        });
    }
    analysis.findings.sort_by(|a, b| {
        (a.typology, a.first_time_us, &a.transfers).cmp(&(
            b.typology,
            b.first_time_us,
            &b.transfers,
        ))
    });
    analysis
}

#[cfg(test)]
pub(crate) mod testkit;

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(time: i64, score: f64) -> Finding {
        Finding {
            typology: Typology::FanOut,
            score,
            accounts: vec![AccountId(0)],
            transfers: vec![TransferId(time as u32)],
            amount: Decimal::ONE,
            first_time_us: time,
            last_time_us: time,
            explanation: String::new(),
        }
    }

    #[test]
    fn burst_warnings_name_what_the_data_span_rules_out() {
        let defaults = DetectConfig::default();
        assert!(burst_warnings(&defaults, 30 * time::DAY).is_empty());
        // 6 days: under two 4-day windows for the fans, two 5-day ones for gather-scatter
        let short = burst_warnings(&defaults, 6 * time::DAY);
        assert_eq!(short.len(), 3, "{short:?}");
        assert!(short.iter().all(|w| w.contains("the burst test is off")));
        let mut wide = DetectConfig::default();
        wide.fan_out.window = "10d".parse().unwrap();
        wide.gather_scatter.window = "10d".parse().unwrap();
        wide.gather_scatter.min_burst = 0.0; // no test, nothing to say
        let w = burst_warnings(&wide, 29 * time::DAY);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].starts_with("fan_out: no account can pass"), "{w:?}");
        assert!(w[0].contains("2.90 windows of 10.0 d"), "{w:?}");
        wide.enabled.retain(|&t| t != Typology::FanOut);
        assert!(burst_warnings(&wide, 29 * time::DAY).is_empty());
    }

    #[test]
    fn over_budget_keeps_the_best_in_time_order() {
        let found = vec![
            finding(3, 0.2),
            finding(1, 0.9),
            finding(2, 0.5),
            finding(4, 0.9),
            finding(1, 0.1),
        ];
        let d = finish(found, false, 3);
        assert!(d.truncated);
        let kept: Vec<(i64, f64)> = d
            .findings
            .iter()
            .map(|f| (f.first_time_us, f.score))
            .collect();
        assert_eq!(kept, [(1, 0.9), (2, 0.5), (4, 0.9)]);
        let d = finish(vec![finding(1, 0.1), finding(1, 0.4)], false, 5);
        assert_eq!(d.findings.len(), 1, "repeats over the same transfers merge");
        assert_eq!(d.findings[0].score, 0.4);
        assert!(!d.truncated);
    }
}
