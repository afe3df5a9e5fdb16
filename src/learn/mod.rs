//! Learned scoring: gradient-boosted trees trained on labelled transfers'
//! [features](crate::features), scores for every transfer, and the
//! features that drove each score, in words.
//!
//! * [`train`] splits the labelled transfers by time: the last
//!   [`TrainOptions::validation_share`] of them (20%) is the validation
//!   part, used to stop adding trees and to pick the decision threshold
//!   that maximises F1 there; the earlier ones train the trees.
//! * [`Model::score`] scores every transfer of a ledger from its features
//!   alone: it never reads the ledger's laundering labels.
//! * [`train_accounts`] learns from labels that name accounts (AMLSim's
//!   `nodes.csv`) an account-level model, over the
//!   [account features](crate::features::account_features), split by each
//!   account's first transfer; [`Model::score_accounts`] scores them.
//! * [`Model::save`] and [`Model::load`] keep a model in a folder, with
//!   its format version, feature configuration and threshold; a model
//!   refuses data whose features differ from the ones it was trained on.
//!
//! The trees are [`forust_ml`]'s: the same seed and data give the same
//! model and scores on any number of threads.
//!
//! ```
//! use moneytrail::features::{transfer_features, FeatureOptions};
//! use moneytrail::learn::{train, TrainOptions};
//! use moneytrail::{FlowGraph, LedgerBuilder, NewTransfer, Valued};
//! use rust_decimal::Decimal;
//!
//! // A payroll pays 20 people 100 USD each, every day for 10 days; a
//! // mule forwards 9,000 USD within the hour of receiving it.
//! let mut b = LedgerBuilder::new();
//! let usd = b.asset("USD").unwrap();
//! let (payroll, mule, boss) = (b.account("payroll"), b.account("mule"), b.account("boss"));
//! let staff: Vec<_> = (0..20).map(|i| b.account(&format!("staff{i}"))).collect();
//! let hour = 3_600_000_000i64;
//! let mut labels = Vec::new();
//! for day in 0..10 {
//!     for &s in &staff {
//!         b.push(NewTransfer::simple(day * 24 * hour, payroll, s, Decimal::from(100), usd, 0));
//!         labels.push(false);
//!     }
//!     let t = day * 24 * hour + 2 * hour;
//!     b.push(NewTransfer::simple(t, boss, mule, Decimal::from(9_000), usd, 0));
//!     b.push(NewTransfer::simple(t + hour / 2, mule, payroll, Decimal::from(8_900), usd, 0));
//!     labels.extend([true, true]);
//! }
//! let g = FlowGraph::new(b.finish().unwrap());
//! let data = Valued::implied(&g, "USD");
//! let features = transfer_features(&data, &FeatureOptions::default());
//! let options = TrainOptions { rounds: 20, ..TrainOptions::default() };
//! let trained = train(&data, &features, &labels, &options).unwrap();
//! let scores = trained.model.score(&data).unwrap();
//! assert!(trained.metrics.validation.f1 > 0.99);
//! assert_eq!(scores.flagged.iter().filter(|&&f| f).count(), 20);
//! ```

mod explain;

pub use explain::{describe, Reason};

use crate::error::{Error, Result};
use crate::features::{
    account_features, transfer_features, transfer_features_from, AccountFeatures, FeatureColumns,
    FeatureOptions, TransferFeatures,
};
use crate::model::TransferId;
use crate::time::Span;
use crate::valued::Valued;
use forust_ml::gradientbooster::{ContributionsMethod, ImportanceMethod};
use forust_ml::metric::Metric;
use forust_ml::objective::ObjectiveType;
use forust_ml::{GradientBooster, Matrix};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The model folder's format. A model of another format is refused.
/// Format 2: the endpoint columns' sums, means, variances and skewness
/// are taken exactly in units of the reporting currency (a window with
/// any spread has a skewness), so format 1's trees would read slightly
/// different values.
pub const MODEL_FORMAT: u32 = 2;

/// The file in a model folder that holds its format, features and
/// threshold.
pub const MODEL_FILE: &str = "model.json";

/// The file in a model folder that holds the trees (forust's JSON).
pub const TREES_FILE: &str = "trees.json";

/// How to train.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainOptions {
    /// The features' endpoint window.
    pub features: FeatureOptions,
    /// The most trees to grow: 500.
    pub rounds: usize,
    /// Stop when the validation log loss has not improved for this many
    /// trees: 20.
    pub early_stopping: usize,
    /// Each tree's weight: 0.1.
    pub learning_rate: f32,
    /// Each tree's depth: 8.
    pub max_depth: usize,
    /// The share of the data, latest by time, that validates: 0.2.
    pub validation_share: f64,
    /// The share of the training part's other (not laundering) rows the
    /// trees learn from, chosen by the seed and weighted up by its inverse
    /// so that scores stay probabilities; every laundering row is kept,
    /// and never fewer than [`NEGATIVES_KEPT_AT_LEAST`] others: 0.25. Laundering is
    /// rare, so most trees' time goes to rows that all say "not
    /// laundering"; 1 keeps every row.
    pub negative_share: f64,
    /// The seed of the trees' random choices: 7.
    pub seed: u64,
}

/// The fewest other (not laundering) rows training keeps
/// ([`TrainOptions::negative_share`]): below it, every one.
pub const NEGATIVES_KEPT_AT_LEAST: usize = 50_000;

impl Default for TrainOptions {
    fn default() -> TrainOptions {
        TrainOptions {
            features: FeatureOptions::default(),
            rounds: 500,
            early_stopping: 20,
            learning_rate: 0.1,
            max_depth: 8,
            validation_share: 0.2,
            negative_share: 0.25,
            seed: 7,
        }
    }
}

/// What a model scores.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Each transfer, from its [features](crate::features::transfer_features).
    #[default]
    Transfer,
    /// Each account, from its [features](crate::features::account_features)
    /// (learned from labels that name accounts, as AMLSim's `nodes.csv`).
    Account,
}

impl Level {
    /// What it scores, in words: `transfer` or `account`.
    pub fn noun(self) -> &'static str {
        match self {
            Level::Transfer => "transfer",
            Level::Account => "account",
        }
    }
}

/// What a model needs its input's features to be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureSpec {
    /// What the model scores (models written before account-level models
    /// score transfers).
    #[serde(default)]
    pub level: Level,
    /// The endpoint window.
    pub window: Span,
    /// The reporting currency of the value columns.
    pub currency: String,
    /// The detector parameters of the rule columns, if it reads them.
    #[serde(default)]
    pub rules: Option<crate::detect::DetectConfig>,
    /// The longest temporal cycles counted (below 2: none).
    #[serde(default)]
    pub cycle_hops: usize,
    /// Whether it reads the scatter-gather columns (models written before
    /// them do not).
    #[serde(default)]
    pub scatter_gather: bool,
    /// The window of the history columns it reads, if any (models written
    /// before them read none).
    #[serde(default)]
    pub history: Option<Span>,
    /// The numeric feature columns, in the trees' order.
    pub columns: Vec<String>,
}

impl FeatureSpec {
    /// The spec of a model of `level` trained on `data` with `options`,
    /// reading `columns`.
    fn of(
        level: Level,
        data: &Valued<'_>,
        options: &FeatureOptions,
        columns: Vec<String>,
    ) -> FeatureSpec {
        FeatureSpec {
            level,
            window: options.window,
            currency: data.currency().to_string(),
            rules: options.rules_for(data),
            cycle_hops: options.cycle_hops,
            scatter_gather: options.scatter_gather,
            history: options.history,
            columns,
        }
    }
}

/// Counts of labelled transfers in a part of the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassCounts {
    /// Transfers labelled laundering.
    pub positive: usize,
    /// Transfers labelled not laundering.
    pub negative: usize,
}

/// How well scores separate the labelled transfers of one part.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Quality {
    /// Flagged (score ≥ threshold) and labelled ÷ flagged.
    pub precision: f64,
    /// Flagged and labelled ÷ labelled.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Area under the precision-recall curve (average precision).
    pub pr_auc: f64,
    /// The threshold the flags use.
    pub threshold: f64,
}

/// What training measured (written as `metrics.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// On the validation part, at the chosen threshold.
    pub validation: Quality,
    /// Class counts of the training part.
    pub train_counts: ClassCounts,
    /// Class counts of the rows the trees learnt from: the training part's
    /// laundering rows and its sample of the others
    /// ([`TrainOptions::negative_share`]).
    #[serde(default)]
    pub learnt_counts: Option<ClassCounts>,
    /// Class counts of the validation part.
    pub validation_counts: ClassCounts,
    /// The time of the first validation transfer (RFC 3339).
    pub validation_from: String,
    /// Trees kept (early stopping may keep fewer than were grown).
    pub trees: usize,
    /// Feature importances (average gain, normalised to sum to 1), largest first.
    pub importances: Vec<(String, f64)>,
}

/// A trained model and what training measured.
#[derive(Debug)]
pub struct Trained {
    /// The model.
    pub model: Model,
    /// Its measurements.
    pub metrics: Metrics,
}

/// Gradient-boosted trees over transfer features, with the threshold that
/// flags a transfer.
pub struct Model {
    /// The features it reads.
    pub spec: FeatureSpec,
    /// A score at or above it flags a transfer.
    pub threshold: f64,
    booster: GradientBooster,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("spec", &self.spec)
            .field("threshold", &self.threshold)
            .field("trees", &self.booster.trees.len())
            .finish()
    }
}

/// The scores of every transfer.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    /// Probability of laundering per transfer, in ledger order.
    pub score: Vec<f64>,
    /// Whether the score reaches the model's threshold, in ledger order.
    pub flagged: Vec<bool>,
}

#[derive(Serialize, Deserialize)]
struct ModelFile {
    format: u32,
    moneytrail: String,
    threshold: f64,
    features: FeatureSpec,
}

/// Train a model on `labels` (one per transfer, in ledger order) with the
/// `features` of `data` (computed with `options.features`).
///
/// # Errors
///
/// When the labels hold no laundering transfer (or the training or the
/// validation part holds none, or only laundering ones), when there are
/// too few transfers to split, or when the trees cannot be fitted.
pub fn train(
    data: &Valued<'_>,
    features: &TransferFeatures,
    labels: &[bool],
    options: &TrainOptions,
) -> Result<Trained> {
    let l = data.graph.ledger();
    if labels.len() != l.len() || features.transfers.len() != l.len() {
        return Err(Error::invalid(format!(
            "{} labels and {} feature rows for {} transfers",
            labels.len(),
            features.transfers.len(),
            l.len()
        )));
    }
    // Feature rows by time (then input row): the last share validates.
    let times = l.times_us();
    let mut by_time: Vec<usize> = (0..features.transfers.len()).collect();
    by_time.sort_by_key(|&r| (times[features.transfers[r].index()], features.rows[r]));
    let spec = FeatureSpec::of(
        Level::Transfer,
        data,
        &options.features,
        features.numbers.names.clone(),
    );
    fit(
        spec,
        &features.numbers,
        &by_time,
        &|r| labels[features.transfers[r].index()],
        &|r| times[features.transfers[r].index()],
        options,
    )
}

/// Train an account-level model on `labels` (one per account, by account
/// id: AMLSim's `nodes.csv`, or an answer key that names accounts) with
/// the [account features](crate::features::account_features) made from
/// the transfer `features` of `data`. The accounts are split by time as
/// transfers are, by their first transfer: the last
/// [`TrainOptions::validation_share`] of them validates.
///
/// # Errors
///
/// As [`train`], for accounts.
pub fn train_accounts(
    data: &Valued<'_>,
    features: &TransferFeatures,
    labels: &[bool],
    options: &TrainOptions,
) -> Result<Trained> {
    if labels.len() != data.graph.account_count() {
        return Err(Error::invalid(format!(
            "{} labels for {} accounts",
            labels.len(),
            data.graph.account_count()
        )));
    }
    let accounts = account_features(data, features);
    let mut by_time: Vec<usize> = (0..accounts.accounts.len()).collect();
    by_time.sort_by_key(|&r| (accounts.first_us[r], accounts.accounts[r]));
    let spec = FeatureSpec::of(
        Level::Account,
        data,
        &options.features,
        accounts.numbers.names.clone(),
    );
    fit(
        spec,
        &accounts.numbers,
        &by_time,
        &|r| labels[accounts.accounts[r].index()],
        &|r| accounts.first_us[r],
        options,
    )
}

/// Fit the trees on the rows of `columns` in time order `by_time` (the
/// last share validates: it stops the trees and picks the threshold).
fn fit(
    spec: FeatureSpec,
    columns_of: &FeatureColumns,
    by_time: &[usize],
    label_of: &dyn Fn(usize) -> bool,
    time_of: &dyn Fn(usize) -> i64,
    options: &TrainOptions,
) -> Result<Trained> {
    let noun = spec.level.noun();
    if !by_time.iter().any(|&r| label_of(r)) {
        return Err(Error::invalid(format!(
            "the labels mark none of the {} {noun}s as laundering: a model needs confirmed cases to learn from",
            by_time.len()
        )));
    }
    if !(0.0..1.0).contains(&options.validation_share) || options.validation_share == 0.0 {
        return Err(Error::invalid(format!(
            "validation share {} is not between 0 and 1",
            options.validation_share
        )));
    }
    let validating = ((by_time.len() as f64) * options.validation_share).ceil() as usize;
    if validating == 0 || validating >= by_time.len() {
        return Err(Error::invalid(format!(
            "{} are too few to keep the last {:.0}% by time for validation",
            crate::format::count(by_time.len(), noun),
            options.validation_share * 100.0
        )));
    }
    let (fit_rows, check_rows) = by_time.split_at(by_time.len() - validating);
    let counts = |rows: &[usize]| {
        let positive = rows.iter().filter(|&&r| label_of(r)).count();
        ClassCounts {
            positive,
            negative: rows.len() - positive,
        }
    };
    let (train_counts, validation_counts) = (counts(fit_rows), counts(check_rows));
    let validation_from = crate::time::to_rfc3339(time_of(check_rows[0]));
    for (part, c) in [
        ("training", train_counts),
        ("validation", validation_counts),
    ] {
        if c.positive == 0 || c.negative == 0 {
            return Err(Error::invalid(format!(
                "the {part} part (the {} {:.0}% by time; validation from {validation_from}) holds {} laundering and {} other {noun}s: it needs both; label more of the period",
                if part == "training" { "first" } else { "last" },
                if part == "training" { 100.0 - options.validation_share * 100.0 } else { options.validation_share * 100.0 },
                c.positive,
                c.negative
            )));
        }
    }
    let share = options.negative_share;
    if !(share > 0.0 && share <= 1.0) {
        return Err(Error::invalid(format!(
            "negative share {share} is not above 0 and at most 1"
        )));
    }
    let (learnt_rows, negative_weight) = sample_negatives(
        fit_rows,
        label_of,
        train_counts.negative,
        share,
        options.seed,
    );
    let learnt_counts = counts(&learnt_rows);
    let (x_fit, y_fit) = matrix(columns_of, &learnt_rows, label_of);
    let (x_check, y_check) = matrix(columns_of, check_rows, label_of);
    let columns = spec.columns.len();
    let w_fit: Vec<f64> = y_fit
        .iter()
        .map(|&y| if y > 0.5 { 1.0 } else { negative_weight })
        .collect();
    let w_check = vec![1.0; check_rows.len()];
    let mut booster = GradientBooster::default()
        .set_objective_type(ObjectiveType::LogLoss)
        .set_iterations(options.rounds)
        .set_learning_rate(options.learning_rate)
        .set_max_depth(options.max_depth)
        .set_seed(options.seed)
        .set_evaluation_metric(Some(Metric::LogLoss))
        .set_early_stopping_rounds(Some(options.early_stopping));
    let fit = Matrix::new(&x_fit, learnt_rows.len(), columns);
    let check = Matrix::new(&x_check, check_rows.len(), columns);
    booster
        .fit(
            &fit,
            &y_fit,
            &w_fit,
            Some(vec![(
                Matrix::new(&x_check, check_rows.len(), columns),
                &y_check,
                &w_check,
            )]),
        )
        .map_err(|e| Error::invalid(format!("cannot fit the trees: {e}")))?;
    let scores: Vec<f64> = booster
        .predict(&check, true)
        .into_iter()
        .map(logistic)
        .collect();
    let truth: Vec<bool> = y_check.iter().map(|&y| y > 0.5).collect();
    let validation = best_threshold(&scores, &truth);
    let mut importances: Vec<(String, f64)> = booster
        .calculate_feature_importance(ImportanceMethod::Gain, true)
        .into_iter()
        .map(|(j, v)| (spec.columns[j].clone(), f64::from(v)))
        .collect();
    importances.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let trees = booster
        .prediction_iteration
        .unwrap_or(booster.trees.len())
        .min(booster.trees.len());
    let model = Model {
        spec,
        threshold: validation.threshold,
        booster,
    };
    Ok(Trained {
        model,
        metrics: Metrics {
            validation,
            train_counts,
            learnt_counts: Some(learnt_counts),
            validation_counts,
            validation_from,
            trees,
            importances,
        },
    })
}

/// The rows the trees learn from: every laundering row of `rows` and,
/// of the `negatives` others, each with probability `share` (raised so
/// that about [`NEGATIVES_KEPT_AT_LEAST`] are kept, when there are that
/// many), chosen by a hash of the seed and the row (the same on any number
/// of threads); and the weight of a kept other row, the inverse of the
/// share it was kept at.
fn sample_negatives(
    rows: &[usize],
    label_of: &dyn Fn(usize) -> bool,
    negatives: usize,
    share: f64,
    seed: u64,
) -> (Vec<usize>, f64) {
    let share = share.max((NEGATIVES_KEPT_AT_LEAST as f64 / negatives.max(1) as f64).min(1.0));
    if share >= 1.0 {
        return (rows.to_vec(), 1.0);
    }
    let kept = rows
        .iter()
        .copied()
        .filter(|&r| label_of(r) || unit_interval(seed, r as u64) < share)
        .collect();
    (kept, 1.0 / share)
}

/// A number in [0, 1) from a seed and a key (splitmix64's finaliser).
fn unit_interval(seed: u64, key: u64) -> f64 {
    let mut z = seed ^ key.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// The numeric features of `rows` as a column-major matrix, and their labels.
fn matrix(
    features: &FeatureColumns,
    rows: &[usize],
    label_of: &dyn Fn(usize) -> bool,
) -> (Vec<f64>, Vec<f64>) {
    let mut x = Vec::with_capacity(rows.len() * features.values.len());
    for column in &features.values {
        x.extend(rows.iter().map(|&r| column[r]));
    }
    let y = rows
        .iter()
        .map(|&r| f64::from(u8::from(label_of(r))))
        .collect();
    (x, y)
}

fn logistic(log_odds: f64) -> f64 {
    1.0 / (1.0 + (-log_odds).exp())
}

/// The threshold that maximises F1 of `score ≥ threshold` against `truth`,
/// with the precision, recall and average precision there. Equal scores
/// are flagged together; of equally good thresholds the highest wins.
fn best_threshold(scores: &[f64], truth: &[bool]) -> Quality {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let positives = truth.iter().filter(|&&t| t).count();
    let mut best = Quality {
        precision: 0.0,
        recall: 0.0,
        f1: 0.0,
        pr_auc: 0.0,
        threshold: 1.0,
    };
    let (mut flagged, mut hits, mut area) = (0usize, 0usize, 0.0);
    let mut i = 0;
    while i < order.len() {
        let level = scores[order[i]];
        let mut new_hits = 0;
        while i < order.len() && scores[order[i]] == level {
            flagged += 1;
            new_hits += usize::from(truth[order[i]]);
            i += 1;
        }
        hits += new_hits;
        let precision = hits as f64 / flagged as f64;
        let recall = hits as f64 / positives.max(1) as f64;
        area += precision * new_hits as f64 / positives.max(1) as f64;
        let f1 = if hits == 0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        if f1 > best.f1 {
            best = Quality {
                precision,
                recall,
                f1,
                pr_auc: 0.0,
                threshold: level,
            };
        }
    }
    best.pr_auc = area;
    best
}

impl Model {
    /// Score every transfer of `data`: its features with the model's
    /// configuration, then the trees. Reads no label.
    ///
    /// # Errors
    ///
    /// When `data`'s reporting currency or feature columns differ from the
    /// model's.
    pub fn score(&self, data: &Valued<'_>) -> Result<Scores> {
        let features = self.features(data)?;
        Ok(self.score_features(&features))
    }

    /// The features of `data` this model reads.
    ///
    /// # Errors
    ///
    /// As [`Model::score`].
    pub fn features(&self, data: &Valued<'_>) -> Result<TransferFeatures> {
        self.features_with(data, None)
    }

    /// [`Model::features`], reusing `made`: findings `detect::analyze`
    /// made with the given parameters, when they are the ones the model's
    /// rule columns need (else the detectors run again).
    ///
    /// # Errors
    ///
    /// As [`Model::score`].
    pub fn features_with(
        &self,
        data: &Valued<'_>,
        made: Option<(&crate::detect::DetectConfig, &[crate::detect::Finding])>,
    ) -> Result<TransferFeatures> {
        if self.spec.level != Level::Transfer {
            return Err(Error::invalid(format!(
                "this model scores {}s, not transfers (it was trained on labels that name {}s)",
                self.spec.level.noun(),
                self.spec.level.noun()
            )));
        }
        let mut features = self.transfer_features(data, made)?;
        self.check(&features.numbers.names)?;
        if let Some(warning) = self.short_history(&features) {
            features.warnings.push(warning);
        }
        Ok(features)
    }

    /// What to say when some transfers have less than the model's history
    /// window of data before them (their `history_reach` is shorter): their
    /// history columns see less than the model learnt from, so their scores
    /// rest on less evidence.
    fn short_history(&self, features: &TransferFeatures) -> Option<String> {
        let window = self.spec.history?;
        let hours = window.micros() as f64 / crate::time::HOUR as f64;
        let names = &features.numbers.names;
        let reach = &features.numbers.values[names.iter().position(|n| n == "history_reach")?];
        let short = reach.iter().filter(|&&r| r < hours).count();
        (short > 0).then(|| {
            format!(
                "{} of the {} scored lie within {window} of the data's first transfer: the model reads each account's history over {window} before a transfer, and the data holds less before these, so their scores rest on less evidence (history_reach, docs/features.md); to score them fully, include the {window} of transfers before them",
                crate::format::count(short, "transfer"),
                crate::format::group_thousands(rust_decimal::Decimal::from(reach.len()))
            )
        })
    }

    /// The account features of `data` an account-level model reads (see
    /// [`Model::features_with`] for `made`).
    ///
    /// # Errors
    ///
    /// When the model scores transfers, or as [`Model::score`].
    pub fn account_features_with(
        &self,
        data: &Valued<'_>,
        made: Option<(&crate::detect::DetectConfig, &[crate::detect::Finding])>,
    ) -> Result<AccountFeatures> {
        if self.spec.level != Level::Account {
            return Err(Error::invalid(
                "this model scores transfers, not accounts (it was trained on transfer labels)",
            ));
        }
        let transfers = self.transfer_features(data, made)?;
        let accounts = account_features(data, &transfers);
        self.check(&accounts.numbers.names)?;
        Ok(accounts)
    }

    /// The transfer features the model's configuration makes of `data`.
    fn transfer_features(
        &self,
        data: &Valued<'_>,
        made: Option<(&crate::detect::DetectConfig, &[crate::detect::Finding])>,
    ) -> Result<TransferFeatures> {
        if data.currency() != self.spec.currency {
            return Err(Error::invalid(format!(
                "the model was trained on values in {}; score with the same reporting currency (--currency {})",
                self.spec.currency, self.spec.currency
            )));
        }
        let options = FeatureOptions {
            window: self.spec.window,
            rules: self.spec.rules.clone(),
            cycle_hops: self.spec.cycle_hops,
            scatter_gather: self.spec.scatter_gather,
            history: self.spec.history,
        };
        let features = match (&self.spec.rules, made) {
            (Some(wanted), Some((config, findings))) if wanted == config => {
                transfer_features_from(data, &options, Some(findings))
            }
            _ => transfer_features(data, &options),
        };
        Ok(features)
    }

    fn check(&self, names: &[String]) -> Result<()> {
        if names != self.spec.columns {
            let missing = absent(&self.spec.columns, names);
            let extra = absent(names, &self.spec.columns);
            return Err(Error::invalid(format!(
                "the model reads {} feature columns and this moneytrail computes {} (missing: [{}]; new: [{}]; order differs when both are empty): retrain it with `moneytrail train`",
                self.spec.columns.len(),
                names.len(),
                missing.join(", "),
                extra.join(", ")
            )));
        }
        Ok(())
    }

    /// Score precomputed features (from [`Model::features`]), in ledger order.
    pub fn score_features(&self, features: &TransferFeatures) -> Scores {
        let by_row = self.predict(&features.numbers);
        let mut score = vec![0.0; by_row.len()];
        for (r, s) in by_row.into_iter().enumerate() {
            score[features.transfers[r].index()] = s;
        }
        let flagged = score.iter().map(|&s| s >= self.threshold).collect();
        Scores { score, flagged }
    }

    /// Score precomputed account features (from
    /// [`Model::account_features_with`]), one score per row.
    pub fn score_accounts(&self, features: &AccountFeatures) -> Scores {
        let score = self.predict(&features.numbers);
        let flagged = score.iter().map(|&s| s >= self.threshold).collect();
        Scores { score, flagged }
    }

    /// For each of the account feature rows `rows`, the `limit` features
    /// that raised its score most, in words.
    pub fn explain_accounts(
        &self,
        features: &AccountFeatures,
        rows: &[usize],
        limit: usize,
    ) -> Vec<Vec<Reason>> {
        self.explain_rows(&features.numbers, rows, limit)
    }

    /// The probability of every row of `columns`.
    fn predict(&self, columns: &FeatureColumns) -> Vec<f64> {
        let height = columns.values.first().map_or(0, Vec::len);
        let rows: Vec<usize> = (0..height).collect();
        let (x, _) = matrix(columns, &rows, &|_| false);
        let m = Matrix::new(&x, rows.len(), self.spec.columns.len());
        self.booster
            .predict(&m, true)
            .into_iter()
            .map(logistic)
            .collect()
    }

    /// For each of `transfers`, the `limit` features that raised its score
    /// most, largest first, in words, from precomputed `features` (of
    /// [`Model::features`]).
    pub fn explain(
        &self,
        features: &TransferFeatures,
        transfers: &[TransferId],
        limit: usize,
    ) -> Vec<Vec<Reason>> {
        let mut position = vec![usize::MAX; features.transfers.len()];
        for (r, t) in features.transfers.iter().enumerate() {
            position[t.index()] = r;
        }
        let rows: Vec<usize> = transfers.iter().map(|t| position[t.index()]).collect();
        self.explain_rows(&features.numbers, &rows, limit)
    }

    /// [`Model::explain`] for rows of any feature table.
    fn explain_rows(
        &self,
        features: &FeatureColumns,
        rows: &[usize],
        limit: usize,
    ) -> Vec<Vec<Reason>> {
        let (x, _) = matrix(features, rows, &|_| false);
        let columns = self.spec.columns.len();
        let m = Matrix::new(&x, rows.len(), columns);
        let all = self
            .booster
            .predict_contributions(&m, ContributionsMethod::Average, true);
        (0..rows.len())
            .map(|i| {
                let contributions = &all[i * (columns + 1)..i * (columns + 1) + columns];
                let values: Vec<f64> = (0..columns).map(|j| x[j * rows.len() + i]).collect();
                explain::reasons(
                    &self.spec.columns,
                    contributions,
                    &values,
                    self.spec.window,
                    &self.spec.currency,
                    limit,
                )
            })
            .collect()
    }

    /// Write the model into `dir` ([`MODEL_FILE`] and [`TREES_FILE`]).
    ///
    /// # Errors
    ///
    /// When the folder or its files cannot be written.
    pub fn save(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let file = ModelFile {
            format: MODEL_FORMAT,
            moneytrail: env!("CARGO_PKG_VERSION").to_string(),
            threshold: self.threshold,
            features: self.spec.clone(),
        };
        let path = dir.join(MODEL_FILE);
        let text =
            serde_json::to_string_pretty(&file).map_err(|e| Error::format(&path, e.to_string()))?;
        std::fs::write(&path, text + "\n").map_err(|e| Error::io(&path, e))?;
        let path = dir.join(TREES_FILE);
        let trees = self
            .booster
            .json_dump()
            .map_err(|e| Error::format(&path, e.to_string()))?;
        std::fs::write(&path, trees).map_err(|e| Error::io(&path, e))?;
        Ok(())
    }

    /// Read a model written by [`Model::save`].
    ///
    /// # Errors
    ///
    /// When a file is missing or unreadable, or the model's format is not
    /// [`MODEL_FORMAT`].
    pub fn load(dir: &Path) -> Result<Model> {
        let path = dir.join(MODEL_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let head: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| Error::format(&path, format!("not a moneytrail model: {e}")))?;
        let format = head.get("format").and_then(serde_json::Value::as_u64);
        if format != Some(u64::from(MODEL_FORMAT)) {
            return Err(Error::format(
                &path,
                format!(
                    "model format {} (written by moneytrail {}); this moneytrail reads format {MODEL_FORMAT}: retrain it with `moneytrail train`",
                    format.map_or("missing".to_string(), |f| f.to_string()),
                    head.get("moneytrail").and_then(|v| v.as_str()).unwrap_or("unknown"),
                ),
            ));
        }
        let file: ModelFile = serde_json::from_value(head)
            .map_err(|e| Error::format(&path, format!("not a moneytrail model: {e}")))?;
        let path = dir.join(TREES_FILE);
        let trees = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let booster = GradientBooster::from_json(&trees)
            .map_err(|e| Error::format(&path, format!("not a forust model: {e}")))?;
        check_trees(&booster, file.features.columns.len())
            .map_err(|message| Error::format(&path, message))?;
        Ok(Model {
            spec: file.features,
            threshold: file.threshold,
            booster,
        })
    }
}

/// The names of `these` that `from` lacks.
fn absent<'a>(these: &'a [String], from: &[String]) -> Vec<&'a str> {
    these
        .iter()
        .filter(|c| !from.contains(c))
        .map(String::as_str)
        .collect()
}

/// Every split of `booster` reads one of `columns` features and points
/// to later nodes of its tree, so that predicting cannot index out of
/// bounds or loop on a damaged file.
fn check_trees(booster: &GradientBooster, columns: usize) -> std::result::Result<(), String> {
    for (t, tree) in booster.trees.iter().enumerate() {
        if tree.nodes.is_empty() {
            return Err(format!("tree {t} has no node"));
        }
        for (i, node) in tree.nodes.iter().enumerate() {
            if node.is_leaf {
                continue;
            }
            let later = |c: usize| c > i && c < tree.nodes.len();
            if node.split_feature >= columns
                || !later(node.left_child)
                || !later(node.right_child)
                || !later(node.missing_node)
            {
                return Err(format!(
                    "tree {t} node {i} is damaged (feature {}, children {}, {}, {})",
                    node.split_feature, node.left_child, node.right_child, node.missing_node
                ));
            }
        }
    }
    Ok(())
}

/// The input's laundering labels, one per transfer in ledger order
/// (unlabelled rows count as not laundering), or `None` when the input
/// has no label column.
pub fn ledger_labels(ledger: &crate::Ledger) -> Option<Vec<bool>> {
    let labels = ledger.laundering_labels();
    labels
        .iter()
        .any(Option::is_some)
        .then(|| labels.iter().map(|l| l.unwrap_or(false)).collect())
}

/// The label columns the input layouts read.
pub const LABEL_COLUMNS: [&str; 3] = ["Is Laundering", "label", "is_sar"];

/// Labels for training: one per transfer, or one per account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Labels {
    /// One per transfer, in ledger order (a transfer model).
    Transfers(Vec<bool>),
    /// One per account, by account id (an account-level model).
    Accounts(Vec<bool>),
}

impl Labels {
    /// What the labels name.
    pub fn level(&self) -> Level {
        match self {
            Labels::Transfers(_) => Level::Transfer,
            Labels::Accounts(_) => Level::Account,
        }
    }
}

/// Train the model the `labels` call for: a transfer model for transfer
/// labels ([`train`]), an account-level one for account labels
/// ([`train_accounts`]), with the transfer `features` of `data`.
///
/// # Errors
///
/// As [`train`] and [`train_accounts`].
pub fn train_on(
    data: &Valued<'_>,
    features: &TransferFeatures,
    labels: &Labels,
    options: &TrainOptions,
) -> Result<Trained> {
    match labels {
        Labels::Transfers(labels) => train(data, features, labels, options),
        Labels::Accounts(labels) => train_accounts(data, features, labels, options),
    }
}

/// The labels to train on and where they came from, in words: from
/// `given` (a label column name, a moneytrail answer key `truth.json`, an
/// AMLworld patterns file, or AMLSim's `nodes.csv`), or else the input's
/// label column, or else its account labels (AMLSim's `nodes.csv` beside
/// the input). `input` is the transfers file the key's rows refer to.
/// Keys that name transfer rows give transfer labels; keys that name
/// accounts only give account labels.
///
/// # Errors
///
/// When the input has no labels of either kind, `given` is neither a
/// column nor a file, or the file cannot be read.
pub fn labels_for(
    ledger: &crate::Ledger,
    input: &Path,
    given: Option<&str>,
) -> Result<(Labels, String)> {
    let from_column = || {
        if let Some(l) = ledger_labels(ledger) {
            return Ok((Labels::Transfers(l), "the input's label column".to_string()));
        }
        let accounts: Vec<Option<bool>> = ledger.accounts().iter().map(|a| a.laundering).collect();
        if accounts.iter().any(Option::is_some) {
            let labels: Vec<bool> = accounts.iter().map(|l| l.unwrap_or(false)).collect();
            let marked = labels.iter().filter(|&&l| l).count();
            return Ok((
                Labels::Accounts(labels),
                format!(
                    "the input's account labels ({})",
                    crate::format::count(marked, "labelled account")
                ),
            ));
        }
        Err(Error::invalid(format!(
            "{} has no label column ({}) and no account labels: give labels with --labels truth.json, an AMLworld patterns file or AMLSim's nodes.csv",
            input.display(),
            LABEL_COLUMNS.join(", ")
        )))
    };
    let Some(given) = given else {
        return from_column();
    };
    if LABEL_COLUMNS.iter().any(|c| c.eq_ignore_ascii_case(given)) {
        return from_column();
    }
    let path = Path::new(given);
    if !path.is_file() {
        return Err(Error::invalid(format!(
            "--labels {given:?} is neither a file nor a label column the layouts read ({})",
            LABEL_COLUMNS.join(", ")
        )));
    }
    let truth = crate::ingest::read_truth(path, Some(input))?;
    let Some(rows) = truth.rows else {
        let named = truth.accounts.unwrap_or_default();
        let labels: Vec<bool> = ledger
            .accounts()
            .iter()
            .map(|a| named.contains(&a.key))
            .collect();
        let matched = labels.iter().filter(|&&l| l).count();
        let mut source = format!(
            "{} ({})",
            truth.source,
            crate::format::count(matched, "labelled account")
        );
        if matched < named.len() {
            source.push_str(&format!(
                "; {} of its accounts are not in the loaded data",
                named.len() - matched
            ));
        }
        return Ok((Labels::Accounts(labels), source));
    };
    let labels: Vec<bool> = ledger
        .source_rows()
        .iter()
        .map(|r| rows.contains(r))
        .collect();
    let matched = labels.iter().filter(|&&l| l).count();
    let mut source = format!(
        "{} ({})",
        truth.source,
        crate::format::count(matched, "labelled transfer")
    );
    if matched < rows.len() || truth.unmatched_rows > 0 {
        source.push_str(&format!(
            "; {} of its rows are not in the loaded data",
            rows.len() - matched + truth.unmatched_rows
        ));
    }
    Ok((Labels::Transfers(labels), source))
}

#[cfg(test)]
mod tests;
