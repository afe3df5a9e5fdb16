//! What the rules say about each transfer: for every typology of the
//! detector registry, the best score of the findings that hold the
//! transfer and how many hold it, and over all findings that hold it the
//! most accounts and transfers one of them spans.
//!
//! | column | meaning |
//! |---|---|
//! | `rule_<typology>_score` | best score of a `<typology>` finding holding the transfer (0 if none) |
//! | `rule_<typology>_findings` | `<typology>` findings holding it |
//! | `rule_accounts` | most accounts in one finding holding it (0 if none) |
//! | `rule_transfers` | most transfers in one finding holding it (0 if none) |
//!
//! Unlike the endpoint families these are not causal: a finding is made
//! from the whole data, so a transfer's rule columns can change when
//! later transfers arrive.

use super::FeatureColumns;
use crate::detect::{Finding, Typology};

/// The rule columns' names, in order (see the module documentation).
pub fn rule_names() -> Vec<String> {
    let mut names: Vec<String> = Typology::ALL
        .iter()
        .flat_map(|t| {
            [
                format!("rule_{}_score", t.name()),
                format!("rule_{}_findings", t.name()),
            ]
        })
        .collect();
    names.extend(["rule_accounts".to_string(), "rule_transfers".to_string()]);
    names
}

/// The rule columns of a ledger of `transfers` transfers, from its
/// `findings`, in ledger order.
pub fn rule_features(findings: &[Finding], transfers: usize) -> FeatureColumns {
    let names = rule_names();
    let mut values = vec![vec![0.0; transfers]; names.len()];
    let (accounts, sizes) = (names.len() - 2, names.len() - 1);
    for f in findings {
        let k = Typology::ALL
            .iter()
            .position(|&t| t == f.typology)
            .unwrap_or(0);
        for t in &f.transfers {
            let i = t.index();
            values[2 * k][i] = f64::max(values[2 * k][i], f.score);
            values[2 * k + 1][i] += 1.0;
            values[accounts][i] = f64::max(values[accounts][i], f.accounts.len() as f64);
            values[sizes][i] = f64::max(values[sizes][i], f.transfers.len() as f64);
        }
    }
    FeatureColumns { names, values }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::{analyze, DetectConfig};
    use crate::model::TransferId;
    use crate::{FlowGraph, LedgerBuilder, NewTransfer, Valued};
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(40))]
        #[test]
        fn each_transfer_gets_what_the_findings_holding_it_say(
            ops in proptest::collection::vec((0u8..6, 0u8..6, 1u16..2000, 0u8..48), 1..80)
        ) {
            let mut b = LedgerBuilder::new();
            let usd = b.asset("USD").unwrap();
            let accounts: Vec<_> = (0..6).map(|i| b.account(&format!("a{i}"))).collect();
            for (row, &(f, t, cents, hour)) in ops.iter().enumerate() {
                if f != t {
                    let x = NewTransfer::simple(
                        i64::from(hour) * 3_600_000_000,
                        accounts[f as usize],
                        accounts[t as usize],
                        Decimal::from(cents) * Decimal::from(50),
                        usd,
                        row as u32,
                    );
                    b.push(x);
                }
            }
            let Ok(ledger) = b.finish() else { return Ok(()) };
            let g = FlowGraph::new(ledger);
            let data = Valued::implied(&g, "USD");
            let config = DetectConfig::default();
            let findings = analyze(&data, &config, |_| {}).findings;
            let n = g.ledger().len();
            let got = rule_features(&findings, n);
            let names = rule_names();
            prop_assert_eq!(&got.names, &names);
            for i in 0..n {
                let holding: Vec<&Finding> = findings
                    .iter()
                    .filter(|f| f.transfers.contains(&TransferId(i as u32)))
                    .collect();
                for (k, typology) in Typology::ALL.iter().enumerate() {
                    let mine: Vec<&&Finding> = holding.iter().filter(|f| f.typology == *typology).collect();
                    let best = mine.iter().map(|f| f.score).fold(0.0, f64::max);
                    prop_assert_eq!(got.values[2 * k][i], best);
                    prop_assert_eq!(got.values[2 * k + 1][i], mine.len() as f64);
                }
                let most = |m: &dyn Fn(&Finding) -> usize| holding.iter().map(|f| m(f)).max().unwrap_or(0) as f64;
                prop_assert_eq!(got.values[names.len() - 2][i], most(&|f| f.accounts.len()));
                prop_assert_eq!(got.values[names.len() - 1][i], most(&|f| f.transfers.len()));
            }
        }
    }
}
