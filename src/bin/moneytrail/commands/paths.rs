//! `moneytrail paths`: time-respecting paths between two accounts.

use crate::args::PathsArgs;
use crate::{output, setup};
use moneytrail::paths::{find_paths, PathOptions};
use moneytrail::FlowGraph;
use moneytrail::Valued;
use std::io::Write;

pub(crate) fn run(args: &PathsArgs) -> anyhow::Result<()> {
    let loaded = setup::load(&args.input)?;
    let graph = FlowGraph::new(loaded.ledger);
    let l = graph.ledger();
    let (from, to) = (
        setup::account_id(l, &args.from)?,
        setup::account_id(l, &args.to)?,
    );
    let data = Valued::implied(&graph, &args.currency.to_ascii_uppercase());
    let options = PathOptions {
        max_hops: args.max_hops,
        window: args.window,
        limit: args.limit,
        min_amount: args.min_amount,
        min_retention: args.min_retention,
        ..PathOptions::default()
    };
    let found = find_paths(&data, from, to, &options);
    let mut out = output::stdout();
    writeln!(
        out,
        "{} time-respecting paths from {} to {} (at most {} hops within {}){}",
        found.paths.len(),
        args.from,
        args.to,
        options.max_hops,
        options.window,
        if found.truncated {
            "; more exist (truncated)"
        } else {
            ""
        }
    )?;
    for (i, p) in found.paths.iter().enumerate() {
        writeln!(
            out,
            "\n{}. {} hops, bottleneck {}",
            i + 1,
            p.transfers.len(),
            data.money(p.bottleneck)
        )?;
        for &t in &p.transfers {
            let x = t.index();
            writeln!(
                out,
                "   {}  {} → {}  {} {} (row {})",
                moneytrail::time::to_rfc3339(l.times_us()[x]),
                l.account(l.froms()[x]).key,
                l.account(l.tos()[x]).key,
                l.amounts_paid()[x],
                l.asset(l.assets_paid()[x]).code,
                l.source_rows()[x]
            )?;
        }
    }
    out.flush()?;
    Ok(())
}
