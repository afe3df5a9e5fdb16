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
//! * each endpoint's history over a longer window ([`history_features`]):
//!   the same counts and values, the distinct assets of each direction and
//!   the hours since its earliest transfer there, exactly and causally;
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
mod moments;
mod rules;
mod scatter_gather;

pub use accounts::{account_features, AccountFeatures, ACCOUNT_COLUMNS};
pub use cycles::{cycle_features, cycle_names, CYCLES_PER_START};
pub use endpoint::{
    endpoint_features, endpoint_names, history_features, history_names, FeatureColumns,
    ENDPOINT_COLUMNS, HISTORY_COLUMNS, HISTORY_STATISTICS, STATISTICS,
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
    /// The window of each endpoint's history columns
    /// ([`history_features`]), or `None` for none: 30 days.
    pub history: Option<crate::time::Span>,
}

impl Default for FeatureOptions {
    fn default() -> FeatureOptions {
        FeatureOptions {
            window: crate::time::Span::hours(24),
            rules: Some(DetectConfig::default()),
            cycle_hops: 0,
            scatter_gather: true,
            history: Some(crate::time::Span::days(30)),
        }
    }
}

impl FeatureOptions {
    /// How far the graph columns of a transfer look before and after its
    /// time, in microseconds: one window before (endpoint, scatter-gather
    /// and cycle columns) or the history window if longer, one window
    /// after with cycle columns (a cycle counts for each of its transfers,
    /// and ends within the window of its first).
    pub fn reach_us(&self) -> (i64, i64) {
        let window = self.window.micros();
        let history = self.history.map_or(0, |h| h.micros());
        let after = if self.cycle_hops >= 2 { window } else { 0 };
        (window.max(history), after)
    }

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
    /// Text columns, in output row order.
    pub texts: Vec<TextFeature>,
    /// What limits the columns, in words (a search budget that was hit).
    pub warnings: Vec<String>,
}

/// A text column, each row's text an index into a list of texts (assets,
/// channels and account kinds are few: 4 bytes a row instead of a string).
#[derive(Debug, Clone, PartialEq)]
pub struct TextFeature {
    /// Column name.
    pub name: String,
    /// The texts the column takes.
    pub labels: Vec<String>,
    /// Each row's text, as its place in `labels`.
    pub codes: Vec<u32>,
}

impl TextFeature {
    /// The text of output row `row`.
    pub fn get(&self, row: usize) -> &str {
        &self.labels[self.codes[row] as usize]
    }
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
    let start = data_start(data);
    let graph = graph_columns(data, options, start);
    assemble(data, graph, findings, 0..data.graph.ledger().len())
}

/// The time of the data's first transfer (0 with none).
fn data_start(data: &Valued<'_>) -> i64 {
    data.graph.ledger().times_us().first().copied().unwrap_or(0)
}

/// The features of the transfers `owned` (ids of `data`'s ledger) of a
/// time shard `data`, without rule columns: what one shard of
/// [`transfer_features_sharded`] computes, for runs that spread the
/// shards over other processes (`moneytrail.spark.features`). `data`
/// must hold every transfer within [`FeatureOptions::reach_us`] of the
/// owned ones, its accounts and assets under the whole data's ids, and be
/// valued with the whole data's FX table; rows are `data`'s source rows;
/// `start_us` is the time of the whole data's first transfer (for
/// `history_reach`).
pub fn shard_features(
    data: &Valued<'_>,
    options: &FeatureOptions,
    owned: std::ops::Range<usize>,
    start_us: i64,
) -> TransferFeatures {
    let graph = graph_columns(data, options, start_us);
    assemble(data, graph, None, owned)
}

/// [`transfer_features`] time shard by time shard: the rule columns from
/// the detectors run shard by shard
/// ([`analyze_sharded`](crate::detect::analyze_sharded)), the rest as
/// [`transfer_features_sharded`] computes them. The same columns as
/// [`transfer_features`], value for value.
pub fn transfer_features_in_shards(
    data: &Valued<'_>,
    options: &FeatureOptions,
    length: crate::time::Span,
) -> TransferFeatures {
    let findings = options.rules_for(data).map(|config| {
        crate::detect::analyze_sharded(data, &config, length.micros(), |_| {}).findings
    });
    transfer_features_sharded(data, options, findings.as_deref(), length)
}

/// [`transfer_features_from`], the graph columns computed time shard by
/// time shard: each shard of `length` reads its interval plus what the
/// columns look at around a transfer ([`FeatureOptions::reach_us`]) and
/// keeps the rows of the transfers in its interval. The columns, and the
/// warnings, are the unsharded run's, value for value (every column is a
/// function of the transfers in its window alone); the graph of one shard
/// is held at a time.
///
/// ```
/// use moneytrail::features::{transfer_features_from, transfer_features_sharded, FeatureOptions};
/// use moneytrail::time::Span;
/// use moneytrail::{FlowGraph, LedgerBuilder, NewTransfer, Valued};
/// use rust_decimal::Decimal;
///
/// let mut b = LedgerBuilder::new();
/// let (x, y) = (b.account("x"), b.account("y"));
/// let usd = b.asset("USD").unwrap();
/// for (row, day) in (0..10).enumerate() {
///     let amount = Decimal::from(100 + 7 * row as i64);
///     b.push(NewTransfer::simple(day * 86_400_000_000, x, y, amount, usd, row as u32));
/// }
/// let g = FlowGraph::new(b.finish().unwrap());
/// let data = Valued::implied(&g, "USD");
/// let options = FeatureOptions { window: Span::days(3), rules: None, ..FeatureOptions::default() };
/// let whole = transfer_features_from(&data, &options, None);
/// let sharded = transfer_features_sharded(&data, &options, None, Span::days(2));
/// assert_eq!(sharded, whole);
/// ```
pub fn transfer_features_sharded(
    data: &Valued<'_>,
    options: &FeatureOptions,
    findings: Option<&[Finding]>,
    length: crate::time::Span,
) -> TransferFeatures {
    let l = data.graph.ledger();
    let (before, after) = options.reach_us();
    let shards = crate::detect::shards(l.times_us(), length.micros(), before, after);
    let start = data_start(data);
    let mut names = Vec::new();
    let mut values: Vec<Vec<f64>> = Vec::new();
    let mut warnings: Vec<String> = Vec::new();
    for shard in shards {
        let part = crate::FlowGraph::new(l.slice(shard.read.0..shard.read.1));
        let valued = Valued::new(&part, data.fx.clone());
        let (columns, said) = graph_columns(&valued, options, start);
        if values.is_empty() {
            values = vec![vec![0.0; l.len()]; columns.names.len()];
            names = columns.names;
        }
        let owned = shard.owned.0 - shard.read.0..shard.owned.1 - shard.read.0;
        for (whole, column) in values.iter_mut().zip(columns.values) {
            whole[shard.owned.0..shard.owned.1].copy_from_slice(&column[owned.clone()]);
        }
        for w in said {
            // a search cut in a shard's overlap is cut in the shard that
            // owns it too (it sees more there, never less)
            if !warnings.contains(&w) {
                warnings.push(w);
            }
        }
    }
    if values.is_empty() {
        return transfer_features_from(data, options, findings);
    }
    let graph = (FeatureColumns { names, values }, warnings);
    assemble(data, graph, findings, 0..l.len())
}

/// The graph families' columns (endpoint, history, scatter-gather,
/// cycles) in ledger order, and what limits them, in words; `start_us` is
/// the time of the whole data's first transfer.
fn graph_columns(
    data: &Valued<'_>,
    options: &FeatureOptions,
    start_us: i64,
) -> (FeatureColumns, Vec<String>) {
    let mut names: Vec<String> = Vec::new();
    let mut values: Vec<Vec<f64>> = Vec::new();
    let mut push = |name: &str, column: Vec<f64>| {
        names.push(name.to_string());
        values.push(column);
    };
    let window = options.window.micros();
    let decimals = currency_decimals(data);
    let endpoint = endpoint_features(data.graph, &data.value_f64, decimals, window);
    let shares = pass_shares(&endpoint);
    for (name, column) in endpoint.names.into_iter().zip(endpoint.values) {
        push(&name, column);
    }
    for (name, column) in shares {
        push(&name, column);
    }
    if let Some(history) = options.history {
        let columns = history_features(data.graph, &data.value_f64, decimals, history.micros());
        for (name, column) in columns.names.into_iter().zip(columns.values) {
            push(&name, column);
        }
        push("history_reach", history_reach(data, history, start_us));
    }
    let mut warnings = Vec::new();
    if options.scatter_gather {
        let (columns, truncated) = scatter_gather_features(data.graph, window);
        for (name, column) in columns.names.into_iter().zip(columns.values) {
            push(&name, column);
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
            push(&name, column);
        }
        if truncated {
            warnings.push(format!(
                "the cycle columns count at most {CYCLES_PER_START} cycles per first transfer, and some transfers started more: their counts are lower bounds"
            ));
        }
    }
    (FeatureColumns { names, values }, warnings)
}

/// For each transfer, the hours of the history window the data can show
/// before it: the window, or less within one window of the data's first
/// transfer at `start_us`. Every account looks new at the start of the
/// data; with this column a model can tell that from an account that is
/// new.
fn history_reach(data: &Valued<'_>, history: crate::time::Span, start_us: i64) -> Vec<f64> {
    let hour = crate::time::HOUR as f64;
    data.graph
        .ledger()
        .times_us()
        .iter()
        .map(|&t| (t - start_us).clamp(0, history.micros()) as f64 / hour)
        .collect()
}

/// For each endpoint, what it paid out in the window as a share of what
/// it received there (`<side>_out_share`; 0 when it received nothing): a
/// mule passes on most of what comes in within a day, a payroll account
/// or a shop does not.
fn pass_shares(endpoint: &FeatureColumns) -> Vec<(String, Vec<f64>)> {
    let column = |name: &str| {
        let j = endpoint.names.iter().position(|n| n == name);
        j.map_or(&[][..], |j| &endpoint.values[j][..])
    };
    ["payer", "payee"]
        .into_iter()
        .map(|side| {
            let (received, paid) = (
                column(&format!("{side}_in_sum")),
                column(&format!("{side}_out_sum")),
            );
            let share = received
                .iter()
                .zip(paid)
                .map(|(&r, &p)| if r > 0.0 { p / r } else { 0.0 })
                .collect();
            (format!("{side}_out_share"), share)
        })
        .collect()
}

/// The decimal places of the reporting currency: those of the data's
/// asset of that code, else those its code tells.
fn currency_decimals(data: &Valued<'_>) -> u32 {
    let l = data.graph.ledger();
    l.asset_id(data.currency()).map_or_else(
        || crate::model::Asset::from_code(data.currency()).decimals,
        |a| l.asset(a).decimals,
    )
}

/// The rows of the features of the transfers `keep`: the transfer's own
/// fields, the graph columns (ledger order) and the rule columns, in
/// input row order.
fn assemble(
    data: &Valued<'_>,
    graph: (FeatureColumns, Vec<String>),
    findings: Option<&[Finding]>,
    keep: std::ops::Range<usize>,
) -> TransferFeatures {
    let l = data.graph.ledger();
    let mut order: Vec<TransferId> = keep.map(|t| TransferId(t as u32)).collect();
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
    let (graph, warnings) = graph;
    for (name, column) in graph.names.into_iter().zip(graph.values) {
        push(&name, pick(&column));
    }
    if let Some(findings) = findings {
        let rules = rule_features(findings, l.len());
        for (name, column) in rules.names.into_iter().zip(rules.values) {
            push(&name, pick(&column));
        }
    }
    let text = |name: &str, labels: Vec<String>, code: &dyn Fn(usize) -> usize| TextFeature {
        name: name.to_string(),
        labels,
        codes: order.iter().map(|t| code(t.index()) as u32).collect(),
    };
    use crate::model::{AccountKind, Channel};
    let assets: Vec<String> = l.assets().iter().map(|a| a.code.clone()).collect();
    let channels = Channel::ALL.map(|c| c.name().to_string());
    let kinds = AccountKind::ALL.map(|k| k.name().to_string());
    let kind = |a: crate::model::AccountId| index_of(&AccountKind::ALL, &l.account(a).kind);
    let texts = vec![
        text("asset_paid", assets.clone(), &|i| {
            l.assets_paid()[i].index()
        }),
        text("asset_received", assets, &|i| {
            l.assets_received()[i].index()
        }),
        text("channel", channels.to_vec(), &|i| {
            index_of(&Channel::ALL, &l.channels()[i])
        }),
        text("payer_kind", kinds.to_vec(), &|i| kind(l.froms()[i])),
        text("payee_kind", kinds.to_vec(), &|i| kind(l.tos()[i])),
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

/// The place of `item` in `all` (0 when absent: every channel and kind is
/// in its `ALL`), as a text column's code.
fn index_of<T: PartialEq>(all: &[T], item: &T) -> usize {
    all.iter().position(|x| x == item).unwrap_or(0)
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
    for text in features.texts {
        let values: StringChunked = text
            .codes
            .iter()
            .map(|&c| Some(text.labels[c as usize].as_str()))
            .collect();
        columns.push(values.with_name(text.name.as_str().into()).into_column());
    }
    let mut df = DataFrame::new(height, columns).map_err(bad)?;
    let file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    ParquetWriter::new(std::io::BufWriter::new(file))
        .finish(&mut df)
        .map_err(bad)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{Span, HOUR};
    use crate::{FlowGraph, LedgerBuilder, NewTransfer};
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    #[test]
    fn history_reach_grows_from_the_data_start_to_the_window() {
        let mut b = LedgerBuilder::new();
        let usd = b.asset("USD").unwrap();
        let (x, y) = (b.account("x"), b.account("y"));
        for (row, hours) in [5i64, 6, 30, 100].into_iter().enumerate() {
            let t = hours * HOUR;
            b.push(NewTransfer::simple(t, x, y, Decimal::ONE, usd, row as u32));
        }
        let g = FlowGraph::new(b.finish().unwrap());
        let data = Valued::implied(&g, "USD");
        let options = FeatureOptions {
            rules: None,
            history: Some(Span::hours(48)),
            ..FeatureOptions::default()
        };
        let f = transfer_features_from(&data, &options, None);
        let reach = &f.numbers.values[f
            .numbers
            .names
            .iter()
            .position(|n| n == "history_reach")
            .unwrap()];
        assert_eq!(reach, &[0.0, 1.0, 25.0, 48.0]);
        let none = FeatureOptions {
            history: None,
            ..options
        };
        let f = transfer_features_from(&data, &none, None);
        assert!(!f.numbers.names.iter().any(|n| n.contains("history")));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn sharded_features_equal_the_whole_run(
            ops in prop::collection::vec((0u8..6, 0u8..6, 1i64..5_000_000, 0u8..10), 1..80),
            window_hours in 1i64..30,
            shard_hours in 1i64..60,
            cycles in any::<bool>(),
            history_hours in prop::option::of(1i64..80),
        ) {
            let mut b = LedgerBuilder::new();
            let usd = b.asset("USD").unwrap();
            let mut time = 0;
            for (row, &(f, t, cents, gap)) in ops.iter().enumerate() {
                time += i64::from(gap) * HOUR / 2; // ties, and long gaps
                let (f, t) = (b.account(&format!("a{f}")), b.account(&format!("a{t}")));
                b.push(NewTransfer::simple(time, f, t, Decimal::new(cents, 2), usd, row as u32));
            }
            let g = FlowGraph::new(b.finish().unwrap());
            let data = Valued::implied(&g, "USD");
            let options = FeatureOptions {
                window: Span::hours(window_hours),
                rules: None,
                cycle_hops: if cycles { 4 } else { 0 },
                scatter_gather: true,
                history: history_hours.map(Span::hours),
            };
            let whole = transfer_features_from(&data, &options, None);
            let sharded = transfer_features_sharded(&data, &options, None, Span::hours(shard_hours));
            prop_assert_eq!(sharded, whole);
        }
    }
}
