//! Following money through an exchange's books.
//!
//! An exchange (VASP) takes a customer's deposit in one transfer and pays
//! out in another, often in another asset, from a pooled balance. Its
//! books do not say which payout a deposit funded; the tracer keeps one
//! purse per account and asset, so without more it stops at the exchange
//! (see [`exchange_stops`](super::exchange_stops)). An [`ExchangeLinks`]
//! says which payouts a deposit funded, and how much of each:
//!
//! * **detected** ([`ExchangeLinks::detected`]): the deposits and payouts
//!   that the asset-hop detector's `on_off_ramp` and `chain_hopping`
//!   findings join at an exchange (money that came in and went out again
//!   within the detector's dwell, close in value, on a round trip between
//!   fiat and virtual assets);
//! * **given** ([`ExchangeLinks::from_pairs`]): deposit/payout pairs from
//!   the exchange's own records (`--exchange-links` in the CLI), the
//!   pairing an exchange gives when asked which payouts a deposit funded.
//!
//! The rule the tracer applies ([`TraceOptions::exchange_links`](super::TraceOptions)):
//! the linked part of a deposit does not enter the exchange's purse; it
//! waits at the exchange and leaves with the payouts it is linked to,
//! converted at the exchange's own rate (what the payout paid for the part
//! of the deposit it took). The rest of the deposit, and the rest of each
//! payout, go through the exchange's purse under the allocation rule as
//! before. Linked money still at the exchange when a trace ends (its
//! payout is after the horizon) is held by the exchange.
//!
//! How much of a deposit a payout took is decided by value in the
//! reporting currency, deposits and payouts in time order: each linked
//! payout takes as much of each linked deposit as both have left. A pair
//! whose deposit or payout has no value (an unpriced asset) is left out
//! and counted in [`ExchangeLinks::unpriced`].

use crate::detect::{AssetHopDetector, Finding, Typology};
use crate::error::{Error, Result};
use crate::model::{AccountKind, TransferId};
use crate::valued::Valued;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use std::collections::BTreeSet;

/// One deposit's part in one payout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeLink {
    /// The transfer into the exchange.
    pub deposit: TransferId,
    /// The exchange's later payment.
    pub payout: TransferId,
    /// How much of the deposit (asset received) the payout took.
    pub deposited: Decimal,
    /// How much of the payout (asset paid) that part funded.
    pub paid: Decimal,
}

/// Links between deposits into exchanges and their payouts (see the module
/// documentation). Empty by default: tracing stops at exchanges.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExchangeLinks {
    links: Vec<ExchangeLink>,
    by_deposit: FxHashMap<TransferId, Vec<usize>>,
    by_payout: FxHashMap<TransferId, Vec<usize>>,
    /// Per payout: the part of its amount paid that linked deposits fund.
    covered: FxHashMap<TransferId, Decimal>,
    /// Per deposit: the part of its amount received that leaves with payouts.
    linked: FxHashMap<TransferId, Decimal>,
    unpriced: usize,
}

impl ExchangeLinks {
    /// Links from deposit/payout pairs: each deposit paid to the account
    /// that makes the payout, before it.
    ///
    /// # Errors
    ///
    /// When a transfer is not in the graph, or a pair's deposit does not
    /// reach the payout's payer before the payout.
    ///
    /// # Example
    ///
    /// ```
    /// use moneytrail::fx::FxTable;
    /// use moneytrail::trace::ExchangeLinks;
    /// use moneytrail::{FlowGraph, LedgerBuilder, NewTransfer, TransferId, Valued};
    /// use rust_decimal::Decimal;
    ///
    /// let mut b = LedgerBuilder::new();
    /// let (alice, vasp, bob) = (b.account("alice"), b.account("vasp"), b.account("bob"));
    /// let (usdt, usd) = (b.asset("USDT").unwrap(), b.asset("USD").unwrap());
    /// b.push(NewTransfer::simple(0, alice, vasp, Decimal::from(1000), usdt, 0));
    /// b.push(NewTransfer::simple(10, vasp, bob, Decimal::from(990), usd, 1));
    /// let g = FlowGraph::new(b.finish().unwrap());
    /// let rates = [("USD", 1), ("USDT", 1)].map(|(c, r)| (c.to_string(), Decimal::from(r)));
    /// let data = Valued::new(&g, FxTable::given("USD", rates.into_iter().collect()));
    /// let links = ExchangeLinks::from_pairs(&data, [(TransferId(0), TransferId(1))]).unwrap();
    /// // the payout took 990 of the 1,000 deposited; 10 stays at the exchange
    /// assert_eq!(links.links()[0].deposited, Decimal::from(990));
    /// assert_eq!(links.links()[0].paid, Decimal::from(990));
    /// ```
    pub fn from_pairs(
        data: &Valued<'_>,
        pairs: impl IntoIterator<Item = (TransferId, TransferId)>,
    ) -> Result<ExchangeLinks> {
        let l = data.graph.ledger();
        let pairs: BTreeSet<(TransferId, TransferId)> = pairs.into_iter().collect();
        for &(d, x) in &pairs {
            for t in [d, x] {
                if t.index() >= l.len() {
                    return Err(Error::invalid(format!("no transfer {}", t.0)));
                }
            }
            let (di, xi) = (d.index(), x.index());
            if l.tos()[di] != l.froms()[xi] || d >= x {
                return Err(Error::invalid(format!(
                    "transfer {} does not pay {} before transfer {}: not a deposit and its payout",
                    l.describe(d),
                    l.account(l.froms()[xi]).key,
                    l.describe(x)
                )));
            }
        }
        let mut links = ExchangeLinks::default();
        // what is left of each deposit's and each payout's value to
        // allocate (a payout of one exchange may be a deposit at the next)
        let mut deposit_left: FxHashMap<TransferId, Decimal> = FxHashMap::default();
        let mut payout_left: FxHashMap<TransferId, Decimal> = FxHashMap::default();
        let mut allocations = Vec::new();
        for &(d, x) in &pairs {
            let (vd, vx) = (data.value[d.index()], data.value[x.index()]);
            if vd <= Decimal::ZERO || vx <= Decimal::ZERO {
                links.unpriced += 1;
                continue;
            }
            let left_d = *deposit_left.entry(d).or_insert(vd);
            let left_x = *payout_left.entry(x).or_insert(vx);
            let part = left_d.min(left_x);
            if part <= Decimal::ZERO {
                continue;
            }
            deposit_left.insert(d, left_d - part);
            payout_left.insert(x, left_x - part);
            allocations.push((d, x, part));
        }
        for (d, x, part) in allocations {
            let (di, xi) = (d.index(), x.index());
            let portion = |amount: Decimal, value: Decimal, used: Decimal| {
                super::share(amount, part, value).min(amount - used)
            };
            let used_d = links.linked.get(&d).copied().unwrap_or_default();
            let used_x = links.covered.get(&x).copied().unwrap_or_default();
            let deposited = portion(l.amounts_received()[di], data.value[di], used_d);
            let paid = portion(l.amounts_paid()[xi], data.value[xi], used_x);
            if deposited <= Decimal::ZERO || paid <= Decimal::ZERO {
                continue;
            }
            *links.linked.entry(d).or_default() += deposited;
            *links.covered.entry(x).or_default() += paid;
            links
                .by_deposit
                .entry(d)
                .or_default()
                .push(links.links.len());
            links
                .by_payout
                .entry(x)
                .or_default()
                .push(links.links.len());
            links.links.push(ExchangeLink {
                deposit: d,
                payout: x,
                deposited,
                paid,
            });
        }
        Ok(links)
    }

    /// Links from the asset-hop findings among `findings` (typologies
    /// `on_off_ramp` and `chain_hopping`): in each, every transfer into an
    /// exchange and every later transfer of the finding out of it.
    pub fn from_findings(data: &Valued<'_>, findings: &[Finding]) -> ExchangeLinks {
        let l = data.graph.ledger();
        let mut pairs = BTreeSet::new();
        let round_trips = findings
            .iter()
            .filter(|f| matches!(f.typology, Typology::OnOffRamp | Typology::ChainHopping));
        for f in round_trips {
            for &x in &f.transfers {
                let exchange = l.froms()[x.index()];
                if l.account(exchange).kind != AccountKind::Exchange {
                    continue;
                }
                for &d in &f.transfers {
                    if d < x && l.tos()[d.index()] == exchange {
                        pairs.insert((d, x));
                    }
                }
            }
        }
        ExchangeLinks::from_pairs(data, pairs).expect("pairs of a finding are deposits and payouts")
    }

    /// The links a run follows, by one rule for every command: the pairs
    /// of `file` (a CSV of `deposit,payout`) when given; else none when
    /// `follow` is false; else those of the asset-hop findings among
    /// `findings` when the run has findings, or of the detector run now.
    ///
    /// # Errors
    ///
    /// When the file cannot be read or names transfers that are not a
    /// deposit into an exchange and a later payout from it.
    pub fn chosen(
        data: &Valued<'_>,
        follow: bool,
        file: Option<&std::path::Path>,
        findings: Option<&[Finding]>,
    ) -> crate::Result<ExchangeLinks> {
        Ok(match (file, follow, findings) {
            (Some(path), ..) => {
                let pairs = crate::ingest::read_exchange_links(path, data.graph.ledger())?;
                ExchangeLinks::from_pairs(data, pairs)?
            }
            (None, false, _) => ExchangeLinks::default(),
            (None, true, Some(findings)) => ExchangeLinks::from_findings(data, findings),
            (None, true, None) => ExchangeLinks::detected(data),
        })
    }

    /// Links from the asset-hop detector run with its default parameters.
    pub fn detected(data: &Valued<'_>) -> ExchangeLinks {
        let found = AssetHopDetector::default().detect(data);
        ExchangeLinks::from_findings(data, &found.findings)
    }

    /// The links, by deposit then payout.
    pub fn links(&self) -> &[ExchangeLink] {
        &self.links
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.links.is_empty()
    }

    /// Pairs left out because a deposit or payout has no value.
    pub fn unpriced(&self) -> usize {
        self.unpriced
    }

    /// The links of one deposit.
    pub(super) fn of_deposit(&self, t: TransferId) -> impl Iterator<Item = &ExchangeLink> {
        self.by_deposit
            .get(&t)
            .into_iter()
            .flatten()
            .map(|&i| &self.links[i])
    }

    /// The deposits linked to one payout.
    pub(super) fn deposits_of(&self, x: TransferId) -> impl Iterator<Item = TransferId> + '_ {
        self.by_payout
            .get(&x)
            .into_iter()
            .flatten()
            .map(|&i| self.links[i].deposit)
    }

    pub(super) fn is_deposit(&self, t: TransferId) -> bool {
        self.linked.contains_key(&t)
    }

    /// The part of a deposit's amount received that leaves with payouts.
    pub(super) fn linked_part(&self, t: TransferId) -> Decimal {
        self.linked.get(&t).copied().unwrap_or_default()
    }

    /// The part of a payout's amount paid that linked deposits fund.
    pub(super) fn covered_part(&self, t: TransferId) -> Decimal {
        self.covered.get(&t).copied().unwrap_or_default()
    }
}
