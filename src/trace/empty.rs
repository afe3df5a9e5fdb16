//! What a trace had to start from, said when it had nothing: an account
//! with no inflows, no payments, or no balance gets a reason and what to
//! try, never a silent zero. And who paid a balance directly, named even
//! where the backward trace cannot look further.

use super::Seed;
use crate::format::count;
use crate::graph::FlowGraph;
use crate::model::{AccountId, AccountKind, AssetId};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// Why seeds took nothing in, and what to try.
///
/// ```
/// use moneytrail::{FlowGraph, LedgerBuilder, NewTransfer};
/// use moneytrail::trace::{why_nothing_traced, Seed};
/// use rust_decimal::Decimal;
/// let mut b = LedgerBuilder::new();
/// let (a, z) = (b.account("a"), b.account("z"));
/// let usd = b.asset("USD").unwrap();
/// b.push(NewTransfer::simple(0, a, z, Decimal::TEN, usd, 0));
/// let g = FlowGraph::new(b.finish().unwrap());
/// let seed = Seed::Inflows { account: a, since: i64::MIN, amount: None };
/// let why = why_nothing_traced(&g, &seed);
/// assert!(why.starts_with("a received nothing from another account"));
/// assert!(why.ends_with("trace what it paid out with --sent"));
/// ```
pub fn why_nothing_traced(graph: &FlowGraph, seed: &Seed) -> String {
    let (account, since, sent) = match *seed {
        Seed::Transfer { .. } => {
            return "the named transfers carry nothing to trace (an amount of 0, or --amount 0)"
                .to_string()
        }
        Seed::Inflows { account, since, .. } => (account, since, false),
        Seed::Outflows { account, since, .. } => (account, since, true),
        Seed::Opening { account, .. } => {
            return format!("account {} has no opening balance in that asset", account.0)
        }
    };
    if account.index() >= graph.account_count() {
        return format!("no account {}", account.0);
    }
    let key = &graph.ledger().account(account).key;
    let others = |adjacent: crate::graph::Adjacent<'_>| {
        adjacent
            .iter()
            .filter(|&(_, _, other)| other != account)
            .count()
    };
    let (received, paid) = (
        others(graph.incoming(account, ..)),
        others(graph.outgoing(account, ..)),
    );
    let (mine, theirs, verb, flag) = if sent {
        (
            paid,
            received,
            "paid",
            "drop --sent to trace what it received",
        )
    } else {
        (
            received,
            paid,
            "received",
            "trace what it paid out with --sent",
        )
    };
    if mine == 0 {
        format!(
            "{key} {verb} nothing from another account in the data ({} the other way); {flag}",
            count(theirs, "transfer")
        )
    } else if since > i64::MIN {
        format!(
            "{key} {verb} nothing since {} ({} before it); try an earlier --since",
            crate::time::to_rfc3339(since),
            count(mine, "transfer")
        )
    } else {
        format!("every transfer {key} {verb} carries 0")
    }
}

/// Why an account holds nothing to explain at `at`, and what to try.
pub fn why_no_balance(graph: &FlowGraph, account: AccountId, at: i64) -> String {
    let key = &graph.ledger().account(account).key;
    let received = graph.incoming(account, ..=at).len();
    let before = received + graph.outgoing(account, ..=at).len();
    let after = graph.incoming(account, at.saturating_add(1)..).len()
        + graph.outgoing(account, at.saturating_add(1)..).len();
    let hint = if before == 0 && after > 0 {
        "; try a later --at"
    } else if received == 0 && before > 0 {
        "; it received nothing up to then (it paid from an opening balance the data does not show)"
    } else if before > 0 {
        "; it paid out all it received: trace forward to see where it went (trace without --backward), or give an earlier --at"
    } else {
        ""
    };
    format!(
        "nothing to explain: {key} holds 0 in every asset at {} ({} up to then, {} after){hint}",
        crate::time::to_rfc3339(at),
        count(before, "transfer"),
        count(after, "transfer")
    )
}

/// One direct payer of a balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payer {
    /// The paying account.
    pub account: AccountId,
    /// What it paid, in the asset asked about.
    pub amount: Decimal,
    /// In how many transfers.
    pub transfers: usize,
}

/// Who paid `account` in `asset` up to `at`, largest first (ties by
/// account): the first thing asked of a balance, named even where the
/// backward trace cannot go further (an exchange's books).
pub fn direct_payers(graph: &FlowGraph, account: AccountId, asset: AssetId, at: i64) -> Vec<Payer> {
    let l = graph.ledger();
    let mut per: BTreeMap<AccountId, (Decimal, usize)> = BTreeMap::new();
    for (_, t, from) in graph.incoming(account, ..=at).iter() {
        let i = t.index();
        if from != account && l.assets_received()[i] == asset {
            let e = per.entry(from).or_default();
            e.0 += l.amounts_received()[i];
            e.1 += 1;
        }
    }
    let mut payers: Vec<Payer> = per
        .into_iter()
        .map(|(account, (amount, transfers))| Payer {
            account,
            amount,
            transfers,
        })
        .collect();
    payers.sort_by(|a, b| b.amount.cmp(&a.amount).then(a.account.cmp(&b.account)));
    payers
}

/// The direct payers in words, the `top` largest: `kryptobank (exchange:
/// …) 136,900.24 USD in 1 transfer, and 3 more payers`.
pub fn payers_words(graph: &FlowGraph, payers: &[Payer], asset: AssetId, top: usize) -> String {
    let l = graph.ledger();
    if payers.is_empty() {
        return "none (the balance is opening money the data does not show)".to_string();
    }
    let mut words: Vec<String> = payers
        .iter()
        .take(top)
        .map(|p| {
            let payer = l.account(p.account);
            let kind = if payer.kind == AccountKind::Exchange {
                " (exchange: its books, not this data, say which deposit paid)"
            } else {
                ""
            };
            format!(
                "{}{kind} {} in {}",
                payer.key,
                l.show(p.amount, asset),
                count(p.transfers, "transfer")
            )
        })
        .collect();
    if payers.len() > top {
        words.push(format!("and {} more", count(payers.len() - top, "payer")));
    }
    words.join(", ")
}
