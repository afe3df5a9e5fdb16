//! `moneytrail account KEY`: one account at a glance — who it is, its
//! flows by asset and counterparty, its balance, the findings it is in,
//! its cluster and its tags, each with what to run next.

use crate::args::AccountArgs;
use crate::{output, setup};
use moneytrail::attribution::{clusters_of, names_of};
use moneytrail::detect;
use moneytrail::format::count;
use moneytrail::report::FindingRecord;
use moneytrail::summary::{account_flows, account_heading};
use moneytrail::trace::Balances;
use moneytrail::{AccountId, FlowGraph, Valued};
use rust_decimal::Decimal;
use std::io::Write;

pub(crate) fn run(args: &AccountArgs) -> anyhow::Result<()> {
    let loaded = setup::load(&args.input)?;
    let clusters = clusters_of(&loaded.utxo);
    let graph = FlowGraph::new(loaded.ledger);
    let l = graph.ledger();
    let account = setup::account_id(l, &args.key)?;
    let config = setup::detect_config(args.config.as_deref(), Some(&args.currency))?;
    let data = setup::valued(&graph, &args.input, args.fx.as_ref(), &config.currency)?;
    let mut out = output::stdout();
    write!(out, "{}", account_heading(&graph, account))?;
    flows(&mut out, &data, account, args.top)?;
    findings(&mut out, &data, account, &config, args)?;
    let tags = setup::tags(args.tags.as_deref(), &args.input, "sample_utxo.jsonl")?;
    if let Some(c) = &clusters {
        if let Some(cluster) = c.cluster(&args.key) {
            let members = &c.members[cluster as usize];
            let shown: Vec<&str> = members
                .iter()
                .take(args.top)
                .map(|&m| c.addresses[m as usize].as_str())
                .collect();
            writeln!(
                out,
                "\ncluster {cluster}: {} ({}); `moneytrail cluster --explain A,B` says why two share it",
                count(members.len(), "address"),
                shown.join(" ")
            )?;
        }
    }
    let named = names_of(&args.key, &tags, clusters.as_ref());
    if named.is_empty() {
        writeln!(
            out,
            "\ntags: none{}",
            if tags.is_empty() {
                " (no tags given: --tags FILE)"
            } else {
                ""
            }
        )?;
    } else {
        writeln!(out, "\ntags: {}", named.join(", "))?;
    }
    out.flush()?;
    Ok(())
}

/// Totals and balance per asset, and the largest counterparties by value.
fn flows(
    out: &mut impl Write,
    data: &Valued<'_>,
    account: AccountId,
    top: usize,
) -> anyhow::Result<()> {
    let l = data.graph.ledger();
    let balances = Balances::new(l, &Default::default());
    let flows = account_flows(data, account);
    writeln!(out, "\nper asset (balance at the end of the data)")?;
    for f in &flows.per_asset {
        let opening = balances.opening(account, f.asset);
        let unseen = if opening > Decimal::ZERO {
            format!(
                " (with an opening balance of at least {} the data does not show)",
                l.show(opening, f.asset)
            )
        } else {
            String::new()
        };
        writeln!(
            out,
            "  received {:>22}  paid {:>22}  balance {:>22}{unseen}",
            l.show(f.received, f.asset),
            l.show(f.paid, f.asset),
            l.show(balances.closing(account, f.asset), f.asset),
        )?;
    }
    let peers = flows.counterparties.len();
    writeln!(
        out,
        "\ncounterparties ({peers}, the {} largest by value)",
        top.min(peers)
    )?;
    for c in flows.counterparties.iter().take(top) {
        writeln!(
            out,
            "  {:<30} in {:>18}  out {:>18}  {}",
            l.account(c.account).key,
            data.money(c.value_in),
            data.money(c.value_out),
            count(c.transfers, "transfer")
        )?;
    }
    Ok(())
}

/// The findings the account takes part in, highest score first.
fn findings(
    out: &mut impl Write,
    data: &Valued<'_>,
    account: AccountId,
    config: &moneytrail::detect::DetectConfig,
    args: &AccountArgs,
) -> anyhow::Result<()> {
    let analysis = detect::analyze(data, config, |_| {});
    let records = FindingRecord::all(&analysis.findings, data);
    let mine: Vec<&FindingRecord> = analysis
        .findings
        .iter()
        .zip(&records)
        .filter(|(f, _)| f.accounts.contains(&account))
        .map(|(_, r)| r)
        .collect();
    writeln!(
        out,
        "\nfindings ({} of {} in the data)",
        mine.len(),
        analysis.findings.len()
    )?;
    if mine.is_empty() {
        writeln!(
            out,
            "  none: no detector's pattern includes it under these parameters (a wider --config, e.g. data/wide.toml, looks further)"
        )?;
    }
    output::print_findings(out, mine, args.top)?;
    writeln!(
        out,
        "next: `moneytrail trace --account {k}` (what it received), `--sent` (what it paid), `--backward` (where its balance came from)",
        k = args.key
    )?;
    Ok(())
}
