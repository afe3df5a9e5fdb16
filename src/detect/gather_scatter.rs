//! `gather_scatter`: many sources → one hub → many sinks.

use super::{finish, ratio, span_words, Detection, Finding, Typology, Valued};
use crate::model::{AccountId, TransferId};
use crate::time::Span;
use rayon::prelude::*;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// Finds a hub paid by at least `min_sources` distinct accounts and then
/// paying at least `min_sinks` distinct accounts, all within `window`,
/// passing on between `min_retention` and `max_retention` of what it
/// gathered. Only payments made after the `min_sources`-th distinct source
/// has paid count as the scatter: the money is gathered first.
///
/// The hub's transfers in the window must be a burst ([`Valued::burst`] at
/// least `min_burst`): a shop paid by its customers all month that pays its
/// suppliers is not gathering and scattering. Cash and exchanges are never
/// the hub ([`Valued::is_infrastructure`]).
///
/// **Amount**: value gathered. **Score** = ⅓·min(1, (sources − k + 1)/k) +
/// ⅓·min(1, (sinks − k + 1)/k) + ⅓·(scattered ÷ gathered, inverted above 1).
///
/// # Example
///
/// ```
/// use moneytrail::detect::{GatherScatterDetector, Typology};
/// use moneytrail::{FlowGraph, LedgerBuilder, NewTransfer, Valued};
/// use moneytrail::time::HOUR; // times are microseconds
/// use rust_decimal::Decimal;
///
/// let mut b = LedgerBuilder::new();
/// let usd = b.asset("USD").unwrap();
/// let mut pay = |from: &str, to: &str, hour: i64, amount: i64| {
///     let (from, to) = (b.account(from), b.account(to));
///     let row = b.len() as u32;
///     b.push(NewTransfer::simple(hour * HOUR, from, to, Decimal::from(amount), usd, row));
/// };
/// // three sources pay a hub, which pays three sinks the next day
/// for i in 0..3 {
///     pay(&format!("source{i}"), "hub", i, 1_000);
///     pay("hub", &format!("sink{i}"), 24 + i, 980);
/// }
/// let graph = FlowGraph::new(b.finish().unwrap());
/// let found = GatherScatterDetector::default().detect(&Valued::implied(&graph, "USD"));
/// assert_eq!(found.findings.len(), 1);
/// let hub = &found.findings[0];
/// assert_eq!(hub.typology, Typology::GatherScatter);
/// assert_eq!(hub.transfers.len(), 6);
/// assert_eq!(hub.amount, Decimal::from(3_000));
/// ```
///
/// # Complexity
///
/// O(degree) per hub (two pointers over its incoming and outgoing
/// transfers).
///
/// # References
///
/// - E. Altman et al., *Realistic Synthetic Financial Transactions for
///   Anti-Money Laundering Models*, NeurIPS 2023 Datasets and Benchmarks
///   ([arXiv:2306.16424](https://arxiv.org/abs/2306.16424)): AMLworld's
///   gather-scatter pattern.
/// - J. Blanuša et al., *Graph Feature Preprocessor*, ICAIF 2024
///   ([arXiv:2402.08593](https://arxiv.org/abs/2402.08593)): gather-scatter
///   counts as laundering features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GatherScatterDetector {
    /// Distinct sources needed: 3.
    pub min_sources: usize,
    /// Distinct sinks needed: 3.
    pub min_sinks: usize,
    /// Window from the first gather to the last scatter: 5 days. AMLworld's
    /// planted gather-scatters span up to 202 hours (median 150), but a
    /// window that long, with the burst test, flags every busy account of
    /// a short data set; measured on AMLworld attempts mixed into 1M
    /// generated rows, 5 days with `min_burst` 2.5 kept the detector's
    /// precision near 0.2 where 9 days gave 0.004.
    pub window: Span,
    /// Smallest share of the gathered value paid on: 0.5.
    pub min_retention: f64,
    /// Largest share: 1.5.
    pub max_retention: f64,
    /// Minimum burst ratio of the hub's transfers in the window: 2.5.
    pub min_burst: f64,
    /// Findings in all: 100,000.
    pub max_findings: usize,
}

impl Default for GatherScatterDetector {
    fn default() -> Self {
        GatherScatterDetector {
            min_sources: 3,
            min_sinks: 3,
            window: Span::days(5),
            min_retention: 0.5,
            max_retention: 1.5,
            min_burst: 2.5,
            max_findings: 100_000,
        }
    }
}

impl super::Detector for GatherScatterDetector {
    fn typologies(&self) -> &'static [Typology] {
        &[Typology::GatherScatter]
    }

    fn detect(&self, data: &Valued<'_>) -> Detection {
        GatherScatterDetector::detect(self, data)
    }

    fn reach(&self) -> Option<i64> {
        // runs on the whole data: after a finding the hub's scan resumes
        // past its transfers, so where one starts depends on those before
        // it (a chain as long as the hub's history)
        None
    }

    fn account_scope(&self) -> Option<super::AccountScope> {
        // everything a finding depends on is the hub's own transfers
        // (and the whole data's span, for the burst test)
        Some(super::AccountScope::Own)
    }

    fn max_findings(&self) -> usize {
        self.max_findings
    }

    fn burst_test(&self) -> Option<(crate::time::Span, f64)> {
        Some((self.window, self.min_burst))
    }
}

impl GatherScatterDetector {
    /// Run the detector.
    pub fn detect(&self, data: &Valued<'_>) -> Detection {
        let g = data.graph;
        let findings: Vec<Finding> = (0..g.account_count() as u32)
            .into_par_iter()
            .filter(|&a| data.owns_account(AccountId(a)))
            .flat_map_iter(|h| self.hub(data, AccountId(h)))
            .collect();
        finish(findings, false, self.max_findings)
    }

    fn hub(&self, data: &Valued<'_>, h: AccountId) -> Vec<Finding> {
        let g = data.graph;
        let (ks, kd) = (self.min_sources.max(2), self.min_sinks.max(2));
        let ins = g.incoming(h, ..);
        let outs = g.outgoing(h, ..);
        if ins.len() < ks || outs.len() < kd || data.is_infrastructure(h) {
            return Vec::new();
        }
        let w = self.window.micros();
        let mut findings = Vec::new();
        let mut lo = 0;
        let mut out_from = 0;
        while lo < ins.len() {
            let start = ins.time_us[lo];
            let end = start.saturating_add(w);
            let in_hi = lo + ins.time_us[lo..].partition_point(|&t| t <= end);
            // the burst test first: cheap, and it rules out most windows of
            // busy accounts before any counting
            let outs_in_window = outs.time_us.partition_point(|&t| t <= end)
                - outs.time_us.partition_point(|&t| t < start);
            if data.burst(in_hi - lo + outs_in_window, ins.len() + outs.len(), w) < self.min_burst {
                lo += 1;
                continue;
            }
            let mut sources: FxHashMap<AccountId, ()> = FxHashMap::default();
            for &p in &ins.peer[lo..in_hi] {
                if p != h {
                    sources.insert(p, ());
                }
            }
            if sources.len() < ks {
                lo += 1;
                continue;
            }
            // scatters after the gather phase has begun in earnest: after
            // the transfer that brings in the k-th distinct source
            let mut seen: FxHashMap<AccountId, ()> = FxHashMap::default();
            let mut first_in = ins.transfer[lo];
            for i in lo..in_hi {
                if ins.peer[i] != h && seen.insert(ins.peer[i], ()).is_none() && seen.len() == ks {
                    first_in = ins.transfer[i];
                    break;
                }
            }
            let o_lo = out_from.max(outs.time_us.partition_point(|&t| t < start));
            let o_hi = outs.time_us.partition_point(|&t| t <= end);
            let mut sinks: FxHashMap<AccountId, ()> = FxHashMap::default();
            let mut scatter = Vec::new();
            for i in o_lo..o_hi.max(o_lo) {
                let (x, p) = (outs.transfer[i], outs.peer[i]);
                if x > first_in && p != h {
                    sinks.insert(p, ());
                    scatter.push(x);
                }
            }
            let gather: Vec<TransferId> = (lo..in_hi)
                .filter(|&i| ins.peer[i] != h)
                .map(|i| ins.transfer[i])
                .collect();
            let gathered = data.total(&gather);
            let scattered = data.total(&scatter);
            let ratio = ratio(scattered, gathered);
            let burst = data.burst(gather.len() + scatter.len(), ins.len() + outs.len(), w);
            if sinks.len() >= kd
                && ratio >= self.min_retention
                && ratio <= self.max_retention
                && burst >= self.min_burst
            {
                let mut srcs: Vec<AccountId> = sources.into_keys().collect();
                let mut dsts: Vec<AccountId> = sinks.into_keys().collect();
                srcs.sort_unstable();
                dsts.sort_unstable();
                findings.push(self.finding(
                    data, h, &srcs, &dsts, gather, scatter, gathered, scattered, ratio,
                ));
                lo = in_hi;
                out_from = o_hi;
            } else {
                lo += 1;
            }
        }
        findings
    }

    #[allow(clippy::too_many_arguments)]
    fn finding(
        &self,
        data: &Valued<'_>,
        h: AccountId,
        sources: &[AccountId],
        sinks: &[AccountId],
        gather: Vec<TransferId>,
        scatter: Vec<TransferId>,
        gathered: Decimal,
        scattered: Decimal,
        ratio: f64,
    ) -> Finding {
        let (ks, kd) = (self.min_sources.max(2) as f64, self.min_sinks.max(2) as f64);
        let score = ((sources.len() as f64 - ks + 1.0) / ks).min(1.0) / 3.0
            + ((sinks.len() as f64 - kd + 1.0) / kd).min(1.0) / 3.0
            + if ratio <= 1.0 { ratio } else { 1.0 / ratio } / 3.0;
        let mut accounts = vec![h];
        accounts.extend_from_slice(sources);
        accounts.extend_from_slice(sinks);
        let mut transfers = gather;
        transfers.extend(scatter);
        transfers.sort_unstable();
        let span = data.time(transfers[transfers.len() - 1]) - data.time(transfers[0]);
        let explanation = format!(
            "{} gathers {} from {} accounts and scatters {} to {} accounts within {}",
            data.key(h),
            data.money(gathered),
            sources.len(),
            data.money(scattered),
            sinks.len(),
            span_words(span)
        );
        data.finding(
            Typology::GatherScatter,
            score,
            accounts,
            transfers,
            gathered,
            explanation,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testkit::{with_threads, Kit, H};

    #[test]
    fn finds_gather_scatter_and_ignores_a_late_scatter() {
        let mut k = Kit::new();
        for i in 0..3 {
            k.pay(&format!("s{i}"), "hub", i * H, 1000);
        }
        for i in 0..3 {
            k.pay("hub", &format!("d{i}"), 24 * H + i * H, 980);
        }
        for i in 0..3 {
            k.pay(&format!("t{i}"), "slow", i * H, 1000);
        }
        for i in 0..3 {
            k.pay("slow", &format!("e{i}"), 30 * 24 * H + i * H, 980);
        }
        let g = k.graph();
        let data = Kit::valued(&g);
        let d = with_threads(2, || GatherScatterDetector::default().detect(&data));
        assert_eq!(d.findings.len(), 1, "{:?}", d.findings);
        assert_eq!(data.key(d.findings[0].accounts[0]), "hub");
        assert_eq!(d.findings[0].transfers.len(), 6);
        assert_eq!(
            d,
            with_threads(1, || GatherScatterDetector::default().detect(&data))
        );
    }
}
