//! A ledger at a glance: counts, time span, and volume per asset and
//! channel (what `moneytrail summary` prints); and one account at a glance
//! ([`account_flows`], what `moneytrail account` prints).

use crate::format::group_thousands;
use crate::ledger::Ledger;
use crate::model::{AccountKind, Channel};
use crate::time;
use rayon::prelude::*;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// Transfers and amount paid, per asset code.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Volume {
    /// Number of transfers.
    pub transfers: u64,
    /// Amount paid, per asset code (decimal strings in JSON).
    pub amount: BTreeMap<String, Decimal>,
}

/// What a ledger holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Number of transfers.
    pub transfers: u64,
    /// Number of accounts, and per kind.
    pub accounts: u64,
    /// Accounts per kind (snake_case kind names).
    pub accounts_per_kind: BTreeMap<String, u64>,
    /// Asset codes, with `*` marking virtual assets.
    pub assets: Vec<String>,
    /// First transfer time (RFC 3339).
    pub first_time: Option<String>,
    /// Last transfer time (RFC 3339).
    pub last_time: Option<String>,
    /// Volume per asset paid (count and amount).
    pub per_asset: BTreeMap<String, Volume>,
    /// Volume per channel.
    pub per_channel: BTreeMap<String, Volume>,
    /// Transfers whose amount received is in another asset than the amount
    /// paid (currency conversions).
    pub conversions: u64,
    /// Transfers labelled as laundering in the input (where labelled).
    pub labelled_laundering: u64,
    /// Accounts labelled as laundering (AMLSim `nodes.csv`).
    pub labelled_accounts: u64,
}

#[derive(Default)]
struct Partial {
    per_asset: Vec<(u64, Decimal)>,
    per_channel: Vec<Vec<(u64, Decimal)>>,
    conversions: u64,
    labelled: u64,
}

impl Partial {
    fn new(assets: usize) -> Partial {
        Partial {
            per_asset: vec![(0, Decimal::ZERO); assets],
            per_channel: vec![vec![(0, Decimal::ZERO); assets]; Channel::ALL.len()],
            conversions: 0,
            labelled: 0,
        }
    }

    fn merge(mut self, other: Partial) -> Partial {
        for (a, b) in self.per_asset.iter_mut().zip(other.per_asset) {
            a.0 += b.0;
            a.1 += b.1;
        }
        for (ca, cb) in self.per_channel.iter_mut().zip(other.per_channel) {
            for (a, b) in ca.iter_mut().zip(cb) {
                a.0 += b.0;
                a.1 += b.1;
            }
        }
        self.conversions += other.conversions;
        self.labelled += other.labelled;
        self
    }
}

impl Summary {
    /// Summarise a ledger (in parallel; the result does not depend on the
    /// thread count, since sums of decimals are exact).
    ///
    /// ```
    /// use moneytrail::{LedgerBuilder, NewTransfer, summary::Summary};
    /// use rust_decimal::Decimal;
    /// let mut b = LedgerBuilder::new();
    /// let (x, y) = (b.account("x"), b.account("y"));
    /// let usd = b.asset("USD").unwrap();
    /// b.push(NewTransfer::simple(0, x, y, Decimal::new(1050, 2), usd, 0));
    /// b.push(NewTransfer::simple(5, y, x, Decimal::new(25, 2), usd, 1));
    /// let s = Summary::of(&b.finish().unwrap());
    /// assert_eq!(s.per_asset["USD"].amount["USD"].to_string(), "10.75");
    /// ```
    pub fn of(ledger: &Ledger) -> Summary {
        let assets = ledger.assets().len();
        let n = ledger.len();
        let (amounts, asset_paid) = (ledger.amounts_paid(), ledger.assets_paid());
        let (asset_received, channels) = (ledger.assets_received(), ledger.channels());
        let labels = ledger.laundering_labels();
        let totals = (0..n)
            .into_par_iter()
            .with_min_len(1 << 14)
            .fold(
                || Partial::new(assets),
                |mut p, i| {
                    let a = asset_paid[i].index();
                    p.per_asset[a].0 += 1;
                    p.per_asset[a].1 += amounts[i];
                    let c = &mut p.per_channel[channels[i] as usize][a];
                    c.0 += 1;
                    c.1 += amounts[i];
                    p.conversions += u64::from(asset_paid[i] != asset_received[i]);
                    p.labelled += u64::from(labels[i] == Some(true));
                    p
                },
            )
            .reduce(|| Partial::new(assets), Partial::merge);
        let code = |a: usize| ledger.assets()[a].code.clone();
        let mut per_asset = BTreeMap::new();
        for (a, &(count, amount)) in totals.per_asset.iter().enumerate() {
            if count > 0 {
                per_asset.insert(
                    code(a),
                    Volume {
                        transfers: count,
                        amount: BTreeMap::from([(code(a), amount)]),
                    },
                );
            }
        }
        let mut per_channel = BTreeMap::new();
        for (c, by_asset) in totals.per_channel.iter().enumerate() {
            let transfers: u64 = by_asset.iter().map(|x| x.0).sum();
            if transfers == 0 {
                continue;
            }
            let amount = by_asset
                .iter()
                .enumerate()
                .filter(|(_, x)| x.0 > 0)
                .map(|(a, x)| (code(a), x.1))
                .collect();
            per_channel.insert(
                Channel::ALL[c].name().to_string(),
                Volume { transfers, amount },
            );
        }
        let mut accounts_per_kind = BTreeMap::new();
        for kind in AccountKind::ALL {
            let count = ledger.accounts().iter().filter(|a| a.kind == kind).count() as u64;
            if count > 0 {
                accounts_per_kind.insert(kind.name().to_string(), count);
            }
        }
        let span = ledger.times_us();
        Summary {
            transfers: n as u64,
            accounts: ledger.accounts().len() as u64,
            accounts_per_kind,
            assets: ledger
                .assets()
                .iter()
                .map(|a| {
                    if a.virtual_currency {
                        format!("{}*", a.code)
                    } else {
                        a.code.clone()
                    }
                })
                .collect(),
            first_time: span.first().map(|&t| time::to_rfc3339(t)),
            last_time: span.last().map(|&t| time::to_rfc3339(t)),
            per_asset,
            per_channel,
            conversions: totals.conversions,
            labelled_laundering: totals.labelled,
            labelled_accounts: ledger
                .accounts()
                .iter()
                .filter(|a| a.laundering == Some(true))
                .count() as u64,
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "transfers   {}", self.transfers)?;
        let kinds: Vec<String> = self
            .accounts_per_kind
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect();
        writeln!(f, "accounts    {} ({})", self.accounts, kinds.join(", "))?;
        writeln!(f, "assets      {}  (* virtual)", self.assets.join(" "))?;
        if let (Some(a), Some(b)) = (&self.first_time, &self.last_time) {
            writeln!(f, "time span   {a} .. {b}")?;
        }
        writeln!(f, "conversions {} transfers change asset", self.conversions)?;
        if self.labelled_laundering > 0 {
            writeln!(
                f,
                "labelled    {} transfers as laundering",
                self.labelled_laundering
            )?;
        }
        if self.labelled_accounts > 0 {
            writeln!(
                f,
                "labelled    {} accounts as laundering",
                self.labelled_accounts
            )?;
        }
        writeln!(f, "\nvolume per asset paid")?;
        for (code, v) in &self.per_asset {
            writeln!(
                f,
                "  {:<6} {:>10} transfers  {:>24}",
                code,
                v.transfers,
                group_thousands(v.amount[code])
            )?;
        }
        writeln!(f, "\nvolume per channel")?;
        for (channel, v) in &self.per_channel {
            let amounts: Vec<String> = v
                .amount
                .iter()
                .map(|(code, a)| format!("{} {}", group_thousands(*a), code))
                .collect();
            writeln!(
                f,
                "  {:<17} {:>10} transfers  {}",
                channel,
                v.transfers,
                amounts.join(", ")
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands() {
        assert_eq!(group_thousands(Decimal::new(12345675, 1)), "1,234,567.5");
        assert_eq!(group_thousands(Decimal::new(-999, 0)), "-999");
        assert_eq!(group_thousands(Decimal::new(1000, 0)), "1,000");
        assert_eq!(group_thousands(Decimal::ZERO), "0");
    }
}

/// What one account received and paid in one asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssetFlow {
    /// The asset.
    pub asset: crate::AssetId,
    /// Amount received.
    pub received: Decimal,
    /// Amount paid.
    pub paid: Decimal,
}

/// What one counterparty exchanged with the account, valued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CounterpartyFlow {
    /// The counterparty.
    pub account: crate::AccountId,
    /// Value it paid the account (reporting currency).
    pub value_in: Decimal,
    /// Value the account paid it.
    pub value_out: Decimal,
    /// Transfers either way.
    pub transfers: usize,
}

/// An account's flows: per asset, and per counterparty largest first (by
/// value both ways, ties by account).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountFlows {
    /// Per asset, in asset order.
    pub per_asset: Vec<AssetFlow>,
    /// Every counterparty, largest first.
    pub counterparties: Vec<CounterpartyFlow>,
}

/// The flows of one account.
///
/// ```
/// use moneytrail::{FlowGraph, LedgerBuilder, NewTransfer, Valued};
/// use rust_decimal::Decimal;
/// let mut b = LedgerBuilder::new();
/// let (a, x, y) = (b.account("a"), b.account("x"), b.account("y"));
/// let usd = b.asset("USD").unwrap();
/// b.push(NewTransfer::simple(0, x, a, Decimal::from(100), usd, 0));
/// b.push(NewTransfer::simple(1, a, y, Decimal::from(60), usd, 1));
/// let g = FlowGraph::new(b.finish().unwrap());
/// let flows = moneytrail::summary::account_flows(&Valued::implied(&g, "USD"), a);
/// assert_eq!((flows.per_asset[0].received, flows.per_asset[0].paid), (Decimal::from(100), Decimal::from(60)));
/// assert_eq!(flows.counterparties[0].account, x);
/// ```
pub fn account_flows(data: &crate::Valued<'_>, account: crate::AccountId) -> AccountFlows {
    let g = data.graph;
    let l = g.ledger();
    let mut per_asset: BTreeMap<crate::AssetId, (Decimal, Decimal)> = BTreeMap::new();
    let mut per_peer: BTreeMap<crate::AccountId, CounterpartyFlow> = BTreeMap::new();
    let blank = |account| CounterpartyFlow {
        account,
        value_in: Decimal::ZERO,
        value_out: Decimal::ZERO,
        transfers: 0,
    };
    for (_, t, from) in g.incoming(account, ..).iter() {
        let i = t.index();
        per_asset.entry(l.assets_received()[i]).or_default().0 += l.amounts_received()[i];
        let e = per_peer.entry(from).or_insert_with(|| blank(from));
        e.value_in += data.value[i];
        e.transfers += 1;
    }
    for (_, t, to) in g.outgoing(account, ..).iter() {
        let i = t.index();
        per_asset.entry(l.assets_paid()[i]).or_default().1 += l.amounts_paid()[i];
        let e = per_peer.entry(to).or_insert_with(|| blank(to));
        e.value_out += data.value[i];
        e.transfers += 1;
    }
    let mut counterparties: Vec<CounterpartyFlow> = per_peer.into_values().collect();
    counterparties.sort_by(|a, b| {
        (b.value_in + b.value_out)
            .cmp(&(a.value_in + a.value_out))
            .then(a.account.cmp(&b.account))
    });
    AccountFlows {
        per_asset: per_asset
            .into_iter()
            .map(|(asset, (received, paid))| AssetFlow {
                asset,
                received,
                paid,
            })
            .collect(),
        counterparties,
    }
}

/// Who an account is and when it was active, in two lines: `account K
/// (bank_account, Northbank, GB)` and `active … to …: N transfers in, M
/// out`.
pub fn account_heading(graph: &crate::FlowGraph, account: crate::AccountId) -> String {
    let a = graph.ledger().account(account);
    let mut about = vec![a.kind.name().to_string()];
    about.extend(a.institution.clone());
    about.extend(a.jurisdiction.clone());
    let mut text = format!("account {} ({})\n", a.key, about.join(", "));
    let (inc, out) = (graph.incoming(account, ..), graph.outgoing(account, ..));
    let times = || inc.iter().chain(out.iter()).map(|(t, _, _)| t);
    if let (Some(first), Some(last)) = (times().min(), times().max()) {
        text.push_str(&format!(
            "active {} to {}: {} in, {} out\n",
            time::to_rfc3339(first),
            time::to_rfc3339(last),
            crate::format::count(inc.len(), "transfer"),
            crate::format::count(out.len(), "transfer")
        ));
    }
    text
}
