//! Exchange rates into one reporting currency.
//!
//! Detectors compare amounts paid in different assets, so every amount is
//! valued in a reporting currency (USD by default). Rates come from an FX
//! table the user gives (`asset,rate` lines: units of reporting currency
//! per unit of the asset), or are implied by the data itself:
//!
//! 1. every transfer whose amount paid and amount received are in two
//!    different assets, both non-zero, observes a rate
//!    `amount_received / amount_paid` for the pair (paid → received);
//! 2. each pair's rate is the median of its observations (robust to fees
//!    and odd rows); a pair seen both ways is combined with the inverse of
//!    the other direction's median, weighted by the number of observations;
//! 3. starting from the reporting currency, rates spread along the pairs in
//!    order of how often they were observed (a maximum spanning tree over
//!    observation counts), so each asset's rate comes from the best-attested
//!    chain of conversions.
//!
//! Assets that no chain of conversions reaches have no rate; their amounts
//! value at zero and [`FxTable::unpriced`] lists them (analyses report it).

use crate::ledger::Ledger;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BinaryHeap};

/// The largest value of one transfer in the reporting currency: 10^18.
const MAX_VALUE: Decimal = Decimal::from_parts(0xA764_0000, 0x0DE0_B6B3, 0, false, 0);

/// Rates into a reporting currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FxTable {
    /// The reporting currency's code.
    pub reporting: String,
    /// Units of reporting currency per unit of each asset code.
    pub rates: BTreeMap<String, Decimal>,
    /// Where the rates came from: `"given"` or `"implied"`.
    pub source: String,
    /// Asset codes of the ledger that have no rate.
    pub unpriced: Vec<String>,
}

impl FxTable {
    /// A table from given rates (the reporting currency is 1).
    pub fn given(reporting: &str, rates: BTreeMap<String, Decimal>) -> FxTable {
        let mut rates = rates;
        rates.insert(reporting.to_string(), Decimal::ONE);
        FxTable {
            reporting: reporting.to_string(),
            rates,
            source: "given".to_string(),
            unpriced: Vec::new(),
        }
    }

    /// Rates implied by the ledger's own cross-asset transfers (see the
    /// module documentation for the method).
    ///
    /// ```
    /// use moneytrail::{fx::FxTable, LedgerBuilder, NewTransfer};
    /// use rust_decimal::Decimal;
    /// let mut b = LedgerBuilder::new();
    /// let (x, y) = (b.account("x"), b.account("y"));
    /// let (usd, eur) = (b.asset("USD").unwrap(), b.asset("EUR").unwrap());
    /// let mut t = NewTransfer::simple(0, x, y, Decimal::from(100), eur, 0);
    /// t.asset_received = usd;
    /// t.amount_received = Decimal::from(108);
    /// b.push(t);
    /// let fx = FxTable::implied(&b.finish().unwrap(), "USD");
    /// assert_eq!(fx.rates["EUR"], Decimal::new(108, 2));
    /// ```
    pub fn implied(ledger: &Ledger, reporting: &str) -> FxTable {
        let n_assets = ledger.assets().len();
        // observations per ordered pair (paid, received)
        let mut observed: BTreeMap<(u16, u16), Vec<Decimal>> = BTreeMap::new();
        let (paid, recv) = (ledger.amounts_paid(), ledger.amounts_received());
        let (ap, ar) = (ledger.assets_paid(), ledger.assets_received());
        for i in 0..ledger.len() {
            if ap[i] != ar[i] && !paid[i].is_zero() && !recv[i].is_zero() {
                if let Some(rate) = recv[i].checked_div(paid[i]) {
                    observed.entry((ap[i].0, ar[i].0)).or_default().push(rate);
                }
            }
        }
        // undirected pair → (rate of a in units of b, observations)
        let mut pairs: BTreeMap<(u16, u16), (Decimal, usize)> = BTreeMap::new();
        for ((a, b), mut rates) in observed {
            rates.sort_unstable();
            let median = rates[rates.len() / 2];
            let count = rates.len();
            // rate: units of b per unit of a
            let (key, rate) = if a < b {
                ((a, b), median)
            } else {
                match Decimal::ONE.checked_div(median) {
                    Some(inv) => ((b, a), inv),
                    None => continue,
                }
            };
            let entry = pairs.entry(key).or_insert((Decimal::ZERO, 0));
            let total = entry.1 + count;
            // weighted by observations; on overflow keep the better-attested side
            let weighted = entry
                .0
                .checked_mul(Decimal::from(entry.1))
                .zip(rate.checked_mul(Decimal::from(count)))
                .and_then(|(a, b)| a.checked_add(b))
                .and_then(|sum| sum.checked_div(Decimal::from(total)));
            entry.0 = match weighted {
                Some(w) => w,
                None if count > entry.1 => rate,
                None => entry.0,
            };
            entry.1 = total;
        }
        let mut adjacency: Vec<Vec<(usize, Decimal, usize)>> = vec![Vec::new(); n_assets];
        for (&(a, b), &(rate, count)) in &pairs {
            // value of one a in b is `rate`; of one b in a is 1/rate
            adjacency[a as usize].push((b as usize, rate, count));
            if let Some(inv) = Decimal::ONE.checked_div(rate) {
                adjacency[b as usize].push((a as usize, inv, count));
            }
        }
        let mut value: Vec<Option<Decimal>> = vec![None; n_assets];
        let mut rates = BTreeMap::new();
        rates.insert(reporting.to_string(), Decimal::ONE);
        if let Some(root) = ledger.asset_id(reporting) {
            value[root.index()] = Some(Decimal::ONE);
            // Prim's algorithm on observation counts: most-observed edges first
            let mut heap = BinaryHeap::new();
            for &(to, rate, count) in &adjacency[root.index()] {
                heap.push((count, std::cmp::Reverse(to), root.index(), rate));
            }
            while let Some((_, std::cmp::Reverse(to), from, rate)) = heap.pop() {
                if value[to].is_some() {
                    continue;
                }
                // one `to` is worth 1/rate `from`; one `from` is worth value[from]
                let Some(v) = value[from].and_then(|vf| vf.checked_div(rate)) else {
                    continue;
                };
                value[to] = Some(v);
                for &(next, r, c) in &adjacency[to] {
                    if value[next].is_none() {
                        heap.push((c, std::cmp::Reverse(next), to, r));
                    }
                }
            }
        }
        let mut unpriced = Vec::new();
        for (i, asset) in ledger.assets().iter().enumerate() {
            match value[i] {
                Some(v) => {
                    rates.insert(asset.code.clone(), v.round_dp(12));
                }
                None if asset.code != reporting => unpriced.push(asset.code.clone()),
                None => {}
            }
        }
        FxTable {
            reporting: reporting.to_string(),
            rates,
            source: "implied".to_string(),
            unpriced,
        }
    }

    /// Rates implied by the ledger, overridden and completed by `given`
    /// (what `analyze --fx` does): a given rate always wins.
    pub fn implied_with(ledger: &Ledger, given: &FxTable) -> FxTable {
        let mut table = FxTable::implied(ledger, &given.reporting);
        for (code, rate) in &given.rates {
            table.rates.insert(code.clone(), *rate);
        }
        table.source = "given, completed by implied".to_string();
        table.check(ledger)
    }

    /// Note which of a ledger's assets have no rate.
    pub fn check(mut self, ledger: &Ledger) -> FxTable {
        self.unpriced = ledger
            .assets()
            .iter()
            .filter(|a| !self.rates.contains_key(&a.code))
            .map(|a| a.code.clone())
            .collect();
        self
    }

    /// The rate of one asset code, if known.
    pub fn rate(&self, code: &str) -> Option<Decimal> {
        self.rates.get(code).copied()
    }

    /// Value every transfer's amount paid in the reporting currency (zero
    /// where the asset has no rate), rounded to the cent and capped at
    /// 10^18 (so that sums over any ledger stay inside a `Decimal`).
    pub fn value_paid(&self, ledger: &Ledger) -> Vec<Decimal> {
        let per_asset: Vec<Decimal> = ledger
            .assets()
            .iter()
            .map(|a| self.rate(&a.code).unwrap_or(Decimal::ZERO))
            .collect();
        let assets = ledger.assets_paid();
        ledger
            .amounts_paid()
            .iter()
            .zip(assets)
            .map(|(amount, asset)| {
                amount
                    .checked_mul(per_asset[asset.index()])
                    .unwrap_or(MAX_VALUE)
                    .min(MAX_VALUE)
                    .round_dp(2)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{LedgerBuilder, NewTransfer};

    fn convert(b: &mut LedgerBuilder, row: u32, paid: (&str, i64), received: (&str, i64)) {
        let (x, y) = (b.account("x"), b.account("y"));
        let pa = b.asset(paid.0).unwrap();
        let ra = b.asset(received.0).unwrap();
        let mut t = NewTransfer::simple(i64::from(row), x, y, Decimal::from(paid.1), pa, row);
        t.asset_received = ra;
        t.amount_received = Decimal::from(received.1);
        b.push(t);
    }

    #[test]
    fn implied_rates_chain_through_pairs_and_take_medians() {
        let mut b = LedgerBuilder::new();
        // GBP→EUR observed 3 times (median 1.2), EUR→USD twice and USD→EUR once
        convert(&mut b, 0, ("GBP", 100), ("EUR", 120));
        convert(&mut b, 1, ("GBP", 100), ("EUR", 119));
        convert(&mut b, 2, ("GBP", 100), ("EUR", 500)); // an odd row: the median ignores it
        convert(&mut b, 3, ("EUR", 100), ("USD", 110));
        convert(&mut b, 4, ("EUR", 100), ("USD", 110));
        convert(&mut b, 5, ("USD", 110), ("EUR", 100));
        let (x, y) = (b.account("x"), b.account("y"));
        let jpy = b.asset("JPY").unwrap();
        b.push(NewTransfer::simple(9, x, y, Decimal::from(5), jpy, 9));
        let l = b.finish().unwrap();
        let fx = FxTable::implied(&l, "USD");
        assert_eq!(fx.rates["USD"], Decimal::ONE);
        assert_eq!(fx.rates["EUR"], Decimal::new(11, 1));
        assert_eq!(fx.rates["GBP"], Decimal::new(132, 2));
        assert_eq!(fx.unpriced, ["JPY"]);
        let values = fx.value_paid(&l);
        assert_eq!(values[0], Decimal::from(132)); // 100 GBP
        assert_eq!(values[6], Decimal::ZERO); // JPY has no rate
                                              // a given rate wins and fills the gap
        let given = FxTable::given(
            "USD",
            BTreeMap::from([("JPY".to_string(), Decimal::new(7, 3))]),
        );
        let both = FxTable::implied_with(&l, &given);
        assert!(both.unpriced.is_empty());
        assert_eq!(both.rates["JPY"], Decimal::new(7, 3));
        assert_eq!(both.rates["EUR"], Decimal::new(11, 1));
    }

    #[test]
    fn values_are_capped() {
        assert_eq!(MAX_VALUE, Decimal::from(1_000_000_000_000_000_000i64));
        let mut b = LedgerBuilder::new();
        let (x, y) = (b.account("x"), b.account("y"));
        let odd = b.asset("ODD").unwrap();
        b.push(NewTransfer::simple(
            0,
            x,
            y,
            Decimal::from(1_000_000_000_000_000i64),
            odd,
            0,
        ));
        let l = b.finish().unwrap();
        let fx = FxTable::given(
            "USD",
            BTreeMap::from([("ODD".to_string(), Decimal::from(1_000_000_000i64))]),
        );
        assert_eq!(fx.value_paid(&l)[0], MAX_VALUE);
    }
}
