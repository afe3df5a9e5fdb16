//! `moneytrail account KEY`: one account at a glance — who it is, its
//! flows by asset and counterparty, its balance, the findings it is in,
//! its cluster and its tags, each with what to run next.

use crate::args::AccountArgs;
use crate::{output, setup};
use moneytrail::attribution::{clusters_of, propagate};
use moneytrail::detect;
use moneytrail::format::count;
use moneytrail::ingest::read_tags;
use moneytrail::report::FindingRecord;
use moneytrail::time::to_rfc3339;
use moneytrail::trace::Balances;
use moneytrail::{AccountId, AssetId, FlowGraph, Valued};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::io::Write;

/// What one counterparty exchanged with the account.
#[derive(Default)]
struct Exchanged {
    value_in: Decimal,
    value_out: Decimal,
    transfers: usize,
}

pub(crate) fn run(args: &AccountArgs) -> anyhow::Result<()> {
    let loaded = setup::load(&args.input)?;
    let clusters = clusters_of(&loaded.utxo);
    let graph = FlowGraph::new(loaded.ledger);
    let l = graph.ledger();
    let account = setup::account_id(l, &args.key)?;
    let config = setup::detect_config(args.config.as_deref(), Some(&args.currency))?;
    let (fx, _) = setup::fx_table(&graph, &args.input, args.fx.as_ref(), &config.currency)?;
    let data = Valued::new(&graph, fx);
    setup::warn_unpriced(&data);
    let mut out = output::stdout();
    let a = l.account(account);
    let mut about = vec![a.kind.name().to_string()];
    about.extend(a.institution.clone());
    about.extend(a.jurisdiction.clone());
    writeln!(out, "account {} ({})", a.key, about.join(", "))?;
    let (inc, outg) = (graph.incoming(account, ..), graph.outgoing(account, ..));
    let times: Vec<i64> = inc.iter().chain(outg.iter()).map(|(t, _, _)| t).collect();
    if let (Some(first), Some(last)) = (times.iter().min(), times.iter().max()) {
        writeln!(
            out,
            "active {} to {}: {} in, {} out",
            to_rfc3339(*first),
            to_rfc3339(*last),
            count(inc.len(), "transfer"),
            count(outg.len(), "transfer")
        )?;
    }
    flows(&mut out, &data, account, args.top)?;
    findings(&mut out, &data, account, &config, args)?;
    let tags = match &args.tags {
        Some(path) => read_tags(path)?,
        None => {
            let sample = setup::shipped("sample_tags.csv");
            let on_sample =
                args.input.input.as_ref().is_some_and(|p| {
                    p.file_name() == Some(std::ffi::OsStr::new("sample_utxo.jsonl"))
                });
            if on_sample && sample.is_file() {
                read_tags(&sample)?
            } else {
                Vec::new()
            }
        }
    };
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
    let mut named: Vec<String> = match &clusters {
        Some(c) => c
            .cluster(&args.key)
            .map(|cluster| {
                let applied = propagate(c, &tags);
                c.members[cluster as usize]
                    .iter()
                    .flat_map(|m| applied.get(m).into_iter().flatten())
                    .map(|t| format!("{} ({})", t.tag.entity, t.tag.category.name()))
                    .collect()
            })
            .unwrap_or_default(),
        None => tags
            .iter()
            .filter(|t| t.address == args.key)
            .map(|t| format!("{} ({})", t.entity, t.category.name()))
            .collect(),
    };
    named.sort();
    named.dedup();
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
    let g = data.graph;
    let l = g.ledger();
    let balances = Balances::new(l, &Default::default());
    let mut per_asset: BTreeMap<AssetId, (Decimal, Decimal)> = BTreeMap::new();
    let mut per_peer: BTreeMap<AccountId, Exchanged> = BTreeMap::new();
    for (_, t, from) in g.incoming(account, ..).iter() {
        let i = t.index();
        per_asset.entry(l.assets_received()[i]).or_default().0 += l.amounts_received()[i];
        let e = per_peer.entry(from).or_default();
        e.value_in += data.value[i];
        e.transfers += 1;
    }
    for (_, t, to) in g.outgoing(account, ..).iter() {
        let i = t.index();
        per_asset.entry(l.assets_paid()[i]).or_default().1 += l.amounts_paid()[i];
        let e = per_peer.entry(to).or_default();
        e.value_out += data.value[i];
        e.transfers += 1;
    }
    writeln!(out, "\nper asset (balance at the end of the data)")?;
    for (&asset, &(received, paid)) in &per_asset {
        let opening = balances.opening(account, asset);
        writeln!(
            out,
            "  received {:>22}  paid {:>22}  balance {:>22}{}",
            l.show(received, asset),
            l.show(paid, asset),
            l.show(balances.closing(account, asset), asset),
            if opening > Decimal::ZERO {
                format!(
                    " (with an opening balance of at least {} the data does not show)",
                    l.show(opening, asset)
                )
            } else {
                String::new()
            }
        )?;
    }
    let peers = per_peer.len();
    let mut ranked: Vec<(AccountId, Exchanged)> = per_peer.into_iter().collect();
    ranked.sort_by(|a, b| {
        (b.1.value_in + b.1.value_out)
            .cmp(&(a.1.value_in + a.1.value_out))
            .then(a.0.cmp(&b.0))
    });
    writeln!(
        out,
        "\ncounterparties ({}, the {} largest by value)",
        peers,
        top.min(peers)
    )?;
    for (peer, e) in ranked.iter().take(top) {
        writeln!(
            out,
            "  {:<30} in {:>18}  out {:>18}  {}",
            l.account(*peer).key,
            data.money(e.value_in),
            data.money(e.value_out),
            count(e.transfers, "transfer")
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
    let mut mine: Vec<&FindingRecord> = analysis
        .findings
        .iter()
        .zip(&records)
        .filter(|(f, _)| f.accounts.contains(&account))
        .map(|(_, r)| r)
        .collect();
    mine.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
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
    for r in mine.iter().take(args.top) {
        writeln!(
            out,
            "  {} {:<15} {:.2}  {}",
            r.id, r.typology, r.score, r.explanation
        )?;
    }
    writeln!(
        out,
        "next: `moneytrail trace --account {k}` (what it received), `--sent` (what it paid), `--backward` (where its balance came from)",
        k = args.key
    )?;
    Ok(())
}
