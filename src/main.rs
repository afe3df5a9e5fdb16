//! The `moneytrail` command line: parses arguments, calls the library,
//! prints results. All analysis lives in the library.

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use moneytrail::detect::{self, DetectConfig, Valued};
use moneytrail::fx::FxTable;
use moneytrail::ingest::{self, Format, LoadOptions, Loaded};
use moneytrail::paths::{find_paths, PathOptions};
use moneytrail::report::terminal::{terminal_safe, TerminalSafe};
use moneytrail::report::{self, FindingRecord};
use moneytrail::score::Truth;
use moneytrail::summary::Summary;
use moneytrail::time::Span;
use moneytrail::trace::{sources_of_funds, Balances, Rule, Seed, Target, TraceOptions};
use moneytrail::FlowGraph;
use rust_decimal::Decimal;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

/// Financial-flow investigation analytics.
#[derive(Parser, Debug)]
#[command(name = "moneytrail", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Load a transfers file and print what it holds: rows, accounts,
    /// assets, time span, volume per asset and channel, and the load report.
    Summary(SummaryArgs),
    /// Run every typology detector and write findings, flagged accounts and
    /// a run summary.
    Analyze(AnalyzeArgs),
    /// Grade findings against an answer key: pattern, transfer and account
    /// level.
    Score(ScoreArgs),
    /// Follow an account's proceeds forward under an allocation rule, or
    /// (--backward) explain where the money in its balance came from.
    Trace(TraceArgs),
    /// List time-respecting paths between two accounts, shortest first.
    Paths(PathsArgs),
    /// Write a synthetic training set with planted laundering and its answer key.
    Generate(GenerateArgs),
    /// Export selected findings as a goAML-style suspicious-transaction
    /// report (XML; see docs/goaml.md for the field mapping).
    Goaml(GoamlArgs),
    /// Cluster the addresses of on-chain (UTXO) transactions by common
    /// input ownership, apply attribution tags, and explain why two
    /// addresses share a cluster.
    Cluster(ClusterArgs),
    /// Build a case file for each subject (accounts or addresses with a case
    /// reference), in parallel: flows, findings, traces, links, what could be frozen.
    Investigate(InvestigateArgs),
    /// The share of an account's (address's, cluster's) money that came
    /// from or went to each category of tagged entity, directly and within N hops.
    Exposure(ExposureArgs),
    /// Exact enumerations for benchmarks and cross-checks with other tools:
    /// every temporal cycle, or every layering chain (see moneytrail::enumerate).
    Enumerate(EnumerateArgs),
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum EnumerateTask {
    Cycles,
    Chains,
    Reach,
}

#[derive(Args, Debug)]
struct EnumerateArgs {
    /// What to enumerate.
    #[arg(value_enum)]
    task: EnumerateTask,
    #[command(flatten)]
    input: InputArgs,
    /// Most transfers in a cycle (at most 16) or chain.
    #[arg(long, default_value_t = 4)]
    max_hops: usize,
    /// Cycles: the whole cycle within this of its first transfer.
    #[arg(long, default_value = "2d")]
    window: Span,
    /// Chains: fewest transfers.
    #[arg(long, default_value_t = 2)]
    min_hops: usize,
    /// Chains: longest wait between a transfer and the next.
    #[arg(long, default_value = "24h")]
    max_dwell: Span,
    /// Chains: the next transfer pays at least this multiple of what the
    /// previous one delivered.
    #[arg(long, default_value = "0.9")]
    min_ratio: Decimal,
    /// Chains: … and at most this multiple.
    #[arg(long, default_value = "1.02")]
    max_ratio: Decimal,
    /// Results kept per first transfer.
    #[arg(long, default_value_t = 100_000)]
    max_per_start: usize,
    /// Reach: the seed accounts, one key per line.
    #[arg(long)]
    seeds: Option<PathBuf>,
    /// Write the items, one per line as the data rows of their transfers
    /// (reach: `seed account row` of the earliest arrival).
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// Print one JSON line (task, items, truncated, seconds) instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct ExposureArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Attribution tags: `address,entity,category,source,confidence`.
    #[arg(long)]
    tags: PathBuf,
    /// The account or address.
    #[arg(long)]
    account: String,
    /// UTXO data: the address's whole cluster (common-input ownership,
    /// CoinJoins left out) is the subject.
    #[arg(long)]
    cluster: bool,
    /// Most transfers between the subject and a tagged account (1: direct only).
    #[arg(long, default_value_t = 3)]
    max_hops: u16,
    /// Allocation rule of the traces.
    #[arg(long, value_enum, default_value = "fifo")]
    rule: RuleArg,
    /// Reporting currency.
    #[arg(long, default_value = "USD")]
    currency: String,
    /// FX table: `asset,rate` lines.
    #[arg(long)]
    fx: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct InvestigateArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Subjects: `case_ref,subject` lines, a subject being an account or
    /// address key, or `cluster:<address>` (UTXO input); data/sample_subjects.csv
    /// when neither this nor --input is given.
    #[arg(long)]
    subjects: Option<PathBuf>,
    /// Allocation rule for the traces.
    #[arg(long, value_enum, default_value = "fifo")]
    rule: RuleArg,
    /// Hops the traces follow.
    #[arg(long, default_value_t = 4)]
    max_hops: u16,
    /// Rows per table in the case files.
    #[arg(long, default_value_t = 25)]
    top: usize,
    /// Detector parameters for the findings, TOML or JSON.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Reporting currency.
    #[arg(long, default_value = "USD")]
    currency: String,
    /// FX table: `asset,rate` lines.
    #[arg(long)]
    fx: Option<PathBuf>,
    /// Attribution tags: each case file then holds the subject's exposure
    /// to each category (within 3 hops).
    #[arg(long)]
    tags: Option<PathBuf>,
    /// Replace every account and address key by HMAC-SHA-256 under this
    /// key, the same in every file (for sharing across borders).
    #[arg(long, value_name = "KEY")]
    pseudonymise: Option<String>,
    /// Folder for the case files, index.json, index.csv and report.html.
    #[arg(long, short)]
    out: PathBuf,
    /// Write a Parquet file next to every CSV file.
    #[arg(long)]
    parquet: bool,
    /// Do not write report.html.
    #[arg(long)]
    no_report: bool,
    /// Write CSV cells as they are (no `'` before formula-like cells).
    #[arg(long)]
    raw_csv: bool,
    /// Also export each subject's neighbourhood (its 200 largest transfers)
    /// as graphs/case-<ref>.dot or .graphml.
    #[arg(long, value_enum)]
    export: Option<ExportArg>,
}

#[derive(Args, Debug)]
struct ClusterArgs {
    /// UTXO transactions, JSON lines (data/sample_utxo.jsonl when omitted).
    #[arg(long, short)]
    input: Option<PathBuf>,
    /// Skip bad lines and list them, instead of stopping at the first.
    #[arg(long)]
    lenient: bool,
    /// Attribution tags: `address,entity,category,source,confidence`.
    #[arg(long)]
    tags: Option<PathBuf>,
    /// Let likely CoinJoins merge their inputs too (off by default).
    #[arg(long)]
    keep_coinjoin: bool,
    /// Explain why two addresses share a cluster: `A,B`.
    #[arg(long, value_delimiter = ',')]
    explain: Vec<String>,
    /// Clusters to print, largest first.
    #[arg(long, default_value_t = 10)]
    top: usize,
    /// Folder for clusters.csv and addresses.csv.
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// Write a Parquet file next to every CSV file.
    #[arg(long)]
    parquet: bool,
    /// Write CSV cells as they are (no `'` before formula-like cells).
    #[arg(long)]
    raw_csv: bool,
}

#[derive(Args, Debug)]
struct GoamlArgs {
    #[command(flatten)]
    input: InputArgs,
    /// findings.json written by `analyze` on the same input.
    #[arg(long)]
    findings: PathBuf,
    /// Finding ids to report (F000001…); repeat or separate with commas.
    #[arg(long = "id", value_delimiter = ',')]
    ids: Vec<String>,
    /// Report every finding of this typology (with --min-score).
    #[arg(long)]
    typology: Option<String>,
    /// Report findings scoring at least this (with --typology, or alone).
    #[arg(long)]
    min_score: Option<f64>,
    /// The reporting entity's id at the FIU.
    #[arg(long)]
    entity_id: String,
    /// The reporting entity's reference for this report (default: the
    /// finding ids).
    #[arg(long)]
    entity_reference: Option<String>,
    /// Why the transactions are suspicious (the findings' explanations are appended).
    #[arg(
        long,
        default_value = "Transactions flagged by moneytrail typology detection."
    )]
    reason: String,
    /// What the reporting entity has done.
    #[arg(long, default_value = "")]
    action: String,
    /// Local currency of the report (amount_local).
    #[arg(long, default_value = "USD")]
    currency: String,
    /// FX table: `asset,rate` lines, units of the local currency per unit
    /// (default: rates implied by the data).
    #[arg(long)]
    fx: Option<PathBuf>,
    /// The XML file to write.
    #[arg(long, short)]
    out: PathBuf,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum PresetArg {
    Tiny,
    Small,
    Medium,
    Large,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum DifficultyArg {
    Easy,
    Normal,
    Hard,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum GenFormatArg {
    Transfers,
    Amlworld,
}

#[derive(Args, Debug)]
struct GenerateArgs {
    /// Size: tiny (5k transfers), small (100k), medium (1M), large (10M).
    #[arg(long, value_enum, default_value = "small")]
    preset: PresetArg,
    /// Honest accounts (overrides the preset).
    #[arg(long)]
    accounts: Option<usize>,
    /// Honest transfers (overrides the preset).
    #[arg(long)]
    transfers: Option<usize>,
    /// Days covered (overrides the preset).
    #[arg(long)]
    days: Option<u32>,
    /// Instances planted per typology (overrides the preset).
    #[arg(long)]
    per_typology: Option<usize>,
    /// How hard the planted patterns are to see.
    #[arg(long, value_enum, default_value = "normal")]
    difficulty: DifficultyArg,
    /// Seed: the same seed gives the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Layout of transactions.csv.
    #[arg(long, value_enum, default_value = "transfers")]
    format: GenFormatArg,
    /// Write transactions.parquet instead of transactions.csv (transfers
    /// layout), and accounts.parquet beside accounts.csv.
    #[arg(long)]
    parquet: bool,
    /// Per-typology settings (TOML): `[fan_out] count = 10, size = 12,
    /// span_hours = 48, noise = 0.1`; `hops` for cycle and layering_chain.
    #[arg(long)]
    plan: Option<PathBuf>,
    /// Folder to write into.
    #[arg(long, short)]
    out: PathBuf,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum FormatArg {
    Auto,
    Amlworld,
    Patterns,
    Amlsim,
    Transfers,
    Parquet,
    Jsonl,
    Utxo,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Auto => Format::Auto,
            FormatArg::Amlworld => Format::AmlWorld,
            FormatArg::Patterns => Format::Patterns,
            FormatArg::Amlsim => Format::AmlSim,
            FormatArg::Transfers => Format::Transfers,
            FormatArg::Parquet => Format::Parquet,
            FormatArg::Jsonl => Format::JsonLines,
            FormatArg::Utxo => Format::Utxo,
        }
    }
}

/// Options every command that reads transfers shares.
#[derive(Args, Debug)]
struct InputArgs {
    /// Transfers file; the shipped sample (data/sample_transfers.csv) when omitted.
    #[arg(long, short)]
    input: Option<PathBuf>,
    /// Layout of the input.
    #[arg(long, value_enum, default_value = "auto")]
    format: FormatArg,
    /// Skip bad rows and list them, instead of stopping at the first.
    #[arg(long)]
    lenient: bool,
    /// AMLSim account labels (default: nodes.csv beside the input).
    #[arg(long)]
    nodes: Option<PathBuf>,
    /// Asset of layouts that name none (AMLSim).
    #[arg(long, default_value = "USD")]
    asset: String,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum ExportArg {
    Dot,
    Graphml,
}

/// Options of the commands that write a results folder.
#[derive(Args, Debug)]
struct OutputArgs {
    /// Write a Parquet file next to every CSV file.
    #[arg(long)]
    parquet: bool,
    /// Also export flow pictures: one file per finding in graphs/ (the
    /// --export-top highest-scoring), or trace.dot / trace.graphml.
    #[arg(long, value_enum)]
    export: Option<ExportArg>,
    /// Findings to export with --export.
    #[arg(long, default_value_t = 200)]
    export_top: usize,
    /// Findings drawn in report.html (highest score first).
    #[arg(long, default_value_t = 100)]
    report_drawn: usize,
    /// Do not write report.html.
    #[arg(long)]
    no_report: bool,
    /// Write CSV cells as they are: no `'` before cells a spreadsheet would
    /// run as formulas (=, +, -, @…), for programs that read the CSV files.
    #[arg(long)]
    raw_csv: bool,
}

impl OutputArgs {
    fn options(&self) -> report::OutputOptions {
        report::OutputOptions {
            parquet: self.parquet,
            html: !self.no_report,
            limits: report::ReportLimits {
                drawn: self.report_drawn,
                ..report::ReportLimits::default()
            },
            export: self.export.map(|e| match e {
                ExportArg::Dot => report::GraphFormat::Dot,
                ExportArg::Graphml => report::GraphFormat::GraphMl,
            }),
            export_top: self.export_top,
            neutralise_formulas: !self.raw_csv,
        }
    }
}

/// Say which files a command wrote.
fn print_written(
    out: &mut impl Write,
    dir: &std::path::Path,
    written: &[String],
) -> std::io::Result<()> {
    // case files first and pictures last, each as one count
    let cases = written.iter().filter(|w| w.starts_with("case-")).count();
    let graphs = written.iter().filter(|w| w.starts_with("graphs/")).count();
    let mut names: Vec<String> = Vec::new();
    if cases > 0 {
        names.push(format!("{cases} case files"));
    }
    names.extend(
        written
            .iter()
            .filter(|w| !w.starts_with("case-") && !w.starts_with("graphs/"))
            .cloned(),
    );
    if graphs > 0 {
        names.push(format!("{graphs} pictures in graphs/"));
    }
    writeln!(out, "\nwrote {} to {}", names.join(", "), dir.display())
}

#[derive(Args, Debug)]
struct SummaryArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Print JSON (layout, load report and summary) instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct AnalyzeArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Folder for findings.json, findings.csv, accounts.csv, summary.json and report.html.
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// Detector parameters, TOML or JSON (see the README for every key).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Reporting currency (overrides the config's `currency`).
    #[arg(long)]
    currency: Option<String>,
    /// FX table: `asset,rate` lines, units of the reporting currency per unit
    /// (default: rates implied by the data's own conversions).
    #[arg(long)]
    fx: Option<PathBuf>,
    /// Findings to print, highest score first.
    #[arg(long, default_value_t = 10)]
    top: usize,
    /// Print the default configuration (TOML) and exit.
    #[arg(long)]
    print_config: bool,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Args, Debug)]
struct ScoreArgs {
    /// findings.json written by `analyze`.
    #[arg(long)]
    findings: PathBuf,
    /// Answer key: moneytrail truth.json, an AMLworld patterns file, AMLSim
    /// nodes.csv, or a labelled transactions file.
    #[arg(long)]
    truth: PathBuf,
    /// The analysed input (needed to match a patterns file by content).
    #[arg(long)]
    input: Option<PathBuf>,
    /// Grade only findings of these typologies (repeatable).
    #[arg(long)]
    typology: Vec<String>,
    /// Grade only findings scoring at least this.
    #[arg(long, default_value_t = 0.0)]
    min_score: f64,
    /// Print JSON instead of tables.
    #[arg(long)]
    json: bool,
    /// Also list the attempts not found (the JSON form always has them).
    #[arg(long)]
    missed: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum RuleArg {
    Fifo,
    Lifo,
    Haircut,
    Poison,
    Libr,
}

impl From<RuleArg> for Rule {
    fn from(r: RuleArg) -> Rule {
        match r {
            RuleArg::Fifo => Rule::Fifo,
            RuleArg::Lifo => Rule::Lifo,
            RuleArg::Haircut => Rule::Haircut,
            RuleArg::Poison => Rule::Poison,
            RuleArg::Libr => Rule::Libr,
        }
    }
}

#[derive(Args, Debug)]
struct TraceArgs {
    #[command(flatten)]
    input: InputArgs,
    /// The account whose proceeds (or, with --backward, whose balance) to trace.
    #[arg(long)]
    account: String,
    /// Trace what the account receives from this time on (RFC 3339 or YYYY-MM-DD).
    #[arg(long)]
    since: Option<String>,
    /// At most this much of the proceeds, per asset.
    #[arg(long)]
    amount: Option<Decimal>,
    /// Allocation rule.
    #[arg(long, value_enum, default_value = "fifo")]
    rule: RuleArg,
    /// Explain where the account's balance came from instead (source of funds).
    #[arg(long)]
    backward: bool,
    /// With --backward: the balance at this time (default: the end of the data).
    #[arg(long)]
    at: Option<String>,
    /// Follow at most this many transfers.
    #[arg(long, default_value_t = 12)]
    max_hops: u16,
    /// Follow transfers up to this time only.
    #[arg(long)]
    horizon: Option<String>,
    /// Drop taint below this amount on a transfer (counted as dust).
    #[arg(long, default_value = "0.01")]
    min_amount: Decimal,
    /// Folder for trace.json, holdings.csv, flows.csv and report.html (trace.json, sources.csv and report.html with --backward).
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// Holdings or sources to print.
    #[arg(long, default_value_t = 10)]
    top: usize,
    /// Known opening balances: `account,asset,amount` lines (others default
    /// to the least that keeps each account from going negative).
    #[arg(long)]
    opening: Option<PathBuf>,
    /// Reporting currency for the value of holdings (rates implied by the data).
    #[arg(long, default_value = "USD")]
    currency: String,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Args, Debug)]
struct PathsArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Start account.
    #[arg(long)]
    from: String,
    /// End account.
    #[arg(long)]
    to: String,
    /// Most transfers in a path.
    #[arg(long, default_value_t = 6)]
    max_hops: usize,
    /// The whole path within this of its first transfer (24h, 7d…).
    #[arg(long, default_value = "30d")]
    window: Span,
    /// Most paths to list.
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// Smallest hop value, in the reporting currency.
    #[arg(long, default_value = "0")]
    min_amount: Decimal,
    /// Smallest share of the previous hop each hop carries (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    min_retention: f64,
    /// Reporting currency for bottlenecks.
    #[arg(long, default_value = "USD")]
    currency: String,
}

/// The sample shipped with the crate, found from the source tree (as with
/// `cargo run`) or the working directory.
fn sample_path() -> PathBuf {
    let built = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/sample_transfers.csv");
    if built.is_file() {
        built
    } else {
        PathBuf::from("data/sample_transfers.csv")
    }
}

fn load(args: &InputArgs) -> anyhow::Result<Loaded> {
    if let Some(threads) = args.threads {
        // only the first call configures the pool; later calls are no-ops
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .build_global();
    }
    let path = args.input.clone().unwrap_or_else(sample_path);
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
            indicatif::ProgressStyle::with_template(
                "{spinner} loading {bytes}/{total_bytes} [{bar:30}] {eta}",
            )
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
    let loaded = ingest::load(&path, &options);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    loaded.with_context(|| format!("cannot load {}", path.display()))
}

fn print_report(out: &mut impl Write, loaded: &Loaded) -> std::io::Result<()> {
    let r = &loaded.report;
    writeln!(
        out,
        "{}: layout {}{}",
        r.path.display(),
        r.layout,
        if r.layout_detected {
            " (recognised from the file)"
        } else {
            " (as asked)"
        }
    )?;
    writeln!(
        out,
        "rows read {} = loaded {} + rejected {}",
        r.rows_read, r.rows_loaded, r.rows_rejected
    )?;
    for (reason, n) in &r.rejected_by_reason {
        writeln!(out, "  rejected {n:>8}  {reason}")?;
    }
    for rejected in r.rejected.iter().take(10) {
        writeln!(out, "  {}", rejected.0)?;
    }
    let listed = r.rejected.len().min(10) as u64;
    if r.rows_rejected > listed {
        writeln!(
            out,
            "  … and {} more rejected rows",
            r.rows_rejected - listed
        )?;
    }
    for note in &r.notes {
        writeln!(out, "note: {note}")?;
    }
    if !loaded.attempts.is_empty() {
        let mut per: std::collections::BTreeMap<String, usize> = Default::default();
        for a in &loaded.attempts {
            *per.entry(a.typology_name()).or_default() += 1;
        }
        let list: Vec<String> = per.iter().map(|(t, n)| format!("{t} {n}")).collect();
        writeln!(
            out,
            "laundering attempts {}: {}",
            loaded.attempts.len(),
            list.join(", ")
        )?;
    }
    Ok(())
}

fn summary(args: &SummaryArgs) -> anyhow::Result<()> {
    let loaded = load(&args.input)?;
    let summary = Summary::of(&loaded.ledger);
    let stdout = std::io::stdout();
    let mut out = TerminalSafe::new(stdout.lock());
    if args.json {
        let value = serde_json::json!({
            "layout": loaded.report.layout,
            "report": loaded.report,
            "summary": summary,
            "attempts": loaded.attempts.len(),
        });
        serde_json::to_writer_pretty(&mut out, &value)?;
        writeln!(out)?;
    } else {
        print_report(&mut out, &loaded)?;
        writeln!(out)?;
        write!(out, "{summary}")?;
    }
    out.flush()?;
    Ok(())
}

fn read_config(path: &std::path::Path) -> anyhow::Result<DetectConfig> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let config = if path.extension().is_some_and(|e| e == "json") {
        serde_json::from_str(&text)
            .with_context(|| format!("{}: not a valid config", path.display()))?
    } else {
        toml::from_str(&text).with_context(|| format!("{}: not a valid config", path.display()))?
    };
    Ok(config)
}

/// The FX table: `--fx` completed by implied rates, or implied rates
/// alone. The shipped sample comes with its own rates for BTC and USDT,
/// which its data does not imply; they are used when no input is given.
fn fx_table(
    graph: &FlowGraph,
    input: &InputArgs,
    fx: Option<&PathBuf>,
    currency: &str,
) -> anyhow::Result<(FxTable, Option<PathBuf>)> {
    let fx_file = fx.cloned().or_else(|| {
        let sample = sample_path().with_file_name("sample_fx.csv");
        (input.input.is_none() && sample.is_file()).then_some(sample)
    });
    let table = match &fx_file {
        Some(path) => FxTable::implied_with(graph.ledger(), &ingest::read_fx(path, currency)?),
        None => FxTable::implied(graph.ledger(), currency),
    };
    Ok((table, fx_file))
}

fn analyze(args: &AnalyzeArgs) -> anyhow::Result<()> {
    if args.print_config {
        print!("{}", toml::to_string(&DetectConfig::default())?);
        return Ok(());
    }
    let mut config = match &args.config {
        Some(path) => read_config(path)?,
        None => DetectConfig::default(),
    };
    if let Some(currency) = &args.currency {
        config.currency = currency.to_ascii_uppercase();
    }
    let started = Instant::now();
    let loaded = load(&args.input)?;
    let report = loaded.report.clone();
    let graph = FlowGraph::new(loaded.ledger);
    let (fx, fx_file) = fx_table(&graph, &args.input, args.fx.as_ref(), &config.currency)?;
    let data = Valued::new(&graph, fx);
    let seconds_load = started.elapsed().as_secs_f64();
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(config.enabled.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} detecting {msg} [{bar:20}] {pos}/{len}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let analysis = detect::analyze(&data, &config, |name| {
        if let Some(bar) = &bar {
            bar.set_message(name.to_string());
            bar.inc(1);
        }
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let options = args.output.options();
    let (records, written) = match &args.out {
        Some(dir) => report::write_analysis(
            dir,
            &data,
            &analysis,
            &config,
            &report,
            seconds_load,
            &options,
        )?,
        None => (
            analysis
                .findings
                .iter()
                .enumerate()
                .map(|(i, f)| FindingRecord::new(i, f, &data))
                .collect(),
            Vec::new(),
        ),
    };
    let stdout = std::io::stdout();
    let mut out = TerminalSafe::new(stdout.lock());
    writeln!(
        out,
        "{}: {} transfers ({} rejected), {} accounts, loaded in {:.2}s; amounts in {} ({} rates{}{})",
        report.path.display(),
        report.rows_loaded,
        report.rows_rejected,
        graph.account_count(),
        seconds_load,
        data.currency(),
        data.fx.source,
        fx_file.map(|p| format!(" from {}", p.display())).unwrap_or_default(),
        if data.fx.unpriced.is_empty() {
            String::new()
        } else {
            format!("; no rate for {}", data.fx.unpriced.join(", "))
        }
    )?;
    writeln!(
        out,
        "
{:<16} {:>9} {:>9}  truncated",
        "typology", "findings", "seconds"
    )?;
    for (name, seconds) in &analysis.seconds {
        let count: usize = analysis
            .findings
            .iter()
            .filter(|f| f.typology.detector() == name)
            .count();
        let truncated = analysis.truncated.get(name).copied().unwrap_or(false);
        writeln!(
            out,
            "{name:<16} {count:>9} {seconds:>9.3}  {}",
            if truncated { "yes" } else { "" }
        )?;
    }
    for w in &analysis.warnings {
        writeln!(out, "warning: {w}")?;
    }
    let mut top: Vec<&FindingRecord> = records.iter().collect();
    top.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
    if args.top > 0 && !top.is_empty() {
        writeln!(
            out,
            "
top findings"
        )?;
        for r in top.into_iter().take(args.top) {
            writeln!(
                out,
                "  {} {:<15} {:.2}  {}",
                r.id, r.typology, r.score, r.explanation
            )?;
        }
    }
    if let Some(dir) = &args.out {
        print_written(&mut out, dir, &written)?;
    }
    out.flush()?;
    Ok(())
}

fn score(args: &ScoreArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.findings)
        .with_context(|| format!("cannot read {}", args.findings.display()))?;
    let findings: Vec<FindingRecord> = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a findings.json", args.findings.display()))?;
    let truth = Truth::load(&args.truth, args.input.as_deref())?;
    let card = moneytrail::score::grade(&findings, &truth, &args.typology, args.min_score);
    let stdout = std::io::stdout();
    let mut out = TerminalSafe::new(stdout.lock());
    if args.json {
        serde_json::to_writer_pretty(&mut out, &card)?;
        writeln!(out)?;
    } else {
        write!(out, "{card}")?;
        if args.missed {
            write!(out, "\n{}", card.missed_report())?;
        }
    }
    out.flush()?;
    Ok(())
}

fn parse_time(text: &str) -> anyhow::Result<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(t.timestamp_micros());
    }
    let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .with_context(|| format!("{text:?} is not a time (RFC 3339 or YYYY-MM-DD)"))?;
    Ok(date
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc()
        .timestamp_micros())
}

fn account_id(ledger: &moneytrail::Ledger, key: &str) -> anyhow::Result<moneytrail::AccountId> {
    ledger
        .account_id(key)
        .with_context(|| format!("no account {key:?} in the data"))
}

fn trace_command(args: &TraceArgs) -> anyhow::Result<()> {
    let loaded = load(&args.input)?;
    let graph = FlowGraph::new(loaded.ledger);
    let l = graph.ledger();
    let account = account_id(l, &args.account)?;
    let opening = match &args.opening {
        Some(path) => ingest::read_opening(path, l)?,
        None => Default::default(),
    };
    let balances = Balances::new(l, &opening);
    let options = TraceOptions {
        rule: args.rule.into(),
        max_hops: args.max_hops,
        horizon: args.horizon.as_deref().map(parse_time).transpose()?,
        min_amount: args.min_amount,
        ..TraceOptions::default()
    };
    let stdout = std::io::stdout();
    let mut out = TerminalSafe::new(stdout.lock());
    if args.backward {
        let at = match &args.at {
            Some(t) => parse_time(t)?,
            None => l.times_us().last().copied().unwrap_or(0),
        };
        let mut explained = Vec::new();
        for asset in 0..l.assets().len() {
            let asset = moneytrail::AssetId(asset as u16);
            let target = Target::Balance { account, asset, at };
            let sof = sources_of_funds(&graph, &balances, target, &options, 10_000)?;
            if sof.target_amount.is_zero() {
                continue;
            }
            let code = &l.asset(asset).code;
            writeln!(
                out,
                "balance of {} at {}: {} {code} under {}; {} explained by {} sources, {} untraced{}",
                args.account,
                moneytrail::time::to_rfc3339(at),
                sof.target_amount.normalize(),
                options.rule,
                sof.traced.round_dp(2),
                sof.sources.len(),
                sof.untraced.round_dp(2),
                if sof.truncated { " (source list cut at 10,000)" } else { "" }
            )?;
            for s in sof.sources.iter().take(args.top) {
                let row = l.source_rows()[s.transfer.index()];
                writeln!(
                    out,
                    "  {:>16} {code}  from {} (row {row}, {})",
                    s.amount.round_dp(2).to_string(),
                    l.account(s.account).key,
                    moneytrail::time::to_rfc3339(l.times_us()[s.transfer.index()])
                )?;
            }
            explained.push(sof);
        }
        if let Some(dir) = &args.out {
            let backward = report::BackwardTrace {
                account: &args.account,
                at,
                rule: options.rule.name(),
                balances: &explained,
            };
            let written = report::write_sources(dir, l, &backward, &args.output.options())?;
            print_written(&mut out, dir, &written)?;
        }
        return Ok(());
    }
    let since = args
        .since
        .as_deref()
        .map(parse_time)
        .transpose()?
        .unwrap_or(i64::MIN);
    let seeds = [Seed::Inflows {
        account,
        since,
        amount: args.amount,
    }];
    let trace = moneytrail::trace::trace(&graph, &balances, &seeds, &options)?;
    let seed_text = vec![format!(
        "inflows of {} since {}{}",
        args.account,
        args.since.clone().unwrap_or_else(|| "the start".into()),
        args.amount
            .map(|a| format!(", at most {a} per asset"))
            .unwrap_or_default()
    )];
    let totals = |t: &moneytrail::trace::Totals| -> String {
        let parts: Vec<String> = t
            .iter()
            .map(|(a, v)| {
                format!(
                    "{} {}",
                    moneytrail::summary::group_thousands(v.normalize()),
                    l.asset(*a).code
                )
            })
            .collect();
        if parts.is_empty() {
            "0".to_string()
        } else {
            parts.join(", ")
        }
    };
    writeln!(
        out,
        "rule {}{}",
        trace.rule,
        if trace.rule.conserves() {
            ""
        } else {
            " (tainted volume, not conserved value)"
        }
    )?;
    writeln!(out, "traced in  {}", totals(&trace.traced_in))?;
    writeln!(out, "held       {}", totals(&trace.held))?;
    for (reason, t) in &trace.exited {
        writeln!(out, "exited     {} ({reason})", totals(t))?;
    }
    if !trace.dust.is_empty() {
        writeln!(out, "dust       {}", totals(&trace.dust))?;
    }
    if !trace.converted_out.is_empty() {
        writeln!(
            out,
            "converted  {} into {}",
            totals(&trace.converted_out),
            totals(&trace.converted_in)
        )?;
    }
    writeln!(
        out,
        "{} tainted transfers; books {}",
        trace.flows.len(),
        if !trace.rule.conserves() {
            "are not kept (poison counts tainted volume, not value)"
        } else if trace.conserved() {
            "balance"
        } else {
            "do not balance"
        }
    )?;
    let fx = FxTable::implied(l, &args.currency.to_ascii_uppercase());
    let value = |asset: moneytrail::AssetId, amount: Decimal| -> Option<Decimal> {
        fx.rate(&l.asset(asset).code)
            .map(|r| (amount * r).round_dp(2))
    };
    let held_value: Option<Decimal> = trace.held.iter().map(|(a, v)| value(*a, *v)).sum();
    if let Some(v) = held_value {
        writeln!(
            out,
            "held value {} {}",
            moneytrail::summary::group_thousands(v),
            fx.reporting
        )?;
    }
    if !trace.holdings.is_empty() {
        writeln!(out, "\nlargest holdings")?;
        for h in trace.holdings.iter().take(args.top) {
            writeln!(
                out,
                "  {:>20} {:<5} {:<28} {:>5.1}% of its balance, {} hops, since {}",
                h.amount.normalize().to_string(),
                l.asset(h.asset).code,
                l.account(h.account).key,
                h.share * 100.0,
                h.hops,
                moneytrail::time::to_rfc3339(h.first_time_us)
            )?;
        }
    }
    if let Some(dir) = &args.out {
        let written = report::write_trace(
            dir,
            l,
            &trace,
            &seed_text,
            Some(&fx),
            &args.output.options(),
        )?;
        print_written(&mut out, dir, &written)?;
    }
    out.flush()?;
    Ok(())
}

fn generate_command(args: &GenerateArgs) -> anyhow::Result<()> {
    use moneytrail::synth::training::{self, Difficulty, OutputFormat, TrainingSpec};
    let name = match args.preset {
        PresetArg::Tiny => "tiny",
        PresetArg::Small => "small",
        PresetArg::Medium => "medium",
        PresetArg::Large => "large",
    };
    let mut spec = TrainingSpec::preset(name).context("unknown preset")?;
    spec.accounts = args.accounts.unwrap_or(spec.accounts);
    spec.transfers = args.transfers.unwrap_or(spec.transfers);
    spec.days = args.days.unwrap_or(spec.days).max(1);
    spec.per_typology = args.per_typology.unwrap_or(spec.per_typology);
    spec.seed = args.seed;
    spec.difficulty = match args.difficulty {
        DifficultyArg::Easy => Difficulty::Easy,
        DifficultyArg::Normal => Difficulty::Normal,
        DifficultyArg::Hard => Difficulty::Hard,
    };
    spec.format = match args.format {
        GenFormatArg::Transfers => OutputFormat::Transfers,
        GenFormatArg::Amlworld => OutputFormat::AmlWorld,
    };
    spec.parquet = args.parquet;
    if let Some(path) = &args.plan {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        spec.plan = toml::from_str(&text)
            .with_context(|| format!("{}: not a valid plan", path.display()))?;
        for name in spec.plan.keys() {
            if !training::TYPOLOGIES.contains(&name.as_str()) {
                anyhow::bail!("{}: unknown typology {name:?}", path.display());
            }
        }
    }
    let started = Instant::now();
    let generated = training::generate(&spec, &args.out)
        .with_context(|| format!("cannot write into {}", args.out.display()))?;
    println!(
        "wrote {} transfers among {} accounts, {} planted attempts, in {:.2}s to {} (transactions.{}, accounts.csv, truth.json, patterns.txt)",
        generated.rows,
        generated.accounts,
        generated.attempts.len(),
        started.elapsed().as_secs_f64(),
        args.out.display(),
        if args.parquet { "parquet" } else { "csv" }
    );
    Ok(())
}

fn goaml_command(args: &GoamlArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.findings)
        .with_context(|| format!("cannot read {}", args.findings.display()))?;
    let findings: Vec<FindingRecord> = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a findings.json", args.findings.display()))?;
    let mut selected: Vec<&FindingRecord> = Vec::new();
    for id in &args.ids {
        let f = findings
            .iter()
            .find(|f| &f.id == id)
            .with_context(|| format!("no finding {id} in {}", args.findings.display()))?;
        selected.push(f);
    }
    if args.typology.is_some() || args.min_score.is_some() {
        selected.extend(findings.iter().filter(|f| {
            args.typology.as_ref().is_none_or(|t| &f.typology == t)
                && args.min_score.is_none_or(|m| f.score >= m)
        }));
    }
    selected.sort_by(|a, b| a.id.cmp(&b.id));
    selected.dedup_by(|a, b| a.id == b.id);
    anyhow::ensure!(
        !selected.is_empty(),
        "no findings selected: give --id, --typology or --min-score"
    );
    let loaded = load(&args.input)?;
    let graph = FlowGraph::new(loaded.ledger);
    let currency = args.currency.to_ascii_uppercase();
    let (fx, _) = fx_table(&graph, &args.input, args.fx.as_ref(), &currency)?;
    let data = Valued::new(&graph, fx);
    let header = report::goaml::GoAmlHeader {
        entity_id: args.entity_id.clone(),
        entity_reference: args.entity_reference.clone().unwrap_or_else(|| {
            let ids: Vec<&str> = selected.iter().map(|f| f.id.as_str()).collect();
            format!("moneytrail {}", ids.join(" "))
        }),
        submission_date: chrono::Utc::now(),
        reason: args.reason.clone(),
        action: args.action.clone(),
    };
    let xml = report::goaml::goaml_xml(&data, &header, &selected)?;
    std::fs::write(&args.out, &xml)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    println!(
        "wrote {} findings ({} transactions) to {}",
        selected.len(),
        xml.matches("<transaction>").count(),
        args.out.display()
    );
    Ok(())
}

fn cluster_command(args: &ClusterArgs) -> anyhow::Result<()> {
    use moneytrail::tags;
    use moneytrail::utxo::{self, cluster};
    anyhow::ensure!(
        args.explain.is_empty() || args.explain.len() == 2,
        "--explain takes two addresses: A,B"
    );
    let path = args
        .input
        .clone()
        .unwrap_or_else(|| sample_path().with_file_name("sample_utxo.jsonl"));
    let (txs, report) = utxo::read(&path, args.lenient, 1000)?;
    let options = cluster::ClusterOptions {
        exclude_coinjoin: !args.keep_coinjoin,
        ..cluster::ClusterOptions::default()
    };
    let clusters = cluster::cluster(&txs, &options);
    let tag_list = match &args.tags {
        Some(p) => tags::read_tags(p)?,
        None => {
            let sample = sample_path().with_file_name("sample_tags.csv");
            if args.input.is_none() && sample.is_file() {
                tags::read_tags(&sample)?
            } else {
                Vec::new()
            }
        }
    };
    let applied = tags::propagate(&clusters, &tag_list);
    let stdout = std::io::stdout();
    let mut out = TerminalSafe::new(stdout.lock());
    let multi = clusters.members.iter().filter(|m| m.len() > 1).count();
    writeln!(
        out,
        "{}: {} transactions ({} rejected), {} addresses in {} clusters ({} of two or more); {} likely CoinJoins {}",
        path.display(),
        report.rows_loaded,
        report.rows_rejected,
        clusters.addresses.len(),
        clusters.members.len(),
        multi,
        clusters.coinjoins.len(),
        if options.exclude_coinjoin { "left out" } else { "merged" }
    )?;
    let mut order: Vec<usize> = (0..clusters.members.len()).collect();
    order.sort_by_key(|&c| std::cmp::Reverse(clusters.members[c].len()));
    for &c in order.iter().take(args.top) {
        let members = &clusters.members[c];
        if members.len() < 2 && !members.iter().any(|m| applied.contains_key(m)) {
            continue;
        }
        let mut names: Vec<String> = members
            .iter()
            .flat_map(|m| applied.get(m).into_iter().flatten())
            .map(|t| format!("{} ({})", t.tag.entity, t.tag.category.name()))
            .collect();
        names.sort();
        names.dedup();
        let shown: Vec<&str> = members
            .iter()
            .take(5)
            .map(|&m| clusters.addresses[m as usize].as_str())
            .collect();
        writeln!(
            out,
            "  cluster {c:>5}: {:>4} addresses {}{}{}",
            members.len(),
            shown.join(" "),
            if members.len() > 5 { " …" } else { "" },
            if names.is_empty() {
                String::new()
            } else {
                format!("  tagged {}", names.join(", "))
            }
        )?;
    }
    if let [a, b] = args.explain.as_slice() {
        match clusters.provenance(a, b) {
            Some(path) if path.is_empty() => writeln!(out, "{a} and {b} are the same address")?,
            Some(path) => {
                writeln!(
                    out,
                    "{a} and {b} share a cluster through {} transactions:",
                    path.len()
                )?;
                for t in path {
                    let tx = &txs[t];
                    let inputs: Vec<&str> = tx.inputs.iter().map(|l| l.address.as_str()).collect();
                    writeln!(
                        out,
                        "  {} (row {}, {}): inputs {}",
                        tx.hash,
                        tx.row,
                        moneytrail::time::to_rfc3339(tx.time_us),
                        inputs.join(", ")
                    )?;
                }
            }
            None => writeln!(out, "{a} and {b} are not in one cluster")?,
        }
    }
    if let Some(dir) = &args.out {
        let options = report::OutputOptions {
            parquet: args.parquet,
            neutralise_formulas: !args.raw_csv,
            ..report::OutputOptions::default()
        };
        let written = report::write_clusters(dir, &clusters, &applied, &options)?;
        print_written(&mut out, dir, &written)?;
    }
    out.flush()?;
    Ok(())
}

fn investigate_command(args: &InvestigateArgs) -> anyhow::Result<()> {
    use moneytrail::investigate::{
        read_subjects, InvestigateOptions, Investigation, Pseudonymiser,
    };
    let subjects_path = match &args.subjects {
        Some(p) => p.clone(),
        None if args.input.input.is_none() => sample_path().with_file_name("sample_subjects.csv"),
        None => anyhow::bail!("give --subjects FILE (case_ref,subject lines)"),
    };
    let subjects = read_subjects(&subjects_path)?;
    let started = Instant::now();
    let loaded = load(&args.input)?;
    let clusters = utxo_clusters(&loaded.utxo);
    let graph = FlowGraph::new(loaded.ledger);
    let currency = args.currency.to_ascii_uppercase();
    let (fx, _) = fx_table(&graph, &args.input, args.fx.as_ref(), &currency)?;
    let data = Valued::new(&graph, fx);
    let mut config = match &args.config {
        Some(path) => read_config(path)?,
        None => DetectConfig::default(),
    };
    config.currency = currency;
    let analysis = detect::analyze(&data, &config, |_| {});
    for w in &analysis.warnings {
        eprintln!("warning: {}", terminal_safe(&w.to_string()));
    }
    let balances = moneytrail::trace::Balances::new(graph.ledger(), &Default::default());
    let prepared = started.elapsed().as_secs_f64();
    let options = InvestigateOptions {
        trace: TraceOptions {
            rule: args.rule.into(),
            max_hops: args.max_hops,
            ..TraceOptions::default()
        },
        top: args.top,
        ..InvestigateOptions::default()
    };
    let mut investigation = Investigation::new(&data, &analysis.findings, &balances, options);
    if let Some(path) = &args.tags {
        let tags = moneytrail::tags::read_tags(path)?;
        let tagged = moneytrail::tags::tagged_accounts(graph.ledger(), &tags, clusters.as_ref());
        let options = moneytrail::exposure::ExposureOptions {
            trace: TraceOptions {
                rule: args.rule.into(),
                ..TraceOptions::default()
            },
            ..Default::default()
        };
        investigation = investigation.with_tags(tagged, options);
    }
    if let Some(clusters) = clusters {
        investigation = investigation.with_clusters(clusters);
    }
    let timer = Instant::now();
    let mut cases = investigation.run(&subjects)?;
    let seconds = timer.elapsed().as_secs_f64();
    let mut pictures: Vec<Option<report::Picture>> = match args.export {
        Some(_) => subjects
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let id = graph.ledger().account_id(&s.subject)?;
                Some(report::Picture::neighbourhood(
                    &data,
                    id,
                    &format!("S{:04}", i + 1),
                    200,
                ))
            })
            .collect(),
        None => Vec::new(),
    };
    if let Some(key) = &args.pseudonymise {
        let p = Pseudonymiser::new(key.as_bytes());
        for c in &mut cases {
            c.pseudonymise(&p);
        }
        for picture in pictures.iter_mut().flatten() {
            picture.pseudonymise(&p);
        }
    }
    let output = report::OutputOptions {
        parquet: args.parquet,
        html: !args.no_report,
        neutralise_formulas: !args.raw_csv,
        export: args.export.map(|e| match e {
            ExportArg::Dot => report::GraphFormat::Dot,
            ExportArg::Graphml => report::GraphFormat::GraphMl,
        }),
        ..report::OutputOptions::default()
    };
    let written = report::write_cases(
        &args.out,
        &cases,
        &pictures,
        args.pseudonymise.is_some(),
        &output,
    )?;
    let stdout = std::io::stdout();
    let mut out = TerminalSafe::new(stdout.lock());
    writeln!(
        out,
        "{} subjects ({} found) from {}: data loaded and analysed in {prepared:.2}s ({} findings), \
         case files built in {seconds:.2}s on {} threads{}",
        cases.len(),
        cases.iter().filter(|c| c.found).count(),
        subjects_path.display(),
        analysis.findings.len(),
        rayon::current_num_threads(),
        if args.pseudonymise.is_some() {
            "; identifiers pseudonymised"
        } else {
            ""
        }
    )?;
    for c in cases.iter().take(10) {
        writeln!(
            out,
            "  {:<10} {:<30} in {:>14} out {:>14} {:>3} findings {:>3} links",
            c.case_ref,
            c.subject,
            moneytrail::summary::group_thousands(c.total.value_in.round_dp(0)),
            moneytrail::summary::group_thousands(c.total.value_out.round_dp(0)),
            c.findings.len(),
            c.links.len()
        )?;
    }
    print_written(&mut out, &args.out, &written)?;
    out.flush()?;
    Ok(())
}

/// The address clusters of a UTXO input (None for other layouts).
fn utxo_clusters(
    transactions: &[moneytrail::utxo::UtxoTransaction],
) -> Option<moneytrail::utxo::cluster::Clusters> {
    (!transactions.is_empty())
        .then(|| moneytrail::utxo::cluster::cluster(transactions, &Default::default()))
}

fn exposure_command(args: &ExposureArgs) -> anyhow::Result<()> {
    let loaded = load(&args.input)?;
    let clusters = utxo_clusters(&loaded.utxo);
    let graph = FlowGraph::new(loaded.ledger);
    let l = graph.ledger();
    let currency = args.currency.to_ascii_uppercase();
    let (fx, _) = fx_table(&graph, &args.input, args.fx.as_ref(), &currency)?;
    let data = Valued::new(&graph, fx);
    let balances = Balances::new(l, &Default::default());
    let tags = moneytrail::tags::read_tags(&args.tags)?;
    let tagged = moneytrail::tags::tagged_accounts(l, &tags, clusters.as_ref());
    let account = account_id(l, &args.account)?;
    let subject: Vec<moneytrail::AccountId> = match (&clusters, args.cluster) {
        (Some(c), true) => {
            let cluster = c
                .cluster(&args.account)
                .with_context(|| format!("{} is not an address of the data", args.account))?;
            c.members[cluster as usize]
                .iter()
                .filter_map(|&m| l.account_id(&c.addresses[m as usize]))
                .collect()
        }
        (None, true) => anyhow::bail!("--cluster needs UTXO input"),
        (_, false) => vec![account],
    };
    let options = moneytrail::exposure::ExposureOptions {
        max_hops: args.max_hops,
        trace: TraceOptions {
            rule: args.rule.into(),
            ..TraceOptions::default()
        },
        ..Default::default()
    };
    let e = moneytrail::exposure::exposure(&data, &balances, &subject, &tagged, &options)?;
    let stdout = std::io::stdout();
    let mut out = TerminalSafe::new(stdout.lock());
    if args.json {
        serde_json::to_writer_pretty(&mut out, &e)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "{} ({} accounts): {} {} in, {} {} out; within {} hops under {}{}",
        args.account,
        subject.len(),
        moneytrail::summary::group_thousands(e.total_in),
        e.currency,
        moneytrail::summary::group_thousands(e.total_out),
        e.currency,
        args.max_hops,
        options.trace.rule,
        if e.truncated {
            " (only the largest transfers followed)"
        } else {
            ""
        }
    )?;
    for (title, list) in [("from", &e.incoming), ("to", &e.outgoing)] {
        writeln!(out, "\nmoney {title} tagged entities")?;
        if list.is_empty() {
            writeln!(out, "  none")?;
        }
        for c in list {
            writeln!(
                out,
                "  {:<16} {:>6.1}%  direct {:>14}  indirect {:>14}",
                c.category.name(),
                c.share * 100.0,
                moneytrail::summary::group_thousands(c.direct),
                moneytrail::summary::group_thousands(c.indirect)
            )?;
        }
    }
    out.flush()?;
    Ok(())
}

fn enumerate_command(args: &EnumerateArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let loaded = load(&args.input)?;
    let graph = FlowGraph::new(loaded.ledger);
    let seconds_load = started.elapsed().as_secs_f64();
    let timer = Instant::now();
    let rows = graph.ledger().source_rows();
    let (lines, truncated): (Vec<String>, bool) = match args.task {
        EnumerateTask::Cycles | EnumerateTask::Chains => {
            let found = if args.task == EnumerateTask::Cycles {
                // no value filters: any valuation will do
                let data = Valued::new(&graph, FxTable::given("USD", Default::default()));
                moneytrail::enumerate::temporal_cycles(
                    &data,
                    args.max_hops,
                    args.window,
                    args.max_per_start,
                )
            } else {
                let rule = moneytrail::enumerate::ChainRule {
                    min_hops: args.min_hops,
                    max_hops: args.max_hops,
                    max_dwell: args.max_dwell,
                    min_ratio: args.min_ratio,
                    max_ratio: args.max_ratio,
                };
                moneytrail::enumerate::chains(&graph, &rule, args.max_per_start)
            };
            let lines = found
                .items
                .iter()
                .map(|item| {
                    item.iter()
                        .map(|t| rows[t.index()].to_string())
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect();
            (lines, found.truncated)
        }
        EnumerateTask::Reach => {
            use rayon::prelude::*;
            let path = args.seeds.as_ref().context("reach needs --seeds FILE")?;
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let l = graph.ledger();
            let seeds: Vec<(String, moneytrail::AccountId)> = text
                .lines()
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(|k| Ok((k.to_string(), account_id(l, k)?)))
                .collect::<anyhow::Result<_>>()?;
            let reached: Vec<Vec<(moneytrail::AccountId, moneytrail::TransferId)>> = seeds
                .par_iter()
                .map(|(_, s)| {
                    moneytrail::enumerate::reachable(&graph, *s, args.window, args.max_hops)
                })
                .collect();
            let lines = seeds
                .iter()
                .zip(&reached)
                .flat_map(|((key, _), found)| {
                    found.iter().map(move |(a, t)| {
                        format!("{key} {} {}", l.account(*a).key, rows[t.index()])
                    })
                })
                .collect();
            (lines, false)
        }
    };
    let seconds_task = timer.elapsed().as_secs_f64();
    if let Some(path) = &args.out {
        let mut text = lines.join("\n");
        if !text.is_empty() {
            text.push('\n');
        }
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let task = match args.task {
        EnumerateTask::Cycles => "cycles",
        EnumerateTask::Chains => "chains",
        EnumerateTask::Reach => "reach",
    };
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "task": task,
                "transfers": graph.transfer_count(),
                "items": lines.len(),
                "truncated": truncated,
                "seconds_load": seconds_load,
                "seconds_task": seconds_task,
                "threads": rayon::current_num_threads(),
            })
        );
    } else {
        println!(
            "{} {task} in {} transfers ({:.2}s to load, {:.3}s to enumerate){}",
            lines.len(),
            graph.transfer_count(),
            seconds_load,
            seconds_task,
            if truncated {
                "; truncated: a per-start budget was hit"
            } else {
                ""
            }
        );
    }
    Ok(())
}

fn paths_command(args: &PathsArgs) -> anyhow::Result<()> {
    let loaded = load(&args.input)?;
    let graph = FlowGraph::new(loaded.ledger);
    let l = graph.ledger();
    let (from, to) = (account_id(l, &args.from)?, account_id(l, &args.to)?);
    let data = Valued::implied(&graph, &args.currency.to_ascii_uppercase());
    let options = PathOptions {
        max_hops: args.max_hops,
        window: args.window,
        limit: args.limit,
        min_amount: args.min_amount,
        min_retention: args.min_retention,
        ..PathOptions::default()
    };
    let found = find_paths(&data, from, to, &options);
    let stdout = std::io::stdout();
    let mut out = TerminalSafe::new(stdout.lock());
    writeln!(
        out,
        "{} time-respecting paths from {} to {} (at most {} hops within {}){}",
        found.paths.len(),
        args.from,
        args.to,
        options.max_hops,
        options.window,
        if found.truncated {
            "; more exist (truncated)"
        } else {
            ""
        }
    )?;
    for (i, p) in found.paths.iter().enumerate() {
        writeln!(
            out,
            "\n{}. {} hops, bottleneck {}",
            i + 1,
            p.transfers.len(),
            data.money(p.bottleneck)
        )?;
        for &t in &p.transfers {
            let x = t.index();
            writeln!(
                out,
                "   {}  {} → {}  {} {} (row {})",
                moneytrail::time::to_rfc3339(l.times_us()[x]),
                l.account(l.froms()[x]).key,
                l.account(l.tos()[x]).key,
                l.amounts_paid()[x],
                l.asset(l.assets_paid()[x]).code,
                l.source_rows()[x]
            )?;
        }
    }
    out.flush()?;
    Ok(())
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Summary(args) => summary(args),
        Command::Analyze(args) => analyze(args),
        Command::Score(args) => score(args),
        Command::Trace(args) => trace_command(args),
        Command::Paths(args) => paths_command(args),
        Command::Generate(args) => generate_command(args),
        Command::Goaml(args) => goaml_command(args),
        Command::Cluster(args) => cluster_command(args),
        Command::Investigate(args) => investigate_command(args),
        Command::Exposure(args) => exposure_command(args),
        Command::Enumerate(args) => enumerate_command(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", terminal_safe(&format!("{e:#}")));
            ExitCode::FAILURE
        }
    }
}
