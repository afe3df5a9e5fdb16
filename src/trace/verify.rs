//! The invariants every trace keeps, checked ([`verify`]).

use super::{trace, Balances, Seed, Totals, TraceOptions};
use crate::graph::FlowGraph;
use rust_decimal::Decimal;

/// At which times [`verify`] checks holdings against balances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Horizons {
    /// At the end of the ledger only (one trace).
    End,
    /// At every distinct time of the ledger, and at the end (one trace per
    /// time: for small ledgers).
    Every,
}

/// Trace `seeds` and check the invariants every trace must keep; `Err`
/// says which one failed, and where.
///
/// * Under the conserving rules, per asset: traced in + converted in =
///   held + exited + dust + converted out.
/// * Traced in is the sum of the proceeds and the opening balances
///   seeded, and no seeded transfer gives
///   more than its amount received less the taint this trace already
///   carried onto it; an inflow seed alone never traces in more than its
///   account received from others (or its cap).
/// * No transfer carries more taint than its amount.
/// * No account holds more taint than its balance: at the end, and with
///   [`Horizons::Every`] at every time of the ledger.
///
/// The property tests and the fuzz targets call it; it is public so that a
/// tool embedding moneytrail can check its own traces the same way.
///
/// ```
/// use moneytrail::trace::{verify, Balances, Horizons, Rule, Seed, TraceOptions};
/// use moneytrail::{FlowGraph, LedgerBuilder, NewTransfer};
/// use rust_decimal::Decimal;
///
/// let mut b = LedgerBuilder::new();
/// let (x, a, c) = (b.account("x"), b.account("a"), b.account("c"));
/// let eur = b.asset("EUR").unwrap();
/// b.push(NewTransfer::simple(1, x, a, Decimal::from(100), eur, 0));
/// b.push(NewTransfer::simple(2, a, c, Decimal::from(60), eur, 1));
/// b.push(NewTransfer::simple(3, c, a, Decimal::from(60), eur, 2));
/// let g = FlowGraph::new(b.finish().unwrap());
/// let balances = Balances::new(g.ledger(), &Default::default());
/// let seeds = [Seed::Inflows { account: a, since: i64::MIN, amount: None }];
/// for rule in Rule::ALL {
///     let options = TraceOptions { rule, ..TraceOptions::default() };
///     verify(&g, &balances, &seeds, &options, Horizons::Every).unwrap();
/// }
/// ```
///
/// # Errors
///
/// The first invariant that fails, in words; or the trace's own error.
pub fn verify(
    g: &FlowGraph,
    balances: &Balances,
    seeds: &[Seed],
    options: &TraceOptions,
    horizons: Horizons,
) -> std::result::Result<(), String> {
    let l = g.ledger();
    let t = trace(g, balances, seeds, options).map_err(|e| e.to_string())?;
    let rule = options.rule;
    if rule.conserves() && !t.conserved() {
        return Err(format!("{rule}: books do not balance: {t:?}"));
    }
    // traced in is the sum of the proceeds, and no seeded transfer gives
    // more than its amount received less the taint it already carried
    let mut from_proceeds = Totals::new();
    for &(x, amount) in &t.proceeds {
        let i = x.index();
        *from_proceeds.entry(l.assets_received()[i]).or_default() += amount;
        let carried = t
            .flows
            .iter()
            .find(|f| f.transfer == x)
            .map_or(Decimal::ZERO, |f| f.received);
        if amount + carried > l.amounts_received()[i] {
            return Err(format!(
                "{rule}: transfer {} gives {amount} of proceeds on top of {carried} of returning taint, but received {}",
                x.0,
                l.amounts_received()[i]
            ));
        }
    }
    // and the opening balances seeded (each account and asset once)
    let openings: std::collections::BTreeSet<_> = seeds
        .iter()
        .filter_map(|s| match *s {
            Seed::Opening { account, asset } => Some((account, asset)),
            _ => None,
        })
        .collect();
    for (account, asset) in openings {
        let amount = balances.opening(account, asset);
        if amount > Decimal::ZERO {
            *from_proceeds.entry(asset).or_default() += amount;
        }
    }
    if from_proceeds != t.traced_in {
        return Err(format!(
            "{rule}: traced in {:?} ≠ proceeds {from_proceeds:?}",
            t.traced_in
        ));
    }
    // inflow seeds: never more than the account received from others
    for seed in seeds {
        if let Seed::Inflows {
            account,
            since,
            amount,
        } = *seed
        {
            let mut received = Totals::new();
            for (_, x, from) in g.incoming(account, since..).iter() {
                if from != account {
                    *received.entry(l.assets_received()[x.index()]).or_default() +=
                        l.amounts_received()[x.index()];
                }
            }
            for (asset, &v) in &t.traced_in {
                let most = received.get(asset).copied().unwrap_or(Decimal::ZERO);
                if seeds.len() == 1 && (v > most || amount.is_some_and(|cap| v > cap)) {
                    return Err(format!(
                        "{rule}: traced in {v} but the seed received {most}"
                    ));
                }
            }
        }
    }
    for f in &t.flows {
        let i = f.transfer.index();
        if f.paid > l.amounts_paid()[i] || f.received > l.amounts_received()[i] {
            return Err(format!(
                "{rule}: transfer {} tainted above its amount",
                f.transfer.0
            ));
        }
    }
    // no holding above the account's balance, at the end and at every time
    let mut times: Vec<i64> = match horizons {
        Horizons::End => Vec::new(),
        Horizons::Every => l.times_us().to_vec(),
    };
    times.dedup();
    let ends = times.into_iter().map(Some).chain([None]);
    for horizon in ends {
        let options = TraceOptions {
            horizon,
            ..options.clone()
        };
        let at = trace(g, balances, seeds, &options).map_err(|e| e.to_string())?;
        if rule.conserves() && !at.conserved() {
            return Err(format!("{rule}: books do not balance at {horizon:?}"));
        }
        for h in &at.holdings {
            let balance = match horizon {
                Some(time) => balances.at(g, h.account, h.asset, time),
                None => balances.closing(h.account, h.asset),
            };
            if h.amount > balance {
                return Err(format!(
                    "{rule}: {} holds {} tainted at {horizon:?} but its balance is {balance}",
                    l.account(h.account).key,
                    h.amount
                ));
            }
        }
    }
    Ok(())
}
