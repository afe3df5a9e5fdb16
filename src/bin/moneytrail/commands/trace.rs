//! `moneytrail trace`: follow money forward under a rule from where an
//! investigation starts (an account's proceeds, what it sent, or one
//! payment), print the books and the largest holdings, and write the
//! results folder.

use crate::args::TraceArgs;
use crate::{output, setup};
use moneytrail::format::{count, group_thousands};
use moneytrail::report;
use moneytrail::report::TraceNotes;
use moneytrail::time::to_rfc3339;
use moneytrail::trace::{exchange_stops, stop_words, Balances, Seed, Totals, Trace, TraceOptions};
use moneytrail::{FlowGraph, Ledger, TransferId, Valued};
use rust_decimal::Decimal;
use std::io::Write;

/// How long after taint reaches an exchange its payouts are listed.
const STOP_WINDOW: i64 = moneytrail::time::DAY;

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

/// Totals per asset at each asset's precision (`3,000.00 USD, 0.5 BTC`).
fn totals(l: &Ledger, t: &Totals) -> String {
    let parts: Vec<String> = t.iter().map(|(a, v)| l.show(*v, *a)).collect();
    if parts.is_empty() {
        "0".to_string()
    } else {
        parts.join(", ")
    }
}

/// The transfers `--transfer` names: by transaction id, or every transfer
/// of data row N for `row:N`.
pub(crate) fn named_transfers(l: &Ledger, spec: &str) -> anyhow::Result<Vec<TransferId>> {
    let all = 0..l.len();
    if let Some(row) = spec.strip_prefix("row:") {
        let row: u32 = row
            .trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("--transfer {spec:?}: row:N needs a data row number"))?;
        let found: Vec<TransferId> = all
            .filter(|&i| l.source_rows()[i] == row)
            .map(|i| TransferId(i as u32))
            .collect();
        if found.is_empty() {
            let last = l.source_rows().iter().max().copied().unwrap_or(0);
            anyhow::bail!("--transfer {spec}: no transfer at data row {row} (data rows run from 0 to {last}, header excluded)");
        }
        return Ok(found);
    }
    let Some(ids) = l.tx_ids() else {
        anyhow::bail!("--transfer {spec}: the input has no transaction ids; name the transfer by its data row, --transfer row:N");
    };
    let found: Vec<TransferId> = all
        .filter(|&i| ids.get(i) == Some(spec))
        .map(|i| TransferId(i as u32))
        .collect();
    if found.is_empty() {
        anyhow::bail!("--transfer {spec}: no transfer with that transaction id (ids are matched exactly; or use row:N)");
    }
    Ok(found)
}

/// A transfer in words: `T000123 (row 122) X → Y 3.00 USD at 2024-03-01T…`.
fn transfer_words(l: &Ledger, t: TransferId) -> String {
    let i = t.index();
    let id = l
        .tx_ids()
        .and_then(|ids| ids.get(i))
        .map(|id| format!("{id} "))
        .unwrap_or_default();
    format!(
        "{id}(row {}) {} → {} {} at {}",
        l.source_rows()[i],
        l.account(l.froms()[i]).key,
        l.account(l.tos()[i]).key,
        l.show(l.amounts_received()[i], l.assets_received()[i]),
        to_rfc3339(l.times_us()[i])
    )
}

/// What to trace, and the same in words for the outputs.
struct Seeds {
    seeds: Vec<Seed>,
    words: Vec<String>,
}

fn seeds(args: &TraceArgs, l: &Ledger) -> anyhow::Result<Seeds> {
    let cap = args
        .amount
        .map(|a| format!(", at most {} per asset", group_thousands(a.normalize())))
        .unwrap_or_default();
    if !args.transfer.is_empty() {
        let mut seeds = Seeds {
            seeds: Vec::new(),
            words: Vec::new(),
        };
        for spec in &args.transfer {
            for t in named_transfers(l, spec)? {
                seeds.seeds.push(Seed::Transfer {
                    transfer: t,
                    amount: args.amount,
                });
                seeds
                    .words
                    .push(format!("transfer {}{cap}", transfer_words(l, t)));
            }
        }
        return Ok(seeds);
    }
    let key = args.account.as_deref().unwrap_or_default();
    let account = setup::account_id(l, key)?;
    let since = args.since.as_deref().map(setup::time).transpose()?;
    let since_words = args.since.clone().unwrap_or_else(|| "the start".into());
    let (seed, what) = if args.sent {
        let seed = Seed::Outflows {
            account,
            since: since.unwrap_or(i64::MIN),
            amount: args.amount,
        };
        (seed, "payments")
    } else {
        let seed = Seed::Inflows {
            account,
            since: since.unwrap_or(i64::MIN),
            amount: args.amount,
        };
        (seed, "inflows")
    };
    Ok(Seeds {
        seeds: vec![seed],
        words: vec![format!("{what} of {key} since {since_words}{cap}")],
    })
}

/// Why a trace took in nothing, and what to try.
fn why_nothing(args: &TraceArgs, graph: &FlowGraph) -> anyhow::Result<String> {
    let l = graph.ledger();
    if !args.transfer.is_empty() {
        return Ok(
            "the named transfers carry nothing to trace (an amount of 0, or --amount 0)".into(),
        );
    }
    let key = args.account.as_deref().unwrap_or_default();
    let account = setup::account_id(l, key)?;
    let since = args.since.as_deref().map(setup::time).transpose()?;
    let others = |adjacent: moneytrail::Adjacent<'_>| {
        adjacent
            .iter()
            .filter(|&(_, _, other)| other != account)
            .count()
    };
    let (received, paid) = (
        others(graph.incoming(account, ..)),
        others(graph.outgoing(account, ..)),
    );
    let (mine, theirs, verb, flag) = if args.sent {
        (
            paid,
            received,
            "paid",
            "drop --sent to trace what it received",
        )
    } else {
        (
            received,
            paid,
            "received",
            "trace what it paid out with --sent",
        )
    };
    Ok(match since {
        _ if mine == 0 => format!(
            "{key} {verb} nothing from another account in the data ({} the other way); {flag}",
            count(theirs, "transfer")
        ),
        Some(_) => format!(
            "{key} {verb} nothing since {} ({} before it); try an earlier --since",
            args.since.as_deref().unwrap_or_default(),
            count(mine, "transfer")
        ),
        None => format!("every transfer {key} {verb} carries 0"),
    })
}

pub(crate) fn run(args: &TraceArgs) -> anyhow::Result<()> {
    let (graph, balances) = books(args)?;
    let l = graph.ledger();
    let (fx, _) = setup::fx_table(&graph, &args.input, args.fx.as_ref(), &args.currency)?;
    let data = Valued::new(&graph, fx);
    setup::warn_unpriced(&data);
    let options = options(args)?;
    let Seeds { seeds, words } = seeds(args, l)?;
    let trace = moneytrail::trace::trace(&graph, &balances, &seeds, &options)?;
    let notes = TraceNotes {
        seeds: words,
        stops: exchange_stops(&data, &trace, STOP_WINDOW, 3)
            .iter()
            .map(|stop| stop_words(&data, stop, STOP_WINDOW))
            .collect(),
    };
    let mut out = output::stdout();
    if args.json {
        let json = report::trace_json(l, &trace, &notes, Some(&data.fx));
        writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?;
    } else {
        print_books(&mut out, args, &graph, &data, &trace, &notes)?;
    }
    if let Some(dir) = &args.out {
        let options = setup::output_options(&args.output);
        let written = report::write_trace(dir, l, &trace, &notes, Some(&data.fx), &options)?;
        if !args.json {
            output::print_written(&mut out, dir, &written)?;
        }
    }
    out.flush()?;
    Ok(())
}

fn print_books(
    out: &mut impl Write,
    args: &TraceArgs,
    graph: &FlowGraph,
    data: &Valued<'_>,
    trace: &Trace,
    notes: &TraceNotes,
) -> anyhow::Result<()> {
    let l = graph.ledger();
    for w in &notes.seeds {
        writeln!(out, "seed       {w}")?;
    }
    let volume = if trace.rule.conserves() {
        ""
    } else {
        " (tainted volume, not conserved value)"
    };
    writeln!(out, "rule {}{volume}", trace.rule)?;
    writeln!(out, "traced in  {}", totals(l, &trace.traced_in))?;
    if trace.traced_in.is_empty() {
        writeln!(out, "nothing to trace: {}", why_nothing(args, graph)?)?;
        return Ok(());
    }
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
        "{}; books {books}",
        count(trace.flows.len(), "tainted transfer")
    )?;
    let value = |asset: moneytrail::AssetId, amount: Decimal| -> Option<Decimal> {
        data.fx.rate(&l.asset(asset).code).map(|r| amount * r)
    };
    let held_value: Option<Decimal> = trace.held.iter().map(|(a, v)| value(*a, *v)).sum();
    match held_value {
        Some(v) => writeln!(out, "held value {}", data.money(v))?,
        None => writeln!(
            out,
            "held value unknown: no {} rate for some of the assets held",
            data.currency()
        )?,
    }
    if !trace.holdings.is_empty() {
        writeln!(out, "\nlargest holdings")?;
        for h in trace.holdings.iter().take(args.top) {
            writeln!(
                out,
                "  {:>24} {:<28} {:>5.1}% of its balance, {}, since {}",
                l.show(h.amount, h.asset),
                l.account(h.account).key,
                h.share * 100.0,
                count(usize::from(h.hops), "hop"),
                to_rfc3339(h.first_time_us)
            )?;
        }
    }
    if !notes.stops.is_empty() {
        writeln!(out, "\nwhere the trace stops")?;
        for stop in &notes.stops {
            writeln!(out, "  {stop}")?;
        }
    }
    Ok(())
}
