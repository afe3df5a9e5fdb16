//! Every account's balance, per asset, before each transfer.
//!
//! Opening balances are rarely in the data. By default an account's
//! untraced opening balance in an asset is the least that keeps its balance
//! from going negative: the most it ever spends beyond what it has received
//! so far (so no outflow fails, and the opening balance is money the
//! account had from the start — spent first under FIFO, last under LIFO).
//! Given opening balances replace the default where they are larger.

use crate::graph::FlowGraph;
use crate::ledger::Ledger;
use crate::model::{AccountId, AssetId, TransferId};
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

/// Balances of every (account, asset) before each transfer, shared by all
/// traces of a ledger.
#[derive(Debug, Clone)]
pub struct Balances {
    /// Opening balance per (account, asset) where not zero.
    opening: FxHashMap<(AccountId, AssetId), Decimal>,
    /// The payer's balance in the asset paid just before each transfer.
    payer_before: Vec<Decimal>,
    /// The payee's balance in the asset received just before each transfer.
    payee_before: Vec<Decimal>,
    /// Final balance per (account, asset).
    closing: FxHashMap<(AccountId, AssetId), Decimal>,
}

impl Balances {
    /// Replay the ledger once with the default opening balances, raised to
    /// `given` where that is larger.
    pub fn new(ledger: &Ledger, given: &FxHashMap<(AccountId, AssetId), Decimal>) -> Balances {
        let mut overdrafts = Overdrafts::default();
        overdrafts.add(ledger);
        let opening = overdrafts.openings(given);
        let mut balance = opening.clone();
        let (payer_before, payee_before) = replay(ledger, &mut balance, None);
        Balances {
            opening,
            payer_before,
            payee_before,
            closing: balance,
        }
    }

    /// The balances before each transfer of `ledger`, a part of the data
    /// that goes on from `balance` (every account's balance when the part
    /// starts), which becomes each account's balance after the part's
    /// transfers up to `until` (all of them: `None`). Only
    /// [`payer_before`](Balances::payer_before) and
    /// [`payee_before`](Balances::payee_before) are of use on it.
    pub(super) fn continued(
        ledger: &Ledger,
        balance: &mut FxHashMap<(AccountId, AssetId), Decimal>,
        until: Option<i64>,
    ) -> Balances {
        let (payer_before, payee_before) = replay(ledger, balance, until);
        Balances {
            opening: FxHashMap::default(),
            payer_before,
            payee_before,
            closing: FxHashMap::default(),
        }
    }

    /// The opening balance of an account in an asset.
    pub fn opening(&self, account: AccountId, asset: AssetId) -> Decimal {
        self.opening
            .get(&(account, asset))
            .copied()
            .unwrap_or(Decimal::ZERO)
    }

    /// The payer's balance (asset paid) just before transfer `i`.
    pub fn payer_before(&self, i: usize) -> Decimal {
        self.payer_before[i]
    }

    /// The payee's balance (asset received) just before transfer `i`.
    pub fn payee_before(&self, i: usize) -> Decimal {
        self.payee_before[i]
    }

    /// The balance of an account in an asset after every transfer up to
    /// time `at` (microseconds) of `graph`, the graph these balances were
    /// made from.
    pub fn at(&self, graph: &FlowGraph, account: AccountId, asset: AssetId, at: i64) -> Decimal {
        let l = graph.ledger();
        // the account's last transfer in this asset up to `at`, either way
        let last_in = graph
            .incoming(account, ..=at)
            .transfer
            .iter()
            .rev()
            .find(|t| l.assets_received()[t.index()] == asset)
            .copied();
        let last_out = graph
            .outgoing(account, ..=at)
            .transfer
            .iter()
            .rev()
            .find(|t| l.assets_paid()[t.index()] == asset)
            .copied();
        match (last_in, last_out) {
            (None, None) => self.opening(account, asset),
            (Some(i), o) if o.is_none_or(|o| o < i) => {
                self.payee_before[i.index()] + l.amounts_received()[i.index()]
            }
            (_, o) => {
                let o = o.map_or(0, TransferId::index);
                // a transfer to itself: received after it paid
                let back = if l.tos()[o] == account && l.assets_received()[o] == asset {
                    l.amounts_received()[o]
                } else {
                    Decimal::ZERO
                };
                self.payer_before[o] - l.amounts_paid()[o] + back
            }
        }
    }

    /// The balance of an account in an asset after the last transfer.
    pub fn closing(&self, account: AccountId, asset: AssetId) -> Decimal {
        self.closing
            .get(&(account, asset))
            .copied()
            .unwrap_or(Decimal::ZERO)
    }
}

/// What each account spends beyond what it has received so far, read
/// part by part in time order: the least opening balance that keeps it
/// from going negative.
#[derive(Debug, Default)]
pub(super) struct Overdrafts {
    /// Running balance from zero per (account, asset).
    running: FxHashMap<(AccountId, AssetId), Decimal>,
    /// Lowest running balance per (account, asset).
    lowest: FxHashMap<(AccountId, AssetId), Decimal>,
}

impl Overdrafts {
    /// Go on through the transfers of `ledger`, the next part of the data.
    pub(super) fn add(&mut self, ledger: &Ledger) {
        let (froms, tos) = (ledger.froms(), ledger.tos());
        let (paid, recv) = (ledger.amounts_paid(), ledger.amounts_received());
        let (ap, ar) = (ledger.assets_paid(), ledger.assets_received());
        for i in 0..ledger.len() {
            let key = (froms[i], ap[i]);
            let r = self.running.entry(key).or_insert(Decimal::ZERO);
            *r -= paid[i];
            let low = self.lowest.entry(key).or_insert(Decimal::ZERO);
            if *r < *low {
                *low = *r;
            }
            *self.running.entry((tos[i], ar[i])).or_insert(Decimal::ZERO) += recv[i];
        }
    }

    /// The opening balances where not zero: the default, raised to `given`
    /// where that is larger.
    pub(super) fn openings(
        self,
        given: &FxHashMap<(AccountId, AssetId), Decimal>,
    ) -> FxHashMap<(AccountId, AssetId), Decimal> {
        let mut opening: FxHashMap<(AccountId, AssetId), Decimal> = self
            .lowest
            .into_iter()
            .filter(|(_, low)| *low < Decimal::ZERO)
            .map(|(k, low)| (k, -low))
            .collect();
        for (&k, &v) in given {
            let entry = opening.entry(k).or_insert(Decimal::ZERO);
            if v > *entry {
                *entry = v;
            }
        }
        opening
    }
}

/// The payer's and payee's balances before each transfer of `ledger`,
/// going on from `balance`, which is moved on by the transfers up to
/// `until`.
fn replay(
    ledger: &Ledger,
    balance: &mut FxHashMap<(AccountId, AssetId), Decimal>,
    until: Option<i64>,
) -> (Vec<Decimal>, Vec<Decimal>) {
    let n = ledger.len();
    let (froms, tos) = (ledger.froms(), ledger.tos());
    let (paid, recv) = (ledger.amounts_paid(), ledger.amounts_received());
    let (ap, ar) = (ledger.assets_paid(), ledger.assets_received());
    let times = ledger.times_us();
    let mut payer_before = Vec::with_capacity(n);
    let mut payee_before = Vec::with_capacity(n);
    for i in 0..n {
        if until.is_some_and(|u| times[i] > u) {
            break;
        }
        let pk = (froms[i], ap[i]);
        let b = balance.entry(pk).or_insert(Decimal::ZERO);
        payer_before.push(*b);
        *b -= paid[i];
        let rk = (tos[i], ar[i]);
        let b = balance.entry(rk).or_insert(Decimal::ZERO);
        payee_before.push(*b);
        *b += recv[i];
    }
    (payer_before, payee_before)
}
