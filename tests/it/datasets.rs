//! The real files in ../shared/datasets load with the right counts.

use moneytrail::ingest::{load, Layout, LoadOptions};
use moneytrail::FlowGraph;
use std::collections::BTreeMap;

fn amlsim(folder: &str, transfers: usize, fraud_accounts: usize) {
    let Some(datasets) = crate::datasets(&format!("amlsim {folder}")) else {
        return;
    };
    let path = datasets
        .join("amlsim")
        .join(folder)
        .join("transactions.csv");
    let loaded = load(&path, &LoadOptions::default()).unwrap();
    assert_eq!(loaded.report.layout, Layout::AmlSimSample);
    assert_eq!(loaded.ledger.len(), transfers, "{folder}");
    assert_eq!(loaded.report.rows_read as usize, transfers);
    assert!(loaded.report.reconciles());
    let ledger = &loaded.ledger;
    assert_eq!(
        ledger.accounts().len(),
        20_000,
        "{folder}: every node is an account"
    );
    let flagged = ledger
        .accounts()
        .iter()
        .filter(|a| a.laundering == Some(true))
        .count();
    assert_eq!(flagged, fraud_accounts, "{folder}");
    let graph = FlowGraph::new(loaded.ledger);
    assert_eq!(graph.graph().edge_count(), transfers);
    let total_out: usize = (0..graph.account_count())
        .map(|a| graph.out_degree(moneytrail::AccountId(a as u32)))
        .sum();
    assert_eq!(total_out, transfers);
}

#[test]
fn amlsim_cycle200() {
    amlsim("20K_cycle200", 117_805, 945);
}

#[test]
fn amlsim_fanin200() {
    amlsim("20K_fanin200", 118_250, 954);
}

#[test]
fn amlsim_fanin200cycle200() {
    // metadata.txt and the datasets README say 1,803 fraud nodes, but
    // nodes.csv flags 1,804 (`awk -F, 'NR>1 && $2==1' nodes.csv | wc -l`)
    amlsim("20K_fanin200cycle200", 120_558, 1_804);
}

#[test]
fn amlworld_patterns_file() {
    let Some(datasets) = crate::datasets("amlworld_patterns_file") else {
        return;
    };
    let path = datasets.join("amlworld/HI-Small_Patterns.txt");
    let loaded = load(&path, &LoadOptions::default()).unwrap();
    assert_eq!(loaded.report.layout, Layout::AmlWorldPatterns);
    assert_eq!(loaded.ledger.len(), 3_209);
    assert_eq!(loaded.attempts.len(), 370);
    let mut per: BTreeMap<String, usize> = BTreeMap::new();
    for a in &loaded.attempts {
        *per.entry(a.typology_name()).or_default() += 1;
    }
    let expected: BTreeMap<String, usize> = [
        ("bipartite", 49),
        ("cycle", 54),
        ("fan_in", 40),
        ("fan_out", 48),
        ("gather_scatter", 51),
        ("random", 41),
        ("scatter_gather", 44),
        ("stack", 43),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(per, expected);
    let rows: usize = loaded.attempts.iter().map(|a| a.rows.len()).sum();
    assert_eq!(rows, 3_209, "every transaction belongs to one attempt");
    let l = &loaded.ledger;
    assert!(l.laundering_labels().iter().all(|&x| x == Some(true)));
    // the first attempt's first row, with its leading zeros kept
    let first = l
        .account_id("021174:800737690")
        .expect("bank id keeps its zeros");
    assert_eq!(l.account(first).institution.as_deref(), Some("021174"));
    let codes: Vec<&str> = l.assets().iter().map(|a| a.code.as_str()).collect();
    for code in ["USD", "EUR", "CNY", "BTC", "SAR", "ILS"] {
        assert!(codes.contains(&code), "{code} in {codes:?}");
    }
    assert!(loaded.report.notes.is_empty(), "{:?}", loaded.report.notes);
}
