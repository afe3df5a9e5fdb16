//! Loading: a file of any accepted layout, a store, or the shipped sample,
//! into [`Transfers`], which every analysis then borrows.

use crate::errors::{argument, to_py};
use moneytrail::attribution::{clusters_of, Clusters};
use moneytrail::fx::FxTable;
use moneytrail::ingest::{self, Format, LoadOptions, LoadReport, Loaded};
use moneytrail::report::OutputOptions;
use moneytrail::store::{IngestOptions, Store, TimeRange};
use moneytrail::trace::ExchangeLinks;
use moneytrail::{FlowGraph, Valued};
use pyo3::prelude::*;
use std::path::PathBuf;
use std::sync::Arc;

/// Loaded transfers with what the load saw, shared by every result made
/// from them.
pub(crate) struct Books {
    pub(crate) graph: FlowGraph,
    pub(crate) report: LoadReport,
    /// Where side files (the FX table) are looked for beside.
    pub(crate) beside: PathBuf,
    /// The FX file given at load, if any.
    pub(crate) fx_file: Option<PathBuf>,
    pub(crate) seconds_load: f64,
    /// Address clusters of a UTXO input (common-input heuristic).
    pub(crate) clusters: Option<Clusters>,
}

impl Books {
    /// The transfers valued in `currency` by the CLI's one FX rule: the
    /// given FX file, else the one beside the input, each completed by the
    /// rates the data implies.
    pub(crate) fn valued(&self, currency: &str) -> PyResult<Valued<'_>> {
        Ok(Valued::new(&self.graph, self.fx(currency)?))
    }

    /// The rates of [`valued`](Books::valued) alone, for results that only
    /// convert a few totals.
    pub(crate) fn fx(&self, currency: &str) -> PyResult<FxTable> {
        let currency = currency.to_ascii_uppercase();
        let file = self
            .fx_file
            .clone()
            .or_else(|| ingest::fx_beside(&self.beside));
        Ok(match &file {
            Some(path) => FxTable::implied_with(
                self.graph.ledger(),
                &ingest::read_fx(path, &currency).map_err(to_py)?,
            ),
            None => FxTable::implied(self.graph.ledger(), &currency),
        })
    }
}

/// Transfers loaded from a file, a store or the sample.
#[pyclass(frozen, module = "moneytrail._native")]
pub(crate) struct Transfers {
    pub(crate) books: Arc<Books>,
}

fn books(
    loaded: Loaded,
    beside: PathBuf,
    fx: Option<PathBuf>,
    started: std::time::Instant,
) -> Books {
    Books {
        clusters: clusters_of(&loaded.utxo),
        graph: FlowGraph::new(loaded.ledger),
        report: loaded.report,
        beside,
        fx_file: fx,
        seconds_load: started.elapsed().as_secs_f64(),
    }
}

/// Load a transfers file (CSV, Parquet, JSON lines; any layout moneytrail
/// reads).
#[pyfunction]
#[pyo3(signature = (path, *, format = "auto", lenient = false, asset = None, nodes = None, fx = None))]
pub(crate) fn load(
    py: Python<'_>,
    path: PathBuf,
    format: &str,
    lenient: bool,
    asset: Option<String>,
    nodes: Option<PathBuf>,
    fx: Option<PathBuf>,
) -> PyResult<Transfers> {
    let format: Format = format.parse().map_err(to_py)?;
    let mut options = LoadOptions {
        format,
        lenient,
        amlsim_nodes: nodes,
        ..LoadOptions::default()
    };
    if let Some(asset) = asset {
        options.default_asset = asset;
    }
    let loaded = py.detach(|| {
        let started = std::time::Instant::now();
        ingest::load(&path, &options).map(|l| books(l, path.clone(), fx, started))
    });
    Ok(Transfers {
        books: Arc::new(loaded.map_err(to_py)?),
    })
}

/// Load transfers files into a time-partitioned store (created when `store`
/// holds none, else extended), as `moneytrail ingest` does; returns what
/// was done and the store's manifest, as JSON.
#[pyfunction]
#[pyo3(signature = (store, inputs, *, format = "auto", lenient = false, asset = None, partition = "1d", piece_rows = moneytrail::store::PIECE_ROWS))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn ingest_files(
    py: Python<'_>,
    store: PathBuf,
    inputs: Vec<PathBuf>,
    format: &str,
    lenient: bool,
    asset: Option<String>,
    partition: &str,
    piece_rows: usize,
) -> PyResult<String> {
    if inputs.is_empty() {
        return Err(argument("no input files: give at least one"));
    }
    let partition_us = moneytrail::time::parse_duration(partition)
        .filter(|&d| d > 0)
        .ok_or_else(|| {
            argument(format!(
                "partition {partition:?} is not a duration such as 1d, 12h or 7d"
            ))
        })?;
    let mut load = LoadOptions {
        format: format.parse().map_err(to_py)?,
        lenient,
        ..LoadOptions::default()
    };
    if let Some(asset) = asset {
        load.default_asset = asset;
    }
    let options = IngestOptions {
        load,
        partition_us,
        piece_rows,
    };
    let ingested = py
        .detach(|| moneytrail::store::ingest(&store, &inputs, &options))
        .map_err(to_py)?;
    let rejected: u64 = ingested.loads.iter().map(|r| r.rows_rejected).sum();
    let summary = serde_json::json!({
        "store": store.display().to_string(),
        "appended": ingested.appended,
        "transfers_added": ingested.transfers_added,
        "rows_rejected": rejected,
        "partitions_written": ingested.partitions_written,
        "fx_copied": ingested.fx_copied.as_ref().map(|p| p.display().to_string()),
        "manifest": ingested.manifest,
    });
    Ok(summary.to_string())
}

/// Open a store written by `moneytrail ingest` and read the partitions that
/// meet `[read_from, read_until)`.
#[pyfunction]
#[pyo3(signature = (path, *, read_from = None, read_until = None, fx = None))]
pub(crate) fn open_store(
    py: Python<'_>,
    path: PathBuf,
    read_from: Option<String>,
    read_until: Option<String>,
    fx: Option<PathBuf>,
) -> PyResult<Transfers> {
    let range = TimeRange::parse(read_from.as_deref(), read_until.as_deref()).map_err(to_py)?;
    let loaded = py.detach(|| {
        let started = std::time::Instant::now();
        let store = Store::open(&path)?;
        let beside = store.manifest_path();
        store.load(&range).map(|l| books(l, beside, fx, started))
    });
    Ok(Transfers {
        books: Arc::new(loaded.map_err(to_py)?),
    })
}

/// Write the shipped sample (transfers and FX rates, built into the
/// module) into `dir`; returns the transfers file.
#[pyfunction]
pub(crate) fn sample_files(dir: PathBuf) -> PyResult<PathBuf> {
    let write = |name: &str, bytes: &[u8]| -> PyResult<PathBuf> {
        let path = dir.join(name);
        std::fs::write(&path, bytes)
            .map_err(|e| argument(format!("cannot write {}: {e}", path.display())))?;
        Ok(path)
    };
    std::fs::create_dir_all(&dir)
        .map_err(|e| argument(format!("cannot create {}: {e}", dir.display())))?;
    write("sample_fx.csv", include_bytes!("../../data/sample_fx.csv"))?;
    write(
        "sample_tags.csv",
        include_bytes!("../../data/sample_tags.csv"),
    )?;
    write(
        "sample_transfers.csv",
        include_bytes!("../../data/sample_transfers.csv"),
    )
}

#[pymethods]
impl Transfers {
    /// Number of transfers loaded.
    fn __len__(&self) -> usize {
        self.books.graph.ledger().len()
    }

    /// Number of accounts.
    #[getter]
    fn account_count(&self) -> usize {
        self.books.graph.account_count()
    }

    /// What was read, loaded and rejected, as JSON.
    fn load_report_json(&self) -> PyResult<String> {
        crate::records::load_report(&self.books.report, self.books.seconds_load)
    }

    /// The summary (`moneytrail summary`) as JSON, and as text.
    fn summary_json(&self, py: Python<'_>) -> PyResult<(String, String)> {
        let summary = py.detach(|| moneytrail::summary::Summary::of(self.books.graph.ledger()));
        let json = serde_json::to_string(&summary).map_err(|e| argument(e.to_string()))?;
        Ok((json, summary.to_string()))
    }

    /// Every transfer, in ledger (time) order: row, time, accounts,
    /// amounts as decimal text, assets, channel, transaction id.
    fn transfers_parquet(&self, py: Python<'_>) -> PyResult<Py<pyo3::types::PyBytes>> {
        crate::records::transfers(self.books.graph.ledger()).parquet(py)
    }

    /// The input the transfers came from.
    #[getter]
    fn source(&self) -> String {
        self.books.report.path.display().to_string()
    }

    fn __repr__(&self) -> String {
        format!(
            "Transfers({} transfers, {} accounts, from {})",
            self.__len__(),
            self.account_count(),
            self.source()
        )
    }
}

/// The account of `key`, or an `ArgumentError` naming it.
pub(crate) fn account(books: &Books, key: &str) -> PyResult<moneytrail::AccountId> {
    books
        .graph
        .ledger()
        .account_id(key)
        .ok_or_else(|| argument(format!("no account {key:?} in the data")))
}

/// A time given as text (RFC 3339 or a date), in microseconds.
pub(crate) fn time(text: &str, what: &str) -> PyResult<i64> {
    moneytrail::time::parse_time(text).map_err(|e| argument(format!("{what} {text:?}: {e}")))
}

/// A duration given as text (`4d`, `12h`), in microseconds.
pub(crate) fn duration(text: &str, what: &str) -> PyResult<i64> {
    moneytrail::time::parse_duration(text).ok_or_else(|| {
        argument(format!(
            "{what} {text:?}: not a duration (like 30d, 12h, 90m)"
        ))
    })
}

/// What a `write(dir, html=, parquet=)` of any result writes beside its
/// main files.
pub(crate) fn output_options(html: bool, parquet: bool) -> OutputOptions {
    OutputOptions {
        html,
        parquet,
        ..OutputOptions::default()
    }
}

/// The exchange links a trace follows (`through_exchanges`: `linked` or
/// `stop`; `file`: an exchange's own deposit/payout pairs), by the CLI's
/// rule ([`ExchangeLinks::chosen`]).
pub(crate) fn exchange_links(
    data: &Valued<'_>,
    through: &str,
    file: Option<&std::path::Path>,
    findings: Option<&[moneytrail::detect::Finding]>,
) -> PyResult<Arc<ExchangeLinks>> {
    let follow = match through {
        "linked" => true,
        "stop" => false,
        other => {
            return Err(argument(format!(
                "through_exchanges {other:?}: expected linked or stop"
            )))
        }
    };
    ExchangeLinks::chosen(data, follow, file, findings)
        .map(Arc::new)
        .map_err(to_py)
}
