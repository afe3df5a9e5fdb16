//! `moneytrail analyze`: run every detector, print the run and the top
//! findings, and write the results folder.

use crate::args::AnalyzeArgs;
use crate::{output, setup};
use moneytrail::detect::{self, DetectConfig};
use moneytrail::learn::Model;
use moneytrail::report::{self, AnalysisRun, FindingRecord, TransferScores};
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
    let started = Instant::now();
    let loaded = setup::load(&args.input)?;
    let report = loaded.report.clone();
    let graph = FlowGraph::new(loaded.ledger);
    let (fx, fx_file) = setup::fx_table(&graph, &args.input, args.fx.as_ref(), &config.currency)?;
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
    let scores = match &model {
        Some((dir, model)) => {
            let made = (&config, analysis.findings.as_slice());
            let (scores, warnings) =
                TransferScores::compute(model, &dir.display().to_string(), &data, made)?;
            for w in &warnings {
                eprintln!("warning: {w}");
            }
            Some(scores)
        }
        None => None,
    };
    let seconds_scoring = started_scoring.elapsed().as_secs_f64();
    let mut options = setup::output_options(&args.output);
    options.limits.drawn = args.report_drawn;
    options.export_top = args.export_top;
    let (records, written) = match &args.out {
        Some(dir) => report::write_analysis(
            dir,
            &data,
            &analysis,
            &config,
            &AnalysisRun {
                load: &report,
                seconds_load,
                model: scores.as_ref(),
            },
            &options,
        )?,
        None => (FindingRecord::all(&analysis.findings, &data), Vec::new()),
    };
    let mut out = output::stdout();
    writeln!(
        out,
        "{}: {} transfers ({} rejected), {} accounts, loaded in {:.2}s; amounts in {} ({})",
        report.path.display(),
        report.rows_loaded,
        report.rows_rejected,
        graph.account_count(),
        seconds_load,
        data.currency(),
        setup::fx_source(&data.fx, fx_file.as_deref()),
    )?;
    write!(out, "\n{}", analysis.table())?;
    for w in &analysis.warnings {
        writeln!(out, "warning: {w}")?;
    }
    if let Some(s) = &scores {
        let flagged = s.flagged.iter().filter(|&&f| f).count();
        writeln!(
            out,
            "\nmodel {}: {} of {} flagged at threshold {:.4} in {seconds_scoring:.2}s (transfer_scores.csv)",
            s.model,
            moneytrail::format::count(flagged, "transfer"),
            moneytrail::format::count(s.score.len(), "transfer"),
            s.threshold,
        )?;
        if flagged == 0 {
            writeln!(
                out,
                "  no transfer reaches the model's threshold: the data may differ from what the model learned; see the scores' spread in transfer_scores.csv"
            )?;
        }
    }
    if args.top > 0 && !records.is_empty() {
        writeln!(out, "\ntop findings")?;
        output::print_findings(&mut out, records.iter().collect(), args.top)?;
    }
    if let Some(dir) = &args.out {
        output::print_written(&mut out, dir, &written)?;
    }
    out.flush()?;
    Ok(())
}
