//! Small comma-separated files with a header (subject lists, tag files):
//! read whole, columns found by name in any case, and errors that name the
//! file, row, line and column like every other reader.

use crate::error::{Error, Reason, Result, RowError};
use std::path::{Path, PathBuf};

/// A small file: its header and data lines (blank lines skipped).
pub(crate) struct SmallCsv {
    path: PathBuf,
    header: String,
    names: Vec<String>,
    /// (1-based line, text) of each data row.
    lines: Vec<(u64, String)>,
}

/// One data row.
pub(crate) struct SmallRow<'a> {
    path: &'a Path,
    row: u64,
    line: u64,
    fields: Vec<&'a str>,
}

impl SmallCsv {
    /// Read a file; `None` when it holds no header.
    pub(crate) fn read(path: &Path) -> Result<Option<SmallCsv>> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| (i as u64 + 1, l.to_string()));
        let Some((_, header)) = lines.next() else {
            return Ok(None);
        };
        let names = header
            .split(',')
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        Ok(Some(SmallCsv {
            path: path.to_path_buf(),
            header,
            names,
            lines: lines.collect(),
        }))
    }

    /// The first column named one of `names` (lower case), if any.
    pub(crate) fn column(&self, names: &[&str]) -> Option<usize> {
        self.names.iter().position(|n| names.contains(&n.as_str()))
    }

    /// The first column named one of `names`; an error naming `names[0]`
    /// and the header when there is none.
    pub(crate) fn require(&self, names: &[&str]) -> Result<usize> {
        self.column(names).ok_or_else(|| {
            Error::format(
                &self.path,
                format!("no column {:?}; the header is {:?}", names[0], self.header),
            )
        })
    }

    /// The data rows, in order (0-based row numbers, header excluded).
    pub(crate) fn rows(&self) -> impl Iterator<Item = SmallRow<'_>> {
        self.lines
            .iter()
            .enumerate()
            .map(|(row, (line, text))| SmallRow {
                path: &self.path,
                row: row as u64,
                line: *line,
                fields: text.split(',').map(str::trim).collect(),
            })
    }
}

impl SmallRow<'_> {
    /// A field, trimmed; empty when the column is absent or the row short.
    pub(crate) fn get(&self, column: Option<usize>) -> &str {
        column
            .and_then(|c| self.fields.get(c))
            .copied()
            .unwrap_or("")
    }

    /// An error about this row.
    pub(crate) fn error(&self, column: &str, value: &str, reason: Reason) -> Error {
        RowError {
            path: self.path.to_path_buf(),
            line: Some(self.line),
            ..RowError::new(self.row, column, value, reason)
        }
        .into()
    }
}
