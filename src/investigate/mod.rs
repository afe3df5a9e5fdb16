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

mod pseudonym;

pub use pseudonym::Pseudonymiser;

use crate::detect::Finding;
use crate::error::Result;
pub use crate::ingest::SubjectSpec;
use crate::model::{AccountId, AssetId, TransferId};
use crate::paths::{find_paths, PathOptions};
use crate::time;
use crate::trace::{sources_of_funds, trace, Balances, Seed, Target, TraceOptions};
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

/// The forward trace of the funds the subject sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForwardTrace {
    /// Rule.
    pub rule: String,
    /// Transfers seeded (the subject's payments to others).
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
        (0..subjects.len())
            .into_par_iter()
            .map(|s| self.case(s, subjects, &ids, &counterparties, &index))
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

    fn case(
        &self,
        s: usize,
        subjects: &[SubjectSpec],
        ids: &[Option<Vec<AccountId>>],
        counterparties: &[BTreeSet<AccountId>],
        index: &HashMap<AccountId, Vec<usize>>,
    ) -> Result<CaseFile> {
        let spec = &subjects[s];
        let currency = self.data.currency().to_string();
        let empty = |key: &str| FlowSummary {
            key: key.to_string(),
            transfers_in: 0,
            value_in: Decimal::ZERO,
            transfers_out: 0,
            value_out: Decimal::ZERO,
        };
        let Some(members) = ids[s].as_deref() else {
            return Ok(CaseFile {
                case_ref: spec.case_ref.clone(),
                subject: spec.subject.clone(),
                found: false,
                member_count: 0,
                members: Vec::new(),
                currency,
                first_time: None,
                last_time: None,
                total: empty("total"),
                counterparties: Vec::new(),
                counterparty_count: 0,
                assets: Vec::new(),
                jurisdictions: Vec::new(),
                months: Vec::new(),
                findings: Vec::new(),
                forward: None,
                backward: Vec::new(),
                links: Vec::new(),
                freezable: Vec::new(),
                exposure: None,
            });
        };
        let g = self.data.graph;
        let l = g.ledger();
        let top = self.options.top;
        // flows by counterparty, asset, jurisdiction, month
        let mut total = empty("total");
        let mut by_cp: BTreeMap<AccountId, FlowSummary> = BTreeMap::new();
        let mut by_asset: BTreeMap<String, FlowSummary> = BTreeMap::new();
        let mut by_jur: BTreeMap<String, FlowSummary> = BTreeMap::new();
        let mut by_month: BTreeMap<String, FlowSummary> = BTreeMap::new();
        let mut times: Vec<i64> = Vec::new();
        let mut flows: Vec<(bool, i64, TransferId, AccountId)> = Vec::new();
        let member = |x: &AccountId| members.binary_search(x).is_ok();
        let mut closing: BTreeMap<(AccountId, AssetId), Decimal> = BTreeMap::new();
        let mut seeds: Vec<Seed> = Vec::new();
        for &a in members {
            for (incoming, adj) in [(true, g.incoming(a, ..)), (false, g.outgoing(a, ..))] {
                for (t_us, t, peer) in adj.iter() {
                    let i = t.index();
                    if incoming {
                        *closing.entry((a, l.assets_received()[i])).or_default() +=
                            l.amounts_received()[i];
                    } else {
                        *closing.entry((a, l.assets_paid()[i])).or_default() -= l.amounts_paid()[i];
                    }
                    if member(&peer) {
                        continue; // within the subject
                    }
                    if !incoming {
                        seeds.push(Seed::Transfer {
                            transfer: t,
                            amount: None,
                        });
                    }
                    flows.push((incoming, t_us, t, peer));
                }
            }
        }
        flows.sort_unstable_by_key(|f| (f.2, f.0));
        for &(incoming, t_us, t, peer) in &flows {
            let i = t.index();
            times.push(t_us);
            let value = self.data.value[i];
            let asset = if incoming {
                l.assets_received()[i]
            } else {
                l.assets_paid()[i]
            };
            let jur = l
                .account(peer)
                .jurisdiction
                .clone()
                .unwrap_or_else(|| "unknown".to_string());
            let month = time::to_datetime(t_us).format("%Y-%m").to_string();
            let code = l.asset(asset).code.clone();
            let key_of_peer = l.account(peer).key.clone();
            for summary in [
                &mut total,
                by_cp.entry(peer).or_insert_with(|| empty(&key_of_peer)),
                by_asset.entry(code.clone()).or_insert_with(|| empty(&code)),
                by_jur.entry(jur.clone()).or_insert_with(|| empty(&jur)),
                by_month
                    .entry(month.clone())
                    .or_insert_with(|| empty(&month)),
            ] {
                if incoming {
                    summary.transfers_in += 1;
                    summary.value_in += value;
                } else {
                    summary.transfers_out += 1;
                    summary.value_out += value;
                }
            }
        }
        let counterparty_count = by_cp.len();
        let mut counterparties_list: Vec<FlowSummary> = by_cp.into_values().collect();
        counterparties_list.sort_by(|x, y| {
            (y.value_in + y.value_out)
                .cmp(&(x.value_in + x.value_out))
                .then_with(|| x.key.cmp(&y.key))
        });
        counterparties_list.truncate(top);
        // findings
        let mut finding_ids: Vec<usize> = members
            .iter()
            .flat_map(|a| self.by_account.get(a).into_iter().flatten().copied())
            .collect();
        finding_ids.sort_unstable();
        finding_ids.dedup();
        let mut findings: Vec<FindingRef> = finding_ids
            .iter()
            .map(|&i| {
                let f = &self.findings[i];
                FindingRef {
                    id: format!("F{:06}", i + 1),
                    typology: f.typology.name().to_string(),
                    score: (f.score * 10_000.0).round() / 10_000.0,
                    amount: f.amount,
                    explanation: f.explanation.clone(),
                }
            })
            .collect();
        findings.sort_by(|x, y| y.score.total_cmp(&x.score).then_with(|| x.id.cmp(&y.id)));
        // forward: the subject's payments to others
        seeds.sort_unstable_by_key(|s| match s {
            Seed::Transfer { transfer, .. } => *transfer,
            Seed::Inflows { .. } => TransferId(0),
        });
        let forward = if seeds.is_empty() {
            None
        } else {
            let tr = trace(g, self.balances, &seeds, &self.options.trace)?;
            let holdings: Vec<Held> = tr
                .holdings
                .iter()
                .take(top)
                .map(|h| self.held(h.account, h.asset, h.amount))
                .collect();
            Some(ForwardTrace {
                rule: tr.rule.name().to_string(),
                seeded_transfers: seeds.len(),
                traced_in: self.money_map(&tr.traced_in),
                held: self.money_map(&tr.held),
                exited: self.money_map(&tr.exited_total()),
                conserved: tr.conserved(),
                holdings,
            })
        };
        // backward: where each positive closing balance came from
        let end = times.iter().copied().max().unwrap_or(0);
        let mut backward = Vec::new();
        let mut freezable = Vec::new();
        // the largest closing balances (a cluster may have many): at most `top`
        let mut balances: Vec<(AccountId, AssetId, Decimal)> = closing
            .iter()
            .map(|(&(a, asset), &flow)| (a, asset, self.balances.opening(a, asset) + flow))
            .filter(|x| x.2 > Decimal::ZERO)
            .collect();
        balances.sort_by(|x, y| y.2.cmp(&x.2).then((x.0, x.1).cmp(&(y.0, y.1))));
        balances.truncate(top);
        for (a, asset, balance) in balances {
            freezable.push(self.held(a, asset, balance));
            let sof = sources_of_funds(
                g,
                self.balances,
                Target::Balance {
                    account: a,
                    asset,
                    at: end,
                },
                &self.options.trace,
                self.options.max_sources,
            )?;
            backward.push(BackwardTrace {
                account: l.account(a).key.clone(),
                asset: l.asset(asset).code.clone(),
                balance: sof.target_amount.normalize(),
                traced: sof.traced.normalize(),
                untraced: sof.untraced.normalize(),
                truncated: sof.truncated,
                sources: sof
                    .sources
                    .iter()
                    .take(top)
                    .map(|x| SourceRef {
                        account: l.account(x.account).key.clone(),
                        row: l.source_rows()[x.transfer.index()],
                        amount: x.amount.normalize(),
                    })
                    .collect(),
            });
        }
        if let Some(f) = &forward {
            freezable.extend(
                f.holdings
                    .iter()
                    .filter(|h| l.account_id(&h.account).is_none_or(|x| !member(&x)))
                    .cloned(),
            );
        }
        // links: shared counterparties with every subject, paths within the case
        let mut sharing: BTreeMap<usize, Vec<AccountId>> = BTreeMap::new();
        for &c in &counterparties[s] {
            for &o in index.get(&c).into_iter().flatten() {
                if o != s && ids[o].as_deref() != Some(members) {
                    sharing.entry(o).or_default().push(c);
                }
            }
        }
        for (o, other) in subjects.iter().enumerate() {
            if o != s
                && other.case_ref == spec.case_ref
                && ids[o].as_deref().is_some_and(|b| b != members)
            {
                sharing.entry(o).or_default();
            }
        }
        let path_refs = |from: AccountId, to: AccountId| -> Vec<PathRef> {
            find_paths(self.data, from, to, &self.options.paths)
                .paths
                .iter()
                .map(|p| PathRef {
                    accounts: p
                        .accounts
                        .iter()
                        .map(|&x| l.account(x).key.clone())
                        .collect(),
                    rows: p
                        .transfers
                        .iter()
                        .map(|t: &TransferId| l.source_rows()[t.index()])
                        .collect(),
                    bottleneck: p.bottleneck,
                })
                .collect()
        };
        let mut links = Vec::new();
        for (o, shared) in sharing {
            let other = &subjects[o];
            let same_case = other.case_ref == spec.case_ref;
            // paths between single accounts (not searched for clusters)
            let (paths_to, paths_from) = match (same_case, members, ids[o].as_deref()) {
                (true, &[a], Some(&[b])) => (path_refs(a, b), path_refs(b, a)),
                _ => (Vec::new(), Vec::new()),
            };
            if shared.is_empty() && paths_to.is_empty() && paths_from.is_empty() {
                continue;
            }
            links.push(Link {
                case_ref: other.case_ref.clone(),
                subject: other.subject.clone(),
                shared_count: shared.len(),
                shared_counterparties: shared
                    .iter()
                    .take(top)
                    .map(|&c| l.account(c).key.clone())
                    .collect(),
                paths_to,
                paths_from,
            });
        }
        let exposure = match &self.tagged {
            Some((tagged, options)) => Some(crate::attribution::exposure(
                self.data,
                self.balances,
                members,
                tagged,
                options,
            )?),
            None => None,
        };
        let sorted = |m: BTreeMap<String, FlowSummary>| m.into_values().collect::<Vec<_>>();
        Ok(CaseFile {
            case_ref: spec.case_ref.clone(),
            subject: spec.subject.clone(),
            found: true,
            member_count: members.len(),
            members: if members.len() > 1 {
                members
                    .iter()
                    .take(top)
                    .map(|&m| l.account(m).key.clone())
                    .collect()
            } else {
                Vec::new()
            },
            currency,
            first_time: times.iter().min().map(|&t| time::to_rfc3339(t)),
            last_time: times.iter().max().map(|&t| time::to_rfc3339(t)),
            total,
            counterparties: counterparties_list,
            counterparty_count,
            assets: sorted(by_asset),
            jurisdictions: sorted(by_jur),
            months: sorted(by_month),
            findings,
            forward,
            backward,
            links,
            freezable,
            exposure,
        })
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
