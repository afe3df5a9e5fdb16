//! A batch of input records as columns of text, whatever the container.

use std::sync::Arc;

/// One column of a batch.
#[derive(Debug)]
pub(crate) enum Col<'a> {
    /// The layout's optional column is not in the file.
    Absent,
    /// Text borrowed from a polars frame or the file's bytes.
    Text(Vec<Option<&'a str>>),
    /// Text owned by the batch (JSON values, cast Parquet columns).
    Owned(Vec<Option<String>>),
    /// Typed timestamps (Parquet): raw values in a unit.
    Times(Vec<Option<i64>>, TimeUnit),
    /// Column `k` of a grid shared by the batch's columns.
    Cells(Arc<Grid<'a>>, usize),
}

/// Text cells row by row (`width` per row), borrowed from the file's
/// bytes: a plain CSV chunk split on all threads at once, when its records
/// are too long or its layout too wide to be split as they are read
/// ([`Plain`]).
#[derive(Debug)]
pub(crate) struct Grid<'a> {
    pub(crate) width: usize,
    pub(crate) cells: Vec<Option<&'a str>>,
}

impl<'a> Col<'a> {
    /// The rows at `keep`, in order.
    pub(crate) fn select(self, keep: &[usize]) -> Col<'a> {
        fn pick<T: Clone>(v: &[T], keep: &[usize]) -> Vec<T> {
            keep.iter().map(|&k| v[k].clone()).collect()
        }
        match self {
            Col::Absent => Col::Absent,
            Col::Text(v) => Col::Text(pick(&v, keep)),
            Col::Owned(v) => Col::Owned(pick(&v, keep)),
            Col::Times(v, unit) => Col::Times(pick(&v, keep), unit),
            Col::Cells(grid, k) => Col::Text(
                keep.iter()
                    .map(|&row| grid.cells[row * grid.width + k])
                    .collect(),
            ),
        }
    }
}

/// The unit of typed timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeUnit {
    /// Nanoseconds since the epoch.
    Nanos,
    /// Microseconds since the epoch.
    Micros,
    /// Milliseconds since the epoch.
    Millis,
}

impl TimeUnit {
    /// A raw value in microseconds; `None` when it overflows.
    fn to_micros(self, raw: i64) -> Option<i64> {
        match self {
            TimeUnit::Nanos => Some(raw.div_euclid(1000)),
            TimeUnit::Micros => Some(raw),
            TimeUnit::Millis => raw.checked_mul(1000),
        }
    }

    fn name(self) -> &'static str {
        match self {
            TimeUnit::Nanos => "ns",
            TimeUnit::Micros => "µs",
            TimeUnit::Millis => "ms",
        }
    }
}

/// The most columns a layout's spec has for records split as they are
/// read ([`Plain`]).
pub(crate) const MAX_CELLS: usize = 24;

/// The records of a CSV chunk without quotes, each split on commas when it
/// is read (on the thread that parses it, with no grid of cells in
/// between); records at most 65,535 bytes long.
#[derive(Debug)]
pub(crate) struct Plain<'a> {
    pub(crate) text: &'a str,
    pub(crate) starts: &'a [usize],
    pub(crate) ends: &'a [usize],
    /// (file column, spec column) of each column found, in file order.
    pub(crate) targets: Vec<(usize, usize)>,
}

/// Records in the column order of a layout's spec, with each record's data
/// row and (where known) line: in `cols`, or (`plain`) in the text of a
/// CSV chunk.
#[derive(Debug)]
pub(crate) struct Batch<'a> {
    pub(crate) cols: Vec<Col<'a>>,
    pub(crate) rows: Vec<u64>,
    pub(crate) lines: Option<Vec<u64>>,
    pub(crate) plain: Option<Plain<'a>>,
}

impl<'a> Batch<'a> {
    pub(crate) fn empty(columns: usize) -> Batch<'a> {
        Batch {
            cols: (0..columns).map(|_| Col::Absent).collect(),
            rows: Vec::new(),
            lines: None,
            plain: None,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }

    pub(crate) fn row(&self, i: usize) -> Record<'_> {
        let cut = self.plain.as_ref().map(|plain| {
            let record = plain
                .text
                .get(plain.starts[i]..plain.ends[i])
                .unwrap_or_default();
            let mut cells = [(0u16, 0u16); MAX_CELLS];
            super::csv_chunks::for_each_field(record, &plain.targets, |k, from, to| {
                // records are at most 65,535 bytes (Plain)
                cells[k] = (from as u16, to as u16);
            });
            Cut { record, cells }
        });
        Record {
            batch: self,
            i,
            cut,
        }
    }
}

/// A plain record and the byte range of each spec column in it (empty when
/// the column is absent or the field empty).
#[derive(Debug, Clone, Copy)]
struct Cut<'b> {
    record: &'b str,
    cells: [(u16, u16); MAX_CELLS],
}

/// One record of a batch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Record<'b> {
    batch: &'b Batch<'b>,
    i: usize,
    cut: Option<Cut<'b>>,
}

impl<'b> Record<'b> {
    /// The trimmed text of a column; `None` when absent, null or blank.
    pub(crate) fn text(&self, col: usize) -> Option<&'b str> {
        if let Some(cut) = &self.cut {
            let (from, to) = cut.cells[col];
            let trimmed = trim(cut.record.get(usize::from(from)..usize::from(to))?);
            return (!trimmed.is_empty()).then_some(trimmed);
        }
        let raw = match &self.batch.cols[col] {
            Col::Absent | Col::Times(..) => None,
            Col::Cells(grid, k) => grid.cells[self.i * grid.width + k],
            Col::Text(v) => v[self.i],
            Col::Owned(v) => v[self.i].as_deref(),
        }?;
        let trimmed = trim(raw);
        (!trimmed.is_empty()).then_some(trimmed)
    }

    /// A typed time as stored, with its unit (`1700000000000 ms`), for
    /// error messages.
    pub(crate) fn typed_raw(&self, col: usize) -> Option<String> {
        match &self.batch.cols[col] {
            Col::Times(v, unit) => v[self.i].map(|raw| format!("{raw} {}", unit.name())),
            _ => None,
        }
    }

    /// A typed time in microseconds, when the column holds times rather
    /// than text and the value is not null; `Err` holds the raw value and
    /// unit when it does not fit in microseconds.
    pub(crate) fn typed_time(&self, col: usize) -> Option<Result<i64, String>> {
        match &self.batch.cols[col] {
            Col::Times(v, unit) => v[self.i].map(|raw| {
                unit.to_micros(raw)
                    .ok_or_else(|| format!("{raw} {}", unit.name()))
            }),
            _ => None,
        }
    }
}

/// `str::trim`, with a fast path for the usual field that starts and ends
/// with a visible ASCII character (then there is nothing to trim, and the
/// Unicode whitespace scan is skipped; it was a tenth of loading time).
fn trim(raw: &str) -> &str {
    match (raw.as_bytes().first(), raw.as_bytes().last()) {
        (Some(a), Some(z)) if a.is_ascii_graphic() && z.is_ascii_graphic() => raw,
        _ => raw.trim(),
    }
}

#[cfg(test)]
mod tests {
    use super::trim;

    #[test]
    fn trim_agrees_with_str_trim() {
        for s in [
            "",
            " ",
            "abc",
            " abc",
            "abc ",
            "\tabc\r",
            "a b",
            "\u{a0}abc",
            "abc\u{a0}",
            "é",
            " é ",
            "x\u{2003}",
            "\u{2003}",
        ] {
            assert_eq!(trim(s), s.trim(), "{s:?}");
        }
    }
}
