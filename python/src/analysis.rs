//! `Transfers.analyze`: every detector (or the chosen ones) with the
//! configuration keys of `--config`, in memory or in time shards, and the
//! results folder `analyze --out` writes.

use crate::books::{duration, output_options, Books, Transfers};
use crate::errors::{argument, to_py};
use crate::records::json;
use crate::table::Table;
use moneytrail::detect::{self, DetectConfig};
use moneytrail::ingest::read_truth;
use moneytrail::learn::{Level, Model};
use moneytrail::report::{
    self, AccountScores, AnalysisRun, FindingRecord, Picture, TransferScores,
};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// The findings of one run, with the configuration that made them.
#[pyclass(frozen, module = "moneytrail._native")]
pub(crate) struct Analysis {
    pub(crate) books: Arc<Books>,
    pub(crate) config: DetectConfig,
    pub(crate) analysis: detect::Analysis,
    records: Vec<FindingRecord>,
    /// The learned model's scores, when the run had a transfer-level model.
    scores: Option<TransferScores>,
    /// The learned model's scores, when the run had an account-level model.
    account_scores: Option<AccountScores>,
}

#[pymethods]
impl Transfers {
    /// Run the detectors. `config` is JSON with the keys of `--config`
    /// (any left out keep their defaults); `shard` a duration such as
    /// `7d` to run in time shards (same findings); `model` a folder written
    /// by `train`, to score every transfer (or, for an account-level model,
    /// every account) as `analyze --model` does.
    #[pyo3(signature = (config = None, shard = None, model = None))]
    fn analyze(
        &self,
        py: Python<'_>,
        config: Option<&str>,
        shard: Option<&str>,
        model: Option<PathBuf>,
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
            let model = match &model {
                Some(dir) => Some((dir, Model::load(dir).map_err(to_py)?)),
                None => None,
            };
            let data = books.valued(&config.currency)?;
            let analysis = match shard {
                Some(length) => detect::analyze_sharded(&data, &config, length, |_| {}),
                None => detect::analyze(&data, &config, |_| {}),
            };
            let mut warnings = Vec::new();
            let (mut scores, mut account_scores) = (None, None);
            if let Some((dir, model)) = &model {
                let made = (&config, analysis.findings.as_slice());
                let name = dir.display().to_string();
                if model.spec.level == Level::Account {
                    let computed = AccountScores::compute(model, &name, &data, made);
                    account_scores = Some(computed.map_err(to_py)?);
                } else {
                    let (computed, said) =
                        TransferScores::compute(model, &name, &data, made).map_err(to_py)?;
                    warnings = said;
                    scores = Some(computed);
                }
            }
            let records = FindingRecord::all(&analysis.findings, &data);
            let mut analysis = analysis;
            analysis.warnings.extend(warnings);
            drop(data);
            Ok(Analysis {
                books,
                config,
                analysis,
                records,
                scores,
                account_scores,
            })
        })
    }
}

/// Findings as a table of the fields of `findings.json` (accounts, rows
/// and transaction ids as lists): `Analysis.findings` and, with
/// findings.csv's columns picked from it, `moneytrail.spark`'s.
pub(crate) fn findings_table(r: &[FindingRecord]) -> Table {
    let texts = |f: fn(&FindingRecord) -> &str| r.iter().map(|x| Some(f(x))).collect();
    Table::new(r.len())
        .texts("id", texts(|x| &x.id))
        .texts("typology", texts(|x| &x.typology))
        .f64s("score", r.iter().map(|x| x.score).collect())
        .text_lists("accounts", r.iter().map(|x| x.accounts.clone()).collect())
        .u32_lists("rows", r.iter().map(|x| x.rows.clone()).collect())
        .text_lists("tx_ids", r.iter().map(|x| x.tx_ids.clone()).collect())
        .texts(
            "amount",
            r.iter().map(|x| Some(x.amount.to_string())).collect(),
        )
        .texts("currency", texts(|x| &x.currency))
        .texts("first_time", texts(|x| &x.first_time))
        .texts("last_time", texts(|x| &x.last_time))
        .texts("explanation", texts(|x| &x.explanation))
}

#[pymethods]
impl Analysis {
    /// The findings as a table of the fields of `findings.json`.
    fn findings_parquet(&self, py: Python<'_>) -> PyResult<Py<PyBytes>> {
        findings_table(&self.records).parquet(py)
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
            let options = output_options(html, parquet);
            let (_, written) = report::write_analysis(
                &dir,
                &data,
                &self.analysis,
                &self.config,
                &AnalysisRun {
                    load: &self.books.report,
                    seconds_load: self.books.seconds_load,
                    model: self.scores.as_ref(),
                    account_model: self.account_scores.as_ref(),
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

    /// Every transfer's model score in input row order (`None` without a
    /// model): row, score, flagged at the model's threshold, and for
    /// flagged transfers the features that raised the score most, in words.
    fn transfer_scores_parquet(&self, py: Python<'_>) -> PyResult<Option<Py<PyBytes>>> {
        let Some(scores) = &self.scores else {
            return Ok(None);
        };
        let l = self.books.graph.ledger();
        let mut reasons: Vec<Vec<String>> = vec![Vec::new(); l.len()];
        for (t, why) in &scores.reasons {
            reasons[t.index()] = why.iter().map(|r| r.words.clone()).collect();
        }
        let mut order: Vec<usize> = (0..l.len()).collect();
        order.sort_by_key(|&x| (l.source_rows()[x], x));
        let table = Table::new(order.len())
            .u32s("row", order.iter().map(|&x| l.source_rows()[x]).collect())
            .f64s("score", order.iter().map(|&x| scores.score[x]).collect())
            .bools(
                "flagged",
                order.iter().map(|&x| scores.flagged[x]).collect(),
            )
            .text_lists(
                "reasons",
                order
                    .iter()
                    .map(|&x| std::mem::take(&mut reasons[x]))
                    .collect(),
            );
        table.parquet(py).map(Some)
    }

    /// Every scored account's model score (`None` without an account-level
    /// model), as account_scores.csv: highest score first (ties by key),
    /// with the account key, score, flagged at the model's threshold, and
    /// for flagged accounts the features that raised the score most, in
    /// words.
    fn account_scores_parquet(&self, py: Python<'_>) -> PyResult<Option<Py<PyBytes>>> {
        let Some(scores) = &self.account_scores else {
            return Ok(None);
        };
        let l = self.books.graph.ledger();
        let key = |r: usize| l.account(scores.accounts[r]).key.as_str();
        let mut order: Vec<usize> = (0..scores.accounts.len()).collect();
        order.sort_by(|&a, &b| {
            scores.score[b]
                .total_cmp(&scores.score[a])
                .then_with(|| key(a).cmp(key(b)))
        });
        let mut reasons: Vec<Vec<String>> = vec![Vec::new(); scores.accounts.len()];
        for (r, why) in &scores.reasons {
            reasons[*r] = why.iter().map(|x| x.words.clone()).collect();
        }
        let table = Table::new(order.len())
            .texts("account", order.iter().map(|&r| Some(key(r))).collect())
            .f64s("score", order.iter().map(|&r| scores.score[r]).collect())
            .bools(
                "flagged",
                order.iter().map(|&r| scores.flagged[r]).collect(),
            )
            .text_lists(
                "reasons",
                order
                    .iter()
                    .map(|&r| std::mem::take(&mut reasons[r]))
                    .collect(),
            );
        table.parquet(py).map(Some)
    }

    /// Grade the findings against an answer key (truth.json, or an
    /// AMLworld patterns file matched by content against the input): the
    /// scorecard as `moneytrail score --json` prints it. `typologies`
    /// limits which findings count; `min_score` drops weaker ones.
    #[pyo3(signature = (truth, *, typologies = Vec::new(), min_score = 0.0))]
    fn score_json(
        &self,
        py: Python<'_>,
        truth: PathBuf,
        typologies: Vec<String>,
        min_score: f64,
    ) -> PyResult<String> {
        py.detach(|| {
            let key = read_truth(&truth, Some(&self.books.report.path)).map_err(to_py)?;
            let card = moneytrail::score::grade(&self.records, &key, &typologies, min_score);
            json(&card)
        })
    }

    fn __len__(&self) -> usize {
        self.records.len()
    }
}
