//! `moneytrail trace`: follow money forward under a rule from where an
//! investigation starts (an account's proceeds, what it sent, or one
//! payment), print the books and the largest holdings, and write the
//! results folder.

use crate::args::TraceArgs;
use crate::{output, setup};
use moneytrail::format::group_thousands;
use moneytrail::report;
use moneytrail::report::TraceNotes;
use moneytrail::trace::{
    exchange_stops, passage_words, stop_words, why_nothing_traced, Balances, Seed, TraceOptions,
};
use moneytrail::{FlowGraph, Ledger, Valued};
use std::io::Write;

/// How long after taint reaches an exchange its payouts are listed.
const STOP_WINDOW: i64 = moneytrail::time::DAY;

/// The options both directions of `trace` share.
pub(crate) fn options(args: &TraceArgs, data: &Valued<'_>) -> anyhow::Result<TraceOptions> {
    Ok(TraceOptions {
        rule: args.rule.into(),
        max_hops: args.max_hops,
        horizon: args.horizon.as_deref().map(setup::time).transpose()?,
        min_amount: args.min_amount,
        exchange_links: setup::exchange_links(data, &args.exchanges, None)?,
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
            let found = l
                .find_transfers(spec)
                .map_err(|e| anyhow::anyhow!("--transfer {e}"))?;
            for t in found {
                seeds.seeds.push(Seed::Transfer {
                    transfer: t,
                    amount: args.amount,
                });
                seeds.words.push(format!("transfer {}{cap}", l.describe(t)));
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

pub(crate) fn run(args: &TraceArgs) -> anyhow::Result<()> {
    let (graph, balances) = books(args)?;
    let l = graph.ledger();
    let data = setup::valued(&graph, &args.input, args.fx.as_ref(), &args.currency)?;
    let options = options(args, &data)?;
    let Seeds { seeds, words } = seeds(args, l)?;
    let trace = moneytrail::trace::trace(&graph, &balances, &seeds, &options)?;
    let notes = TraceNotes {
        seeds: words,
        stops: exchange_stops(&data, &trace, STOP_WINDOW, 3)
            .iter()
            .map(|stop| stop_words(&data, stop, STOP_WINDOW))
            .collect(),
        passages: passage_words(l, &trace.passages),
    };
    let mut out = output::stdout();
    if args.json {
        let json = report::trace_json(l, &trace, &notes, Some(&data.fx));
        writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?;
    } else {
        let why = match trace.traced_in.is_empty() {
            true => seeds.first().map(|seed| why_nothing_traced(&graph, seed)),
            false => None,
        };
        write!(
            out,
            "{}",
            report::trace_text(&data, &trace, &notes, why.as_deref(), args.top)
        )?;
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
