//! Where a trace stops at an exchange, said rather than left to be
//! guessed.
//!
//! An exchange (VASP) converts between assets across transfers: a
//! customer deposits USDT and the exchange pays dollars out in a separate
//! transfer. The tracer keeps one purse per account and asset, so taint in
//! an exchange's USDT purse never rides on its dollar payments, and a
//! trace that reaches an exchange ends there. Each such holding is listed
//! here with what the exchange paid out after the taint arrived (within a
//! window, largest first), so that an investigator sees where to ask the
//! exchange for its records, and which payments the asset-hop detector's
//! `chain_hopping` findings may already link.

use super::Trace;
use crate::model::{AccountId, AccountKind, AssetId};
use crate::valued::Valued;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

/// Tainted money held at an exchange when the trace ends.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExchangeStop {
    /// The exchange.
    pub exchange: AccountId,
    /// The asset of the tainted holding.
    pub asset: AssetId,
    /// The tainted amount held.
    pub amount: Decimal,
    /// When taint first reached the exchange (microseconds).
    pub since_us: i64,
    /// The exchange's payments after that, within the window, per payee and
    /// asset, largest value first (at most the `top` asked for).
    pub payouts: Vec<Payout>,
    /// How many payees there were in all.
    pub payees: usize,
    /// Whether taint also passed through this exchange along links
    /// ([`Trace::passages`]): the holding is then what its linked payouts
    /// did not take (a fee or spread, or deposits no link joins).
    pub linked: bool,
}

/// What an exchange paid one payee in one asset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Payout {
    /// The payee.
    pub to: AccountId,
    /// The asset paid.
    pub asset: AssetId,
    /// The amount paid.
    pub amount: Decimal,
    /// Its value in the reporting currency.
    pub value: Decimal,
    /// In how many transfers.
    pub transfers: usize,
}

/// The trace's holdings at exchange accounts, each with the exchange's
/// payouts in the `within_us` after taint first reached it (the `top`
/// largest by value), largest holding first.
///
/// ```
/// use moneytrail::{FlowGraph, LedgerBuilder, NewTransfer, Valued, AccountKind};
/// use moneytrail::trace::{exchange_stops, trace, Balances, Seed, TraceOptions};
/// use rust_decimal::Decimal;
/// let mut b = LedgerBuilder::new();
/// let (thief, vasp, payee) = (b.account("thief"), b.account("vasp"), b.account("payee"));
/// b.describe_account(vasp, None, None, Some(AccountKind::Exchange));
/// let (usdt, usd) = (b.asset("USDT").unwrap(), b.asset("USD").unwrap());
/// b.push(NewTransfer::simple(0, thief, vasp, Decimal::from(1000), usdt, 0));
/// b.push(NewTransfer::simple(3_600_000_000, vasp, payee, Decimal::from(990), usd, 1));
/// let g = FlowGraph::new(b.finish().unwrap());
/// let balances = Balances::new(g.ledger(), &Default::default());
/// let seed = [Seed::Outflows { account: g.ledger().account_id("thief").unwrap(), since: 0, amount: None }];
/// let t = trace(&g, &balances, &seed, &TraceOptions::default()).unwrap();
/// let data = Valued::implied(&g, "USD");
/// let stops = exchange_stops(&data, &t, 24 * 3_600_000_000, 3);
/// assert_eq!(stops.len(), 1);
/// assert_eq!(stops[0].amount, Decimal::from(1000));
/// assert_eq!(stops[0].payouts[0].amount, Decimal::from(990));
/// ```
pub fn exchange_stops(
    data: &Valued<'_>,
    trace: &Trace,
    within_us: i64,
    top: usize,
) -> Vec<ExchangeStop> {
    let g = data.graph;
    let l = g.ledger();
    let mut stops: Vec<ExchangeStop> = trace
        .holdings
        .iter()
        .filter(|h| l.account(h.account).kind == AccountKind::Exchange)
        .map(|h| {
            let end = h.first_time_us.saturating_add(within_us);
            let mut per: BTreeMap<(AccountId, AssetId), Payout> = BTreeMap::new();
            for (_, t, to) in g.outgoing(h.account, h.first_time_us..=end).iter() {
                let i = t.index();
                let asset = l.assets_paid()[i];
                let p = per.entry((to, asset)).or_insert(Payout {
                    to,
                    asset,
                    amount: Decimal::ZERO,
                    value: Decimal::ZERO,
                    transfers: 0,
                });
                p.amount += l.amounts_paid()[i];
                p.value += data.value[i];
                p.transfers += 1;
            }
            let payees = per.len();
            let mut payouts: Vec<Payout> = per.into_values().collect();
            payouts.sort_by(|a, b| b.value.cmp(&a.value).then(a.to.cmp(&b.to)));
            payouts.truncate(top);
            ExchangeStop {
                exchange: h.account,
                asset: h.asset,
                amount: h.amount,
                since_us: h.first_time_us,
                payouts,
                payees,
                linked: trace.passages.iter().any(|p| p.exchange == h.account),
            }
        })
        .collect();
    let value = |s: &ExchangeStop| {
        data.fx
            .rate(&l.asset(s.asset).code)
            .map_or(Decimal::ZERO, |r| s.amount * r)
    };
    stops.sort_by(|a, b| value(b).cmp(&value(a)).then(a.exchange.cmp(&b.exchange)));
    stops
}

/// One stop in words: `stopped at kryptobank (exchange): 134,306.460000
/// USDT; in the 24 h after, it paid 136,900.24 USD to AE-GB-7731 (1
/// transfer)`.
pub fn stop_words(data: &Valued<'_>, stop: &ExchangeStop, within_us: i64) -> String {
    let l = data.graph.ledger();
    let mut words = format!(
        "stopped at {} (exchange): {}",
        l.account(stop.exchange).key,
        l.show(stop.amount, stop.asset)
    );
    let window = crate::format::span_words(within_us);
    if stop.payouts.is_empty() {
        words.push_str(&format!("; it paid nothing out in the {window} after"));
        return words;
    }
    let paid: Vec<String> = stop
        .payouts
        .iter()
        .map(|p| {
            format!(
                "{} to {} ({})",
                l.show(p.amount, p.asset),
                l.account(p.to).key,
                crate::format::count(p.transfers, "transfer")
            )
        })
        .collect();
    words.push_str(&format!(
        "; in the {window} after, it paid {}",
        paid.join(", ")
    ));
    if stop.payees > stop.payouts.len() {
        words.push_str(&format!(
            " and {} more",
            crate::format::count(stop.payees - stop.payouts.len(), "payee")
        ));
    }
    words.push_str(if stop.linked {
        ". Its linked payouts did not take this part (the exchange's fee or spread, or a deposit no link joins): ask the exchange what became of it"
    } else {
        ". No link joins the deposit to a payout (no round trip of the asset-hop detector passes here, or --through-exchanges stop): ask the exchange which payouts it funded, and give its pairing with --exchange-links"
    });
    words
}

/// Each passage through an exchange in words, one per payout: `through
/// kryptobank (exchange): 134,306.460000 USDT deposited (row 41) left as
/// 136,900.24 USD to AE-GB-7731 (row 45) at 2024-…`.
pub fn passage_words(l: &crate::ledger::Ledger, passages: &[super::Passage]) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut i = 0;
    while i < passages.len() {
        let x = passages[i].payout;
        let same: Vec<&super::Passage> =
            passages[i..].iter().take_while(|p| p.payout == x).collect();
        i += same.len();
        let deposits: Vec<String> = same
            .iter()
            .map(|p| {
                let d = p.deposit.index();
                format!(
                    "{} deposited (row {})",
                    l.show(p.taint_in, l.assets_received()[d]),
                    l.source_rows()[d]
                )
            })
            .collect();
        let out: Decimal = same.iter().map(|p| p.taint_out).sum();
        let xi = x.index();
        words.push(format!(
            "through {} (exchange): {} left as {} to {} (row {}) at {}",
            l.account(passages[i - 1].exchange).key,
            deposits.join(" and "),
            l.show(out, l.assets_paid()[xi]),
            l.account(l.tos()[xi]).key,
            l.source_rows()[xi],
            crate::time::to_rfc3339(l.times_us()[xi])
        ));
    }
    words
}
