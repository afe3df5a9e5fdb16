//! Forward tracing over data read a part at a time: memory grows with the
//! accounts and the taint, not with the transfers.
//!
//! The tracer handles transfers in time order and keeps, per account, only
//! its balance and what it holds of the taint. So the data can come in
//! consecutive parts of the time order (a store's partitions, read a few
//! million transfers at a time): a first reading finds every account's
//! opening balance ([`Balances`]' default needs the whole history), a
//! second runs the tracer on each part in turn, carrying the purses, the
//! followed accounts and the seeds' budgets from one part to the next.
//! The result equals [`trace`] on the whole data, to the last digit.

use super::balances::Overdrafts;
use super::{held_in, settle, Balances, Claim, Flow, Purse, Seed, Trace, TraceOptions, Tracer};
use crate::detect::PartSource;
use crate::error::{Error, Result};
use crate::graph::FlowGraph;
use crate::model::{AccountId, AssetId, TransferId};
use rust_decimal::Decimal;
use rustc_hash::{FxHashMap, FxHashSet};
use std::ops::Range;

/// Trace seeds forward through `source` read at most `per_part`
/// transfers at a time ([`id_ranges`](crate::detect::id_ranges)), holding
/// one part's transfers, and per account its balance and taint, at once. Known opening balances `given` raise the default (the
/// least that keeps each account from going negative) as in
/// [`Balances::new`]. Transfer ids, in the seeds and the result, are the
/// whole data's.
///
/// The result equals [`trace`](super::trace) on a ledger of the whole data.
///
/// # Errors
///
/// When a seed names an account or transfer the data does not have, when
/// `options` has exchange links (found from, and keyed by, the whole
/// data's transfers: trace in memory to follow them), or when the source
/// cannot be read.
///
/// # Example
///
/// ```
/// use moneytrail::detect::InMemory;
/// use moneytrail::trace::{trace, trace_parts, Balances, Rule, Seed, TraceOptions};
/// use moneytrail::{FlowGraph, LedgerBuilder, NewTransfer, TransferId};
/// use rust_decimal::Decimal;
///
/// let mut b = LedgerBuilder::new();
/// let (thief, acct, x, y) = (b.account("thief"), b.account("acct"), b.account("x"), b.account("y"));
/// let usd = b.asset("USD").unwrap();
/// b.push(NewTransfer::simple(1, thief, acct, Decimal::from(3), usd, 0));
/// b.push(NewTransfer::simple(2, acct, x, Decimal::from(2), usd, 1));
/// b.push(NewTransfer::simple(3, x, y, Decimal::from(2), usd, 2));
/// let ledger = b.finish().unwrap();
/// let seed = [Seed::Transfer { transfer: TransferId(0), amount: None }];
/// let options = TraceOptions { rule: Rule::Haircut, ..TraceOptions::default() };
/// // one transfer at a time
/// let parts = trace_parts(&InMemory(&ledger), 1, &Default::default(), &seed, &options).unwrap();
/// let g = FlowGraph::new(ledger);
/// let whole = trace(&g, &Balances::new(g.ledger(), &Default::default()), &seed, &options).unwrap();
/// assert_eq!(parts, whole);
/// ```
pub fn trace_parts(
    source: &dyn PartSource,
    per_part: usize,
    given: &FxHashMap<(AccountId, AssetId), Decimal>,
    seeds: &[Seed],
    options: &TraceOptions,
) -> Result<Trace> {
    if !options.exchange_links.is_empty() {
        return Err(Error::invalid(
            "a trace read part by part does not follow links through exchanges \
             (they are found in, and name transfers of, the whole data): trace in memory to follow them",
        ));
    }
    check_seeds(source, seeds)?;
    let mut parts: Vec<Range<usize>> = crate::detect::id_ranges(source, per_part);
    if parts.is_empty() {
        // one empty part: opening balances given for accounts without
        // transfers are still traced in
        parts.push(0..0);
    }
    let (opening, firsts) = openings(source, &parts, given, seeds)?;

    let mut balance = opening.clone();
    let mut carried = Carried {
        purses: FxHashMap::default(),
        followed: Vec::new(),
        budgets: Vec::new(),
        trace: Trace {
            rule: options.rule,
            ..Trace::default()
        },
    };
    for seed in seeds {
        if let Seed::Inflows { amount, .. } | Seed::Outflows { amount, .. } = *seed {
            carried.budgets.push((amount, FxHashMap::default()));
        }
    }
    let (mut flows, mut proceeds) = (Vec::new(), Vec::new());
    for (k, range) in parts.iter().enumerate() {
        let ledger = source.range(range.clone())?;
        let times = ledger.times_us();
        let beyond = |t: Option<&i64>| options.horizon.zip(t).is_some_and(|(h, &t)| t > h);
        if beyond(times.first()) {
            break;
        }
        let ends_beyond = beyond(times.last());
        let graph = FlowGraph::new(ledger);
        let balances = Balances::continued(graph.ledger(), &mut balance, options.horizon);
        let mut tracer = carried.resume(&graph, &balances, options);
        if k == 0 {
            for seed in seeds {
                if let Seed::Opening { account, asset } = *seed {
                    let amount = opening.get(&(account, asset)).copied();
                    let first = firsts.get(&account).copied().unwrap_or(0);
                    tracer.open(account, asset, amount.unwrap_or_default(), first)?;
                }
            }
        }
        claim_part(&mut tracer, seeds, range);
        tracer.run();
        carried = Carried::suspend(tracer, range.start, &mut flows, &mut proceeds);
        if ends_beyond {
            break;
        }
    }
    let mut trace = carried.trace;
    trace.flows = flows;
    trace.proceeds = proceeds;
    let held = held_in(&carried.purses);
    Ok(settle(trace, held, |account, asset| {
        balance
            .get(&(account, asset))
            .copied()
            .unwrap_or(Decimal::ZERO)
    }))
}

/// Every account's opening balance where not zero, as [`Balances::new`]
/// finds it on the whole data (the least that keeps the account from
/// going negative, raised to `given` where that is larger), reading
/// `source` at most `per_part` transfers at a time: what a trace that
/// reads only part of the data (a backward trace up to its time) needs
/// to know of the rest.
///
/// # Errors
///
/// When the source cannot be read.
///
/// # Example
///
/// ```
/// use moneytrail::detect::InMemory;
/// use moneytrail::trace::{opening_balances, Balances};
/// use moneytrail::{LedgerBuilder, NewTransfer};
/// use rust_decimal::Decimal;
/// let mut b = LedgerBuilder::new();
/// let (x, y) = (b.account("x"), b.account("y"));
/// let usd = b.asset("USD").unwrap();
/// b.push(NewTransfer::simple(1, y, x, Decimal::from(5), usd, 0));
/// b.push(NewTransfer::simple(2, x, y, Decimal::from(8), usd, 1));
/// let ledger = b.finish().unwrap();
/// let opening = opening_balances(&InMemory(&ledger), 1, &Default::default()).unwrap();
/// assert_eq!(opening[&(x, usd)], Decimal::from(3)); // x paid 8 having received 5
/// assert_eq!(opening[&(y, usd)], Decimal::from(5));
/// assert_eq!(Balances::new(&ledger, &Default::default()).opening(x, usd), Decimal::from(3));
/// ```
pub fn opening_balances(
    source: &dyn PartSource,
    per_part: usize,
    given: &FxHashMap<(AccountId, AssetId), Decimal>,
) -> Result<FxHashMap<(AccountId, AssetId), Decimal>> {
    let parts = crate::detect::id_ranges(source, per_part);
    Ok(openings(source, &parts, given, &[])?.0)
}

/// Every seed names an account and transfer of the source.
fn check_seeds(source: &dyn PartSource, seeds: &[Seed]) -> Result<()> {
    for seed in seeds {
        match *seed {
            Seed::Transfer { transfer, .. } if transfer.index() >= source.transfers() => {
                return Err(Error::invalid(format!("no transfer {}", transfer.0)));
            }
            Seed::Inflows { account, .. }
            | Seed::Outflows { account, .. }
            | Seed::Opening { account, .. }
                if account.index() >= source.accounts() =>
            {
                return Err(Error::invalid(format!("no account {}", account.0)));
            }
            _ => {}
        }
    }
    Ok(())
}

/// The first reading: every account's opening balance, and the time of
/// the first transfer of each account whose opening balance is a seed.
#[allow(clippy::type_complexity)]
fn openings(
    source: &dyn PartSource,
    parts: &[Range<usize>],
    given: &FxHashMap<(AccountId, AssetId), Decimal>,
    seeds: &[Seed],
) -> Result<(
    FxHashMap<(AccountId, AssetId), Decimal>,
    FxHashMap<AccountId, i64>,
)> {
    let opened: FxHashSet<AccountId> = seeds
        .iter()
        .filter_map(|seed| match *seed {
            Seed::Opening { account, .. } => Some(account),
            _ => None,
        })
        .collect();
    let mut overdrafts = Overdrafts::default();
    let mut firsts = FxHashMap::default();
    for range in parts {
        let ledger = source.range(range.clone())?;
        overdrafts.add(&ledger);
        if opened.is_empty() {
            continue;
        }
        for i in 0..ledger.len() {
            for account in [ledger.froms()[i], ledger.tos()[i]] {
                if opened.contains(&account) {
                    firsts.entry(account).or_insert(ledger.times_us()[i]);
                }
            }
        }
    }
    Ok((overdrafts.openings(given), firsts))
}

/// The seeds' claims on the transfers of the part `range` (its ledger's
/// transfer `i` is the whole data's `range.start + i`), in seed order,
/// each inflow or outflow seed under its own budget.
fn claim_part(tracer: &mut Tracer<'_>, seeds: &[Seed], range: &Range<usize>) {
    let mut budget = 0;
    for seed in seeds {
        match *seed {
            Seed::Transfer { transfer, amount } if range.contains(&transfer.index()) => {
                let local = TransferId((transfer.index() - range.start) as u32);
                tracer.claim(local, Claim::Upto(amount));
            }
            Seed::Inflows { account, since, .. } | Seed::Outflows { account, since, .. } => {
                let incoming = matches!(seed, Seed::Inflows { .. });
                tracer.claim_flows(account, since, incoming, budget);
                budget += 1;
            }
            _ => {}
        }
    }
}

/// What the tracer carries from one part to the next: the purses, the
/// accounts it follows, the seeds' budgets and the books.
struct Carried {
    purses: FxHashMap<(AccountId, AssetId), Purse>,
    followed: Vec<AccountId>,
    budgets: Vec<(Option<Decimal>, FxHashMap<AssetId, Decimal>)>,
    trace: Trace,
}

impl Carried {
    /// A tracer on the next part's graph, following every account it
    /// followed from the part's first transfer.
    fn resume<'a>(
        self,
        graph: &'a FlowGraph,
        balances: &'a Balances,
        options: &'a TraceOptions,
    ) -> Tracer<'a> {
        let mut tracer = Tracer::new(graph, balances, options);
        tracer.purses = self.purses;
        tracer.budgets = self.budgets;
        tracer.trace = self.trace;
        for account in self.followed {
            tracer.follow_from_start(account);
        }
        tracer
    }

    /// What a tracer carries on after its part, which starts at transfer
    /// `start` of the whole data: the part's flows and proceeds go to
    /// `flows` and `proceeds` under the whole data's ids.
    fn suspend(
        tracer: Tracer<'_>,
        start: usize,
        flows: &mut Vec<Flow>,
        proceeds: &mut Vec<(TransferId, Decimal)>,
    ) -> Carried {
        debug_assert!(tracer.pending.is_empty(), "taint delivered but not booked");
        let whole = |t: TransferId| TransferId(t.0 + start as u32);
        let mut trace = tracer.trace;
        flows.extend(trace.flows.drain(..).map(|f| Flow {
            transfer: whole(f.transfer),
            ..f
        }));
        proceeds.extend(trace.proceeds.drain(..).map(|(t, a)| (whole(t), a)));
        Carried {
            purses: tracer.purses,
            followed: tracer.cursors.into_keys().collect(),
            budgets: tracer.budgets,
            trace,
        }
    }
}
