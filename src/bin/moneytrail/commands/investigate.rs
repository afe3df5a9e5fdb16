//! `moneytrail investigate`: a case file per subject, in parallel.

use crate::args::InvestigateArgs;
use crate::{output, setup};
use moneytrail::attribution::{clusters_of, tagged_accounts, ExposureOptions};
use moneytrail::detect::{self};
use moneytrail::format::count;
use moneytrail::ingest::{read_subjects, read_tags};
use moneytrail::investigate::{InvestigateOptions, Investigation, Pseudonymiser};
use moneytrail::report::{self, terminal::terminal_safe, OutputOptions, Picture};
use moneytrail::trace::{Balances, TraceOptions};
use moneytrail::FlowGraph;
use moneytrail::Valued;
use std::io::Write;
use std::time::Instant;

pub(crate) fn run(args: &InvestigateArgs) -> anyhow::Result<()> {
    let subjects_path = match &args.subjects {
        Some(p) => p.clone(),
        None if args.input.input.is_none() && args.input.store.is_none() => {
            setup::shipped("sample_subjects.csv")
        }
        None => anyhow::bail!("give --subjects FILE (case_ref,subject lines)"),
    };
    let subjects = read_subjects(&subjects_path)?;
    let started = Instant::now();
    let loaded = setup::load(&args.input)?;
    let clusters = clusters_of(&loaded.utxo);
    let graph = FlowGraph::new(loaded.ledger);
    let config = setup::detect_config(args.config.as_deref(), Some(&args.currency))?;
    let (fx, _) = setup::fx_table(&graph, &args.input, args.fx.as_ref(), &config.currency)?;
    let data = Valued::new(&graph, fx);
    let analysis = detect::analyze(&data, &config, |_| {});
    for w in &analysis.warnings {
        eprintln!("warning: {}", terminal_safe(w));
    }
    let balances = Balances::new(graph.ledger(), &Default::default());
    let prepared = started.elapsed().as_secs_f64();
    let trace = TraceOptions {
        rule: args.rule.into(),
        exchange_links: setup::exchange_links(&data, &args.exchanges, Some(&analysis.findings))?,
        ..TraceOptions::default()
    };
    let options = InvestigateOptions {
        trace: TraceOptions {
            max_hops: args.max_hops,
            ..trace.clone()
        },
        top: args.top,
        ..InvestigateOptions::default()
    };
    let mut investigation = Investigation::new(&data, &analysis.findings, &balances, options);
    if let Some(path) = &args.tags {
        let tags = read_tags(path)?;
        let tagged = tagged_accounts(graph.ledger(), &tags, clusters.as_ref());
        let options = ExposureOptions {
            trace,
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
    // each subject's neighbourhood: drawn in the report, exported with --export
    let arrows = if args.export.is_some() { 200 } else { 60 };
    let mut pictures: Vec<Option<Picture>> = subjects
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let id = graph.ledger().account_id(&s.subject)?;
            let name = format!("S{:04}", i + 1);
            Some(Picture::neighbourhood(&data, id, &name, arrows))
        })
        .collect();
    if let Some(key) = &args.pseudonymise {
        let p = Pseudonymiser::new(key.as_bytes());
        cases.iter_mut().for_each(|c| c.pseudonymise(&p));
        pictures
            .iter_mut()
            .flatten()
            .for_each(|pic| pic.pseudonymise(&p));
    }
    let output = OutputOptions {
        parquet: args.parquet,
        html: !args.no_report,
        neutralise_formulas: !args.raw_csv,
        export: args.export.map(Into::into),
        ..OutputOptions::default()
    };
    let pseudonymised = args.pseudonymise.is_some();
    let written = report::write_cases(&args.out, &cases, &pictures, pseudonymised, &output)?;
    let mut out = output::stdout();
    writeln!(
        out,
        "{} ({} found) from {}: data loaded and analysed in {prepared:.2}s ({}), \
         case files built in {seconds:.2}s on {} threads{}",
        count(cases.len(), "subject"),
        cases.iter().filter(|c| c.found).count(),
        subjects_path.display(),
        count(analysis.findings.len(), "finding"),
        rayon::current_num_threads(),
        if pseudonymised {
            "; identifiers pseudonymised"
        } else {
            ""
        }
    )?;
    for c in cases.iter().take(10) {
        writeln!(
            out,
            "  {:<10} {:<30} in {:>18} out {:>18} {:>12} {:>9}",
            c.case_ref,
            c.subject,
            data.money(c.total.value_in),
            data.money(c.total.value_out),
            count(c.findings.len(), "finding"),
            count(c.links.len(), "link")
        )?;
    }
    output::print_written(&mut out, &args.out, &written)?;
    out.flush()?;
    Ok(())
}
