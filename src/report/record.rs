//! The findings.json record: one type that `analyze` writes and `score`,
//! `goaml` and the report read.

use super::files::io;

use crate::detect::Finding;
use crate::error::{Error, Result};
use crate::time;
use crate::Valued;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
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
    /// The learned model's highest transfer score in the finding, when
    /// `analyze` ran with `--model`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_score: Option<f64>,
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
            model_score: None,
        }
    }
}
