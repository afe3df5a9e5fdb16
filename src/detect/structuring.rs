//! `structuring`: repeated payments just under a reporting threshold.

use super::{finish, span_words, Detection, Finding, Typology, Valued};
use crate::model::{AccountId, TransferId};
use crate::time::Span;
use rayon::prelude::*;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Finds accounts receiving at least `min_count` deposits or transfers
/// within `window`, each in `[threshold × (1 − margin), threshold)`, that
/// add up to more than the threshold.
///
/// With `nominal` (the default) each amount is compared in its own fiat
/// currency, as reporting thresholds are (10,000 USD, 10,000 EUR…);
/// virtual-asset amounts are then skipped. Without it, amounts are compared
/// in the reporting currency.
///
/// **Amount**: the total of the near-threshold transfers. **Score** =
/// ½·min(1, count / (2·min_count)) + ½·(how close to the threshold the
/// amounts sit on average, 0 at the bottom of the band, 1 at the threshold).
///
/// # Example
///
/// ```
/// use moneytrail::detect::{StructuringDetector, Typology};
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
/// // four cash deposits just under 10,000 USD within a day
/// for (i, amount) in [9_500, 9_100, 9_900, 9_300].into_iter().enumerate() {
///     pay("CASH", "shop", 5 * i as i64, amount);
/// }
/// pay("CASH", "other", 0, 10_500); // over the threshold: not structuring
/// let graph = FlowGraph::new(b.finish().unwrap());
/// let found = StructuringDetector::default().detect(&Valued::implied(&graph, "USD"));
/// assert_eq!(found.findings.len(), 1);
/// let deposits = &found.findings[0];
/// assert_eq!(deposits.typology, Typology::Structuring);
/// assert_eq!(deposits.amount, Decimal::from(37_800));
/// ```
///
/// # Complexity
///
/// Per account, its incoming transfers are filtered to the band (O(E) in
/// all); each window is then found by binary search and summed, so
/// O(n · w) per account for n transfers in the band and at most w of them
/// in one window. O(in-degree) extra memory per worker.
///
/// # References
///
/// - 31 U.S.C. § 5324
///   ([law.cornell.edu/uscode/text/31/5324](https://www.law.cornell.edu/uscode/text/31/5324)):
///   structuring, splitting transactions to evade a reporting requirement.
/// - 31 CFR § 1010.311
///   ([law.cornell.edu/cfr/text/31/1010.311](https://www.law.cornell.edu/cfr/text/31/1010.311)):
///   the currency transaction report for more than 10,000 USD, the
///   threshold the defaults take.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StructuringDetector {
    /// The reporting threshold: 10,000 (the US currency transaction report
    /// and the EU cash-declaration level).
    pub threshold: Decimal,
    /// Width of the band under the threshold, as a share of it: 0.1
    /// (9,000 to 9,999.99).
    pub margin: Decimal,
    /// Near-threshold transfers needed: 3.
    pub min_count: usize,
    /// Window: 7 days.
    pub window: Span,
    /// Compare amounts in their own fiat currency (true) or in the
    /// reporting currency (false).
    pub nominal: bool,
    /// Findings in all: 100,000.
    pub max_findings: usize,
}

impl Default for StructuringDetector {
    fn default() -> Self {
        StructuringDetector {
            threshold: Decimal::from(10_000),
            margin: Decimal::new(1, 1),
            min_count: 3,
            window: Span::days(7),
            nominal: true,
            max_findings: 100_000,
        }
    }
}

impl super::Detector for StructuringDetector {
    fn typologies(&self) -> &'static [Typology] {
        &[Typology::Structuring]
    }

    fn detect(&self, data: &Valued<'_>) -> Detection {
        StructuringDetector::detect(self, data)
    }

    fn reach(&self) -> Option<i64> {
        // runs on the whole data: each finding starts where the account's
        // previous one ended (a chain as long as the account's history)
        None
    }

    fn account_scope(&self) -> Option<super::AccountScope> {
        // everything a finding depends on is the receiving account's own transfers
        // (and the whole data's span, for the burst test)
        Some(super::AccountScope::Own)
    }

    fn max_findings(&self) -> usize {
        self.max_findings
    }
}

impl StructuringDetector {
    /// Run the detector.
    pub fn detect(&self, data: &Valued<'_>) -> Detection {
        let g = data.graph;
        let findings: Vec<Finding> = (0..g.account_count() as u32)
            .into_par_iter()
            .filter(|&a| data.owns_account(AccountId(a)))
            .flat_map_iter(|a| self.account(data, AccountId(a)))
            .collect();
        finish(findings, false, self.max_findings)
    }

    fn amount(&self, data: &Valued<'_>, t: TransferId) -> Option<Decimal> {
        let l = data.graph.ledger();
        if self.nominal {
            let asset = l.asset(l.assets_paid()[t.index()]);
            (!asset.virtual_currency).then(|| l.amounts_paid()[t.index()])
        } else {
            Some(data.value[t.index()])
        }
    }

    fn account(&self, data: &Valued<'_>, a: AccountId) -> Vec<Finding> {
        let g = data.graph;
        let floor = (Decimal::ONE - self.margin.clamp(Decimal::ZERO, Decimal::ONE))
            .checked_mul(self.threshold)
            .unwrap_or(Decimal::ZERO);
        let ins = g.incoming(a, ..);
        let near: Vec<(i64, TransferId, Decimal)> = ins
            .iter()
            .filter(|&(_, _, p)| p != a)
            .filter_map(|(t, x, _)| {
                let amount = self.amount(data, x)?;
                (amount >= floor && amount < self.threshold).then_some((t, x, amount))
            })
            .collect();
        let k = self.min_count.max(2);
        let mut findings = Vec::new();
        let mut lo = 0;
        while lo + k <= near.len() {
            let end = near[lo].0.saturating_add(self.window.micros());
            let hi = lo + near[lo..].partition_point(|n| n.0 <= end);
            let total: Decimal = near[lo..hi].iter().map(|n| n.2).sum();
            if hi - lo >= k && total > self.threshold {
                findings.push(self.finding(data, a, &near[lo..hi], total, floor));
                lo = hi;
            } else {
                lo += 1;
            }
        }
        findings
    }

    fn finding(
        &self,
        data: &Valued<'_>,
        a: AccountId,
        run: &[(i64, TransferId, Decimal)],
        total: Decimal,
        floor: Decimal,
    ) -> Finding {
        let l = data.graph.ledger();
        let band = (self.threshold - floor)
            .to_f64()
            .unwrap_or(1.0)
            .max(f64::MIN_POSITIVE);
        let closeness: f64 = run
            .iter()
            .map(|n| ((n.2 - floor).to_f64().unwrap_or(0.0) / band).clamp(0.0, 1.0))
            .sum::<f64>()
            / run.len() as f64;
        let k = self.min_count.max(2) as f64;
        let score = 0.5 * (run.len() as f64 / (2.0 * k)).min(1.0) + 0.5 * closeness;
        let low = run.iter().map(|n| n.2).min().unwrap_or_default();
        let high = run.iter().map(|n| n.2).max().unwrap_or_default();
        let transfers: Vec<TransferId> = run.iter().map(|n| n.1).collect();
        let cash = transfers
            .iter()
            .filter(|t| l.channels()[t.index()] == crate::model::Channel::Cash)
            .count();
        let mut payers: Vec<AccountId> = transfers.iter().map(|t| l.froms()[t.index()]).collect();
        payers.sort_unstable();
        payers.dedup();
        let mut accounts = vec![a];
        accounts.extend(payers);
        // Amounts at their asset's precision: the reporting currency's, or
        // with nominal amounts the finest of the assets paid.
        let (currency, decimals) = if self.nominal {
            let mut assets: Vec<&crate::model::Asset> = transfers
                .iter()
                .map(|t| l.asset(l.assets_paid()[t.index()]))
                .collect();
            assets.sort_unstable_by(|x, y| x.code.cmp(&y.code));
            assets.dedup_by(|x, y| x.code == y.code);
            let codes: Vec<&str> = assets.iter().map(|x| x.code.as_str()).collect();
            let decimals = assets.iter().map(|x| x.decimals).max().unwrap_or(0);
            (codes.join("/"), decimals)
        } else {
            let reporting = crate::model::Asset::from_code(data.currency());
            (data.currency().to_string(), reporting.decimals)
        };
        let shown = |v: Decimal| crate::format::amount(v, decimals);
        let span = run[run.len() - 1].0 - run[0].0;
        let explanation = format!(
            "{} transfers of {}–{} {currency}{} into {} within {}, {} {currency} in all, each under the {} threshold",
            run.len(),
            shown(low),
            shown(high),
            if cash > 0 { format!(" ({cash} in cash)") } else { String::new() },
            data.key(a),
            span_words(span),
            shown(total),
            crate::format::group_thousands(self.threshold),
        );
        let value = data.total(&transfers);
        data.finding(
            Typology::Structuring,
            score,
            accounts,
            transfers,
            value,
            explanation,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testkit::{Kit, H};
    use crate::model::Channel;

    #[test]
    fn finds_deposits_under_the_threshold() {
        let mut k = Kit::new();
        for (i, cents) in [950_000, 910_000, 990_000, 930_000].into_iter().enumerate() {
            k.pay_exact(
                "CASH",
                "shop",
                i as i64 * 5 * H,
                Decimal::new(cents, 2),
                Channel::Cash,
            );
        }
        // near misses: over the threshold, too small, or too spread out
        k.pay("CASH", "a", 0, 10_000)
            .pay("CASH", "a", H, 10_500)
            .pay("CASH", "a", 2 * H, 12_000);
        k.pay("CASH", "b", 0, 5_000)
            .pay("CASH", "b", H, 6_000)
            .pay("CASH", "b", 2 * H, 8_999);
        k.pay("CASH", "c", 0, 9_500)
            .pay("CASH", "c", 200 * H, 9_500)
            .pay("CASH", "c", 400 * H, 9_500);
        let g = k.graph();
        let data = Kit::valued(&g);
        let d = StructuringDetector::default().detect(&data);
        assert_eq!(d.findings.len(), 1, "{:?}", d.findings);
        let f = &d.findings[0];
        assert_eq!(f.amount, Decimal::new(3_780_000, 2));
        assert_eq!(data.key(f.accounts[0]), "shop");
        assert!(
            f.explanation.starts_with("4 transfers of 9,100.00–9,900.00 USD (4 in cash) into shop within 15 h, 37,800.00 USD in all"),
            "{}",
            f.explanation
        );
    }
}
