//! IBM AMLworld patterns files: laundering attempts as labelled blocks of
//! AMLworld transaction rows.
//!
//! ```text
//! BEGIN LAUNDERING ATTEMPT - FAN-OUT:  Max 16-degree Fan-Out
//! 2022/09/01 00:06,021174,800737690,012,80011F990,2848.96,Euro,2848.96,Euro,ACH,1
//! END LAUNDERING ATTEMPT - FAN-OUT
//! ```
//!
//! Data rows are the transaction lines, numbered from 0 in file order
//! (BEGIN/END and blank lines are not rows).

use super::batch::{Batch, Col};
use super::layouts::{self, AMLWORLD};
use super::Sink;
use crate::error::{Error, Reason, Result, RowError};
use serde::Serialize;
use std::path::Path;

/// One labelled laundering attempt of a patterns file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LaunderingAttempt {
    /// The typology as the file spells it (`FAN-OUT`, `CYCLE`, `RANDOM`…).
    pub typology: String,
    /// The text after the colon, e.g. `Max 16-degree Fan-Out`.
    pub detail: Option<String>,
    /// The attempt's transactions, as 0-based data rows of the file.
    pub rows: Vec<u32>,
    /// The 1-based line of its `BEGIN` line.
    pub line: u64,
}

impl LaunderingAttempt {
    /// The typology in moneytrail's snake_case naming (`fan_out`, `cycle`,
    /// `gather_scatter`, `random`…).
    pub fn typology_name(&self) -> String {
        self.typology
            .trim()
            .to_ascii_lowercase()
            .replace(['-', ' '], "_")
    }
}

const BEGIN: &str = "BEGIN LAUNDERING ATTEMPT - ";
const END: &str = "END LAUNDERING ATTEMPT - ";

pub(super) fn read(path: &Path, sink: &mut Sink<'_>) -> Result<Vec<LaunderingAttempt>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let bytes = super::json::strip_bom(&bytes);
    let mut attempts: Vec<LaunderingAttempt> = Vec::new();
    let mut open: Option<LaunderingAttempt> = None;
    let mut cols: Vec<Vec<Option<&str>>> = vec![Vec::new(); AMLWORLD.len()];
    let mut rows = Vec::new();
    let mut lines = Vec::new();
    let mut bad = Vec::new();
    let mut next_row: u64 = 0;
    for (index, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line_no = index as u64 + 1;
        // a line that is not UTF-8 is a bad data row when it is one
        let lossy: String;
        let (line, invalid) = match std::str::from_utf8(raw) {
            Ok(text) => (text.trim(), None),
            Err(e) => {
                lossy = String::from_utf8_lossy(raw).into_owned();
                (lossy.trim(), Some(e.valid_up_to()))
            }
        };
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix(BEGIN) {
            if let Some(unclosed) = &open {
                return Err(Error::format(
                    path,
                    format!(
                        "line {line_no}: new attempt begins before the {} attempt of line {} ends",
                        unclosed.typology, unclosed.line
                    ),
                ));
            }
            open = Some(begin(rest, line_no));
            continue;
        }
        if let Some(rest) = line.strip_prefix(END) {
            attempts.push(end(path, open.take(), rest, line_no)?);
            continue;
        }
        let Some(attempt) = open.as_mut() else {
            return Err(Error::format(
                path,
                format!("line {line_no}: a transaction outside any BEGIN/END block"),
            ));
        };
        let row = next_row;
        next_row += 1;
        let row_u32 = u32::try_from(row).map_err(|_| {
            Error::from(crate::error::ErrorKind::TooManyRows {
                path: path.to_path_buf(),
            })
        })?;
        attempt.rows.push(row_u32);
        if let Some(at) = invalid {
            bad.push(RowError {
                path: path.to_path_buf(),
                line: Some(line_no),
                ..RowError::new(row, "(record)", line, Reason::BadValue)
                    .with_detail(format!("not valid UTF-8 at byte {at}"))
            });
            continue;
        }
        let Ok(line) = std::str::from_utf8(raw) else {
            continue; // not reached: checked just above
        };
        let fields: Vec<&str> = line.trim().split(',').collect();
        if fields.len() != AMLWORLD.len() {
            bad.push(RowError {
                path: path.to_path_buf(),
                line: Some(line_no),
                ..RowError::new(row, "(record)", line, Reason::WrongFieldCount).with_detail(
                    format!("expected {} fields, found {}", AMLWORLD.len(), fields.len()),
                )
            });
            continue;
        }
        for (col, field) in cols.iter_mut().zip(fields) {
            col.push(Some(field));
        }
        rows.push(row);
        lines.push(line_no);
    }
    if let Some(unclosed) = open {
        return Err(Error::format(
            path,
            format!(
                "the {} attempt that begins on line {} never ends",
                unclosed.typology, unclosed.line
            ),
        ));
    }
    let batch = Batch {
        cols: cols.into_iter().map(Col::Text).collect(),
        rows,
        lines: Some(lines),
        plain: None,
    };
    sink.take_batch(&batch, AMLWORLD, bad, &layouts::parse_amlworld)?;
    Ok(attempts)
}

/// The attempt a `BEGIN LAUNDERING ATTEMPT - ` line on `line_no` opens;
/// `rest` is what follows the marker: the typology and, after a colon, its
/// detail.
fn begin(rest: &str, line_no: u64) -> LaunderingAttempt {
    let (typology, detail) = match rest.split_once(':') {
        Some((t, d)) => (
            t.trim(),
            Some(d.trim().to_string()).filter(|d| !d.is_empty()),
        ),
        None => (rest.trim(), None),
    };
    LaunderingAttempt {
        typology: typology.to_string(),
        detail,
        rows: Vec::new(),
        line: line_no,
    }
}

/// Close the `open` attempt at an `END LAUNDERING ATTEMPT - ` line: an
/// error when none is open or the typologies differ.
fn end(
    path: &Path,
    open: Option<LaunderingAttempt>,
    rest: &str,
    line_no: u64,
) -> Result<LaunderingAttempt> {
    let typology = rest.split(':').next().unwrap_or("").trim();
    match open {
        Some(attempt) if attempt.typology == typology => Ok(attempt),
        Some(attempt) => Err(Error::format(
            path,
            format!(
                "line {line_no}: END of a {typology} attempt, but the open attempt (line {}) is {}",
                attempt.line, attempt.typology
            ),
        )),
        None => Err(Error::format(
            path,
            format!("line {line_no}: END without a matching BEGIN"),
        )),
    }
}
