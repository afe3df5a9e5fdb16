//! Cut a CSV file into chunks of whole records, check their structure, and
//! hand the clean records to polars.
//!
//! Reading a large file in chunks keeps memory bounded (one chunk at a
//! time, not the whole file) and lets each bad record be named by row and
//! line before its fields are read: a record with the wrong number of
//! fields or invalid UTF-8 is taken out of the chunk and reported.
//!
//! A chunk without any quote character (the usual export) is *plain*: every
//! newline ends a record and every comma ends a field, so its records are
//! found and split on all threads at once, straight from the bytes read.
//! A chunk with quotes is scanned record by record under RFC 4180 and its
//! clean records are split by polars.

use super::batch::{Batch, Col, Grid, Plain, MAX_CELLS};
use crate::error::{Error, Reason, Result, RowError};
use polars::prelude::*;
use rayon::prelude::*;
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
    /// The clean records, newline-terminated and nothing else, ready for
    /// polars (not `plain`).
    pub(crate) bytes: Vec<u8>,
    /// No quote character anywhere: the records are in `text` and split on
    /// commas alone.
    pub(crate) plain: bool,
    /// A plain chunk's text as read (blank lines, bad records and line
    /// ends left in place).
    pub(crate) text: String,
    /// Where each clean record starts in `bytes` (or `text`).
    pub(crate) starts: Vec<usize>,
    /// Where each clean record ends, line end excluded.
    pub(crate) ends: Vec<usize>,
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
    /// A buffer to read the next chunk into.
    spare: Vec<u8>,
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
            spare: Vec::new(),
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
            // the last chunk's buffer, when given back, saves the kernel
            // clearing fresh pages for every chunk
            let mut buf = std::mem::take(&mut self.spare);
            buf.clear();
            buf.extend_from_slice(&self.carry);
            self.carry.clear();
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
            if whole && memchr::memchr(b'"', &buf).is_none() {
                return Ok(Some(self.scan_plain(buf)));
            }
            let chunk = self.scan(&buf, !whole);
            self.spare = buf;
            return Ok(Some(chunk));
        }
    }

    /// Take back a chunk's buffer for the next one.
    pub(crate) fn recycle(&mut self, chunk: Chunk) {
        let bytes = if chunk.plain {
            chunk.text.into_bytes()
        } else {
            chunk.bytes
        };
        if bytes.capacity() > self.spare.capacity() {
            self.spare = bytes;
        }
    }

    /// Split a buffer without quotes into records on all threads: it is
    /// cut into pieces at newlines, each piece is scanned on its own, and
    /// the pieces' row and line counts are added up in order, so rows and
    /// lines are numbered as a scan from the start would number them.
    fn scan_plain(&mut self, buf: Vec<u8>) -> Chunk {
        self.scan_plain_in(buf, 1 << 16)
    }

    /// [`CsvChunks::scan_plain`] with pieces of at least `min_piece` bytes.
    fn scan_plain_in(&mut self, buf: Vec<u8>, min_piece: usize) -> Chunk {
        let end = if self.eof {
            buf.len()
        } else {
            memchr::memrchr(b'\n', &buf).map_or(0, |i| i + 1)
        };
        let pieces = cut_at_newlines(&buf[..end], rayon::current_num_threads() * 4, min_piece);
        let fields = self.names.len();
        let scans: Vec<PlainPiece> = pieces
            .par_iter()
            .map(|&(from, to)| PlainPiece::scan(&buf, from, to, fields))
            .collect();
        let records: usize = scans.iter().map(|p| p.starts.len()).sum();
        let mut chunk = Chunk {
            plain: true,
            starts: Vec::with_capacity(records),
            ends: Vec::with_capacity(records),
            rows: Vec::with_capacity(records),
            lines: Vec::with_capacity(records),
            ..Chunk::default()
        };
        for piece in scans {
            let (row0, line0) = (self.next_row, self.next_line);
            chunk.starts.extend_from_slice(&piece.starts);
            chunk.ends.extend_from_slice(&piece.ends);
            chunk
                .rows
                .extend(piece.rows.iter().map(|&r| row0 + u64::from(r)));
            chunk
                .lines
                .extend(piece.lines.iter().map(|&l| line0 + u64::from(l)));
            for bad in piece.bad {
                let record = &buf[bad.start..bad.end];
                let error = RowError {
                    path: self.path.clone(),
                    line: Some(line0 + u64::from(bad.line)),
                    ..RowError::new(
                        row0 + u64::from(bad.row),
                        "(record)",
                        &String::from_utf8_lossy(record),
                        if bad.fields.is_some() {
                            Reason::WrongFieldCount
                        } else {
                            Reason::BadValue
                        },
                    )
                };
                chunk.bad.push(match bad.fields {
                    Some(found) => {
                        error.with_detail(format!("expected {fields} fields, found {found}"))
                    }
                    None => error.with_detail(format!(
                        "not valid UTF-8 at byte {}",
                        std::str::from_utf8(record)
                            .err()
                            .map_or(0, |e| e.valid_up_to())
                    )),
                });
            }
            self.next_row += u64::from(piece.records);
            self.next_line += u64::from(piece.newlines);
        }
        self.carry = buf[end..].to_vec();
        self.bytes_done += end as u64;
        let mut buf = buf;
        buf.truncate(end);
        chunk.text = match String::from_utf8(buf) {
            Ok(text) => text,
            Err(invalid) => {
                // some records are not UTF-8 (taken out above): keep a
                // copy of the clean ones, which all are
                let bytes = invalid.into_bytes();
                let mut clean = Vec::with_capacity(bytes.len());
                for (start, end) in chunk.starts.iter_mut().zip(chunk.ends.iter_mut()) {
                    let from = clean.len();
                    clean.extend_from_slice(&bytes[*start..*end]);
                    (*start, *end) = (from, clean.len());
                    clean.push(b'\n');
                }
                String::from_utf8_lossy(&clean).into_owned()
            }
        };
        chunk
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
            chunk.ends.push(chunk.bytes.len());
            chunk.bytes.push(b'\n');
            chunk.rows.push(row);
            chunk.lines.push(line);
        }
        self.carry = buf[pos..].to_vec();
        self.bytes_done += pos as u64;
        chunk
    }
}

/// Cut `bytes` into about `pieces` spans of at least `min_piece` bytes
/// that each end just past a newline (the last one at the end of `bytes`).
fn cut_at_newlines(bytes: &[u8], pieces: usize, min_piece: usize) -> Vec<(usize, usize)> {
    let step = (bytes.len() / pieces.max(1)).max(min_piece).max(1);
    let mut spans = Vec::with_capacity(pieces + 1);
    let mut from = 0;
    while from < bytes.len() {
        let aim = from + step;
        let to = if aim >= bytes.len() {
            bytes.len()
        } else {
            memchr::memchr(b'\n', &bytes[aim..]).map_or(bytes.len(), |i| aim + i + 1)
        };
        spans.push((from, to));
        from = to;
    }
    spans
}

/// A record of a plain piece that cannot be read: the wrong number of
/// fields (`fields` holds how many), or invalid UTF-8 (`fields` is `None`).
struct PlainBad {
    start: usize,
    end: usize,
    row: u32,
    line: u32,
    fields: Option<usize>,
}

/// The records of one span of a plain chunk, numbered from the span's
/// start: `rows` counts records (blank lines are not rows), `lines` counts
/// newlines.
struct PlainPiece {
    starts: Vec<usize>,
    ends: Vec<usize>,
    rows: Vec<u32>,
    lines: Vec<u32>,
    bad: Vec<PlainBad>,
    records: u32,
    newlines: u32,
}

impl PlainPiece {
    fn scan(buf: &[u8], from: usize, to: usize, fields: usize) -> PlainPiece {
        let span = &buf[from..to];
        let all_utf8 = std::str::from_utf8(span).is_ok();
        let guess = span.len() / 64 + 1;
        let mut piece = PlainPiece {
            starts: Vec::with_capacity(guess),
            ends: Vec::with_capacity(guess),
            rows: Vec::with_capacity(guess),
            lines: Vec::with_capacity(guess),
            bad: Vec::new(),
            records: 0,
            newlines: 0,
        };
        let mut start = from;
        while start < to {
            let newline = memchr::memchr(b'\n', &buf[start..to]).map(|i| start + i);
            let next = newline.map_or(to, |i| i + 1);
            let mut end = newline.unwrap_or(to);
            while end > start && matches!(buf[end - 1], b'\r' | b'\n') {
                end -= 1;
            }
            let line = piece.newlines;
            piece.newlines += 1;
            if end > start {
                let row = piece.records;
                piece.records += 1;
                let record = &buf[start..end];
                let found = memchr::memchr_iter(b',', record).count() + 1;
                if found != fields {
                    piece.bad.push(PlainBad {
                        start,
                        end,
                        row,
                        line,
                        fields: Some(found),
                    });
                } else if !all_utf8 && std::str::from_utf8(record).is_err() {
                    piece.bad.push(PlainBad {
                        start,
                        end,
                        row,
                        line,
                        fields: None,
                    });
                } else {
                    piece.starts.push(start);
                    piece.ends.push(end);
                    piece.rows.push(row);
                    piece.lines.push(line);
                }
            }
            start = next;
        }
        piece
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
    if chunk.plain {
        let short = chunk
            .starts
            .iter()
            .zip(&chunk.ends)
            .all(|(s, e)| e - s <= usize::from(u16::MAX));
        if short && wanted.len() <= MAX_CELLS {
            // each record is split as it is parsed, on the parsing thread
            return Batch {
                cols: wanted.iter().map(|_| Col::Absent).collect(),
                rows: chunk.rows.clone(),
                lines: Some(chunk.lines.clone()),
                plain: Some(Plain {
                    text: &chunk.text,
                    starts: &chunk.starts,
                    ends: &chunk.ends,
                    targets: targets_of(wanted),
                }),
            };
        }
        return Batch {
            cols: split_plain(chunk, wanted),
            rows: chunk.rows.clone(),
            lines: Some(chunk.lines.clone()),
            plain: None,
        };
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
        plain: None,
    }
}

/// The wanted columns of a plain chunk's records, split on commas on all
/// threads into one grid of cells (an empty field is null, as polars reads
/// it).
/// (file column, wanted column) for every wanted column found in the file,
/// in file order.
fn targets_of(wanted: &[Option<usize>]) -> Vec<(usize, usize)> {
    let mut targets: Vec<(usize, usize)> = wanted
        .iter()
        .enumerate()
        .filter_map(|(k, w)| w.map(|file| (file, k)))
        .collect();
    targets.sort_unstable();
    targets
}

/// The wanted columns of a plain chunk's records, split on commas on all
/// threads into one grid of cells (an empty field is null, as polars reads
/// it): for records too long, or layouts too wide, to be split as they are
/// parsed.
fn split_plain<'c>(chunk: &'c Chunk, wanted: &[Option<usize>]) -> Vec<Col<'c>> {
    let width = wanted.len().max(1);
    let targets = targets_of(wanted);
    let mut cells: Vec<Option<&'c str>> = vec![None; chunk.starts.len() * width];
    cells
        .par_chunks_mut(width)
        .zip(chunk.starts.par_iter().zip(chunk.ends.par_iter()))
        .for_each(|(row, (&start, &end))| {
            let record = chunk.text.get(start..end).unwrap_or_default();
            for_each_field(record, &targets, |k, from, to| {
                row[k] = record.get(from..to).filter(|f| !f.is_empty());
            });
        });
    let grid = std::sync::Arc::new(Grid { width, cells });
    wanted
        .iter()
        .enumerate()
        .map(|(k, w)| match w {
            Some(_) => Col::Cells(std::sync::Arc::clone(&grid), k),
            None => Col::Absent,
        })
        .collect()
}

/// Call `cell(wanted column, from, to)` for the byte range of each wanted
/// field of a record without quotes (`targets` as [`targets_of`] gives).
/// Commas are ASCII, so every range starts and ends at a character
/// boundary.
pub(crate) fn for_each_field(
    record: &str,
    targets: &[(usize, usize)],
    mut cell: impl FnMut(usize, usize, usize),
) {
    let mut next = targets.iter().peekable();
    let commas = memchr::memchr_iter(b',', record.as_bytes()).chain([record.len()]);
    let mut from = 0;
    for (file, to) in commas.enumerate() {
        while let Some(&&(f, k)) = next.peek() {
            if f != file {
                break;
            }
            cell(k, from, to);
            next.next();
        }
        if next.peek().is_none() {
            break;
        }
        from = to + 1;
    }
}

/// The wanted columns of a chunk's clean records, split by the scan's rules.
fn split_chunk<'c>(chunk: &Chunk, wanted: &[Option<usize>]) -> Vec<Col<'c>> {
    let mut cols: Vec<Vec<Option<String>>> =
        vec![Vec::with_capacity(chunk.rows.len()); wanted.len()];
    for (&start, &end) in chunk.starts.iter().zip(&chunk.ends) {
        let text = std::str::from_utf8(&chunk.bytes[start..end]).unwrap_or_default();
        let mut fields = split_clean(text);
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

    /// What a chunk says of each row: its text or why it was taken out.
    fn rows_of(chunk: &Chunk) -> Vec<(u64, u64, String)> {
        let mut rows: Vec<(u64, u64, String)> = chunk
            .starts
            .iter()
            .zip(&chunk.ends)
            .zip(chunk.rows.iter().zip(&chunk.lines))
            .map(|((&s, &e), (&row, &line))| {
                let data = if chunk.plain {
                    chunk.text.as_bytes()
                } else {
                    &chunk.bytes
                };
                (row, line, String::from_utf8_lossy(&data[s..e]).into_owned())
            })
            .collect();
        rows.extend(
            chunk
                .bad
                .iter()
                .map(|e| (e.row, e.line.unwrap_or(0), e.to_string())),
        );
        rows.sort();
        rows
    }

    proptest::proptest! {
        /// A buffer without quotes read on all threads, in pieces as small
        /// as one record, numbers and takes out the same records as the
        /// record-by-record scan: blank lines, CRLF, wrong field counts and
        /// invalid UTF-8 anywhere, with or without a newline at the end.
        #[test]
        fn a_plain_chunk_read_in_pieces_equals_the_record_scan(
            lines in proptest::collection::vec(
                proptest::prop_oneof![
                    6 => "[a-z0-9 ]{0,3},[a-z0-9.]{0,4},[a-z]{0,2}",
                    1 => "[a-z,]{0,6}",
                    1 => proptest::strategy::Just(String::new()),
                    1 => proptest::strategy::Just("\r".to_string()),
                ],
                0..40,
            ),
            crlf in proptest::bool::ANY,
            last_newline in proptest::bool::ANY,
            bad_byte in proptest::option::of(0usize..400),
            min_piece in 1usize..64,
        ) {
            let end = if crlf { "\r\n" } else { "\n" };
            let mut buf = lines.join(end).into_bytes();
            if last_newline && !buf.is_empty() {
                buf.extend_from_slice(end.as_bytes());
            }
            if let Some(at) = bad_byte.filter(|&at| at < buf.len() && buf[at] != b'\n') {
                buf[at] = 0xFF;
            }
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("t.csv");
            std::fs::write(&path, b"a,b,c\n").unwrap();
            let header = read_header(&path).unwrap();
            let reader = || {
                let mut chunks = CsvChunks::open(&path, &header, 1 << 20).unwrap();
                chunks.eof = true;
                chunks
            };
            let (mut by_record, mut by_piece) = (reader(), reader());
            let expected = by_record.scan(&buf, false);
            let found = by_piece.scan_plain_in(buf.clone(), min_piece);
            proptest::prop_assert!(found.plain);
            proptest::prop_assert_eq!(rows_of(&found), rows_of(&expected));
            proptest::prop_assert_eq!(by_piece.next_row, by_record.next_row);
            proptest::prop_assert_eq!(by_piece.bytes_done, by_record.bytes_done);
            // and its fields split as polars splits the clean records
            let wanted = [Some(2), None, Some(0), Some(1)];
            let (mut frame, mut frame_plain) = (None, None);
            let by_polars = parse_chunk(&expected, 3, &mut frame, &wanted);
            let by_commas = parse_chunk(&found, 3, &mut frame_plain, &wanted);
            proptest::prop_assert!(by_commas.plain.is_some() || found.rows.is_empty());
            // the grid, for records too long to be split as they are read
            let by_grid = Batch {
                cols: split_plain(&found, &wanted),
                rows: found.rows.clone(),
                lines: None,
                plain: None,
            };
            proptest::prop_assert_eq!(by_commas.len(), by_polars.len());
            for i in 0..by_polars.len() {
                for col in 0..wanted.len() {
                    let text = by_polars.row(i).text(col);
                    proptest::prop_assert_eq!(by_commas.row(i).text(col), text);
                    proptest::prop_assert_eq!(by_grid.row(i).text(col), text);
                }
            }
        }
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
