//! The transfers layout in Parquet, read with polars in batches of whole
//! row groups (about `chunk_bytes` of decoded data each), only the columns
//! the layout uses.
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
    let open = || std::fs::File::open(path).map_err(|e| Error::io(path, e));
    let polars_error = |e: PolarsError| Error::format(path, format!("Parquet: {e}"));
    let mut reader = ParquetReader::new(open()?);
    let header: Vec<String> = reader
        .schema()
        .map_err(polars_error)?
        .iter_names()
        .map(|n| n.to_string())
        .collect();
    let wanted = resolve_by_name(path, TRANSFERS, &header, &mut sink.report.notes)?;
    let read_names: Vec<String> = wanted
        .iter()
        .flatten()
        .map(|&i| header[i].clone())
        .collect();
    let metadata = reader.get_metadata().map_err(polars_error)?.clone();
    let total_rows: usize = metadata.row_groups.iter().map(|g| g.num_rows()).sum();
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    // whole row groups per batch, about chunk_bytes of decoded data each,
    // so memory stays bounded however large the file
    let mut chunks: Vec<(usize, usize)> = Vec::new();
    let (mut first, mut rows, mut bytes) = (0usize, 0usize, 0usize);
    for group in &metadata.row_groups {
        rows += group.num_rows();
        bytes += group.total_byte_size();
        if bytes >= sink.options.chunk_bytes.max(1) {
            chunks.push((first, rows));
            (first, rows, bytes) = (first + rows, 0, 0);
        }
    }
    if rows > 0 || chunks.is_empty() {
        chunks.push((first, rows));
    }
    for (offset, len) in chunks {
        let mut chunk_reader = ParquetReader::new(open()?)
            .with_columns(Some(read_names.clone()))
            .with_slice(Some((offset, len)));
        chunk_reader.set_metadata(metadata.clone());
        let df = chunk_reader.finish().map_err(polars_error)?;
        read_frame(path, sink, &df, &header, &wanted, offset)?;
        if let Some(progress) = &sink.options.progress {
            let done = (offset + len) as u128 * size as u128 / total_rows.max(1) as u128;
            progress(done as u64, size);
        }
    }
    Ok(())
}

/// Hand one frame of the file, whose first row is data row `offset`, to
/// the sink.
fn read_frame(
    path: &Path,
    sink: &mut Sink<'_>,
    df: &DataFrame,
    header: &[String],
    wanted: &[Option<usize>],
    offset: usize,
) -> Result<()> {
    let polars_error = |e: PolarsError| Error::format(path, format!("Parquet: {e}"));
    let mut cols = Vec::with_capacity(wanted.len());
    for w in wanted {
        let Some(i) = *w else {
            cols.push(Col::Absent);
            continue;
        };
        let column = df.column(&header[i]).map_err(polars_error)?;
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
        rows: (offset as u64..(offset + df.height()) as u64).collect(),
        lines: None,
    };
    sink.take_batch(
        &batch,
        Layout::TransfersParquet.spec(),
        Vec::new(),
        &layouts::parse_transfers,
    )
}
