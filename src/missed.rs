//! What a missed attempt looks like in the data, and which of its
//! detector's thresholds it fails: the details `score --missed` prints, so
//! that a trainer or an engineer sees why no finding covered it.
//!
//! The checks are the plain ones every detector of a typology states in
//! its configuration — the time window, the smallest amount, the number of
//! counterparties, the hop bounds, the burst ratio — measured on the
//! attempt's own transfers. An attempt that passes all of them failed a
//! finer test (a score, a share, a retention, a budget), and is said to.

use crate::detect::{DetectConfig, Typology};
use crate::format::{count, span_words};
use crate::model::{AccountId, TransferId};
use crate::time::Span;
use crate::valued::Valued;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// A missed attempt, measured in the data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MissedDetails {
    /// The attempt's transfers found in the data.
    pub transfers: usize,
    /// Their accounts, most transfers first.
    pub accounts: Vec<String>,
    /// Their value in the reporting currency.
    pub value: Decimal,
    /// The reporting currency.
    pub currency: String,
    /// First and last time (RFC 3339).
    pub first_time: Option<String>,
    /// Last time.
    pub last_time: Option<String>,
    /// The detector of the attempt's typology.
    pub detector: Option<String>,
    /// Each threshold it fails, in words; a sentence that none does when
    /// it passes them all.
    pub reasons: Vec<String>,
}

/// Measure a missed attempt of `typology` whose transfers are at `rows`
/// (0-based data rows) against `config`.
///
/// ```
/// use moneytrail::{FlowGraph, LedgerBuilder, NewTransfer, Valued};
/// use moneytrail::detect::DetectConfig;
/// use moneytrail::missed::missed_details;
/// use rust_decimal::Decimal;
/// let mut b = LedgerBuilder::new();
/// let hub = b.account("hub");
/// let usd = b.asset("USD").unwrap();
/// for i in 0..3u32 {
///     let to = b.account(&format!("m{i}"));
///     b.push(NewTransfer::simple(i64::from(i) * 3_600_000_000, hub, to, Decimal::from(5_000), usd, i));
/// }
/// let g = FlowGraph::new(b.finish().unwrap());
/// let data = Valued::implied(&g, "USD");
/// let why = missed_details(&data, "fan_out", &[0, 1, 2], &DetectConfig::default());
/// assert_eq!(why.accounts[0], "hub");
/// assert!(why.reasons[0].contains("3 counterparties, fewer than fan_out's min_counterparties 5"));
/// ```
pub fn missed_details(
    data: &Valued<'_>,
    typology: &str,
    rows: &[u32],
    config: &DetectConfig,
) -> MissedDetails {
    let l = data.graph.ledger();
    let wanted: std::collections::HashSet<u32> = rows.iter().copied().collect();
    let transfers: Vec<TransferId> = (0..l.len())
        .filter(|&i| wanted.contains(&l.source_rows()[i]))
        .map(|i| TransferId(i as u32))
        .collect();
    let mut per_account: HashMap<AccountId, usize> = HashMap::new();
    for &t in &transfers {
        *per_account.entry(l.froms()[t.index()]).or_default() += 1;
        *per_account.entry(l.tos()[t.index()]).or_default() += 1;
    }
    let mut ranked: Vec<(AccountId, usize)> = per_account.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let times: Vec<i64> = transfers.iter().map(|&t| data.time(t)).collect();
    let (first, last) = (times.iter().min().copied(), times.iter().max().copied());
    let detector = Typology::from_name(typology).map(|t| t.detector().to_string());
    let reasons = match (&detector, first, last) {
        (Some(name), Some(first), Some(last)) => {
            let params = serde_json::to_value(config)
                .ok()
                .and_then(|v| v.get(name).cloned())
                .unwrap_or_default();
            let hub = ranked.first().map(|&(a, _)| a);
            reasons(data, name, &params, &transfers, hub, last - first)
        }
        (_, None, _) | (_, _, None) => {
            vec![
                "none of its rows are in the data analysed (another file, or rows rejected)".into(),
            ]
        }
        (None, _, _) => vec![format!("no detector finds the typology {typology:?}")],
    };
    MissedDetails {
        transfers: transfers.len(),
        accounts: ranked
            .iter()
            .map(|&(a, _)| data.key(a).to_string())
            .collect(),
        value: data.total(&transfers),
        currency: data.currency().to_string(),
        first_time: first.map(crate::time::to_rfc3339),
        last_time: last.map(crate::time::to_rfc3339),
        detector,
        reasons,
    }
}

/// The thresholds of one detector's parameters (`params`, its config
/// section as JSON) that the attempt fails.
fn reasons(
    data: &Valued<'_>,
    name: &str,
    params: &serde_json::Value,
    transfers: &[TransferId],
    hub: Option<AccountId>,
    span: i64,
) -> Vec<String> {
    let mut why = Vec::new();
    let span_of = |key: &str| -> Option<Span> { params.get(key)?.as_str()?.parse().ok() };
    let number = |key: &str| -> Option<f64> { params.get(key)?.as_f64() };
    let decimal = |key: &str| -> Option<Decimal> { params.get(key)?.as_str()?.parse().ok() };
    if let Some(window) = span_of("window") {
        if span > window.micros() {
            why.push(format!(
                "its transfers span {}, longer than {name}'s window {window}",
                span_words(span)
            ));
        }
    }
    if let Some(min) = decimal("min_amount") {
        let below = transfers
            .iter()
            .filter(|t| data.value[t.index()] < min)
            .count();
        if below > 0 {
            why.push(format!(
                "{} of its {} are below {name}'s min_amount {} {}",
                below,
                count(transfers.len(), "transfer"),
                crate::format::group_thousands(min),
                data.currency()
            ));
        }
    }
    let l = data.graph.ledger();
    if let (Some(k), Some(hub)) = (number("min_counterparties"), hub) {
        let mut peers: BTreeMap<AccountId, ()> = BTreeMap::new();
        for &t in transfers {
            let (from, to) = (l.froms()[t.index()], l.tos()[t.index()]);
            if from == hub {
                peers.insert(to, ());
            } else if to == hub {
                peers.insert(from, ());
            }
        }
        if (peers.len() as f64) < k {
            why.push(format!(
                "its hub {} has {}, fewer than {name}'s min_counterparties {k}",
                data.key(hub),
                count(peers.len(), "counterparty")
            ));
        }
    }
    let hops = transfers.len() as f64;
    if let Some(max) = number("max_hops") {
        if hops > max && name != "scatter_gather" && name != "bipartite" {
            why.push(format!(
                "it has {} transfers, more than {name}'s max_hops {max}",
                hops
            ));
        }
    }
    if let Some(min) = number("min_hops") {
        if hops < min {
            why.push(format!(
                "it has {hops} transfers, fewer than {name}'s min_hops {min}"
            ));
        }
    }
    if let (Some(min_burst), Some(window), Some(hub)) =
        (number("min_burst"), span_of("window"), hub)
    {
        let g = data.graph;
        let all = g.incoming(hub, ..).len() + g.outgoing(hub, ..).len();
        let here = transfers
            .iter()
            .filter(|t| l.froms()[t.index()] == hub || l.tos()[t.index()] == hub)
            .count();
        let burst = data.burst(here, all, window.micros());
        if burst < min_burst {
            why.push(format!(
                "its hub {} makes {here} of its {} here, a burst ratio of {burst:.2}, below {name}'s min_burst {min_burst}",
                data.key(hub),
                count(all, "transfer")
            ));
        }
    }
    if why.is_empty() {
        why.push(format!(
            "it passes {name}'s plain thresholds (window, amounts, counterparties, hops, burst); a finer test (score, shares, retention, or a budget) left it out"
        ));
    }
    why
}
