//! One partition file: its columns in memory ([`Part`]), written to and
//! read from plain Parquet.
//!
//! Amounts are `Decimal(38, 18)` columns, which polars, DuckDB and Spark
//! read as exact decimals, beside the scale the source wrote them with
//! (`amount_paid_scale`), so that a round trip returns every amount to the
//! digit (`5.00` stays `5.00`). A file is checked before polars decodes it
//! (footer and pages, as the Parquet reader of [`ingest`](crate::ingest)
//! does) and every value after: ids inside the dictionaries, known channel
//! names, scales, times inside the partition and in order. Whatever is
//! wrong is an error naming the file, the row and the column.

use crate::contain::contain;
use crate::error::{Error, Result};
use crate::ingest::parquet_check;
use crate::model::Channel;
use polars::prelude::*;
use rust_decimal::Decimal;
use std::path::Path;

/// The scale of the stored decimal columns: every amount moneytrail keeps
/// has at most 18 decimal places in a store (readers reject more than 28;
/// the store refuses more than 18 with the row named).
pub(crate) const STORED_SCALE: u32 = 18;

/// The columns of a partition file, in order, with what they hold (the
/// schema documented in docs/store.md).
pub(crate) const COLUMNS: [&str; 16] = [
    "time",
    "from",
    "to",
    "amount_paid",
    "amount_paid_scale",
    "asset_paid",
    "amount_received",
    "amount_received_scale",
    "asset_received",
    "channel",
    "laundering",
    "tx_id",
    "tx_hash",
    "chain",
    "source",
    "row",
];

/// The transfers of one partition, column by column, with account and
/// asset ids of the store's dictionaries.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Part {
    pub(crate) time_us: Vec<i64>,
    pub(crate) from: Vec<u32>,
    pub(crate) to: Vec<u32>,
    pub(crate) amount_paid: Vec<Decimal>,
    pub(crate) asset_paid: Vec<u32>,
    pub(crate) amount_received: Vec<Decimal>,
    pub(crate) asset_received: Vec<u32>,
    pub(crate) channel: Vec<Channel>,
    pub(crate) laundering: Vec<Option<bool>>,
    pub(crate) tx_id: Vec<Option<String>>,
    pub(crate) tx_hash: Vec<Option<String>>,
    pub(crate) chain: Vec<Option<String>>,
    /// Index of the source file in the manifest.
    pub(crate) source: Vec<u32>,
    /// 0-based data row in that source file.
    pub(crate) row: Vec<u32>,
}

/// What the reader checks the values against.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bounds {
    pub(crate) accounts: u32,
    pub(crate) assets: u32,
    pub(crate) sources: u32,
    /// The partition's interval, `[start, end)` in microseconds.
    pub(crate) start_us: i64,
    pub(crate) end_us: i64,
}

impl Part {
    pub(crate) fn len(&self) -> usize {
        self.time_us.len()
    }

    /// Move row `i` of `other` to the end of this part.
    pub(crate) fn push_from(&mut self, other: &Part, i: usize) {
        self.time_us.push(other.time_us[i]);
        self.from.push(other.from[i]);
        self.to.push(other.to[i]);
        self.amount_paid.push(other.amount_paid[i]);
        self.asset_paid.push(other.asset_paid[i]);
        self.amount_received.push(other.amount_received[i]);
        self.asset_received.push(other.asset_received[i]);
        self.channel.push(other.channel[i]);
        self.laundering.push(other.laundering[i]);
        self.tx_id.push(other.tx_id[i].clone());
        self.tx_hash.push(other.tx_hash[i].clone());
        self.chain.push(other.chain[i].clone());
        self.source.push(other.source[i]);
        self.row.push(other.row[i]);
    }

    /// Merge parts that are each in store order (time, then source, then
    /// row) into one in store order.
    pub(crate) fn merge(parts: &[Part]) -> Part {
        let mut keys: Vec<(i64, u32, u32, usize, usize)> = parts
            .iter()
            .enumerate()
            .flat_map(|(p, part)| {
                (0..part.len()).map(move |i| (part.time_us[i], part.source[i], part.row[i], p, i))
            })
            .collect();
        keys.sort_unstable();
        let mut out = Part::default();
        for (_, _, _, p, i) in keys {
            out.push_from(&parts[p], i);
        }
        out
    }

    /// Write the part as one Parquet file (zstd, with statistics, so that
    /// engines can skip by time).
    pub(crate) fn write(&self, path: &Path) -> Result<()> {
        let bad = |e: PolarsError| Error::invalid(format!("{}: {e}", path.display()));
        let mut columns: Vec<Column> = Vec::with_capacity(COLUMNS.len());
        let time = Int64Chunked::from_vec("time".into(), self.time_us.clone())
            .into_series()
            .cast(&DataType::Datetime(TimeUnit::Microseconds, None))
            .map_err(bad)?;
        columns.push(time.into_column());
        columns.push(UInt32Chunked::from_vec("from".into(), self.from.clone()).into_column());
        columns.push(UInt32Chunked::from_vec("to".into(), self.to.clone()).into_column());
        let sides = [
            (
                "amount_paid",
                &self.amount_paid,
                "asset_paid",
                &self.asset_paid,
            ),
            (
                "amount_received",
                &self.amount_received,
                "asset_received",
                &self.asset_received,
            ),
        ];
        for (name, amounts, asset_name, assets) in sides {
            let mut mantissas = Vec::with_capacity(amounts.len());
            let mut scales = Vec::with_capacity(amounts.len());
            for (i, amount) in amounts.iter().enumerate() {
                let (mantissa, scale) = stored(*amount).ok_or_else(|| {
                    Error::invalid(format!(
                        "source {} row {}, column {name}: {amount} has more than {STORED_SCALE} decimal places, more than a store keeps",
                        self.source[i], self.row[i]
                    ))
                })?;
                mantissas.push(mantissa);
                scales.push(scale);
            }
            let decimal = Int128Chunked::from_vec(name.into(), mantissas)
                .into_decimal(38, STORED_SCALE as usize)
                .map_err(bad)?;
            columns.push(decimal.into_series().into_column());
            columns.push(
                UInt32Chunked::from_vec(format!("{name}_scale").as_str().into(), scales)
                    .into_column(),
            );
            columns.push(UInt32Chunked::from_vec(asset_name.into(), assets.clone()).into_column());
        }
        // the columns in the documented order: amount, scale, asset per side
        let channel: Vec<&str> = self.channel.iter().map(|c| c.name()).collect();
        columns.push(Column::new("channel".into(), channel));
        columns.push(Column::new("laundering".into(), self.laundering.clone()));
        columns.push(Column::new("tx_id".into(), self.tx_id.clone()));
        columns.push(Column::new("tx_hash".into(), self.tx_hash.clone()));
        columns.push(Column::new("chain".into(), self.chain.clone()));
        columns.push(UInt32Chunked::from_vec("source".into(), self.source.clone()).into_column());
        columns.push(UInt32Chunked::from_vec("row".into(), self.row.clone()).into_column());
        let mut df = DataFrame::new(self.len(), columns).map_err(bad)?;
        let file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
        ParquetWriter::new(std::io::BufWriter::new(file))
            .with_compression(ParquetCompression::Zstd(None))
            .with_statistics(StatisticsOptions::default())
            .finish(&mut df)
            .map_err(bad)?;
        Ok(())
    }

    /// Read and check a partition file of `rows` rows.
    pub(crate) fn read(path: &Path, rows: u64, bounds: Bounds) -> Result<Part> {
        let df = read_checked(path, &COLUMNS, rows, "store partition")?;
        Decoder { path, df: &df }.part(bounds)
    }
}

/// Read a Parquet file of the store, checked before polars decodes it
/// (footer and pages), with exactly these columns and `rows` rows; errors
/// name the file and say it is `what`.
pub(crate) fn read_checked(
    path: &Path,
    columns: &[&str],
    rows: u64,
    what: &str,
) -> Result<DataFrame> {
    let corrupt = |e: String| Error::format(path, format!("{what}: {e}"));
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let size = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let footer = parquet_check::footer(&mut file, size).map_err(corrupt)?;
    let names: Vec<&str> = footer.fields.iter().map(|f| f.name.as_str()).collect();
    if names != columns {
        return Err(corrupt(format!(
            "columns are [{}], expected [{}]",
            names.join(", "),
            columns.join(", ")
        )));
    }
    if footer.rows != rows {
        return Err(corrupt(format!(
            "{} rows, the manifest says {rows}",
            footer.rows
        )));
    }
    let fields: Vec<usize> = (0..columns.len()).collect();
    parquet_check::pages(&mut file, &footer, &fields).map_err(corrupt)?;
    contain(|| ParquetReader::new(file).finish())
        .map_err(|m| corrupt(format!("the decoder stopped: {m}")))?
        .map_err(|e| corrupt(e.to_string()))
}

/// A nullable text column's values (a column of nulls only may come back
/// typed as Null).
pub(crate) fn optional_texts(column: &Column) -> PolarsResult<Vec<Option<String>>> {
    if column.dtype() == &DataType::Null {
        return Ok(vec![None; column.len()]);
    }
    Ok(column
        .str()?
        .iter()
        .map(|v| v.map(str::to_string))
        .collect())
}

/// A nullable boolean column's values, as [`optional_texts`].
pub(crate) fn optional_bools(column: &Column) -> PolarsResult<Vec<Option<bool>>> {
    if column.dtype() == &DataType::Null {
        return Ok(vec![None; column.len()]);
    }
    Ok(column.bool()?.iter().collect())
}

/// An amount as a mantissa at [`STORED_SCALE`] and its own scale; `None`
/// when it has more decimal places than that.
fn stored(amount: Decimal) -> Option<(i128, u32)> {
    let scale = amount.scale();
    if scale > STORED_SCALE {
        return None;
    }
    let mantissa = amount
        .mantissa()
        .checked_mul(10i128.pow(STORED_SCALE - scale))?;
    Some((mantissa, scale))
}

/// The amount a stored mantissa and scale stand for; `None` when they do
/// not make one (the mantissa is not a whole number at that scale, or it
/// is out of a decimal's range).
fn restored(mantissa: i128, scale: u32) -> Option<Decimal> {
    if scale > STORED_SCALE || mantissa < 0 {
        return None;
    }
    let unit = 10i128.pow(STORED_SCALE - scale);
    if mantissa % unit != 0 {
        return None;
    }
    Decimal::try_from_i128_with_scale(mantissa / unit, scale).ok()
}

/// Turns a decoded frame into a [`Part`], checking every value.
struct Decoder<'a> {
    path: &'a Path,
    df: &'a DataFrame,
}

impl Decoder<'_> {
    fn bad(&self, row: usize, column: &str, what: impl std::fmt::Display) -> Error {
        Error::format(
            self.path,
            format!("store partition: row {row}, column \"{column}\": {what}"),
        )
    }

    fn column(&self, name: &str) -> Result<&Column> {
        self.df
            .column(name)
            .map_err(|e| Error::format(self.path, format!("store partition: column {name}: {e}")))
    }

    fn typed<T>(&self, name: &str, got: PolarsResult<T>) -> Result<T> {
        got.map_err(|e| {
            Error::format(
                self.path,
                format!("store partition: column \"{name}\" has the wrong type: {e}"),
            )
        })
    }

    /// A column of unsigned ids, each required and below `bound`.
    fn ids(&self, name: &str, bound: u32, what: &str) -> Result<Vec<u32>> {
        let column = self.column(name)?;
        let values = self.typed::<&UInt32Chunked>(name, column.u32())?;
        let mut out = Vec::with_capacity(values.len());
        for (row, v) in values.iter().enumerate() {
            match v {
                Some(v) if v < bound => out.push(v),
                Some(v) => {
                    return Err(self.bad(
                        row,
                        name,
                        format!("{v} is not one of the {bound} {what}"),
                    ))
                }
                None => return Err(self.bad(row, name, "missing")),
            }
        }
        Ok(out)
    }

    fn texts(&self, name: &str) -> Result<Vec<Option<String>>> {
        self.typed(name, optional_texts(self.column(name)?))
    }

    fn amounts(&self, name: &str) -> Result<Vec<Decimal>> {
        let scale_name = format!("{name}_scale");
        let scales = self.ids(
            &scale_name,
            STORED_SCALE + 1,
            "scales a store keeps (0 to 18)",
        )?;
        let column = self.column(name)?;
        let decimals = self.typed(name, column.decimal())?;
        if decimals.scale() != STORED_SCALE as usize {
            return Err(Error::format(
                self.path,
                format!(
                    "store partition: column \"{name}\" has scale {}, expected {STORED_SCALE}",
                    decimals.scale()
                ),
            ));
        }
        let mut out = Vec::with_capacity(scales.len());
        for (row, (m, scale)) in decimals.physical().iter().zip(scales).enumerate() {
            let m = m.ok_or_else(|| self.bad(row, name, "missing"))?;
            let amount = restored(m, scale).ok_or_else(|| {
                self.bad(
                    row,
                    name,
                    format!("{m}e-{STORED_SCALE} is not a non-negative amount with {scale} decimal places"),
                )
            })?;
            out.push(amount);
        }
        Ok(out)
    }

    fn part(&self, bounds: Bounds) -> Result<Part> {
        let time = self.column("time")?;
        let time = self.typed("time", time.cast(&DataType::Int64))?;
        let time = self.typed("time", time.i64())?;
        let mut time_us = Vec::with_capacity(time.len());
        for (row, t) in time.iter().enumerate() {
            let t = t.ok_or_else(|| self.bad(row, "time", "missing"))?;
            if t < bounds.start_us || t >= bounds.end_us {
                return Err(self.bad(
                    row,
                    "time",
                    format!(
                        "{} is outside the partition [{}, {})",
                        crate::time::to_rfc3339(t),
                        crate::time::to_rfc3339(bounds.start_us),
                        crate::time::to_rfc3339(bounds.end_us)
                    ),
                ));
            }
            if time_us.last().is_some_and(|&last| t < last) {
                return Err(self.bad(
                    row,
                    "time",
                    "earlier than the row before: not in time order",
                ));
            }
            time_us.push(t);
        }
        let channel_column = self.column("channel")?;
        let channel_values = self.typed("channel", channel_column.str())?;
        let mut channel = Vec::with_capacity(channel_values.len());
        for (row, c) in channel_values.iter().enumerate() {
            let c = c.ok_or_else(|| self.bad(row, "channel", "missing"))?;
            channel.push(
                Channel::parse(c)
                    .ok_or_else(|| self.bad(row, "channel", format!("unknown channel {c:?}")))?,
            );
        }
        let laundering = self.typed("laundering", optional_bools(self.column("laundering")?))?;
        let accounts = "accounts of the store";
        let assets = "assets of the store";
        Ok(Part {
            time_us,
            from: self.ids("from", bounds.accounts, accounts)?,
            to: self.ids("to", bounds.accounts, accounts)?,
            amount_paid: self.amounts("amount_paid")?,
            asset_paid: self.ids("asset_paid", bounds.assets, assets)?,
            amount_received: self.amounts("amount_received")?,
            asset_received: self.ids("asset_received", bounds.assets, assets)?,
            channel,
            laundering,
            tx_id: self.texts("tx_id")?,
            tx_hash: self.texts("tx_hash")?,
            chain: self.texts("chain")?,
            source: self.ids("source", bounds.sources, "source files of the store")?,
            row: self.ids("row", u32::MAX, "rows a file may have")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{restored, stored};
    use rust_decimal::Decimal;
    use std::str::FromStr;

    #[test]
    fn amounts_keep_value_and_scale() {
        for text in [
            "5.00",
            "0",
            "1000000000000000",
            "0.000000000000000001",
            "12.5",
        ] {
            let amount = Decimal::from_str(text).unwrap();
            let (m, s) = stored(amount).unwrap();
            let back = restored(m, s).unwrap();
            assert_eq!(back.to_string(), text);
        }
        assert_eq!(
            stored(Decimal::from_str("0.0000000000000000001").unwrap()),
            None
        );
        // a mantissa that is not whole at its stated scale is refused
        assert_eq!(restored(15, 2), None);
        assert_eq!(restored(-1, 0), None);
    }
}
