//! The shipped sample is what the generator makes, and its answer key
//! points at the right rows.

use moneytrail::ingest::{load, LoadOptions};
use moneytrail::synth::{sample_set, SAMPLE_SEED};

#[test]
fn committed_sample_equals_the_generator_output() {
    let set = sample_set(SAMPLE_SEED);
    let data = crate::root().join("data");
    let csv = std::fs::read_to_string(data.join("sample_transfers.csv")).unwrap();
    assert!(
        csv == set.csv,
        "data/sample_transfers.csv is stale: run `cargo run --example make_sample`"
    );
    let truth = std::fs::read_to_string(data.join("sample_truth.json")).unwrap();
    assert_eq!(truth, set.truth_json(SAMPLE_SEED));
}

#[test]
fn sample_loads_with_labels_matching_the_answer_key() {
    let path = crate::root().join("data/sample_transfers.csv");
    let loaded = load(&path, &LoadOptions::default()).unwrap();
    let l = &loaded.ledger;
    assert_eq!(loaded.report.rows_rejected, 0);
    let truth: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(crate::root().join("data/sample_truth.json")).unwrap(),
    )
    .unwrap();
    let mut key_rows: Vec<u64> = truth["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| {
            a["rows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_u64().unwrap())
        })
        .collect();
    key_rows.sort_unstable();
    let mut labelled: Vec<u64> = (0..l.len())
        .filter(|&i| l.laundering_labels()[i] == Some(true))
        .map(|i| u64::from(l.source_rows()[i]))
        .collect();
    labelled.sort_unstable();
    assert_eq!(labelled, key_rows);
    // bank and virtual-currency parts are both there
    assert!(l.assets().iter().any(|a| a.virtual_currency));
    assert!(l
        .accounts()
        .iter()
        .any(|a| a.kind == moneytrail::AccountKind::Exchange));
}
