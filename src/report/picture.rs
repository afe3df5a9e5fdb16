//! A flow picture: the accounts and transfers of one finding or trace,
//! ready to be drawn ([`svg`](super::svg)) or exported
//! ([`dot`](super::dot), [`graphml`](super::graphml)). Every output that
//! shows a money flow is made from this one model, so they agree.

use crate::ledger::Ledger;
use crate::model::{AccountId, AccountKind, Channel, TransferId};
use crate::trace::Trace;
use rust_decimal::Decimal;
use std::collections::HashMap;

/// An account in a picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The account.
    pub account: AccountId,
    /// Its key in the data.
    pub key: String,
    /// Bank, payment institution or VASP, where known.
    pub institution: Option<String>,
    /// Country or jurisdiction, where known.
    pub jurisdiction: Option<String>,
    /// What sort of account it is.
    pub kind: AccountKind,
}

/// How a hop moves money, which the drawing shows by colour and dash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HopKind {
    /// Fiat money between accounts.
    Fiat,
    /// A virtual asset (on-chain or at an exchange).
    Virtual,
    /// The asset changes on the way (the payer pays one asset and the payee
    /// receives another).
    Conversion,
}

impl HopKind {
    /// `fiat`, `virtual` or `conversion`.
    pub fn name(self) -> &'static str {
        match self {
            HopKind::Fiat => "fiat",
            HopKind::Virtual => "virtual",
            HopKind::Conversion => "conversion",
        }
    }
}

/// A transfer in a picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrow {
    /// Index of the paying node in [`Picture::nodes`].
    pub from: usize,
    /// Index of the receiving node.
    pub to: usize,
    /// The transfer.
    pub transfer: TransferId,
    /// Its 0-based data row in the input file.
    pub row: u32,
    /// Its transaction id, where the input has one.
    pub tx_id: Option<String>,
    /// When (microseconds since the epoch).
    pub time_us: i64,
    /// Amount paid.
    pub amount_paid: Decimal,
    /// Asset paid.
    pub asset_paid: String,
    /// Amount received.
    pub amount_received: Decimal,
    /// Asset received.
    pub asset_received: String,
    /// How it was made.
    pub channel: Channel,
    /// Fiat, virtual or conversion.
    pub kind: HopKind,
    /// What the picture ranks and scales arrows by: the value in the
    /// reporting currency for findings, the traced value for traces.
    pub weight: Decimal,
    /// For traces: the tainted part of the amount paid.
    pub traced: Option<Decimal>,
}

/// The accounts and transfers of one finding or trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    /// An identifier (finding id, `trace`); used to name files and to keep
    /// SVG ids unique in a page.
    pub id: String,
    /// A title a person reads.
    pub title: String,
    /// Accounts, in the order they first appear in time.
    pub nodes: Vec<Node>,
    /// Transfers, in time order.
    pub arrows: Vec<Arrow>,
    /// Transfers left out because the picture was capped (the lightest by
    /// weight go first).
    pub omitted: usize,
    /// Whether arrow widths show [`Arrow::weight`] (traces), rather than
    /// all being drawn alike (findings).
    pub scaled: bool,
}

/// A transfer to put into a picture, with its weight and traced amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item {
    /// The transfer.
    pub transfer: TransferId,
    /// Its weight (value in the reporting currency, or traced value).
    pub weight: Decimal,
    /// For traces: the tainted part of the amount paid.
    pub traced: Option<Decimal>,
}

impl Picture {
    /// A picture of some transfers of `ledger`. At most `max_arrows` are
    /// kept (the heaviest; ties by time); the rest are counted in
    /// [`Picture::omitted`].
    ///
    /// ```
    /// use moneytrail::{LedgerBuilder, NewTransfer, TransferId};
    /// use moneytrail::report::{Item, Picture};
    /// use rust_decimal::Decimal;
    /// let mut b = LedgerBuilder::new();
    /// let (x, y, z) = (b.account("x"), b.account("y"), b.account("z"));
    /// let usd = b.asset("USD").unwrap();
    /// b.push(NewTransfer::simple(0, x, y, Decimal::from(900), usd, 0));
    /// b.push(NewTransfer::simple(60, y, z, Decimal::from(880), usd, 1));
    /// let ledger = b.finish().unwrap();
    /// let items: Vec<Item> = (0..2)
    ///     .map(|i| Item { transfer: TransferId(i), weight: Decimal::ONE, traced: None })
    ///     .collect();
    /// let p = Picture::new(&ledger, "F1", "a chain", &items, 10);
    /// assert_eq!(p.nodes.len(), 3);
    /// assert_eq!(p.arrows[1].from, 1);
    /// ```
    pub fn new(
        ledger: &Ledger,
        id: &str,
        title: &str,
        items: &[Item],
        max_arrows: usize,
    ) -> Picture {
        let mut kept: Vec<Item> = items.to_vec();
        let omitted = kept.len().saturating_sub(max_arrows);
        if omitted > 0 {
            kept.sort_by(|a, b| b.weight.cmp(&a.weight).then(a.transfer.cmp(&b.transfer)));
            kept.truncate(max_arrows);
        }
        // transfer ids are in time order
        kept.sort_by_key(|i| i.transfer);
        kept.dedup_by_key(|i| i.transfer);
        let mut index: HashMap<AccountId, usize> = HashMap::new();
        let mut nodes = Vec::new();
        let mut node = |a: AccountId| -> usize {
            *index.entry(a).or_insert_with(|| {
                let acc = ledger.account(a);
                nodes.push(Node {
                    account: a,
                    key: acc.key.clone(),
                    institution: acc.institution.clone(),
                    jurisdiction: acc.jurisdiction.clone(),
                    kind: acc.kind,
                });
                nodes.len() - 1
            })
        };
        let arrows = kept
            .iter()
            .map(|item| {
                let t = ledger.transfer(item.transfer);
                let paid = ledger.asset(t.asset_paid);
                let received = ledger.asset(t.asset_received);
                let kind = if t.asset_paid != t.asset_received {
                    HopKind::Conversion
                } else if paid.virtual_currency || t.channel == Channel::VirtualCurrency {
                    HopKind::Virtual
                } else {
                    HopKind::Fiat
                };
                Arrow {
                    from: node(t.from),
                    to: node(t.to),
                    transfer: t.id,
                    row: t.source_row,
                    tx_id: t.tx_id,
                    time_us: t.time.timestamp_micros(),
                    amount_paid: t.amount_paid,
                    asset_paid: paid.code.clone(),
                    amount_received: t.amount_received,
                    asset_received: received.code.clone(),
                    channel: t.channel,
                    kind,
                    weight: item.weight,
                    traced: item.traced,
                }
            })
            .collect();
        Picture {
            id: id.to_string(),
            title: title.to_string(),
            nodes,
            arrows,
            omitted,
            scaled: false,
        }
    }

    /// The picture of a trace: every tainted transfer, weighted by its
    /// tainted value in the reporting currency (`rate` of the asset paid;
    /// the tainted amount itself where no rate is known), arrows scaled.
    pub fn of_trace(
        ledger: &Ledger,
        trace: &Trace,
        rate: impl Fn(&str) -> Option<Decimal>,
        max_arrows: usize,
    ) -> Picture {
        let title = format!("where the traced value went ({})", trace.rule);
        Picture::of_flows(ledger, &trace.flows, rate, max_arrows, "trace", &title)
    }

    /// The picture of tainted transfers (a trace's, or the ways by which a
    /// backward trace's sources reached its target), weighted as in
    /// [`Picture::of_trace`], arrows scaled.
    pub fn of_flows(
        ledger: &Ledger,
        flows: &[crate::trace::Flow],
        rate: impl Fn(&str) -> Option<Decimal>,
        max_arrows: usize,
        id: &str,
        title: &str,
    ) -> Picture {
        let items: Vec<Item> = flows
            .iter()
            .map(|f| {
                let asset = &ledger.asset(ledger.assets_paid()[f.transfer.index()]).code;
                Item {
                    transfer: f.transfer,
                    weight: rate(asset).map_or(f.paid, |r| f.paid * r),
                    traced: Some(f.paid),
                }
            })
            .collect();
        let mut p = Picture::new(ledger, id, title, &items, max_arrows);
        p.scaled = true;
        p
    }

    /// The picture of a finding (its transfers weighted by value), titled
    /// with its id, typology and explanation as written to findings.json.
    pub fn of_finding(
        data: &crate::Valued<'_>,
        finding: &crate::detect::Finding,
        record: &super::FindingRecord,
        max_arrows: usize,
    ) -> Picture {
        let items: Vec<Item> = finding
            .transfers
            .iter()
            .map(|&t| Item {
                transfer: t,
                weight: data.value[t.index()],
                traced: None,
            })
            .collect();
        Picture::new(
            data.graph.ledger(),
            &record.id,
            &format!("{} {}: {}", record.id, record.typology, record.explanation),
            &items,
            max_arrows,
        )
    }

    /// The neighbourhood of an account: its own transfers in and out (the
    /// `max_arrows` largest by value), for the picture of a subject.
    pub fn neighbourhood(
        data: &crate::Valued<'_>,
        account: AccountId,
        id: &str,
        max_arrows: usize,
    ) -> Picture {
        let g = data.graph;
        let items: Vec<Item> = g
            .incoming(account, ..)
            .transfer
            .iter()
            .chain(g.outgoing(account, ..).transfer)
            .map(|&t| Item {
                transfer: t,
                weight: data.value[t.index()],
                traced: None,
            })
            .collect();
        let title = format!("transfers of {}", data.key(account));
        Picture::new(g.ledger(), id, &title, &items, max_arrows)
    }

    /// Replace every account key (and the title, which may name one) by
    /// its pseudonym.
    pub fn pseudonymise(&mut self, p: &crate::investigate::Pseudonymiser) {
        for n in &mut self.nodes {
            n.key = p.pseudonym(&n.key);
        }
        self.title = format!("{} (pseudonymised)", self.id);
    }

    /// The data rows of the transfers drawn, ascending.
    pub fn rows(&self) -> Vec<u32> {
        let mut rows: Vec<u32> = self.arrows.iter().map(|a| a.row).collect();
        rows.sort_unstable();
        rows
    }
}
