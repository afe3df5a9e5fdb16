//! Exposure: what share of a subject's money came from, or went to, each
//! category of tagged entity (exchange, mixer, darknet market, sanctioned,
//! gambling, ransomware…), directly and within a number of hops.
//!
//! The subject is one account or address, or a set of them (a cluster);
//! transfers between its own members do not count.
//!
//! * **Outgoing**: *direct* is the value the subject paid straight to
//!   tagged accounts. *Indirect* follows the subject's other payments
//!   forward under a tracing rule, at most `max_hops` transfers from the
//!   subject, stopping at the first tagged account each part of the money
//!   reaches (the value that arrives there counts for its category).
//! * **Incoming**: *direct* is the value paid to the subject by tagged
//!   accounts. *Indirect* explains the subject's other receipts by their
//!   sources of funds under the same rule, walking back at most
//!   `max_hops` transfers and stopping at tagged accounts; what came from a
//!   tagged account counts for its category.
//!
//! Shares are of the subject's total outgoing (incoming) value in the
//! reporting currency. Only the `max_transfers` largest receipts and
//! payments are followed indirectly; when more exist the result says
//! `truncated`.

use crate::error::Result;
use crate::model::Category;
use crate::model::{AccountId, TransferId};
use crate::trace::{
    exchange_stops, sources_of_funds, stop_words, trace, Balances, Seed, Target, TraceOptions,
};
use crate::valued::Valued;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

/// How far to look.
#[derive(Debug, Clone, PartialEq)]
pub struct ExposureOptions {
    /// Transfers between the subject and a tagged account, at most: 3
    /// (1: direct exposure only).
    pub max_hops: u16,
    /// The rule (and dust threshold) of the traces; their hop limit comes
    /// from `max_hops`.
    pub trace: TraceOptions,
    /// Receipts and payments followed indirectly, largest first: 200.
    pub max_transfers: usize,
}

impl Default for ExposureOptions {
    fn default() -> ExposureOptions {
        ExposureOptions {
            max_hops: 3,
            trace: TraceOptions::default(),
            max_transfers: 200,
        }
    }
}

/// Exposure to one category, in one direction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryExposure {
    /// The category.
    pub category: Category,
    /// Value straight from (to) tagged accounts of this category.
    pub direct: Decimal,
    /// Value from (to) them through other accounts.
    pub indirect: Decimal,
    /// (direct + indirect) / the subject's total in that direction.
    pub share: f64,
}

/// A subject's exposure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exposure {
    /// Reporting currency.
    pub currency: String,
    /// Value received from outside the subject.
    pub total_in: Decimal,
    /// Value paid outside the subject.
    pub total_out: Decimal,
    /// Where the money came from, per category (largest first).
    pub incoming: Vec<CategoryExposure>,
    /// Where the money went, per category (largest first).
    pub outgoing: Vec<CategoryExposure>,
    /// Whether only the largest receipts or payments were followed.
    pub truncated: bool,
    /// Where the outgoing traces stopped at an untagged exchange, in words
    /// (see [`stop_words`]): money that may reach tagged entities
    /// beyond it, which only the exchange's records can show.
    pub stopped_at_exchanges: Vec<String>,
}

fn ratio(part: Decimal, whole: Decimal) -> f64 {
    if whole.is_zero() {
        0.0
    } else {
        ((part / whole).to_f64().unwrap_or(0.0) * 10_000.0).round() / 10_000.0
    }
}

fn finish(
    direct: BTreeMap<Category, Decimal>,
    indirect: BTreeMap<Category, Decimal>,
    total: Decimal,
) -> Vec<CategoryExposure> {
    let cats: BTreeSet<Category> = direct.keys().chain(indirect.keys()).copied().collect();
    let mut out: Vec<CategoryExposure> = cats
        .into_iter()
        .map(|c| {
            let d = direct.get(&c).copied().unwrap_or_default();
            let i = indirect.get(&c).copied().unwrap_or_default();
            CategoryExposure {
                category: c,
                direct: d.round_dp(2),
                indirect: i.round_dp(2),
                share: ratio(d + i, total),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        (b.direct + b.indirect)
            .cmp(&(a.direct + a.indirect))
            .then(a.category.cmp(&b.category))
    });
    out
}

/// The subject's payments (`outgoing`) or receipts with accounts outside
/// it, in ledger order: their total value, the value straight to or from
/// each tagged category, and the transfers with untagged counterparties
/// (to follow further).
fn split(
    data: &Valued<'_>,
    subject: &[AccountId],
    members: &HashSet<AccountId>,
    tagged: &HashMap<AccountId, Category>,
    outgoing: bool,
) -> (Decimal, BTreeMap<Category, Decimal>, Vec<TransferId>) {
    let g = data.graph;
    let mut transfers: Vec<(TransferId, AccountId)> = subject
        .iter()
        .flat_map(|&a| {
            let adjacent = if outgoing {
                g.outgoing(a, ..)
            } else {
                g.incoming(a, ..)
            };
            adjacent.iter().map(|(_, t, p)| (t, p)).collect::<Vec<_>>()
        })
        .filter(|(_, p)| !members.contains(p))
        .collect();
    transfers.sort_unstable();
    let (mut total, mut direct, mut follow) = (Decimal::ZERO, BTreeMap::new(), Vec::new());
    for (t, p) in transfers {
        total += data.value[t.index()];
        match tagged.get(&p) {
            Some(&c) => *direct.entry(c).or_default() += data.value[t.index()],
            None => follow.push(t),
        }
    }
    (total, direct, follow)
}

/// The exposure of a subject (see the module documentation).
///
/// # Errors
///
/// When a trace fails (it does not on data the loaders produce).
pub fn exposure(
    data: &Valued<'_>,
    balances: &Balances,
    subject: &[AccountId],
    tagged: &HashMap<AccountId, Category>,
    options: &ExposureOptions,
) -> Result<Exposure> {
    let g = data.graph;
    let l = g.ledger();
    let members: HashSet<AccountId> = subject.iter().copied().collect();
    let stop: HashSet<AccountId> = tagged
        .keys()
        .copied()
        .filter(|a| !members.contains(a))
        .collect();
    // the subject's own transfer is the first hop; traces count from it
    let beyond = options.max_hops.saturating_sub(1);
    let trace_options = TraceOptions {
        stop_at: Arc::new(stop),
        max_hops: beyond,
        ..options.trace.clone()
    };
    let rate = |asset: crate::model::AssetId| data.fx.rate(&l.asset(asset).code);
    let mut truncated = false;
    let mut largest = |mut ts: Vec<TransferId>| -> Vec<TransferId> {
        if ts.len() > options.max_transfers {
            truncated = true;
            ts.sort_by(|a, b| {
                data.value[b.index()]
                    .cmp(&data.value[a.index()])
                    .then(a.cmp(b))
            });
            ts.truncate(options.max_transfers);
            ts.sort_unstable();
        }
        ts
    };
    let (total_out, direct_out, follow_out) = split(data, subject, &members, tagged, true);
    let follow_out = if beyond == 0 {
        Vec::new()
    } else {
        largest(follow_out)
    };
    let mut indirect_out: BTreeMap<Category, Decimal> = BTreeMap::new();
    let mut stopped_at_exchanges = Vec::new();
    if !follow_out.is_empty() {
        let seeds: Vec<Seed> = follow_out
            .iter()
            .map(|&t| Seed::Transfer {
                transfer: t,
                amount: None,
            })
            .collect();
        let tr = trace(g, balances, &seeds, &trace_options)?;
        let day = crate::time::DAY;
        stopped_at_exchanges = exchange_stops(data, &tr, day, 3)
            .iter()
            .map(|stop| stop_words(data, stop, day))
            .collect();
        for f in tr.flows.iter().filter(|f| f.hops <= beyond) {
            let i = f.transfer.index();
            if let Some(&c) = tagged.get(&l.tos()[i]) {
                if let Some(r) = rate(l.assets_received()[i]) {
                    *indirect_out.entry(c).or_default() += f.received * r;
                }
            }
        }
    }
    let (total_in, direct_in, follow_in) = split(data, subject, &members, tagged, false);
    let follow_in = if beyond == 0 {
        Vec::new()
    } else {
        largest(follow_in)
    };
    let mut indirect_in: BTreeMap<Category, Decimal> = BTreeMap::new();
    for &t in &follow_in {
        let sof = sources_of_funds(g, balances, Target::Transfer(t), &trace_options, 1_000)?;
        let Some(r) = rate(l.assets_paid()[t.index()]) else {
            continue;
        };
        for s in &sof.sources {
            if let Some(&c) = tagged.get(&s.account) {
                *indirect_in.entry(c).or_default() += s.amount * r;
            }
        }
    }
    Ok(Exposure {
        currency: data.currency().to_string(),
        total_in: total_in.round_dp(2),
        total_out: total_out.round_dp(2),
        incoming: finish(direct_in, indirect_in, total_in),
        outgoing: finish(direct_out, indirect_out, total_out),
        truncated,
        stopped_at_exchanges,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fx::FxTable;
    use crate::graph::FlowGraph;
    use crate::ledger::{LedgerBuilder, NewTransfer};

    /// market → m1 → subject (100), exchange → subject (50), hidden → subject (50);
    /// subject → mixer (30), subject → m2 → m3 → sanctioned (60 of 70), subject → shop (20).
    fn setup() -> (FlowGraph, HashMap<AccountId, Category>) {
        let mut b = LedgerBuilder::new();
        let usd = b.asset("USD").unwrap();
        let mut row = 0;
        let mut pay = |b: &mut LedgerBuilder, f: &str, t: &str, time: i64, x: i64| {
            let (f, t) = (b.account(f), b.account(t));
            b.push(NewTransfer::simple(time, f, t, Decimal::from(x), usd, row));
            row += 1;
        };
        pay(&mut b, "market", "m1", 1, 100);
        pay(&mut b, "m1", "subject", 2, 100);
        pay(&mut b, "exchange", "subject", 3, 50);
        pay(&mut b, "hidden", "subject", 4, 50);
        pay(&mut b, "subject", "mixer", 5, 30);
        pay(&mut b, "subject", "m2", 6, 70);
        pay(&mut b, "m2", "m3", 7, 70);
        pay(&mut b, "m3", "sanctioned", 8, 60);
        pay(&mut b, "m3", "m4", 9, 10);
        pay(&mut b, "subject", "shop", 10, 20);
        let g = FlowGraph::new(b.finish().unwrap());
        let l = g.ledger();
        let tagged = [
            ("market", Category::DarknetMarket),
            ("exchange", Category::Exchange),
            ("mixer", Category::Mixer),
            ("sanctioned", Category::Sanctioned),
        ]
        .into_iter()
        .map(|(k, c)| (l.account_id(k).unwrap(), c))
        .collect();
        (g, tagged)
    }

    #[test]
    fn direct_and_indirect_exposure_in_both_directions() {
        let (g, tagged) = setup();
        let data = Valued::new(&g, FxTable::implied(g.ledger(), "USD"));
        let balances = Balances::new(g.ledger(), &Default::default());
        let subject = [g.ledger().account_id("subject").unwrap()];
        let e = exposure(
            &data,
            &balances,
            &subject,
            &tagged,
            &ExposureOptions::default(),
        )
        .unwrap();
        assert_eq!(
            (e.total_in, e.total_out),
            (Decimal::from(200), Decimal::from(120))
        );
        let get = |list: &[CategoryExposure], c: Category| {
            list.iter()
                .find(|x| x.category == c)
                .map(|x| (x.direct, x.indirect, x.share))
        };
        assert_eq!(
            get(&e.incoming, Category::DarknetMarket),
            Some((Decimal::ZERO, Decimal::from(100), 0.5)),
            "the market's money came through m1"
        );
        assert_eq!(
            get(&e.incoming, Category::Exchange),
            Some((Decimal::from(50), Decimal::ZERO, 0.25))
        );
        assert_eq!(
            get(&e.outgoing, Category::Mixer),
            Some((Decimal::from(30), Decimal::ZERO, 0.25))
        );
        assert_eq!(
            get(&e.outgoing, Category::Sanctioned),
            Some((Decimal::ZERO, Decimal::from(60), 0.5)),
            "60 of the 70 sent through m2 and m3 reached the sanctioned account"
        );
        // two hops: the market (two back) counts, the sanctioned account (three on) does not
        let near = ExposureOptions {
            max_hops: 2,
            ..ExposureOptions::default()
        };
        let e = exposure(&data, &balances, &subject, &tagged, &near).unwrap();
        assert_eq!(get(&e.outgoing, Category::Sanctioned), None);
        assert_eq!(
            get(&e.incoming, Category::DarknetMarket),
            Some((Decimal::ZERO, Decimal::from(100), 0.5))
        );
        // one hop: direct only
        let direct = ExposureOptions {
            max_hops: 1,
            ..ExposureOptions::default()
        };
        let e = exposure(&data, &balances, &subject, &tagged, &direct).unwrap();
        assert_eq!(get(&e.incoming, Category::DarknetMarket), None);
        assert_eq!(
            get(&e.outgoing, Category::Mixer),
            Some((Decimal::from(30), Decimal::ZERO, 0.25))
        );
    }

    #[test]
    fn a_cluster_does_not_count_its_own_members() {
        let (g, tagged) = setup();
        let data = Valued::new(&g, FxTable::implied(g.ledger(), "USD"));
        let balances = Balances::new(g.ledger(), &Default::default());
        let l = g.ledger();
        let subject = [
            l.account_id("subject").unwrap(),
            l.account_id("m2").unwrap(),
        ];
        let e = exposure(
            &data,
            &balances,
            &subject,
            &tagged,
            &ExposureOptions::default(),
        )
        .unwrap();
        // subject → m2 is internal; m2 → m3 (70) is the cluster's payment
        assert_eq!(e.total_out, Decimal::from(120));
    }
}
