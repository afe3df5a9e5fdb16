//! Results as JSON records for Python: amounts as exact decimal strings,
//! times as RFC 3339 text, accounts and assets by key. One record per row
//! of the DataFrame `moneytrail/__init__.py` builds.

use crate::errors::argument;
use moneytrail::ingest::LoadReport;
use moneytrail::time::to_rfc3339;
use moneytrail::Ledger;
use pyo3::PyResult;
use serde::Serialize;

/// JSON text of `value`; failing is a bug, reported as an error all the same.
pub(crate) fn json(value: &impl Serialize) -> PyResult<String> {
    serde_json::to_string(value).map_err(|e| argument(format!("cannot encode a result: {e}")))
}

#[derive(Serialize)]
struct Rejected<'a> {
    row: u64,
    line: Option<u64>,
    column: &'a str,
    value: &'a str,
    reason: &'static str,
    detail: Option<&'a str>,
}

#[derive(Serialize)]
struct Report<'a> {
    path: String,
    layout: String,
    layout_detected: bool,
    rows_read: u64,
    rows_loaded: u64,
    rows_rejected: u64,
    rejected_by_reason: &'a std::collections::BTreeMap<String, u64>,
    rejected: Vec<Rejected<'a>>,
    rejected_not_listed: u64,
    notes: &'a [String],
    seconds: f64,
}

/// The load report.
pub(crate) fn load_report(r: &LoadReport, seconds: f64) -> PyResult<String> {
    json(&Report {
        path: r.path.display().to_string(),
        layout: r.layout.to_string(),
        layout_detected: r.layout_detected,
        rows_read: r.rows_read,
        rows_loaded: r.rows_loaded,
        rows_rejected: r.rows_rejected,
        rejected_by_reason: &r.rejected_by_reason,
        rejected: r
            .rejected
            .iter()
            .map(|x| Rejected {
                row: x.0.row,
                line: x.0.line,
                column: &x.0.column,
                value: &x.0.value,
                reason: x.0.reason.name(),
                detail: x.0.detail.as_deref(),
            })
            .collect(),
        rejected_not_listed: r.rejected_not_listed,
        notes: &r.notes,
        seconds,
    })
}

#[derive(Serialize)]
struct TransferRecord<'a> {
    row: u32,
    time: String,
    from: &'a str,
    to: &'a str,
    amount_paid: String,
    asset_paid: &'a str,
    amount_received: String,
    asset_received: &'a str,
    channel: &'static str,
    tx_id: Option<&'a str>,
}

/// Every transfer, in ledger (time) order.
pub(crate) fn transfers(l: &Ledger) -> PyResult<String> {
    let records: Vec<TransferRecord<'_>> = (0..l.len())
        .map(|x| TransferRecord {
            row: l.source_rows()[x],
            time: to_rfc3339(l.times_us()[x]),
            from: &l.account(l.froms()[x]).key,
            to: &l.account(l.tos()[x]).key,
            amount_paid: l.amounts_paid()[x].to_string(),
            asset_paid: &l.asset(l.assets_paid()[x]).code,
            amount_received: l.amounts_received()[x].to_string(),
            asset_received: &l.asset(l.assets_received()[x]).code,
            channel: l.channels()[x].name(),
            tx_id: l.tx_ids().and_then(|ids| ids.get(x)),
        })
        .collect();
    json(&records)
}
