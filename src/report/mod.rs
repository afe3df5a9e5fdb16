//! Writing results: findings as JSON and CSV (and Parquet), flagged
//! accounts through a polars DataFrame, the run's summary as JSON, the
//! self-contained HTML report ([`html`]), flow pictures as SVG ([`svg`]),
//! DOT ([`dot()`]) and GraphML ([`graphml()`]), and goAML-style XML
//! ([`goaml`]).
//!
//! The JSON field names are a contract other tools parse (see DESIGN.md):
//! fields may be added, never renamed.

mod dot;
pub mod goaml;
mod graphml;
pub mod html;
pub mod layout;
mod picture;
pub mod svg;
pub mod terminal;
mod xml;

pub use dot::dot;
pub use graphml::graphml;
pub use html::ReportLimits;
pub use picture::{Arrow, HopKind, Item, Node, Picture};
pub use xml::escape;

use crate::detect::{Analysis, DetectConfig, Finding};
use crate::error::{Error, Result};
use crate::ingest::LoadReport;
use crate::model::AccountId;
use crate::time;
use crate::Valued;
use polars::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// A finding as written to `findings.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingRecord {
    /// `F000001`…, in output order.
    pub id: String,
    /// Typology (snake_case).
    pub typology: String,
    /// Score in [0, 1], rounded to 4 decimals.
    pub score: f64,
    /// Account keys.
    pub accounts: Vec<String>,
    /// 0-based data rows of the input file (header excluded), ascending.
    pub rows: Vec<u32>,
    /// Transaction ids of those rows, where the input has them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tx_ids: Vec<String>,
    /// Amount in the reporting currency (decimal string).
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// Reporting currency.
    pub currency: String,
    /// First transfer time (RFC 3339).
    pub first_time: String,
    /// Last transfer time (RFC 3339).
    pub last_time: String,
    /// One line a person can read.
    pub explanation: String,
}

/// Read a `findings.json` written by `analyze`.
///
/// # Errors
///
/// When the file cannot be read or is not a findings.json.
pub fn read_findings(path: &Path) -> Result<Vec<FindingRecord>> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    serde_json::from_str(&text)
        .map_err(|e| Error::format(path, format!("not a findings.json: {e}")))
}

impl FindingRecord {
    /// Every finding described, with ids in order (`F000001`…).
    pub fn all(findings: &[Finding], data: &Valued<'_>) -> Vec<FindingRecord> {
        findings
            .iter()
            .enumerate()
            .map(|(i, f)| FindingRecord::new(i, f, data))
            .collect()
    }

    /// Describe a finding with the ledger's keys and rows.
    pub fn new(index: usize, f: &Finding, data: &Valued<'_>) -> FindingRecord {
        let l = data.graph.ledger();
        let mut rows: Vec<u32> = f
            .transfers
            .iter()
            .map(|t| l.source_rows()[t.index()])
            .collect();
        let tx_ids = match l.tx_ids() {
            Some(ids) => {
                let mut pairs: Vec<(u32, String)> = f
                    .transfers
                    .iter()
                    .filter_map(|t| {
                        Some((l.source_rows()[t.index()], ids.get(t.index())?.to_string()))
                    })
                    .collect();
                pairs.sort();
                pairs.into_iter().map(|(_, id)| id).collect()
            }
            None => Vec::new(),
        };
        rows.sort_unstable();
        FindingRecord {
            id: format!("F{:06}", index + 1),
            typology: f.typology.name().to_string(),
            score: (f.score * 10_000.0).round() / 10_000.0,
            accounts: f
                .accounts
                .iter()
                .map(|&a| data.key(a).to_string())
                .collect(),
            rows,
            tx_ids,
            amount: f.amount,
            currency: data.currency().to_string(),
            first_time: time::to_rfc3339(f.first_time_us),
            last_time: time::to_rfc3339(f.last_time_us),
            explanation: f.explanation.clone(),
        }
    }
}

/// What `summary.json` holds.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary<'a> {
    /// The input file.
    pub input: String,
    /// The layout read.
    pub layout: String,
    /// Rows loaded.
    pub rows_loaded: u64,
    /// Rows rejected (lenient loading).
    pub rows_rejected: u64,
    /// Findings per typology.
    pub findings_per_typology: BTreeMap<String, usize>,
    /// Whether any detector hit a result budget.
    pub truncated: bool,
    /// Which detectors hit a budget.
    pub truncated_per_detector: &'a BTreeMap<String, bool>,
    /// Seconds each detector took.
    pub seconds_per_detector: &'a BTreeMap<String, f64>,
    /// Parameters that cannot work on this data, in words.
    pub warnings: &'a [String],
    /// Seconds to load and build the graph.
    pub seconds_load: f64,
    /// The parameters used.
    pub parameters: &'a DetectConfig,
    /// The FX table used.
    pub fx: &'a crate::fx::FxTable,
    /// Threads used.
    pub threads: usize,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error::io(path, e)
}

fn polars_error(path: &Path) -> impl Fn(PolarsError) -> Error + '_ {
    move |e| Error::format(path, format!("writing a table: {e}"))
}

/// Which graph format `--export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphFormat {
    /// Graphviz DOT (`.dot`).
    Dot,
    /// GraphML (`.graphml`).
    GraphMl,
}

impl GraphFormat {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            GraphFormat::Dot => "dot",
            GraphFormat::GraphMl => "graphml",
        }
    }

    /// The picture in this format.
    pub fn render(self, picture: &Picture) -> String {
        match self {
            GraphFormat::Dot => dot(picture),
            GraphFormat::GraphMl => graphml(picture),
        }
    }
}

/// Positions of findings, highest score first (ties in output order).
pub(crate) fn by_score(findings: &[Finding]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..findings.len()).collect();
    order.sort_by(|&a, &b| {
        findings[b]
            .score
            .total_cmp(&findings[a].score)
            .then(a.cmp(&b))
    });
    order
}

/// What to write besides the JSON and CSV files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputOptions {
    /// Write a Parquet file next to every CSV file.
    pub parquet: bool,
    /// Write `report.html`.
    pub html: bool,
    /// What the report draws and lists.
    pub limits: ReportLimits,
    /// Export flow pictures as DOT or GraphML: for `analyze`, one file per
    /// finding (the `export_top` highest-scoring) in `graphs/`; for a
    /// trace, `trace.dot` or `trace.graphml`.
    pub export: Option<GraphFormat>,
    /// Findings exported: 200.
    pub export_top: usize,
    /// Neutralise spreadsheet formulas in CSV files (on by default): a text
    /// cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return
    /// gets a `'` in front, as OWASP recommends against CSV injection, so a
    /// spreadsheet shows it instead of running it. Parquet files are never
    /// changed. Turn it off for machine consumers of the CSV files.
    pub neutralise_formulas: bool,
}

impl Default for OutputOptions {
    fn default() -> OutputOptions {
        OutputOptions {
            parquet: false,
            html: true,
            limits: ReportLimits::default(),
            export: None,
            export_top: 200,
            neutralise_formulas: true,
        }
    }
}

/// The files a write made, relative to its folder, in the order written.
pub type Written = Vec<String>;

fn write_text(dir: &Path, name: &str, text: &str, written: &mut Written) -> Result<()> {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    std::fs::write(&path, text).map_err(io(&path))?;
    written.push(name.to_string());
    Ok(())
}

/// Write `findings.json`, `findings.csv`, `accounts.csv` and
/// `summary.json` into `dir` (created if missing), and as `options` say,
/// `report.html`, Parquet twins of the CSV files and DOT or GraphML
/// pictures of the highest-scoring findings (`graphs/F000001.dot`…).
/// Returns the findings as written and the names of the files.
///
/// # Errors
///
/// When a file cannot be written.
pub fn write_analysis(
    dir: &Path,
    data: &Valued<'_>,
    analysis: &Analysis,
    config: &DetectConfig,
    load: &LoadReport,
    seconds_load: f64,
    options: &OutputOptions,
) -> Result<(Vec<FindingRecord>, Written)> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let records: Vec<FindingRecord> = analysis
        .findings
        .iter()
        .enumerate()
        .map(|(i, f)| FindingRecord::new(i, f, data))
        .collect();
    let path = dir.join("findings.json");
    let file = std::fs::File::create(&path).map_err(io(&path))?;
    serde_json::to_writer_pretty(std::io::BufWriter::new(file), &records)
        .map_err(|e| Error::format(&path, e.to_string()))?;
    let mut written = vec!["findings.json".to_string()];
    write_findings_csv(dir, &records, options, &mut written)?;
    write_accounts_csv(dir, data, &analysis.findings, options, &mut written)?;
    let summary = RunSummary {
        input: load.path.display().to_string(),
        layout: load.layout.name().to_string(),
        rows_loaded: load.rows_loaded,
        rows_rejected: load.rows_rejected,
        findings_per_typology: analysis.per_typology(),
        truncated: analysis.any_truncated(),
        truncated_per_detector: &analysis.truncated,
        seconds_per_detector: &analysis.seconds,
        warnings: &analysis.warnings,
        seconds_load,
        parameters: config,
        fx: &data.fx,
        threads: rayon::current_num_threads(),
    };
    let path = dir.join("summary.json");
    let text =
        serde_json::to_string_pretty(&summary).map_err(|e| Error::format(&path, e.to_string()))?;
    write_text(dir, "summary.json", &(text + "\n"), &mut written)?;
    if options.html {
        let page = html::analysis_html(data, analysis, &records, load, &options.limits);
        write_text(dir, "report.html", &page, &mut written)?;
    }
    if let Some(format) = options.export {
        let order = by_score(&analysis.findings);
        for &i in order.iter().take(options.export_top) {
            let (f, r) = (&analysis.findings[i], &records[i]);
            let picture = Picture::of_finding(data, f, r, usize::MAX);
            let name = format!("graphs/{}.{}", r.id, format.extension());
            write_text(dir, &name, &format.render(&picture), &mut written)?;
        }
    }
    Ok((records, written))
}

fn joined<T: ToString>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(";")
}

/// Text cells a spreadsheet would run as a formula (OWASP's list).
fn is_formula(cell: &str) -> bool {
    cell.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// `df` with every text cell that [`is_formula`] quoted with a leading `'`.
fn neutralised(df: &DataFrame) -> PolarsResult<DataFrame> {
    let columns = df
        .columns()
        .iter()
        .map(|c| match c.str() {
            Ok(text) if text.iter().flatten().any(is_formula) => {
                let guarded: Vec<Option<String>> = text
                    .iter()
                    .map(|v| {
                        v.map(|v| {
                            if is_formula(v) {
                                format!("'{v}")
                            } else {
                                v.to_string()
                            }
                        })
                    })
                    .collect();
                Column::new(c.name().clone(), guarded)
            }
            _ => c.clone(),
        })
        .collect();
    DataFrame::new(df.height(), columns)
}

/// Write a table as `<name>.csv` and, with [`OutputOptions::parquet`],
/// `<name>.parquet`; the CSV file's formulas neutralised as
/// [`OutputOptions::neutralise_formulas`] says.
fn write_table(
    dir: &Path,
    name: &str,
    df: &mut DataFrame,
    options: &OutputOptions,
    written: &mut Written,
) -> Result<()> {
    let csv = format!("{name}.csv");
    let path = dir.join(&csv);
    let file = std::fs::File::create(&path).map_err(io(&path))?;
    let mut guarded = if options.neutralise_formulas {
        neutralised(df).map_err(polars_error(&path))?
    } else {
        df.clone()
    };
    CsvWriter::new(std::io::BufWriter::new(file))
        .include_header(true)
        .finish(&mut guarded)
        .map_err(polars_error(&path))?;
    written.push(csv);
    if options.parquet {
        let name = format!("{name}.parquet");
        let path = dir.join(&name);
        let file = std::fs::File::create(&path).map_err(io(&path))?;
        ParquetWriter::new(std::io::BufWriter::new(file))
            .finish(df)
            .map_err(polars_error(&path))?;
        written.push(name);
    }
    Ok(())
}

fn write_findings_csv(
    dir: &Path,
    records: &[FindingRecord],
    options: &OutputOptions,
    written: &mut Written,
) -> Result<()> {
    let path = &dir.join("findings.csv");
    let col = |name: &str, values: Vec<String>| Column::new(name.into(), values);
    let mut df = DataFrame::new(
        records.len(),
        vec![
            col("id", records.iter().map(|r| r.id.clone()).collect()),
            col(
                "typology",
                records.iter().map(|r| r.typology.clone()).collect(),
            ),
            Column::new(
                "score".into(),
                records.iter().map(|r| r.score).collect::<Vec<f64>>(),
            ),
            col(
                "amount",
                records.iter().map(|r| r.amount.to_string()).collect(),
            ),
            col(
                "currency",
                records.iter().map(|r| r.currency.clone()).collect(),
            ),
            col(
                "first_time",
                records.iter().map(|r| r.first_time.clone()).collect(),
            ),
            col(
                "last_time",
                records.iter().map(|r| r.last_time.clone()).collect(),
            ),
            col(
                "accounts",
                records.iter().map(|r| joined(&r.accounts)).collect(),
            ),
            col("rows", records.iter().map(|r| joined(&r.rows)).collect()),
            col(
                "explanation",
                records.iter().map(|r| r.explanation.clone()).collect(),
            ),
        ],
    )
    .map_err(polars_error(path))?;
    write_table(dir, "findings", &mut df, options, written)
}

/// A flagged account: its combined score, typologies and amounts.
#[derive(Debug, Clone, PartialEq)]
pub struct FlaggedAccount {
    /// The account.
    pub account: AccountId,
    /// 1 − ∏(1 − score) over its findings, rounded to 4 decimals.
    pub score: f64,
    /// Its highest finding score.
    pub max_score: f64,
    /// Findings it takes part in.
    pub findings: u32,
    /// Typologies of those findings.
    pub typologies: std::collections::BTreeSet<&'static str>,
    /// Sum of those findings' amounts (reporting currency).
    pub amount: Decimal,
}

/// Every account that takes part in a finding, highest combined score
/// first, then by key.
pub fn flagged_accounts(data: &Valued<'_>, findings: &[Finding]) -> Vec<FlaggedAccount> {
    let mut rows: BTreeMap<AccountId, (f64, FlaggedAccount)> = BTreeMap::new();
    for f in findings {
        for &a in &f.accounts {
            let (complement, row) = rows.entry(a).or_insert((
                1.0,
                FlaggedAccount {
                    account: a,
                    score: 0.0,
                    max_score: 0.0,
                    findings: 0,
                    typologies: Default::default(),
                    amount: Decimal::ZERO,
                },
            ));
            *complement *= 1.0 - f.score;
            row.max_score = row.max_score.max(f.score);
            row.findings += 1;
            row.typologies.insert(f.typology.name());
            row.amount += f.amount;
        }
    }
    let mut order: Vec<FlaggedAccount> = rows
        .into_values()
        .map(|(complement, mut row)| {
            row.score = ((1.0 - complement) * 10_000.0).round() / 10_000.0;
            row
        })
        .collect();
    order.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| data.key(a.account).cmp(data.key(b.account)))
    });
    order
}

fn write_accounts_csv(
    dir: &Path,
    data: &Valued<'_>,
    findings: &[Finding],
    options: &OutputOptions,
    written: &mut Written,
) -> Result<()> {
    let path = &dir.join("accounts.csv");
    let order = flagged_accounts(data, findings);
    let l = data.graph.ledger();
    let acct = |a: AccountId| l.account(a);
    let text = |f: &dyn Fn(&FlaggedAccount) -> String| order.iter().map(f).collect::<Vec<String>>();
    let mut df = DataFrame::new(
        order.len(),
        vec![
            Column::new("account".into(), text(&|r| acct(r.account).key.clone())),
            Column::new(
                "institution".into(),
                text(&|r| acct(r.account).institution.clone().unwrap_or_default()),
            ),
            Column::new(
                "jurisdiction".into(),
                text(&|r| acct(r.account).jurisdiction.clone().unwrap_or_default()),
            ),
            Column::new(
                "kind".into(),
                text(&|r| acct(r.account).kind.name().to_string()),
            ),
            Column::new(
                "score".into(),
                order.iter().map(|r| r.score).collect::<Vec<f64>>(),
            ),
            Column::new(
                "max_finding_score".into(),
                order
                    .iter()
                    .map(|r| (r.max_score * 10_000.0).round() / 10_000.0)
                    .collect::<Vec<f64>>(),
            ),
            Column::new(
                "findings".into(),
                order.iter().map(|r| r.findings).collect::<Vec<u32>>(),
            ),
            Column::new(
                "typologies".into(),
                text(&|r| r.typologies.iter().copied().collect::<Vec<_>>().join(";")),
            ),
            Column::new("amount_in_findings".into(), text(&|r| r.amount.to_string())),
            Column::new("currency".into(), text(&|_| data.currency().to_string())),
            Column::new(
                "transfers_out".into(),
                order
                    .iter()
                    .map(|r| data.graph.out_degree(r.account) as u32)
                    .collect::<Vec<u32>>(),
            ),
            Column::new(
                "transfers_in".into(),
                order
                    .iter()
                    .map(|r| data.graph.in_degree(r.account) as u32)
                    .collect::<Vec<u32>>(),
            ),
        ],
    )
    .map_err(polars_error(path))?;
    write_table(dir, "accounts", &mut df, options, written)
}

/// Asset totals as `{code: decimal string}`.
fn totals_json(data: &crate::ledger::Ledger, totals: &crate::trace::Totals) -> serde_json::Value {
    let map: serde_json::Map<String, serde_json::Value> = totals
        .iter()
        .map(|(a, v)| {
            (
                data.asset(*a).code.clone(),
                serde_json::Value::String(v.normalize().to_string()),
            )
        })
        .collect();
    serde_json::Value::Object(map)
}

/// The JSON form of a forward trace (`trace.json`): `rule`, `seeds`,
/// `traced_in`, `held`, `exited`, `dust` (asset code → decimal string),
/// `exited_by_reason`, `converted_in`, `converted_out`, `conserved`,
/// `holdings` (`account`, `asset`, `amount`, `share`, `hops`,
/// `first_time`, and `value` in the reporting currency when `fx` is given
/// and knows the asset) and, for `poison`, a note that it measures volume.
pub fn trace_json(
    ledger: &crate::ledger::Ledger,
    trace: &crate::trace::Trace,
    seeds: &[String],
    fx: Option<&crate::fx::FxTable>,
) -> serde_json::Value {
    let value = |asset: crate::model::AssetId, amount: Decimal| -> Option<String> {
        let rate = fx?.rate(&ledger.asset(asset).code)?;
        Some((amount * rate).round_dp(2).to_string())
    };
    let holdings: Vec<serde_json::Value> = trace
        .holdings
        .iter()
        .map(|h| {
            serde_json::json!({
                "account": ledger.account(h.account).key,
                "asset": ledger.asset(h.asset).code,
                "amount": h.amount.normalize().to_string(),
                "value": value(h.asset, h.amount),
                "share": (h.share * 10_000.0).round() / 10_000.0,
                "hops": h.hops,
                "first_time": time::to_rfc3339(h.first_time_us),
            })
        })
        .collect();
    let by_reason: serde_json::Map<String, serde_json::Value> = trace
        .exited
        .iter()
        .map(|(reason, totals)| (reason.clone(), totals_json(ledger, totals)))
        .collect();
    let mut value = serde_json::json!({
        "rule": trace.rule.name(),
        "seeds": seeds,
        "traced_in": totals_json(ledger, &trace.traced_in),
        "held": totals_json(ledger, &trace.held),
        "exited": totals_json(ledger, &trace.exited_total()),
        "dust": totals_json(ledger, &trace.dust),
        "exited_by_reason": by_reason,
        "converted_out": totals_json(ledger, &trace.converted_out),
        "converted_in": totals_json(ledger, &trace.converted_in),
        "conserved": trace.conserved(),
        "tainted_transfers": trace.flows.len(),
        "holdings": holdings,
        "currency": fx.map(|f| f.reporting.clone()),
    });
    if !trace.rule.conserves() {
        value["note"] = serde_json::Value::String(
            "poison taints whole payments: figures are tainted volume, not conserved value"
                .to_string(),
        );
    }
    value
}

/// Write `trace.json`, `holdings.csv` and `flows.csv` into `dir`, and as
/// `options` say, `report.html`, Parquet twins of the CSV files and the
/// trace's picture as `trace.dot` or `trace.graphml`. Returns the names of
/// the files.
///
/// # Errors
///
/// When a file cannot be written.
pub fn write_trace(
    dir: &Path,
    ledger: &crate::ledger::Ledger,
    trace: &crate::trace::Trace,
    seeds: &[String],
    fx: Option<&crate::fx::FxTable>,
    options: &OutputOptions,
) -> Result<Written> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let path = dir.join("trace.json");
    let text = serde_json::to_string_pretty(&trace_json(ledger, trace, seeds, fx))
        .map_err(|e| Error::format(&path, e.to_string()))?;
    let mut written = Written::new();
    write_text(dir, "trace.json", &(text + "\n"), &mut written)?;
    let h = &trace.holdings;
    let path = dir.join("holdings.csv");
    let mut df = DataFrame::new(
        h.len(),
        vec![
            Column::new(
                "account".into(),
                h.iter()
                    .map(|x| ledger.account(x.account).key.clone())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "asset".into(),
                h.iter()
                    .map(|x| ledger.asset(x.asset).code.clone())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "amount".into(),
                h.iter()
                    .map(|x| x.amount.normalize().to_string())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "share".into(),
                h.iter()
                    .map(|x| (x.share * 10_000.0).round() / 10_000.0)
                    .collect::<Vec<f64>>(),
            ),
            Column::new(
                "hops".into(),
                h.iter().map(|x| u32::from(x.hops)).collect::<Vec<u32>>(),
            ),
            Column::new(
                "first_time".into(),
                h.iter()
                    .map(|x| time::to_rfc3339(x.first_time_us))
                    .collect::<Vec<_>>(),
            ),
        ],
    )
    .map_err(polars_error(&path))?;
    write_table(dir, "holdings", &mut df, options, &mut written)?;
    let f = &trace.flows;
    let path = dir.join("flows.csv");
    let mut df = DataFrame::new(
        f.len(),
        vec![
            Column::new(
                "row".into(),
                f.iter()
                    .map(|x| ledger.source_rows()[x.transfer.index()])
                    .collect::<Vec<u32>>(),
            ),
            Column::new(
                "time".into(),
                f.iter()
                    .map(|x| time::to_rfc3339(ledger.times_us()[x.transfer.index()]))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "from".into(),
                f.iter()
                    .map(|x| {
                        ledger
                            .account(ledger.froms()[x.transfer.index()])
                            .key
                            .clone()
                    })
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "to".into(),
                f.iter()
                    .map(|x| ledger.account(ledger.tos()[x.transfer.index()]).key.clone())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "tainted_paid".into(),
                f.iter()
                    .map(|x| x.paid.normalize().to_string())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "asset_paid".into(),
                f.iter()
                    .map(|x| {
                        ledger
                            .asset(ledger.assets_paid()[x.transfer.index()])
                            .code
                            .clone()
                    })
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "tainted_received".into(),
                f.iter()
                    .map(|x| x.received.normalize().to_string())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "asset_received".into(),
                f.iter()
                    .map(|x| {
                        ledger
                            .asset(ledger.assets_received()[x.transfer.index()])
                            .code
                            .clone()
                    })
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "hops".into(),
                f.iter().map(|x| u32::from(x.hops)).collect::<Vec<u32>>(),
            ),
        ],
    )
    .map_err(polars_error(&path))?;
    write_table(dir, "flows", &mut df, options, &mut written)?;
    if options.html {
        let page = html::trace_html(ledger, trace, seeds, fx, &options.limits);
        write_text(dir, "report.html", &page, &mut written)?;
    }
    if let Some(format) = options.export {
        let rate = |code: &str| fx.and_then(|f| f.rate(code));
        let picture = Picture::of_trace(ledger, trace, rate, usize::MAX);
        let name = format!("trace.{}", format.extension());
        write_text(dir, &name, &format.render(&picture), &mut written)?;
    }
    Ok(written)
}

/// A backward trace to write: the balance of `account` at `at` explained,
/// asset by asset, under `rule`.
#[derive(Debug, Clone, Copy)]
pub struct BackwardTrace<'a> {
    /// The account's key.
    pub account: &'a str,
    /// The time of the balance (microseconds).
    pub at: i64,
    /// The allocation rule's name.
    pub rule: &'a str,
    /// One result per asset with a non-zero balance.
    pub balances: &'a [crate::trace::SourceOfFunds],
}

/// Write a backward trace: `trace.json`, `sources.csv` (one row per source
/// transfer; `sources.parquet` too with [`OutputOptions::parquet`]) and,
/// with [`OutputOptions::html`], `report.html` (see
/// [`html::sources_html`]).
///
/// # Errors
///
/// When a file cannot be written.
pub fn write_sources(
    dir: &Path,
    ledger: &crate::Ledger,
    backward: &BackwardTrace<'_>,
    options: &OutputOptions,
) -> Result<Written> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let at = time::to_rfc3339(backward.at);
    let code = |sof: &crate::trace::SourceOfFunds| ledger.asset(sof.asset).code.clone();
    let value = serde_json::json!({
        "direction": "backward",
        "rule": backward.rule,
        "account": backward.account,
        "at": at,
        "balances": backward.balances.iter().map(|sof| serde_json::json!({
            "asset": code(sof),
            "balance": sof.target_amount.normalize().to_string(),
            "traced": sof.traced.normalize().to_string(),
            "untraced": sof.untraced.normalize().to_string(),
            "truncated": sof.truncated,
            "sources": sof.sources.iter().map(|s| serde_json::json!({
                "account": ledger.account(s.account).key,
                "row": ledger.source_rows()[s.transfer.index()],
                "amount": s.amount.normalize().to_string(),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    });
    let path = dir.join("trace.json");
    let text =
        serde_json::to_string_pretty(&value).map_err(|e| Error::format(&path, e.to_string()))?;
    let mut written = Written::new();
    write_text(dir, "trace.json", &(text + "\n"), &mut written)?;
    let sources: Vec<(&crate::trace::SourceOfFunds, &crate::trace::Source)> = backward
        .balances
        .iter()
        .flat_map(|sof| sof.sources.iter().map(move |s| (sof, s)))
        .collect();
    let column = |f: &dyn Fn(&crate::trace::SourceOfFunds, &crate::trace::Source) -> String| {
        sources
            .iter()
            .map(|(sof, s)| f(sof, s))
            .collect::<Vec<String>>()
    };
    let path = dir.join("sources.csv");
    let mut df = DataFrame::new(
        sources.len(),
        vec![
            Column::new("asset".into(), column(&|sof, _| code(sof))),
            Column::new(
                "source_account".into(),
                column(&|_, s| ledger.account(s.account).key.clone()),
            ),
            Column::new(
                "row".into(),
                sources
                    .iter()
                    .map(|(_, s)| ledger.source_rows()[s.transfer.index()])
                    .collect::<Vec<u32>>(),
            ),
            Column::new(
                "time".into(),
                column(&|_, s| time::to_rfc3339(ledger.times_us()[s.transfer.index()])),
            ),
            Column::new(
                "amount".into(),
                column(&|_, s| s.amount.normalize().to_string()),
            ),
            Column::new("rule".into(), column(&|_, _| backward.rule.to_string())),
        ],
    )
    .map_err(polars_error(&path))?;
    write_table(dir, "sources", &mut df, options, &mut written)?;
    if options.html {
        let page = html::sources_html(ledger, backward, &options.limits);
        write_text(dir, "report.html", &page, &mut written)?;
    }
    Ok(written)
}

/// Write the clusters of a UTXO data set: `clusters.csv` (one row per
/// cluster of two or more addresses, or tagged: id, size, the first
/// address, entities and categories of its tags) and `addresses.csv`
/// (every address in a cluster of two or more, or tagged: its cluster and
/// each tag that applies, own or inherited), with Parquet twins when
/// `options.parquet`.
///
/// # Errors
///
/// When a file cannot be written.
pub fn write_clusters(
    dir: &Path,
    clusters: &crate::attribution::Clusters,
    applied: &BTreeMap<u32, Vec<crate::attribution::AppliedTag>>,
    options: &OutputOptions,
) -> Result<Written> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut written = Written::new();
    let shown = |c: usize| {
        clusters.members[c].len() > 1 || clusters.members[c].iter().any(|m| applied.contains_key(m))
    };
    let ids: Vec<usize> = (0..clusters.members.len()).filter(|&c| shown(c)).collect();
    let tag_text = |c: usize, f: fn(&crate::attribution::AppliedTag) -> String| {
        let mut set: std::collections::BTreeSet<String> = Default::default();
        for m in &clusters.members[c] {
            for t in applied.get(m).into_iter().flatten() {
                set.insert(f(t));
            }
        }
        set.into_iter().collect::<Vec<_>>().join(";")
    };
    let path = dir.join("clusters.csv");
    let mut df = DataFrame::new(
        ids.len(),
        vec![
            Column::new(
                "cluster".into(),
                ids.iter().map(|&c| c as u32).collect::<Vec<u32>>(),
            ),
            Column::new(
                "size".into(),
                ids.iter()
                    .map(|&c| clusters.members[c].len() as u32)
                    .collect::<Vec<u32>>(),
            ),
            Column::new(
                "first_address".into(),
                ids.iter()
                    .map(|&c| clusters.addresses[clusters.members[c][0] as usize].clone())
                    .collect::<Vec<String>>(),
            ),
            Column::new(
                "entities".into(),
                ids.iter()
                    .map(|&c| tag_text(c, |t| t.tag.entity.clone()))
                    .collect::<Vec<String>>(),
            ),
            Column::new(
                "categories".into(),
                ids.iter()
                    .map(|&c| tag_text(c, |t| t.tag.category.name().to_string()))
                    .collect::<Vec<String>>(),
            ),
        ],
    )
    .map_err(polars_error(&path))?;
    write_table(dir, "clusters", &mut df, options, &mut written)?;
    // one row per address and tag (or one row without a tag)
    let mut rows: Vec<(String, u32, String, String, bool, String, f64)> = Vec::new();
    for &c in &ids {
        for &m in &clusters.members[c] {
            let address = clusters.addresses[m as usize].clone();
            match applied.get(&m) {
                Some(tags) => {
                    for t in tags {
                        rows.push((
                            address.clone(),
                            c as u32,
                            t.tag.entity.clone(),
                            t.tag.category.name().to_string(),
                            t.inherited,
                            t.tag.address.clone(),
                            t.tag.confidence,
                        ));
                    }
                }
                None => rows.push((
                    address,
                    c as u32,
                    String::new(),
                    String::new(),
                    false,
                    String::new(),
                    0.0,
                )),
            }
        }
    }
    let path = dir.join("addresses.csv");
    let mut df = DataFrame::new(
        rows.len(),
        vec![
            Column::new(
                "address".into(),
                rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>(),
            ),
            Column::new(
                "cluster".into(),
                rows.iter().map(|r| r.1).collect::<Vec<u32>>(),
            ),
            Column::new(
                "entity".into(),
                rows.iter().map(|r| r.2.clone()).collect::<Vec<_>>(),
            ),
            Column::new(
                "category".into(),
                rows.iter().map(|r| r.3.clone()).collect::<Vec<_>>(),
            ),
            Column::new(
                "inherited".into(),
                rows.iter().map(|r| r.4).collect::<Vec<bool>>(),
            ),
            Column::new(
                "tagged_address".into(),
                rows.iter().map(|r| r.5.clone()).collect::<Vec<_>>(),
            ),
            Column::new(
                "confidence".into(),
                rows.iter().map(|r| r.6).collect::<Vec<f64>>(),
            ),
        ],
    )
    .map_err(polars_error(&path))?;
    write_table(dir, "addresses", &mut df, options, &mut written)?;
    Ok(written)
}

/// One line of the investigation's index.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseIndexEntry {
    /// Case reference.
    pub case_ref: String,
    /// Subject (pseudonymised when the case files are).
    pub subject: String,
    /// The case file's name.
    pub file: String,
    /// Whether the subject is in the data.
    pub found: bool,
    /// Value received (reporting currency).
    pub value_in: Decimal,
    /// Value paid.
    pub value_out: Decimal,
    /// Findings it takes part in.
    pub findings: usize,
    /// Other subjects it is linked to.
    pub links: usize,
    /// Value that could be frozen now (where priced).
    pub freezable_value: Decimal,
}

/// A file name made of a case reference: letters, digits, `.`, `-`, `_`.
fn file_part(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// One file name per case, distinct even on file systems that ignore case:
/// `case-<ref>.json`, or `case-<ref>-<n>.json` when a reference has several
/// subjects. A reference that is not all letters, digits, `.`, `-` and `_`
/// has the rest replaced and the first 8 hex digits of its SHA-256 added
/// (`a/b` → `case-a_b-<hash>.json`), so that `a/b`, `a?b` and `a_b` stay
/// apart; should two names still meet, a counter tells them apart.
fn case_file_names(refs: &[&str]) -> Vec<String> {
    use sha2::Digest;
    let mut per_ref: BTreeMap<&str, usize> = BTreeMap::new();
    for r in refs {
        *per_ref.entry(r).or_default() += 1;
    }
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut used: std::collections::BTreeSet<String> = Default::default();
    refs.iter()
        .map(|r| {
            let n = seen.entry(r).or_default();
            *n += 1;
            let mut stem = file_part(r);
            if stem != *r || stem.is_empty() {
                let hash = sha2::Sha256::digest(r.as_bytes());
                let hex: String = hash.iter().take(4).map(|b| format!("{b:02x}")).collect();
                stem = format!("{stem}-{hex}");
            }
            if per_ref[r] > 1 {
                stem = format!("{stem}-{n}");
            }
            let mut name = format!("case-{stem}.json");
            let mut k = 1;
            while !used.insert(name.to_ascii_lowercase()) {
                k += 1;
                name = format!("case-{stem}~{k}.json");
            }
            name
        })
        .collect()
}

/// Write an investigation: a case file per subject, `index.json` and
/// `index.csv`
/// (Parquet twin with `options.parquet`), `report.html` (with
/// `options.html`), and with `options.export` each subject's picture
/// (`pictures`, aligned with `cases`) as `graphs/case-<ref>.dot` or
/// `.graphml`. Pseudonymise the case files and pictures first if they are
/// to be shared: everything written here comes from them.
///
/// Case files are `case-<ref>.json` (`case-<ref>-<n>.json` when a reference
/// has several subjects), distinct even on file systems that ignore case: a
/// reference that is not all letters, digits, `.`, `-` and `_` has the rest
/// replaced and the first 8 hex digits of its SHA-256 added, and a counter
/// tells apart any names that still meet.
///
/// # Errors
///
/// When a file cannot be written.
pub fn write_cases(
    dir: &Path,
    cases: &[crate::investigate::CaseFile],
    pictures: &[Option<Picture>],
    pseudonymised: bool,
    options: &OutputOptions,
) -> Result<Written> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let refs: Vec<&str> = cases.iter().map(|c| c.case_ref.as_str()).collect();
    let names = case_file_names(&refs);
    let mut written = Written::new();
    let mut index = Vec::new();
    for (i, (c, name)) in cases.iter().zip(names).enumerate() {
        let path = dir.join(&name);
        let text =
            serde_json::to_string_pretty(c).map_err(|e| Error::format(&path, e.to_string()))?;
        write_text(dir, &name, &(text + "\n"), &mut written)?;
        if let (Some(format), Some(Some(picture))) = (options.export, pictures.get(i)) {
            let stem = name.trim_end_matches(".json");
            let graph = format!("graphs/{stem}.{}", format.extension());
            write_text(dir, &graph, &format.render(picture), &mut written)?;
        }
        index.push(CaseIndexEntry {
            case_ref: c.case_ref.clone(),
            subject: c.subject.clone(),
            file: name,
            found: c.found,
            value_in: c.total.value_in,
            value_out: c.total.value_out,
            findings: c.findings.len(),
            links: c.links.len(),
            freezable_value: c.freezable.iter().filter_map(|h| h.value).sum(),
        });
    }
    let path = dir.join("index.json");
    let value = serde_json::json!({
        "pseudonymised": pseudonymised,
        "subjects": index,
    });
    let text =
        serde_json::to_string_pretty(&value).map_err(|e| Error::format(&path, e.to_string()))?;
    write_text(dir, "index.json", &(text + "\n"), &mut written)?;
    let path = dir.join("index.csv");
    let col = |f: fn(&CaseIndexEntry) -> String| index.iter().map(f).collect::<Vec<String>>();
    let mut df = DataFrame::new(
        index.len(),
        vec![
            Column::new("case_ref".into(), col(|e| e.case_ref.clone())),
            Column::new("subject".into(), col(|e| e.subject.clone())),
            Column::new("file".into(), col(|e| e.file.clone())),
            Column::new(
                "found".into(),
                index.iter().map(|e| e.found).collect::<Vec<bool>>(),
            ),
            Column::new("value_in".into(), col(|e| e.value_in.to_string())),
            Column::new("value_out".into(), col(|e| e.value_out.to_string())),
            Column::new(
                "findings".into(),
                index
                    .iter()
                    .map(|e| e.findings as u32)
                    .collect::<Vec<u32>>(),
            ),
            Column::new(
                "links".into(),
                index.iter().map(|e| e.links as u32).collect::<Vec<u32>>(),
            ),
            Column::new(
                "freezable_value".into(),
                col(|e| e.freezable_value.to_string()),
            ),
        ],
    )
    .map_err(polars_error(&path))?;
    write_table(dir, "index", &mut df, options, &mut written)?;
    if options.html {
        let page = html::investigation_html(cases, &index, pseudonymised, &options.limits);
        write_text(dir, "report.html", &page, &mut written)?;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::case_file_names;

    #[test]
    fn case_file_names_never_meet() {
        let refs = ["a/b", "a_b", "a?b", "A_B", "x", "x", "x-1", ""];
        let names = case_file_names(&refs);
        let mut lower: Vec<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
        lower.sort();
        lower.dedup();
        assert_eq!(lower.len(), refs.len(), "{names:?}");
        assert_eq!(names[1], "case-a_b.json");
        assert!(
            names[0].starts_with("case-a_b-") && names[0].len() == "case-a_b-12345678.json".len()
        );
        assert_eq!(names[4], "case-x-1.json");
        assert_eq!(names[5], "case-x-2.json");
        assert_eq!(names[6], "case-x-1~2.json");
        // the same references give the same names
        assert_eq!(case_file_names(&refs), names);
    }
}
