//! `moneytrail trace`: follow money forward under a rule from where an
//! investigation starts (an account's proceeds, what it sent, or one
//! payment), print the books and the largest holdings, and write the
//! results folder.

use crate::args::{ThroughArg, TraceArgs};
use crate::{output, setup};
use anyhow::Context;
use moneytrail::detect::{id_ranges, InMemory, PartSource};
use moneytrail::format::group_thousands;
use moneytrail::report;
use moneytrail::report::TraceNotes;
use moneytrail::trace::{
    exchange_stops, passage_words, stop_words, trace_parts, why_nothing_traced, Balances, Seed,
    Trace, TraceOptions,
};
use moneytrail::{AccountId, AccountKind, AssetId, FlowGraph, Ledger, TransferId, Valued};
use rust_decimal::Decimal;
use rustc_hash::{FxHashMap, FxHashSet};
use std::io::Write;
use std::path::Path;

/// How long after taint reaches an exchange its payouts are listed.
const STOP_WINDOW: i64 = moneytrail::time::DAY;

/// The rule and stop conditions from the flags, without exchange links.
fn rule_options(args: &TraceArgs) -> anyhow::Result<TraceOptions> {
    Ok(TraceOptions {
        rule: args.rule.into(),
        max_hops: args.max_hops,
        horizon: args.horizon.as_deref().map(setup::time).transpose()?,
        min_amount: args.min_amount,
        ..TraceOptions::default()
    })
}

/// The options both directions of `trace` share.
pub(crate) fn options(args: &TraceArgs, data: &Valued<'_>) -> anyhow::Result<TraceOptions> {
    Ok(TraceOptions {
        exchange_links: setup::exchange_links(data, &args.exchanges, None)?,
        ..rule_options(args)?
    })
}

/// The options of a trace read part by part (`--stream`): taint stops at
/// exchanges, as the links through them are found in the whole data.
pub(crate) fn stream_options(args: &TraceArgs) -> anyhow::Result<TraceOptions> {
    if args.exchanges.exchange_links.is_some()
        || args.exchanges.through_exchanges == Some(ThroughArg::Linked)
    {
        anyhow::bail!(
            "--stream stops taint at exchanges: following it through them needs the links \
             found in the whole data; leave out --stream (or --through-exchanges linked, --exchange-links)"
        );
    }
    rule_options(args)
}

/// The known opening balances of `--opening`, accounts and assets named as
/// in `ledger`; none without it.
pub(crate) fn given_openings(
    args: &TraceArgs,
    ledger: &Ledger,
) -> anyhow::Result<FxHashMap<(AccountId, AssetId), Decimal>> {
    Ok(match &args.opening {
        Some(path) => moneytrail::ingest::read_opening(path, ledger)?,
        None => Default::default(),
    })
}

/// The graph and its balances (known opening balances from `--opening`).
pub(crate) fn books(args: &TraceArgs) -> anyhow::Result<(FlowGraph, Balances)> {
    let loaded = setup::load(&args.input)?;
    let graph = FlowGraph::new(loaded.ledger);
    let opening = given_openings(args, graph.ledger())?;
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
    if let Some(per_part) = args.stream {
        return run_streamed(args, per_part);
    }
    let (graph, balances) = books(args)?;
    let l = graph.ledger();
    let data = setup::valued(&graph, &args.input, args.fx.as_ref(), &args.currency)?;
    let options = options(args, &data)?;
    let Seeds { seeds, words } = seeds(args, l)?;
    let trace = moneytrail::trace::trace(&graph, &balances, &seeds, &options)?;
    present(args, &data, &trace, words, &seeds)
}

/// Print the trace (text or JSON) and write its folder.
fn present(
    args: &TraceArgs,
    data: &Valued<'_>,
    trace: &Trace,
    words: Vec<String>,
    seeds: &[Seed],
) -> anyhow::Result<()> {
    let l = data.graph.ledger();
    let notes = TraceNotes {
        seeds: words,
        stops: exchange_stops(data, trace, STOP_WINDOW, 3)
            .iter()
            .map(|stop| stop_words(data, stop, STOP_WINDOW))
            .collect(),
        passages: passage_words(l, &trace.passages),
    };
    let mut out = output::stdout();
    if args.json {
        let json = report::trace_json(l, trace, &notes, Some(&data.fx));
        writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?;
    } else {
        let why = match trace.traced_in.is_empty() {
            true => seeds
                .first()
                .map(|seed| why_nothing_traced(data.graph, seed)),
            false => None,
        };
        write!(
            out,
            "{}",
            report::trace_text(data, trace, &notes, why.as_deref(), args.top)
        )?;
    }
    if let Some(dir) = &args.out {
        let options = setup::output_options(&args.output);
        let written = report::write_trace(dir, l, trace, &notes, Some(&data.fx), &options)?;
        if !args.json {
            output::print_written(&mut out, dir, &written)?;
        }
    }
    out.flush()?;
    Ok(())
}

/// `trace --stream`: the data read part by part (a store's partitions;
/// a file is loaded once and cut into parts), then the transfers the
/// trace names read again for its report, valued with the whole data's
/// rates.
fn run_streamed(args: &TraceArgs, per_part: usize) -> anyhow::Result<()> {
    let options = stream_options(args)?;
    if args.input.read_from.is_some() || args.input.read_until.is_some() {
        anyhow::bail!(
            "--stream reads the whole store; limit the trace with --since and --horizon \
             instead of --read-from and --read-until"
        );
    }
    if let Some(dir) = &args.input.store {
        let store = setup::open_store(dir)?;
        let beside = store.manifest_path();
        streamed(args, &store, &beside, per_part, &options)
            .with_context(|| format!("tracing through the store {}", dir.display()))
    } else {
        let loaded = setup::load(&args.input)?;
        let beside = args.input.input.clone().unwrap_or_else(setup::sample_path);
        streamed(args, &InMemory(&loaded.ledger), &beside, per_part, &options)
    }
}

/// The streamed trace of `source`, its FX rules from the file `beside`.
fn streamed(
    args: &TraceArgs,
    source: &dyn PartSource,
    beside: &Path,
    per_part: usize,
    options: &TraceOptions,
) -> anyhow::Result<()> {
    // every account and asset, no transfer: what names are looked up in
    let names = source.range(0..0)?;
    let Seeds { seeds, words } = match args.transfer.is_empty() {
        true => seeds(args, &names)?,
        false => transfer_seeds(args, source, per_part)?,
    };
    let opening = given_openings(args, &names)?;
    let mut trace = trace_parts(source, per_part, &opening, &seeds, options)?;
    let parts = id_ranges(source, per_part);
    let largest = parts.iter().map(|r| r.len()).max().unwrap_or(0);
    eprintln!(
        "note: traced through {} in {} of at most {} (held one at a time); taint stops at exchanges",
        moneytrail::format::count(source.transfers(), "transfer"),
        moneytrail::format::count(parts.len(), "part"),
        moneytrail::format::count(largest, "transfer")
    );
    let fx = setup::whole_fx(source, beside, args.fx.as_ref(), &args.currency)?;
    // the transfers the report names: the flows and proceeds, what an
    // exchange holding taint paid out after, and (when nothing was traced)
    // the seed account's, to say why
    let named: FxHashSet<u32> = trace
        .flows
        .iter()
        .map(|f| f.transfer.0)
        .chain(trace.proceeds.iter().map(|p| p.0 .0))
        .collect();
    let kinds: Vec<AccountKind> = names.accounts().iter().map(|a| a.kind).collect();
    let stops: Vec<(AccountId, i64, i64)> = trace
        .holdings
        .iter()
        .filter(|h| kinds[h.account.index()] == AccountKind::Exchange)
        .map(|h| {
            let end = h.first_time_us.saturating_add(STOP_WINDOW);
            (h.account, h.first_time_us, end)
        })
        .collect();
    let seed_accounts: Vec<AccountId> = match trace.traced_in.is_empty() {
        true => seeds.iter().filter_map(seed_account).collect(),
        false => Vec::new(),
    };
    let (ledger, ids) = source.pick(&mut |g| {
        named.contains(&(g.id as u32))
            || stops
                .iter()
                .any(|&(x, from, to)| g.from == x && (from..=to).contains(&g.time_us))
            || seed_accounts.iter().any(|&a| g.from == a || g.to == a)
    })?;
    renumber(&mut trace, &ids);
    let graph = FlowGraph::new(ledger);
    let data = Valued::new(&graph, fx);
    setup::warn_unpriced(&data);
    present(args, &data, &trace, words, &seeds)
}

/// The account a seed starts from.
fn seed_account(seed: &Seed) -> Option<AccountId> {
    match *seed {
        Seed::Inflows { account, .. }
        | Seed::Outflows { account, .. }
        | Seed::Opening { account, .. } => Some(account),
        Seed::Transfer { .. } => None,
    }
}

/// The transfers `--transfer` names, found part by part (in one reading
/// for all of them).
fn transfer_seeds(
    args: &TraceArgs,
    source: &dyn PartSource,
    per_part: usize,
) -> anyhow::Result<Seeds> {
    let cap = args
        .amount
        .map(|a| format!(", at most {} per asset", group_thousands(a.normalize())))
        .unwrap_or_default();
    // per spec: the transfers found (ids of the whole data, in words), and
    // why a part had none
    let mut found: Vec<Vec<(TransferId, String)>> = vec![Vec::new(); args.transfer.len()];
    let mut why: Vec<Option<moneytrail::Error>> = (0..args.transfer.len()).map(|_| None).collect();
    for range in id_ranges(source, per_part) {
        let part = source.range(range.clone())?;
        for (k, spec) in args.transfer.iter().enumerate() {
            match part.find_transfers(spec) {
                Ok(ids) => found[k].extend(ids.into_iter().map(|t| {
                    let whole = TransferId(t.0 + range.start as u32);
                    (whole, format!("transfer {}{cap}", part.describe(t)))
                })),
                Err(e) => why[k] = Some(e),
            }
        }
    }
    let mut seeds = Seeds {
        seeds: Vec::new(),
        words: Vec::new(),
    };
    for ((spec, found), why) in args.transfer.iter().zip(found).zip(why) {
        if found.is_empty() {
            match (spec.strip_prefix("row:"), why) {
                (Some(row), _) => {
                    anyhow::bail!("--transfer {spec}: no transfer at data row {}", row.trim())
                }
                (None, Some(e)) => anyhow::bail!("--transfer {e}"),
                (None, None) => anyhow::bail!("--transfer {spec}: the data holds no transfers"),
            }
        }
        for (transfer, words) in found {
            seeds.seeds.push(Seed::Transfer {
                transfer,
                amount: args.amount,
            });
            seeds.words.push(words);
        }
    }
    Ok(seeds)
}

/// Name the trace's transfers by their places in the ledger of the picked
/// transfers `ids` (ascending ids of the whole data) instead.
fn renumber(trace: &mut Trace, ids: &[u32]) {
    let local = |t: TransferId| {
        let i = ids
            .binary_search(&t.0)
            .expect("the report's ledger holds every named transfer");
        TransferId(i as u32)
    };
    for flow in &mut trace.flows {
        flow.transfer = local(flow.transfer);
    }
    for (t, _) in &mut trace.proceeds {
        *t = local(*t);
    }
}
