//! Learned scoring end to end: `train` on the training generator's data,
//! `analyze --model`, and the errors a user meets first.

use crate::{moneytrail, stdout_of};
use std::path::Path;

/// A tiny generated set (5,000 honest transfers, 14 days) in `dir`.
fn generated(dir: &Path) -> String {
    let out = dir.to_str().unwrap();
    stdout_of(&["generate", "--preset", "tiny", "--seed", "3", "--out", out]);
    dir.join("transactions.csv").display().to_string()
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The `row`, `score`, `flagged` and `reasons` columns of transfer_scores.csv.
fn scores(dir: &Path) -> Vec<(u32, f64, u8, String)> {
    let text = std::fs::read_to_string(dir.join("transfer_scores.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("row,score,flagged,reasons"));
    lines
        .map(|line| {
            let mut cells = line.splitn(4, ',');
            let mut next = || cells.next().unwrap().to_string();
            (
                next().parse().unwrap(),
                next().parse().unwrap(),
                next().parse().unwrap(),
                next().trim_matches('"').to_string(),
            )
        })
        .collect()
}

/// The generated CSV `input` with every line's cells changed by `edit`
/// (the cells, the label column's position, whether it is the header).
fn with_label_column(input: &str, edit: impl Fn(&mut Vec<&str>, usize, bool)) -> String {
    let text = std::fs::read_to_string(input).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let label = header.iter().position(|c| *c == "label").unwrap();
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            let mut cells: Vec<&str> = l.split(',').collect();
            edit(&mut cells, label, i == 0);
            cells.join(",") + "\n"
        })
        .collect()
}

#[test]
fn train_then_analyze_with_the_model_scores_and_explains_every_transfer() {
    let dir = tempfile::tempdir().unwrap();
    let input = generated(dir.path());
    let model = dir.path().join("model");
    let out = stdout_of(&["train", "--input", &input, "--out", model.to_str().unwrap()]);
    assert!(
        out.contains("labels from the input's label column"),
        "{out}"
    );
    assert!(out.contains("validation: F1 "), "{out}");
    for file in ["model.json", "trees.json", "metrics.json"] {
        assert!(model.join(file).is_file(), "{file} missing");
    }
    let metrics = json(&model.join("metrics.json"));
    let f1 = metrics["validation"]["f1"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&f1), "{metrics}");
    assert!(metrics["validation_counts"]["positive"].as_u64().unwrap() > 0);
    assert!(metrics["importances"].as_array().unwrap().len() > 3);

    let results = dir.path().join("results");
    let model_arg = model.to_str().unwrap();
    let out = stdout_of(&[
        "analyze",
        "--input",
        &input,
        "--model",
        model_arg,
        "--out",
        results.to_str().unwrap(),
    ]);
    assert!(out.contains("(transfer_scores.csv)"), "{out}");
    let rows = scores(&results);
    let transfers = std::fs::read_to_string(&input).unwrap().lines().count() - 1;
    assert_eq!(rows.len(), transfers);
    assert!(rows.iter().enumerate().all(|(i, r)| r.0 as usize == i));
    let threshold = json(&model.join("model.json"))["threshold"]
        .as_f64()
        .unwrap();
    for (row, score, flagged, reasons) in &rows {
        assert!((0.0..=1.0).contains(score), "row {row}");
        // scores are rounded to 6 decimals in the file
        if (score - threshold).abs() > 1e-6 {
            assert_eq!(
                *flagged == 1,
                *score > threshold,
                "row {row}: {score} vs {threshold}"
            );
        }
        assert_eq!(*flagged == 1, !reasons.is_empty(), "row {row}: {reasons}");
    }
    let flagged = rows.iter().filter(|r| r.2 == 1).count();
    assert!(flagged > 0, "the model flags none of the planted transfers");
    assert!(
        rows.iter().any(|r| r.3.contains("within 24 h")),
        "reasons in words"
    );
    let findings = json(&results.join("findings.json"));
    let findings = findings.as_array().unwrap();
    assert!(!findings.is_empty());
    assert!(findings.iter().all(|f| f["model_score"].as_f64().is_some()));
    let summary = json(&results.join("summary.json"));
    assert_eq!(
        summary["model"]["flagged"].as_u64().unwrap() as usize,
        flagged
    );
    let accounts = std::fs::read_to_string(results.join("accounts.csv")).unwrap();
    let header = accounts.lines().next().unwrap();
    assert!(header.ends_with(",model_score"), "{header}");
    let ranked: Vec<f64> = accounts
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap().parse().unwrap())
        .collect();
    assert!(
        ranked.windows(2).all(|w| w[0] >= w[1]),
        "accounts.csv ranks by the model"
    );

    // the model's flags graded like findings, over all rows and from row 4,000 on
    let scores_file = results.join("transfer_scores.csv");
    let key = dir.path().join("truth.json");
    let graded = |extra: &[&str]| {
        let mut a = vec![
            "score",
            "--transfer-scores",
            scores_file.to_str().unwrap(),
            "--truth",
            key.to_str().unwrap(),
            "--input",
            &input,
            "--json",
        ];
        a.extend_from_slice(extra);
        let v: serde_json::Value = serde_json::from_str(&stdout_of(&a)).unwrap();
        v
    };
    let all = graded(&[]);
    assert_eq!(all["findings"].as_u64().unwrap() as usize, flagged);
    assert!(all["pattern_recall"].as_f64().unwrap() > 0.0, "{all}");
    let later = graded(&["--from-row", "4000"]);
    let later_flags = rows.iter().filter(|r| r.0 >= 4000 && r.2 == 1).count();
    assert_eq!(later["findings"].as_u64().unwrap() as usize, later_flags);
    assert!(later["accounts"].is_null(), "{later}");
    let labelled_later = later["transfers"]["labelled"].as_u64().unwrap();
    assert!(labelled_later < all["transfers"]["labelled"].as_u64().unwrap());

    // the same model on the same transfers without their label column
    let bare = dir.path().join("bare.csv");
    let stripped = with_label_column(&input, |cells, label, _| {
        cells.remove(label);
    });
    std::fs::write(&bare, stripped).unwrap();
    let unlabelled = dir.path().join("unlabelled");
    stdout_of(&[
        "analyze",
        "--input",
        bare.to_str().unwrap(),
        "--model",
        model_arg,
        "--out",
        unlabelled.to_str().unwrap(),
    ]);
    assert_eq!(
        scores(&unlabelled),
        rows,
        "scores do not depend on the labels"
    );
}

#[test]
fn labels_come_from_an_answer_key_as_well_as_from_the_label_column() {
    let dir = tempfile::tempdir().unwrap();
    let input = generated(dir.path());
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    stdout_of(&[
        "train",
        "--input",
        &input,
        "--rounds",
        "30",
        "--out",
        a.to_str().unwrap(),
    ]);
    let key = dir.path().join("truth.json");
    let out = stdout_of(&[
        "train",
        "--input",
        &input,
        "--rounds",
        "30",
        "--labels",
        key.to_str().unwrap(),
        "--out",
        b.to_str().unwrap(),
    ]);
    assert!(out.contains("labels from answer key"), "{out}");
    let (ma, mb) = (json(&a.join("metrics.json")), json(&b.join("metrics.json")));
    assert_eq!(ma["train_counts"], mb["train_counts"]);
    assert_eq!(ma["validation_counts"], mb["validation_counts"]);
    assert_eq!(
        ma["validation"], mb["validation"],
        "same labels, same model"
    );
}

#[test]
fn train_and_score_refuse_what_cannot_work_and_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let input = generated(dir.path());
    let model = dir.path().join("model");
    let m = model.to_str().unwrap();

    // a label column with no laundering in it
    let cleared = with_label_column(&input, |cells, label, header| {
        if !header {
            cells[label] = "0";
        }
    });
    let clean = dir.path().join("clean.csv");
    std::fs::write(&clean, cleared).unwrap();
    let out = moneytrail(&["train", "--input", clean.to_str().unwrap(), "--out", m]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("mark none of the"), "{err}");

    // the shipped sample has labels; a label option that is neither
    let out = moneytrail(&["train", "--labels", "no-such-column", "--out", m]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("neither a file nor a label column"),
        "{err}"
    );

    // a model scores only in its own reporting currency
    stdout_of(&["train", "--input", &input, "--rounds", "20", "--out", m]);
    let res = dir.path().join("res");
    let out = moneytrail(&[
        "analyze",
        "--input",
        &input,
        "--model",
        m,
        "--currency",
        "EUR",
        "--out",
        res.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("--currency USD"),
        "{err}"
    );

    // a folder that holds no model
    let out = moneytrail(&[
        "analyze",
        "--model",
        res.to_str().unwrap(),
        "--out",
        res.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("model.json"), "{err}");
}
