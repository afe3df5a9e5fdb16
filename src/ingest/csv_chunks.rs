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
/// Lenient: meant for header lines; data records go through [`scan_record`].
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

/// What is wrong with the quoting of a record (RFC 4180).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Quoting {
    /// A quote inside a field that does not start with one.
    QuoteInUnquotedField,
    /// Text after the closing quote of a quoted field.
    TextAfterClosingQuote,
    /// A quoted field that never closes (the record ends at the line end
    /// after its opening quote).
    UnclosedQuote,
}

impl Quoting {
    pub(crate) fn detail(self) -> &'static str {
        match self {
            Quoting::QuoteInUnquotedField => {
                "a field that holds a quote must be quoted, with the quote doubled (RFC 4180)"
            }
            Quoting::TextAfterClosingQuote => {
                "text after the closing quote; a quote inside a quoted field must be doubled (RFC 4180)"
            }
            Quoting::UnclosedQuote => "the quoted field never closes (RFC 4180)",
        }
    }
}

/// One record as the structure scan sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scanned {
    /// Just past the record's last byte (its newline, or the buffer's end).
    pub(crate) end: usize,
    /// Newlines the record spans (at least 1 unless it ends the file
    /// without one).
    pub(crate) newlines: u64,
    /// Fields counted.
    pub(crate) fields: usize,
    /// The first quoting problem, with the 0-based field where it is.
    pub(crate) problem: Option<(usize, Quoting)>,
    /// Where the field with the problem starts in the buffer.
    pub(crate) problem_at: usize,
}

/// Scan the record starting at `start` by the rules of RFC 4180: a quote
/// opens a quoted field only as a field's first byte; inside one, `""` is
/// a quote and a lone `"` closes it, and must be followed by a comma or the
/// line end. Returns `None` when the record does not end within `buf` and
/// more input may follow (`at_end` false). At the end of the input, a
/// quoted field that never closed makes a bad record that ends at the
/// first newline after its opening quote, so that it costs one row.
pub(crate) fn scan_record(buf: &[u8], start: usize, at_end: bool) -> Option<Scanned> {
    let line_end = memchr::memchr(b'\n', &buf[start..]).map(|i| start + i + 1);
    if let Some(nl) = line_end {
        let line = &buf[start..nl];
        if memchr::memchr(b'"', line).is_none() {
            return Some(Scanned {
                end: nl,
                newlines: 1,
                fields: memchr::memchr_iter(b',', line).count() + 1,
                problem: None,
                problem_at: start,
            });
        }
    }
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let mut state = State::FieldStart;
    let mut fields = 1;
    let mut newlines = 0;
    let mut problem: Option<(usize, Quoting)> = None;
    let (mut opened_at, mut field_start, mut problem_at) = (start, start, start);
    let note = |p: &mut Option<(usize, Quoting)>, at: &mut usize, from: usize, field: usize, q| {
        if p.is_none() {
            *p = Some((field - 1, q));
            *at = from;
        }
    };
    let mut i = start;
    while i < buf.len() {
        let b = buf[i];
        match (state, b) {
            (State::Quoted, b'"') => state = State::QuoteInQuoted,
            (State::Quoted, b'\n') => newlines += 1,
            (State::Quoted, _) => {}
            (State::QuoteInQuoted, b'"') => state = State::Quoted,
            (_, b',') => {
                fields += 1;
                field_start = i + 1;
                state = State::FieldStart;
            }
            (_, b'\n') => {
                return Some(Scanned {
                    end: i + 1,
                    newlines: newlines + 1,
                    fields,
                    problem,
                    problem_at,
                });
            }
            (State::FieldStart, b'"') => {
                state = State::Quoted;
                opened_at = i;
            }
            (State::QuoteInQuoted, b'\r') if buf.get(i + 1) == Some(&b'\n') => {}
            (State::QuoteInQuoted, _) => {
                note(
                    &mut problem,
                    &mut problem_at,
                    field_start,
                    fields,
                    Quoting::TextAfterClosingQuote,
                );
                state = State::Unquoted;
            }
            (State::Unquoted, b'"') => {
                note(
                    &mut problem,
                    &mut problem_at,
                    field_start,
                    fields,
                    Quoting::QuoteInUnquotedField,
                );
                state = State::Unquoted;
            }
            (State::Unquoted | State::FieldStart, _) => state = State::Unquoted,
        }
        i += 1;
    }
    if !at_end {
        return None;
    }
    if state == State::Quoted {
        // never closed: the bad record ends at the line end after the quote
        let end = memchr::memchr(b'\n', &buf[opened_at..]).map_or(buf.len(), |k| opened_at + k + 1);
        let newlines = buf[start..end].iter().filter(|&&b| b == b'\n').count() as u64;
        let fields = fields.min(1 + buf[start..end].iter().filter(|&&b| b == b',').count());
        return Some(Scanned {
            end,
            newlines: newlines.max(1),
            fields,
            problem: Some((fields - 1, Quoting::UnclosedQuote)),
            problem_at: opened_at,
        });
    }
    Some(Scanned {
        end: buf.len(),
        newlines: newlines.max(1),
        fields,
        problem,
        problem_at,
    })
}

/// One chunk of clean records, with the data row and line of each.
#[derive(Debug, Default)]
pub(crate) struct Chunk {
    /// The clean records, newline-terminated, ready for polars.
    pub(crate) bytes: Vec<u8>,
    /// Where each clean record starts in `bytes`.
    pub(crate) starts: Vec<usize>,
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
    names: Vec<String>,
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
            names: header.names.clone(),
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
        loop {
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
            // a full buffer that holds no whole record: a quoted field that
            // never closes within a chunk is taken as never closing (one bad
            // row); a longer line without quotes gets a larger buffer
            let whole = self.eof || scan_record(&buf, 0, false).is_some();
            if !whole {
                let open_quote = scan_record(&buf, 0, true)
                    .is_some_and(|s| s.problem.is_some_and(|(_, q)| q == Quoting::UnclosedQuote));
                if !open_quote {
                    self.chunk_bytes = self.chunk_bytes.saturating_mul(2);
                    self.carry = buf;
                    continue;
                }
            }
            return Ok(Some(self.scan(&buf, !whole)));
        }
    }

    /// Split `buf` into records, check each, keep the clean ones, and
    /// carry the incomplete rest over to the next chunk.
    fn scan(&mut self, buf: &[u8], forced: bool) -> Chunk {
        let mut chunk = Chunk {
            bytes: Vec::with_capacity(buf.len() + 1),
            ..Chunk::default()
        };
        let mut pos = 0;
        while pos < buf.len() {
            let at_end = self.eof || (forced && pos == 0);
            let Some(scanned) = scan_record(buf, pos, at_end) else {
                break;
            };
            let mut record = &buf[pos..scanned.end];
            let line = self.next_line;
            self.next_line += scanned.newlines;
            pos = scanned.end;
            while let Some((b'\n' | b'\r', rest)) = record.split_last() {
                record = rest;
            }
            if record.is_empty() {
                continue; // blank lines are not rows
            }
            let row = self.next_row;
            self.next_row += 1;
            let preview = || String::from_utf8_lossy(record).into_owned();
            let bad = |column: &str, reason: Reason| RowError {
                path: self.path.clone(),
                line: Some(line),
                ..RowError::new(row, column, &preview(), reason)
            };
            if let Some((field, quoting)) = scanned.problem {
                let column = self.names.get(field).map_or("(record)", String::as_str);
                let rest = &buf[scanned.problem_at..pos];
                let stop = if quoting == Quoting::UnclosedQuote {
                    b'\n'
                } else {
                    b','
                };
                let value = rest
                    .split(|&b| b == stop || b == b'\n')
                    .next()
                    .unwrap_or(rest);
                chunk.bad.push(
                    RowError {
                        path: self.path.clone(),
                        line: Some(line),
                        ..RowError::new(
                            row,
                            column,
                            &String::from_utf8_lossy(value),
                            Reason::BadQuoting,
                        )
                    }
                    .with_detail(quoting.detail()),
                );
                continue;
            }
            if scanned.fields != self.names.len() {
                chunk.bad.push(
                    bad("(record)", Reason::WrongFieldCount).with_detail(format!(
                        "expected {} fields, found {}",
                        self.names.len(),
                        scanned.fields
                    )),
                );
                continue;
            }
            if let Err(e) = std::str::from_utf8(record) {
                chunk.bad.push(
                    bad("(record)", Reason::BadValue)
                        .with_detail(format!("not valid UTF-8 at byte {}", e.valid_up_to())),
                );
                continue;
            }
            chunk.starts.push(chunk.bytes.len());
            chunk.bytes.extend_from_slice(record);
            chunk.bytes.push(b'\n');
            chunk.rows.push(row);
            chunk.lines.push(line);
        }
        self.carry = buf[pos..].to_vec();
        self.bytes_done += pos as u64;
        chunk
    }
}

/// Split a clean record (well quoted, no newline at its end) into fields.
pub(crate) fn split_clean(record: &str) -> Vec<Option<String>> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = record.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut field)),
            '\r' if !quoted && chars.peek().is_none() => {}
            _ => field.push(c),
        }
    }
    fields.push(field);
    fields
        .into_iter()
        .map(|f| (!f.is_empty()).then_some(f))
        .collect()
}

/// Parse a chunk's clean records with polars into string columns, in the
/// order of `wanted` (file column positions; `None` for absent columns).
/// Should polars read the records otherwise than the structure scan did
/// (another record count, an error, a panic), the chunk is split by the
/// scan's own rules instead, so one reader's view decides record ends.
pub(crate) fn parse_chunk<'c>(
    chunk: &'c Chunk,
    file_fields: usize,
    frame: &'c mut Option<DataFrame>,
    wanted: &[Option<usize>],
) -> Batch<'c> {
    let n = chunk.rows.len();
    if n == 0 {
        return Batch::empty(wanted.len());
    }
    let read = || -> Option<DataFrame> {
        let schema: Schema = (0..file_fields)
            .map(|i| Field::new(format!("c{i}").into(), DataType::String))
            .collect();
        let mut projection: Vec<usize> = wanted.iter().flatten().copied().collect();
        projection.sort_unstable();
        projection.dedup();
        let df = CsvReadOptions::default()
            .with_has_header(false)
            .with_schema(Some(Arc::new(schema)))
            .with_projection(Some(Arc::new(projection)))
            .with_rechunk(true)
            .with_raise_if_empty(false)
            .map_parse_options(|o| o.with_missing_is_null(true))
            .into_reader_with_file_handle(std::io::Cursor::new(chunk.bytes.as_slice()))
            .finish()
            .ok()?;
        let complete = df.height() == n
            && wanted
                .iter()
                .flatten()
                .all(|i| df.column(&format!("c{i}")).and_then(|c| c.str()).is_ok());
        complete.then_some(df)
    };
    let parsed = crate::contain::contain(read).ok().flatten();
    let cols = match parsed {
        Some(df) => {
            let df: &'c DataFrame = frame.insert(df);
            wanted
                .iter()
                .map(|w| match w {
                    None => Col::Absent,
                    Some(i) => match df.column(&format!("c{i}")).and_then(|c| c.str()) {
                        Ok(ca) => Col::Text(ca.iter().collect()),
                        Err(_) => Col::Absent, // checked above
                    },
                })
                .collect()
        }
        None => split_chunk(chunk, wanted),
    };
    Batch {
        cols,
        rows: chunk.rows.clone(),
        lines: Some(chunk.lines.clone()),
    }
}

/// The wanted columns of a chunk's clean records, split by the scan's rules.
fn split_chunk<'c>(chunk: &Chunk, wanted: &[Option<usize>]) -> Vec<Col<'c>> {
    let mut cols: Vec<Vec<Option<String>>> =
        vec![Vec::with_capacity(chunk.rows.len()); wanted.len()];
    for (k, &start) in chunk.starts.iter().enumerate() {
        let end = chunk.starts.get(k + 1).map_or(chunk.bytes.len(), |&e| e);
        let text = std::str::from_utf8(&chunk.bytes[start..end]).unwrap_or_default();
        let mut fields = split_clean(text.strip_suffix('\n').unwrap_or(text));
        for (col, w) in cols.iter_mut().zip(wanted) {
            col.push(w.and_then(|i| fields.get_mut(i).and_then(Option::take)));
        }
    }
    wanted
        .iter()
        .zip(cols)
        .map(|(w, col)| {
            if w.is_some() {
                Col::Owned(col)
            } else {
                Col::Absent
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_quoted_records() {
        assert_eq!(split_record("a,\"b,c\",\"d\"\"e\""), ["a", "b,c", "d\"e"]);
        assert_eq!(split_record(""), [""]);
    }

    type Seen = (usize, u64, usize, Option<(usize, Quoting)>);

    fn scan_all(buf: &[u8]) -> Vec<Seen> {
        let mut out = Vec::new();
        let mut pos = 0;
        while pos < buf.len() {
            let s = scan_record(buf, pos, true).unwrap();
            out.push((s.end, s.newlines, s.fields, s.problem));
            pos = s.end;
        }
        out
    }

    #[test]
    fn record_ends_respect_quotes() {
        let buf = b"a,\"x\ny\",c\nd,e,f\n";
        assert_eq!(scan_all(buf), [(10, 2, 3, None), (16, 1, 3, None)]);
        // an open quote at the end of a buffer: more may follow
        assert_eq!(scan_record(b"a,\"open\nstill", 0, false), None);
    }

    #[test]
    fn quotes_follow_rfc_4180_and_a_bad_record_costs_one_row() {
        use Quoting::*;
        // a quote inside an unquoted field does not open a quoted field
        let buf = b"1,North\"bank,x\n2,b,c\n";
        assert_eq!(
            scan_all(buf),
            [
                (15, 1, 3, Some((1, QuoteInUnquotedField))),
                (21, 1, 3, None)
            ]
        );
        // text after a closing quote
        let buf = b"\"al\"ice,b\n2,c\n";
        assert_eq!(
            scan_all(buf),
            [
                (10, 1, 2, Some((0, TextAfterClosingQuote))),
                (14, 1, 2, None)
            ]
        );
        // a doubled quote is a quote; a closing quote before CRLF is fine
        let buf = b"\"a\"\"b\",c\r\nd,e\n";
        assert_eq!(scan_all(buf), [(10, 1, 2, None), (14, 1, 2, None)]);
        // a quote that never closes: the bad record ends at its line end
        let buf = b"x,\"open,y\nz,w\nu,v\n";
        assert_eq!(
            scan_all(buf),
            [
                (10, 1, 2, Some((1, UnclosedQuote))),
                (14, 1, 2, None),
                (18, 1, 2, None)
            ]
        );
    }

    #[test]
    fn split_clean_agrees_with_polars_on_clean_records() {
        assert_eq!(
            split_clean("a,\"b,c\",\"d\"\"e\",,\"\""),
            [
                Some("a".into()),
                Some("b,c".into()),
                Some("d\"e".into()),
                None,
                None
            ]
        );
    }
}
