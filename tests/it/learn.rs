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
    // the console and the report rank findings by the model's score too
    let shown: Vec<f64> = out
        .lines()
        .skip_while(|l| !l.starts_with("top findings (by the model's score"))
        .skip(1)
        .take_while(|l| l.starts_with("  F"))
        .map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(words[2], "model", "{l}");
            words[3].parse().unwrap()
        })
        .collect();
    assert!(!shown.is_empty(), "{out}");
    assert!(shown.windows(2).all(|w| w[0] >= w[1]), "{shown:?}");
    let page = std::fs::read_to_string(results.join("report.html")).unwrap();
    let drawn: Vec<f64> = page
        .split("<span class=\"model-score\" title=\"model score\">model ")
        .skip(1)
        .map(|rest| rest[..rest.find('<').unwrap()].parse().unwrap())
        .collect();
    assert_eq!(
        drawn.len(),
        findings.len().min(100),
        "every drawn finding shows its model score"
    );
    assert!(drawn.windows(2).all(|w| w[0] >= w[1]), "{drawn:?}");
    assert!(page.contains("Top accounts by model score"));
    assert!(page.contains("id=\"model\">Transfers the model flags</h2>"));
    let table = page.split("<table class=\"model-flags\">").nth(1).unwrap();
    let listed = table[..table.find("</table>").unwrap()]
        .matches("<tr>")
        .count();
    assert_eq!(
        listed,
        1 + flagged.min(2_000),
        "flagged transfers listed in the report"
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

/// An AMLSim sample-layout set (`transactions.csv` with `nodes.csv`
/// beside it) of 300 accounts, each starting on its own day: every fifth
/// is a mule (labelled in nodes.csv) that gathers from six payers and
/// passes almost everything on the next day; the others pay one or two
/// regular counterparties.
fn amlsim_set(dir: &Path) -> String {
    let mut x: u64 = 17;
    let mut next = |m: u64| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) % m
    };
    let mut rows = vec!["sourceNodeId,targetNodeId,value,time".to_string()];
    let mut nodes = vec!["nodeid,isFraud,init_balance,fraudStep".to_string()];
    for a in 0..300u64 {
        let start = a / 3;
        let mule = a % 5 == 0;
        nodes.push(format!(
            "{a},{},1000,{}",
            u8::from(mule),
            if mule { start } else { 0 }
        ));
        if mule {
            let mut total = 0;
            for k in 0..6 {
                let payer = 1000 + a * 10 + k;
                let amount = 900 + next(200);
                total += amount;
                rows.push(format!("{payer},{a},{amount},{start}"));
            }
            let sink = 5000 + a;
            rows.push(format!("{a},{sink},{},{}", total * 95 / 100, start + 1));
        } else {
            for k in 0..(1 + next(2)) {
                let peer = (a + 1 + k) % 300;
                rows.push(format!("{a},{peer},{},{}", 50 + next(400), start + k));
            }
        }
    }
    std::fs::write(dir.join("nodes.csv"), nodes.join("\n") + "\n").unwrap();
    let input = dir.join("transactions.csv");
    std::fs::write(&input, rows.join("\n") + "\n").unwrap();
    input.display().to_string()
}

#[test]
fn account_labels_train_an_account_level_model_that_scores_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let input = amlsim_set(dir.path());
    let model = dir.path().join("model");
    let model_arg = model.to_str().unwrap();
    let out = stdout_of(&[
        "train", "--input", &input, "--rounds", "40", "--out", model_arg,
    ]);
    assert!(
        out.contains("labels from the input's account labels (60 labelled accounts)"),
        "{out}"
    );
    assert!(
        out.contains("account-level model; training part: "),
        "{out}"
    );
    let metrics = json(&model.join("metrics.json"));
    assert_eq!(metrics["level"], "account");
    let counts = |part: &str| {
        let c = &metrics[part];
        c["positive"].as_u64().unwrap() + c["negative"].as_u64().unwrap()
    };
    // the accounts that pay or receive: 300 own, 60 × 6 payers, 60 sinks
    assert_eq!(counts("train_counts") + counts("validation_counts"), 720);
    assert!(
        metrics["validation"]["f1"].as_f64().unwrap() > 0.9,
        "{metrics}"
    );
    assert_eq!(
        json(&model.join("model.json"))["features"]["level"],
        "account"
    );

    // the same labels named with --labels nodes.csv give the same model
    let again = dir.path().join("again");
    let nodes = dir.path().join("nodes.csv");
    let out = stdout_of(&[
        "train",
        "--input",
        &input,
        "--rounds",
        "40",
        "--labels",
        nodes.to_str().unwrap(),
        "--out",
        again.to_str().unwrap(),
    ]);
    assert!(out.contains("AMLSim account labels"), "{out}");
    assert_eq!(
        std::fs::read_to_string(model.join("trees.json")).unwrap(),
        std::fs::read_to_string(again.join("trees.json")).unwrap()
    );

    let results = dir.path().join("results");
    let out = stdout_of(&[
        "analyze",
        "--input",
        &input,
        "--model",
        model_arg,
        "--out",
        results.to_str().unwrap(),
    ]);
    assert!(
        out.contains("accounts flagged at threshold") || out.contains("account flagged"),
        "{out}"
    );
    assert!(out.contains("(account_scores.csv)"), "{out}");
    let text = std::fs::read_to_string(results.join("account_scores.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("account,score,flagged,reasons"));
    let rows: Vec<(String, f64, bool, String)> = lines
        .map(|l| {
            let mut cells = l.splitn(4, ',');
            let mut next = || cells.next().unwrap().to_string();
            let (account, score, flagged) = (next(), next().parse().unwrap(), next() == "1");
            (
                account,
                score,
                flagged,
                next().trim_matches('"').to_string(),
            )
        })
        .collect();
    assert_eq!(rows.len(), 720);
    assert!(
        rows.windows(2).all(|w| w[0].1 >= w[1].1),
        "highest score first"
    );
    let odd: Vec<_> = rows.iter().filter(|r| r.2 == r.3.is_empty()).collect();
    assert!(odd.is_empty(), "reasons for flagged accounts only: {odd:?}");
    let mules: Vec<&(String, f64, bool, String)> = rows
        .iter()
        .filter(|r| r.0.parse::<u64>().is_ok_and(|a| a < 300 && a % 5 == 0))
        .collect();
    let caught = mules.iter().filter(|r| r.2).count();
    assert!(caught >= 54, "{caught} of 60 mules flagged");
    let honest_flagged = rows.iter().filter(|r| r.2).count() - caught;
    assert!(
        honest_flagged <= 6,
        "{honest_flagged} honest accounts flagged"
    );
    let summary = json(&results.join("summary.json"));
    assert_eq!(summary["model"]["level"], "account");
    assert_eq!(summary["model"]["scored"], 720);
    let page = std::fs::read_to_string(results.join("report.html")).unwrap();
    assert!(page.contains("id=\"model\">Accounts the model flags</h2>"));
}
