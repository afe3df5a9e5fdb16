//! Features per transfer, for learned scoring: one row per transfer in
//! input row order, `row` first, then the transfer's own fields and the
//! graph families (see `docs/features.md` for every column).
//!
//! Built so far:
//!
//! * the transfer's own fields ([`transfer_features`]): its value paid and
//!   received in the reporting currency, hour of day, cross-border and
//!   cross-currency flags, and as text its assets, channel and the kinds
//!   of its two accounts;
//! * each endpoint's activity in a window ([`endpoint_features`]): degree,
//!   fan, and the sum, mean, minimum, maximum, variance and skewness of
//!   the values each endpoint received and paid, exactly and causally;
//! * scatter-gather through the transfer ([`scatter_gather_features`]):
//!   how many sources fan out and gather again at the payee through the
//!   transfer, and the widest such pattern, exactly and causally;
//! * temporal cycles through the transfer by length ([`cycle_features`]);
//! * what the rules say ([`rule_features`]): per typology of the detector
//!   registry, the best score of the findings holding the transfer and
//!   how many hold it;
//! * per account, for an account-level model ([`account_features`]): its
//!   counts, counterparties and values over its whole history, and the
//!   highest value of every transfer column over what it paid and received.
//!
//! Every family is checked against a brute-force reference on random
//! ledgers, and gives the same columns on any number of threads.

mod accounts;
mod cycles;
mod endpoint;
mod rules;
mod scatter_gather;

pub use accounts::{account_features, AccountFeatures, ACCOUNT_COLUMNS};
pub use cycles::{cycle_features, cycle_names, CYCLES_PER_START};
pub use endpoint::{
    endpoint_features, endpoint_names, FeatureColumns, ENDPOINT_COLUMNS, STATISTICS,
};
pub use rules::{rule_features, rule_names};
pub use scatter_gather::{scatter_gather_features, SCATTER_GATHER_COLUMNS, STEPS_PER_TRANSFER};

use crate::detect::{DetectConfig, Finding};

use crate::error::{Error, Result};
use crate::model::TransferId;
use crate::valued::Valued;
use rust_decimal::prelude::ToPrimitive;
use std::path::Path;

/// Which features to compute.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureOptions {
    /// The endpoint window: 24 hours.
    pub window: crate::time::Span,
    /// The detector parameters of the rule columns (their `currency` is
    /// replaced by the data's), or `None` for no rule columns: the
    /// defaults.
    pub rules: Option<DetectConfig>,
    /// Count temporal cycles of 2 to this many transfers within the
    /// window (below 2, the default: no cycle columns; they cost time on
    /// dense data and did not lift the model's F1 where measured, see
    /// docs/features.md).
    pub cycle_hops: usize,
    /// Count the scatter-gathers each transfer completes within the
    /// window (`sg_sources`, `sg_width`): on by default.
    pub scatter_gather: bool,
}

impl Default for FeatureOptions {
    fn default() -> FeatureOptions {
        FeatureOptions {
            window: crate::time::Span::hours(24),
            rules: Some(DetectConfig::default()),
            cycle_hops: 0,
            scatter_gather: true,
        }
    }
}

impl FeatureOptions {
    /// The detector parameters for `data`'s currency, if rule columns are asked for.
    pub fn rules_for(&self, data: &Valued<'_>) -> Option<DetectConfig> {
        self.rules.as_ref().map(|c| DetectConfig {
            currency: data.currency().to_string(),
            ..c.clone()
        })
    }
}

/// The features of every transfer, in input row order.
#[derive(Debug, Clone, PartialEq)]
pub struct TransferFeatures {
    /// The 0-based data row of each output row.
    pub rows: Vec<u32>,
    /// The transfer of each output row.
    pub transfers: Vec<TransferId>,
    /// Numeric columns, in output row order.
    pub numbers: FeatureColumns,
    /// Text columns (name, values), in output row order.
    pub texts: Vec<(String, Vec<String>)>,
    /// What limits the columns, in words (a search budget that was hit).
    pub warnings: Vec<String>,
}

/// The features of every transfer of `data` (see the module
/// documentation).
///
/// ```
/// use moneytrail::features::{transfer_features, FeatureOptions};
/// use moneytrail::{FlowGraph, LedgerBuilder, NewTransfer, Valued};
/// use rust_decimal::Decimal;
///
/// let mut b = LedgerBuilder::new();
/// let (x, y) = (b.account("x"), b.account("y"));
/// let usd = b.asset("USD").unwrap();
/// b.push(NewTransfer::simple(7 * 3_600_000_000, x, y, Decimal::from(250), usd, 0));
/// let g = FlowGraph::new(b.finish().unwrap());
/// let f = transfer_features(&Valued::implied(&g, "USD"), &FeatureOptions::default());
/// let column = |name: &str| &f.numbers.values[f.numbers.names.iter().position(|n| n == name).unwrap()];
/// assert_eq!(column("value_paid"), &[250.0]);
/// assert_eq!(column("hour"), &[7.0]);
/// ```
pub fn transfer_features(data: &Valued<'_>, options: &FeatureOptions) -> TransferFeatures {
    let findings = options
        .rules_for(data)
        .map(|config| crate::detect::analyze(data, &config, |_| {}).findings);
    transfer_features_from(data, options, findings.as_deref())
}

/// [`transfer_features`] with the findings of the rule columns already
/// made (by `detect::analyze` with [`FeatureOptions::rules_for`]): no
/// rule columns when `findings` is `None`.
pub fn transfer_features_from(
    data: &Valued<'_>,
    options: &FeatureOptions,
    findings: Option<&[Finding]>,
) -> TransferFeatures {
    let l = data.graph.ledger();
    let mut order: Vec<TransferId> = (0..l.len() as u32).map(TransferId).collect();
    order.sort_by_key(|t| (l.source_rows()[t.index()], *t));
    let pick = |column: &[f64]| {
        order
            .iter()
            .map(|t| column[t.index()])
            .collect::<Vec<f64>>()
    };
    let rate = |t: TransferId| {
        let code = &l.asset(l.assets_received()[t.index()]).code;
        data.fx.rate(code).and_then(|r| r.to_f64())
    };
    let mut names: Vec<String> = Vec::new();
    let mut values: Vec<Vec<f64>> = Vec::new();
    let mut push = |name: &str, column: Vec<f64>| {
        names.push(name.to_string());
        values.push(column);
    };
    let each = |f: &dyn Fn(usize) -> f64| order.iter().map(|t| f(t.index())).collect::<Vec<f64>>();
    push("value_paid", pick(&data.value_f64));
    push(
        "value_received",
        each(&|i| {
            let amount = l.amounts_received()[i].to_f64().unwrap_or(0.0);
            rate(TransferId(i as u32)).map_or(0.0, |r| amount * r)
        }),
    );
    push(
        "hour",
        each(&|i| (l.times_us()[i].div_euclid(crate::time::HOUR)).rem_euclid(24) as f64),
    );
    push(
        "cross_border",
        each(&|i| {
            let (f, t) = (l.account(l.froms()[i]), l.account(l.tos()[i]));
            match (&f.jurisdiction, &t.jurisdiction) {
                (Some(a), Some(b)) => f64::from(u8::from(a != b)),
                _ => 0.0,
            }
        }),
    );
    push(
        "cross_currency",
        each(&|i| f64::from(u8::from(l.assets_paid()[i] != l.assets_received()[i]))),
    );
    // The text fields as numbers a tree can split on: a channel's or
    // kind's place in its list, an asset code's bytes (stable across files).
    push(
        "channel_code",
        each(&|i| position(&crate::model::Channel::ALL, &l.channels()[i])),
    );
    push(
        "asset_paid_code",
        each(&|i| code_number(&l.asset(l.assets_paid()[i]).code)),
    );
    push(
        "asset_received_code",
        each(&|i| code_number(&l.asset(l.assets_received()[i]).code)),
    );
    push(
        "payer_kind_code",
        each(&|i| {
            position(
                &crate::model::AccountKind::ALL,
                &l.account(l.froms()[i]).kind,
            )
        }),
    );
    push(
        "payee_kind_code",
        each(&|i| position(&crate::model::AccountKind::ALL, &l.account(l.tos()[i]).kind)),
    );
    let endpoint = endpoint_features(data.graph, &data.value_f64, options.window.micros());
    for (name, column) in endpoint.names.into_iter().zip(endpoint.values) {
        push(&name, pick(&column));
    }
    let mut warnings = Vec::new();
    if options.scatter_gather {
        let (columns, truncated) = scatter_gather_features(data.graph, options.window.micros());
        for (name, column) in columns.names.into_iter().zip(columns.values) {
            push(&name, pick(&column));
        }
        if truncated {
            warnings.push(format!(
                "the scatter-gather columns read at most {STEPS_PER_TRANSFER} receipts per transfer, and some transfers needed more: their counts are lower bounds"
            ));
        }
    }
    if options.cycle_hops >= 2 {
        let (cycles, truncated) = cycle_features(data, options.cycle_hops, options.window);
        for (name, column) in cycles.names.into_iter().zip(cycles.values) {
            push(&name, pick(&column));
        }
        if truncated {
            warnings.push(format!(
                "the cycle columns count at most {CYCLES_PER_START} cycles per first transfer, and some transfers started more: their counts are lower bounds"
            ));
        }
    }
    if let Some(findings) = findings {
        let rules = rule_features(findings, l.len());
        for (name, column) in rules.names.into_iter().zip(rules.values) {
            push(&name, pick(&column));
        }
    }
    let text =
        |f: &dyn Fn(usize) -> String| order.iter().map(|t| f(t.index())).collect::<Vec<String>>();
    let texts = vec![
        (
            "asset_paid".to_string(),
            text(&|i| l.asset(l.assets_paid()[i]).code.clone()),
        ),
        (
            "asset_received".to_string(),
            text(&|i| l.asset(l.assets_received()[i]).code.clone()),
        ),
        (
            "channel".to_string(),
            text(&|i| l.channels()[i].name().to_string()),
        ),
        (
            "payer_kind".to_string(),
            text(&|i| l.account(l.froms()[i]).kind.name().to_string()),
        ),
        (
            "payee_kind".to_string(),
            text(&|i| l.account(l.tos()[i]).kind.name().to_string()),
        ),
    ];
    TransferFeatures {
        rows: order.iter().map(|t| l.source_rows()[t.index()]).collect(),
        transfers: order,
        numbers: FeatureColumns { names, values },
        texts,
        warnings,
    }
}

/// The place of `item` in `all` (as a feature value).
fn position<T: PartialEq>(all: &[T], item: &T) -> f64 {
    all.iter()
        .position(|x| x == item)
        .map_or(-1.0, |p| p as f64)
}

/// An asset code as a number: its first six bytes, big-endian (exact in
/// an `f64`), so the same code gives the same number in every file.
///
/// ```
/// # use moneytrail::features::code_number;
/// assert_eq!(code_number("A"), 65.0);
/// assert_eq!(code_number("USD"), ((85.0 * 256.0) + 83.0) * 256.0 + 68.0);
/// assert_ne!(code_number("EUR"), code_number("USD"));
/// ```
pub fn code_number(code: &str) -> f64 {
    code.bytes()
        .take(6)
        .fold(0.0, |n, b| n * 256.0 + f64::from(b))
}

/// Write the features as one Parquet file: `row` first, then the numeric
/// columns (Float64), then the text columns. Takes the features, so that
/// their columns move into the file's frame instead of being copied.
///
/// # Errors
///
/// When the file cannot be written.
pub fn write_parquet(features: TransferFeatures, path: &Path) -> Result<()> {
    use polars::prelude::*;
    let bad = |e: PolarsError| Error::invalid(format!("{}: {e}", path.display()));
    let height = features.rows.len();
    let mut columns: Vec<Column> = Vec::new();
    columns.push(UInt32Chunked::from_vec("row".into(), features.rows).into_column());
    let numbers = features
        .numbers
        .names
        .into_iter()
        .zip(features.numbers.values);
    for (name, values) in numbers {
        columns.push(Float64Chunked::from_vec(name.as_str().into(), values).into_column());
    }
    for (name, values) in features.texts {
        columns.push(Column::new(name.as_str().into(), values));
    }
    let mut df = DataFrame::new(height, columns).map_err(bad)?;
    let file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    ParquetWriter::new(std::io::BufWriter::new(file))
        .finish(&mut df)
        .map_err(bad)?;
    Ok(())
}
