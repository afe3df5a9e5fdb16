//! `moneytrail trace --backward`: where the money in an account's balance
//! came from, per asset.

use crate::args::TraceArgs;
use crate::commands::trace::{books, options};
use crate::{output, setup};
use moneytrail::format::count;
use moneytrail::report;
use moneytrail::time::to_rfc3339;
use moneytrail::trace::sources_of_balances;
use moneytrail::{AccountId, FlowGraph};
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
        writeln!(out, "{}", why_no_balance(&graph, account, key, at, args))?;
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
        writeln!(
            out,
            "  direct payers: {}",
            direct_payers(&graph, account, sof.asset, at, 5)
        )?;
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

/// Why an account has no balance to explain at `at`, and what to try.
fn why_no_balance(
    graph: &FlowGraph,
    account: AccountId,
    key: &str,
    at: i64,
    args: &TraceArgs,
) -> String {
    let received = graph.incoming(account, ..=at).len();
    let before = received + graph.outgoing(account, ..=at).len();
    let after = graph.incoming(account, at + 1..).len() + graph.outgoing(account, at + 1..).len();
    let when = args.at.as_deref().map_or_else(
        || "the end of the data".to_string(),
        |t| format!("--at {t}"),
    );
    let mut why = format!(
        "nothing to explain: {key} holds 0 in every asset at {when} ({} up to then, {} after)",
        count(before, "transfer"),
        count(after, "transfer")
    );
    why.push_str(if before == 0 && after > 0 {
        "; try a later --at"
    } else if received == 0 && before > 0 {
        "; it received nothing up to then (it paid from an opening balance the data does not show)"
    } else if before > 0 {
        "; it paid out all it received: trace forward to see where it went (trace without --backward), or give an earlier --at"
    } else {
        ""
    });
    why
}

/// Who paid an account in an asset up to `at`, the `top` largest by
/// amount received, in words (`AE-GB-7731 136,900.24 USD in 1 transfer`):
/// the first thing an investigator asks of a balance, named even where
/// the backward trace cannot go further (an exchange's books).
fn direct_payers(
    graph: &FlowGraph,
    account: AccountId,
    asset: moneytrail::AssetId,
    at: i64,
    top: usize,
) -> String {
    let l = graph.ledger();
    let mut per: std::collections::BTreeMap<AccountId, (rust_decimal::Decimal, usize)> =
        Default::default();
    for (_, t, from) in graph.incoming(account, ..=at).iter() {
        let i = t.index();
        if from != account && l.assets_received()[i] == asset {
            let e = per.entry(from).or_default();
            e.0 += l.amounts_received()[i];
            e.1 += 1;
        }
    }
    if per.is_empty() {
        return "none (the balance is opening money the data does not show)".to_string();
    }
    let payers = per.len();
    let mut ranked: Vec<(AccountId, (rust_decimal::Decimal, usize))> = per.into_iter().collect();
    ranked.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(&b.0)));
    let mut words: Vec<String> = ranked
        .iter()
        .take(top)
        .map(|(from, (amount, n))| {
            let payer = l.account(*from);
            let kind = if payer.kind == moneytrail::AccountKind::Exchange {
                " (exchange: its books, not this data, say which deposit paid)"
            } else {
                ""
            };
            format!(
                "{}{kind} {} in {}",
                payer.key,
                l.show(*amount, asset),
                count(*n, "transfer")
            )
        })
        .collect();
    if payers > top {
        words.push(format!("and {} more", count(payers - top, "payer")));
    }
    words.join(", ")
}
