//! Results as JSON records for Python: amounts as exact decimal strings,
//! times as RFC 3339 text, accounts and assets by key. One record per row
//! of the DataFrame `moneytrail/__init__.py` builds.

use crate::errors::argument;
use crate::table::Table;
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

/// Every transfer, in ledger (time) order.
pub(crate) fn transfers(l: &Ledger) -> Table {
    let n = l.len();
    let code = |a: moneytrail::AssetId| Some(l.asset(a).code.as_str());
    let key = |a: moneytrail::AccountId| Some(l.account(a).key.as_str());
    Table::new(n)
        .u32s("row", l.source_rows().to_vec())
        .texts(
            "time",
            l.times_us().iter().map(|&t| Some(to_rfc3339(t))).collect(),
        )
        .texts("from", l.froms().iter().map(|&a| key(a)).collect())
        .texts("to", l.tos().iter().map(|&a| key(a)).collect())
        .texts(
            "amount_paid",
            l.amounts_paid()
                .iter()
                .map(|v| Some(v.to_string()))
                .collect(),
        )
        .texts(
            "asset_paid",
            l.assets_paid().iter().map(|&a| code(a)).collect(),
        )
        .texts(
            "amount_received",
            l.amounts_received()
                .iter()
                .map(|v| Some(v.to_string()))
                .collect(),
        )
        .texts(
            "asset_received",
            l.assets_received().iter().map(|&a| code(a)).collect(),
        )
        .texts(
            "channel",
            l.channels().iter().map(|c| Some(c.name())).collect(),
        )
        .texts(
            "tx_id",
            (0..n)
                .map(|x| l.tx_ids().and_then(|ids| ids.get(x)))
                .collect(),
        )
}
