//! The registry of detectors: one line per detector makes its section of
//! [`DetectConfig`] (its parameters, with their defaults) and its place in
//! [`DetectConfig::detectors`], the list that `analyze`, the burst
//! warnings, `--print-config`, the benches and feature extraction walk.
//!
//! Adding a detector is a new file with its parameter struct, an
//! `impl Detector` for it, and one line in the `registry!` below.

use super::{
    AssetHopDetector, BipartiteDetector, ChainDetector, CycleDetector, Detection, Direction,
    FanDetector, GatherScatterDetector, PassThroughDetector, ScatterGatherDetector,
    StructuringDetector, Typology,
};
use crate::time::Span;
use crate::valued::Valued;
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

/// The transfers around an account that decide its findings, for
/// [`Detector::account_scope`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum AccountScope {
    /// Every transfer the account pays or receives.
    Own,
    /// Those, and every transfer its payees pay (two hops forward:
    /// scatter-gather's source → intermediary → sink).
    PayeesPayments,
    /// Those, and every transfer its payees receive (its payees' other
    /// payers: bipartite blocks).
    PayeesReceipts,
}

/// What every detector offers the driver.
pub trait Detector: Sync + std::fmt::Debug {
    /// The typologies its findings have.
    fn typologies(&self) -> &'static [Typology];

    /// Run it on valued data: findings in output order, and whether a
    /// result budget was hit.
    fn detect(&self, data: &Valued<'_>) -> Detection;

    /// How far in time, in microseconds, a finding's transfers and what
    /// decides it may lie after its first transfer: a shard that holds
    /// this much after its own interval (and [`lookback`](Detector::lookback)
    /// before it) finds what the whole data finds there (see
    /// [`analyze_sharded`](super::analyze_sharded)).
    /// `None` when a finding depends on an account's whole history: the
    /// detector then runs on the whole data.
    fn reach(&self) -> Option<i64>;

    /// How far before a finding's first transfer what decides it may lie
    /// (a chain is maximal when no fitting transfer came just before it):
    /// the overlap a shard reads before its interval. By default as far
    /// as [`reach`](Detector::reach).
    fn lookback(&self) -> i64 {
        self.reach().unwrap_or(0)
    }

    /// When each finding is one account's, decided by the transfers the
    /// scope names around it (and what [`WholeData`](crate::valued::WholeData)
    /// says of the whole data): then a part of the data that holds those
    /// transfers for the accounts it owns finds, for those accounts, what
    /// the whole data finds, however long their histories. Such a
    /// detector judges only the accounts [`Valued::owns_account`] allows;
    /// sharded runs give it account parts instead of time shards when its
    /// [`reach`](Detector::reach) is `None`.
    fn account_scope(&self) -> Option<AccountScope> {
        None
    }

    /// Its result budget: past it the highest-scoring findings are kept.
    fn max_findings(&self) -> usize;

    /// Sharded runs: what one shard contributes, for [`combine`](Detector::combine)
    /// over every shard. By default the shard's findings.
    fn detect_part(&self, data: &Valued<'_>) -> Detection {
        self.detect(data)
    }

    /// Sharded runs: the whole run's result from every shard's part (each
    /// kept by the shard of its first transfer, in transfer ids of the
    /// whole data), with `data` the whole data. By default the budget,
    /// applied to all the parts together.
    fn combine(&self, data: &Valued<'_>, parts: Vec<super::Finding>, truncated: bool) -> Detection {
        let _ = data;
        super::finish(parts, truncated, self.max_findings())
    }

    /// Its burst test, when it has one: the window and the least burst
    /// ratio (see [`burst_warnings`](super::burst_warnings)).
    fn burst_test(&self) -> Option<(Span, f64)> {
        None
    }
}

/// Generate [`DetectConfig`] and its list of detectors from one list of
/// `name: Type = default` lines (the name is the config section and the
/// detector's name in every output); `=> f` runs the section's parameters
/// as `f` makes them (the fans take their direction from their name).
macro_rules! registry {
    (@run $params:expr) => { $params };
    (@run $params:expr, $f:expr) => { ($f)($params) };
    ($($(#[$doc:meta])* $name:ident: $ty:ty = $default:expr $(=> $run:expr)?,)*) => {
        /// Every detector's parameters: what `analyze --config` reads. Any
        /// field may be left out of a config file; it keeps its default.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct DetectConfig {
            /// Reporting currency for amounts.
            pub currency: String,
            /// Which typologies to run (all by default).
            pub enabled: Vec<Typology>,
            $($(#[$doc])* pub $name: $ty,)*
        }

        impl Default for DetectConfig {
            fn default() -> DetectConfig {
                DetectConfig {
                    currency: "USD".to_string(),
                    enabled: Typology::ALL.to_vec(),
                    $($name: $default,)*
                }
            }
        }

        impl DetectConfig {
            /// Every detector in the order `analyze` runs them, with its
            /// name (its config section, and its key in `summary.json`'s
            /// `seconds_per_detector`).
            pub fn detectors(&self) -> Vec<(&'static str, Box<dyn Detector>)> {
                vec![$((
                    stringify!($name),
                    Box::new(registry!(@run self.$name.clone() $(, $run)?)) as Box<dyn Detector>,
                ),)*]
            }
        }
    };
}

registry! {
    /// `fan_out` parameters.
    fan_out: FanDetector = FanDetector::default()
        => |d: FanDetector| FanDetector { direction: Direction::Out, ..d },
    /// `fan_in` parameters.
    fan_in: FanDetector = FanDetector { direction: Direction::In, ..FanDetector::default() }
        => |d: FanDetector| FanDetector { direction: Direction::In, ..d },
    /// `cycle` parameters.
    cycle: CycleDetector = CycleDetector::default(),
    /// `scatter_gather` parameters.
    scatter_gather: ScatterGatherDetector = ScatterGatherDetector::default(),
    /// `gather_scatter` parameters.
    gather_scatter: GatherScatterDetector = GatherScatterDetector::default(),
    /// `bipartite` and `stack` parameters.
    bipartite: BipartiteDetector = BipartiteDetector::default(),
    /// `layering_chain` parameters.
    layering_chain: ChainDetector = ChainDetector::default(),
    /// `structuring` parameters.
    structuring: StructuringDetector = StructuringDetector::default(),
    /// `pass_through` parameters.
    pass_through: PassThroughDetector = PassThroughDetector::default(),
    /// `on_off_ramp` and `chain_hopping` parameters.
    asset_hop: AssetHopDetector = AssetHopDetector::default(),
}

/// The default configuration, for questions about the registry itself.
static DEFAULTS: LazyLock<DetectConfig> = LazyLock::new(DetectConfig::default);

/// The name of the detector of the default registry that finds `typology`.
pub(crate) fn detector_of(typology: Typology) -> &'static str {
    DEFAULTS
        .detectors()
        .into_iter()
        .find(|(_, d)| d.typologies().contains(&typology))
        .map_or(typology.name(), |(name, _)| name)
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
