//! `moneytrail.spark`'s Rust side. A Spark DataFrame of transfers runs
//! as a sharded analysis ([`moneytrail::detect::PartPlan`]) in four
//! steps, each one call here:
//!
//! 1. in the executors, [`spark_normalize`]: a slice of the frame's rows,
//!    loaded as `load` reads a file, as rows of one canonical table (keys,
//!    amounts as decimal text, times in microseconds, what the slice knows
//!    of each account and asset);
//! 2. on the driver, [`SparkPlan::new`]: from every row's narrow part
//!    (time, accounts, assets, and amounts only where a transfer converts
//!    one asset into another), the whole data's account and asset
//!    dictionaries, its transfer ids (time order, ties in row order: as a
//!    single-machine load numbers them), the FX table, the shards and
//!    account parts, and which parts read each row;
//! 3. in the executors, [`SparkPlan::run`]: one part, on the canonical
//!    rows it reads, in a ledger with every account under its id of the
//!    whole data;
//! 4. on the driver, [`SparkPlan::combine`]: every part's result and the
//!    rows their findings name, put together into findings.csv's columns.
//!
//! Rows are numbered by the frame's order (`monotonically_increasing_id`,
//! ranked): the 0-based data rows of a file Spark read in one piece.

use crate::books::duration;
use crate::errors::{argument, to_py};
use crate::table::Table;
use moneytrail::detect::{DetectConfig, Facts, PartPlan, PartResult};
use moneytrail::features::{rule_features, shard_features, FeatureOptions};
use moneytrail::fx::FxTable;
use moneytrail::ingest::{self, Format, LoadOptions};
use moneytrail::report::FindingRecord;
use moneytrail::time::Span;
use moneytrail::{
    Account, AccountKind, Asset, Channel, FlowGraph, Ledger, LedgerBuilder, NewTransfer,
    TransferId, Valued,
};
use polars::prelude::*;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// Load one slice of a frame, written to `path` in a layout moneytrail
/// reads, and return its transfers as the canonical table (Parquet
/// bytes), one row per transfer with `source_row` its 0-based row in the
/// file.
#[pyfunction]
#[pyo3(signature = (path, *, format = "auto", asset = None))]
pub(crate) fn spark_normalize(
    py: Python<'_>,
    path: PathBuf,
    format: &str,
    asset: Option<String>,
) -> PyResult<Py<PyBytes>> {
    let format: Format = format.parse().map_err(to_py)?;
    let mut options = LoadOptions {
        format,
        ..LoadOptions::default()
    };
    if let Some(asset) = asset {
        options.default_asset = asset;
    }
    let loaded = py.detach(|| ingest::load(&path, &options)).map_err(to_py)?;
    canonical(&loaded.ledger).parquet(py)
}

/// A ledger's transfers as the canonical table.
fn canonical(l: &Ledger) -> Table {
    let n = l.len();
    let account = |ids: &[moneytrail::AccountId], f: fn(&Account) -> Option<String>| {
        ids.iter().map(|&a| f(l.account(a))).collect::<Vec<_>>()
    };
    let asset = |ids: &[moneytrail::AssetId]| {
        ids.iter()
            .map(|&a| Some(l.asset(a).code.clone()))
            .collect::<Vec<_>>()
    };
    let decimals = |ids: &[moneytrail::AssetId]| ids.iter().map(|&a| l.asset(a).decimals).collect();
    let virtual_ =
        |ids: &[moneytrail::AssetId]| ids.iter().map(|&a| l.asset(a).virtual_currency).collect();
    let texts = |c: Option<&moneytrail::TextColumn>| {
        (0..n)
            .map(|i| c.and_then(|c| c.get(i)).map(str::to_string))
            .collect::<Vec<_>>()
    };
    let chains = (0..n)
        .map(|i| l.chain(TransferId(i as u32)).map(str::to_string))
        .collect::<Vec<_>>();
    let amounts = |a: &[Decimal]| a.iter().map(|d| Some(d.to_string())).collect::<Vec<_>>();
    let (froms, tos) = (l.froms(), l.tos());
    let (paid, received) = (l.assets_paid(), l.assets_received());
    let key = |a: &Account| Some(a.key.clone());
    let institution = |a: &Account| a.institution.clone();
    let jurisdiction = |a: &Account| a.jurisdiction.clone();
    let kind = |a: &Account| Some(a.kind.name().to_string());
    Table::new(n)
        .u32s("source_row", l.source_rows().to_vec())
        .i64s("time_us", l.times_us().to_vec())
        .texts("from", account(froms, key))
        .texts("to", account(tos, key))
        .texts("amount_paid", amounts(l.amounts_paid()))
        .texts("asset_paid", asset(paid))
        .texts("amount_received", amounts(l.amounts_received()))
        .texts("asset_received", asset(received))
        .texts(
            "channel",
            l.channels()
                .iter()
                .map(|c| Some(c.name()))
                .collect::<Vec<_>>(),
        )
        .texts("tx_id", texts(l.tx_ids()))
        .texts("tx_hash", texts(l.tx_hashes()))
        .texts("chain", chains)
        .texts("from_institution", account(froms, institution))
        .texts("from_jurisdiction", account(froms, jurisdiction))
        .texts("from_kind", account(froms, kind))
        .texts("to_institution", account(tos, institution))
        .texts("to_jurisdiction", account(tos, jurisdiction))
        .texts("to_kind", account(tos, kind))
        .u32s("paid_decimals", decimals(paid))
        .u32s("received_decimals", decimals(received))
        .bools("paid_virtual", virtual_(paid))
        .bools("received_virtual", virtual_(received))
}

/// What every executor is sent: the plan and the whole data's
/// dictionaries.
#[derive(Serialize, Deserialize)]
struct Shipped {
    plan: PartPlan,
    accounts: Vec<Account>,
    assets: Vec<Asset>,
    /// The time shards of the feature columns, when features are asked for.
    features: Option<FeaturePlan>,
}

/// How `moneytrail.spark.features` computes the graph columns: its
/// options and its time shards (each reading what the columns look at
/// around the transfers it owns).
#[derive(Serialize, Deserialize)]
struct FeaturePlan {
    window_us: i64,
    /// The time of the first transfer (for `history_reach`).
    start_us: i64,
    cycle_hops: usize,
    scatter_gather: bool,
    history_us: Option<i64>,
    shards: Vec<moneytrail::detect::Shard>,
}

impl FeaturePlan {
    fn options(&self) -> FeatureOptions {
        FeatureOptions {
            window: Span(self.window_us),
            rules: None,
            cycle_hops: self.cycle_hops,
            scatter_gather: self.scatter_gather,
            history: self.history_us.map(Span),
        }
    }
}

/// The feature options `spark.features` asks for (JSON).
#[derive(Deserialize)]
struct FeatureAsk {
    window: String,
    cycle_hops: usize,
    scatter_gather: bool,
    /// The history window, or none.
    history: Option<String>,
}

/// A sharded analysis of a Spark DataFrame: on the driver, with each
/// transfer id's row key (`mono`); in an executor, what it was sent.
#[pyclass(frozen, module = "moneytrail._native")]
pub(crate) struct SparkPlan {
    shipped: Arc<Shipped>,
    config: DetectConfig,
    /// The row key (`mono`) of each transfer id (the driver's only).
    mono_of_id: Vec<i64>,
    /// The 0-based row of each transfer id (the driver's only).
    row_of_id: Vec<u32>,
    /// How many rows the parts read in all (the driver's only).
    reads: usize,
    /// Which parts read each row: `(mono, id, row, parts)` (the driver's
    /// only, taken once).
    assignments: std::sync::Mutex<Option<Table>>,
}

#[pymethods]
impl SparkPlan {
    /// Plan the analysis (`config` as JSON with the keys of `--config`,
    /// shards of `shard`, the rates of the FX file `fx` completed by those
    /// the data implies) of the rows whose narrow table `glance` holds
    /// (Parquet bytes; see `moneytrail/spark.py`).
    #[new]
    ///
    /// With `features` (JSON: `window`, `cycle_hops`, `scatter_gather`,
    /// `history`),
    /// also the time shards of the feature columns, and each row's in the
    /// assignments' column `feature_shards`.
    #[pyo3(signature = (glance, *, config = None, shard = "7d", fx = None, account_parts = None,
        features = None))]
    fn new(
        py: Python<'_>,
        glance: &[u8],
        config: Option<&str>,
        shard: &str,
        fx: Option<PathBuf>,
        account_parts: Option<usize>,
        features: Option<&str>,
    ) -> PyResult<Self> {
        let config = parse_config(config)?;
        let length = duration(shard, "shard")?;
        if length <= 0 {
            return Err(argument("shard: the length must be positive"));
        }
        let features = match features {
            Some(text) => {
                let ask: FeatureAsk =
                    serde_json::from_str(text).map_err(|e| argument(format!("features: {e}")))?;
                let window = duration(&ask.window, "window")?;
                if window < 0 {
                    return Err(argument("window: the length must not be negative"));
                }
                let history_us = match &ask.history {
                    Some(text) => Some(duration(text, "history")?),
                    None => None,
                };
                if history_us.is_some_and(|h| h < 0) {
                    return Err(argument("history: the length must not be negative"));
                }
                Some(FeaturePlan {
                    window_us: window,
                    start_us: 0,
                    history_us,
                    cycle_hops: ask.cycle_hops,
                    scatter_gather: ask.scatter_gather,
                    shards: Vec::new(),
                })
            }
            None => None,
        };
        let currency = config.currency.to_ascii_uppercase();
        let given = match &fx {
            Some(path) => Some(ingest::read_fx(path, &currency).map_err(to_py)?),
            None => None,
        };
        py.detach(|| {
            plan(
                glance,
                config,
                length,
                given.as_ref(),
                account_parts,
                features,
            )
        })
    }

    /// The plan as an executor receives it (JSON bytes).
    fn shipped(&self, py: Python<'_>) -> PyResult<Py<PyBytes>> {
        let bytes = serde_json::to_vec(&*self.shipped).map_err(|e| argument(e.to_string()))?;
        Ok(PyBytes::new(py, &bytes).unbind())
    }

    /// The plan an executor was sent.
    #[staticmethod]
    #[pyo3(signature = (shipped, *, config = None))]
    fn received(py: Python<'_>, shipped: Vec<u8>, config: Option<&str>) -> PyResult<SparkPlan> {
        let config = parse_config(config)?;
        let shipped: Shipped = py
            .detach(|| serde_json::from_slice(&shipped))
            .map_err(|e| argument(format!("not a shipped plan: {e}")))?;
        Ok(SparkPlan {
            shipped: Arc::new(shipped),
            config,
            mono_of_id: Vec::new(),
            row_of_id: Vec::new(),
            reads: 0,
            assignments: std::sync::Mutex::new(None),
        })
    }

    /// How many parts.
    #[getter]
    fn parts(&self) -> usize {
        self.shipped.plan.parts()
    }

    /// Transfers of the whole data.
    #[getter]
    fn transfers(&self) -> usize {
        self.shipped.plan.transfers()
    }

    /// Accounts of the whole data.
    #[getter]
    fn accounts(&self) -> usize {
        self.shipped.accounts.len()
    }

    /// How many rows the parts read in all (each row once per part that
    /// reads it; the driver's plan only).
    #[getter]
    fn reads(&self) -> usize {
        self.reads
    }

    /// Which parts read each row, as Parquet bytes with the columns
    /// `mono`, `id`, `row` and `parts` (a list; taken once: a second call
    /// is an error).
    fn take_assignments(&self, py: Python<'_>) -> PyResult<Py<PyBytes>> {
        let table = self
            .assignments
            .lock()
            .map_err(|_| argument("the plan's assignments are poisoned"))?
            .take()
            .ok_or_else(|| argument("the assignments were taken already"))?;
        table.parquet(py)
    }

    /// Run part `part` on its canonical rows (Parquet bytes with `id` and
    /// `row`); returns its result as JSON.
    fn run(&self, py: Python<'_>, part: usize, rows: &[u8]) -> PyResult<String> {
        if part >= self.shipped.plan.parts() {
            return Err(argument(format!(
                "part {part}: the plan has {}",
                self.shipped.plan.parts()
            )));
        }
        py.detach(|| {
            let (ledger, ids) = part_ledger(&self.shipped, rows)?;
            Ok(self
                .shipped
                .plan
                .run(&self.config, part, ledger, &ids)
                .to_json())
        })
    }

    /// The transfers the parts' findings name, as Parquet bytes with
    /// the columns `mono`, `id` and `row`.
    fn named(&self, py: Python<'_>, results: Vec<String>) -> PyResult<Py<PyBytes>> {
        if self.mono_of_id.len() != self.shipped.plan.transfers() {
            return Err(argument("only the driver's plan knows the rows"));
        }
        let ids = py.detach(|| -> PyResult<Vec<u32>> {
            Ok(self.shipped.plan.named(&parse_results(&results)?))
        })?;
        Table::new(ids.len())
            .i64s(
                "mono",
                ids.iter().map(|&i| self.mono_of_id[i as usize]).collect(),
            )
            .u32s(
                "row",
                ids.iter().map(|&i| self.row_of_id[i as usize]).collect(),
            )
            .u32s("id", ids)
            .parquet(py)
    }

    /// Put the parts' results together with the canonical rows of the
    /// transfers they name (Parquet bytes with `id` and `row`): the
    /// findings as `Analysis.findings_parquet` gives them (Parquet bytes) and a summary (JSON: per-detector truncation and
    /// seconds, warnings).
    fn combine(
        &self,
        py: Python<'_>,
        results: Vec<String>,
        named: Vec<u8>,
    ) -> PyResult<(Py<PyBytes>, String)> {
        let (table, summary) = py.detach(|| -> PyResult<(Table, String)> {
            let (mut analysis, ledger, ids) = self.combined(results, &named)?;
            for f in &mut analysis.findings {
                for t in &mut f.transfers {
                    *t = TransferId(ids.partition_point(|&x| x < t.0) as u32);
                }
            }
            let plan = &self.shipped.plan;
            let graph = FlowGraph::new(ledger);
            let data = Valued::new(&graph, plan.fx().clone());
            let records = FindingRecord::all(&analysis.findings, &data);
            Ok((
                crate::analysis::findings_table(&records),
                summary(&analysis, plan.parts()),
            ))
        })?;
        Ok((table.parquet(py)?, summary))
    }

    /// The rule columns of `moneytrail features` from the parts' results
    /// (as [`combine`](Self::combine) takes them): Parquet bytes with
    /// `row` and the rule columns, one row per transfer some finding
    /// holds (the others' are zeros), and the summary.
    fn rule_table(
        &self,
        py: Python<'_>,
        results: Vec<String>,
        named: Vec<u8>,
    ) -> PyResult<(Py<PyBytes>, String)> {
        if self.row_of_id.len() != self.shipped.plan.transfers() {
            return Err(argument("only the driver's plan knows the rows"));
        }
        let (table, summary) = py.detach(|| -> PyResult<(Table, String)> {
            let (mut analysis, _, _) = self.combined(results, &named)?;
            let mut held: Vec<u32> = analysis
                .findings
                .iter()
                .flat_map(|f| f.transfers.iter().map(|t| t.0))
                .collect();
            held.sort_unstable();
            held.dedup();
            for f in &mut analysis.findings {
                for t in &mut f.transfers {
                    *t = TransferId(held.partition_point(|&x| x < t.0) as u32);
                }
            }
            let columns = rule_features(&analysis.findings, held.len());
            let rows = held.iter().map(|&i| self.row_of_id[i as usize]).collect();
            let mut table = Table::new(held.len()).u32s("row", rows);
            for (name, values) in columns.names.iter().zip(columns.values) {
                table = table.f64s(name, values);
            }
            Ok((table, summary(&analysis, self.shipped.plan.parts())))
        })?;
        Ok((table.parquet(py)?, summary))
    }

    /// The feature columns of feature shard `shard` from its canonical
    /// rows (Parquet bytes with `id` and `row`): Parquet bytes with `row`,
    /// the numeric columns, the text columns and `_warnings` (see
    /// `feature_table`), one row per transfer the shard owns.
    fn features(&self, py: Python<'_>, shard: usize, rows: &[u8]) -> PyResult<Py<PyBytes>> {
        let plan = self.feature_plan()?;
        let owned = plan
            .shards
            .get(shard)
            .ok_or_else(|| {
                argument(format!(
                    "feature shard {shard}: the plan has {}",
                    plan.shards.len()
                ))
            })?
            .owned;
        let table = py.detach(|| -> PyResult<Table> {
            let (ledger, ids) = part_ledger(&self.shipped, rows)?;
            let at = |id: usize| ids.partition_point(|&x| (x as usize) < id);
            let graph = FlowGraph::new(ledger);
            let data = Valued::new(&graph, self.shipped.plan.fx().clone());
            let f = shard_features(
                &data,
                &plan.options(),
                at(owned.0)..at(owned.1),
                plan.start_us,
            );
            Ok(feature_table(f))
        })?;
        table.parquet(py)
    }

    /// The names of the feature columns the executors return: the numeric
    /// ones, then the text ones (the rule columns come from
    /// [`rule_table`](Self::rule_table)).
    fn feature_names(&self) -> PyResult<(Vec<String>, Vec<String>)> {
        let plan = self.feature_plan()?;
        let empty = LedgerBuilder::with_dictionary(&self.shipped.accounts, &self.shipped.assets)
            .and_then(LedgerBuilder::finish)
            .map_err(to_py)?;
        let graph = FlowGraph::new(empty);
        let data = Valued::new(&graph, self.shipped.plan.fx().clone());
        let f = shard_features(&data, &plan.options(), 0..0, plan.start_us);
        Ok((
            f.numbers.names,
            f.texts.into_iter().map(|t| t.name).collect(),
        ))
    }

    /// The rule columns' names, in order.
    #[staticmethod]
    fn rule_names() -> Vec<String> {
        moneytrail::features::rule_names()
    }
}

impl SparkPlan {
    fn feature_plan(&self) -> PyResult<&FeaturePlan> {
        self.shipped
            .features
            .as_ref()
            .ok_or_else(|| argument("the plan was made without features"))
    }

    /// The parts' results put together with the canonical rows of the
    /// transfers they name: the analysis (findings name whole-data ids),
    /// and those rows' ledger with their ids.
    fn combined(
        &self,
        results: Vec<String>,
        named: &[u8],
    ) -> PyResult<(moneytrail::detect::Analysis, Ledger, Vec<u32>)> {
        let results = parse_results(&results)?;
        let (ledger, ids) = part_ledger(&self.shipped, named)?;
        let analysis = self
            .shipped
            .plan
            .combine(&self.config, results, ledger.clone(), &ids);
        Ok((analysis, ledger, ids))
    }
}

/// The summary a combined analysis gives Python (JSON).
fn summary(analysis: &moneytrail::detect::Analysis, parts: usize) -> String {
    serde_json::json!({
        "findings": analysis.findings.len(),
        "parts": parts,
        "truncated": analysis.truncated,
        "seconds_per_detector": analysis.seconds,
        "warnings": analysis.warnings,
    })
    .to_string()
}

/// One feature shard's columns as a table: `row`, numbers, texts, and
/// `_warnings`: what limits the shard's columns (a budget a search hit),
/// one line each, on the first row only.
fn feature_table(f: moneytrail::features::TransferFeatures) -> Table {
    let height = f.rows.len();
    let mut table = Table::new(height).u32s("row", f.rows);
    for (name, values) in f.numbers.names.iter().zip(f.numbers.values) {
        table = table.f64s(name, values);
    }
    for text in &f.texts {
        let values = (0..text.codes.len()).map(|i| Some(text.get(i))).collect();
        table = table.texts(&text.name, values);
    }
    let mut warnings: Vec<Option<String>> = vec![None; height];
    if let Some(first) = warnings.first_mut() {
        *first = (!f.warnings.is_empty()).then(|| f.warnings.join("\n"));
    }
    table.texts("_warnings", warnings)
}

fn parse_config(config: Option<&str>) -> PyResult<DetectConfig> {
    match config {
        Some(text) => DetectConfig::from_json(text).map_err(to_py),
        None => Ok(DetectConfig::default()),
    }
}

fn parse_results(results: &[String]) -> PyResult<Vec<PartResult>> {
    results
        .iter()
        .map(|r| PartResult::from_json(r).map_err(to_py))
        .collect()
}

/// A Parquet table in memory, its columns looked up by name with errors
/// that say which is missing or mistyped.
struct Columns(DataFrame);

impl Columns {
    fn read(bytes: &[u8]) -> PyResult<Columns> {
        ParquetReader::new(std::io::Cursor::new(bytes))
            .finish()
            .map(Columns)
            .map_err(|e| argument(format!("cannot read a table of rows: {e}")))
    }

    fn len(&self) -> usize {
        self.0.height()
    }

    fn column(&self, name: &str) -> PyResult<&Column> {
        self.0
            .column(name)
            .map_err(|_| argument(format!("the table of rows has no column {name}")))
    }

    fn i64s(&self, name: &str) -> PyResult<Vec<i64>> {
        let c = self
            .column(name)?
            .cast(&DataType::Int64)
            .map_err(|e| typed(name, e))?;
        let c = c.i64().map_err(|e| typed(name, e))?;
        c.iter()
            .map(|v| v.ok_or_else(|| argument(format!("column {name} has a null"))))
            .collect()
    }

    fn u32s(&self, name: &str) -> PyResult<Vec<u32>> {
        self.i64s(name)?
            .into_iter()
            .map(|v| {
                u32::try_from(v)
                    .map_err(|_| argument(format!("column {name}: {v} is out of range")))
            })
            .collect()
    }

    fn bools(&self, name: &str) -> PyResult<Vec<bool>> {
        let column = self.column(name)?;
        if column.dtype() == &DataType::Null {
            return Ok(vec![false; column.len()]);
        }
        let c = column.bool().map_err(|e| typed(name, e))?;
        Ok(c.iter().map(|v| v.unwrap_or(false)).collect())
    }

    /// A text column in one chunk, its values read in place.
    fn strs(&self, name: &str) -> PyResult<StringChunked> {
        let column = self.column(name)?;
        if column.dtype() == &DataType::Null {
            return Ok(StringChunked::full_null(name.into(), column.len()));
        }
        let c = column.str().map_err(|e| typed(name, e))?;
        Ok(c.rechunk().into_owned())
    }
}

fn typed(name: &str, e: PolarsError) -> PyErr {
    argument(format!("column {name}: {e}"))
}

/// Which column of the canonical table an error is about, and the row.
fn bad_row(row: u32, column: &str, what: impl std::fmt::Display) -> PyErr {
    argument(format!("row {row}, column {column}: {what}"))
}

fn amount(text: Option<&str>, row: u32, column: &str) -> PyResult<Decimal> {
    let text = text.ok_or_else(|| bad_row(row, column, "no amount"))?;
    text.parse()
        .map_err(|e| bad_row(row, column, format!("{text:?} is not an amount: {e}")))
}

/// The whole data's dictionaries, built in row order as a single-machine
/// load fills them: an account's institution and jurisdiction are the
/// first given, its kind the last given; an asset is virtual when any
/// slice says so and shows the most decimals any slice shows it with.
#[derive(Default)]
struct Dictionary {
    accounts: Vec<Account>,
    account_index: HashMap<String, u32>,
    assets: Vec<Asset>,
    asset_index: HashMap<String, u16>,
}

impl Dictionary {
    fn account(
        &mut self,
        key: &str,
        institution: Option<&str>,
        jurisdiction: Option<&str>,
        kind: Option<&str>,
    ) -> u32 {
        let id = match self.account_index.get(key) {
            Some(&id) => id,
            None => {
                let id = self.accounts.len() as u32;
                self.accounts.push(Account::new(key));
                self.account_index.insert(key.to_string(), id);
                id
            }
        };
        let a = &mut self.accounts[id as usize];
        if a.institution.is_none() {
            a.institution = institution.map(str::to_string);
        }
        if a.jurisdiction.is_none() {
            a.jurisdiction = jurisdiction.map(str::to_string);
        }
        if let Some(kind) = kind.and_then(AccountKind::parse) {
            if kind != AccountKind::BankAccount {
                a.kind = kind;
            }
        }
        id
    }

    fn asset(&mut self, code: &str, decimals: u32, virtual_: bool) -> PyResult<u16> {
        let id = match self.asset_index.get(code) {
            Some(&id) => id,
            None => {
                let id = u16::try_from(self.assets.len())
                    .map_err(|_| argument("more than 65,536 distinct assets"))?;
                let mut asset = Asset::from_code(code);
                asset.decimals = 0;
                self.assets.push(asset);
                self.asset_index.insert(code.to_string(), id);
                id
            }
        };
        let a = &mut self.assets[usize::from(id)];
        a.decimals = a.decimals.max(decimals);
        a.virtual_currency |= virtual_;
        Ok(id)
    }
}

/// Step 2: the plan of the rows `glance` describes.
fn plan(
    glance: &[u8],
    config: DetectConfig,
    length: i64,
    fx: Option<&FxTable>,
    account_parts: Option<usize>,
    mut features: Option<FeaturePlan>,
) -> PyResult<SparkPlan> {
    let g = Columns::read(glance)?;
    let monos = g.i64s("mono")?;
    let mut order: Vec<u32> = (0..g.len() as u32).collect();
    order.sort_unstable_by_key(|&i| monos[i as usize]);
    if order
        .windows(2)
        .any(|w| monos[w[0] as usize] == monos[w[1] as usize])
    {
        return Err(argument("two rows have one row key (mono)"));
    }
    let times = g.i64s("time_us")?;
    // text columns read in place (no string per value: the driver holds
    // every transfer's columns)
    let (from, to) = (g.strs("from")?, g.strs("to")?);
    let side = |s: &str| -> PyResult<[StringChunked; 3]> {
        Ok([
            g.strs(&format!("{s}_institution"))?,
            g.strs(&format!("{s}_jurisdiction"))?,
            g.strs(&format!("{s}_kind"))?,
        ])
    };
    let (from_side, to_side) = (side("from")?, side("to")?);
    let (asset_paid, asset_received) = (g.strs("asset_paid")?, g.strs("asset_received")?);
    let (paid_decimals, received_decimals) =
        (g.u32s("paid_decimals")?, g.u32s("received_decimals")?);
    let (paid_virtual, received_virtual) = (g.bools("paid_virtual")?, g.bools("received_virtual")?);
    let (amount_paid, amount_received) = (g.strs("amount_paid")?, g.strs("amount_received")?);
    let text = |c: &StringChunked, i: usize, row: u32, name: &str| -> PyResult<String> {
        c.get(i)
            .map(str::to_string)
            .ok_or_else(|| bad_row(row, name, "empty"))
    };
    // the dictionaries, in row order
    let mut dictionary = Dictionary::default();
    let mut sides = Vec::with_capacity(order.len());
    for (row, &i) in order.iter().enumerate() {
        let (i, row) = (i as usize, row as u32);
        let mut ids = [0u32; 2];
        for (k, (keys, attrs)) in [(&from, &from_side), (&to, &to_side)]
            .into_iter()
            .enumerate()
        {
            let key = text(keys, i, row, ["from", "to"][k])?;
            ids[k] = dictionary.account(&key, attrs[0].get(i), attrs[1].get(i), attrs[2].get(i));
        }
        let paid = text(&asset_paid, i, row, "asset_paid")?;
        let received = text(&asset_received, i, row, "asset_received")?;
        let a = dictionary.asset(&paid, paid_decimals[i], paid_virtual[i])?;
        let b = dictionary.asset(&received, received_decimals[i], received_virtual[i])?;
        sides.push((ids, a, b));
    }
    // the skeleton: every transfer's time, accounts and assets, amounts
    // only where it converts (all the FX table is made from)
    let mut b =
        LedgerBuilder::with_dictionary(&dictionary.accounts, &dictionary.assets).map_err(to_py)?;
    b.reserve(order.len());
    for (row, (&i, &(ids, a, c))) in order.iter().zip(&sides).enumerate() {
        let (i, row) = (i as usize, row as u32);
        let (paid, received) = if a == c {
            (Decimal::ZERO, Decimal::ZERO)
        } else {
            (
                amount(amount_paid.get(i), row, "amount_paid")?,
                amount(amount_received.get(i), row, "amount_received")?,
            )
        };
        let mut t = NewTransfer::simple(
            times[i],
            moneytrail::AccountId(ids[0]),
            moneytrail::AccountId(ids[1]),
            paid,
            moneytrail::AssetId(a),
            row,
        );
        t.asset_received = moneytrail::AssetId(c);
        t.amount_received = received;
        b.push(t);
    }
    drop(g);
    let skeleton = b.finish().map_err(to_py)?;
    let rows = skeleton.source_rows().to_vec();
    let graph = FlowGraph::new(skeleton);
    // the CLI's one FX rule: the given rates completed by the implied
    let rates = match fx {
        Some(given) => FxTable::implied_with(graph.ledger(), given),
        None => FxTable::implied(graph.ledger(), &config.currency.to_ascii_uppercase()),
    };
    let data = Valued::new(&graph, rates);
    let facts = Facts::of(&data);
    if let Some(f) = &mut features {
        let (before, after) = f.options().reach_us();
        f.shards = moneytrail::detect::shards(graph.ledger().times_us(), length, before, after);
        f.start_us = graph.ledger().times_us().first().copied().unwrap_or(0);
    }
    drop(data);
    drop(graph);
    // one reading per account part: Spark shuffles every row a part
    // reads, and the scopes overlap (most of the data on dense sets)
    let mut plan = PartPlan::new(&facts, &config, length).with_merged_scopes();
    if let Some(n) = account_parts {
        plan = plan.with_account_parts(n);
    }
    let mono_of_id: Vec<i64> = rows
        .iter()
        .map(|&r| monos[order[r as usize] as usize])
        .collect();
    // one row per transfer with the parts that read it (Spark explodes
    // them in the executors: fewer bytes from the driver)
    let mut parts_of: Vec<Vec<u32>> = vec![Vec::new(); rows.len()];
    let mut reads = 0;
    for (id, part) in plan.assignments(&facts) {
        parts_of[id as usize].push(part);
        reads += 1;
    }
    let mut table = Table::new(rows.len())
        .i64s("mono", mono_of_id.clone())
        .u32s("id", (0..rows.len() as u32).collect())
        .u32s("row", rows.clone())
        .u32_lists("parts", parts_of);
    if let Some(f) = &features {
        let mut shards_of: Vec<Vec<u32>> = vec![Vec::new(); rows.len()];
        for (k, shard) in f.shards.iter().enumerate() {
            for reads in &mut shards_of[shard.read.0..shard.read.1] {
                reads.push(k as u32);
            }
        }
        table = table.u32_lists("feature_shards", shards_of);
    }
    Ok(SparkPlan {
        shipped: Arc::new(Shipped {
            plan,
            accounts: dictionary.accounts,
            assets: dictionary.assets,
            features,
        }),
        config,
        mono_of_id,
        row_of_id: rows,
        reads,
        assignments: std::sync::Mutex::new(Some(table)),
    })
}

/// Steps 3 and 4: canonical rows with their `id` and `row` as a ledger
/// with the whole data's dictionaries (transfer `i` is `ids[i]`).
fn part_ledger(shipped: &Shipped, bytes: &[u8]) -> PyResult<(Ledger, Vec<u32>)> {
    let c = Columns::read(bytes)?;
    let ids = c.u32s("id")?;
    let rows = c.u32s("row")?;
    let mut order: Vec<usize> = (0..c.len()).collect();
    order.sort_unstable_by_key(|&i| ids[i]);
    let times = c.i64s("time_us")?;
    // text columns read in place, as the driver's plan reads them
    let (from, to) = (c.strs("from")?, c.strs("to")?);
    let (amount_paid, amount_received) = (c.strs("amount_paid")?, c.strs("amount_received")?);
    let (asset_paid, asset_received) = (c.strs("asset_paid")?, c.strs("asset_received")?);
    let channels = c.strs("channel")?;
    let (tx_id, tx_hash, chain) = (c.strs("tx_id")?, c.strs("tx_hash")?, c.strs("chain")?);
    let mut b =
        LedgerBuilder::with_dictionary(&shipped.accounts, &shipped.assets).map_err(to_py)?;
    b.reserve(order.len());
    let account = |b: &LedgerBuilder, key: Option<&str>, row: u32, name: &str| {
        key.and_then(|k| b.known_account(k))
            .ok_or_else(|| bad_row(row, name, format!("{key:?} is not in the plan's accounts")))
    };
    for &i in &order {
        let row = rows[i];
        let from = account(&b, from.get(i), row, "from")?;
        let to = account(&b, to.get(i), row, "to")?;
        let mut asset = |code: Option<&str>, name: &str| -> PyResult<moneytrail::AssetId> {
            let code = code.ok_or_else(|| bad_row(row, name, "empty"))?;
            let known = shipped.assets.iter().any(|a| a.code == code);
            if !known {
                return Err(bad_row(
                    row,
                    name,
                    format!("{code} is not in the plan's assets"),
                ));
            }
            b.asset(code).map_err(to_py)
        };
        let (paid, received) = (
            asset(asset_paid.get(i), "asset_paid")?,
            asset(asset_received.get(i), "asset_received")?,
        );
        let channel = match channels.get(i) {
            Some(name) => Channel::parse(name)
                .ok_or_else(|| bad_row(row, "channel", format!("{name:?} is not a channel")))?,
            None => Channel::default(),
        };
        b.push(NewTransfer {
            time_us: times[i],
            from,
            to,
            amount_paid: amount(amount_paid.get(i), row, "amount_paid")?,
            asset_paid: paid,
            amount_received: amount(amount_received.get(i), row, "amount_received")?,
            asset_received: received,
            channel,
            source_row: row,
            laundering: None,
            tx_id: tx_id.get(i),
            tx_hash: tx_hash.get(i),
            chain: chain.get(i),
        });
    }
    let ledger = b.finish().map_err(to_py)?;
    let sorted: Vec<u32> = order.iter().map(|&i| ids[i]).collect();
    if sorted.windows(2).any(|w| w[0] == w[1]) {
        return Err(argument("two rows have one transfer id"));
    }
    Ok((ledger, sorted))
}
