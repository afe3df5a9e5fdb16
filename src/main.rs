//! The `moneytrail` command line: parses arguments, calls the library,
//! prints results. All analysis lives in the library.

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use moneytrail::ingest::{self, Format, LoadOptions, Loaded};
use moneytrail::summary::Summary;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

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
