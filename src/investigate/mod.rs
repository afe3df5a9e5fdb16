//! Parallel financial investigations: for each subject (an account, an
//! address, or `cluster:<address>` for the address's whole cluster in UTXO
//! data), with its case reference, a case
//! file built from one loaded data set: its inflows and outflows by
//! counterparty, asset, jurisdiction and month; the typology findings it
//! takes part in; the forward trace of the funds it sent and the backward
//! trace of the funds it holds; its links to the other subjects (shared
//! counterparties, and paths to the subjects of the same case); and what
//! could be frozen now.
//!
//! Subjects are investigated in parallel (rayon); the case files do not
//! depend on the number of threads. With a [`Pseudonymiser`], every
//! account and address key in them is replaced by its keyed hash, the same
//! in every file, for sharing across borders.

mod case;
mod pseudonym;

pub use pseudonym::Pseudonymiser;

use crate::detect::Finding;
use crate::error::Result;
pub use crate::ingest::SubjectSpec;
use crate::model::{AccountId, AssetId};
use crate::paths::PathOptions;
use crate::trace::{Balances, TraceOptions};
use crate::valued::Valued;
use rayon::prelude::*;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// How far to look.
#[derive(Debug, Clone, PartialEq)]
pub struct InvestigateOptions {
    /// Tracing rule and bounds for the forward and backward traces (hop
    /// limit 4 by default: a case file looks near the subject).
    pub trace: TraceOptions,
    /// Counterparties, holdings and sources listed per table: 25.
    pub top: usize,
    /// Entry transfers a backward trace may follow: 200.
    pub max_sources: usize,
    /// Paths between subjects of the same case: at most this many per
    /// pair and direction, 3; `max_hops` and `window` as in
    /// [`PathOptions`] (6 hops, 30 days).
    pub paths: PathOptions,
}

impl Default for InvestigateOptions {
    fn default() -> InvestigateOptions {
        InvestigateOptions {
            trace: TraceOptions {
                max_hops: 4,
                ..TraceOptions::default()
            },
            top: 25,
            max_sources: 200,
            paths: PathOptions {
                limit: 3,
                max_steps_per_start: 20_000,
                ..PathOptions::default()
            },
        }
    }
}

/// Money between the subject and one counterparty (or in one asset, one
/// jurisdiction, one month).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlowSummary {
    /// The counterparty key, asset code, jurisdiction or month (`YYYY-MM`).
    pub key: String,
    /// Transfers into the subject.
    pub transfers_in: u64,
    /// Value into the subject (reporting currency).
    pub value_in: Decimal,
    /// Transfers out of the subject.
    pub transfers_out: u64,
    /// Value out of the subject (reporting currency).
    pub value_out: Decimal,
}

/// A finding the subject takes part in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FindingRef {
    /// Its id in the analysis (`F000001`…).
    pub id: String,
    /// Typology.
    pub typology: String,
    /// Score.
    pub score: f64,
    /// Amount (reporting currency).
    pub amount: Decimal,
    /// The explanation (withheld in pseudonymised files, since it names
    /// accounts).
    pub explanation: String,
}

/// Where something is held.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Held {
    /// The account.
    pub account: String,
    /// Asset code.
    pub asset: String,
    /// Amount.
    pub amount: Decimal,
    /// Value in the reporting currency, where the asset has a rate.
    pub value: Option<Decimal>,
}

/// What could be frozen, valued so that the subject's money counts once.
///
/// The subject's own balances and the downstream holdings of what it paid
/// are different purses, but not always different money: an exchange that
/// keeps the euros it was paid and pays bitcoin from its own stock would
/// count the same value twice, once as its euros and once wherever the
/// bitcoin went. So the total counts at most the larger of what the
/// subject received and what it paid (the money that passed through it):
/// its own balances, plus the downstream holdings up to that flow less
/// what it kept; `capped` says when the limit cut the sum, and both parts
/// stay listed. The limit is conservative: an account that holds what it
/// received and paid as much again from an opening balance is counted
/// once.
///
/// ```
/// use moneytrail::investigate::FreezableValue;
/// use rust_decimal::Decimal;
/// let d = Decimal::from;
/// // an exchange kept 166,000 of euros and paid bitcoin now worth 160,000 downstream
/// let v = FreezableValue::new(d(166_000), d(160_000), d(171_600), d(171_600));
/// assert_eq!((v.total, v.capped), (d(171_600), true));
/// // an account that only paid, out of money the data does not show
/// let v = FreezableValue::new(d(0), d(52_000), d(0), d(52_200));
/// assert_eq!((v.total, v.capped), (d(52_000), false));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FreezableValue {
    /// Value of its own closing balances (where priced).
    pub own: Decimal,
    /// Value of the forward trace's holdings at other accounts.
    pub downstream: Decimal,
    /// `own` plus `downstream` up to the larger of value in and value out,
    /// less `own`.
    pub total: Decimal,
    /// Whether the limit cut `downstream`.
    pub capped: bool,
}

impl FreezableValue {
    /// The value from its parts and the subject's value received and paid.
    pub fn new(
        own: Decimal,
        downstream: Decimal,
        value_in: Decimal,
        value_out: Decimal,
    ) -> FreezableValue {
        let room = (value_in.max(value_out) - own).max(Decimal::ZERO);
        let counted = downstream.min(room);
        FreezableValue {
            own,
            downstream,
            total: own + counted,
            capped: counted < downstream,
        }
    }
}

/// The forward trace of the funds the subject sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForwardTrace {
    /// Rule.
    pub rule: String,
    /// What was traced, in words (the subject's payments to others by
    /// default; see [`SubjectSpec::trace`]).
    pub seeds: String,
    /// Transfers seeded.
    pub seeded_transfers: usize,
    /// Traced in, per asset.
    pub traced_in: BTreeMap<String, Decimal>,
    /// Held at the end, per asset.
    pub held: BTreeMap<String, Decimal>,
    /// Left the data, per asset.
    pub exited: BTreeMap<String, Decimal>,
    /// Whether the books balance.
    pub conserved: bool,
    /// The largest holdings.
    pub holdings: Vec<Held>,
    /// Each passage through an exchange, in words (see
    /// [`passage_words`](crate::trace::passage_words)).
    pub through_exchanges: Vec<String>,
    /// Where the trace stops at an exchange, in words (see
    /// [`stop_words`](crate::trace::stop_words)).
    pub stopped_at_exchanges: Vec<String>,
}

/// One source of the subject's balance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceRef {
    /// Where the money came from.
    pub account: String,
    /// The data row of the entry transfer.
    pub row: u32,
    /// Amount explained (the balance's asset).
    pub amount: Decimal,
}

/// The backward trace of one asset of the subject's closing balance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BackwardTrace {
    /// The account holding the balance (the subject, or a member of its
    /// cluster).
    pub account: String,
    /// Asset code.
    pub asset: String,
    /// Closing balance.
    pub balance: Decimal,
    /// Explained by sources.
    pub traced: Decimal,
    /// Not explained.
    pub untraced: Decimal,
    /// Whether the list of entry transfers was cut.
    pub truncated: bool,
    /// The largest sources.
    pub sources: Vec<SourceRef>,
}

/// A path to another subject of the same case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathRef {
    /// The accounts along it.
    pub accounts: Vec<String>,
    /// Data rows of its transfers.
    pub rows: Vec<u32>,
    /// Smallest hop value (reporting currency).
    pub bottleneck: Decimal,
}

/// A link to another subject.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Link {
    /// The other subject's case reference.
    pub case_ref: String,
    /// The other subject.
    pub subject: String,
    /// Counterparties both deal with (at most `top`).
    pub shared_counterparties: Vec<String>,
    /// How many they share.
    pub shared_count: usize,
    /// Paths from this subject to the other (same case only).
    pub paths_to: Vec<PathRef>,
    /// Paths from the other subject to this one (same case only).
    pub paths_from: Vec<PathRef>,
}

/// Everything the investigation found about one subject.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseFile {
    /// The case reference.
    pub case_ref: String,
    /// The subject as given.
    pub subject: String,
    /// Whether the subject is in the data.
    pub found: bool,
    /// Accounts the subject stands for: 1, or a cluster's size.
    pub member_count: usize,
    /// A cluster's members (the first `top`); empty for one account.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<String>,
    /// The reporting currency.
    pub currency: String,
    /// First and last transfer of the subject.
    pub first_time: Option<String>,
    /// Last transfer of the subject.
    pub last_time: Option<String>,
    /// Totals.
    pub total: FlowSummary,
    /// Per counterparty, largest first (at most `top`).
    pub counterparties: Vec<FlowSummary>,
    /// Counterparties in all.
    pub counterparty_count: usize,
    /// Per asset.
    pub assets: Vec<FlowSummary>,
    /// Per counterparty jurisdiction (`unknown` where not stated).
    pub jurisdictions: Vec<FlowSummary>,
    /// Per month.
    pub months: Vec<FlowSummary>,
    /// Findings it takes part in, highest score first.
    pub findings: Vec<FindingRef>,
    /// Where the funds it sent went.
    pub forward: Option<ForwardTrace>,
    /// Where the funds it holds came from, per asset.
    pub backward: Vec<BackwardTrace>,
    /// Links to other subjects.
    pub links: Vec<Link>,
    /// What could be frozen now: its own closing balances and the holdings
    /// of the forward trace.
    pub freezable: Vec<Held>,
    /// The value of [`CaseFile::freezable`], counting the subject's money
    /// once.
    pub freezable_value: FreezableValue,
    /// Exposure to tagged categories (when the investigation has tags).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exposure: Option<crate::attribution::Exposure>,
}

/// The investigation: data, findings, and shared precomputations.
pub struct Investigation<'a> {
    data: &'a Valued<'a>,
    findings: &'a [Finding],
    balances: &'a Balances,
    options: InvestigateOptions,
    by_account: HashMap<AccountId, Vec<usize>>,
    tagged: Option<(
        HashMap<AccountId, crate::model::Category>,
        crate::attribution::ExposureOptions,
    )>,
    clusters: Option<crate::attribution::Clusters>,
}

impl<'a> Investigation<'a> {
    /// Prepare an investigation over valued data and the findings of an
    /// analysis (`analysis.findings`, whose ids are `F` and the 1-based
    /// position).
    pub fn new(
        data: &'a Valued<'a>,
        findings: &'a [Finding],
        balances: &'a Balances,
        options: InvestigateOptions,
    ) -> Investigation<'a> {
        let mut by_account: HashMap<AccountId, Vec<usize>> = HashMap::new();
        for (i, f) in findings.iter().enumerate() {
            for &a in &f.accounts {
                by_account.entry(a).or_default().push(i);
            }
        }
        Investigation {
            data,
            findings,
            balances,
            options,
            by_account,
            tagged: None,
            clusters: None,
        }
    }

    /// Address clusters of UTXO data: subjects written `cluster:<address>`
    /// stand for every address of that address's cluster.
    pub fn with_clusters(mut self, clusters: crate::attribution::Clusters) -> Investigation<'a> {
        self.clusters = Some(clusters);
        self
    }

    /// The accounts a subject stands for, sorted; `None` when it is not in
    /// the data.
    fn members(&self, subject: &str) -> Option<Vec<AccountId>> {
        let l = self.data.graph.ledger();
        match subject.strip_prefix("cluster:") {
            Some(address) => {
                let c = self.clusters.as_ref()?;
                let cluster = c.cluster(address)?;
                let mut ids: Vec<AccountId> = c.members[cluster as usize]
                    .iter()
                    .filter_map(|&m| l.account_id(&c.addresses[m as usize]))
                    .collect();
                ids.sort_unstable();
                (!ids.is_empty()).then_some(ids)
            }
            None => l.account_id(subject).map(|a| vec![a]),
        }
    }

    /// Also compute each subject's exposure to the categories of these
    /// tagged accounts (see [`exposure`](crate::attribution::exposure)).
    pub fn with_tags(
        mut self,
        tagged: HashMap<AccountId, crate::model::Category>,
        options: crate::attribution::ExposureOptions,
    ) -> Investigation<'a> {
        self.tagged = Some((tagged, options));
        self
    }

    /// Build every subject's case file, in parallel, in the order given.
    ///
    /// # Errors
    ///
    /// When a trace fails (it does not on data the loaders produce).
    pub fn run(&self, subjects: &[SubjectSpec]) -> Result<Vec<CaseFile>> {
        let ids: Vec<Option<Vec<AccountId>>> =
            subjects.iter().map(|s| self.members(&s.subject)).collect();
        // counterparties of every subject, for links
        let counterparties: Vec<BTreeSet<AccountId>> = ids
            .par_iter()
            .map(|id| {
                id.as_deref()
                    .map(|m| self.counterparties(m))
                    .unwrap_or_default()
            })
            .collect();
        let mut index: HashMap<AccountId, Vec<usize>> = HashMap::new();
        for (s, set) in counterparties.iter().enumerate() {
            for &c in set {
                index.entry(c).or_default().push(s);
            }
        }
        let cohort = case::Cohort {
            subjects,
            ids: &ids,
            counterparties: &counterparties,
            index: &index,
        };
        (0..subjects.len())
            .into_par_iter()
            .map(|s| self.case(s, &cohort))
            .collect()
    }

    fn counterparties(&self, members: &[AccountId]) -> BTreeSet<AccountId> {
        let g = self.data.graph;
        members
            .iter()
            .flat_map(|&a| g.incoming(a, ..).peer.iter().chain(g.outgoing(a, ..).peer))
            .copied()
            .filter(|p| members.binary_search(p).is_err())
            .collect()
    }

    fn money_map(&self, totals: &crate::trace::Totals) -> BTreeMap<String, Decimal> {
        let l = self.data.graph.ledger();
        totals
            .iter()
            .map(|(a, v)| (l.asset(*a).code.clone(), v.normalize()))
            .collect()
    }

    fn held(&self, account: AccountId, asset: AssetId, amount: Decimal) -> Held {
        let l = self.data.graph.ledger();
        let code = &l.asset(asset).code;
        Held {
            account: l.account(account).key.clone(),
            asset: code.clone(),
            amount: amount.normalize(),
            value: self.data.fx.rate(code).map(|r| (amount * r).round_dp(2)),
        }
    }
}

impl CaseFile {
    /// Replace every account and address key by its pseudonym, and
    /// withhold the findings' explanations (they name accounts). Amounts,
    /// times, rows and structure are kept.
    pub fn pseudonymise(&mut self, p: &Pseudonymiser) {
        let name = |k: &mut String| *k = p.pseudonym(k);
        match self.subject.strip_prefix("cluster:") {
            Some(address) => self.subject = format!("cluster:{}", p.pseudonym(address)),
            None => name(&mut self.subject),
        }
        for m in &mut self.members {
            name(m);
        }
        for c in &mut self.counterparties {
            name(&mut c.key);
        }
        for f in &mut self.findings {
            f.explanation = "withheld in a pseudonymised export".to_string();
        }
        if let Some(fw) = &mut self.forward {
            for h in &mut fw.holdings {
                name(&mut h.account);
            }
            // words that name accounts are withheld, as explanations are
            let withheld = || "withheld in a pseudonymised export".to_string();
            if fw.seeds.starts_with("transfers ") {
                fw.seeds = withheld();
            }
            for w in fw
                .through_exchanges
                .iter_mut()
                .chain(&mut fw.stopped_at_exchanges)
            {
                *w = withheld();
            }
        }
        for b in &mut self.backward {
            name(&mut b.account);
            for s in &mut b.sources {
                name(&mut s.account);
            }
        }
        for link in &mut self.links {
            name(&mut link.subject);
            for c in &mut link.shared_counterparties {
                name(c);
            }
            for path in link.paths_to.iter_mut().chain(link.paths_from.iter_mut()) {
                for a in &mut path.accounts {
                    name(a);
                }
            }
        }
        for h in &mut self.freezable {
            name(&mut h.account);
        }
    }
}

#[cfg(test)]
mod tests;
