//! `moneytrail analyze`: run every detector, print the run and the top
//! findings, and write the results folder.

use crate::args::AnalyzeArgs;
use crate::{output, setup};
use moneytrail::detect::{self, DetectConfig};
use moneytrail::report::{self, FindingRecord};
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
    let analysis = detect::analyze(&data, &config, |name| {
        if let Some(bar) = &bar {
            bar.set_message(name.to_string());
            bar.inc(1);
        }
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let mut options = setup::output_options(&args.output);
    options.limits.drawn = args.report_drawn;
    options.export_top = args.export_top;
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
