//! `moneytrail paths`: time-respecting paths between two accounts.

use crate::args::PathsArgs;
use crate::{output, setup};
use moneytrail::format::count;
use moneytrail::paths::{find_paths, why_no_path, PathOptions};
use moneytrail::FlowGraph;
use std::io::Write;

pub(crate) fn run(args: &PathsArgs) -> anyhow::Result<()> {
    let loaded = setup::load(&args.input)?;
    let graph = FlowGraph::new(loaded.ledger);
    let l = graph.ledger();
    let (from, to) = (
        setup::account_id(l, &args.from)?,
        setup::account_id(l, &args.to)?,
    );
    let data = setup::valued(&graph, &args.input, args.fx.as_ref(), &args.currency)?;
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
        "{} from {} to {} (at most {} within {}){}",
        count(found.paths.len(), "time-respecting path"),
        args.from,
        args.to,
        count(options.max_hops, "hop"),
        options.window,
        if found.truncated {
            "; more exist (truncated)"
        } else {
            ""
        }
    )?;
    if found.paths.is_empty() {
        writeln!(out, "none: {}", why_no_path(&data, from, to, &options))?;
    }
    for (i, p) in found.paths.iter().enumerate() {
        writeln!(
            out,
            "\n{}. {}, bottleneck {}",
            i + 1,
            count(p.transfers.len(), "hop"),
            data.money(p.bottleneck)
        )?;
        for &t in &p.transfers {
            let x = t.index();
            writeln!(
                out,
                "   {}  {} → {}  {} (row {})",
                moneytrail::time::to_rfc3339(l.times_us()[x]),
                l.account(l.froms()[x]).key,
                l.account(l.tos()[x]).key,
                l.show(l.amounts_paid()[x], l.assets_paid()[x]),
                l.source_rows()[x]
            )?;
        }
    }
    out.flush()?;
    Ok(())
}
