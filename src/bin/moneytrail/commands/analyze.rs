//! `moneytrail analyze`: run every detector, print the run and the top
//! findings, and write the results folder.

use crate::args::{AnalyzeArgs, ByteSize};
use crate::{output, setup};
use moneytrail::detect::{self, DetectConfig};
use moneytrail::learn::{Level, Model};
use moneytrail::report::{self, AccountScores, AnalysisRun, FindingRecord, TransferScores};
use moneytrail::FlowGraph;
use moneytrail::Valued;
use std::io::{IsTerminal, Write};
use std::time::Instant;

pub(crate) fn run(args: &AnalyzeArgs) -> anyhow::Result<()> {
    if args.print_config {
        print!("{}", DetectConfig::default().to_toml()?);
        return Ok(());
    }
    let config = setup::detect_config(args.config.as_deref(), args.currency.as_deref())?;
    let model = match &args.model {
        Some(dir) => Some((dir, Model::load(dir)?)),
        None => None,
    };
    let whole_store = args.input.read_from.is_none() && args.input.read_until.is_none();
    let by_parts = whole_store && model.is_none();
    let length = match args.shard {
        Some(length) => Some(length.micros()),
        None => shards_for_memory(args, by_parts)?,
    };
    if let (Some(length), Some(dir), true) = (length, &args.input.store, by_parts) {
        return run_from_store(args, &config, dir, length);
    }
    let started = Instant::now();
    let loaded = setup::load(&args.input)?;
    let report = loaded.report.clone();
    let graph = FlowGraph::new(loaded.ledger);
    let (fx, fx_file) = setup::fx_table(&graph, &args.input, args.fx.as_ref(), &config.currency)?;
    let data = Valued::new(&graph, fx);
    let seconds_load = started.elapsed().as_secs_f64();
    let bar = progress(&config);
    let analysis = match args.shard {
        Some(length) => detect::analyze_sharded(&data, &config, length.micros(), |step| {
            if let Some(bar) = &bar {
                bar.set_message(step.to_string());
            }
        }),
        None => detect::analyze(&data, &config, |name| {
            if let Some(bar) = &bar {
                bar.set_message(name.to_string());
                bar.inc(1);
            }
        }),
    };
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let started_scoring = Instant::now();
    let (mut scores, mut account_scores) = (None, None);
    if let Some((dir, model)) = &model {
        let made = (&config, analysis.findings.as_slice());
        let name = dir.display().to_string();
        if model.spec.level == Level::Account {
            account_scores = Some(AccountScores::compute(model, &name, &data, made)?);
        } else {
            let (computed, warnings) = TransferScores::compute(model, &name, &data, made)?;
            for w in &warnings {
                eprintln!("warning: {w}");
            }
            scores = Some(computed);
        }
    }
    let seconds_scoring = started_scoring.elapsed().as_secs_f64();
    let run = Run {
        report: &report,
        seconds_load,
        fx_file: fx_file.as_deref(),
        scores: scores.as_ref(),
        account_scores: account_scores.as_ref(),
        seconds_scoring,
        html: true,
    };
    write_and_print(args, &config, &data, &analysis, &run)
}

/// The shard length for reading a store part by part when the analysis
/// held at once is expected to exceed `--max-memory` (by default half the
/// machine's memory); `None` to analyse in memory. A file, or a store that
/// cannot be read part by part (`by_parts` false), over the budget gets a
/// note on stderr instead.
fn shards_for_memory(args: &AnalyzeArgs, by_parts: bool) -> anyhow::Result<Option<i64>> {
    let budget = match args.max_memory {
        Some(size) => size,
        None => match setup::machine_memory() {
            Some(bytes) => ByteSize(bytes / 2),
            None => return Ok(None),
        },
    };
    let expected = |transfers: u64| ByteSize(detect::analyze_bytes(transfers));
    if let Some(dir) = &args.input.store {
        let store = setup::open_store(dir)?;
        let manifest = store.manifest();
        let times = [&manifest.first_time, &manifest.last_time].map(|t| {
            t.as_deref()
                .and_then(|t| moneytrail::time::parse_time(t).ok())
        });
        let span = match times {
            [Some(first), Some(last)] => last - first,
            _ => 0,
        };
        let Some(length) = detect::shard_length_within(manifest.transfers, span, budget.0) else {
            return Ok(None);
        };
        let over = format!(
            "{} transfers are expected to need about {} held at once, above {budget} (--max-memory)",
            manifest.transfers,
            expected(manifest.transfers)
        );
        if by_parts {
            eprintln!("note: {over}: reading the store part by part in {length} shards (as --shard {length})");
            return Ok(Some(length.micros()));
        }
        eprintln!("note: {over}; --model, --read-from and --read-until need it held at once, so it is analysed in memory");
    } else if let Some(file) = &args.input.input {
        let Some(records) = setup::records_in(file) else {
            return Ok(None);
        };
        if detect::analyze_bytes(records) > budget.0 {
            eprintln!(
                "note: {} holds about {records} transfers, expected to need about {} held at once, above {budget} (--max-memory); to analyse it part by part: moneytrail ingest --input {} --store DIR, then moneytrail analyze --store DIR",
                file.display(),
                expected(records),
                file.display()
            );
        }
    }
    Ok(None)
}

/// What a run loaded and scored, for its output.
struct Run<'a> {
    report: &'a moneytrail::ingest::LoadReport,
    seconds_load: f64,
    fx_file: Option<&'a std::path::Path>,
    scores: Option<&'a TransferScores>,
    account_scores: Option<&'a AccountScores>,
    seconds_scoring: f64,
    /// Whether report.html may be written.
    html: bool,
}

/// `analyze --store DIR --shard L` on the whole store: read it part by
/// part (never all of it at once), then write the outputs from the
/// transfers the findings name, valued with the whole store's facts.
fn run_from_store(
    args: &AnalyzeArgs,
    config: &DetectConfig,
    dir: &std::path::Path,
    length_us: i64,
) -> anyhow::Result<()> {
    use anyhow::Context;
    use moneytrail::detect::{Facts, PartSource};
    let started = Instant::now();
    let store = setup::open_store(dir)?;
    let (make_fx, fx_file) =
        setup::fx_rule(&store.manifest_path(), args.fx.as_ref(), &config.currency)?;
    let cannot_read = || format!("cannot read the store {}", dir.display());
    let facts = Facts::gather(&store, make_fx).with_context(cannot_read)?;
    let report = store.part_report();
    let seconds_load = started.elapsed().as_secs_f64();
    let bar = progress(config);
    let analysis = detect::analyze_parts(&store, &facts, config, length_us, |step| {
        if let Some(bar) = &bar {
            bar.set_message(step.to_string());
        }
    })
    .with_context(cannot_read)?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    // the outputs read only the transfers the findings name
    let mut named = vec![false; facts.times_us.len()];
    for t in analysis.findings.iter().flat_map(|f| &f.transfers) {
        named[t.index()] = true;
    }
    let (ledger, ids) = store.pick(&mut |g| named[g.id]).with_context(cannot_read)?;
    let graph = FlowGraph::new(ledger);
    let count = graph.ledger().len();
    let data = Valued::shard(&graph, facts.fx.clone(), facts.whole.clone(), (0, count));
    let mut analysis = analysis;
    for f in &mut analysis.findings {
        for t in &mut f.transfers {
            *t = moneytrail::TransferId(ids.partition_point(|&x| x < t.0) as u32);
        }
    }
    if !args.output.no_report && args.out.is_some() {
        eprintln!(
            "note: report.html is left out when --store is analysed part by part (--shard): its overview and timeline need every transfer at once; run without --shard for it"
        );
    }
    let run = Run {
        report: &report,
        seconds_load,
        fx_file: fx_file.as_deref(),
        scores: None,
        account_scores: None,
        seconds_scoring: 0.0,
        html: false,
    };
    write_and_print(args, config, &data, &analysis, &run)
}

/// The progress bar of the detection step, on a terminal.
fn progress(config: &DetectConfig) -> Option<indicatif::ProgressBar> {
    std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(config.enabled.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} detecting {msg} [{bar:20}] {pos}/{len}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    })
}

/// Write the results folder (with `--out`) and print the run.
fn write_and_print(
    args: &AnalyzeArgs,
    config: &DetectConfig,
    data: &Valued<'_>,
    analysis: &moneytrail::detect::Analysis,
    run: &Run<'_>,
) -> anyhow::Result<()> {
    let (report, seconds_load, scores) = (run.report, run.seconds_load, run.scores);
    let seconds_scoring = run.seconds_scoring;
    let fx_file = run.fx_file;
    let mut options = setup::output_options(&args.output);
    options.html &= run.html;
    options.limits.drawn = args.report_drawn;
    options.export_top = args.export_top;
    let (records, written) = match &args.out {
        Some(dir) => report::write_analysis(
            dir,
            data,
            analysis,
            config,
            &AnalysisRun {
                load: report,
                seconds_load,
                model: scores,
                account_model: run.account_scores,
            },
            &options,
        )?,
        None => (FindingRecord::all(&analysis.findings, data), Vec::new()),
    };
    let mut out = output::stdout();
    writeln!(
        out,
        "{}: {} transfers ({} rejected), {} accounts, loaded in {:.2}s; amounts in {} ({})",
        report.path.display(),
        report.rows_loaded,
        report.rows_rejected,
        data.graph.account_count(),
        seconds_load,
        data.currency(),
        setup::fx_source(&data.fx, fx_file),
    )?;
    write!(out, "\n{}", analysis.table())?;
    for w in &analysis.warnings {
        writeln!(out, "warning: {w}")?;
    }
    let scored = scores
        .map(|s| (&s.model, s.threshold, &s.flagged, "transfer"))
        .or(run
            .account_scores
            .map(|s| (&s.model, s.threshold, &s.flagged, "account")));
    if let Some((model, threshold, flags, noun)) = scored {
        let flagged = flags.iter().filter(|&&f| f).count();
        writeln!(
            out,
            "\nmodel {model}: {} of {} flagged at threshold {threshold:.4} in {seconds_scoring:.2}s ({noun}_scores.csv)",
            moneytrail::format::count(flagged, noun),
            moneytrail::format::count(flags.len(), noun),
        )?;
        if flagged == 0 {
            writeln!(
                out,
                "  no {noun} reaches the model's threshold: the data may differ from what the model learned; see the scores' spread in {noun}_scores.csv"
            )?;
        }
    }
    if args.top > 0 && !records.is_empty() {
        let by = match scored {
            Some(_) => " (by the model's score, then the rule's)",
            None => "",
        };
        writeln!(out, "\ntop findings{by}")?;
        output::print_findings(&mut out, records.iter().collect(), args.top)?;
    }
    if let Some(dir) = &args.out {
        output::print_written(&mut out, dir, &written)?;
    }
    out.flush()?;
    Ok(())
}
