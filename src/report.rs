//! Writing results: findings as JSON and CSV, flagged accounts as CSV
//! (through a polars DataFrame), and the run's summary as JSON.
//!
//! The JSON field names are a contract other tools parse (see DESIGN.md):
//! fields may be added, never renamed.

use crate::detect::{Analysis, DetectConfig, Finding, Valued};
use crate::error::{Error, Result};
use crate::ingest::LoadReport;
use crate::model::AccountId;
use crate::time;
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

impl FindingRecord {
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
    move |e| Error::format(path, format!("writing CSV: {e}"))
}

/// Write `findings.json`, `findings.csv`, `accounts.csv` and
/// `summary.json` into `dir` (created if missing).
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
) -> Result<Vec<FindingRecord>> {
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
    write_findings_csv(&dir.join("findings.csv"), &records)?;
    write_accounts_csv(&dir.join("accounts.csv"), data, &analysis.findings)?;
    let summary = RunSummary {
        input: load.path.display().to_string(),
        layout: load.layout.name().to_string(),
        rows_loaded: load.rows_loaded,
        rows_rejected: load.rows_rejected,
        findings_per_typology: analysis.per_typology(),
        truncated: analysis.any_truncated(),
        truncated_per_detector: &analysis.truncated,
        seconds_per_detector: &analysis.seconds,
        seconds_load,
        parameters: config,
        fx: &data.fx,
        threads: rayon::current_num_threads(),
    };
    let path = dir.join("summary.json");
    let text =
        serde_json::to_string_pretty(&summary).map_err(|e| Error::format(&path, e.to_string()))?;
    std::fs::write(&path, text + "\n").map_err(io(&path))?;
    Ok(records)
}

fn joined<T: ToString>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(";")
}

fn write_csv(path: &Path, df: &mut DataFrame) -> Result<()> {
    let file = std::fs::File::create(path).map_err(io(path))?;
    CsvWriter::new(std::io::BufWriter::new(file))
        .include_header(true)
        .finish(df)
        .map_err(polars_error(path))
}

fn write_findings_csv(path: &Path, records: &[FindingRecord]) -> Result<()> {
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
    write_csv(path, &mut df)
}

/// Per flagged account: its combined score, typologies, and counts.
#[derive(Debug, Clone, Default)]
struct AccountRow {
    score_complement: f64,
    max_score: f64,
    findings: u32,
    typologies: std::collections::BTreeSet<&'static str>,
    amount: Decimal,
}

fn write_accounts_csv(path: &Path, data: &Valued<'_>, findings: &[Finding]) -> Result<()> {
    let mut rows: BTreeMap<AccountId, AccountRow> = BTreeMap::new();
    for f in findings {
        for &a in &f.accounts {
            let row = rows.entry(a).or_insert(AccountRow {
                score_complement: 1.0,
                ..AccountRow::default()
            });
            row.score_complement *= 1.0 - f.score;
            row.max_score = row.max_score.max(f.score);
            row.findings += 1;
            row.typologies.insert(f.typology.name());
            row.amount += f.amount;
        }
    }
    // highest combined score first, then by key
    let mut order: Vec<(AccountId, AccountRow)> = rows.into_iter().collect();
    let combined = |r: &AccountRow| ((1.0 - r.score_complement) * 10_000.0).round() / 10_000.0;
    order.sort_by(|a, b| {
        combined(&b.1)
            .total_cmp(&combined(&a.1))
            .then_with(|| data.key(a.0).cmp(data.key(b.0)))
    });
    let l = data.graph.ledger();
    let acct = |a: AccountId| l.account(a);
    let text = |f: &dyn Fn(&(AccountId, AccountRow)) -> String| {
        order.iter().map(f).collect::<Vec<String>>()
    };
    let mut df = DataFrame::new(
        order.len(),
        vec![
            Column::new("account".into(), text(&|r| acct(r.0).key.clone())),
            Column::new(
                "institution".into(),
                text(&|r| acct(r.0).institution.clone().unwrap_or_default()),
            ),
            Column::new(
                "jurisdiction".into(),
                text(&|r| acct(r.0).jurisdiction.clone().unwrap_or_default()),
            ),
            Column::new("kind".into(), text(&|r| acct(r.0).kind.name().to_string())),
            Column::new(
                "score".into(),
                order.iter().map(|r| combined(&r.1)).collect::<Vec<f64>>(),
            ),
            Column::new(
                "max_finding_score".into(),
                order
                    .iter()
                    .map(|r| (r.1.max_score * 10_000.0).round() / 10_000.0)
                    .collect::<Vec<f64>>(),
            ),
            Column::new(
                "findings".into(),
                order.iter().map(|r| r.1.findings).collect::<Vec<u32>>(),
            ),
            Column::new(
                "typologies".into(),
                text(&|r| r.1.typologies.iter().copied().collect::<Vec<_>>().join(";")),
            ),
            Column::new(
                "amount_in_findings".into(),
                text(&|r| r.1.amount.to_string()),
            ),
            Column::new("currency".into(), text(&|_| data.currency().to_string())),
            Column::new(
                "transfers_out".into(),
                order
                    .iter()
                    .map(|r| data.graph.out_degree(r.0) as u32)
                    .collect::<Vec<u32>>(),
            ),
            Column::new(
                "transfers_in".into(),
                order
                    .iter()
                    .map(|r| data.graph.in_degree(r.0) as u32)
                    .collect::<Vec<u32>>(),
            ),
        ],
    )
    .map_err(polars_error(path))?;
    write_csv(path, &mut df)
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

/// Write `trace.json`, `holdings.csv` and `flows.csv` into `dir`.
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
) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let path = dir.join("trace.json");
    let text = serde_json::to_string_pretty(&trace_json(ledger, trace, seeds, fx))
        .map_err(|e| Error::format(&path, e.to_string()))?;
    std::fs::write(&path, text + "\n").map_err(io(&path))?;
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
    write_csv(&path, &mut df)?;
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
    write_csv(&path, &mut df)
}
