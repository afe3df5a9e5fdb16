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
        let n = ledger.len();
        let (froms, tos) = (ledger.froms(), ledger.tos());
        let (paid, recv) = (ledger.amounts_paid(), ledger.amounts_received());
        let (ap, ar) = (ledger.assets_paid(), ledger.assets_received());
        // pass 1: lowest running balance (from zero) per account and asset
        let mut running: FxHashMap<(AccountId, AssetId), Decimal> = FxHashMap::default();
        let mut lowest: FxHashMap<(AccountId, AssetId), Decimal> = FxHashMap::default();
        for i in 0..n {
            let key = (froms[i], ap[i]);
            let r = running.entry(key).or_insert(Decimal::ZERO);
            *r -= paid[i];
            let low = lowest.entry(key).or_insert(Decimal::ZERO);
            if *r < *low {
                *low = *r;
            }
            *running.entry((tos[i], ar[i])).or_insert(Decimal::ZERO) += recv[i];
        }
        let mut opening: FxHashMap<(AccountId, AssetId), Decimal> = lowest
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
        // pass 2: balances before each transfer
        let mut balance: FxHashMap<(AccountId, AssetId), Decimal> = opening.clone();
        let mut payer_before = Vec::with_capacity(n);
        let mut payee_before = Vec::with_capacity(n);
        for i in 0..n {
            let pk = (froms[i], ap[i]);
            let b = balance.entry(pk).or_insert(Decimal::ZERO);
            payer_before.push(*b);
            *b -= paid[i];
            let rk = (tos[i], ar[i]);
            let b = balance.entry(rk).or_insert(Decimal::ZERO);
            payee_before.push(*b);
            *b += recv[i];
        }
        Balances {
            opening,
            payer_before,
            payee_before,
            closing: balance,
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
