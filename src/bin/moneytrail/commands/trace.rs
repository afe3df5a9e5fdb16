//! `moneytrail trace`: follow an account's proceeds forward under a rule,
//! print the books and the largest holdings, and write the results folder.

use crate::args::TraceArgs;
use crate::{output, setup};
use moneytrail::format::group_thousands;
use moneytrail::fx::FxTable;
use moneytrail::report;
use moneytrail::trace::{Balances, Seed, Totals, TraceOptions};
use moneytrail::{AssetId, FlowGraph, Ledger};
use rust_decimal::Decimal;
use std::io::Write;

/// The options both directions of `trace` share.
pub(crate) fn options(args: &TraceArgs) -> anyhow::Result<TraceOptions> {
    Ok(TraceOptions {
        rule: args.rule.into(),
        max_hops: args.max_hops,
        horizon: args.horizon.as_deref().map(setup::time).transpose()?,
        min_amount: args.min_amount,
        ..TraceOptions::default()
    })
}

/// The graph and its balances (known opening balances from `--opening`).
pub(crate) fn books(args: &TraceArgs) -> anyhow::Result<(FlowGraph, Balances)> {
    let loaded = setup::load(&args.input)?;
    let graph = FlowGraph::new(loaded.ledger);
    let opening = match &args.opening {
        Some(path) => moneytrail::ingest::read_opening(path, graph.ledger())?,
        None => Default::default(),
    };
    let balances = Balances::new(graph.ledger(), &opening);
    Ok((graph, balances))
}

fn totals(l: &Ledger, t: &Totals) -> String {
    let parts: Vec<String> = t
        .iter()
        .map(|(a, v)| format!("{} {}", group_thousands(v.normalize()), l.asset(*a).code))
        .collect();
    if parts.is_empty() {
        "0".to_string()
    } else {
        parts.join(", ")
    }
}

pub(crate) fn run(args: &TraceArgs) -> anyhow::Result<()> {
    let (graph, balances) = books(args)?;
    let l = graph.ledger();
    let account = setup::account_id(l, &args.account)?;
    let options = options(args)?;
    let since = args.since.as_deref().map(setup::time).transpose()?;
    let seeds = [Seed::Inflows {
        account,
        since: since.unwrap_or(i64::MIN),
        amount: args.amount,
    }];
    let trace = moneytrail::trace::trace(&graph, &balances, &seeds, &options)?;
    let seed_text = vec![format!(
        "inflows of {} since {}{}",
        args.account,
        args.since.clone().unwrap_or_else(|| "the start".into()),
        args.amount
            .map(|a| format!(", at most {a} per asset"))
            .unwrap_or_default()
    )];
    let mut out = output::stdout();
    let volume = if trace.rule.conserves() {
        ""
    } else {
        " (tainted volume, not conserved value)"
    };
    writeln!(out, "rule {}{volume}", trace.rule)?;
    writeln!(out, "traced in  {}", totals(l, &trace.traced_in))?;
    writeln!(out, "held       {}", totals(l, &trace.held))?;
    for (reason, t) in &trace.exited {
        writeln!(out, "exited     {} ({reason})", totals(l, t))?;
    }
    if !trace.dust.is_empty() {
        writeln!(out, "dust       {}", totals(l, &trace.dust))?;
    }
    if !trace.converted_out.is_empty() {
        let (from, to) = (
            totals(l, &trace.converted_out),
            totals(l, &trace.converted_in),
        );
        writeln!(out, "converted  {from} into {to}")?;
    }
    let books = if !trace.rule.conserves() {
        "are not kept (poison counts tainted volume, not value)"
    } else if trace.conserved() {
        "balance"
    } else {
        "do not balance"
    };
    writeln!(
        out,
        "{} tainted transfers; books {books}",
        trace.flows.len()
    )?;
    let fx = FxTable::implied(l, &args.currency.to_ascii_uppercase());
    let value = |asset: AssetId, amount: Decimal| -> Option<Decimal> {
        fx.rate(&l.asset(asset).code)
            .map(|r| (amount * r).round_dp(2))
    };
    let held_value: Option<Decimal> = trace.held.iter().map(|(a, v)| value(*a, *v)).sum();
    if let Some(v) = held_value {
        writeln!(out, "held value {} {}", group_thousands(v), fx.reporting)?;
    }
    if !trace.holdings.is_empty() {
        writeln!(out, "\nlargest holdings")?;
        for h in trace.holdings.iter().take(args.top) {
            writeln!(
                out,
                "  {:>20} {:<5} {:<28} {:>5.1}% of its balance, {} hops, since {}",
                h.amount.normalize().to_string(),
                l.asset(h.asset).code,
                l.account(h.account).key,
                h.share * 100.0,
                h.hops,
                moneytrail::time::to_rfc3339(h.first_time_us)
            )?;
        }
    }
    if let Some(dir) = &args.out {
        let options = setup::output_options(&args.output);
        let written = report::write_trace(dir, l, &trace, &seed_text, Some(&fx), &options)?;
        output::print_written(&mut out, dir, &written)?;
    }
    out.flush()?;
    Ok(())
}
