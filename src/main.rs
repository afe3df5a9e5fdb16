//! The `moneytrail` command line: parses arguments, calls the library,
//! prints results. All analysis lives in the library.

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use moneytrail::detect::{self, DetectConfig, Valued};
use moneytrail::fx::FxTable;
use moneytrail::ingest::{self, Format, LoadOptions, Loaded};
use moneytrail::report::{self, FindingRecord};
use moneytrail::score::Truth;
use moneytrail::summary::Summary;
use moneytrail::FlowGraph;
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
    /// Folder for findings.json, findings.csv, accounts.csv and summary.json.
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
    let mut out = stdout.lock();
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
    // the shipped sample comes with its own rates for BTC and USDT, which
    // its data does not imply
    let fx_file = args.fx.clone().or_else(|| {
        let sample = sample_path().with_file_name("sample_fx.csv");
        (args.input.input.is_none() && sample.is_file()).then_some(sample)
    });
    let fx = match &fx_file {
        Some(path) => {
            FxTable::implied_with(graph.ledger(), &FxTable::from_csv(path, &config.currency)?)
        }
        None => FxTable::implied(graph.ledger(), &config.currency),
    };
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
    let records: Vec<FindingRecord> = match &args.out {
        Some(dir) => report::write_analysis(dir, &data, &analysis, &config, &report, seconds_load)?,
        None => analysis
            .findings
            .iter()
            .enumerate()
            .map(|(i, f)| FindingRecord::new(i, f, &data))
            .collect(),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
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
    let per = analysis.per_typology();
    for (name, seconds) in &analysis.seconds {
        let count = if name == "bipartite" {
            per.get("bipartite").copied().unwrap_or(0) + per.get("stack").copied().unwrap_or(0)
        } else {
            per.get(name).copied().unwrap_or(0)
        };
        let truncated = analysis.truncated.get(name).copied().unwrap_or(false);
        writeln!(
            out,
            "{name:<16} {count:>9} {seconds:>9.3}  {}",
            if truncated { "yes" } else { "" }
        )?;
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
        writeln!(
            out,
            "
wrote findings.json, findings.csv, accounts.csv, summary.json to {}",
            dir.display()
        )?;
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
    let mut out = stdout.lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &card)?;
        writeln!(out)?;
    } else {
        write!(out, "{card}")?;
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
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
