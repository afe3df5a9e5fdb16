//! Features per account, for an account-level model: where the labels
//! name accounts, not transfers (AMLSim's `nodes.csv`, an answer key that
//! lists accounts only).
//!
//! One row per account that pays or receives at least one transfer, in
//! account id order. Over the account's whole history:
//!
//! | column | meaning |
//! |---|---|
//! | `paid_transfers`, `received_transfers` | transfers it paid and received |
//! | `payees`, `payers` | distinct counterparties it paid and received from (itself not counted) |
//! | `paid_value`, `received_value` | the sums of those transfers' `value_paid` |
//! | `forwarded_share` | `paid_value ÷ received_value` (0 when it received nothing) |
//! | `active_days` | days from its first transfer to its last |
//! | `paid_max_<c>`, `received_max_<c>` | for every numeric transfer feature `c`, its highest value over the transfers the account paid, and over those it received (0 with none) |
//!
//! The `_max_` columns carry what the transfer families see (an endpoint's
//! fan within the window, the cycles and the findings a transfer is in)
//! to the accounts: an account in a cycle gets the cycle through both its
//! transfers in it. Like the transfer features they read no label.

use super::{FeatureColumns, TransferFeatures};
use crate::model::AccountId;
use crate::time::DAY;
use crate::valued::Valued;

/// The features of every active account.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountFeatures {
    /// The account of each row, ascending.
    pub accounts: Vec<AccountId>,
    /// Each row's first transfer time, in microseconds (what a temporal
    /// split of accounts orders by).
    pub first_us: Vec<i64>,
    /// Numeric columns, one value per row.
    pub numbers: FeatureColumns,
}

/// One account's counts and sums over its whole history.
#[derive(Debug, Clone, Copy, Default)]
struct Totals {
    paid_transfers: f64,
    received_transfers: f64,
    payees: f64,
    payers: f64,
    paid_value: f64,
    received_value: f64,
}

/// The names of the fixed account columns, before the `_max_` ones.
pub const ACCOUNT_COLUMNS: [&str; 8] = [
    "paid_transfers",
    "received_transfers",
    "payees",
    "payers",
    "paid_value",
    "received_value",
    "forwarded_share",
    "active_days",
];

/// The features of every account of `data` that pays or receives a
/// transfer, from the transfers' own `features` (of
/// [`transfer_features`](super::transfer_features) on the same data).
///
/// ```
/// use moneytrail::features::{account_features, transfer_features, FeatureOptions};
/// use moneytrail::{FlowGraph, LedgerBuilder, NewTransfer, Valued};
/// use rust_decimal::Decimal;
///
/// let mut b = LedgerBuilder::new();
/// let (x, mule, y, z) = (b.account("x"), b.account("mule"), b.account("y"), b.account("z"));
/// let usd = b.asset("USD").unwrap();
/// let hour = 3_600_000_000;
/// b.push(NewTransfer::simple(0, x, mule, Decimal::from(1_000), usd, 0));
/// b.push(NewTransfer::simple(hour, mule, y, Decimal::from(600), usd, 1));
/// b.push(NewTransfer::simple(2 * hour, mule, z, Decimal::from(300), usd, 2));
/// let g = FlowGraph::new(b.finish().unwrap());
/// let data = Valued::implied(&g, "USD");
/// let a = account_features(&data, &transfer_features(&data, &FeatureOptions::default()));
/// let row = a.accounts.iter().position(|&id| id == mule).unwrap();
/// let column = |name: &str| a.numbers.values[a.numbers.names.iter().position(|n| n == name).unwrap()][row];
/// assert_eq!((column("payees"), column("payers")), (2.0, 1.0));
/// assert_eq!(column("forwarded_share"), 0.9);
/// assert_eq!(column("paid_max_value_paid"), 600.0);
/// ```
pub fn account_features(data: &Valued<'_>, features: &TransferFeatures) -> AccountFeatures {
    let l = data.graph.ledger();
    let (froms, tos, times) = (l.froms(), l.tos(), l.times_us());
    let accounts_n = data.graph.account_count();
    let mut first = vec![i64::MAX; accounts_n];
    let mut last = vec![i64::MIN; accounts_n];
    let mut totals = vec![Totals::default(); accounts_n];
    let mut pairs: Vec<(AccountId, AccountId)> = Vec::with_capacity(l.len());
    for t in 0..l.len() {
        let (f, to, v) = (froms[t], tos[t], data.value_f64[t]);
        for a in [f, to] {
            first[a.index()] = first[a.index()].min(times[t]);
            last[a.index()] = last[a.index()].max(times[t]);
        }
        totals[f.index()].paid_transfers += 1.0;
        totals[f.index()].paid_value += v;
        totals[to.index()].received_transfers += 1.0;
        totals[to.index()].received_value += v;
        if f != to {
            pairs.push((f, to));
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    for &(f, to) in &pairs {
        totals[f.index()].payees += 1.0;
        totals[to.index()].payers += 1.0;
    }
    let accounts: Vec<AccountId> = (0..accounts_n as u32)
        .map(AccountId)
        .filter(|a| first[a.index()] != i64::MAX)
        .collect();
    let mut row_of = vec![usize::MAX; accounts_n];
    for (r, a) in accounts.iter().enumerate() {
        row_of[a.index()] = r;
    }
    let mut names: Vec<String> = ACCOUNT_COLUMNS.iter().map(|s| s.to_string()).collect();
    let mut values: Vec<Vec<f64>> = Vec::with_capacity(8 + 2 * features.numbers.names.len());
    let column = |f: &dyn Fn(&Totals) -> f64| -> Vec<f64> {
        accounts.iter().map(|a| f(&totals[a.index()])).collect()
    };
    values.push(column(&|t| t.paid_transfers));
    values.push(column(&|t| t.received_transfers));
    values.push(column(&|t| t.payees));
    values.push(column(&|t| t.payers));
    values.push(column(&|t| t.paid_value));
    values.push(column(&|t| t.received_value));
    values.push(column(&|t| {
        if t.received_value > 0.0 {
            t.paid_value / t.received_value
        } else {
            0.0
        }
    }));
    values.push(
        accounts
            .iter()
            .map(|a| (last[a.index()] - first[a.index()]) as f64 / DAY as f64)
            .collect(),
    );
    // each feature row's account row, as payer and as payee
    let row_as = |side: &[AccountId]| -> Vec<usize> {
        features
            .transfers
            .iter()
            .map(|t| row_of[side[t.index()].index()])
            .collect()
    };
    for (side, rows) in [("paid", row_as(froms)), ("received", row_as(tos))] {
        for (name, column) in features.numbers.names.iter().zip(&features.numbers.values) {
            let mut highest = vec![0.0f64; accounts.len()];
            let mut seen = vec![false; accounts.len()];
            for (&row, &v) in rows.iter().zip(column) {
                if !seen[row] || v > highest[row] {
                    highest[row] = v;
                    seen[row] = true;
                }
            }
            names.push(format!("{side}_max_{name}"));
            values.push(highest);
        }
    }
    AccountFeatures {
        first_us: accounts.iter().map(|a| first[a.index()]).collect(),
        accounts,
        numbers: FeatureColumns { names, values },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::{transfer_features, FeatureOptions};
    use crate::{FlowGraph, LedgerBuilder, NewTransfer};
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// Every column against a slow per-account reading of the ledger
        /// and of the transfer features.
        #[test]
        fn account_columns_equal_a_slow_reading(
            edges in proptest::collection::vec((0u8..8, 0u8..8, 0u16..200, 1u32..5_000), 1..80),
        ) {
            let mut b = LedgerBuilder::new();
            let usd = b.asset("USD").unwrap();
            let ids: Vec<AccountId> = (0..10).map(|i| b.account(&format!("a{i}"))).collect();
            for (row, &(f, t, h, amount)) in edges.iter().enumerate() {
                b.push(NewTransfer::simple(
                    i64::from(h) * 3_600_000_000,
                    ids[usize::from(f)],
                    ids[usize::from(t)],
                    Decimal::from(amount),
                    usd,
                    row as u32,
                ));
            }
            let g = FlowGraph::new(b.finish().unwrap());
            let data = Valued::implied(&g, "USD");
            let options = FeatureOptions { rules: None, ..FeatureOptions::default() };
            let tf = transfer_features(&data, &options);
            let af = account_features(&data, &tf);
            let l = g.ledger();
            let active: Vec<AccountId> = ids
                .iter()
                .copied()
                .filter(|&a| l.froms().contains(&a) || l.tos().contains(&a))
                .collect();
            prop_assert_eq!(&af.accounts, &active);
            let column = |name: &str| {
                &af.numbers.values[af.numbers.names.iter().position(|n| n == name).unwrap()]
            };
            for (r, &a) in active.iter().enumerate() {
                let paid: Vec<usize> = (0..l.len()).filter(|&t| l.froms()[t] == a).collect();
                let got: Vec<usize> = (0..l.len()).filter(|&t| l.tos()[t] == a).collect();
                let sum = |ts: &[usize]| ts.iter().map(|&t| data.value_f64[t]).sum::<f64>();
                let distinct = |ts: &[usize], other: &dyn Fn(usize) -> AccountId| {
                    let mut peers: Vec<AccountId> =
                        ts.iter().map(|&t| other(t)).filter(|&p| p != a).collect();
                    peers.sort_unstable();
                    peers.dedup();
                    peers.len() as f64
                };
                prop_assert_eq!(column("paid_transfers")[r], paid.len() as f64);
                prop_assert_eq!(column("received_transfers")[r], got.len() as f64);
                prop_assert_eq!(column("payees")[r], distinct(&paid, &|t| l.tos()[t]));
                prop_assert_eq!(column("payers")[r], distinct(&got, &|t| l.froms()[t]));
                prop_assert!((column("paid_value")[r] - sum(&paid)).abs() < 1e-6);
                let share = if got.is_empty() { 0.0 } else { sum(&paid) / sum(&got) };
                prop_assert!((column("forwarded_share")[r] - share).abs() < 1e-9);
                let times: Vec<i64> = paid.iter().chain(&got).map(|&t| l.times_us()[t]).collect();
                let days = (times.iter().max().unwrap() - times.iter().min().unwrap()) as f64 / DAY as f64;
                prop_assert_eq!(column("active_days")[r], days);
                for (name, values) in tf.numbers.names.iter().zip(&tf.numbers.values) {
                    let at = |t: usize| values[tf.transfers.iter().position(|x| x.index() == t).unwrap()];
                    let top = |ts: &[usize]| ts.iter().map(|&t| at(t)).fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v)))).unwrap_or(0.0);
                    prop_assert_eq!(column(&format!("paid_max_{name}"))[r], top(&paid), "{}", name);
                    prop_assert_eq!(column(&format!("received_max_{name}"))[r], top(&got), "{}", name);
                }
            }
        }
    }
}
