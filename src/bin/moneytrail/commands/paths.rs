//! `moneytrail paths`: time-respecting paths between two accounts.

use crate::args::PathsArgs;
use crate::{output, setup};
use moneytrail::format::count;
use moneytrail::paths::{find_paths, why_no_path, PathOptions};
use moneytrail::FlowGraph;
use std::io::Write;

pub(crate) fn run(args: &PathsArgs) -> anyhow::Result<()> {
    let time = |text: &Option<String>, flag: &str| -> anyhow::Result<Option<i64>> {
        text.as_deref()
            .map(|t| moneytrail::time::parse_time(t).map_err(|e| anyhow::anyhow!("{flag}: {e}")))
            .transpose()
    };
    let options = PathOptions {
        max_hops: args.max_hops,
        window: args.window,
        limit: args.limit,
        min_amount: args.min_amount,
        min_retention: args.min_retention,
        since_us: time(&args.since, "--since")?,
        until_us: time(&args.until, "--until")?,
        ..PathOptions::default()
    };
    let (loaded, whole_fx) = load_horizon(args, &options)?;
    let horizon_read = whole_fx.is_some();
    let graph = FlowGraph::new(loaded.ledger);
    let l = graph.ledger();
    let (from, to) = (
        setup::account_id(l, &args.from)?,
        setup::account_id(l, &args.to)?,
    );
    let data = match whole_fx {
        Some(fx) => {
            let data = moneytrail::Valued::new(&graph, fx);
            setup::warn_unpriced(&data);
            data
        }
        None => setup::valued(&graph, &args.input, args.fx.as_ref(), &args.currency)?,
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
        let why = why_no_path(&data, from, to, &options);
        if horizon_read {
            writeln!(
                out,
                "none: looking only at the store's transfers from {} (the paths' horizon): {why}",
                horizon_words(&options)
            )?;
        } else {
            writeln!(out, "none: {why}")?;
        }
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

/// The input, and with a store bounded by --since/--until (and no
/// --read-from/--read-until) only the paths' horizon of it, with the
/// whole store's rates, so that the paths are those a whole read finds.
fn load_horizon(
    args: &PathsArgs,
    options: &PathOptions,
) -> anyhow::Result<(moneytrail::ingest::Loaded, Option<moneytrail::fx::FxTable>)> {
    let (since_us, until_us) = options.horizon();
    let input = &args.input;
    let bounded = since_us.is_some() || until_us.is_some();
    let (Some(dir), true, None, None) =
        (&input.store, bounded, &input.read_from, &input.read_until)
    else {
        return Ok((setup::load(input)?, None));
    };
    let range = moneytrail::store::TimeRange { since_us, until_us };
    let (store, loaded) = setup::load_store(dir, &range)?;
    for note in &loaded.report.notes {
        eprintln!(
            "note: {note}: the paths' horizon, {}",
            horizon_words(options)
        );
    }
    let fx = setup::store_fx(&store, args.fx.as_ref(), &args.currency)?;
    Ok((loaded, Some(fx)))
}

/// `2024-03-19T00:00:00Z to 2024-03-21T06:00:00Z` (`-` for an open end).
fn horizon_words(options: &PathOptions) -> String {
    let show = |t: Option<i64>| t.map_or("-".to_string(), moneytrail::time::to_rfc3339);
    let (since, until) = options.horizon();
    format!("{} to {}", show(since), show(until))
}
