//! `moneytrail trace --backward`: where the money in an account's balance
//! came from, per asset.

use crate::args::TraceArgs;
use crate::commands::trace::{books, given_openings, options, stream_options};
use crate::{output, setup};
use anyhow::Context;
use moneytrail::detect::PartSource;
use moneytrail::format::count;
use moneytrail::fx::FxTable;
use moneytrail::report;
use moneytrail::time::to_rfc3339;
use moneytrail::trace::{
    direct_payers, opening_balances, payers_words, sources_of_balances, why_no_balance, Balances,
    TraceOptions,
};
use moneytrail::FlowGraph;
use std::io::Write;

/// `, 130,346.95 USD by 1 opening balance` (nothing without openings).
fn opening_words(
    sof: &moneytrail::trace::SourceOfFunds,
    show: &dyn Fn(rust_decimal::Decimal) -> String,
) -> String {
    if sof.openings.is_empty() {
        return String::new();
    }
    let total = sof.openings.iter().map(|o| o.amount).sum();
    format!(
        ", {} by {}",
        show(total),
        count(sof.openings.len(), "opening balance")
    )
}

/// The most entry transfers followed per asset.
const MAX_SOURCES: usize = 10_000;

/// `--backward --stream`: the store read up to `--at` only (with the
/// target account's own later transfers, to say what it did after), its
/// opening balances and rates from the whole store read part by part:
/// the trace of the whole store when taint stops at exchanges.
fn up_to(
    args: &TraceArgs,
    per_part: usize,
) -> anyhow::Result<(FlowGraph, Balances, FxTable, TraceOptions)> {
    let (Some(dir), Some(at)) = (&args.input.store, &args.at) else {
        anyhow::bail!(
            "--backward --stream reads a store up to --at: give --store DIR and --at TIME \
             (or leave out --stream to load the data whole)"
        );
    };
    if args.input.read_from.is_some() || args.input.read_until.is_some() {
        anyhow::bail!("--backward --stream reads the store up to --at; leave out --read-from and --read-until");
    }
    let options = stream_options(args)?;
    let at_us = setup::time(at)?;
    let store = setup::open_store(dir)?;
    let cannot_read = || format!("cannot read the store {}", dir.display());
    let names = store.range(0..0).with_context(cannot_read)?;
    let account = setup::account_id(&names, args.account.as_deref().unwrap_or_default())?;
    let given = given_openings(args, &names)?;
    let opening = opening_balances(&store, per_part, &given).with_context(cannot_read)?;
    let fx = setup::store_fx(&store, args.fx.as_ref(), &args.currency)?;
    let (ledger, _) = store
        .pick(&mut |g| g.time_us <= at_us || g.from == account || g.to == account)
        .with_context(cannot_read)?;
    eprintln!(
        "note: held the store's {} up to --at and {key}'s later ones; opening balances and rates are the whole store's; taint stops at exchanges",
        count(ledger.len(), "transfer"),
        key = names.account(account).key
    );
    let graph = FlowGraph::new(ledger);
    let balances = Balances::new(graph.ledger(), &opening);
    Ok((graph, balances, fx, options))
}

pub(crate) fn run(args: &TraceArgs) -> anyhow::Result<()> {
    let (graph, balances, fx, stream_options) = match args.stream {
        Some(per_part) => {
            let (graph, balances, fx, options) = up_to(args, per_part)?;
            (graph, balances, fx, Some(options))
        }
        None => {
            let (graph, balances) = books(args)?;
            let (fx, _) = setup::fx_table(&graph, &args.input, args.fx.as_ref(), &args.currency)?;
            (graph, balances, fx, None)
        }
    };
    let l = graph.ledger();
    let key = args.account.as_deref().unwrap_or_default();
    let account = setup::account_id(l, key)?;
    let data = moneytrail::Valued::new(&graph, fx);
    let options = match stream_options {
        Some(options) => options,
        None => options(args, &data)?,
    };
    let at = match &args.at {
        Some(t) => setup::time(t)?,
        None => l.times_us().last().copied().unwrap_or(0),
    };
    let explained = sources_of_balances(&graph, &balances, account, at, &options, MAX_SOURCES)?;
    let mut out = output::stdout();
    if explained.is_empty() {
        writeln!(out, "{}", why_no_balance(&graph, account, at))?;
    }
    let mut payer_words = Vec::new();
    for sof in &explained {
        let show = |amount| l.show(amount, sof.asset);
        writeln!(
            out,
            "balance of {key} at {}: {} under {}; {} explained by {}{}, {} untraced{}",
            to_rfc3339(at),
            show(sof.target_amount),
            options.rule,
            show(sof.traced),
            count(sof.sources.len(), "source"),
            opening_words(sof, &show),
            show(sof.untraced),
            match (sof.truncated, sof.openings_cut) {
                (true, true) => " (source list cut at 10,000, opening balances at the 64 nearest)",
                (true, false) => " (source list cut at 10,000)",
                (false, true) => " (opening balances: the 64 nearest followed)",
                (false, false) => "",
            }
        )?;
        let payers = direct_payers(&graph, account, sof.asset, at);
        let payers = payers_words(&graph, &payers, sof.asset, 5);
        writeln!(out, "  direct payers: {payers}")?;
        payer_words.push(payers);
        for o in sof.openings.iter().take(args.top) {
            writeln!(
                out,
                "  {:>24}  opening balance of {} ({})",
                show(o.amount),
                l.account(o.account).key,
                l.asset(o.asset).code
            )?;
        }
        for s in sof.sources.iter().take(args.top) {
            let i = s.transfer.index();
            writeln!(
                out,
                "  {:>24}  from {} (row {}, {})",
                show(s.amount),
                l.account(s.account).key,
                l.source_rows()[i],
                to_rfc3339(l.times_us()[i])
            )?;
        }
    }
    if explained.iter().any(|sof| !sof.openings.is_empty()) {
        writeln!(
            out,
            "opening balances: money the accounts held before the data starts, which no transfer explains"
        )?;
    }
    if let Some(dir) = &args.out {
        let backward = report::BackwardTrace {
            account: key,
            at,
            rule: options.rule.name(),
            balances: &explained,
            payers: &payer_words,
            fx: Some(&data.fx),
        };
        let options = setup::output_options(&args.output);
        let written = report::write_sources(dir, l, &backward, &options)?;
        output::print_written(&mut out, dir, &written)?;
    }
    out.flush()?;
    Ok(())
}
