//! Writing the files of a results folder: text files, and tables as CSV
//! (formulas neutralised for spreadsheets) with a Parquet twin.

use super::OutputOptions;
use crate::error::{Error, Result};
use polars::prelude::*;
use std::path::Path;

pub(super) fn io(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error::io(path, e)
}

pub(super) fn polars_error(path: &Path) -> impl Fn(PolarsError) -> Error + '_ {
    move |e| Error::format(path, format!("writing a table: {e}"))
}

/// The files a write made, relative to its folder, in the order written.
pub type Written = Vec<String>;

pub(super) fn write_text(dir: &Path, name: &str, text: &str, written: &mut Written) -> Result<()> {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    std::fs::write(&path, text).map_err(io(&path))?;
    written.push(name.to_string());
    Ok(())
}

pub(super) fn joined<T: ToString>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(";")
}

/// Text cells a spreadsheet would run as a formula (OWASP's list).
pub(super) fn is_formula(cell: &str) -> bool {
    cell.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// `df` with every text cell that [`is_formula`] quoted with a leading `'`.
pub(super) fn neutralised(df: &DataFrame) -> PolarsResult<DataFrame> {
    let columns = df
        .columns()
        .iter()
        .map(|c| match c.str() {
            Ok(text) if text.iter().flatten().any(is_formula) => {
                let guarded: Vec<Option<String>> = text
                    .iter()
                    .map(|v| {
                        v.map(|v| {
                            if is_formula(v) {
                                format!("'{v}")
                            } else {
                                v.to_string()
                            }
                        })
                    })
                    .collect();
                Column::new(c.name().clone(), guarded)
            }
            _ => c.clone(),
        })
        .collect();
    DataFrame::new(df.height(), columns)
}

/// Write a table as `<name>.csv` and, with [`OutputOptions::parquet`],
/// `<name>.parquet`; the CSV file's formulas neutralised as
/// [`OutputOptions::neutralise_formulas`] says.
pub(super) fn write_table(
    dir: &Path,
    name: &str,
    df: &mut DataFrame,
    options: &OutputOptions,
    written: &mut Written,
) -> Result<()> {
    let csv = format!("{name}.csv");
    let path = dir.join(&csv);
    let file = std::fs::File::create(&path).map_err(io(&path))?;
    let mut guarded = if options.neutralise_formulas {
        neutralised(df).map_err(polars_error(&path))?
    } else {
        df.clone()
    };
    CsvWriter::new(std::io::BufWriter::new(file))
        .include_header(true)
        .finish(&mut guarded)
        .map_err(polars_error(&path))?;
    written.push(csv);
    if options.parquet {
        let name = format!("{name}.parquet");
        let path = dir.join(&name);
        let file = std::fs::File::create(&path).map_err(io(&path))?;
        ParquetWriter::new(std::io::BufWriter::new(file))
            .finish(df)
            .map_err(polars_error(&path))?;
        written.push(name);
    }
    Ok(())
}

/// A table built column by column from rows, then written as CSV (and
/// Parquet): `Table::of(&rows).column("id", |r| r.id.clone())…write(…)`.
/// Each column keeps the type its closure returns (text, numbers, flags).
pub(super) struct Table<'r, R> {
    rows: &'r [R],
    columns: Vec<Column>,
}

impl<'r, R> Table<'r, R> {
    pub(super) fn of(rows: &'r [R]) -> Table<'r, R> {
        Table {
            rows,
            columns: Vec::new(),
        }
    }

    /// Add a column: `value` of every row.
    pub(super) fn column<T: Cell>(mut self, name: &str, value: impl Fn(&R) -> T) -> Table<'r, R> {
        let values: Vec<T> = self.rows.iter().map(value).collect();
        self.columns.push(T::column(name, values));
        self
    }

    /// Write it as `<name>.csv` (and `<name>.parquet`) into `dir`.
    pub(super) fn write(
        self,
        dir: &Path,
        name: &str,
        options: &OutputOptions,
        written: &mut Written,
    ) -> Result<()> {
        let path = dir.join(format!("{name}.csv"));
        let mut df = DataFrame::new(self.rows.len(), self.columns).map_err(polars_error(&path))?;
        write_table(dir, name, &mut df, options, written)
    }
}

/// A value a table column can hold: text, a count, a number, a flag.
pub(super) trait Cell: Sized {
    /// The column of these values.
    fn column(name: &str, values: Vec<Self>) -> Column;
}

macro_rules! cells {
    ($($t:ty),*) => {$(
        impl Cell for $t {
            fn column(name: &str, values: Vec<$t>) -> Column {
                Column::new(name.into(), values)
            }
        }
    )*};
}

cells!(String, u32, f64, bool);
