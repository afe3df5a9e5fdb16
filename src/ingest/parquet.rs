//! The transfers layout in Parquet, read with polars.
//!
//! Columns may be typed: `time` as a timestamp (any unit; a zone-less
//! timestamp is read as UTC) or RFC 3339 text; amounts as text, decimal or
//! integer columns (exact), or floating point (converted through their
//! shortest round-trip decimal text, e.g. `0.1` stays `0.1`; prefer text or
//! decimal columns for money). Other columns are read as text.

use super::batch::{Batch, Col};
use super::layouts::{Layout, TRANSFERS};
use super::{layouts, resolve_by_name, Sink};
use crate::error::{Error, Result};
use polars::prelude::*;
use std::path::Path;

pub(super) fn read(path: &Path, sink: &mut Sink<'_>) -> Result<()> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let polars_error = |e: PolarsError| Error::format(path, format!("Parquet: {e}"));
    let df = ParquetReader::new(file).finish().map_err(polars_error)?;
    let header: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    let wanted = resolve_by_name(path, TRANSFERS, &header, &mut sink.report.notes)?;
    let mut cols = Vec::with_capacity(wanted.len());
    for w in &wanted {
        let Some(i) = *w else {
            cols.push(Col::Absent);
            continue;
        };
        let column = &df.columns()[i];
        let col = match column.dtype() {
            DataType::String => Col::Text(column.str().map_err(polars_error)?.iter().collect()),
            DataType::Datetime(unit, _) => {
                let per_micro: (i64, i64) = match unit {
                    TimeUnit::Nanoseconds => (1, 1000),
                    TimeUnit::Microseconds => (1, 1),
                    TimeUnit::Milliseconds => (1000, 1),
                };
                let physical = column.cast(&DataType::Int64).map_err(polars_error)?;
                let values = physical.i64().map_err(polars_error)?;
                Col::Micros(
                    values
                        .iter()
                        .map(|v| {
                            v.and_then(|v| v.checked_mul(per_micro.0))
                                .map(|v| v.div_euclid(per_micro.1))
                        })
                        .collect(),
                )
            }
            _ => {
                let text = column.cast(&DataType::String).map_err(polars_error)?;
                Col::Owned(
                    text.str()
                        .map_err(polars_error)?
                        .iter()
                        .map(|v| v.map(str::to_string))
                        .collect(),
                )
            }
        };
        cols.push(col);
    }
    let batch = Batch {
        cols,
        rows: (0..df.height() as u64).collect(),
        lines: None,
    };
    sink.take_batch(
        &batch,
        Layout::TransfersParquet.spec(),
        Vec::new(),
        &layouts::parse_transfers,
    )?;
    if let Some(progress) = &sink.options.progress {
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        progress(size, size);
    }
    Ok(())
}
