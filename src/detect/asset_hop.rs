//! `on_off_ramp` and `chain_hopping`: money that leaves a bank account
//! through an exchange into virtual assets and comes back into a bank
//! account as fiat soon after, with the hops listed; `chain_hopping` when
//! it passes through two or more virtual assets on the way (fiat → BTC →
//! USDT → fiat), `on_off_ramp` otherwise.

use super::{finish, span_words, Detection, Finding, Typology, Valued};
use crate::model::{AccountId, AccountKind, TransferId};
use crate::time::Span;
use rayon::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Finds round trips fiat → virtual assets → fiat.
///
/// A search starts at an **on-ramp**: a bank account pays fiat to an
/// exchange, or pays fiat that arrives as a virtual asset. It follows the
/// money forward in time (each transfer paid by the previous one's payee,
/// after it, all within `window` of the start, at most `max_hops`), and
/// ends at an **off-ramp**: fiat paid to a bank account by an exchange, or
/// a virtual asset paid that arrives as fiat, after at least one
/// virtual-asset hop and `min_wallet_hops` hops between self-hosted
/// addresses. Every hop must carry at least `min_hop_share` of
/// the start's value (so a split into parts is followed) and at most
/// `max_retention` of it; the off-ramp must carry between `min_retention`
/// and `max_retention` of it. Exchanges are hubs: from an exchange only
/// the `exchange_candidates` payments closest in value to what came in,
/// within `exchange_dwell`, are followed.
///
/// All the paths from one on-ramp to one off-ramp make one finding (the
/// union of their transfers, so a split-and-merge through wallets and a
/// mixer shows whole). **Typology**: `chain_hopping` when the paths pass
/// through two or more virtual assets, else `on_off_ramp`. **Amount**: the
/// on-ramp's value. **Score** = 0.4 + 0.1 per asset change beyond the
/// first two (at most 0.2) + 0.1 for two or more virtual assets + 0.3·(1 −
/// time taken / window).
///
/// # Example
///
/// ```
/// use moneytrail::detect::{AssetHopDetector, Typology};
/// use moneytrail::fx::FxTable;
/// use moneytrail::time::HOUR;
/// use moneytrail::{AccountKind, FlowGraph, LedgerBuilder, NewTransfer, Valued};
/// use rust_decimal::Decimal;
///
/// let mut b = LedgerBuilder::new();
/// let (eur, btc) = (b.asset("EUR").unwrap(), b.asset("BTC").unwrap());
/// for (key, kind) in [("bank1", AccountKind::BankAccount), ("bank2", AccountKind::BankAccount),
///                     ("exchange1", AccountKind::Exchange), ("exchange2", AccountKind::Exchange),
///                     ("w1", AccountKind::VirtualAssetAddress), ("w2", AccountKind::VirtualAssetAddress)] {
///     let id = b.account(key);
///     b.describe_account(id, None, None, Some(kind));
/// }
/// // EUR into an exchange, out as BTC through two wallets, back to EUR at another
/// let hops = [("bank1", "exchange1", "10000", eur), ("exchange1", "w1", "0.2", btc),
///             ("w1", "w2", "0.2", btc), ("w2", "exchange2", "0.2", btc),
///             ("exchange2", "bank2", "9800", eur)];
/// for (hour, (from, to, amount, asset)) in hops.into_iter().enumerate() {
///     let (from, to) = (b.account(from), b.account(to));
///     let amount: Decimal = amount.parse().unwrap();
///     b.push(NewTransfer::simple(hour as i64 * HOUR, from, to, amount, asset, hour as u32));
/// }
/// let graph = FlowGraph::new(b.finish().unwrap());
/// let rates = [("EUR", 1), ("BTC", 50_000)].map(|(c, r)| (c.to_string(), Decimal::from(r)));
/// let data = Valued::new(&graph, FxTable::given("EUR", rates.into_iter().collect()));
/// let found = AssetHopDetector::default().detect(&data);
/// assert_eq!(found.findings.len(), 1);
/// assert_eq!(found.findings[0].typology, Typology::OnOffRamp);
/// assert_eq!(found.findings[0].transfers.len(), 5);
/// ```
///
/// # Complexity
///
/// Per on-ramp, a depth-first search bounded by `max_hops`,
/// `max_steps_per_start` and `max_paths_per_start`.
///
/// # References
///
/// - FATF, *Virtual Assets Red Flag Indicators of Money Laundering and
///   Terrorist Financing*, 2020
///   ([fatf-gafi.org](https://www.fatf-gafi.org/en/publications/Methodsandtrends/Virtual-assets-red-flag-indicators.html)):
///   fiat converted to virtual assets and back, chain hopping between
///   assets, mixers on the way.
/// - S. Meiklejohn et al., *A Fistful of Bitcoins*, IMC 2013
///   ([doi:10.1145/2504730.2504747](https://doi.org/10.1145/2504730.2504747)):
///   following coins from and to exchanges, where they meet fiat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AssetHopDetector {
    /// The whole round trip within this: 3 days.
    pub window: Span,
    /// Most transfers in one path: 10.
    pub max_hops: usize,
    /// Smallest on-ramp value, in the reporting currency: 5,000.
    pub min_amount: Decimal,
    /// Smallest share of the on-ramp's value a hop carries: 0.1 (a split
    /// into up to ten parts is followed).
    pub min_hop_share: f64,
    /// Smallest share of the on-ramp's value the off-ramp returns: 0.5.
    pub min_retention: f64,
    /// Largest share any hop or the off-ramp carries: 1.1.
    pub max_retention: f64,
    /// Fewest hops between two self-hosted addresses (wallet to wallet): 1.
    /// An exchange is a hub whose payments out can be matched to what came
    /// in only by value and time; a buy withdrawn to a wallet and sold
    /// again from it (no wallet-to-wallet hop) is everyday trading.
    pub min_wallet_hops: usize,
    /// Longest an exchange holds the money: 24 hours.
    pub exchange_dwell: Span,
    /// Payments followed from an exchange, closest in value first: 3.
    pub exchange_candidates: usize,
    /// Search steps per on-ramp: 20,000.
    pub max_steps_per_start: usize,
    /// Paths kept per on-ramp: 64.
    pub max_paths_per_start: usize,
    /// Findings in all: 10,000.
    pub max_findings: usize,
}

impl Default for AssetHopDetector {
    fn default() -> AssetHopDetector {
        AssetHopDetector {
            window: Span::days(3),
            max_hops: 10,
            min_amount: Decimal::from(5_000),
            min_hop_share: 0.1,
            min_retention: 0.5,
            max_retention: 1.1,
            min_wallet_hops: 1,
            exchange_dwell: Span::hours(24),
            exchange_candidates: 3,
            max_steps_per_start: 20_000,
            max_paths_per_start: 64,
            max_findings: 10_000,
        }
    }
}

struct Search<'a, 'g> {
    d: &'a AssetHopDetector,
    data: &'a Valued<'g>,
    start_value: f64,
    end_time: i64,
    accounts: Vec<AccountId>,
    transfers: Vec<TransferId>,
    paths: Vec<Vec<TransferId>>,
    steps: usize,
    truncated: bool,
}

impl super::Detector for AssetHopDetector {
    fn typologies(&self) -> &'static [Typology] {
        &[Typology::OnOffRamp, Typology::ChainHopping]
    }

    fn detect(&self, data: &Valued<'_>) -> Detection {
        AssetHopDetector::detect(self, data)
    }

    fn reach(&self) -> Option<i64> {
        // a search follows the money forward from its on-ramp, never
        // beyond `window` after it, and nothing before the on-ramp decides
        // anything: a shard that reads one window past its interval finds
        // every round trip that starts in it
        Some(self.window.micros())
    }

    fn lookback(&self) -> i64 {
        0
    }

    fn max_findings(&self) -> usize {
        self.max_findings
    }
}

impl AssetHopDetector {
    /// Run the detector.
    pub fn detect(&self, data: &Valued<'_>) -> Detection {
        let l = data.graph.ledger();
        let results: Vec<(Vec<Finding>, bool)> = (0..l.len() as u32)
            .into_par_iter()
            .with_min_len(256)
            .map(|i| {
                let start = TransferId(i);
                if !data.is_start(i as usize) || !self.is_on_ramp(data, start) {
                    return (Vec::new(), false);
                }
                let mut search = Search {
                    d: self,
                    data,
                    start_value: data.value_f64[i as usize],
                    end_time: data.time(start) + self.window.micros(),
                    accounts: vec![l.froms()[i as usize], l.tos()[i as usize]],
                    transfers: vec![start],
                    paths: Vec::new(),
                    steps: 0,
                    truncated: false,
                };
                search.extend();
                let mut by_end: BTreeMap<TransferId, Vec<Vec<TransferId>>> = BTreeMap::new();
                for p in search.paths {
                    by_end.entry(p[p.len() - 1]).or_default().push(p);
                }
                let findings = by_end
                    .into_values()
                    .map(|paths| self.finding(data, start, &paths))
                    .collect();
                (findings, search.truncated)
            })
            .collect();
        let truncated = results.iter().any(|(_, t)| *t);
        finish(
            results.into_iter().flat_map(|(f, _)| f).collect(),
            truncated,
            self.max_findings,
        )
    }

    fn is_on_ramp(&self, data: &Valued<'_>, t: TransferId) -> bool {
        let l = data.graph.ledger();
        let i = t.index();
        let (from, to) = (l.account(l.froms()[i]), l.account(l.tos()[i]));
        let paid = l.asset(l.assets_paid()[i]);
        let received = l.asset(l.assets_received()[i]);
        from.kind == AccountKind::BankAccount
            && !paid.virtual_currency
            && (to.kind == AccountKind::Exchange || received.virtual_currency)
            && data.value[i] >= self.min_amount
    }

    fn is_off_ramp(&self, data: &Valued<'_>, t: TransferId) -> bool {
        let l = data.graph.ledger();
        let i = t.index();
        let (from, to) = (l.account(l.froms()[i]), l.account(l.tos()[i]));
        let paid = l.asset(l.assets_paid()[i]);
        let received = l.asset(l.assets_received()[i]);
        to.kind == AccountKind::BankAccount
            && !received.virtual_currency
            && (from.kind == AccountKind::Exchange || paid.virtual_currency)
    }

    fn finding(&self, data: &Valued<'_>, start: TransferId, paths: &[Vec<TransferId>]) -> Finding {
        let l = data.graph.ledger();
        let transfers: BTreeSet<TransferId> = paths.iter().flatten().copied().collect();
        let end = paths[0][paths[0].len() - 1];
        // assets along the first path, in order, with repeats collapsed
        let mut assets: Vec<&str> = Vec::new();
        let mut virtual_assets: BTreeSet<&str> = BTreeSet::new();
        for p in paths {
            for &t in p {
                for a in [l.assets_paid()[t.index()], l.assets_received()[t.index()]] {
                    let asset = l.asset(a);
                    if asset.virtual_currency {
                        virtual_assets.insert(&asset.code);
                    }
                }
            }
        }
        for &t in &paths[0] {
            for a in [l.assets_paid()[t.index()], l.assets_received()[t.index()]] {
                let code = l.asset(a).code.as_str();
                if assets.last() != Some(&code) {
                    assets.push(code);
                }
            }
        }
        let changes = assets.len().saturating_sub(1);
        let typology = if virtual_assets.len() >= 2 {
            Typology::ChainHopping
        } else {
            Typology::OnOffRamp
        };
        let span = data.time(end) - data.time(start);
        let score = (0.4
            + (0.1 * changes.saturating_sub(2) as f64).min(0.2)
            + if virtual_assets.len() >= 2 { 0.1 } else { 0.0 }
            + 0.3 * (1.0 - span as f64 / self.window.micros().max(1) as f64).max(0.0))
        .min(1.0);
        let mut accounts: Vec<AccountId> = Vec::new();
        for p in paths {
            for &t in p {
                for a in [l.froms()[t.index()], l.tos()[t.index()]] {
                    if !accounts.contains(&a) {
                        accounts.push(a);
                    }
                }
            }
        }
        let (s, e) = (start.index(), end.index());
        let explanation = format!(
            "{} from {} into {}, on as {}, out as {} to {} within {} \
             ({} transfers, {} asset changes, {:.0}% of the value back)",
            l.show(l.amounts_paid()[s], l.assets_paid()[s]),
            data.key(l.froms()[s]),
            data.key(l.tos()[s]),
            assets[1..assets.len().saturating_sub(1)].join(" → "),
            l.show(l.amounts_received()[e], l.assets_received()[e]),
            data.key(l.tos()[e]),
            span_words(span),
            transfers.len(),
            changes,
            100.0 * data.value_f64[e] / data.value_f64[s].max(f64::MIN_POSITIVE)
        );
        data.finding(
            typology,
            score,
            accounts,
            transfers.into_iter().collect(),
            data.value[s],
            explanation,
        )
    }
}

impl Search<'_, '_> {
    /// Hops of the path between two virtual-asset addresses.
    fn wallet_hops(&self) -> usize {
        let l = self.data.graph.ledger();
        let wallet = |a: AccountId| l.account(a).kind == AccountKind::VirtualAssetAddress;
        self.transfers
            .iter()
            .filter(|t| wallet(l.froms()[t.index()]) && wallet(l.tos()[t.index()]))
            .count()
    }

    fn extend(&mut self) {
        let d = self.d;
        let g = self.data.graph;
        let l = g.ledger();
        let last = self.transfers[self.transfers.len() - 1];
        let u = self.accounts[self.accounts.len() - 1];
        let t = self.data.time(last);
        if self.transfers.len() >= d.max_hops {
            return;
        }
        let exchange = l.account(u).kind == AccountKind::Exchange;
        let until = if exchange {
            self.end_time.min(t + d.exchange_dwell.micros())
        } else {
            self.end_time
        };
        let out = g.outgoing(u, t..=until);
        let lo = d.min_hop_share * self.start_value;
        let hi = d.max_retention * self.start_value;
        let mut next: Vec<(TransferId, AccountId)> = out
            .transfer
            .iter()
            .zip(out.peer)
            .filter(|&(&x, &p)| {
                let v = self.data.value_f64[x.index()];
                x > last && p != u && v >= lo && v <= hi && !self.accounts.contains(&p)
            })
            .map(|(&x, &p)| (x, p))
            .collect();
        if exchange {
            // an exchange pays many: follow those closest in value to what came in
            let came = self.data.value_f64[last.index()];
            next.sort_by(|a, b| {
                let da = (self.data.value_f64[a.0.index()] - came).abs();
                let db = (self.data.value_f64[b.0.index()] - came).abs();
                da.total_cmp(&db).then(a.0.cmp(&b.0))
            });
            next.truncate(d.exchange_candidates);
            next.sort_unstable();
        }
        for (x, p) in next {
            self.steps += 1;
            if self.steps > d.max_steps_per_start || self.paths.len() >= d.max_paths_per_start {
                self.truncated = true;
                return;
            }
            self.transfers.push(x);
            self.accounts.push(p);
            let virtual_so_far = self.transfers.iter().any(|&y| {
                let i = y.index();
                l.asset(l.assets_paid()[i]).virtual_currency
                    || l.asset(l.assets_received()[i]).virtual_currency
            });
            let v = self.data.value_f64[x.index()];
            if self.d.is_off_ramp(self.data, x)
                && virtual_so_far
                && v >= d.min_retention * self.start_value
                && self.wallet_hops() >= d.min_wallet_hops
            {
                self.paths.push(self.transfers.clone());
            } else if l.account(p).kind != AccountKind::BankAccount {
                // money that reaches a bank account without an off-ramp stops here
                self.extend();
            }
            self.transfers.pop();
            self.accounts.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testkit::{with_threads, H};
    use crate::fx::FxTable;
    use crate::graph::FlowGraph;
    use crate::ledger::{LedgerBuilder, NewTransfer};
    use crate::model::Channel;

    /// bank → exchange (EUR) → wallet (BTC) → split in 3 → mixer → swap
    /// (BTC → USDT) → exchange (USDT) → bank (USD), as in the shipped sample.
    fn round_trip(back_after_hours: i64, swap: bool) -> FlowGraph {
        let mut b = LedgerBuilder::new();
        let eur = b.asset("EUR").unwrap();
        let usd = b.asset("USD").unwrap();
        let btc = b.asset("BTC").unwrap();
        let usdt = b.asset("USDT").unwrap();
        let kinds = [
            ("bank1", AccountKind::BankAccount),
            ("bank2", AccountKind::BankAccount),
            ("ex1", AccountKind::Exchange),
            ("ex2", AccountKind::Exchange),
            ("swap", AccountKind::Exchange),
        ];
        for (k, kind) in kinds {
            let a = b.account(k);
            b.describe_account(a, None, None, Some(kind));
        }
        let mut row = 0;
        let mut pay = |b: &mut LedgerBuilder, f: &str, t: &str, h: i64, x: &str, a, y: &str, r| {
            let (f, t) = (b.account(f), b.account(t));
            let mut tr = NewTransfer::simple(h * H, f, t, x.parse().unwrap(), a, row);
            tr.amount_received = y.parse().unwrap();
            tr.asset_received = r;
            tr.channel = Channel::VirtualCurrency;
            b.push(tr);
            row += 1;
        };
        pay(&mut b, "bank1", "ex1", 0, "100000", eur, "100000", eur);
        pay(&mut b, "ex1", "w1", 1, "2", btc, "2", btc);
        for (i, w) in ["w2", "w3", "w4"].iter().enumerate() {
            pay(&mut b, "w1", w, 2 + i as i64, "0.66", btc, "0.66", btc);
            pay(&mut b, w, "mixer", 6 + i as i64, "0.66", btc, "0.66", btc);
        }
        if swap {
            pay(&mut b, "mixer", "swap", 10, "1.95", btc, "105000", usdt);
            pay(&mut b, "swap", "ex2", 12, "105000", usdt, "105000", usdt);
        } else {
            pay(&mut b, "mixer", "ex2", 10, "1.95", btc, "1.95", btc);
        }
        pay(
            &mut b,
            "ex2",
            "bank2",
            back_after_hours,
            "104000",
            usd,
            "104000",
            usd,
        );
        // an unrelated honest purchase of BTC that stays in a wallet
        pay(&mut b, "bank1", "ex1", 30, "6000", eur, "6000", eur);
        pay(&mut b, "ex1", "w9", 31, "0.11", btc, "0.11", btc);
        for k in ["w1", "w2", "w3", "w4", "w9", "mixer"] {
            let a = b.account(k);
            b.describe_account(a, None, None, Some(AccountKind::VirtualAssetAddress));
        }
        FlowGraph::new(b.finish().unwrap())
    }

    fn valued(g: &FlowGraph) -> Valued<'_> {
        let rates = [
            ("USD", "1"),
            ("EUR", "1.1"),
            ("BTC", "55000"),
            ("USDT", "1"),
        ]
        .into_iter()
        .map(|(c, r)| (c.to_string(), r.parse().unwrap()))
        .collect();
        Valued::new(g, FxTable::given("USD", rates))
    }

    #[test]
    fn finds_the_round_trip_through_a_split_a_mixer_and_a_swap() {
        let g = round_trip(20, true);
        let data = valued(&g);
        let d = AssetHopDetector::default().detect(&data);
        assert_eq!(d.findings.len(), 1, "{:#?}", d.findings);
        let f = &d.findings[0];
        assert_eq!(f.typology, Typology::ChainHopping);
        assert_eq!(f.transfers.len(), 11, "every hop of the split and merge");
        assert!(
            f.explanation
                .contains("on as BTC → USDT, out as 104,000.00 USD to bank2 within 20 h"),
            "{}",
            f.explanation
        );
        assert!(!f.accounts.iter().any(|&a| data.key(a) == "w9"));
        // the same path with one virtual asset is an on/off ramp
        let g = round_trip(20, false);
        let data = valued(&g);
        let d = AssetHopDetector::default().detect(&data);
        assert_eq!(d.findings.len(), 1);
        assert_eq!(d.findings[0].typology, Typology::OnOffRamp);
    }

    #[test]
    fn ignores_a_return_outside_the_window_and_parallel_equals_sequential() {
        let g = round_trip(24 * 4, true);
        let data = valued(&g);
        assert!(AssetHopDetector::default()
            .detect(&data)
            .findings
            .is_empty());
        let g = round_trip(20, true);
        let data = valued(&g);
        let one = with_threads(1, || AssetHopDetector::default().detect(&data));
        let four = with_threads(4, || AssetHopDetector::default().detect(&data));
        assert_eq!(one, four);
        assert_eq!(one.findings.len(), 1);
    }
}
