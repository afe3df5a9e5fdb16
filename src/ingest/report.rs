//! What a load did: rows read, loaded and rejected, and why.

use super::layouts::Layout;
use crate::error::{Reason, RowError};
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// The account of one load. It always reconciles:
/// `rows_read == rows_loaded + rows_rejected`.
#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    /// The file read.
    pub path: PathBuf,
    /// The layout read.
    pub layout: Layout,
    /// Whether the layout was recognised from the file (`--format auto`).
    pub layout_detected: bool,
    /// Data rows read (header and blank lines excluded).
    pub rows_read: u64,
    /// Rows that became transfers.
    pub rows_loaded: u64,
    /// Rows skipped because they were bad (lenient loading only).
    pub rows_rejected: u64,
    /// Rejected rows per reason (snake_case reason names).
    pub rejected_by_reason: BTreeMap<String, u64>,
    /// The rejected rows, in row order (the first
    /// [`LoadOptions::max_listed_rejections`](super::LoadOptions::max_listed_rejections)).
    pub rejected: Vec<RejectedRow>,
    /// Rejected rows beyond those listed.
    pub rejected_not_listed: u64,
    /// Things the reader did that the user should know (values kept
    /// verbatim, columns ignored, labels read from another file).
    pub notes: Vec<String>,
}

/// A rejected row in a load report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRow(pub RowError);

impl Serialize for RejectedRow {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let e = &self.0;
        let mut st = s.serialize_struct("RejectedRow", 7)?;
        st.serialize_field("row", &e.row)?;
        st.serialize_field("line", &e.line)?;
        st.serialize_field("column", &e.column)?;
        st.serialize_field("value", &e.value)?;
        st.serialize_field("reason", e.reason.name())?;
        st.serialize_field("detail", &e.detail)?;
        st.serialize_field("message", &e.to_string())?;
        st.end()
    }
}

impl LoadReport {
    pub(crate) fn new(path: PathBuf, layout: Layout, layout_detected: bool) -> LoadReport {
        LoadReport {
            path,
            layout,
            layout_detected,
            rows_read: 0,
            rows_loaded: 0,
            rows_rejected: 0,
            rejected_by_reason: BTreeMap::new(),
            rejected: Vec::new(),
            rejected_not_listed: 0,
            notes: Vec::new(),
        }
    }

    pub(crate) fn reject(&mut self, error: RowError, max_listed: usize) {
        self.rows_rejected += 1;
        *self
            .rejected_by_reason
            .entry(error.reason.name().to_string())
            .or_insert(0) += 1;
        if self.rejected.len() < max_listed {
            self.rejected.push(RejectedRow(error));
        } else {
            self.rejected_not_listed += 1;
        }
    }

    /// Whether the counts reconcile (they always should).
    pub fn reconciles(&self) -> bool {
        self.rows_read == self.rows_loaded + self.rows_rejected
            && self.rejected_by_reason.values().sum::<u64>() == self.rows_rejected
    }

    /// The number of rows rejected for one reason.
    pub fn rejected_for(&self, reason: Reason) -> u64 {
        self.rejected_by_reason
            .get(reason.name())
            .copied()
            .unwrap_or(0)
    }
}

/// The report as `summary` prints it: layout, the reconciled counts, the
/// reasons and the first ten rejected rows, and the notes.
impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: layout {}{}",
            self.path.display(),
            self.layout,
            if self.layout_detected {
                " (recognised from the file)"
            } else {
                " (as asked)"
            }
        )?;
        writeln!(
            f,
            "rows read {} = loaded {} + rejected {}",
            self.rows_read, self.rows_loaded, self.rows_rejected
        )?;
        for (reason, n) in &self.rejected_by_reason {
            writeln!(f, "  rejected {n:>8}  {reason}")?;
        }
        for rejected in self.rejected.iter().take(10) {
            writeln!(f, "  {}", rejected.0)?;
        }
        let listed = self.rejected.len().min(10) as u64;
        if self.rows_rejected > listed {
            writeln!(
                f,
                "  … and {} more rejected rows",
                self.rows_rejected - listed
            )?;
        }
        for note in &self.notes {
            writeln!(f, "note: {note}")?;
        }
        Ok(())
    }
}
