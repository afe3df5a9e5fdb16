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
    let mut findings = match (&args.findings, &args.transfer_scores, &args.input) {
        (Some(path), _, _) => read_findings(path)?,
        (None, Some(scores), Some(input)) => model_flags(scores, input)?,
        _ => anyhow::bail!("give --findings, or --transfer-scores with --input"),
    };
    let mut truth = read_truth(&args.truth, args.input.as_deref())?;
    if let Some(first) = args.from_row {
        truth = truth.from_row(first);
        for f in &mut findings {
            f.rows.retain(|&r| r >= first);
        }
        findings.retain(|f| !f.rows.is_empty());
    }
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

/// The flagged transfers of a transfer_scores.csv as findings of typology
/// `model`, one per transfer, with the accounts of its row in `input`.
fn model_flags(
    path: &std::path::Path,
    input: &std::path::Path,
) -> anyhow::Result<Vec<moneytrail::report::FindingRecord>> {
    use anyhow::Context;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut lines = text.lines();
    if !lines
        .next()
        .is_some_and(|h| h.starts_with("row,score,flagged"))
    {
        anyhow::bail!(
            "{}: not a transfer_scores.csv (its header must start with row,score,flagged)",
            path.display()
        );
    }
    let mut flagged: Vec<(u32, f64)> = Vec::new();
    for (i, line) in lines.enumerate() {
        let mut cells = line.splitn(4, ',');
        let bad = || anyhow::anyhow!("{}: line {}: not row,score,flagged", path.display(), i + 2);
        let row: u32 = cells.next().and_then(|c| c.parse().ok()).ok_or_else(bad)?;
        let score: f64 = cells.next().and_then(|c| c.parse().ok()).ok_or_else(bad)?;
        match cells.next() {
            Some("1") => flagged.push((row, score)),
            Some("0") => {}
            _ => return Err(bad()),
        }
    }
    let loaded = ingest::load(input, &ingest::LoadOptions::default())
        .map_err(|e| anyhow::anyhow!("cannot load {}: {e}", input.display()))?;
    let l = &loaded.ledger;
    let mut by_row: std::collections::HashMap<u32, Vec<usize>> = std::collections::HashMap::new();
    for (i, &r) in l.source_rows().iter().enumerate() {
        by_row.entry(r).or_default().push(i);
    }
    let mut records = Vec::with_capacity(flagged.len());
    for (n, (row, score)) in flagged.into_iter().enumerate() {
        let Some(transfers) = by_row.get(&row) else {
            anyhow::bail!(
                "{}: row {row} is not a data row of {}: the scores belong to another input",
                path.display(),
                input.display()
            );
        };
        let mut accounts: Vec<String> = transfers
            .iter()
            .flat_map(|&i| [l.froms()[i], l.tos()[i]])
            .map(|a| l.account(a).key.clone())
            .collect();
        accounts.sort();
        accounts.dedup();
        records.push(moneytrail::report::FindingRecord {
            id: format!("M{:06}", n + 1),
            typology: "model".to_string(),
            score,
            accounts,
            rows: vec![row],
            tx_ids: Vec::new(),
            amount: rust_decimal::Decimal::ZERO,
            currency: String::new(),
            first_time: String::new(),
            last_time: String::new(),
            explanation: String::new(),
            model_score: Some(score),
        });
    }
    Ok(records)
}
