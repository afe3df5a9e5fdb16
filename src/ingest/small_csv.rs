//! Small comma-separated files (subject lists, tags, FX rates, opening
//! balances): read whole, quoted as RFC 4180 says (the same structure scan
//! as the transfers reader), columns found by name in any case, and errors
//! that name the file, row, line and column like every other reader.

use super::csv_chunks::{scan_record, split_clean};
use crate::error::{Error, Reason, Result, RowError};
use std::path::{Path, PathBuf};

/// One record of a small file: its fields, unquoted and trimmed.
#[derive(Debug, Clone)]
pub(crate) struct SmallRecord {
    /// 1-based line where the record starts.
    pub(crate) line: u64,
    /// The fields.
    pub(crate) fields: Vec<String>,
}

/// Every record of a small file, in order: blank lines skipped, and with
/// `comments` lines whose first visible character is `#` too. A UTF-8 byte
/// order mark at the start is dropped. A badly quoted record or one that is
/// not UTF-8 is an error: these files are short and must be right. With
/// `header`, the first record is the header and data rows count from the
/// second.
pub(crate) fn records(path: &Path, comments: bool, header: bool) -> Result<Vec<SmallRecord>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let bytes = super::json::strip_bom(&bytes);
    let mut out = Vec::new();
    let (mut pos, mut line) = (0usize, 1u64);
    while pos < bytes.len() {
        let Some(scanned) = scan_record(bytes, pos, true) else {
            break; // not reached: at the end, every record ends
        };
        let raw = &bytes[pos..scanned.end];
        let here = line;
        line += scanned.newlines;
        pos = scanned.end;
        let visible = raw.iter().find(|b| !b.is_ascii_whitespace());
        if visible.is_none() || (comments && visible == Some(&b'#')) {
            continue;
        }
        let bad = |reason: Reason, column: &str, detail: String| -> Error {
            if header && out.is_empty() {
                return Error::format(path, format!("line {here}: the header: {detail}"));
            }
            let row = out.len() as u64 - u64::from(header);
            RowError {
                path: path.to_path_buf(),
                line: Some(here),
                ..RowError::new(row, column, &String::from_utf8_lossy(raw), reason)
            }
            .with_detail(detail)
            .into()
        };
        if let Some((field, quoting)) = scanned.problem {
            return Err(bad(
                Reason::BadQuoting,
                &format!("(field {})", field + 1),
                quoting.detail().to_string(),
            ));
        }
        let text = std::str::from_utf8(raw).map_err(|e| {
            bad(
                Reason::BadValue,
                "(record)",
                format!("not valid UTF-8 at byte {}", e.valid_up_to()),
            )
        })?;
        let text = text.trim_end_matches(['\n', '\r']);
        let fields = split_clean(text)
            .into_iter()
            .map(|f| f.map(|f| f.trim().to_string()).unwrap_or_default())
            .collect();
        out.push(SmallRecord { line: here, fields });
    }
    Ok(out)
}

/// A small file whose first record is its header.
pub(crate) struct SmallCsv {
    path: PathBuf,
    header: String,
    names: Vec<String>,
    records: Vec<SmallRecord>,
}

/// One data row.
pub(crate) struct SmallRow<'a> {
    path: &'a Path,
    row: u64,
    record: &'a SmallRecord,
}

impl SmallCsv {
    /// Read a file; `None` when it holds no header.
    pub(crate) fn read(path: &Path) -> Result<Option<SmallCsv>> {
        let mut records = records(path, false, true)?.into_iter();
        let Some(header) = records.next() else {
            return Ok(None);
        };
        Ok(Some(SmallCsv {
            path: path.to_path_buf(),
            header: header.fields.join(","),
            names: header
                .fields
                .iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
            records: records.collect(),
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
        self.records
            .iter()
            .enumerate()
            .map(|(row, record)| SmallRow {
                path: &self.path,
                row: row as u64,
                record,
            })
    }
}

impl SmallRow<'_> {
    /// A field, trimmed; empty when the column is absent or the row short.
    pub(crate) fn get(&self, column: Option<usize>) -> &str {
        column
            .and_then(|c| self.record.fields.get(c))
            .map_or("", String::as_str)
    }

    /// An error about this row.
    pub(crate) fn error(&self, column: &str, value: &str, reason: Reason) -> Error {
        RowError {
            path: self.path.to_path_buf(),
            line: Some(self.record.line),
            ..RowError::new(self.row, column, value, reason)
        }
        .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_keep_their_commas_and_quotes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.csv");
        std::fs::write(
            &path,
            "\u{feff}case_ref,subject\n\"OP,1\",\"say \"\"hi\"\"\"\n\n# not a comment here\n",
        )
        .unwrap();
        let t = SmallCsv::read(&path).unwrap().unwrap();
        let rows: Vec<(String, String)> = t
            .rows()
            .map(|r| (r.get(Some(0)).to_string(), r.get(Some(1)).to_string()))
            .collect();
        assert_eq!(
            rows,
            [
                ("OP,1".to_string(), "say \"hi\"".to_string()),
                ("# not a comment here".to_string(), String::new())
            ]
        );
        std::fs::write(&path, "a,b\nx,y\"z\n").unwrap();
        let e = SmallCsv::read(&path).err().unwrap().to_string();
        assert!(e.contains("row 0 (line 2)"), "{e}");
    }
}
