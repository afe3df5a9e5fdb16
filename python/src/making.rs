//! `Transfers.features` (features per transfer, the columns of
//! `moneytrail features`) and `generate` (a training set with its answer
//! key, as `moneytrail generate`).

use crate::books::{duration, Transfers};
use crate::errors::{argument, to_py};
use moneytrail::features::{
    transfer_features, transfer_features_in_shards, write_parquet, FeatureOptions,
};
use moneytrail::learn::{labels_for, train_on, TrainOptions};
use moneytrail::synth::training::{self, Difficulty, OutputFormat, TrainingSpec};
use moneytrail::time::Span;
use pyo3::prelude::*;
use std::path::PathBuf;

#[pymethods]
impl Transfers {
    /// Features per transfer written to `path` as Parquet (one row per
    /// transfer, `row` first), computed in time shards of `shard` when
    /// given (the same values); returns the warnings.
    #[pyo3(signature = (path, *, window = "1d", cycle_hops = None, currency = "USD", shard = None,
        history = Some("30d")))]
    #[allow(clippy::too_many_arguments)]
    fn features_file(
        &self,
        py: Python<'_>,
        path: PathBuf,
        window: &str,
        cycle_hops: Option<usize>,
        currency: &str,
        shard: Option<&str>,
        history: Option<&str>,
    ) -> PyResult<Vec<String>> {
        let options = feature_options(window, cycle_hops, history)?;
        let shard = match shard {
            Some(text) => {
                let length = duration(text, "shard")?;
                if length <= 0 {
                    return Err(argument("shard: the length must be positive"));
                }
                Some(Span(length))
            }
            None => None,
        };
        py.detach(|| {
            let data = self.books.valued(currency)?;
            let features = match shard {
                None => transfer_features(&data, &options),
                Some(length) => transfer_features_in_shards(&data, &options, length),
            };
            let warnings = features.warnings.clone();
            write_parquet(features, &path).map_err(to_py)?;
            Ok(warnings)
        })
    }
}

#[pymethods]
impl Transfers {
    /// Train gradient-boosted trees on the labelled transfers (labels from
    /// `labels`: a label column name, truth.json or an AMLworld patterns
    /// file; the input's label column by default) or, for labels that name
    /// accounts (AMLSim's nodes.csv), an account-level model; save the
    /// model and metrics.json into `out`, and return metrics.json's text.
    #[pyo3(signature = (out, *, labels = None, rounds = None, seed = 1, validation_share = None,
        window = "1d", cycle_hops = None, currency = "USD", history = Some("30d"), negative_share = None))]
    #[allow(clippy::too_many_arguments)]
    fn train(
        &self,
        py: Python<'_>,
        out: PathBuf,
        labels: Option<&str>,
        rounds: Option<usize>,
        seed: u64,
        validation_share: Option<f64>,
        window: &str,
        cycle_hops: Option<usize>,
        currency: &str,
        history: Option<&str>,
        negative_share: Option<f64>,
    ) -> PyResult<String> {
        let mut options = TrainOptions {
            features: feature_options(window, cycle_hops, history)?,
            seed,
            ..TrainOptions::default()
        };
        if let Some(r) = rounds {
            options.rounds = r;
        }
        if let Some(v) = validation_share {
            options.validation_share = v;
        }
        if let Some(share) = negative_share {
            options.negative_share = share;
        }
        py.detach(|| {
            let l = self.books.graph.ledger();
            let (labels, source) = labels_for(l, &self.books.report.path, labels).map_err(to_py)?;
            let data = self.books.valued(currency)?;
            let features = transfer_features(&data, &options.features);
            let trained = train_on(&data, &features, &labels, &options).map_err(to_py)?;
            trained.model.save(&out).map_err(to_py)?;
            let mut record =
                serde_json::to_value(&trained.metrics).map_err(|e| argument(e.to_string()))?;
            record["input"] = self.books.report.path.display().to_string().into();
            record["labels"] = source.into();
            record["level"] = labels.level().noun().into();
            record["seed"] = seed.into();
            let text =
                serde_json::to_string_pretty(&record).map_err(|e| argument(e.to_string()))?;
            let path = out.join("metrics.json");
            std::fs::write(&path, format!("{text}\n"))
                .map_err(|e| argument(format!("cannot write {}: {e}", path.display())))?;
            Ok(text)
        })
    }
}

fn feature_options(
    window: &str,
    cycle_hops: Option<usize>,
    history: Option<&str>,
) -> PyResult<FeatureOptions> {
    let history = match history {
        Some(text) => Some(Span(duration(text, "history")?)),
        None => None,
    };
    let mut options = FeatureOptions {
        window: Span(duration(window, "window")?),
        history,
        ..FeatureOptions::default()
    };
    if let Some(hops) = cycle_hops {
        options.cycle_hops = hops;
    }
    Ok(options)
}

/// Generate a training set into `dir` (transactions, accounts.csv,
/// truth.json, patterns.txt); returns (rows, accounts, planted attempts).
#[pyfunction]
#[pyo3(signature = (dir, *, preset = "small", seed = 1, accounts = None, transfers = None,
    days = None, per_typology = None, difficulty = "normal", format = "transfers", parquet = false))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn generate(
    py: Python<'_>,
    dir: PathBuf,
    preset: &str,
    seed: u64,
    accounts: Option<usize>,
    transfers: Option<usize>,
    days: Option<u32>,
    per_typology: Option<usize>,
    difficulty: &str,
    format: &str,
    parquet: bool,
) -> PyResult<(u64, usize, usize)> {
    let mut spec = TrainingSpec::preset(preset).ok_or_else(|| {
        argument(format!(
            "unknown preset {preset:?}: expected tiny, small, medium or large"
        ))
    })?;
    spec.accounts = accounts.unwrap_or(spec.accounts);
    spec.transfers = transfers.unwrap_or(spec.transfers);
    spec.days = days.unwrap_or(spec.days).max(1);
    spec.per_typology = per_typology.unwrap_or(spec.per_typology);
    spec.seed = seed;
    spec.difficulty = match difficulty {
        "easy" => Difficulty::Easy,
        "normal" => Difficulty::Normal,
        "hard" => Difficulty::Hard,
        other => {
            return Err(argument(format!(
                "unknown difficulty {other:?}: expected easy, normal or hard"
            )))
        }
    };
    spec.format = match format {
        "transfers" => OutputFormat::Transfers,
        "amlworld" => OutputFormat::AmlWorld,
        other => {
            return Err(argument(format!(
                "unknown format {other:?}: expected transfers or amlworld"
            )))
        }
    };
    spec.parquet = parquet;
    let generated = py
        .detach(|| training::generate(&spec, &dir))
        .map_err(|e| argument(format!("cannot write into {}: {e}", dir.display())))?;
    Ok((generated.rows, generated.accounts, generated.attempts.len()))
}
