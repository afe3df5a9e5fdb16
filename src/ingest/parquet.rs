//! The transfers layout in Parquet, read with polars in batches of whole
//! row groups (about `chunk_bytes` of decoded data each), only the columns
//! the layout uses.
//!
//! Columns may be typed: `time` as a timestamp (any unit; a zone-less
//! timestamp is read as UTC) or RFC 3339 text; amounts as text, decimal or
//! integer columns (exact), or floating point (converted through their
//! shortest round-trip decimal text, e.g. `0.1` stays `0.1`; prefer text or
//! decimal columns for money). Other columns are read as text.
//!
//! Before polars sees the file, [`parquet_check`](super::parquet_check)
//! reads its footer and walks the pages of the columns to be read, so that
//! a corrupt file is an error naming it, never a panic or an abort. Text
//! columns are read as bytes and checked value by value, so text that is
//! not UTF-8 costs one row (named by row and column), not the file.

use super::batch::{self, Batch, Col};
use super::layouts::{Layout, TRANSFERS};
use super::parquet_check;
use super::{layouts, resolve_by_name, Sink};
use crate::contain::contain;
use crate::error::{Error, ErrorKind, Reason, Result, RowError};
use polars::prelude::*;
use polars_parquet::parquet::metadata::SchemaDescriptor;
use polars_parquet::parquet::schema::types::{
    ParquetType, PrimitiveConvertedType, PrimitiveLogicalType,
};
use std::path::Path;

pub(super) fn read(path: &Path, sink: &mut Sink<'_>) -> Result<()> {
    let open = || std::fs::File::open(path).map_err(|e| Error::io(path, e));
    let corrupt = |e: String| Error::format(path, format!("Parquet: {e}"));
    let mut file = open()?;
    let size = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let footer = parquet_check::footer(&mut file, size).map_err(corrupt)?;
    if footer.rows > u64::from(u32::MAX) {
        return Err(ErrorKind::TooManyRows {
            path: path.to_path_buf(),
        }
        .into());
    }
    let header: Vec<String> = footer.fields.iter().map(|f| f.name.clone()).collect();
    let wanted = resolve_by_name(path, TRANSFERS, &header, &mut sink.report.notes)?;
    let fields: Vec<usize> = wanted.iter().flatten().copied().collect();
    parquet_check::pages(&mut file, &footer, &fields).map_err(corrupt)?;
    let read_names: Vec<String> = fields.iter().map(|&i| header[i].clone()).collect();
    // polars from here on: a panic it still raises becomes an error
    let polars = |e: PolarsError| corrupt(e.to_string());
    let panicked = |message: String| corrupt(format!("the decoder stopped: {message}"));
    let metadata = contain(|| -> Result<_> {
        let mut reader = ParquetReader::new(open()?);
        let metadata = reader.get_metadata().map_err(polars)?;
        Ok(std::sync::Arc::new(text_as_bytes(metadata)))
    })
    .map_err(panicked)??;
    let total_rows: usize = metadata.row_groups.iter().map(|g| g.num_rows()).sum();
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
        let df = contain(|| -> Result<DataFrame> {
            let mut chunk_reader = ParquetReader::new(open()?)
                .with_columns(Some(read_names.clone()))
                .with_slice(Some((offset, len)));
            chunk_reader.set_metadata(metadata.clone());
            chunk_reader.finish().map_err(polars)
        })
        .map_err(panicked)??;
        read_frame(path, sink, &df, &header, &wanted, offset)?;
        if let Some(progress) = &sink.options.progress {
            let done = (offset + len) as u128 * size as u128 / total_rows.max(1) as u128;
            progress(done as u64, size);
        }
    }
    Ok(())
}

/// The file's metadata with its text columns marked as plain bytes (and
/// the stored Arrow schema, which would mark them again, left out), so that
/// polars hands over bytes and the UTF-8 check is per value.
fn text_as_bytes(
    metadata: &polars_parquet::parquet::metadata::FileMetadata,
) -> polars_parquet::parquet::metadata::FileMetadata {
    fn strip(t: &ParquetType) -> ParquetType {
        match t {
            ParquetType::PrimitiveType(p) => {
                let mut p = p.clone();
                if p.logical_type == Some(PrimitiveLogicalType::String) {
                    p.logical_type = None;
                }
                if p.converted_type == Some(PrimitiveConvertedType::Utf8) {
                    p.converted_type = None;
                }
                ParquetType::PrimitiveType(p)
            }
            group => group.clone(),
        }
    }
    let mut m = metadata.clone();
    if let Some(kv) = &mut m.key_value_metadata {
        kv.retain(|k| k.key != "ARROW:schema");
    }
    let fields = m.schema_descr.fields().iter().map(strip).collect();
    m.schema_descr = SchemaDescriptor::new(m.schema_descr.name().into(), fields);
    m
}

/// Hand one frame of the file, whose first row is data row `offset`, to
/// the sink. Text that is not UTF-8 rejects its row.
fn read_frame(
    path: &Path,
    sink: &mut Sink<'_>,
    df: &DataFrame,
    header: &[String],
    wanted: &[Option<usize>],
    offset: usize,
) -> Result<()> {
    let polars_error = |e: PolarsError| Error::format(path, format!("Parquet: {e}"));
    let height = df.height();
    let mut cols = Vec::with_capacity(wanted.len());
    let mut bad: Vec<Option<RowError>> = vec![None; height];
    for (spec, w) in TRANSFERS.iter().zip(wanted) {
        let Some(i) = *w else {
            cols.push(Col::Absent);
            continue;
        };
        let column = df.column(&header[i]).map_err(polars_error)?;
        if column.len() != height {
            return Err(Error::format(
                path,
                format!(
                    "Parquet: column {:?} has {} values in a batch of {height} rows",
                    header[i],
                    column.len()
                ),
            ));
        }
        let col = match column.dtype() {
            DataType::String => Col::Text(column.str().map_err(polars_error)?.iter().collect()),
            DataType::Binary => {
                let values = column.binary().map_err(polars_error)?;
                let mut text = Vec::with_capacity(height);
                for (k, v) in values.iter().enumerate() {
                    text.push(match v.map(std::str::from_utf8) {
                        None => None,
                        Some(Ok(s)) => Some(s),
                        Some(Err(e)) => {
                            if bad[k].is_none() {
                                let row = (offset + k) as u64;
                                let value = String::from_utf8_lossy(v.unwrap_or_default());
                                let mut error =
                                    RowError::new(row, spec.label, &value, Reason::BadValue)
                                        .with_detail(format!(
                                            "not valid UTF-8 at byte {}",
                                            e.valid_up_to()
                                        ));
                                error.path = path.to_path_buf();
                                bad[k] = Some(error);
                            }
                            None
                        }
                    });
                }
                Col::Text(text)
            }
            DataType::Datetime(unit, _) => {
                let unit = match unit {
                    TimeUnit::Nanoseconds => batch::TimeUnit::Nanos,
                    TimeUnit::Microseconds => batch::TimeUnit::Micros,
                    TimeUnit::Milliseconds => batch::TimeUnit::Millis,
                };
                let physical = column.cast(&DataType::Int64).map_err(polars_error)?;
                let values = physical.i64().map_err(polars_error)?;
                Col::Times(values.iter().collect(), unit)
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
    let rows: Vec<u64> = (offset as u64..(offset + height) as u64).collect();
    let rejected: Vec<RowError> = bad.iter().flatten().cloned().collect();
    let batch = if rejected.is_empty() {
        Batch {
            cols,
            rows,
            lines: None,
            plain: None,
        }
    } else {
        let keep: Vec<usize> = (0..height).filter(|&k| bad[k].is_none()).collect();
        Batch {
            cols: cols.into_iter().map(|c| c.select(&keep)).collect(),
            rows: keep.iter().map(|&k| rows[k]).collect(),
            lines: None,
            plain: None,
        }
    };
    sink.take_batch(
        &batch,
        Layout::TransfersParquet.spec(),
        rejected,
        &layouts::parse_transfers,
    )
}
