//! `moneytrail trace --backward`: where the money in an account's balance
//! came from, per asset.

use crate::args::TraceArgs;
use crate::commands::trace::{books, options};
use crate::{output, setup};
use moneytrail::report;
use moneytrail::time::to_rfc3339;
use moneytrail::trace::sources_of_balances;
use std::io::Write;

/// The most entry transfers followed per asset.
const MAX_SOURCES: usize = 10_000;

pub(crate) fn run(args: &TraceArgs) -> anyhow::Result<()> {
    let (graph, balances) = books(args)?;
    let l = graph.ledger();
    let account = setup::account_id(l, &args.account)?;
    let options = options(args)?;
    let at = match &args.at {
        Some(t) => setup::time(t)?,
        None => l.times_us().last().copied().unwrap_or(0),
    };
    let explained = sources_of_balances(&graph, &balances, account, at, &options, MAX_SOURCES)?;
    let mut out = output::stdout();
    for sof in &explained {
        let code = &l.asset(sof.asset).code;
        writeln!(
            out,
            "balance of {} at {}: {} {code} under {}; {} explained by {} sources, {} untraced{}",
            args.account,
            to_rfc3339(at),
            sof.target_amount.normalize(),
            options.rule,
            sof.traced.round_dp(2),
            sof.sources.len(),
            sof.untraced.round_dp(2),
            if sof.truncated {
                " (source list cut at 10,000)"
            } else {
                ""
            }
        )?;
        for s in sof.sources.iter().take(args.top) {
            let i = s.transfer.index();
            writeln!(
                out,
                "  {:>16} {code}  from {} (row {}, {})",
                s.amount.round_dp(2).to_string(),
                l.account(s.account).key,
                l.source_rows()[i],
                to_rfc3339(l.times_us()[i])
            )?;
        }
    }
    if let Some(dir) = &args.out {
        let backward = report::BackwardTrace {
            account: &args.account,
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
