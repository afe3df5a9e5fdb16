//! `moneytrail exposure`: a subject's money from and to tagged categories.

use crate::args::ExposureArgs;
use crate::{output, setup};
use anyhow::Context;
use moneytrail::attribution::{clusters_of, exposure, tagged_accounts, ExposureOptions};
use moneytrail::format::count;
use moneytrail::ingest::read_tags;
use moneytrail::trace::{Balances, TraceOptions};
use moneytrail::{AccountId, FlowGraph};
use std::io::Write;

pub(crate) fn run(args: &ExposureArgs) -> anyhow::Result<()> {
    let loaded = setup::load(&args.input)?;
    let clusters = clusters_of(&loaded.utxo);
    let graph = FlowGraph::new(loaded.ledger);
    let l = graph.ledger();
    let currency = args.currency.to_ascii_uppercase();
    let data = setup::valued(&graph, &args.input, args.fx.as_ref(), &currency)?;
    let balances = Balances::new(l, &Default::default());
    let tags = read_tags(&args.tags)?;
    let tagged = tagged_accounts(l, &tags, clusters.as_ref());
    let account = setup::account_id(l, &args.account)?;
    let subject: Vec<AccountId> = match (&clusters, args.cluster) {
        (Some(c), true) => {
            let cluster = c
                .cluster(&args.account)
                .with_context(|| format!("{} is not an address of the data", args.account))?;
            c.member_accounts(cluster, l)
        }
        (None, true) => anyhow::bail!("--cluster needs UTXO input"),
        (_, false) => vec![account],
    };
    let options = ExposureOptions {
        max_hops: args.max_hops,
        trace: TraceOptions {
            rule: args.rule.into(),
            exchange_links: setup::exchange_links(&data, &args.exchanges, None)?,
            ..TraceOptions::default()
        },
        ..Default::default()
    };
    let e = exposure(&data, &balances, &subject, &tagged, &options)?;
    let mut out = output::stdout();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &e)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "{} ({}): {} in, {} out; within {} under {}{}",
        args.account,
        count(subject.len(), "account"),
        data.money(e.total_in),
        data.money(e.total_out),
        count(usize::from(args.max_hops), "hop"),
        options.trace.rule,
        if e.truncated {
            " (only the largest transfers followed)"
        } else {
            ""
        }
    )?;
    for (title, list) in [("from", &e.incoming), ("to", &e.outgoing)] {
        writeln!(out, "\nmoney {title} tagged entities")?;
        if list.is_empty() {
            let direction = if title == "from" {
                "no money from a tagged account reached it"
            } else {
                "none of its money reached a tagged account"
            };
            writeln!(
                out,
                "  none: {direction} within {} ({} of the data tagged, from {}); try a larger --max-hops, or tag more accounts",
                count(usize::from(args.max_hops), "hop"),
                count(tagged.len(), "account"),
                args.tags.display()
            )?;
        }
        for c in list {
            writeln!(
                out,
                "  {:<16} {:>6.1}%  direct {:>18}  indirect {:>18}",
                c.category.name(),
                c.share * 100.0,
                data.money(c.direct),
                data.money(c.indirect)
            )?;
        }
    }
    if !e.stopped_at_exchanges.is_empty() {
        writeln!(out, "\nwhere its money stops (untagged exchanges)")?;
        for stop in &e.stopped_at_exchanges {
            writeln!(out, "  {stop}")?;
        }
    }
    out.flush()?;
    Ok(())
}
