//! The transfers layout in JSON lines: one JSON object per line, keys named
//! as the CSV columns. Values may be strings, numbers (read from their exact
//! text, never through floating point), booleans or null.
//!
//! ```text
//! {"tx_id":"t1","time":"2024-03-01T12:00:00Z","from":"alice","to":"bob","amount":"100.50","asset":"EUR"}
//! ```

use super::batch::{Batch, Col};
use super::json::{strip_bom, text_of, Object};
use super::layouts::{Layout, TRANSFERS};
use super::{layouts, Sink};
use crate::error::{Error, Reason, Result, RowError};
use rayon::prelude::*;
use std::collections::BTreeSet;
use std::fs::File;
use std::io::Read;
use std::path::Path;

/// Why a line is bad: the column (or `(record)`), and what is wrong.
type BadLine = (&'static str, String);

/// One line: its values in the order of [`TRANSFERS`], or why it is bad.
type Line = std::result::Result<Vec<Option<String>>, BadLine>;

/// Keys are matched to columns exactly first, then in any case; a key
/// repeated, or case variants of a column without its exact name, make the
/// line bad (so which value is read never depends on key order).
fn parse_line(line: &str, unknown: &mut BTreeSet<String>) -> Line {
    let object = Object::parse(line).map_err(|e| {
        let why = if e.is_syntax() || e.is_eof() {
            "not valid JSON"
        } else {
            "expected a JSON object of named values"
        };
        ("(record)", why.to_string())
    })?;
    let mut values = vec![None; TRANSFERS.len()];
    for (col, spec) in TRANSFERS.iter().enumerate() {
        let raw = object
            .get(spec.name, true)
            .map_err(|e| (spec.label, e.to_string()))?;
        let Some(raw) = raw else { continue };
        let text = raw.get();
        if text.starts_with('{') || text.starts_with('[') {
            return Err((spec.label, "the value is an object or array".to_string()));
        }
        values[col] = text_of(raw);
    }
    for key in object.keys() {
        match TRANSFERS.iter().find(|c| c.name.eq_ignore_ascii_case(key)) {
            None => {
                unknown.insert(key.to_string());
            }
            // a case variant beside the exact name is not read: say so
            Some(c) if c.name != key && object.keys().any(|k| k == c.name) => {
                unknown.insert(format!("{key} (beside {})", c.name));
            }
            Some(_) => {}
        }
    }
    Ok(values)
}

/// One chunk's lines parsed: the values of the good ones, column by
/// column, with their rows and lines, and the bad ones' errors.
struct Chunk {
    cols: Vec<Vec<Option<String>>>,
    rows: Vec<u64>,
    lines: Vec<u64>,
    bad: Vec<RowError>,
}

impl Chunk {
    /// Parse `lines` (row, line, text) in parallel, in order; keys read by
    /// no column are added to `unknown`.
    fn parse(path: &Path, lines: &[(u64, u64, &[u8])], unknown: &mut BTreeSet<String>) -> Chunk {
        let parsed: Vec<(Line, BTreeSet<String>)> = lines
            .par_iter()
            .map(|&(_, _, raw)| {
                let mut unknown = BTreeSet::new();
                let line = match std::str::from_utf8(raw) {
                    Ok(text) => parse_line(text.trim(), &mut unknown),
                    Err(e) => Err((
                        "(record)",
                        format!("not valid UTF-8 at byte {}", e.valid_up_to()),
                    )),
                };
                (line, unknown)
            })
            .collect();
        let mut cols: Vec<Vec<Option<String>>> =
            vec![Vec::with_capacity(lines.len()); TRANSFERS.len()];
        let (mut rows, mut line_nos, mut bad) = (Vec::new(), Vec::new(), Vec::new());
        for ((row, line_no, raw), (result, keys)) in lines.iter().zip(parsed) {
            unknown.extend(keys);
            match result {
                Ok(values) => {
                    for (col, v) in cols.iter_mut().zip(values) {
                        col.push(v);
                    }
                    rows.push(*row);
                    line_nos.push(*line_no);
                }
                Err((column, why)) => bad.push(RowError {
                    path: path.to_path_buf(),
                    line: Some(*line_no),
                    ..RowError::new(*row, column, &String::from_utf8_lossy(raw), Reason::BadJson)
                        .with_detail(why)
                }),
            }
        }
        Chunk {
            cols,
            rows,
            lines: line_nos,
            bad,
        }
    }
}

pub(super) fn read(path: &Path, sink: &mut Sink<'_>) -> Result<()> {
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let total = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let chunk_bytes = sink.options.chunk_bytes.max(1);
    let mut carry: Vec<u8> = Vec::new();
    let (mut next_row, mut next_line, mut done) = (0u64, 1u64, 0u64);
    let mut unknown = BTreeSet::new();
    let mut missing_checked = false;
    loop {
        let mut buf = std::mem::take(&mut carry);
        let before = buf.len();
        (&mut file)
            .take(chunk_bytes as u64)
            .read_to_end(&mut buf)
            .map_err(|e| Error::io(path, e))?;
        let eof = buf.len() == before;
        if buf.is_empty() {
            break;
        }
        let cut = if eof {
            buf.len()
        } else {
            match memchr::memrchr(b'\n', &buf) {
                Some(i) => i + 1,
                None => {
                    carry = buf;
                    continue;
                }
            }
        };
        carry = buf[cut..].to_vec();
        buf.truncate(cut);
        if done == 0 {
            let bom = buf.len() - strip_bom(&buf).len();
            buf.drain(..bom);
        }
        done += cut as u64;
        // lines of this chunk: (row, line, text)
        let mut lines: Vec<(u64, u64, &[u8])> = Vec::new();
        for raw in buf.split(|&b| b == b'\n') {
            let line_no = next_line;
            next_line += 1;
            if raw.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            lines.push((next_row, line_no, raw));
            next_row += 1;
        }
        if buf.ends_with(b"\n") {
            next_line -= 1; // split yields an empty piece after the last newline
        }
        let Chunk {
            cols,
            rows,
            lines: line_nos,
            bad,
        } = Chunk::parse(path, &lines, &mut unknown);
        if !missing_checked && !rows.is_empty() {
            // a required key absent from every record of the first chunk is a
            // layout error, not a row error
            for (c, spec) in TRANSFERS.iter().enumerate() {
                if spec.required && cols[c].iter().all(Option::is_none) && spec.name != "tx_id" {
                    return Err(Error::format(
                        path,
                        format!("no record has the required key \"{}\"", spec.name),
                    ));
                }
            }
            missing_checked = true;
        }
        let batch = Batch {
            cols: cols.into_iter().map(Col::Owned).collect(),
            rows,
            lines: Some(line_nos),
            plain: None,
        };
        sink.take_batch(
            &batch,
            Layout::TransfersJsonLines.spec(),
            bad,
            &layouts::parse_transfers,
        )?;
        if let Some(progress) = &sink.options.progress {
            progress(done, total);
        }
        if eof {
            break;
        }
    }
    if !unknown.is_empty() {
        sink.report.notes.push(format!(
            "ignored keys: {}",
            unknown.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(())
}
