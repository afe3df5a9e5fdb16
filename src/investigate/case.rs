//! One subject's case file, section by section: its flows (by
//! counterparty, asset, jurisdiction and month), its findings, the forward
//! trace of what it paid out, the backward trace of what it holds, its
//! links to the other subjects, and its exposure to tagged entities.

use super::{
    BackwardTrace, CaseFile, FindingRef, FlowSummary, ForwardTrace, FreezableValue, Held,
    Investigation, Link, PathRef, SourceRef,
};
use crate::error::Result;
use crate::ingest::SubjectSpec;
use crate::model::{AccountId, AssetId, TransferId};
use crate::paths::find_paths;
use crate::time;
use crate::trace::{sources_of_funds, trace, Seed, Target};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Every subject of a run, and who shares counterparties with whom.
pub(super) struct Cohort<'s> {
    pub(super) subjects: &'s [SubjectSpec],
    /// Each subject's accounts (`None`: not in the data), sorted.
    pub(super) ids: &'s [Option<Vec<AccountId>>],
    /// Each subject's counterparties.
    pub(super) counterparties: &'s [BTreeSet<AccountId>],
    /// Per counterparty, the subjects that deal with it.
    pub(super) index: &'s HashMap<AccountId, Vec<usize>>,
}

/// A subject's money in and out, summed every way the case file shows it.
struct Flows {
    total: FlowSummary,
    by_counterparty: BTreeMap<AccountId, FlowSummary>,
    by_asset: BTreeMap<String, FlowSummary>,
    by_jurisdiction: BTreeMap<String, FlowSummary>,
    by_month: BTreeMap<String, FlowSummary>,
    times: Vec<i64>,
    /// What each member holds per asset at the end, beyond its opening balance.
    closing: BTreeMap<(AccountId, AssetId), Decimal>,
    /// The subject's payments to others, in time order: the forward seeds.
    seeds: Vec<Seed>,
    /// What others paid the subject, in time order.
    received: Vec<Seed>,
}

fn empty(key: &str) -> FlowSummary {
    FlowSummary {
        key: key.to_string(),
        transfers_in: 0,
        value_in: Decimal::ZERO,
        transfers_out: 0,
        value_out: Decimal::ZERO,
    }
}

impl Investigation<'_> {
    /// The case file of subject `s`.
    pub(super) fn case(&self, s: usize, cohort: &Cohort<'_>) -> Result<CaseFile> {
        let spec = &cohort.subjects[s];
        let currency = self.data.currency().to_string();
        let Some(members) = cohort.ids[s].as_deref() else {
            return Ok(not_found(spec, currency));
        };
        let l = self.data.graph.ledger();
        let top = self.options.top;
        let flows = self.flows(members);
        let counterparty_count = flows.by_counterparty.len();
        let mut counterparties: Vec<FlowSummary> = flows.by_counterparty.into_values().collect();
        counterparties.sort_by(|x, y| {
            (y.value_in + y.value_out)
                .cmp(&(x.value_in + x.value_out))
                .then_with(|| x.key.cmp(&y.key))
        });
        counterparties.truncate(top);
        let (seeds, words) = self.seeds(spec, flows.seeds, flows.received)?;
        let forward = self.forward(seeds, words)?;
        let end = flows.times.iter().copied().max().unwrap_or(0);
        let (backward, mut freezable) = self.backward(&flows.closing, end)?;
        let value_of = |held: &[Held]| held.iter().filter_map(|h| h.value).sum::<Decimal>();
        let own = value_of(&freezable);
        let own_len = freezable.len();
        if let Some(f) = &forward {
            let member = |x: &AccountId| members.binary_search(x).is_ok();
            freezable.extend(
                f.holdings
                    .iter()
                    .filter(|h| l.account_id(&h.account).is_none_or(|x| !member(&x)))
                    .cloned(),
            );
        }
        let freezable_value = FreezableValue::new(
            own,
            value_of(&freezable[own_len..]),
            flows.total.value_in,
            flows.total.value_out,
        );
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
            first_time: flows.times.iter().min().map(|&t| time::to_rfc3339(t)),
            last_time: flows.times.iter().max().map(|&t| time::to_rfc3339(t)),
            total: flows.total,
            counterparties,
            counterparty_count,
            assets: sorted(flows.by_asset),
            jurisdictions: sorted(flows.by_jurisdiction),
            months: sorted(flows.by_month),
            findings: self.findings_of(members),
            forward,
            backward,
            links: self.links(s, cohort, members),
            freezable,
            freezable_value,
            exposure,
        })
    }

    /// The members' transfers with others, summed, and their balances.
    fn flows(&self, members: &[AccountId]) -> Flows {
        let g = self.data.graph;
        let l = g.ledger();
        let member = |x: &AccountId| members.binary_search(x).is_ok();
        let mut closing: BTreeMap<(AccountId, AssetId), Decimal> = BTreeMap::new();
        let mut seeds: Vec<Seed> = Vec::new();
        let mut received: Vec<Seed> = Vec::new();
        let mut transfers: Vec<(bool, i64, TransferId, AccountId)> = Vec::new();
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
                    let seed = Seed::Transfer {
                        transfer: t,
                        amount: None,
                    };
                    if incoming {
                        received.push(seed);
                    } else {
                        seeds.push(seed);
                    }
                    transfers.push((incoming, t_us, t, peer));
                }
            }
        }
        transfers.sort_unstable_by_key(|f| (f.2, f.0));
        let order = |s: &Seed| match s {
            Seed::Transfer { transfer, .. } => *transfer,
            Seed::Inflows { .. } | Seed::Outflows { .. } | Seed::Opening { .. } => TransferId(0),
        };
        seeds.sort_unstable_by_key(order);
        received.sort_unstable_by_key(order);
        let mut flows = Flows {
            total: empty("total"),
            by_counterparty: BTreeMap::new(),
            by_asset: BTreeMap::new(),
            by_jurisdiction: BTreeMap::new(),
            by_month: BTreeMap::new(),
            times: Vec::with_capacity(transfers.len()),
            closing,
            seeds,
            received,
        };
        for &(incoming, t_us, t, peer) in &transfers {
            let i = t.index();
            flows.times.push(t_us);
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
                &mut flows.total,
                flows
                    .by_counterparty
                    .entry(peer)
                    .or_insert_with(|| empty(&key_of_peer)),
                flows
                    .by_asset
                    .entry(code.clone())
                    .or_insert_with(|| empty(&code)),
                flows
                    .by_jurisdiction
                    .entry(jur.clone())
                    .or_insert_with(|| empty(&jur)),
                flows
                    .by_month
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
        flows
    }

    /// The findings the members take part in, highest score first.
    fn findings_of(&self, members: &[AccountId]) -> Vec<FindingRef> {
        let mut ids: Vec<usize> = members
            .iter()
            .flat_map(|a| self.by_account.get(a).into_iter().flatten().copied())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let mut findings: Vec<FindingRef> = ids
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
        findings
    }

    /// Where the subject's payments to others went.
    /// The forward trace's seeds as the subject's `trace` asks, and the
    /// same in words.
    fn seeds(
        &self,
        spec: &SubjectSpec,
        sent: Vec<Seed>,
        received: Vec<Seed>,
    ) -> Result<(Vec<Seed>, String)> {
        let l = self.data.graph.ledger();
        match spec.trace.trim() {
            "" | "sent" => Ok((sent, "its payments to others".to_string())),
            "received" => Ok((received, "what others paid it".to_string())),
            named => {
                let mut seeds = Vec::new();
                let mut words = Vec::new();
                for token in named.split_whitespace() {
                    let found = l.find_transfers(token).map_err(|e| {
                        crate::error::Error::invalid(format!(
                            "case {} ({}): trace {e}",
                            spec.case_ref, spec.subject
                        ))
                    })?;
                    for t in found {
                        words.push(l.describe(t));
                        seeds.push(Seed::Transfer {
                            transfer: t,
                            amount: None,
                        });
                    }
                }
                Ok((seeds, format!("transfers {}", words.join("; "))))
            }
        }
    }

    fn forward(&self, seeds: Vec<Seed>, words: String) -> Result<Option<ForwardTrace>> {
        if seeds.is_empty() {
            return Ok(None);
        }
        let tr = trace(self.data.graph, self.balances, &seeds, &self.options.trace)?;
        let l = self.data.graph.ledger();
        let holdings: Vec<Held> = tr
            .holdings
            .iter()
            .take(self.options.top)
            .map(|h| self.held(h.account, h.asset, h.amount))
            .collect();
        Ok(Some(ForwardTrace {
            rule: tr.rule.name().to_string(),
            seeds: words,
            seeded_transfers: seeds.len(),
            traced_in: self.money_map(&tr.traced_in),
            held: self.money_map(&tr.held),
            exited: self.money_map(&tr.exited_total()),
            conserved: tr.conserved(),
            holdings,
            through_exchanges: crate::trace::passage_words(l, &tr.passages),
            stopped_at_exchanges: crate::trace::exchange_stops(self.data, &tr, time::DAY, 3)
                .iter()
                .map(|stop| crate::trace::stop_words(self.data, stop, time::DAY))
                .collect(),
        }))
    }

    /// Where each of the largest positive closing balances came from, and
    /// those balances as what could be frozen.
    fn backward(
        &self,
        closing: &BTreeMap<(AccountId, AssetId), Decimal>,
        end: i64,
    ) -> Result<(Vec<BackwardTrace>, Vec<Held>)> {
        let l = self.data.graph.ledger();
        let top = self.options.top;
        // the largest closing balances (a cluster may have many): at most `top`
        let mut balances: Vec<(AccountId, AssetId, Decimal)> = closing
            .iter()
            .map(|(&(a, asset), &flow)| (a, asset, self.balances.opening(a, asset) + flow))
            .filter(|x| x.2 > Decimal::ZERO)
            .collect();
        balances.sort_by(|x, y| y.2.cmp(&x.2).then((x.0, x.1).cmp(&(y.0, y.1))));
        balances.truncate(top);
        let mut backward = Vec::new();
        let mut freezable = Vec::new();
        for (a, asset, balance) in balances {
            freezable.push(self.held(a, asset, balance));
            let target = Target::Balance {
                account: a,
                asset,
                at: end,
            };
            let sof = sources_of_funds(
                self.data.graph,
                self.balances,
                target,
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
        Ok((backward, freezable))
    }

    /// Subjects that share counterparties with subject `s`, and paths
    /// between single-account subjects of the same case.
    fn links(&self, s: usize, cohort: &Cohort<'_>, members: &[AccountId]) -> Vec<Link> {
        let l = self.data.graph.ledger();
        let spec = &cohort.subjects[s];
        let mut sharing: BTreeMap<usize, Vec<AccountId>> = BTreeMap::new();
        for &c in &cohort.counterparties[s] {
            for &o in cohort.index.get(&c).into_iter().flatten() {
                if o != s && cohort.ids[o].as_deref() != Some(members) {
                    sharing.entry(o).or_default().push(c);
                }
            }
        }
        for (o, other) in cohort.subjects.iter().enumerate() {
            if o != s
                && other.case_ref == spec.case_ref
                && cohort.ids[o].as_deref().is_some_and(|b| b != members)
            {
                sharing.entry(o).or_default();
            }
        }
        let mut links = Vec::new();
        for (o, shared) in sharing {
            let other = &cohort.subjects[o];
            let same_case = other.case_ref == spec.case_ref;
            // paths between single accounts (not searched for clusters)
            let (paths_to, paths_from) = match (same_case, members, cohort.ids[o].as_deref()) {
                (true, &[a], Some(&[b])) => (self.path_refs(a, b), self.path_refs(b, a)),
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
                    .take(self.options.top)
                    .map(|&c| l.account(c).key.clone())
                    .collect(),
                paths_to,
                paths_from,
            });
        }
        links
    }

    /// Time-respecting paths between two accounts, as the case file lists them.
    fn path_refs(&self, from: AccountId, to: AccountId) -> Vec<PathRef> {
        let l = self.data.graph.ledger();
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
    }
}

/// The case file of a subject the data does not have.
fn not_found(spec: &SubjectSpec, currency: String) -> CaseFile {
    CaseFile {
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
        freezable_value: FreezableValue::default(),
        exposure: None,
    }
}
