//! Source of funds: where the money in a transfer or a balance came from.
//!
//! Backward tracing uses the forward tracer, so the same allocation rule
//! decides both directions:
//!
//! 1. from the target (a transfer, or an account's balance at a time),
//!    walk back through earlier incoming transfers, at most `max_hops`
//!    deep, each step before the money moved on;
//! 2. the *entry transfers* are those through which money came into that
//!    tree: transfers from an account at the hop limit, or from an account
//!    with no incoming transfer before it paid;
//! 3. each entry transfer is traced forward on its own (in parallel) up to
//!    the target's time, and its share of the target is what reaches it.
//!
//! What the sources do not explain (opening balances, money from beyond
//! the hop limit, and under `libr` the claims lost to low balances) is
//! reported as `untraced`.

use super::{trace_many, Balances, Seed, Trace, TraceOptions};
use crate::error::{Error, Result};
use crate::graph::FlowGraph;
use crate::model::{AccountId, AssetId, TransferId};
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

/// What to explain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The money paid by one transfer.
    Transfer(TransferId),
    /// An account's balance at a time (microseconds), in one asset.
    Balance {
        /// The account.
        account: AccountId,
        /// The asset.
        asset: AssetId,
        /// The time.
        at: i64,
    },
}

/// One source of the target's money.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// The entry transfer.
    pub transfer: TransferId,
    /// Its payer.
    pub account: AccountId,
    /// How much of the target it explains, in the target's asset.
    pub amount: Decimal,
}

/// Opening balances a backward trace follows, nearest the target first.
pub const MAX_OPENINGS: usize = 64;

/// An account's own money (its opening balance, which no transfer in the
/// data explains) that makes up part of the target.
#[derive(Debug, Clone, PartialEq)]
pub struct OpeningSource {
    /// The account.
    pub account: AccountId,
    /// The asset of its opening balance.
    pub asset: AssetId,
    /// How much of the target it explains, in the target's asset.
    pub amount: Decimal,
}

/// The answer to "where did this money come from?".
#[derive(Debug, Clone, PartialEq)]
pub struct SourceOfFunds {
    /// The amount to explain, in `asset`.
    pub target_amount: Decimal,
    /// The target's asset.
    pub asset: AssetId,
    /// Sources, largest first.
    pub sources: Vec<Source>,
    /// Explained by the sources.
    pub traced: Decimal,
    /// The opening balances of accounts the walk back passed through that
    /// reach the target, largest first: money those accounts held before
    /// the data starts.
    pub openings: Vec<OpeningSource>,
    /// Whether there were more than [`MAX_OPENINGS`] opening balances on
    /// the way (those nearest the target were traced).
    pub openings_cut: bool,
    /// Not explained by either (beyond the hop limit, lost claims, opening
    /// balances of accounts beyond the walk or beyond [`MAX_OPENINGS`]).
    pub untraced: Decimal,
    /// Whether `max_sources` cut the list of entry transfers.
    pub truncated: bool,
    /// The transfers along which the sources' money reached the target, in
    /// time order, each with the part of it that did (summed over the
    /// sources; `paid` and `received` as in a trace): what a drawing of
    /// the answer shows.
    pub flows: Vec<super::Flow>,
}

/// Explain a target's money by its sources (see the module documentation).
///
/// # Errors
///
/// When the target names a transfer or account the graph does not have.
pub fn sources_of_funds(
    graph: &FlowGraph,
    balances: &Balances,
    target: Target,
    options: &TraceOptions,
    max_sources: usize,
) -> Result<SourceOfFunds> {
    let l = graph.ledger();
    let resolved = Resolved::of(graph, balances, target)?;
    let (entries, walked, truncated) = entry_transfers(graph, &resolved, options, max_sources);
    // the opening balances of the accounts walked through, but not of the
    // payers of entries (whose own money the entries already carry)
    let payers: std::collections::HashSet<AccountId> =
        entries.iter().map(|t| l.froms()[t.index()]).collect();
    // nearest the target first, at most MAX_OPENINGS: each is traced from
    // the account's first transfer, far dearer than an entry transfer
    let mut openings: Vec<(AccountId, AssetId)> = walked
        .into_iter()
        .filter(|a| !payers.contains(a))
        .flat_map(|a| {
            (0..l.assets().len() as u16)
                .map(move |asset| (a, AssetId(asset)))
                .filter(|&(a, asset)| balances.opening(a, asset) > Decimal::ZERO)
        })
        .collect();
    let openings_cut = openings.len() > MAX_OPENINGS;
    openings.truncate(MAX_OPENINGS);
    let seeds: Vec<Vec<Seed>> = entries
        .iter()
        .map(|&t| {
            vec![Seed::Transfer {
                transfer: t,
                amount: None,
            }]
        })
        .chain(
            openings
                .iter()
                .map(|&(account, asset)| vec![Seed::Opening { account, asset }]),
        )
        .collect();
    // each exchange passage the walk took back is one more transfer forward
    let passages = u16::from(!options.exchange_links.is_empty());
    let options = TraceOptions {
        horizon: Some(resolved.horizon),
        max_hops: options.max_hops.saturating_add(1 + passages),
        ..options.clone()
    };
    let traces = trace_many(graph, balances, &seeds, &options)?;
    let flows = toward(l, &traces, &resolved);
    let (entry_traces, opening_traces) = traces.split_at(entries.len());
    let mut from_openings: Vec<OpeningSource> = openings
        .iter()
        .zip(opening_traces)
        .filter_map(|(&(account, asset), tr)| {
            let amount = resolved.share_of(target, tr);
            (amount > Decimal::ZERO).then_some(OpeningSource {
                account,
                asset,
                amount,
            })
        })
        .collect();
    from_openings.sort_by(|a, b| b.amount.cmp(&a.amount).then(a.account.cmp(&b.account)));
    let opening_total: Decimal = from_openings.iter().map(|o| o.amount).sum();
    let mut sources: Vec<Source> = entries
        .iter()
        .zip(entry_traces)
        .filter_map(|(&t, tr)| {
            let amount = resolved.share_of(target, tr);
            (amount > Decimal::ZERO).then(|| Source {
                transfer: t,
                account: l.froms()[t.index()],
                amount,
            })
        })
        .collect();
    sources.sort_by(|a, b| b.amount.cmp(&a.amount).then(a.transfer.cmp(&b.transfer)));
    let traced: Decimal = sources.iter().map(|s| s.amount).sum();
    Ok(SourceOfFunds {
        target_amount: resolved.amount,
        asset: resolved.asset,
        untraced: (resolved.amount - traced - opening_total).max(Decimal::ZERO),
        traced,
        openings: from_openings,
        openings_cut,
        sources,
        truncated,
        flows,
    })
}

/// The flows of the sources' traces that lead to the target: walking back
/// in time from it, a flow counts when its payee still passes money on
/// toward the target after it (or is the target's account before its
/// limit). Summed per transfer over the traces.
fn toward(l: &crate::ledger::Ledger, traces: &[Trace], target: &Resolved) -> Vec<super::Flow> {
    let mut summed: std::collections::BTreeMap<TransferId, super::Flow> = Default::default();
    for tr in traces {
        // the latest transfer by which money at an account still reaches
        // the target (exclusive)
        let mut reach: FxHashMap<AccountId, TransferId> = FxHashMap::default();
        reach.insert(target.account, target.limit);
        for f in tr.flows.iter().rev() {
            let i = f.transfer.index();
            let (from, to) = (l.froms()[i], l.tos()[i]);
            if reach.get(&to).is_none_or(|&by| f.transfer >= by) {
                continue;
            }
            let by = reach.entry(from).or_insert(f.transfer);
            *by = (*by).max(f.transfer);
            let s = summed.entry(f.transfer).or_insert(super::Flow {
                paid: Decimal::ZERO,
                received: Decimal::ZERO,
                ..f.clone()
            });
            s.paid += f.paid;
            s.received += f.received;
            s.hops = s.hops.min(f.hops);
        }
    }
    summed.into_values().collect()
}

/// A target made concrete: whose money, in which asset, up to when, and how
/// much of it there is to explain.
struct Resolved {
    account: AccountId,
    asset: AssetId,
    horizon: i64,
    /// Money can only come from transfers before this one.
    limit: TransferId,
    amount: Decimal,
}

impl Resolved {
    fn of(graph: &FlowGraph, balances: &Balances, target: Target) -> Result<Resolved> {
        let l = graph.ledger();
        match target {
            Target::Transfer(t) => {
                let i = t.index();
                if i >= l.len() {
                    return Err(Error::invalid(format!("no transfer {}", t.0)));
                }
                Ok(Resolved {
                    account: l.froms()[i],
                    asset: l.assets_paid()[i],
                    horizon: l.times_us()[i],
                    limit: t,
                    amount: l.amounts_paid()[i],
                })
            }
            Target::Balance { account, asset, at } => {
                if account.index() >= l.accounts().len() {
                    return Err(Error::invalid(format!("no account {}", account.0)));
                }
                // the balance after the last transfer at or before `at`
                let last = |adj: crate::graph::Adjacent<'_>| adj.transfer.last().copied();
                let before = [
                    last(graph.incoming(account, ..=at)),
                    last(graph.outgoing(account, ..=at)),
                ];
                let last_transfer = before.into_iter().flatten().max();
                let balance = match last_transfer {
                    None => balances.opening(account, asset),
                    Some(t) => {
                        let i = t.index();
                        if l.tos()[i] == account && l.assets_received()[i] == asset {
                            balances.payee_before(i) + l.amounts_received()[i]
                        } else if l.froms()[i] == account && l.assets_paid()[i] == asset {
                            balances.payer_before(i) - l.amounts_paid()[i]
                        } else {
                            // the last transfer was in another asset: replay this one
                            balances.at(graph, account, asset, at)
                        }
                    }
                };
                // money can only come from transfers up to the account's last
                // one at or before `at` (none: nothing to walk back through)
                let limit = last_transfer.map_or(TransferId(0), |t| TransferId(t.0 + 1));
                Ok(Resolved {
                    account,
                    asset,
                    horizon: at,
                    limit,
                    amount: balance.max(Decimal::ZERO),
                })
            }
        }
    }

    /// How much of the target one entry transfer's forward trace reaches.
    fn share_of(&self, target: Target, trace: &Trace) -> Decimal {
        match target {
            Target::Transfer(x) => trace
                .flows
                .iter()
                .find(|f| f.transfer == x)
                .map_or(Decimal::ZERO, |f| f.paid),
            Target::Balance { .. } => trace
                .holdings
                .iter()
                .filter(|h| h.account == self.account && h.asset == self.asset)
                .map(|h| h.amount)
                .sum(),
        }
    }
}

/// Walk back from the target: the transfers through which outside money
/// entered the accounts it can come from (payers with no earlier inflow,
/// `stop_at` accounts, or the hop limit), the latest `max_sources` of them,
/// the accounts walked through (fewest hops from the target first), and
/// whether the budget cut the list.
fn entry_transfers(
    graph: &FlowGraph,
    target: &Resolved,
    options: &TraceOptions,
    max_sources: usize,
) -> (Vec<TransferId>, Vec<AccountId>, bool) {
    // the latest transfer id each account's money can be from
    let max_hops = usize::from(options.max_hops.max(1));
    let mut bound: FxHashMap<AccountId, (TransferId, usize)> = FxHashMap::default();
    bound.insert(target.account, (target.limit, 0));
    let mut frontier = vec![target.account];
    let mut entries: Vec<TransferId> = Vec::new();
    for hop in 0..max_hops {
        let mut next = Vec::new();
        for &a in &frontier {
            let (limit, _) = bound[&a];
            let inc = graph.incoming(a, ..);
            for (&x, &p) in inc.transfer.iter().zip(inc.peer) {
                if x >= limit || p == a {
                    continue;
                }
                // money an exchange paid on for linked deposits came from
                // their payers (an exchange passage is one step back)
                let l = graph.ledger();
                let linked = options
                    .exchange_links
                    .deposits_of(x)
                    .map(|d| (d, l.froms()[d.index()]));
                for (y, q) in std::iter::once((x, p)).chain(linked) {
                    let payer_has_inflow = graph
                        .incoming(q, ..)
                        .transfer
                        .first()
                        .is_some_and(|&first| first < y);
                    if hop + 1 == max_hops || !payer_has_inflow || options.stop_at.contains(&q) {
                        entries.push(y);
                        if y == x {
                            // the whole payout is a source: its deposits
                            // would explain part of it twice
                            break;
                        }
                        continue;
                    }
                    let (x, p) = (y, q);
                    match bound.get_mut(&p) {
                        Some((b, _)) if *b >= x => {}
                        Some((b, h)) => {
                            *b = x;
                            *h = (*h).min(hop + 1);
                            next.push(p);
                        }
                        None => {
                            bound.insert(p, (x, hop + 1));
                            next.push(p);
                        }
                    }
                }
            }
        }
        next.sort_unstable();
        next.dedup();
        frontier = next;
    }
    entries.sort_unstable();
    entries.dedup();
    let truncated = entries.len() > max_sources;
    if truncated {
        // keep the latest entries: nearest in time to the target
        entries.drain(..entries.len() - max_sources);
    }
    // nearest the target first
    let mut walked: Vec<(usize, AccountId)> = bound.into_iter().map(|(a, (_, h))| (h, a)).collect();
    walked.sort_unstable();
    (
        entries,
        walked.into_iter().map(|(_, a)| a).collect(),
        truncated,
    )
}

/// Explain an account's balance at `at` in every asset it holds: one
/// [`SourceOfFunds`] per asset with a balance, in asset order.
///
/// # Errors
///
/// When the account is not in the graph.
pub fn sources_of_balances(
    graph: &FlowGraph,
    balances: &Balances,
    account: AccountId,
    at: i64,
    options: &TraceOptions,
    max_sources: usize,
) -> Result<Vec<SourceOfFunds>> {
    let mut explained = Vec::new();
    for asset in 0..graph.ledger().assets().len() {
        let target = Target::Balance {
            account,
            asset: AssetId(asset as u16),
            at,
        };
        let sof = sources_of_funds(graph, balances, target, options, max_sources)?;
        if !sof.target_amount.is_zero() {
            explained.push(sof);
        }
    }
    Ok(explained)
}
