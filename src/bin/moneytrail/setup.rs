//! From flags to the library's option structs, each built once here: the
//! thread pool, the load (with a progress bar on a terminal), detector
//! configurations, FX tables, trace and output options, times and keys.

use crate::args::{ExchangeArgs, FeatureArgs, InputArgs, OutputArgs, ReadArgs, ThroughArg};
use anyhow::Context;
use moneytrail::detect::DetectConfig;
use moneytrail::features::FeatureOptions;
use moneytrail::fx::FxTable;
use moneytrail::ingest::{self, LoadOptions, Loaded};
use moneytrail::report::{OutputOptions, ReportLimits};
use moneytrail::store::{Store, TimeRange};
use moneytrail::trace::ExchangeLinks;
use moneytrail::{AccountId, FlowGraph, Ledger, Valued};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Size rayon's pool, once, before any parallel work: an error if it
/// cannot be built.
pub(crate) fn threads(threads: Option<usize>) -> anyhow::Result<()> {
    if let Some(n) = threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()
            .with_context(|| format!("cannot start {n} worker threads"))?;
    }
    Ok(())
}

/// A file shipped in `data/`, found from the source tree (as with
/// `cargo run`) or the working directory.
pub(crate) fn shipped(name: &str) -> PathBuf {
    let built = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join(name);
    if built.is_file() {
        built
    } else {
        PathBuf::from("data").join(name)
    }
}

/// The shipped sample of transfers.
pub(crate) fn sample_path() -> PathBuf {
    shipped("sample_transfers.csv")
}

/// The machine's memory in bytes (`MemTotal` of /proc/meminfo), where the
/// system says.
pub(crate) fn machine_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// About how many records a text file of transfers holds: its size over
/// the mean length of the records in its first MiB. `None` for Parquet
/// (its footer says, but a file's size says little of what it holds in
/// memory) and for files that cannot be read.
pub(crate) fn records_in(path: &Path) -> Option<u64> {
    use std::io::Read;
    let size = std::fs::metadata(path).ok()?.len();
    let mut head = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(1 << 20)
        .read_to_end(&mut head)
        .ok()?;
    if head.starts_with(b"PAR1") {
        return None;
    }
    let lines = memchr::memchr_iter(b'\n', &head).count().max(1) as u64;
    Some(size * lines / head.len().max(1) as u64)
}

/// Open the store in `dir`, the error naming it.
pub(crate) fn open_store(dir: &Path) -> anyhow::Result<Store> {
    Store::open(dir).with_context(|| format!("cannot open the store {}", dir.display()))
}

/// The rates of the whole of `source`, read a part at a time: the FX file
/// (`--fx`, else the one beside the file `beside`) completed by the rates
/// its converting transfers imply (the only ones implied rates are made
/// from), in `currency`.
pub(crate) fn whole_fx(
    source: &dyn moneytrail::detect::PartSource,
    beside: &Path,
    fx: Option<&PathBuf>,
    currency: &str,
) -> anyhow::Result<FxTable> {
    let (make_fx, _) = fx_rule(beside, fx, currency)?;
    let (conversions, _) = source.pick(&mut |g| g.asset_paid != g.asset_received)?;
    Ok(make_fx(&conversions).check(&conversions))
}

/// The whole store's rates: its FX table (or `--fx`) completed by the
/// rates its converting transfers imply, as [`whole_fx`] reads them.
pub(crate) fn store_fx(
    store: &Store,
    fx: Option<&PathBuf>,
    currency: &str,
) -> anyhow::Result<FxTable> {
    whole_fx(store, &store.manifest_path(), fx, currency)
}

/// The store in `dir` and its transfers of `range` (only the partitions
/// that hold some are read), warning when there are none.
pub(crate) fn load_store(dir: &Path, range: &TimeRange) -> anyhow::Result<(Store, Loaded)> {
    let store = open_store(dir)?;
    let loaded = store
        .load(range)
        .with_context(|| format!("cannot read the store {}", dir.display()))?;
    if loaded.ledger.is_empty() {
        let m = store.manifest();
        eprintln!(
            "warning: the store holds no transfers in the time asked for; it spans {} to {}",
            m.first_time.as_deref().unwrap_or("-"),
            m.last_time.as_deref().unwrap_or("-")
        );
    }
    Ok((store, loaded))
}

/// Load the input: the store (`--store`, the time `--read-from` and
/// `--read-until` ask for), the file, or the shipped sample.
pub(crate) fn load(args: &InputArgs) -> anyhow::Result<Loaded> {
    if let Some(dir) = &args.store {
        let range = TimeRange::parse(args.read_from.as_deref(), args.read_until.as_deref())?;
        return Ok(load_store(dir, &range)?.1);
    }
    let path = args.input.clone().unwrap_or_else(sample_path);
    let (options, bar) = load_options(&args.read, "loading");
    let loaded = ingest::load(&path, &options);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    loaded.with_context(|| format!("cannot load {}", path.display()))
}

/// How to read files, from the flags, with a progress bar on a terminal
/// (finish it when done).
pub(crate) fn load_options(
    args: &ReadArgs,
    verb: &str,
) -> (LoadOptions, Option<indicatif::ProgressBar>) {
    let mut options = LoadOptions {
        format: args.format.into(),
        lenient: args.lenient,
        default_asset: args.asset.clone(),
        amlsim_nodes: args.nodes.clone(),
        ..LoadOptions::default()
    };
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(&format!(
                "{{spinner}} {verb} {{bytes}}/{{total_bytes}} [{{bar:30}}] {{eta}}"
            ))
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar
    });
    if let Some(bar) = &bar {
        let bar = bar.clone();
        options.progress = Some(Arc::new(move |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        }));
    }
    (options, bar)
}

/// The path side files (the FX table) are looked for beside: the store's
/// manifest, the input, or the shipped sample.
pub(crate) fn input_path(args: &InputArgs) -> PathBuf {
    match (&args.store, &args.input) {
        (Some(dir), _) => dir.join("manifest.json"),
        (None, Some(path)) => path.clone(),
        (None, None) => sample_path(),
    }
}

/// Detector parameters from `--config` (TOML, or JSON by extension), or
/// the defaults; `currency` overrides the file's.
pub(crate) fn detect_config(
    path: Option<&Path>,
    currency: Option<&str>,
) -> anyhow::Result<DetectConfig> {
    let mut config = match path {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let parsed = if path.extension().is_some_and(|e| e == "json") {
                DetectConfig::from_json(&text)
            } else {
                DetectConfig::from_toml(&text)
            };
            parsed.with_context(|| format!("{}: not a valid config", path.display()))?
        }
        None => DetectConfig::default(),
    };
    if let Some(currency) = currency {
        config.currency = currency.to_ascii_uppercase();
    }
    Ok(config)
}

/// The FX table, by one rule for every command: the rates of `--fx`, else
/// of the FX file beside the input ([`ingest::fx_beside`]: the shipped
/// sample finds `data/sample_fx.csv` whether or not `--input` names it),
/// each completed by the rates the data implies; implied rates alone when
/// there is no file. Returns the file used.
pub(crate) fn fx_table(
    graph: &FlowGraph,
    input: &InputArgs,
    fx: Option<&PathBuf>,
    currency: &str,
) -> anyhow::Result<(FxTable, Option<PathBuf>)> {
    fx_table_for(graph, &input_path(input), fx, currency)
}

/// [`fx_table`] for a transfers file named by path.
pub(crate) fn fx_table_for(
    graph: &FlowGraph,
    input: &Path,
    fx: Option<&PathBuf>,
    currency: &str,
) -> anyhow::Result<(FxTable, Option<PathBuf>)> {
    let (make, fx_file) = fx_rule(input, fx, currency)?;
    Ok((make(graph.ledger()), fx_file))
}

/// The one FX rule as a function of the transfers it reads (implied
/// rates, completed by the rates of `fx` or of an FX file beside the
/// input), and that file.
pub(crate) fn fx_rule(
    input: &Path,
    fx: Option<&PathBuf>,
    currency: &str,
) -> anyhow::Result<(impl FnOnce(&Ledger) -> FxTable, Option<PathBuf>)> {
    let currency = currency.to_ascii_uppercase();
    let fx_file = fx.cloned().or_else(|| ingest::fx_beside(input));
    let given = match &fx_file {
        Some(path) => Some(ingest::read_fx(path, &currency)?),
        None => None,
    };
    let make = move |ledger: &Ledger| match &given {
        Some(given) => FxTable::implied_with(ledger, given),
        None => FxTable::implied(ledger, &currency),
    };
    Ok((make, fx_file))
}

/// Where the rates came from, for the first line a command prints:
/// `given, completed by implied rates from data/sample_fx.csv`.
pub(crate) fn fx_source(fx: &FxTable, file: Option<&Path>) -> String {
    match file {
        Some(path) => format!("{} rates from {}", fx.source, path.display()),
        None => format!("{} rates", fx.source),
    }
}

/// The graph's transfers valued by the one FX rule ([`fx_table`]), with
/// what the valuation cannot see said on stderr ([`warn_unpriced`]).
pub(crate) fn valued<'g>(
    graph: &'g FlowGraph,
    input: &InputArgs,
    fx: Option<&PathBuf>,
    currency: &str,
) -> anyhow::Result<Valued<'g>> {
    let (fx, _) = fx_table(graph, input, fx, currency)?;
    let data = Valued::new(graph, fx);
    warn_unpriced(&data);
    Ok(data)
}

/// Say on stderr what the valuation cannot see (assets without a rate), so
/// that a command whose stdout is piped still warns.
pub(crate) fn warn_unpriced(data: &Valued<'_>) {
    for w in data.fx_warnings() {
        eprintln!("warning: {w}");
    }
}

/// The links traces follow through exchanges (`--through-exchanges`,
/// `--exchange-links`): the pairs from the file, else the round trips of
/// `findings` when the caller has them, else the asset-hop detector's;
/// none with `stop`. Pairs left out for want of a rate are said on stderr.
pub(crate) fn exchange_links(
    data: &Valued<'_>,
    args: &ExchangeArgs,
    findings: Option<&[moneytrail::detect::Finding]>,
) -> anyhow::Result<Arc<ExchangeLinks>> {
    let follow = args.through_exchanges != Some(ThroughArg::Stop);
    let links = ExchangeLinks::chosen(data, follow, args.exchange_links.as_deref(), findings)?;
    if links.unpriced() > 0 {
        eprintln!(
            "warning: {} not followed through exchanges: a deposit or payout has no rate (give --fx)",
            moneytrail::format::count(links.unpriced(), "deposit/payout pair")
        );
    }
    Ok(Arc::new(links))
}

/// The library's feature options from `--window`, `--cycle-hops`,
/// `--no-scatter-gather`, `--history`, `--no-history` and `--no-rules`.
pub(crate) fn feature_options(args: &FeatureArgs) -> FeatureOptions {
    let defaults = FeatureOptions::default();
    FeatureOptions {
        window: args.window,
        cycle_hops: args.cycle_hops,
        scatter_gather: !args.no_scatter_gather,
        history: (!args.no_history).then_some(args.history),
        rules: defaults.rules.filter(|_| !args.no_rules),
    }
}

/// What the results folder gets.
pub(crate) fn output_options(args: &OutputArgs) -> OutputOptions {
    OutputOptions {
        parquet: args.parquet,
        html: !args.no_report,
        limits: ReportLimits::default(),
        export: args.export.map(Into::into),
        export_top: OutputOptions::default().export_top,
        neutralise_formulas: !args.raw_csv,
    }
}

/// A time given on the command line (RFC 3339 or YYYY-MM-DD).
pub(crate) fn time(text: &str) -> anyhow::Result<i64> {
    moneytrail::time::parse_time(text).map_err(anyhow::Error::msg)
}

/// An account of the data, by key.
pub(crate) fn account_id(ledger: &Ledger, key: &str) -> anyhow::Result<AccountId> {
    ledger
        .account_id(key)
        .with_context(|| format!("no account {key:?} in the data"))
}

/// Attribution tags: `--tags FILE`, else the shipped sample's tags when the
/// input is the shipped `sample` file they belong to, else none.
pub(crate) fn tags(
    given: Option<&Path>,
    input: &InputArgs,
    sample: &str,
) -> anyhow::Result<Vec<moneytrail::attribution::Tag>> {
    let shipped_tags = shipped("sample_tags.csv");
    let on_sample = input
        .input
        .as_ref()
        .is_some_and(|p| p.file_name() == Some(std::ffi::OsStr::new(sample)));
    Ok(match given {
        Some(path) => ingest::read_tags(path)?,
        None if on_sample && shipped_tags.is_file() => ingest::read_tags(&shipped_tags)?,
        None => Vec::new(),
    })
}
