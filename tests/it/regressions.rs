//! The inputs of `../shared/regressions/` that made the release binary
//! misbehave (copied into `tests/data/regressions/`, or rebuilt here from
//! the shipped sample), each with what must happen instead.

use crate::stdout_of;
use moneytrail::ingest::{load, LoadOptions};
use moneytrail::trace::{trace, Balances, Rule, Seed, TraceOptions};
use moneytrail::{FlowGraph, Reason};
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};

fn data(name: &str) -> PathBuf {
    crate::root().join("tests/data/regressions").join(name)
}

fn lenient() -> LoadOptions {
    LoadOptions {
        lenient: true,
        ..LoadOptions::default()
    }
}

/// A copy of the shipped sample with `line` (1-based) replaced.
fn sample_with(dir: &Path, name: &str, edit: impl Fn(usize, &str) -> String) -> PathBuf {
    let text = std::fs::read_to_string(crate::root().join("data/sample_transfers.csv")).unwrap();
    let edited: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| edit(i + 1, l))
        .collect();
    let path = dir.join(name);
    std::fs::write(&path, edited.join("\n") + "\n").unwrap();
    path
}

// 1. tracing

#[test]
fn trace_cycle_back_keeps_the_books_under_every_rule() {
    let input = data("cyc.csv");
    for rule in ["fifo", "lifo", "haircut", "libr", "poison"] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().to_str().unwrap();
        let args = [
            "trace",
            "--input",
            input.to_str().unwrap(),
            "--account",
            "A",
            "--rule",
            rule,
            "--out",
            out,
            "--no-report",
        ];
        let text = stdout_of(&args);
        assert!(text.contains("traced in  100.00 EUR"), "{rule}: {text}");
        assert!(text.contains("held       100.00 EUR"), "{rule}: {text}");
        assert!(
            !text.contains("(poison)") || rule == "poison",
            "{rule}: {text}"
        );
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("trace.json")).unwrap())
                .unwrap();
        if rule != "poison" {
            assert_eq!(json["conserved"], true, "{rule}");
            assert!(text.contains("books balance"), "{rule}: {text}");
        }
    }
}

#[test]
fn haircut_never_attributes_more_than_an_account_holds() {
    // the generated set of the report: taint returns to the exchange often
    let dir = tempfile::tempdir().unwrap();
    let spec = moneytrail::synth::training::TrainingSpec {
        seed: 3,
        ..moneytrail::synth::training::TrainingSpec::preset("tiny").unwrap()
    };
    moneytrail::synth::training::generate(&spec, dir.path()).unwrap();
    let loaded = load(
        &dir.path().join("transactions.csv"),
        &LoadOptions::default(),
    )
    .unwrap();
    let graph = FlowGraph::new(loaded.ledger);
    let l = graph.ledger();
    let balances = Balances::new(l, &Default::default());
    let exchange = l.account_id("kryptobank").unwrap();
    for rule in Rule::ALL {
        let options = TraceOptions {
            rule,
            ..TraceOptions::default()
        };
        let seeds = [Seed::Inflows {
            account: exchange,
            since: i64::MIN,
            amount: None,
        }];
        let t = trace(&graph, &balances, &seeds, &options).unwrap();
        assert_eq!(t.conserved(), rule.conserves(), "{rule}");
        for h in &t.holdings {
            let closing = balances.closing(h.account, h.asset);
            assert!(
                h.amount <= closing,
                "{rule}: {} holds {} tainted of a balance of {closing}",
                l.account(h.account).key,
                h.amount
            );
        }
    }
}

// 2. corrupt Parquet

#[test]
fn every_corrupt_parquet_file_is_an_error_naming_it() {
    let flips = std::fs::read_to_string(data("parquet_flips.txt")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut cases = 0;
    for line in flips.lines().filter(|l| !l.starts_with('#')) {
        let mut parts = line.split_whitespace();
        let (case, seed) = (parts.next().unwrap(), parts.next().unwrap());
        let mut bytes = std::fs::read(data(seed)).unwrap();
        for flip in parts {
            let (at, byte) = flip.split_once(':').unwrap();
            bytes[at.parse::<usize>().unwrap()] = byte.parse().unwrap();
        }
        let path = dir.path().join(case.replace('/', "_"));
        std::fs::write(&path, &bytes).unwrap();
        for options in [LoadOptions::default(), lenient()] {
            match load(&path, &options) {
                Ok(loaded) => assert!(loaded.report.reconciles(), "{case}"),
                Err(e) => {
                    let message = e.to_string();
                    assert!(
                        message.contains(path.to_str().unwrap()),
                        "{case}: {message}"
                    );
                    assert!(message.contains("Parquet"), "{case}: {message}");
                }
            }
        }
        cases += 1;
    }
    assert_eq!(cases, 17);
    // the seeds themselves load whole
    assert_eq!(
        load(&data("seed_zstd.parquet"), &LoadOptions::default())
            .unwrap()
            .ledger
            .len(),
        5279
    );
    assert_eq!(
        load(&data("seed_plain.parquet"), &LoadOptions::default())
            .unwrap()
            .ledger
            .len(),
        800
    );
}

#[test]
fn text_that_is_not_utf8_in_parquet_costs_its_row() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bin.parquet");
    let from: Vec<&[u8]> = vec![b"alice", b"b\xffob", b"carol"];
    let mut df = DataFrame::new(
        3,
        vec![
            Column::new("tx_id".into(), ["1", "2", "3"]),
            Column::new(
                "time".into(),
                [
                    "2024-03-01T10:00:00Z",
                    "2024-03-01T11:00:00Z",
                    "2024-03-01T12:00:00Z",
                ],
            ),
            Column::new("from".into(), from),
            Column::new("to".into(), ["x", "y", "z"]),
            Column::new("amount".into(), ["1", "2", "3"]),
            Column::new("asset".into(), ["EUR", "EUR", "EUR"]),
        ],
    )
    .unwrap();
    ParquetWriter::new(std::fs::File::create(&path).unwrap())
        .finish(&mut df)
        .unwrap();
    let loaded = load(&path, &lenient()).unwrap();
    assert_eq!(loaded.ledger.len(), 2);
    let e = &loaded.report.rejected[0].0;
    assert_eq!(
        (e.row, e.column.as_str(), e.reason),
        (1, "from", Reason::BadValue)
    );
    let strict = load(&path, &LoadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        strict.contains("row 1") && strict.contains("\"from\""),
        "{strict}"
    );
}

// 3. CSV quotes

#[test]
fn a_stray_quote_costs_one_row_named_by_row_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let stray = sample_with(dir.path(), "stray.csv", |i, l| {
        if i == 7 {
            l.replacen("Northbank", "North\"bank", 1)
        } else {
            l.to_string()
        }
    });
    let loaded = load(&stray, &lenient()).unwrap();
    let r = &loaded.report;
    assert_eq!(
        (r.rows_read, r.rows_loaded, r.rows_rejected),
        (3008, 3007, 1)
    );
    let e = &r.rejected[0].0;
    assert_eq!(
        (e.row, e.line, e.column.as_str()),
        (5, Some(7), "from_institution")
    );
    assert_eq!(e.value, "North\"bank");
    assert_eq!(e.reason, Reason::BadQuoting);
    // a field like "al"ice in a 600-row file, even lenient
    let onebad = sample_with(dir.path(), "onebad.csv", |i, l| {
        if i == 301 {
            format!(
                "T999,2024-03-01T10:00:00Z,\"al\"ice,bob,10,EUR,10,EUR,ach,,,,,,,0,bank,bank\n{l}"
            )
        } else {
            l.to_string()
        }
    });
    let loaded = load(&onebad, &lenient()).unwrap();
    assert_eq!(loaded.report.rows_rejected, 1);
    assert_eq!(loaded.report.rejected[0].0.line, Some(301));
    assert_eq!(loaded.report.rejected[0].0.column, "from");
}

#[test]
fn quotes_inside_unquoted_fields_are_bad_rows_not_a_broken_file() {
    let mis = data("mis.csv");
    let loaded = load(&mis, &lenient()).unwrap();
    let r = &loaded.report;
    assert_eq!((r.rows_read, r.rows_loaded, r.rows_rejected), (3, 1, 2));
    assert!(r.rejected.iter().all(|e| e.0.column == "asset"));
    let strict = load(&mis, &LoadOptions::default()).unwrap_err().to_string();
    assert!(
        strict.contains("row 0 (line 2), column \"asset\": value \"E\"UR\""),
        "{strict}"
    );
}

// 4. JSON keys that differ only in case

#[test]
fn json_keys_match_exactly_first_and_runs_are_identical() {
    let loaded = load(&data("dup.jsonl"), &LoadOptions::default()).unwrap();
    let l = &loaded.ledger;
    assert_eq!(
        l.asset(l.assets_paid()[0]).code,
        "USD",
        "the exact key \"asset\" wins"
    );
    assert_eq!(l.amounts_paid()[0], Decimal::from(10));
    assert!(
        loaded
            .report
            .notes
            .iter()
            .any(|n| n.contains("AMOUNT") && n.contains("Asset")),
        "{:?}",
        loaded.report.notes
    );
    // case variants alone are ambiguous: a row error
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ambiguous.jsonl");
    std::fs::write(
        &path,
        "{\"tx_id\":\"1\",\"time\":\"2024-03-01T10:00:00Z\",\"from\":\"a\",\"to\":\"b\",\"amount\":\"1\",\"Asset\":\"EUR\",\"ASSET\":\"USD\"}\n",
    )
    .unwrap();
    let loaded = load(&path, &lenient()).unwrap();
    assert_eq!(loaded.report.rejected[0].0.column, "asset");
    // identical runs give identical findings
    let input = data("keys_variants.jsonl");
    let digests: Vec<String> = (0..3)
        .map(|_| {
            let dir = tempfile::tempdir().unwrap();
            let out = dir.path().to_str().unwrap();
            stdout_of(&[
                "analyze",
                "--input",
                input.to_str().unwrap(),
                "--lenient",
                "--threads",
                "1",
                "--out",
                out,
                "--no-report",
            ]);
            std::fs::read_to_string(dir.path().join("findings.json")).unwrap()
        })
        .collect();
    assert_eq!(digests[0], digests[1]);
    assert_eq!(digests[1], digests[2]);
}

// 5, 6, 7. byte order marks, invalid UTF-8, UTXO

#[test]
fn byte_order_marks_are_dropped_everywhere() {
    let loaded = load(&data("bom.jsonl"), &LoadOptions::default()).unwrap();
    assert_eq!(loaded.ledger.len(), 2);
    let loaded = load(&data("bom_utxo.jsonl"), &LoadOptions::default()).unwrap();
    assert_eq!(
        loaded.report.layout,
        moneytrail::ingest::Layout::UtxoJsonLines
    );
    assert_eq!(loaded.utxo.len(), 6);
}

#[test]
fn invalid_utf8_is_a_row_error_in_every_reader() {
    for (file, row, line) in [
        ("badutf.jsonl", 0, 1),
        ("badutf_pat.txt", 4, 6),
        ("badutf_utxo.jsonl", 3, 4),
    ] {
        let loaded = load(&data(file), &lenient()).unwrap();
        assert_eq!(loaded.report.rows_rejected, 1, "{file}");
        let e = &loaded.report.rejected[0].0;
        assert_eq!((e.row, e.line), (row, Some(line)), "{file}");
        assert!(
            e.detail.as_deref().unwrap_or("").contains("UTF-8"),
            "{file}: {e}"
        );
        assert!(loaded.report.reconciles());
    }
}

#[test]
fn utxo_files_are_recognised_past_a_bad_first_line_and_must_balance() {
    let loaded = load(&data("utxo_badfirst.jsonl"), &lenient()).unwrap();
    assert_eq!(
        loaded.report.layout,
        moneytrail::ingest::Layout::UtxoJsonLines
    );
    assert_eq!(loaded.report.rows_rejected, 1);
    for file in ["neg.jsonl", "cb.jsonl"] {
        let loaded = load(&data(file), &lenient()).unwrap();
        assert_eq!(loaded.report.rejected_for(Reason::Unbalanced), 1, "{file}");
        let e = load(&data(file), &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("row 0 (line 1), column \"fee\""), "{file}: {e}");
    }
}

// 8, 9. times and amounts out of range

#[test]
fn times_outside_the_accepted_range_are_row_errors_with_their_value() {
    let loaded = load(&data("ts_extreme.parquet"), &lenient()).unwrap();
    assert_eq!(loaded.report.rejected_for(Reason::BadTime), 17);
    assert!(loaded.report.rejected.iter().all(|e| !e.0.value.is_empty()));
    let loaded = load(&data("ts_ms_max.parquet"), &lenient()).unwrap();
    let e = &loaded.report.rejected[0].0;
    assert_eq!(
        (e.reason, e.value.as_str()),
        (Reason::BadTime, "9223372036854775807 ms")
    );
    // and the analysis of what is left reports no 584,000-year spans
    let text = stdout_of(&[
        "summary",
        "--input",
        data("ts_extreme.parquet").to_str().unwrap(),
        "--lenient",
    ]);
    assert!(!text.contains("-262143"), "{text}");
}

#[test]
fn amounts_are_never_rounded() {
    let loaded = load(&data("prec.jsonl"), &lenient()).unwrap();
    assert_eq!(loaded.report.rejected_for(Reason::TooPrecise), 5);
    assert_eq!(loaded.ledger.len(), 1);
}

// 10. investigate

#[test]
fn investigate_writes_one_case_file_per_subject_and_reads_quoted_subjects() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("inv");
    let text = stdout_of(&[
        "investigate",
        "--input",
        data("inj.csv").to_str().unwrap(),
        "--subjects",
        data("inj_subjects.csv").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-report",
    ]);
    let files = std::fs::read_dir(&out)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("case-")
        })
        .count();
    assert_eq!(files, 16);
    assert!(text.contains("wrote 16 case files"), "{text}");
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("index.json")).unwrap()).unwrap();
    let subjects = index["subjects"].as_array().unwrap();
    let by_ref = |r: &str| {
        subjects
            .iter()
            .find(|s| s["case_ref"] == r)
            .unwrap()
            .clone()
    };
    // keys holding quotes and commas are found
    assert_eq!(by_ref("CASE-1")["found"], true);
    assert_eq!(
        by_ref("=HYPERLINK(\"http://evil.example/x\",\"click\")")["found"],
        true
    );
    for r in ["a/b", "a_b", "a?b"] {
        let file = by_ref(r)["file"].as_str().unwrap().to_string();
        let case: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join(&file)).unwrap()).unwrap();
        assert_eq!(case["case_ref"], r, "{file}");
    }
    // 11. cells a spreadsheet would run are quoted in the CSV index
    let csv = std::fs::read_to_string(out.join("index.csv")).unwrap();
    assert!(csv.contains("\"'=HYPERLINK("), "{csv}");
    assert!(csv.contains("'+cmd"), "{csv}");
    assert!(
        !csv.lines()
            .any(|l| l.starts_with('=') || l.starts_with('@')),
        "{csv}"
    );
}

// 11. formulas and terminal control characters

#[test]
fn csv_outputs_neutralise_formulas_unless_asked_and_the_console_shows_controls() {
    let dir = tempfile::tempdir().unwrap();
    let input = sample_with(dir.path(), "keys.csv", |_, l| {
        l.replace("GB-NB-M0580", "=GB-NB-M0580")
            .replace("ES-BS-M0581", "@ES\u{1b}[2J")
    });
    for raw in [false, true] {
        let out = dir.path().join(format!("out{raw}"));
        let mut args = vec![
            "analyze",
            "--input",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--no-report",
            "--top",
            "50",
        ];
        if raw {
            args.push("--raw-csv");
        }
        let text = stdout_of(&args);
        assert!(!text.contains('\u{1b}'), "an escape reached the terminal");
        assert!(text.contains("\\u{1b}"), "{text}");
        for file in ["findings.csv", "accounts.csv"] {
            let csv = std::fs::read_to_string(out.join(file)).unwrap();
            let formula_cell = csv.starts_with('=')
                || [",=", "\n=", ",\"=", ",@", "\n@"]
                    .iter()
                    .any(|p| csv.contains(p));
            assert_eq!(formula_cell, raw, "{file}");
            assert_eq!(csv.contains("'=GB-NB-M0580"), !raw, "{file}");
        }
        // JSON stays exact
        let json = std::fs::read_to_string(out.join("findings.json")).unwrap();
        assert!(json.contains("\"=GB-NB-M0580\""));
    }
}

// 12. summary of UTXO data

#[test]
fn summary_counts_every_account_kind() {
    let text = stdout_of(&[
        "summary",
        "--input",
        data("bom_utxo.jsonl").to_str().unwrap(),
    ]);
    assert!(
        text.contains("accounts    26 (6 onchain_transaction, 20 virtual_asset_address)"),
        "{text}"
    );
}
