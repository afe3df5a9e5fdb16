//! Fund tracing: follow tainted value forward through time under the
//! allocation rules forensic accountants and courts use.
//!
//! | rule | how a mixed account pays out |
//! |---|---|
//! | `poison` | while the account holds any taint, every outgoing transfer is fully tainted (taints volume, not value: not conserved) |
//! | `haircut` | each outgoing transfer carries the account's tainted share at that moment (pro rata) |
//! | `fifo` | outgoing transfers spend the oldest money first (Clayton's case) |
//! | `lifo` | outgoing transfers spend the newest money first |
//! | `libr` | lowest intermediate balance: the account's own money is spent first, and the traceable taint can only fall, never be refilled by later deposits (Re Hallett's Estate; Roscoe v Winder) |
//!
//! Transfers are processed in time order (ties in input order), only where
//! they touch tainted money: an event queue holds the next transfer of each
//! account that holds taint. Balances come from [`Balances`]: an account's
//! untraced opening balance is, by default, the least that keeps it from
//! going negative.
//!
//! # Conservation
//!
//! Under `haircut`, `fifo`, `lifo` and `libr`, per asset, at every moment:
//! traced in + converted in = held + exited + dust + converted out. Taint
//! crosses a currency conversion in proportion (a transfer paying 100 EUR
//! of which 30 tainted, received as 108 USD, delivers 32.4 tainted USD: 30
//! EUR converted out, 32.4 USD converted in). Taint leaves the data as
//! *exits*: fees (amount received below amount paid, same asset), payments
//! to cash or unidentified counterparties, and moves beyond the hop limit.
//! Taint below `min_amount` on a transfer is dropped as *dust*. Pro-rata
//! shares are rounded to 12 decimal places ([`TAINT_DP`]); every step then
//! moves amounts by exact decimal subtraction, so the books balance to the
//! last digit; [`Trace::conserved`] checks it.
//!
//! # Through exchanges
//!
//! An exchange's purse per asset pools its customers' money, so by
//! default taint that reaches an exchange stays there
//! ([`exchange_stops`] says where and what the exchange paid out next).
//! With [`TraceOptions::exchange_links`], the linked part of a deposit
//! leaves with the payouts it funded instead, converted at the
//! exchange's own rate ([`ExchangeLinks`]: from the asset-hop detector's
//! round trips, or from an exchange's records); each such passage is
//! listed in [`Trace::passages`], and backward traces walk back along the
//! same links.

mod balances;
mod empty;
mod links;
mod parts;
mod sources;
mod stops;
mod verify;

pub use balances::Balances;
pub use empty::{direct_payers, payers_words, why_no_balance, why_nothing_traced, Payer};
pub use links::{ExchangeLink, ExchangeLinks};
pub use parts::{opening_balances, trace_parts};
pub use sources::{
    sources_of_balances, sources_of_funds, OpeningSource, Source, SourceOfFunds, Target,
    MAX_OPENINGS,
};
pub use stops::{exchange_stops, passage_words, stop_words, ExchangeStop, Payout};
pub use verify::{verify, Horizons};

use crate::error::{Error, Result};
use crate::graph::FlowGraph;
use crate::model::{AccountId, AccountKind, AssetId, TransferId};
use rayon::prelude::*;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};
use std::fmt;
use std::str::FromStr;

/// Decimal places of computed taint (pro-rata shares, conversions): 12,
/// finer than any currency or token unit in use, and small enough that sums
/// stay exact in a `Decimal`'s 96-bit mantissa.
pub const TAINT_DP: u32 = 12;

fn share(amount: Decimal, numerator: Decimal, denominator: Decimal) -> Decimal {
    if denominator.is_zero() {
        return Decimal::ZERO;
    }
    amount
        .checked_mul(numerator)
        .and_then(|x| x.checked_div(denominator))
        .unwrap_or(Decimal::ZERO)
        .round_dp(TAINT_DP)
}

/// An allocation rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Any taint taints every later payment in full.
    Poison,
    /// Pro rata.
    Haircut,
    /// First in, first out (Clayton's case).
    #[default]
    Fifo,
    /// Last in, first out.
    Lifo,
    /// Lowest intermediate balance.
    Libr,
}

impl Rule {
    /// All rules.
    pub const ALL: [Rule; 5] = [
        Rule::Poison,
        Rule::Haircut,
        Rule::Fifo,
        Rule::Lifo,
        Rule::Libr,
    ];

    /// The rule's name (`poison`, `haircut`, `fifo`, `lifo`, `libr`).
    pub fn name(self) -> &'static str {
        match self {
            Rule::Poison => "poison",
            Rule::Haircut => "haircut",
            Rule::Fifo => "fifo",
            Rule::Lifo => "lifo",
            Rule::Libr => "libr",
        }
    }

    /// Whether the rule conserves value (all but `poison`).
    pub fn conserves(self) -> bool {
        self != Rule::Poison
    }

    fn uses_lots(self) -> bool {
        matches!(self, Rule::Fifo | Rule::Lifo)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Rule {
    type Err = Error;
    fn from_str(s: &str) -> Result<Rule> {
        Rule::ALL
            .into_iter()
            .find(|r| r.name() == s.to_ascii_lowercase())
            .ok_or_else(|| {
                Error::invalid(format!(
                    "unknown rule {s:?}: expected poison, haircut, fifo, lifo or libr"
                ))
            })
    }
}

/// Where tainted value enters a trace.
///
/// Proceeds are what enters the trace from outside it. Seeds are taken in
/// time order, at their transfer's turn: a seeded transfer that already
/// carries taint of this trace (money that left the seed account and came
/// back, or reached it from another seed) contributes only its untainted
/// part, so returning taint is never counted twice and the books balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Seed {
    /// The proceeds an account receives from `since` (microseconds) on,
    /// capped at `amount` per asset when given (the first inflows count).
    /// Transfers from the account to itself are not proceeds.
    Inflows {
        /// The account.
        account: AccountId,
        /// From this time on.
        since: i64,
        /// At most this much per asset.
        amount: Option<Decimal>,
    },
    /// What an account pays out from `since` (microseconds) on: each of
    /// its payments to another account is tainted at the payee, capped at
    /// `amount` per asset received when given (the first payments count).
    /// The way to follow a suspect's spending, or the wires of a fraud.
    Outflows {
        /// The account.
        account: AccountId,
        /// From this time on.
        since: i64,
        /// At most this much per asset.
        amount: Option<Decimal>,
    },
    /// An account's opening balance in one asset (see [`Balances`]): the
    /// money it held before its first transfer in the data, which no
    /// transfer explains. Backward traces use it to name the accounts whose
    /// own money they found. Not in [`Trace::proceeds`], which lists
    /// transfers.
    Opening {
        /// The account.
        account: AccountId,
        /// The asset.
        asset: AssetId,
    },
    /// One transfer's amount received (or at most `amount` of its part
    /// not already tainted by this trace).
    Transfer {
        /// The transfer.
        transfer: TransferId,
        /// At most this much of it.
        amount: Option<Decimal>,
    },
}

/// Stop conditions and opening balances.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceOptions {
    /// The allocation rule.
    pub rule: Rule,
    /// Follow taint at most this many transfers from the seed: 12. Taint
    /// that would go further exits (reason `hop_limit`).
    pub max_hops: u16,
    /// Process transfers up to this time (microseconds); later ones are not
    /// followed and taint stays where it is. `None`: to the end.
    pub horizon: Option<i64>,
    /// Taint below this on one transfer is dropped as dust: 0.01.
    pub min_amount: Decimal,
    /// Accounts where tracing stops: taint that reaches one leaves the
    /// trace (exit reason `stopped`), and a backward walk takes money from
    /// one as a source without looking further back. Empty by default;
    /// [`exposure`](crate::attribution::exposure) stops at tagged services.
    pub stop_at: std::sync::Arc<std::collections::HashSet<AccountId>>,
    /// Deposits into exchanges linked to the payouts they funded: taint
    /// follows these links through the exchange (see [`ExchangeLinks`]).
    /// Empty by default: taint that reaches an exchange stays in its purse.
    pub exchange_links: std::sync::Arc<ExchangeLinks>,
}

impl Default for TraceOptions {
    fn default() -> TraceOptions {
        TraceOptions {
            rule: Rule::Fifo,
            max_hops: 12,
            horizon: None,
            min_amount: Decimal::new(1, 2),
            stop_at: Default::default(),
            exchange_links: Default::default(),
        }
    }
}

/// Tainted value an account holds at the end.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Holding {
    /// The account.
    pub account: AccountId,
    /// The asset.
    pub asset: AssetId,
    /// Tainted amount held.
    pub amount: Decimal,
    /// Share of the account's closing balance in that asset that is tainted.
    pub share: f64,
    /// Fewest transfers between the seed and this holding.
    pub hops: u16,
    /// When taint first reached the account (microseconds).
    pub first_time_us: i64,
}

/// Taint carried by one transfer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flow {
    /// The transfer.
    pub transfer: TransferId,
    /// Tainted part of the amount paid.
    pub paid: Decimal,
    /// Tainted part of the amount received.
    pub received: Decimal,
    /// Hops from the seed of the receiving end.
    pub hops: u16,
}

/// Taint that passed through an exchange along a link from a deposit to a
/// payout ([`ExchangeLinks`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Passage {
    /// The exchange.
    pub exchange: AccountId,
    /// The deposit.
    pub deposit: TransferId,
    /// The payout.
    pub payout: TransferId,
    /// Taint of the deposit that took this way (the deposit's asset received).
    pub taint_in: Decimal,
    /// The taint the payout carried for it (the payout's asset paid).
    pub taint_out: Decimal,
}

/// Per-asset totals, keyed by asset id.
pub type Totals = BTreeMap<AssetId, Decimal>;

/// The result of tracing.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Trace {
    /// The rule used.
    pub rule: Rule,
    /// Taint put in by the seeds.
    pub traced_in: Totals,
    /// The proceeds taken from each seeded transfer (asset received), in
    /// time order; per asset they sum to `traced_in`.
    pub proceeds: Vec<(TransferId, Decimal)>,
    /// Taint held at the end (the sum of the holdings).
    pub held: Totals,
    /// Taint that left the data, per reason (`fee`, `cash`, `hop_limit`,
    /// `stopped` at a [`TraceOptions::stop_at`] account, under `libr`
    /// `below_balance`, and `exchange_books`: at an exchange whose linked
    /// payouts are in another asset than their deposits, taint its purse
    /// holds beyond its balance in the data).
    pub exited: BTreeMap<String, Totals>,
    /// Taint dropped below `min_amount`.
    pub dust: Totals,
    /// Taint that left an asset through a conversion.
    pub converted_out: Totals,
    /// Taint that entered an asset through a conversion.
    pub converted_in: Totals,
    /// Holdings, largest first.
    pub holdings: Vec<Holding>,
    /// Tainted transfers, in time order.
    pub flows: Vec<Flow>,
    /// Taint that passed through exchanges along
    /// [`TraceOptions::exchange_links`], in time order of the payouts.
    pub passages: Vec<Passage>,
}

impl Trace {
    fn exit(&mut self, reason: &str, asset: AssetId, amount: Decimal) {
        *self
            .exited
            .entry(reason.to_string())
            .or_default()
            .entry(asset)
            .or_default() += amount;
    }

    /// Total exits per asset, all reasons together.
    pub fn exited_total(&self) -> Totals {
        let mut total = Totals::new();
        for by_asset in self.exited.values() {
            for (&a, &v) in by_asset {
                *total.entry(a).or_default() += v;
            }
        }
        total
    }

    /// Whether the books balance exactly, per asset: traced in + converted
    /// in = held + exited + dust + converted out. Always true for the
    /// conserving rules; not expected of `poison`.
    pub fn conserved(&self) -> bool {
        let exited = self.exited_total();
        let mut assets: Vec<AssetId> = self
            .traced_in
            .keys()
            .chain(self.held.keys())
            .chain(exited.keys())
            .chain(self.dust.keys())
            .chain(self.converted_in.keys())
            .chain(self.converted_out.keys())
            .copied()
            .collect();
        assets.sort_unstable();
        assets.dedup();
        let get = |t: &Totals, a: AssetId| t.get(&a).copied().unwrap_or(Decimal::ZERO);
        assets.into_iter().all(|a| {
            get(&self.traced_in, a) + get(&self.converted_in, a)
                == get(&self.held, a)
                    + get(&exited, a)
                    + get(&self.dust, a)
                    + get(&self.converted_out, a)
        })
    }
}

/// A lot of money in an account (FIFO/LIFO): its amount and tainted part.
#[derive(Debug, Clone)]
struct Lot {
    amount: Decimal,
    taint: Decimal,
    hops: u16,
    first: i64,
}

/// The money an account held before taint reached it: one clean lot.
fn clean_lots(before: Decimal) -> VecDeque<Lot> {
    let mut lots = VecDeque::new();
    if before > Decimal::ZERO {
        lots.push_back(Lot {
            amount: before,
            taint: Decimal::ZERO,
            hops: 0,
            first: 0,
        });
    }
    lots
}

/// What one account holds in one asset.
#[derive(Debug, Clone)]
enum Purse {
    /// Haircut, libr, poison: one taint figure.
    Pooled {
        taint: Decimal,
        hops: u16,
        first: i64,
    },
    /// FIFO and LIFO: the money in order of arrival.
    Lots(VecDeque<Lot>),
}

impl Purse {
    fn taint(&self) -> Decimal {
        match self {
            Purse::Pooled { taint, .. } => *taint,
            Purse::Lots(lots) => lots.iter().map(|l| l.taint).sum(),
        }
    }
}

/// Pending taint on a transfer, for the receiver's lot.
#[derive(Debug, Clone, Copy)]
struct Delivery {
    taint: Decimal,
    hops: u16,
    first: i64,
}

/// Taint of a linked deposit waiting at the exchange for its payout.
#[derive(Debug, Clone, Copy)]
struct Transit {
    deposit: TransferId,
    taint: Decimal,
    /// The link's amounts: `deposited` of the deposit funds `paid` of the payout.
    deposited: Decimal,
    paid: Decimal,
    hops: u16,
    first: i64,
}

/// A claim of a seed on one transfer: how much of its untainted part it
/// may take.
#[derive(Debug, Clone, Copy)]
enum Claim {
    /// At most this much (`None`: all of it).
    Upto(Option<Decimal>),
    /// Within the per-asset budget of an inflow or outflow seed.
    Budget(usize),
}

struct Tracer<'a> {
    graph: &'a FlowGraph,
    balances: &'a Balances,
    options: &'a TraceOptions,
    purses: FxHashMap<(AccountId, AssetId), Purse>,
    /// Accounts being followed, with their next outgoing / incoming index.
    cursors: FxHashMap<AccountId, (usize, usize)>,
    queue: BinaryHeap<Reverse<(TransferId, u8, AccountId)>>,
    pending: FxHashMap<TransferId, Delivery>,
    /// Seeded transfers and the seeds' claims on them, in seed order.
    claims: FxHashMap<TransferId, Vec<Claim>>,
    /// Per inflow seed: the cap, and what is left of it per asset.
    budgets: Vec<(Option<Decimal>, FxHashMap<AssetId, Decimal>)>,
    /// Taint this trace carried onto seeded transfers (not fresh proceeds).
    carried_onto_seeds: FxHashMap<TransferId, Decimal>,
    /// Per linked payout: the taint of its deposits waiting for it.
    transit: FxHashMap<TransferId, Vec<Transit>>,
    trace: Trace,
}

/// Event kinds, in the order they are handled for one transfer: the payer
/// pays (and taint arrives at the payee), linked deposits waiting at an
/// exchange leave with it, seeds take the untainted rest, a linked deposit
/// sets aside what its payouts take, then the payee books the lot
/// (FIFO/LIFO).
const OUT: u8 = 0;
const LINK: u8 = 1;
const SEED: u8 = 2;
const SPLIT: u8 = 3;
const IN: u8 = 4;

/// Trace seeds forward through a graph.
///
/// # Errors
///
/// When a seed names an account or transfer the graph does not have.
///
/// # Example
///
/// The worked example of the literature: an account receives 3 tainted then
/// 7 clean, then pays 4 and then 6.
///
/// ```
/// use moneytrail::trace::{trace, Balances, Rule, Seed, TraceOptions};
/// use moneytrail::{FlowGraph, LedgerBuilder, NewTransfer, TransferId};
/// use rust_decimal::Decimal;
///
/// let mut b = LedgerBuilder::new();
/// let (thief, victim, acct, x, y) = (b.account("thief"), b.account("clean"), b.account("acct"), b.account("x"), b.account("y"));
/// let usd = b.asset("USD").unwrap();
/// let d = |n| Decimal::from(n);
/// b.push(NewTransfer::simple(1, thief, acct, d(3), usd, 0));
/// b.push(NewTransfer::simple(2, victim, acct, d(7), usd, 1));
/// b.push(NewTransfer::simple(3, acct, x, d(4), usd, 2));
/// b.push(NewTransfer::simple(4, acct, y, d(6), usd, 3));
/// let g = FlowGraph::new(b.finish().unwrap());
/// let balances = Balances::new(g.ledger(), &Default::default());
/// let seed = [Seed::Transfer { transfer: TransferId(0), amount: None }];
/// let haircut = TraceOptions { rule: Rule::Haircut, ..TraceOptions::default() };
/// let t = trace(&g, &balances, &seed, &haircut).unwrap();
/// let tainted: Vec<String> = t.flows.iter().map(|f| f.paid.normalize().to_string()).collect();
/// assert_eq!(tainted, ["1.2", "1.8"]);
/// assert!(t.conserved());
/// ```
pub fn trace(
    graph: &FlowGraph,
    balances: &Balances,
    seeds: &[Seed],
    options: &TraceOptions,
) -> Result<Trace> {
    let mut tracer = Tracer::new(graph, balances, options);
    tracer.seed(seeds)?;
    tracer.run();
    Ok(tracer.finish())
}

/// Trace independent seed sets in parallel; the result equals tracing them
/// one by one, in the same order.
pub fn trace_many(
    graph: &FlowGraph,
    balances: &Balances,
    seeds: &[Vec<Seed>],
    options: &TraceOptions,
) -> Result<Vec<Trace>> {
    seeds
        .par_iter()
        .map(|s| trace(graph, balances, s, options))
        .collect()
}

impl<'a> Tracer<'a> {
    fn new(graph: &'a FlowGraph, balances: &'a Balances, options: &'a TraceOptions) -> Tracer<'a> {
        Tracer {
            graph,
            balances,
            options,
            purses: FxHashMap::default(),
            cursors: FxHashMap::default(),
            queue: BinaryHeap::new(),
            pending: FxHashMap::default(),
            claims: FxHashMap::default(),
            budgets: Vec::new(),
            carried_onto_seeds: FxHashMap::default(),
            transit: FxHashMap::default(),
            trace: Trace {
                rule: options.rule,
                ..Trace::default()
            },
        }
    }

    /// Record each seed's claims on its transfers and queue them; the
    /// proceeds are taken at each transfer's turn ([`Tracer::take_proceeds`]).
    fn seed(&mut self, seeds: &[Seed]) -> Result<()> {
        let l = self.graph.ledger();
        for seed in seeds {
            match *seed {
                Seed::Transfer { transfer, amount } => {
                    if transfer.index() >= l.len() {
                        return Err(Error::invalid(format!("no transfer {}", transfer.0)));
                    }
                    self.claim(transfer, Claim::Upto(amount));
                }
                Seed::Inflows {
                    account,
                    since,
                    amount,
                } => {
                    let budget = self.budget(account, amount)?;
                    self.claim_flows(account, since, true, budget);
                }
                Seed::Outflows {
                    account,
                    since,
                    amount,
                } => {
                    let budget = self.budget(account, amount)?;
                    self.claim_flows(account, since, false, budget);
                }
                Seed::Opening { account, asset } => {
                    let amount = self.balances.opening(account, asset);
                    let (out, inc) = (
                        self.graph.outgoing(account, ..),
                        self.graph.incoming(account, ..),
                    );
                    let first = [out.transfer.first(), inc.transfer.first()]
                        .into_iter()
                        .flatten()
                        .map(|t| l.times_us()[t.index()])
                        .min()
                        .unwrap_or(0);
                    self.open(account, asset, amount, first)?;
                }
            }
        }
        Ok(())
    }

    /// Taint an account's opening balance `amount` in `asset`, first
    /// held at `first` (the time of its first transfer), and follow the
    /// account from its first transfer.
    fn open(
        &mut self,
        account: AccountId,
        asset: AssetId,
        amount: Decimal,
        first: i64,
    ) -> Result<()> {
        let l = self.graph.ledger();
        if account.index() >= l.accounts().len() || asset.index() >= l.assets().len() {
            return Err(Error::invalid(format!(
                "no account {} or asset {}",
                account.0, asset.0
            )));
        }
        if amount <= Decimal::ZERO || self.purses.contains_key(&(account, asset)) {
            return Ok(());
        }
        *self.trace.traced_in.entry(asset).or_default() += amount;
        let purse = if self.options.rule.uses_lots() {
            Purse::Lots(VecDeque::from([Lot {
                amount,
                taint: amount,
                hops: 0,
                first,
            }]))
        } else {
            Purse::Pooled {
                taint: amount,
                hops: 0,
                first,
            }
        };
        self.purses.insert((account, asset), purse);
        if !self.cursors.contains_key(&account) {
            self.follow_from_start(account);
        }
        Ok(())
    }

    /// Follow an account from its first transfer in the graph.
    fn follow_from_start(&mut self, account: AccountId) {
        self.cursors.insert(account, (0, 0));
        if let Some(&x) = self.graph.outgoing(account, ..).transfer.first() {
            self.queue.push(Reverse((x, OUT, account)));
        }
        if self.options.rule.uses_lots() {
            if let Some(&x) = self.graph.incoming(account, ..).transfer.first() {
                self.queue.push(Reverse((x, IN, account)));
            }
        }
    }

    /// A new per-asset budget of at most `amount`, for an inflow or
    /// outflow seed of `account`.
    fn budget(&mut self, account: AccountId, amount: Option<Decimal>) -> Result<usize> {
        if account.index() >= self.graph.ledger().accounts().len() {
            return Err(Error::invalid(format!("no account {}", account.0)));
        }
        self.budgets.push((amount, FxHashMap::default()));
        Ok(self.budgets.len() - 1)
    }

    /// Claim an account's transfers from `since` on, received (`incoming`)
    /// or paid, to or from other accounts, under per-asset budget `budget`.
    fn claim_flows(&mut self, account: AccountId, since: i64, incoming: bool, budget: usize) {
        let graph = self.graph;
        let flows = if incoming {
            graph.incoming(account, since..)
        } else {
            graph.outgoing(account, since..)
        };
        for (_, t, other) in flows.iter() {
            if other != account {
                self.claim(t, Claim::Budget(budget));
            }
        }
    }

    fn claim(&mut self, t: TransferId, claim: Claim) {
        let claims = self.claims.entry(t).or_default();
        if claims.is_empty() {
            let to = self.graph.ledger().tos()[t.index()];
            self.queue.push(Reverse((t, SEED, to)));
        }
        claims.push(claim);
    }

    /// A seeded transfer's turn: each claim takes what it may of the part
    /// of the amount received that this trace has not already tainted.
    fn take_proceeds(&mut self, t: TransferId) {
        let Some(claims) = self.claims.remove(&t) else {
            return;
        };
        let l = self.graph.ledger();
        let i = t.index();
        let asset = l.assets_received()[i];
        let carried = self
            .carried_onto_seeds
            .get(&t)
            .copied()
            .unwrap_or(Decimal::ZERO);
        let mut free = (l.amounts_received()[i] - carried).max(Decimal::ZERO);
        for claim in claims {
            let cap = match claim {
                Claim::Upto(cap) => cap,
                Claim::Budget(b) => {
                    let (cap, left) = &mut self.budgets[b];
                    cap.map(|c| *left.entry(asset).or_insert(c))
                }
            };
            let take = cap.map_or(free, |c| c.min(free));
            if take <= Decimal::ZERO {
                continue;
            }
            free -= take;
            if let Claim::Budget(b) = claim {
                if let Some(left) = self.budgets[b].1.get_mut(&asset) {
                    *left -= take;
                }
            }
            *self.trace.traced_in.entry(asset).or_default() += take;
            match self.trace.proceeds.last_mut() {
                Some((last, amount)) if *last == t => *amount += take,
                _ => self.trace.proceeds.push((t, take)),
            }
            let delivery = Delivery {
                taint: take,
                hops: 0,
                first: l.times_us()[i],
            };
            self.deliver(t, l.tos()[i], asset, delivery);
        }
    }

    /// Taint arrives with transfer `t` at `account`.
    fn deliver(&mut self, t: TransferId, account: AccountId, asset: AssetId, d: Delivery) {
        let linked = self.options.exchange_links.is_deposit(t);
        if linked || self.options.rule.uses_lots() {
            // the account's in-event for `t`, which comes after every
            // delivery on `t`, books the lot
            let new = !self.pending.contains_key(&t);
            let entry = self.pending.entry(t).or_insert(Delivery {
                taint: Decimal::ZERO,
                ..d
            });
            entry.taint += d.taint;
            entry.hops = entry.hops.min(d.hops);
            entry.first = entry.first.min(d.first);
            if linked {
                // the split, after every delivery and seed, sets aside
                // what the payouts take
                if new {
                    self.queue.push(Reverse((t, SPLIT, account)));
                }
            } else if !self.cursors.contains_key(&account) {
                self.follow(account, t);
            }
            return;
        }
        self.pool(t, account, asset, d);
    }

    /// Add taint to a pooled purse (haircut, libr, poison).
    fn pool(&mut self, t: TransferId, account: AccountId, asset: AssetId, d: Delivery) {
        match self.purses.get_mut(&(account, asset)) {
            Some(Purse::Pooled { taint, hops, first }) => {
                *taint += d.taint;
                *hops = (*hops).min(d.hops);
                *first = (*first).min(d.first);
            }
            _ => {
                self.purses.insert(
                    (account, asset),
                    Purse::Pooled {
                        taint: d.taint,
                        hops: d.hops,
                        first: d.first,
                    },
                );
            }
        }
        if !self.cursors.contains_key(&account) {
            self.follow(account, t);
        }
    }

    /// Start following an account that taint reaches with transfer `t`:
    /// its payments after `t`, and (FIFO/LIFO) its receipts from `t` on.
    fn follow(&mut self, account: AccountId, t: TransferId) {
        let out = self.graph.outgoing(account, ..);
        let inc = self.graph.incoming(account, ..);
        let o = out.transfer.partition_point(|&x| x <= t);
        let i = inc.transfer.partition_point(|&x| x < t);
        self.cursors.insert(account, (o, i));
        if let Some(&x) = out.transfer.get(o) {
            self.queue.push(Reverse((x, OUT, account)));
        }
        if self.options.rule.uses_lots() {
            if let Some(&x) = inc.transfer.get(i) {
                self.queue.push(Reverse((x, IN, account)));
            }
        }
    }

    fn run(&mut self) {
        let l = self.graph.ledger();
        while let Some(Reverse((t, kind, account))) = self.queue.pop() {
            if let Some(h) = self.options.horizon {
                if l.times_us()[t.index()] > h {
                    break;
                }
            }
            match kind {
                SEED => {
                    self.take_proceeds(t);
                    continue;
                }
                SPLIT => {
                    self.split_deposit(t, account);
                    continue;
                }
                LINK => {
                    self.leave_exchange(t, account);
                    continue;
                }
                _ => {}
            }
            let Some(&(o, i)) = self.cursors.get(&account) else {
                continue;
            };
            if kind == OUT {
                let out = self.graph.outgoing(account, ..);
                self.cursors.insert(account, (o + 1, i));
                if let Some(&next) = out.transfer.get(o + 1) {
                    self.queue.push(Reverse((next, OUT, account)));
                }
                self.pay(t);
            } else {
                let inc = self.graph.incoming(account, ..);
                self.cursors.insert(account, (o, i + 1));
                if let Some(&next) = inc.transfer.get(i + 1) {
                    self.queue.push(Reverse((next, IN, account)));
                }
                self.receive_lot(t, account);
            }
        }
    }

    /// A linked deposit's turn, after its deliveries and seeds: the part of
    /// its taint its payouts take waits at the exchange for them (in
    /// proportion to the part of the amount each takes); the rest enters
    /// the exchange's purse.
    fn split_deposit(&mut self, t: TransferId, exchange: AccountId) {
        let Some(d) = self.pending.remove(&t) else {
            return;
        };
        let l = self.graph.ledger();
        let i = t.index();
        let asset = l.assets_received()[i];
        let links = std::sync::Arc::clone(&self.options.exchange_links);
        let (mut taint_left, mut amount_left) = (d.taint, l.amounts_received()[i]);
        for link in links.of_deposit(t) {
            // the rounded share, never leaving more taint than money
            let part = share(taint_left, link.deposited, amount_left)
                .max(taint_left - (amount_left - link.deposited))
                .min(taint_left)
                .min(link.deposited);
            taint_left -= part;
            amount_left -= link.deposited;
            if part.is_zero() {
                continue;
            }
            let waiting = self.transit.entry(link.payout).or_default();
            if waiting.is_empty() {
                self.queue.push(Reverse((link.payout, LINK, exchange)));
            }
            waiting.push(Transit {
                deposit: t,
                taint: part,
                deposited: link.deposited,
                paid: link.paid,
                hops: d.hops,
                first: d.first,
            });
        }
        if taint_left.is_zero() {
            return;
        }
        let rest = Delivery {
            taint: taint_left,
            ..d
        };
        if self.options.rule.uses_lots() {
            // booked by the exchange's in-event for `t`, still to come
            self.pending.insert(t, rest);
            if !self.cursors.contains_key(&exchange) {
                self.follow(exchange, t);
            }
        } else {
            self.pool(t, exchange, asset, rest);
        }
    }

    /// A linked payout's turn: the taint of its deposits waiting at the
    /// exchange leaves with it, converted at the exchange's rate (`paid`
    /// of the payout for `deposited` of the deposit).
    fn leave_exchange(&mut self, x: TransferId, exchange: AccountId) {
        let Some(waiting) = self.transit.remove(&x) else {
            return;
        };
        let l = self.graph.ledger();
        let i = x.index();
        let asset_out = l.assets_paid()[i];
        let (mut out, mut hops) = (Decimal::ZERO, u16::MAX);
        for w in waiting {
            let asset_in = l.assets_received()[w.deposit.index()];
            let mut carried = share(w.taint, w.paid, w.deposited).min(w.paid);
            if asset_in == asset_out {
                carried = carried.min(w.taint);
                let kept = w.taint - carried;
                if !kept.is_zero() {
                    self.trace.exit("fee", asset_in, kept);
                }
            } else {
                *self.trace.converted_out.entry(asset_in).or_default() += w.taint;
                *self.trace.converted_in.entry(asset_out).or_default() += carried;
            }
            self.trace.passages.push(Passage {
                exchange,
                deposit: w.deposit,
                payout: x,
                taint_in: w.taint,
                taint_out: carried,
            });
            out += carried;
            hops = hops.min(w.hops);
        }
        if !out.is_zero() {
            self.carry(x, l.tos()[i], out, hops);
        }
    }

    /// A lot arrives at a followed account (FIFO/LIFO).
    fn receive_lot(&mut self, t: TransferId, account: AccountId) {
        let l = self.graph.ledger();
        let i = t.index();
        let asset = l.assets_received()[i];
        // the part of a linked deposit its payouts take never enters the purse
        let amount = l.amounts_received()[i] - self.options.exchange_links.linked_part(t);
        let d = self.pending.remove(&t);
        // deliveries never exceed the amount received: a seed takes only
        // the untainted part, and a carried share is at most the amount
        let lot = Lot {
            amount,
            taint: d.map_or(Decimal::ZERO, |d| d.taint),
            hops: d.map_or(0, |d| d.hops),
            first: d.map_or(l.times_us()[i], |d| d.first),
        };
        debug_assert!(lot.taint <= lot.amount, "lot tainted above its amount");
        if lot.amount.is_zero() {
            return;
        }
        match self.purses.get_mut(&(account, asset)) {
            Some(Purse::Lots(lots)) => lots.push_back(lot),
            _ => {
                // the first lot of this asset here: what it held before is clean
                let before = self.balances.payee_before(i);
                let mut lots = clean_lots(before);
                lots.push_back(lot);
                self.purses.insert((account, asset), Purse::Lots(lots));
            }
        }
    }

    /// Account pays transfer `t`: work out the taint it carries.
    fn pay(&mut self, t: TransferId) {
        let l = self.graph.ledger();
        let i = t.index();
        let (from, to) = (l.froms()[i], l.tos()[i]);
        // the part of a linked payout its deposits fund leaves from transit
        let paid = l.amounts_paid()[i] - self.options.exchange_links.covered_part(t);
        let asset = l.assets_paid()[i];
        if paid <= Decimal::ZERO {
            return;
        }
        let rule = self.options.rule;
        let before = self.balances.payer_before(i);
        let Some(purse) = self.purses.get_mut(&(from, asset)) else {
            return;
        };
        let (taint_out, hops) = match purse {
            Purse::Pooled { taint, hops, .. } => {
                if taint.is_zero() || paid.is_zero() {
                    return;
                }
                let out = match rule {
                    Rule::Poison => paid,
                    Rule::Haircut => {
                        // never below the taint, which an exchange's purse
                        // can exceed when linked payouts bypass it
                        let before = before.max(*taint);
                        if before <= paid {
                            *taint
                        } else {
                            // the pro-rata share, rounded; never leaving
                            // more taint than the balance that stays
                            let left_after = before - paid;
                            share(paid, *taint, before)
                                .max(*taint - left_after)
                                .min(*taint)
                                .min(paid)
                        }
                    }
                    _ => {
                        // libr: own money first; the claim never exceeds the balance
                        let claim = (*taint).min(before.max(Decimal::ZERO));
                        let spent_from_claim =
                            (paid - (before - claim)).max(Decimal::ZERO).min(claim);
                        // the part of the claim above the balance was already lost
                        let lost = *taint - claim;
                        if !lost.is_zero() {
                            self.trace.exit("below_balance", asset, lost);
                            *taint = claim;
                        }
                        spent_from_claim
                    }
                };
                if rule != Rule::Poison {
                    *taint -= out;
                }
                (out, *hops)
            }
            Purse::Lots(lots) => {
                let mut need = paid;
                let mut out = Decimal::ZERO;
                let mut hops = u16::MAX;
                while need > Decimal::ZERO {
                    let lot = match rule {
                        Rule::Lifo => lots.back_mut(),
                        _ => lots.front_mut(),
                    };
                    let Some(lot) = lot else { break };
                    let take = need.min(lot.amount);
                    let part = if take == lot.amount {
                        lot.taint
                    } else {
                        // the rounded share, never leaving more taint than
                        // money, nor taking more than the money taken (an
                        // amount finer than 12 places rounds up)
                        share(lot.taint, take, lot.amount)
                            .max(lot.taint - (lot.amount - take))
                            .min(lot.taint)
                            .min(take)
                    };
                    if part > Decimal::ZERO {
                        hops = hops.min(lot.hops);
                    }
                    out += part;
                    lot.taint -= part;
                    lot.amount -= take;
                    need -= take;
                    if lot.amount.is_zero() {
                        match rule {
                            Rule::Lifo => lots.pop_back(),
                            _ => lots.pop_front(),
                        };
                    }
                }
                if out.is_zero() {
                    return;
                }
                (out, hops)
            }
        };
        if taint_out.is_zero() {
            return;
        }
        self.carry(t, to, taint_out, hops);
    }

    /// Move `taint_out` (asset paid) along transfer `t` to its receiver.
    /// The receiver's taint dates from this transfer.
    fn carry(&mut self, t: TransferId, to: AccountId, taint_out: Decimal, hops: u16) {
        let l = self.graph.ledger();
        let i = t.index();
        let (paid, received) = (l.amounts_paid()[i], l.amounts_received()[i]);
        let (ap, ar) = (l.assets_paid()[i], l.assets_received()[i]);
        let mut taint_in = share(taint_out, received, paid).min(received);
        if ap == ar {
            taint_in = taint_in.min(taint_out);
            let fee = taint_out - taint_in;
            if !fee.is_zero() {
                self.trace.exit("fee", ap, fee);
            }
        } else {
            *self.trace.converted_out.entry(ap).or_default() += taint_out;
            *self.trace.converted_in.entry(ar).or_default() += taint_in;
        }
        if self.claims.contains_key(&t) {
            *self.carried_onto_seeds.entry(t).or_default() += taint_in;
        }
        let hop = hops.saturating_add(1);
        self.trace.flows.push(Flow {
            transfer: t,
            paid: taint_out,
            received: taint_in,
            hops: hop,
        });
        if taint_in.is_zero() {
            return;
        }
        if taint_in < self.options.min_amount {
            *self.trace.dust.entry(ar).or_default() += taint_in;
            return;
        }
        if self.options.stop_at.contains(&to) {
            self.trace.exit("stopped", ar, taint_in);
            return;
        }
        if hop > self.options.max_hops {
            self.trace.exit("hop_limit", ar, taint_in);
            return;
        }
        if l.account(to).kind == AccountKind::CashOrUnknown {
            self.trace.exit("cash", ar, taint_in);
            return;
        }
        self.deliver(
            t,
            to,
            ar,
            Delivery {
                taint: taint_in,
                hops: hop,
                first: l.times_us()[i],
            },
        );
    }

    fn finish(self) -> Trace {
        // every delivery is booked by its in-event, which has the same time
        // and so is never beyond the horizon
        debug_assert!(self.pending.is_empty(), "taint delivered but not booked");
        // what each account holds: its purses, and at an exchange the
        // linked deposits whose payouts come after the horizon
        let mut held = held_in(&self.purses);
        let l = self.graph.ledger();
        for (x, waiting) in &self.transit {
            let exchange = l.froms()[x.index()];
            for w in waiting {
                let asset = l.assets_received()[w.deposit.index()];
                hold(&mut held, (exchange, asset), w.taint, w.hops, w.first);
            }
        }
        let (graph, balances) = (self.graph, self.balances);
        let horizon = self.options.horizon;
        settle(self.trace, held, |account, asset| match horizon {
            Some(at) => balances.at(graph, account, asset, at),
            None => balances.closing(account, asset),
        })
    }
}

/// Tainted value held per (account, asset): amount, fewest hops, first time.
type Held = BTreeMap<(AccountId, AssetId), (Decimal, u16, i64)>;

fn hold(held: &mut Held, key: (AccountId, AssetId), amount: Decimal, hops: u16, first: i64) {
    let entry = held.entry(key).or_insert((Decimal::ZERO, hops, first));
    entry.0 += amount;
    entry.1 = entry.1.min(hops);
    entry.2 = entry.2.min(first);
}

/// What the purses hold.
fn held_in(purses: &FxHashMap<(AccountId, AssetId), Purse>) -> Held {
    let mut held = Held::new();
    for (&key, purse) in purses {
        let amount = purse.taint();
        if amount.is_zero() {
            continue;
        }
        let (hops, first) = match purse {
            Purse::Pooled { hops, first, .. } => (*hops, *first),
            Purse::Lots(lots) => lots
                .iter()
                .filter(|l| !l.taint.is_zero())
                .fold((u16::MAX, i64::MAX), |(h, f), l| {
                    (h.min(l.hops), f.min(l.first))
                }),
        };
        hold(&mut held, key, amount, hops, first);
    }
    held
}

/// The trace's holdings from what is `held`, each against the account's
/// `balance` at the end (or the horizon); flows merged and passages in
/// order.
fn settle(mut trace: Trace, held: Held, balance: impl Fn(AccountId, AssetId) -> Decimal) -> Trace {
    let mut holdings = Vec::new();
    for ((account, asset), (mut amount, hops, first)) in held {
        let balance = balance(account, asset);
        if trace.rule == Rule::Poison {
            // a poisoned account's whole balance is tainted, and no more
            amount = balance.max(Decimal::ZERO);
        } else if amount > balance.max(Decimal::ZERO) {
            // only at an exchange with linked payouts in another asset
            // than their deposits: it converted money in books the
            // data does not show
            let beyond = amount - balance.max(Decimal::ZERO);
            trace.exit("exchange_books", asset, beyond);
            amount -= beyond;
        }
        if amount.is_zero() {
            continue;
        }
        let share = if balance > Decimal::ZERO {
            rust_decimal::prelude::ToPrimitive::to_f64(&(amount / balance))
                .unwrap_or(0.0)
                .min(1.0)
        } else {
            0.0
        };
        *trace.held.entry(asset).or_default() += amount;
        holdings.push(Holding {
            account,
            asset,
            amount,
            share,
            hops,
            first_time_us: first,
        });
    }
    holdings.sort_by(|a, b| {
        b.amount
            .cmp(&a.amount)
            .then(a.account.cmp(&b.account))
            .then(a.asset.cmp(&b.asset))
    });
    trace.holdings = holdings;
    trace.flows = merged(std::mem::take(&mut trace.flows));
    trace.passages.sort_by_key(|p| (p.payout, p.deposit));
    trace
}

/// Flows in transfer order, one per transfer: a linked payout carries taint
/// from its deposits and from the exchange's purse.
fn merged(mut flows: Vec<Flow>) -> Vec<Flow> {
    flows.sort_by_key(|f| f.transfer);
    let mut out: Vec<Flow> = Vec::with_capacity(flows.len());
    for f in flows {
        match out.last_mut() {
            Some(last) if last.transfer == f.transfer => {
                last.paid += f.paid;
                last.received += f.received;
                last.hops = last.hops.min(f.hops);
            }
            _ => out.push(f),
        }
    }
    out
}

#[cfg(test)]
mod tests;
