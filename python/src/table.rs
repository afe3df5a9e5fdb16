//! Large results (findings, transfers, flows, scores) cross to Python as
//! one Parquet file in memory, built column by column here and read by
//! `pl.read_parquet`: typed columns and list columns in one copy, without
//! a JSON record per row. Amounts and times go as text, which the Python
//! side casts to exact decimals and UTC datetimes.

use crate::errors::argument;
use polars::prelude::*;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// A table under construction: columns of one height.
pub(crate) struct Table {
    height: usize,
    columns: Vec<Column>,
}

impl Table {
    /// An empty table of `height` rows.
    pub(crate) fn new(height: usize) -> Table {
        Table {
            height,
            columns: Vec::new(),
        }
    }

    /// A column of unsigned integers.
    pub(crate) fn u32s(mut self, name: &str, values: Vec<u32>) -> Table {
        self.columns
            .push(UInt32Chunked::from_vec(name.into(), values).into_column());
        self
    }

    /// A column of signed integers.
    pub(crate) fn i64s(mut self, name: &str, values: Vec<i64>) -> Table {
        self.columns
            .push(Int64Chunked::from_vec(name.into(), values).into_column());
        self
    }

    /// A column of floats.
    pub(crate) fn f64s(mut self, name: &str, values: Vec<f64>) -> Table {
        self.columns
            .push(Float64Chunked::from_vec(name.into(), values).into_column());
        self
    }

    /// A column of booleans.
    pub(crate) fn bools(mut self, name: &str, values: Vec<bool>) -> Table {
        self.columns.push(Column::new(name.into(), values));
        self
    }

    /// A column of text, null where `None`.
    pub(crate) fn texts<S: AsRef<str>>(mut self, name: &str, values: Vec<Option<S>>) -> Table {
        let values: StringChunked = values
            .iter()
            .map(|v| v.as_ref().map(AsRef::as_ref))
            .collect();
        self.columns
            .push(values.with_name(name.into()).into_column());
        self
    }

    /// A column of lists of text.
    pub(crate) fn text_lists<S: AsRef<str>>(mut self, name: &str, values: Vec<Vec<S>>) -> Table {
        let lists: ListChunked = values
            .iter()
            .map(|v| {
                let items: Vec<&str> = v.iter().map(AsRef::as_ref).collect();
                Some(Series::new(PlSmallStr::EMPTY, items))
            })
            .collect();
        let lists = lists
            .cast(&DataType::List(Box::new(DataType::String)))
            .unwrap_or_else(|_| lists.into_series());
        self.columns
            .push(lists.with_name(name.into()).into_column());
        self
    }

    /// A column of lists of unsigned integers.
    pub(crate) fn u32_lists(mut self, name: &str, values: Vec<Vec<u32>>) -> Table {
        let lists: ListChunked = values
            .into_iter()
            .map(|v| Some(UInt32Chunked::from_vec(PlSmallStr::EMPTY, v).into_series()))
            .collect();
        let lists = lists
            .cast(&DataType::List(Box::new(DataType::UInt32)))
            .unwrap_or_else(|_| lists.into_series());
        self.columns
            .push(lists.with_name(name.into()).into_column());
        self
    }

    /// The table as the bytes of a Parquet file.
    pub(crate) fn parquet(self, py: Python<'_>) -> PyResult<Py<PyBytes>> {
        let bytes = py.detach(|| -> PyResult<Vec<u8>> {
            let bad = |e: PolarsError| argument(format!("cannot build a result table: {e}"));
            let mut df = DataFrame::new(self.height, self.columns).map_err(bad)?;
            let mut buffer = Vec::new();
            ParquetWriter::new(&mut buffer)
                .with_compression(ParquetCompression::Uncompressed)
                .with_statistics(StatisticsOptions::empty())
                .finish(&mut df)
                .map_err(bad)?;
            Ok(buffer)
        })?;
        Ok(PyBytes::new(py, &bytes).unbind())
    }
}
