//! Cut a CSV file into chunks of whole records, check their structure, and
//! hand the clean records to polars.
//!
//! Reading a large file in chunks keeps memory bounded (the polars frame of
//! one chunk at a time, not of the whole file) and lets each bad record be
//! named by row and line before polars sees it: a record with the wrong
//! number of fields or invalid UTF-8 is taken out of the chunk and reported.

use super::batch::{Batch, Col};
use crate::error::{Error, Reason, Result, RowError};
use polars::prelude::*;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Default chunk size: large enough that polars' parallel parser pays off,
/// small enough that a chunk's frame stays a few hundred MB.
pub(crate) const DEFAULT_CHUNK_BYTES: usize = 64 << 20;

/// The header of a CSV file and where its data starts.
#[derive(Debug, Clone)]
pub(crate) struct Header {
    pub(crate) names: Vec<String>,
    /// Byte offset of the first data record.
    pub(crate) data_start: u64,
}

/// Read the first line of a file as a CSV header (quote-aware, BOM
/// stripped). An empty file has an empty header.
pub(crate) fn read_header(path: &Path) -> Result<Header> {
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut buf = Vec::with_capacity(4096);
    let mut block = [0u8; 4096];
    loop {
        let n = file.read(&mut block).map_err(|e| Error::io(path, e))?;
        buf.extend_from_slice(&block[..n]);
        if n == 0 || memchr::memchr(b'\n', &buf).is_some() || buf.len() > 1 << 20 {
            break;
        }
    }
    let end = memchr::memchr(b'\n', &buf).map_or(buf.len(), |i| i + 1);
    let mut line = &buf[..end];
    let bom = line.starts_with(b"\xEF\xBB\xBF");
    if bom {
        line = &line[3..];
    }
    let text = std::str::from_utf8(line)
        .map_err(|_| Error::format(path, "the header line is not valid UTF-8"))?;
    let names = split_record(text.trim_end_matches(['\n', '\r']))
        .into_iter()
        .map(|s| s.trim().to_string())
        .collect();
    Ok(Header {
        names,
        data_start: end as u64,
    })
}

/// Split one CSV record into fields, unquoting `"..."` and `""`.
pub(crate) fn split_record(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if in_quotes && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// One chunk of clean records, with the data row and line of each.
#[derive(Debug, Default)]
pub(crate) struct Chunk {
    /// The clean records, newline-terminated, ready for polars.
    pub(crate) bytes: Vec<u8>,
    /// 0-based data row of each clean record.
    pub(crate) rows: Vec<u64>,
    /// 1-based line where each clean record starts.
    pub(crate) lines: Vec<u64>,
    /// Records taken out, with why.
    pub(crate) bad: Vec<RowError>,
}

/// Reads a CSV file's data records chunk by chunk.
pub(crate) struct CsvChunks {
    path: PathBuf,
    file: File,
    fields: usize,
    chunk_bytes: usize,
    carry: Vec<u8>,
    eof: bool,
    next_row: u64,
    next_line: u64,
    bytes_done: u64,
    total_bytes: u64,
}

impl CsvChunks {
    pub(crate) fn open(path: &Path, header: &Header, chunk_bytes: usize) -> Result<CsvChunks> {
        let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
        let total_bytes = file.metadata().map_err(|e| Error::io(path, e))?.len();
        file.seek(SeekFrom::Start(header.data_start))
            .map_err(|e| Error::io(path, e))?;
        Ok(CsvChunks {
            path: path.to_path_buf(),
            file,
            fields: header.names.len(),
            chunk_bytes: chunk_bytes.max(1),
            carry: Vec::new(),
            eof: false,
            next_row: 0,
            next_line: 2,
            bytes_done: header.data_start,
            total_bytes,
        })
    }

    pub(crate) fn progress(&self) -> (u64, u64) {
        (self.bytes_done, self.total_bytes)
    }

    /// The next chunk, or `None` at the end of the file.
    pub(crate) fn next_chunk(&mut self) -> Result<Option<Chunk>> {
        let mut buf = std::mem::take(&mut self.carry);
        while !self.eof && buf.len() < self.chunk_bytes {
            let want = self.chunk_bytes - buf.len();
            let before = buf.len();
            (&mut self.file)
                .take(want as u64)
                .read_to_end(&mut buf)
                .map_err(|e| Error::io(&self.path, e))?;
            if buf.len() == before {
                self.eof = true;
            }
        }
        if buf.is_empty() {
            return Ok(None);
        }
        let cut = if self.eof {
            buf.len()
        } else {
            match last_record_end(&buf) {
                Some(cut) => cut,
                // no record ends in this block: read on until one does
                None => {
                    self.chunk_bytes = self.chunk_bytes.saturating_mul(2);
                    self.carry = buf;
                    return self.next_chunk();
                }
            }
        };
        self.carry = buf[cut..].to_vec();
        buf.truncate(cut);
        self.bytes_done += cut as u64;
        Ok(Some(self.scan(buf)))
    }

    /// Split `buf` into records, check each, and keep the clean ones.
    fn scan(&mut self, buf: Vec<u8>) -> Chunk {
        let mut chunk = Chunk {
            bytes: Vec::with_capacity(buf.len() + 1),
            ..Chunk::default()
        };
        let mut pos = 0;
        while pos < buf.len() {
            let (end, newlines, fields) = record_end(&buf, pos);
            let mut record = &buf[pos..end];
            let line = self.next_line;
            self.next_line += newlines;
            pos = end;
            while let Some((b'\n' | b'\r', rest)) = record.split_last() {
                record = rest;
            }
            if record.is_empty() {
                continue; // blank lines are not rows
            }
            let row = self.next_row;
            self.next_row += 1;
            if fields != self.fields {
                let preview = String::from_utf8_lossy(record);
                chunk.bad.push(
                    RowError {
                        path: self.path.clone(),
                        line: Some(line),
                        ..RowError::new(row, "(record)", &preview, Reason::WrongFieldCount)
                    }
                    .with_detail(format!("expected {} fields, found {}", self.fields, fields)),
                );
                continue;
            }
            if let Err(e) = std::str::from_utf8(record) {
                let preview = String::from_utf8_lossy(record);
                chunk.bad.push(
                    RowError {
                        path: self.path.clone(),
                        line: Some(line),
                        ..RowError::new(row, "(record)", &preview, Reason::BadValue)
                    }
                    .with_detail(format!("not valid UTF-8 at byte {}", e.valid_up_to())),
                );
                continue;
            }
            chunk.bytes.extend_from_slice(record);
            chunk.bytes.push(b'\n');
            chunk.rows.push(row);
            chunk.lines.push(line);
        }
        chunk
    }
}

/// End of the record starting at `start` (just past its newline, or the end
/// of the buffer), the number of newlines it spans and its field count.
fn record_end(buf: &[u8], start: usize) -> (usize, u64, usize) {
    let nl = memchr::memchr(b'\n', &buf[start..]).map_or(buf.len(), |i| start + i + 1);
    let line = &buf[start..nl];
    if memchr::memchr(b'"', line).is_none() {
        let fields = line.iter().filter(|&&b| b == b',').count() + 1;
        return (nl, 1, fields);
    }
    // slow path: quoted fields, maybe spanning lines
    let mut in_quotes = false;
    let mut fields = 1;
    let mut newlines = 0;
    for (i, &b) in buf[start..].iter().enumerate() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b',' if !in_quotes => fields += 1,
            b'\n' => {
                newlines += 1;
                if !in_quotes {
                    return (start + i + 1, newlines, fields);
                }
            }
            _ => {}
        }
    }
    (buf.len(), newlines.max(1), fields)
}

/// The end of the last complete record in `buf` (just past a newline that
/// is outside quotes), if any.
fn last_record_end(buf: &[u8]) -> Option<usize> {
    let last_nl = memchr::memrchr(b'\n', buf)?;
    if memchr::memchr(b'"', buf).is_none() {
        return Some(last_nl + 1);
    }
    let mut in_quotes = false;
    let mut end = None;
    for (i, &b) in buf.iter().enumerate() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' if !in_quotes => end = Some(i + 1),
            _ => {}
        }
    }
    end
}

/// Parse a chunk's clean records with polars into string columns, in the
/// order of `wanted` (file column positions; `None` for absent columns).
pub(crate) fn parse_chunk<'c>(
    path: &Path,
    chunk: &'c Chunk,
    file_fields: usize,
    frame: &'c mut Option<DataFrame>,
    wanted: &[Option<usize>],
) -> Result<Batch<'c>> {
    let n = chunk.rows.len();
    if n == 0 {
        return Ok(Batch::empty(wanted.len()));
    }
    let schema: Schema = (0..file_fields)
        .map(|i| Field::new(format!("c{i}").into(), DataType::String))
        .collect();
    let projection: Vec<usize> = wanted.iter().flatten().copied().collect();
    let mut sorted_projection = projection.clone();
    sorted_projection.sort_unstable();
    sorted_projection.dedup();
    let df = CsvReadOptions::default()
        .with_has_header(false)
        .with_schema(Some(Arc::new(schema)))
        .with_projection(Some(Arc::new(sorted_projection)))
        .with_rechunk(true)
        .with_raise_if_empty(false)
        .map_parse_options(|o| o.with_missing_is_null(true))
        .into_reader_with_file_handle(std::io::Cursor::new(chunk.bytes.as_slice()))
        .finish()
        .map_err(|e| {
            Error::format(
                path,
                format!(
                    "CSV parser failed on rows {}..={}: {e}",
                    chunk.rows[0],
                    chunk.rows[n - 1]
                ),
            )
        })?;
    if df.height() != n {
        return Err(Error::format(
            path,
            format!(
                "CSV parser read {} records where {} were expected (rows {}..={})",
                df.height(),
                n,
                chunk.rows[0],
                chunk.rows[n - 1]
            ),
        ));
    }
    let df: &'c DataFrame = frame.insert(df);
    let mut cols = Vec::with_capacity(wanted.len());
    for w in wanted {
        let col = match w {
            None => Col::Absent,
            Some(i) => {
                let name = format!("c{i}");
                let ca = df
                    .column(&name)
                    .and_then(|c| c.str())
                    .map_err(|e| Error::format(path, format!("column {}: {e}", i + 1)))?;
                Col::Text(ca.iter().collect())
            }
        };
        cols.push(col);
    }
    Ok(Batch {
        cols,
        rows: chunk.rows.clone(),
        lines: Some(chunk.lines.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_quoted_records() {
        assert_eq!(split_record("a,\"b,c\",\"d\"\"e\""), ["a", "b,c", "d\"e"]);
        assert_eq!(split_record(""), [""]);
    }

    #[test]
    fn record_ends_respect_quotes() {
        let buf = b"a,\"x\ny\",c\nd,e,f\n";
        let (end, newlines, fields) = record_end(buf, 0);
        assert_eq!((end, newlines, fields), (10, 2, 3));
        assert_eq!(last_record_end(buf), Some(buf.len()));
        assert_eq!(last_record_end(b"a,\"open\nstill"), None);
    }
}
