//! `moneytrail trace --backward`: where the money in an account's balance
//! came from, per asset.

use crate::args::TraceArgs;
use crate::commands::trace::{books, options};
use crate::{output, setup};
use moneytrail::format::count;
use moneytrail::report;
use moneytrail::time::to_rfc3339;
use moneytrail::trace::{direct_payers, payers_words, sources_of_balances, why_no_balance};
use std::io::Write;

/// The most entry transfers followed per asset.
const MAX_SOURCES: usize = 10_000;

pub(crate) fn run(args: &TraceArgs) -> anyhow::Result<()> {
    let (graph, balances) = books(args)?;
    let l = graph.ledger();
    let key = args.account.as_deref().unwrap_or_default();
    let account = setup::account_id(l, key)?;
    let options = options(args)?;
    let at = match &args.at {
        Some(t) => setup::time(t)?,
        None => l.times_us().last().copied().unwrap_or(0),
    };
    let explained = sources_of_balances(&graph, &balances, account, at, &options, MAX_SOURCES)?;
    let mut out = output::stdout();
    if explained.is_empty() {
        writeln!(out, "{}", why_no_balance(&graph, account, at))?;
    }
    for sof in &explained {
        let show = |amount| l.show(amount, sof.asset);
        writeln!(
            out,
            "balance of {key} at {}: {} under {}; {} explained by {}, {} untraced{}",
            to_rfc3339(at),
            show(sof.target_amount),
            options.rule,
            show(sof.traced),
            count(sof.sources.len(), "source"),
            show(sof.untraced),
            if sof.truncated {
                " (source list cut at 10,000)"
            } else {
                ""
            }
        )?;
        let payers = direct_payers(&graph, account, sof.asset, at);
        let payers = payers_words(&graph, &payers, sof.asset, 5);
        writeln!(out, "  direct payers: {payers}")?;
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
    if let Some(dir) = &args.out {
        let backward = report::BackwardTrace {
            account: key,
            at,
            rule: options.rule.name(),
            balances: &explained,
        };
        let options = setup::output_options(&args.output);
        let written = report::write_sources(dir, l, &backward, &options)?;
        output::print_written(&mut out, dir, &written)?;
    }
    out.flush()?;
    Ok(())
}
