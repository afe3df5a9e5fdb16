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

/// What `analyze` prints, with what varies from run to run masked: the
/// load time and the seconds per detector. Whitespace runs count as one.
fn masked(output: &str) -> Vec<String> {
    output
        .lines()
        .map(|line| {
            let mut words: Vec<&str> = line.split_whitespace().collect();
            if let Some(i) = words.iter().position(|w| *w == "loaded") {
                if words.get(i + 1) == Some(&"in") && i + 2 < words.len() {
                    words[i + 2] = "(time)";
                }
            }
            // a typology's row: name, detector, findings, seconds[, truncated]
            let is_row = words.len() >= 4
                && words[0].chars().all(|c| c.is_ascii_lowercase() || c == '_')
                && words[2].parse::<u64>().is_ok()
                && words[3].parse::<f64>().is_ok();
            if is_row {
                words[3] = "(seconds)";
            }
            words.join(" ")
        })
        .collect()
}

#[test]
fn the_readme_shows_what_analyze_prints_on_the_sample() {
    let readme = std::fs::read_to_string(crate::root().join("README.md")).unwrap();
    let start = readme
        .find("```text\ndata/sample_transfers.csv:")
        .expect("the README shows what analyze prints on the sample")
        + "```text\n".len();
    let end = start + readme[start..].find("```").unwrap();
    let shown = &readme[start..end];
    let dir = tempfile::tempdir().unwrap();
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_moneytrail"))
        .args(["analyze", "--out", "out/"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    // the sample is found through the checkout; the README shows its paths
    // relative to it
    let root = format!("{}/", crate::root().display());
    let printed = String::from_utf8(run.stdout).unwrap().replace(&root, "");
    assert_eq!(
        masked(shown),
        masked(&printed),
        "README.md's sample output is out of date; it is now:\n{printed}"
    );
}
