//! Transfers valued in one reporting currency: the graph every detector,
//! path search and report works on.

use crate::fx::FxTable;
use crate::graph::FlowGraph;
use crate::ledger::Ledger;
use crate::model::{AccountId, TransferId};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use std::sync::Arc;

/// The graph and every transfer's amount paid in the reporting currency.
#[derive(Debug)]
pub struct Valued<'g> {
    /// The graph.
    pub graph: &'g FlowGraph,
    /// The FX table used.
    pub fx: FxTable,
    /// Amount paid of each transfer, in the reporting currency.
    pub value: Vec<Decimal>,
    /// The same as `f64`, for ratios in hot loops (never for totals).
    pub value_f64: Vec<f64>,
    /// Time from the first to the last transfer of the data set
    /// (microseconds, at least one).
    pub span_us: i64,
    /// When the graph is a shard: what the detectors need to know about
    /// the whole data.
    whole: Option<Arc<WholeData>>,
    /// When the graph is a shard: the transfers it owns (searches that
    /// start from a transfer start only from these).
    owned: Option<(usize, usize)>,
    /// When the graph is an account part: the accounts it owns, by id
    /// (per-account detectors judge only these; the part holds every
    /// transfer they take part in).
    owned_accounts: Option<Arc<[bool]>>,
}

/// What a shard of the data cannot see itself and the detectors use:
/// the whole data's span (the burst test divides by it), each account's
/// transfer counts (the cycle search leaves out accounts above
/// `max_degree`) and its number of distinct payees (so do bipartite
/// blocks). Made in one pass over the transfers and one sort of their
/// account pairs, in 12 bytes per account.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WholeData {
    /// First and last transfer time.
    first_us: Option<i64>,
    last_us: i64,
    out_degree: Vec<u32>,
    in_degree: Vec<u32>,
    payees: Vec<u32>,
}

/// A transfer's payer and payee in one number, for
/// [`WholeData::from_pairs`].
pub(crate) fn pair_key(from: AccountId, to: AccountId) -> u64 {
    (u64::from(from.0) << 32) | u64::from(to.0)
}

impl WholeData {
    /// The facts of a whole ledger.
    ///
    /// ```
    /// use moneytrail::{LedgerBuilder, NewTransfer, WholeData};
    /// use rust_decimal::Decimal;
    /// let mut b = LedgerBuilder::new();
    /// let (a, c) = (b.account("a"), b.account("c"));
    /// let usd = b.asset("USD").unwrap();
    /// b.push(NewTransfer::simple(10, a, c, Decimal::ONE, usd, 0));
    /// b.push(NewTransfer::simple(70, a, c, Decimal::ONE, usd, 1));
    /// b.push(NewTransfer::simple(80, c, c, Decimal::ONE, usd, 2));
    /// let whole = WholeData::of(&b.finish().unwrap());
    /// assert_eq!(whole.span_us(), 70);
    /// assert_eq!((whole.payees(a), whole.payees(c)), (1, 0)); // c paying itself is no payee
    /// ```
    pub fn of(ledger: &Ledger) -> WholeData {
        use rayon::prelude::*;
        let pairs: Vec<u64> = ledger
            .froms()
            .par_iter()
            .zip(ledger.tos())
            .map(|(f, t)| pair_key(*f, *t))
            .collect();
        let times = ledger.times_us();
        WholeData::from_pairs(
            ledger.accounts().len(),
            times.first().copied(),
            times.last().copied().unwrap_or(0),
            pairs,
        )
    }

    /// The facts of a whole data set told in pieces: its number of
    /// accounts, first and last transfer time, and every transfer's
    /// payer and payee as [`pair_key`]s (in any order; sorted here).
    pub(crate) fn from_pairs(
        accounts: usize,
        first_us: Option<i64>,
        last_us: i64,
        mut pairs: Vec<u64>,
    ) -> WholeData {
        use rayon::prelude::*;
        let mut whole = WholeData {
            first_us,
            last_us,
            out_degree: vec![0; accounts],
            in_degree: vec![0; accounts],
            payees: vec![0; accounts],
        };
        let split = |pair: u64| ((pair >> 32) as usize, (pair & 0xffff_ffff) as usize);
        for &pair in &pairs {
            let (f, t) = split(pair);
            whole.out_degree[f] += 1;
            whole.in_degree[t] += 1;
        }
        pairs.par_sort_unstable();
        pairs.dedup();
        for pair in pairs {
            let (f, t) = split(pair);
            if f != t {
                whole.payees[f] += 1;
            }
        }
        whole
    }

    /// The account's distinct payees in the whole data, itself left out.
    pub fn payees(&self, a: AccountId) -> usize {
        self.payees.get(a.index()).map_or(0, |&n| n as usize)
    }

    /// Accounts of the whole data.
    pub fn accounts(&self) -> usize {
        self.out_degree.len()
    }

    /// Time from the first to the last transfer (at least one).
    pub fn span_us(&self) -> i64 {
        self.first_us.map_or(1, |f| (self.last_us - f).max(1))
    }
}

impl<'g> Valued<'g> {
    /// Value a graph's transfers with an FX table.
    pub fn new(graph: &'g FlowGraph, fx: FxTable) -> Valued<'g> {
        let fx = fx.check(graph.ledger());
        let value = fx.value_paid(graph.ledger());
        let value_f64 = value.iter().map(|v| v.to_f64().unwrap_or(0.0)).collect();
        let times = graph.ledger().times_us();
        let span_us = match (times.first(), times.last()) {
            (Some(a), Some(b)) => (b - a).max(1),
            _ => 1,
        };
        Valued {
            graph,
            fx,
            value,
            value_f64,
            span_us,
            whole: None,
            owned: None,
            owned_accounts: None,
        }
    }

    /// Value a shard of the data: what its detectors need to know about
    /// the whole data (the span, transfer counts) comes from `whole`, with
    /// the same account ids; `owned` is the range of the shard's transfers
    /// (its own ids) that it owns, the only ones searches start from.
    pub fn shard(
        graph: &'g FlowGraph,
        fx: FxTable,
        whole: Arc<WholeData>,
        owned: (usize, usize),
    ) -> Valued<'g> {
        let mut valued = Valued::new(graph, fx);
        valued.span_us = whole.span_us();
        valued.whole = Some(whole);
        valued.owned = Some(owned);
        valued
    }

    /// Value an account part of the data: a graph that holds every
    /// transfer of the accounts `owned` marks (by account id, the whole
    /// data's ids), and what the detectors need to know about the whole
    /// data from `whole`. Per-account detectors judge only the owned
    /// accounts, whose histories the part holds whole.
    pub fn account_part(
        graph: &'g FlowGraph,
        fx: FxTable,
        whole: Arc<WholeData>,
        owned: Arc<[bool]>,
    ) -> Valued<'g> {
        let mut valued = Valued::new(graph, fx);
        valued.span_us = whole.span_us();
        valued.whole = Some(whole);
        valued.owned_accounts = Some(owned);
        valued
    }

    /// The account's distinct payees (itself left out) in the whole data,
    /// when this is a part of it; `None` for whole data, where the graph
    /// tells.
    pub fn whole_payees(&self, a: AccountId) -> Option<usize> {
        self.whole.as_ref().map(|w| w.payees(a))
    }

    /// Whether a per-account detector judges account `a` here: any account
    /// of whole data or a time shard; in an account part, only those it
    /// owns (the others are there as counterparties).
    pub fn owns_account(&self, a: AccountId) -> bool {
        self.owned_accounts
            .as_ref()
            .is_none_or(|o| o.get(a.index()).copied().unwrap_or(false))
    }

    /// Whether a search may start from transfer `t`: any transfer of
    /// whole data; in a shard, only those it owns (the others are the
    /// overlap, read for what follows them).
    pub fn is_start(&self, t: usize) -> bool {
        self.owned.is_none_or(|(lo, hi)| t >= lo && t < hi)
    }

    /// Transfers the account paid, in the whole data (self-transfers
    /// included).
    pub fn out_degree(&self, a: AccountId) -> usize {
        match &self.whole {
            Some(w) => w.out_degree.get(a.index()).map_or(0, |&d| d as usize),
            None => self.graph.outgoing(a, ..).len(),
        }
    }

    /// Transfers the account received, in the whole data.
    pub fn in_degree(&self, a: AccountId) -> usize {
        match &self.whole {
            Some(w) => w.in_degree.get(a.index()).map_or(0, |&d| d as usize),
            None => self.graph.incoming(a, ..).len(),
        }
    }

    /// Value a graph with rates implied by its own conversions (see
    /// [`FxTable::implied`]).
    pub fn implied(graph: &'g FlowGraph, reporting: &str) -> Valued<'g> {
        let fx = FxTable::implied(graph.ledger(), reporting);
        Valued::new(graph, fx)
    }

    /// The reporting currency.
    pub fn currency(&self) -> &str {
        &self.fx.reporting
    }

    /// Whether an account is infrastructure rather than a party: cash or an
    /// unidentified counterparty, or an exchange (VASP). Such accounts are
    /// never the hub of a fan, a gather-scatter, a scatter-gather or a
    /// pass-through: cash is not an account anyone controls, and an
    /// exchange pays and is paid by many customers every day by design.
    /// (They can still be on a path, a cycle or a chain.)
    pub fn is_infrastructure(&self, a: AccountId) -> bool {
        matches!(
            self.graph.ledger().account(a).kind,
            crate::model::AccountKind::CashOrUnknown | crate::model::AccountKind::Exchange
        )
    }

    /// How much busier an account is inside a window than on average:
    /// (its transfers in the window ÷ all its transfers) × (data span ÷
    /// window). About 1 for steady activity (a merchant, a payroll); large
    /// when the account does most of its business in one burst, as
    /// laundering accounts do. When the whole data set spans less than two
    /// windows the ratio cannot tell a burst from steady business, and it is
    /// infinite (every test on it passes).
    pub fn burst(&self, in_window: usize, total: usize, window: i64) -> f64 {
        if self.span_us < 2 * window {
            return f64::INFINITY;
        }
        if total == 0 {
            return 0.0;
        }
        let share = in_window as f64 / total as f64;
        share * (self.span_us as f64 / window.max(1) as f64).max(1.0)
    }

    /// Sum of the values of some transfers.
    pub fn total(&self, transfers: &[TransferId]) -> Decimal {
        transfers.iter().map(|t| self.value[t.index()]).sum()
    }

    /// The time of a transfer.
    pub fn time(&self, t: TransferId) -> i64 {
        self.graph.ledger().times_us()[t.index()]
    }

    /// An account's key.
    pub fn key(&self, a: AccountId) -> &str {
        &self.graph.ledger().account(a).key
    }

    /// The assets without a rate, each with how many transfers pay in it
    /// (their value is zero, so no threshold in the reporting currency can
    /// see them), in asset order.
    pub fn unpriced(&self) -> Vec<(String, usize)> {
        let ledger = self.graph.ledger();
        let mut paid_in = vec![0usize; ledger.assets().len()];
        for asset in ledger.assets_paid() {
            paid_in[asset.index()] += 1;
        }
        ledger
            .assets()
            .iter()
            .zip(paid_in)
            .filter(|(asset, _)| self.fx.unpriced.contains(&asset.code))
            .map(|(asset, count)| (asset.code.clone(), count))
            .collect()
    }

    /// One warning per asset without a rate, naming it, the transfers it
    /// leaves at zero and the fix; empty when every asset is priced.
    ///
    /// ```
    /// use moneytrail::{FlowGraph, LedgerBuilder, NewTransfer, Valued};
    /// use rust_decimal::Decimal;
    /// let mut b = LedgerBuilder::new();
    /// let (x, y) = (b.account("x"), b.account("y"));
    /// let btc = b.asset("BTC").unwrap();
    /// b.push(NewTransfer::simple(0, x, y, Decimal::ONE, btc, 0));
    /// let g = FlowGraph::new(b.finish().unwrap());
    /// let warnings = Valued::implied(&g, "USD").fx_warnings();
    /// assert!(warnings[0].starts_with("no USD rate for BTC: 1 transfer valued at 0 USD"));
    /// ```
    pub fn fx_warnings(&self) -> Vec<String> {
        fx_warnings(self.currency(), &self.unpriced())
    }

    /// Format an amount in the reporting currency at its precision, with
    /// thousands separators (`52,218.40 USD`).
    pub fn money(&self, amount: Decimal) -> String {
        crate::model::Asset::from_code(&self.fx.reporting).show(amount)
    }
}

/// One warning per asset without a rate in `currency`, with how many
/// transfers pay in it (as [`Valued::unpriced`] gives them): what
/// [`Valued::fx_warnings`] says.
pub(crate) fn fx_warnings(currency: &str, unpriced: &[(String, usize)]) -> Vec<String> {
    unpriced
        .iter()
        .map(|(code, count)| {
            format!(
                "no {currency} rate for {code}: {} valued at 0 {currency}, so value thresholds never see {}; give its rate in an FX file (`asset,rate` lines, --fx FILE)",
                crate::format::count(*count, "transfer"),
                if *count == 1 { "it" } else { "them" },
            )
        })
        .collect()
}
