//! `Transfers.features` (features per transfer, the columns of
//! `moneytrail features`) and `generate` (a training set with its answer
//! key, as `moneytrail generate`).

use crate::books::{duration, Transfers};
use crate::errors::{argument, to_py};
use moneytrail::features::{transfer_features, write_parquet, FeatureOptions};
use moneytrail::synth::training::{self, Difficulty, OutputFormat, TrainingSpec};
use moneytrail::time::Span;
use pyo3::prelude::*;
use std::path::PathBuf;

#[pymethods]
impl Transfers {
    /// Features per transfer written to `path` as Parquet (one row per
    /// transfer, `row` first); returns the warnings.
    #[pyo3(signature = (path, *, window = "1d", cycle_hops = None, currency = "USD"))]
    fn features_file(
        &self,
        py: Python<'_>,
        path: PathBuf,
        window: &str,
        cycle_hops: Option<usize>,
        currency: &str,
    ) -> PyResult<Vec<String>> {
        let mut options = FeatureOptions {
            window: Span(duration(window, "window")?),
            ..FeatureOptions::default()
        };
        if let Some(hops) = cycle_hops {
            options.cycle_hops = hops;
        }
        py.detach(|| {
            let data = self.books.valued(currency)?;
            let features = transfer_features(&data, &options);
            let warnings = features.warnings.clone();
            write_parquet(features, &path).map_err(to_py)?;
            Ok(warnings)
        })
    }
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
