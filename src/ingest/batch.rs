//! A batch of input records as columns of text, whatever the container.

/// One column of a batch.
#[derive(Debug)]
pub(crate) enum Col<'a> {
    /// The layout's optional column is not in the file.
    Absent,
    /// Text borrowed from a polars frame or the file's bytes.
    Text(Vec<Option<&'a str>>),
    /// Text owned by the batch (JSON values, cast Parquet columns).
    Owned(Vec<Option<String>>),
    /// Times already in microseconds (typed Parquet timestamps).
    Micros(Vec<Option<i64>>),
}

/// Records in the column order of a layout's spec, with each record's data
/// row and (where known) line.
#[derive(Debug)]
pub(crate) struct Batch<'a> {
    pub(crate) cols: Vec<Col<'a>>,
    pub(crate) rows: Vec<u64>,
    pub(crate) lines: Option<Vec<u64>>,
}

impl<'a> Batch<'a> {
    pub(crate) fn empty(columns: usize) -> Batch<'a> {
        Batch {
            cols: (0..columns).map(|_| Col::Absent).collect(),
            rows: Vec::new(),
            lines: None,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }

    pub(crate) fn row(&self, i: usize) -> Record<'_> {
        Record { batch: self, i }
    }
}

/// One record of a batch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Record<'b> {
    batch: &'b Batch<'b>,
    i: usize,
}

impl<'b> Record<'b> {
    /// The trimmed text of a column; `None` when absent, null or blank.
    pub(crate) fn text(self, col: usize) -> Option<&'b str> {
        let raw = match &self.batch.cols[col] {
            Col::Absent | Col::Micros(_) => None,
            Col::Text(v) => v[self.i],
            Col::Owned(v) => v[self.i].as_deref(),
        }?;
        let trimmed = trim(raw);
        (!trimmed.is_empty()).then_some(trimmed)
    }

    /// A typed time, when the column holds times rather than text.
    pub(crate) fn micros(self, col: usize) -> Option<i64> {
        match &self.batch.cols[col] {
            Col::Micros(v) => v[self.i],
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
