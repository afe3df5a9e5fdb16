//! `Transfers.analyze`: every detector (or the chosen ones) with the
//! configuration keys of `--config`, in memory or in time shards, and the
//! results folder `analyze --out` writes.

use crate::books::{duration, Books, Transfers};
use crate::errors::{argument, to_py};
use crate::records::json;
use moneytrail::detect::{self, DetectConfig};
use moneytrail::report::{self, AnalysisRun, FindingRecord, OutputOptions, Picture};
use pyo3::prelude::*;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// The findings of one run, with the configuration that made them.
#[pyclass(frozen, module = "moneytrail._native")]
pub(crate) struct Analysis {
    books: Arc<Books>,
    config: DetectConfig,
    analysis: detect::Analysis,
    records: Vec<FindingRecord>,
}

#[pymethods]
impl Transfers {
    /// Run the detectors. `config` is JSON with the keys of `--config`
    /// (any left out keep their defaults); `shard` a duration such as
    /// `7d` to run in time shards (same findings).
    #[pyo3(signature = (config = None, shard = None))]
    fn analyze(
        &self,
        py: Python<'_>,
        config: Option<&str>,
        shard: Option<&str>,
    ) -> PyResult<Analysis> {
        let config = match config {
            Some(text) => DetectConfig::from_json(text).map_err(to_py)?,
            None => DetectConfig::default(),
        };
        let shard = shard.map(|s| duration(s, "shard")).transpose()?;
        if shard.is_some_and(|s| s <= 0) {
            return Err(argument("shard: the length must be positive"));
        }
        let books = Arc::clone(&self.books);
        py.detach(move || {
            let data = books.valued(&config.currency)?;
            let analysis = match shard {
                Some(length) => detect::analyze_sharded(&data, &config, length, |_, _| {}),
                None => detect::analyze(&data, &config, |_| {}),
            };
            let records = FindingRecord::all(&analysis.findings, &data);
            drop(data);
            Ok(Analysis {
                books,
                config,
                analysis,
                records,
            })
        })
    }
}

#[pymethods]
impl Analysis {
    /// The findings as the records of `findings.json`.
    fn findings_json(&self) -> PyResult<String> {
        json(&self.records)
    }

    /// The per-detector table `moneytrail analyze` prints.
    fn table(&self) -> String {
        self.analysis.table()
    }

    /// What limits this run, in words.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.analysis.warnings.clone()
    }

    /// Whether each detector hit its result budget.
    #[getter]
    fn truncated(&self) -> BTreeMap<String, bool> {
        self.analysis.truncated.clone()
    }

    /// Seconds each detector took.
    #[getter]
    fn seconds(&self) -> BTreeMap<String, f64> {
        self.analysis.seconds.clone()
    }

    /// The reporting currency.
    #[getter]
    fn currency(&self) -> String {
        self.config.currency.clone()
    }

    /// The configuration used, as JSON.
    fn config_json(&self) -> PyResult<String> {
        json(&self.config)
    }

    /// Write the results folder of `analyze --out` (findings.json and .csv,
    /// accounts.csv, run.json, and report.html unless `html` is false;
    /// Parquet twins with `parquet`). Returns the files written.
    #[pyo3(signature = (dir, *, html = true, parquet = false))]
    fn write(
        &self,
        py: Python<'_>,
        dir: PathBuf,
        html: bool,
        parquet: bool,
    ) -> PyResult<Vec<String>> {
        py.detach(|| {
            let data = self.books.valued(&self.config.currency)?;
            let options = OutputOptions {
                html,
                parquet,
                ..OutputOptions::default()
            };
            let (_, written) = report::write_analysis(
                &dir,
                &data,
                &self.analysis,
                &self.config,
                &AnalysisRun {
                    load: &self.books.report,
                    seconds_load: self.books.seconds_load,
                    model: None,
                },
                &options,
            )
            .map_err(to_py)?;
            Ok(written.iter().map(|w| w.to_string()).collect())
        })
    }

    /// One finding drawn as SVG (its accounts and transfers), by position.
    #[pyo3(signature = (index, max_arrows = 60))]
    fn finding_svg(&self, py: Python<'_>, index: usize, max_arrows: usize) -> PyResult<String> {
        let finding = self.analysis.findings.get(index).ok_or_else(|| {
            argument(format!(
                "no finding {index}: there are {}",
                self.records.len()
            ))
        })?;
        py.detach(|| {
            let data = self.books.valued(&self.config.currency)?;
            let picture = Picture::of_finding(&data, finding, &self.records[index], max_arrows);
            Ok(report::svg::picture_svg(&picture))
        })
    }

    fn __len__(&self) -> usize {
        self.records.len()
    }
}
