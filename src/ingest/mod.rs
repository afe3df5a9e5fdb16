//! Read transfers from files into a [`Ledger`], with a [`LoadReport`].
//!
//! # Layouts
//!
//! | layout | recognised by | account key |
//! |---|---|---|
//! | IBM AMLworld transactions | header `Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,Amount Paid,Payment Currency,Payment Format,Is Laundering` | `bank:account`, bank id with its leading zeros |
//! | IBM AMLworld patterns | first line `BEGIN LAUNDERING ATTEMPT - …` | as above |
//! | AMLSim sample | header `sourceNodeId,targetNodeId,value,time` (labels from `nodes.csv` beside it) | node id |
//! | AMLSim `transactions.csv` | header with `tran_id,orig_acct,bene_acct,tx_type,base_amt,tran_timestamp` | account id |
//! | transfers (CSV, Parquet, JSON lines) | columns `tx_id,time,from,to,amount,asset` | as given |
//!
//! CSV is read in chunks of whole records (64 MiB by default): each chunk's
//! structure is checked (field count, UTF-8) with exact row and line
//! numbers, and rayon parses the values in parallel, each record split on
//! commas by the thread that parses it (polars splits chunks that hold
//! quotes). Memory stays bounded by one chunk plus the ledger. Parquet files are read whole by polars; JSON lines are read
//! in chunks and parsed with serde.
//!
//! # Bad rows
//!
//! Strict loading (the default) fails on the first bad row, naming file,
//! row, line, column and value. Lenient loading skips bad rows and lists
//! them in the report; `rows_read == rows_loaded + rows_rejected` always.
//! Blank lines are not rows.

mod amlsim;
mod batch;
mod csv_chunks;
pub(crate) mod json;
mod jsonl;
pub(crate) mod layouts;
mod parquet;
pub(crate) mod parquet_check;
mod patterns;
mod report;
mod side;
pub(crate) mod small_csv;
mod thrift;
mod truth;
mod utxo;

pub use layouts::{Layout, MAX_AMOUNT};
pub use patterns::LaunderingAttempt;
pub use report::{LoadReport, RejectedRow};
pub use side::{
    fx_beside, read_exchange_links, read_fx, read_opening, read_subjects, read_tags, SubjectSpec,
};
pub use truth::{read_truth, Truth, TruthAttempt};
pub use utxo::{read_utxo, utxo_ledger, Leg, UtxoTransaction};

use crate::error::{Error, Result, RowError};
use crate::ledger::{Ledger, LedgerBuilder, NewTransfer};
use crate::model::{AccountId, AccountKind};
use batch::{Batch, Record};
use chrono::NaiveDate;
use layouts::{ColSpec, FieldError, Key, ParsedRow};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

/// Which layout to read a file as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Recognise the layout from the file's first bytes and header.
    #[default]
    Auto,
    /// IBM AMLworld: the transactions layout, or a patterns file.
    AmlWorld,
    /// An IBM AMLworld patterns file.
    Patterns,
    /// AMLSim: the sample layout or AMLSim's own `transactions.csv`.
    AmlSim,
    /// The native transfers layout (CSV, Parquet or JSON lines, by content).
    Transfers,
    /// The native transfers layout in Parquet.
    Parquet,
    /// The native transfers layout in JSON lines.
    JsonLines,
    /// On-chain UTXO transactions in JSON lines.
    Utxo,
}

impl FromStr for Format {
    type Err = Error;

    fn from_str(s: &str) -> Result<Format> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "auto" => Format::Auto,
            "amlworld" => Format::AmlWorld,
            "patterns" | "amlworld-patterns" => Format::Patterns,
            "amlsim" => Format::AmlSim,
            "transfers" | "csv" => Format::Transfers,
            "parquet" => Format::Parquet,
            "jsonl" | "json" | "json-lines" => Format::JsonLines,
            "utxo" => Format::Utxo,
            other => {
                return Err(Error::invalid(format!(
                    "unknown format {other:?}: expected auto, amlworld, patterns, amlsim, transfers, parquet or jsonl"
                )))
            }
        })
    }
}

/// Called during long loads with (bytes done, bytes in all).
pub type ProgressFn = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// How to load a file. `LoadOptions::default()` reads any layout strictly.
#[derive(Clone)]
pub struct LoadOptions {
    /// The layout, or [`Format::Auto`] to recognise it.
    pub format: Format,
    /// Skip bad rows and list them, instead of failing on the first.
    pub lenient: bool,
    /// The asset of layouts that state none (AMLSim): `"USD"`.
    pub default_asset: String,
    /// The date of AMLSim time step 0 (one step is one day): 2017-01-01,
    /// AMLSim's default base date.
    pub amlsim_start: NaiveDate,
    /// AMLSim account labels (`nodeid,isFraud,…`); by default `nodes.csv`
    /// beside the transactions file, when it exists.
    pub amlsim_nodes: Option<PathBuf>,
    /// How many rejected rows the report lists (all are counted).
    pub max_listed_rejections: usize,
    /// Bytes of CSV or JSON lines read per chunk; for Parquet, decoded
    /// bytes of the row groups read per batch.
    pub chunk_bytes: usize,
    /// Progress callback, for a progress bar.
    pub progress: Option<ProgressFn>,
}

impl Default for LoadOptions {
    fn default() -> LoadOptions {
        LoadOptions {
            format: Format::Auto,
            lenient: false,
            default_asset: "USD".to_string(),
            amlsim_start: NaiveDate::from_ymd_opt(2017, 1, 1).unwrap_or_default(),
            amlsim_nodes: None,
            max_listed_rejections: 1000,
            chunk_bytes: csv_chunks::DEFAULT_CHUNK_BYTES,
            progress: None,
        }
    }
}

impl fmt::Debug for LoadOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadOptions")
            .field("format", &self.format)
            .field("lenient", &self.lenient)
            .field("default_asset", &self.default_asset)
            .field("amlsim_start", &self.amlsim_start)
            .field("amlsim_nodes", &self.amlsim_nodes)
            .field("max_listed_rejections", &self.max_listed_rejections)
            .field("chunk_bytes", &self.chunk_bytes)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// What a load returns.
#[derive(Debug)]
pub struct Loaded {
    /// The transfers.
    pub ledger: Ledger,
    /// What was read, loaded and rejected.
    pub report: LoadReport,
    /// The labelled laundering attempts of an AMLworld patterns file (empty
    /// for other layouts).
    pub attempts: Vec<LaunderingAttempt>,
    /// The on-chain transactions of a UTXO file, as read (empty for other
    /// layouts): what address clustering works on.
    pub utxo: Vec<UtxoTransaction>,
}

/// The load report, and the laundering attempts a patterns file labels.
impl fmt::Display for Loaded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.report)?;
        if !self.attempts.is_empty() {
            let mut per: BTreeMap<String, usize> = BTreeMap::new();
            for a in &self.attempts {
                *per.entry(a.typology_name()).or_default() += 1;
            }
            let list: Vec<String> = per.iter().map(|(t, n)| format!("{t} {n}")).collect();
            writeln!(
                f,
                "laundering attempts {}: {}",
                self.attempts.len(),
                list.join(", ")
            )?;
        }
        Ok(())
    }
}

/// Load a file of transfers.
///
/// # Errors
///
/// When the file cannot be read, its layout is not recognised or lacks a
/// required column, or (strict loading) a row is bad: the error names the
/// file, row, line, column and value.
///
/// # Example
///
/// ```
/// use moneytrail::ingest::{load, LoadOptions, Layout};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("t.csv");
/// std::fs::write(&path, "tx_id,time,from,to,amount,asset\n\
///     1,2024-03-01T12:00:00Z,alice,bob,100.50,EUR\n\
///     2,2024-03-01T11:00:00Z,bob,carol,0.25,BTC\n").unwrap();
/// let loaded = load(&path, &LoadOptions::default()).unwrap();
/// assert_eq!(loaded.report.layout, Layout::TransfersCsv);
/// assert_eq!(loaded.ledger.len(), 2);
/// assert_eq!(loaded.ledger.source_rows(), &[1, 0]); // sorted by time
/// assert!(loaded.report.reconciles());
/// ```
pub fn load(path: &Path, options: &LoadOptions) -> Result<Loaded> {
    load_with(path, options, None)
}

/// Load a file in pieces of bounded memory: each time about `rows` rows
/// are read, they go to `on_piece` as a ledger sorted by time (with every
/// account and asset read so far, under the ids the whole load gives
/// them); the rest come back as the returned [`Loaded`], whose ledger has
/// every account and asset of the file and whose report counts every row.
/// A piece ends at a chunk's end, so it may hold some rows more than
/// `rows`. UTXO files are read whole, as [`load`] reads them.
///
/// # Errors
///
/// As [`load`], and what `on_piece` returns.
///
/// # Example
///
/// ```
/// use moneytrail::ingest::{load, load_in_pieces, LoadOptions};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("t.csv");
/// let mut text = String::from("tx_id,time,from,to,amount,asset\n");
/// for i in 0..10 {
///     text += &format!("{i},2024-03-01T12:00:0{i}Z,a{i},b,1.5,EUR\n");
/// }
/// std::fs::write(&path, text).unwrap();
/// // chunks of 64 bytes: a few rows each
/// let options = LoadOptions { chunk_bytes: 64, ..LoadOptions::default() };
/// let mut pieces = Vec::new();
/// let rest = load_in_pieces(&path, &options, 3, &mut |piece| {
///     pieces.push(piece);
///     Ok(())
/// })
/// .unwrap();
/// assert!(pieces.len() >= 2);
/// let rows: usize = pieces.iter().map(|p| p.len()).sum::<usize>() + rest.ledger.len();
/// assert_eq!(rows, 10);
/// assert_eq!(rest.ledger.accounts().len(), load(&path, &options).unwrap().ledger.accounts().len());
/// assert_eq!(rest.report.rows_loaded, 10);
/// ```
pub fn load_in_pieces(
    path: &Path,
    options: &LoadOptions,
    rows: usize,
    on_piece: &mut dyn FnMut(Ledger) -> Result<()>,
) -> Result<Loaded> {
    load_with(path, options, Some((rows.max(1), on_piece)))
}

/// Where the pieces of a load in pieces go, and their size in rows.
type Pieces<'p> = (usize, &'p mut dyn FnMut(Ledger) -> Result<()>);

fn load_with<'o>(
    path: &Path,
    options: &'o LoadOptions,
    pieces: Option<Pieces<'o>>,
) -> Result<Loaded> {
    let (layout, detected) = choose_layout(path, options.format)?;
    if layout == Layout::UtxoJsonLines {
        let (transactions, mut report) =
            utxo::read_utxo(path, options.lenient, options.max_listed_rejections)?;
        report.layout_detected = detected;
        let ledger = utxo::utxo_ledger(&transactions, Some(path))?;
        return Ok(Loaded {
            ledger,
            report,
            attempts: Vec::new(),
            utxo: transactions,
        });
    }
    let mut sink = Sink::new(path, layout, detected, options);
    sink.pieces = pieces;
    let mut attempts = Vec::new();
    match layout {
        Layout::AmlWorld => read_csv(path, layout, &mut sink, layouts::parse_amlworld)?,
        Layout::AmlWorldPatterns => attempts = patterns::read(path, &mut sink)?,
        Layout::AmlSimSample => {
            amlsim::read_labels(path, options, &mut sink)?;
            let start = options
                .amlsim_start
                .and_hms_opt(0, 0, 0)
                .unwrap_or_default()
                .and_utc()
                .timestamp_micros();
            read_csv(path, layout, &mut sink, |r| {
                layouts::parse_amlsim_sample(r, start)
            })?;
            sink.report.notes.push(format!(
                "AMLSim time steps read as days from {}; amounts in {}",
                options.amlsim_start, options.default_asset
            ));
        }
        Layout::AmlSimNative => {
            read_csv(path, layout, &mut sink, layouts::parse_amlsim_native)?;
            sink.report
                .notes
                .push(format!("amounts in {}", options.default_asset));
        }
        Layout::TransfersCsv => read_csv(path, layout, &mut sink, layouts::parse_transfers)?,
        Layout::TransfersParquet => parquet::read(path, &mut sink)?,
        Layout::TransfersJsonLines => jsonl::read(path, &mut sink)?,
        Layout::UtxoJsonLines => unreachable!("read above"),
        Layout::Store => {
            return Err(Error::format(
                path,
                "a store is a folder: read it with --store",
            ))
        }
    }
    let (ledger, report) = sink.finish()?;
    Ok(Loaded {
        ledger,
        report,
        attempts,
        utxo: Vec::new(),
    })
}

/// Recognise a file's layout from its first bytes and header.
///
/// # Errors
///
/// When the file cannot be read or matches no layout; the message shows
/// the header that was found.
pub fn detect_layout(path: &Path) -> Result<Layout> {
    choose_layout(path, Format::Auto).map(|(layout, _)| layout)
}

/// What the first bytes of a file say about its container.
enum Container {
    Parquet,
    JsonLines,
    Patterns,
    Csv(Vec<String>),
}

fn sniff(path: &Path) -> Result<Container> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut head = [0u8; 64];
    let mut n = 0;
    while n < head.len() {
        match file.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) => return Err(Error::io(path, e)),
        }
    }
    let head = &head[..n];
    if head.starts_with(b"PAR1") {
        return Ok(Container::Parquet);
    }
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let first = text.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'{') {
        return Ok(Container::JsonLines);
    }
    if text.starts_with(b"BEGIN LAUNDERING ATTEMPT") {
        return Ok(Container::Patterns);
    }
    Ok(Container::Csv(csv_chunks::read_header(path)?.names))
}

/// Whether a JSON-lines file holds UTXO transactions: the first of its
/// first 100 lines that is a JSON object has an `inputs` or `outputs` key
/// (lines that are not JSON objects are passed over, so one bad line does
/// not change how the whole file is read).
fn json_lines_are_utxo(path: &Path) -> Result<bool> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut head = Vec::new();
    file.take(1 << 20)
        .read_to_end(&mut head)
        .map_err(|e| Error::io(path, e))?;
    let lines = json::strip_bom(&head)
        .split(|&b| b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .take(100);
    for line in lines {
        let Ok(text) = std::str::from_utf8(line) else {
            continue;
        };
        if let Ok(object) = json::Object::parse(text.trim()) {
            return Ok(object.keys().any(|k| k == "inputs" || k == "outputs"));
        }
    }
    Ok(false)
}

fn has_all(header: &[String], names: &[&str]) -> bool {
    names
        .iter()
        .all(|n| header.iter().any(|h| h.eq_ignore_ascii_case(n)))
}

fn is_amlworld_header(header: &[String]) -> bool {
    header.len() >= 10
        && layouts::AMLWORLD[..10]
            .iter()
            .zip(header)
            .all(|(spec, h)| h.eq_ignore_ascii_case(spec.name))
}

fn choose_layout(path: &Path, format: Format) -> Result<(Layout, bool)> {
    let container = sniff(path)?;
    let unrecognised = |header: &[String]| {
        Error::format(
            path,
            format!(
                "unrecognised layout; the header is {:?}. Expected AMLworld (Timestamp,From Bank,Account,…), \
                 AMLSim (sourceNodeId,targetNodeId,value,time or tran_id,orig_acct,bene_acct,…) \
                 or transfers (tx_id,time,from,to,amount,asset)",
                header.join(",")
            ),
        )
    };
    let layout = match (format, &container) {
        (Format::Utxo, _) => Layout::UtxoJsonLines,
        (Format::Auto, Container::JsonLines) if json_lines_are_utxo(path)? => Layout::UtxoJsonLines,
        (Format::Parquet, _) | (Format::Transfers | Format::Auto, Container::Parquet) => {
            Layout::TransfersParquet
        }
        (Format::JsonLines, _) | (Format::Transfers | Format::Auto, Container::JsonLines) => {
            Layout::TransfersJsonLines
        }
        (Format::Patterns, _) | (Format::AmlWorld | Format::Auto, Container::Patterns) => {
            Layout::AmlWorldPatterns
        }
        (Format::AmlWorld, _) => Layout::AmlWorld,
        (Format::Transfers, _) => Layout::TransfersCsv,
        (Format::AmlSim, Container::Csv(h)) if has_all(h, &["sourceNodeId", "targetNodeId"]) => {
            Layout::AmlSimSample
        }
        (Format::AmlSim, _) => Layout::AmlSimNative,
        (Format::Auto, Container::Csv(h)) => {
            if is_amlworld_header(h) {
                Layout::AmlWorld
            } else if has_all(h, &["sourceNodeId", "targetNodeId", "value", "time"]) {
                Layout::AmlSimSample
            } else if has_all(h, &["tran_id", "orig_acct", "bene_acct"]) {
                Layout::AmlSimNative
            } else if has_all(h, &["tx_id", "time", "from", "to", "amount", "asset"]) {
                Layout::TransfersCsv
            } else {
                return Err(unrecognised(h));
            }
        }
    };
    Ok((layout, format == Format::Auto))
}

/// Find each spec column in a header: by position for AMLworld (whose two
/// account columns share a name), by name (any case) otherwise. Unknown
/// header columns are noted.
fn resolve_columns(
    path: &Path,
    layout: Layout,
    header: &[String],
    notes: &mut Vec<String>,
) -> Result<Vec<Option<usize>>> {
    let spec = layout.spec();
    if matches!(layout, Layout::AmlWorld | Layout::AmlWorldPatterns) {
        if !is_amlworld_header(header) {
            return Err(Error::format(
                path,
                format!(
                    "not the AMLworld layout: expected header \"{}\", found \"{}\"",
                    spec.iter().map(|c| c.name).collect::<Vec<_>>().join(","),
                    header.join(",")
                ),
            ));
        }
        if header.len() > spec.len() {
            notes.push(format!(
                "ignored columns beyond the AMLworld layout: {}",
                header[spec.len()..].join(", ")
            ));
        }
        return Ok((0..spec.len())
            .map(|i| (i < header.len()).then_some(i))
            .collect());
    }
    resolve_by_name(path, spec, header, notes)
}

fn resolve_by_name(
    path: &Path,
    spec: &[ColSpec],
    header: &[String],
    notes: &mut Vec<String>,
) -> Result<Vec<Option<usize>>> {
    let mut wanted = Vec::with_capacity(spec.len());
    for col in spec {
        let found = header.iter().position(|h| h.eq_ignore_ascii_case(col.name));
        if found.is_none() && col.required {
            return Err(Error::format(
                path,
                format!(
                    "missing required column \"{}\"; the header is \"{}\"",
                    col.name,
                    header.join(",")
                ),
            ));
        }
        wanted.push(found);
    }
    let ignored: Vec<&str> = header
        .iter()
        .filter(|h| !spec.iter().any(|c| c.name.eq_ignore_ascii_case(h)))
        .map(String::as_str)
        .collect();
    if !ignored.is_empty() {
        notes.push(format!("ignored columns: {}", ignored.join(", ")));
    }
    Ok(wanted)
}

fn read_csv<F>(path: &Path, layout: Layout, sink: &mut Sink<'_>, parse: F) -> Result<()>
where
    F: for<'r> Fn(Record<'r>) -> std::result::Result<ParsedRow<'r>, FieldError> + Sync,
{
    let header = csv_chunks::read_header(path)?;
    let wanted = resolve_columns(path, layout, &header.names, &mut sink.report.notes)?;
    let mut chunks = csv_chunks::CsvChunks::open(path, &header, sink.options.chunk_bytes)?;
    while let Some(mut chunk) = chunks.next_chunk()? {
        let bad = std::mem::take(&mut chunk.bad);
        let mut frame = None;
        let batch = csv_chunks::parse_chunk(&chunk, header.names.len(), &mut frame, &wanted);
        sink.take_batch(&batch, layout.spec(), bad, &parse)?;
        drop(batch);
        chunks.recycle(chunk);
        if let Some(progress) = &sink.options.progress {
            let (done, total) = chunks.progress();
            progress(done, total);
        }
    }
    Ok(())
}

/// Collects parsed rows into a ledger builder and the load report.
struct Sink<'o> {
    path: PathBuf,
    options: &'o LoadOptions,
    builder: LedgerBuilder,
    report: LoadReport,
    key: String,
    /// Per account: what is already known of it (`KNOWN_*` bits).
    known: Vec<u8>,
    unknown_channels: BTreeMap<String, u64>,
    unmapped_assets: BTreeMap<String, u64>,
    /// A load in pieces: the rows of a piece, and where it goes.
    pieces: Option<Pieces<'o>>,
}

/// The ids of a parsed row's accounts (payer, payee) and assets (paid,
/// received) that the ledger already had when its step began.
struct Known {
    accounts: [Option<AccountId>; 2],
    assets: [Option<crate::model::AssetId>; 2],
}

const KNOWN_KIND: u8 = 1;
const INFERRED_KIND: u8 = 2;
const KNOWN_INSTITUTION: u8 = 4;
const KNOWN_JURISDICTION: u8 = 8;

/// Rows parsed in parallel per step: bounds the memory of parsed rows
/// (about 350 bytes each), small enough that they are still in cache when
/// they are added in order.
const PARSE_STEP: usize = 1 << 15;

impl<'o> Sink<'o> {
    fn new(path: &Path, layout: Layout, detected: bool, options: &'o LoadOptions) -> Sink<'o> {
        let mut builder = LedgerBuilder::new();
        builder.source(path);
        Sink {
            path: path.to_path_buf(),
            options,
            builder,
            report: LoadReport::new(path.to_path_buf(), layout, detected),
            key: String::new(),
            known: Vec::new(),
            unknown_channels: BTreeMap::new(),
            unmapped_assets: BTreeMap::new(),
            pieces: None,
        }
    }

    fn row_error(&self, batch: &Batch<'_>, i: usize, spec: &[ColSpec], e: FieldError) -> RowError {
        let value = e.value;
        let mut error = RowError::new(batch.rows[i], spec[e.col].label, &value, e.reason);
        error.path = self.path.clone();
        error.line = batch.lines.as_ref().map(|l| l[i]);
        if let Some(detail) = e.detail {
            error = error.with_detail(detail);
        }
        error
    }

    /// Parse a batch in parallel and add its rows in order. `bad` holds
    /// rows the container reader already rejected.
    fn take_batch<F>(
        &mut self,
        batch: &Batch<'_>,
        spec: &[ColSpec],
        mut bad: Vec<RowError>,
        parse: &F,
    ) -> Result<()>
    where
        F: for<'r> Fn(Record<'r>) -> std::result::Result<ParsedRow<'r>, FieldError> + Sync,
    {
        for e in &mut bad {
            e.path = self.path.clone();
        }
        self.report.rows_read += (batch.len() + bad.len()) as u64;
        if let Some(last) = batch.rows.last() {
            if *last > u64::from(u32::MAX) {
                return Err(crate::error::ErrorKind::TooManyRows {
                    path: self.path.clone(),
                }
                .into());
            }
        }
        self.builder.reserve(batch.len());
        let mut start = 0;
        let mut parsed = Vec::new();
        while start < batch.len() {
            let end = (start + PARSE_STEP).min(batch.len());
            // parse, and look up the accounts the ledger already has, in
            // parallel (most rows name known accounts); only new keys are
            // added one by one below, in row order, so ids do not depend
            // on the thread count
            let builder = &self.builder;
            let default_asset = self.options.default_asset.as_str();
            (start..end)
                .into_par_iter()
                .map_init(String::new, |key, i| {
                    let row = parse(batch.row(i))?;
                    let accounts = [row.from, row.to].map(|k| builder.known_account(k.joined(key)));
                    let assets = [row.asset_paid, row.asset_received]
                        .map(|a| builder.known_asset(a.unwrap_or(default_asset)));
                    Ok((row, Known { accounts, assets }))
                })
                .collect_into_vec(&mut parsed);
            for (offset, result) in parsed.drain(..).enumerate() {
                let i = start + offset;
                match result {
                    Ok((row, known)) => self.push(row, known, batch.rows[i] as u32),
                    Err(e) => bad.push(self.row_error(batch, i, spec, e)),
                }
            }
            start = end;
        }
        bad.sort_by_key(|e| e.row);
        if !self.options.lenient {
            if let Some(first) = bad.into_iter().next() {
                return Err(first.into());
            }
        } else {
            // a lenient load pushed every good row; count the rest
            for e in bad {
                self.report.reject(e, self.options.max_listed_rejections);
            }
        }
        if let Some((rows, on_piece)) = &mut self.pieces {
            if self.builder.len() >= *rows {
                on_piece(self.builder.drain()?)?;
            }
        }
        Ok(())
    }

    fn intern(&mut self, key: Key<'_>) -> AccountId {
        let mut text = std::mem::take(&mut self.key);
        let id = self.builder.account(key.joined(&mut text));
        self.key = text;
        id
    }

    /// Add one parsed row; `known` holds the ids of its accounts and
    /// assets that the ledger had before this step.
    fn push(&mut self, row: ParsedRow<'_>, known: Known, source_row: u32) {
        let from = known.accounts[0].unwrap_or_else(|| self.intern(row.from));
        let to = known.accounts[1].unwrap_or_else(|| self.intern(row.to));
        // accounts can also enter the ledger before any row (AMLSim's
        // accounts file), so the flags may not cover them yet
        let most = from.index().max(to.index());
        if most >= self.known.len() {
            self.known.resize(most + 1, 0);
        }
        for (side, id) in [from, to].into_iter().enumerate() {
            // the flags say what is already known, so that most rows need
            // not touch the account record (a cache miss per row otherwise)
            let flags = &mut self.known[id.index()];
            let kind = match row.kinds[side] {
                Some(k) => {
                    *flags |= KNOWN_KIND;
                    Some(k)
                }
                None if row.on_chain && *flags & (KNOWN_KIND | INFERRED_KIND) == 0 => {
                    *flags |= INFERRED_KIND;
                    Some(AccountKind::VirtualAssetAddress)
                }
                None => None,
            };
            let institution = row.institutions[side].filter(|_| *flags & KNOWN_INSTITUTION == 0);
            let jurisdiction = row.jurisdictions[side].filter(|_| *flags & KNOWN_JURISDICTION == 0);
            if institution.is_some() {
                *flags |= KNOWN_INSTITUTION;
            }
            if jurisdiction.is_some() {
                *flags |= KNOWN_JURISDICTION;
            }
            if institution.is_some() || jurisdiction.is_some() || kind.is_some() {
                self.builder
                    .describe_account(id, institution, jurisdiction, kind);
            }
        }
        if let Some(text) = row.unknown_channel {
            *self.unknown_channels.entry(text.to_string()).or_insert(0) += 1;
        }
        for name in row.unmapped_assets.into_iter().flatten() {
            *self.unmapped_assets.entry(name.to_string()).or_insert(0) += 1;
        }
        // Asset ids only fail past 65,536 assets; such a row is kept on the
        // first asset rather than lost, and the report says so.
        let options = self.options;
        let default_asset = options.default_asset.as_str();
        let asset_paid = match known.assets[0] {
            Some(id) => id,
            None => self.asset(row.asset_paid.unwrap_or(default_asset)),
        };
        let asset_received = match known.assets[1] {
            Some(id) => id,
            None => self.asset(row.asset_received.unwrap_or(default_asset)),
        };
        // a transfer on a named chain moves tokens at both ends; the
        // channel alone does not say so (an exchange converting dollars to
        // bitcoin is a virtual-currency trade, but dollars stay fiat)
        if row.chain.is_some() {
            self.builder.mark_virtual(asset_paid);
            self.builder.mark_virtual(asset_received);
        }
        self.builder.push(NewTransfer {
            time_us: row.time_us,
            from,
            to,
            amount_paid: row.amount_paid,
            asset_paid,
            amount_received: row.amount_received,
            asset_received,
            channel: row.channel,
            source_row,
            laundering: row.laundering,
            tx_id: row.tx_id,
            tx_hash: row.tx_hash,
            chain: row.chain,
        });
        self.report.rows_loaded += 1;
    }

    fn asset(&mut self, code: &str) -> crate::model::AssetId {
        match self.builder.asset(code) {
            Ok(id) => id,
            Err(_) => {
                *self
                    .unmapped_assets
                    .entry(format!("{code} (beyond 65,536 assets)"))
                    .or_insert(0) += 1;
                crate::model::AssetId(0)
            }
        }
    }

    fn finish(mut self) -> Result<(Ledger, LoadReport)> {
        for (text, n) in &self.unknown_channels {
            self.report.notes.push(format!(
                "payment format {text:?} not recognised, kept as \"other\" ({n} rows)"
            ));
        }
        for (name, n) in &self.unmapped_assets {
            self.report.notes.push(format!(
                "currency name {name:?} has no known code, kept verbatim ({n} rows)"
            ));
        }
        let ledger = self.builder.finish()?;
        Ok((ledger, self.report))
    }
}

#[cfg(test)]
mod tests;
