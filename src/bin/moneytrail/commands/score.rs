//! `moneytrail score`: grade findings against an answer key, and with
//! `--missed --input` say of each missed attempt what it looks like and
//! which thresholds it fails.

use crate::args::ScoreArgs;
use crate::{output, setup};
use moneytrail::format::count;
use moneytrail::ingest::{self, read_truth};
use moneytrail::missed::{missed_details, MissedDetails};
use moneytrail::report::read_findings;
use moneytrail::score::Scorecard;
use moneytrail::{FlowGraph, Valued};
use std::collections::BTreeMap;
use std::io::Write;

pub(crate) fn run(args: &ScoreArgs) -> anyhow::Result<()> {
    let findings = read_findings(&args.findings)?;
    let truth = read_truth(&args.truth, args.input.as_deref())?;
    let card = moneytrail::score::grade(&findings, &truth, &args.typology, args.min_score);
    let details = match (&args.input, args.missed || args.json) {
        (Some(input), true) => details(&card, input, args)?,
        _ => BTreeMap::new(),
    };
    let mut out = output::stdout();
    if args.json {
        let mut value = serde_json::to_value(&card)?;
        if !details.is_empty() {
            value["missed_details"] = serde_json::to_value(&details)?;
        }
        serde_json::to_writer_pretty(&mut out, &value)?;
        writeln!(out)?;
    } else {
        write!(out, "{card}")?;
        if args.missed {
            write!(out, "\n{}", card.missed_report())?;
            if args.input.is_none() {
                writeln!(
                    out,
                    "\n(give --input FILE, the analysed transfers, for each missed attempt's accounts, amounts, times and the thresholds it fails)"
                )?;
            }
            for (id, d) in &details {
                print_details(&mut out, id, d)?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// Every missed attempt measured in the analysed data, by id.
fn details(
    card: &Scorecard,
    input: &std::path::Path,
    args: &ScoreArgs,
) -> anyhow::Result<BTreeMap<String, MissedDetails>> {
    let loaded = ingest::load(input, &ingest::LoadOptions::default())
        .map_err(|e| anyhow::anyhow!("cannot load {}: {e}", input.display()))?;
    let graph = FlowGraph::new(loaded.ledger);
    let config = setup::detect_config(args.config.as_deref(), None)?;
    let (fx, _) = setup::fx_table_for(&graph, input, None, &config.currency)?;
    let data = Valued::new(&graph, fx);
    let mut all = BTreeMap::new();
    for (typology, p) in &card.patterns {
        for m in &p.missed {
            all.insert(
                m.id.clone(),
                missed_details(&data, typology, &m.rows, &config),
            );
        }
    }
    Ok(all)
}

fn print_details(out: &mut impl Write, id: &str, d: &MissedDetails) -> anyhow::Result<()> {
    let shown: Vec<&str> = d.accounts.iter().take(6).map(String::as_str).collect();
    let more = if d.accounts.len() > 6 { " …" } else { "" };
    writeln!(
        out,
        "\n{id}: {} worth {} from {} to {}; {}: {}{more}",
        count(d.transfers, "transfer"),
        moneytrail::Asset::from_code(&d.currency).show(d.value),
        d.first_time.as_deref().unwrap_or("-"),
        d.last_time.as_deref().unwrap_or("-"),
        count(d.accounts.len(), "account"),
        shown.join(", "),
    )?;
    for reason in &d.reasons {
        writeln!(out, "  why: {reason}")?;
    }
    Ok(())
}
