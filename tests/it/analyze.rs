//! Detection end to end on the shipped sample: determinism across thread
//! counts, the output files' contract, configs, and scoring.

use moneytrail::detect::{analyze, DetectConfig, Typology};
use moneytrail::fx::FxTable;
use moneytrail::ingest::{load, LoadOptions};
use moneytrail::FlowGraph;
use moneytrail::Valued;
use std::process::Command;

/// `moneytrail score` of `dir/findings.json` against the sample's answer
/// key, with `extra` flags; fails the test when the command fails.
fn score_sample(dir: &std::path::Path, extra: &[&str]) -> String {
    let findings = dir.join("findings.json");
    let truth = crate::root().join("data/sample_truth.json");
    let mut args = vec![
        "score",
        "--findings",
        findings.to_str().unwrap(),
        "--truth",
        truth.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = Command::new(env!("CARGO_BIN_EXE_moneytrail"))
        .args(&args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn sample_graph() -> FlowGraph {
    let loaded = load(
        &crate::root().join("data/sample_transfers.csv"),
        &LoadOptions::default(),
    )
    .unwrap();
    FlowGraph::new(loaded.ledger)
}

fn sample_fx(graph: &FlowGraph) -> FxTable {
    let given =
        moneytrail::ingest::read_fx(&crate::root().join("data/sample_fx.csv"), "USD").unwrap();
    FxTable::implied_with(graph.ledger(), &given)
}

#[test]
fn every_detector_gives_the_same_findings_with_1_and_2_threads() {
    let graph = sample_graph();
    let data = Valued::new(&graph, sample_fx(&graph));
    let config = DetectConfig::default();
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| analyze(&data, &config, |_| {}))
    };
    let one = run(1);
    let two = run(2);
    assert_eq!(one.findings, two.findings);
    assert_eq!(one.truncated, two.truncated);
    // and the sample exercises every typology but stack and on_off_ramp
    // (its one round trip through virtual assets swaps BTC for USDT, so it
    // is chain_hopping; the detector's own tests cover on_off_ramp)
    let per = one.per_typology();
    for t in Typology::ALL {
        if t != Typology::Stack && t != Typology::OnOffRamp {
            assert!(
                per.get(t.name()).copied().unwrap_or(0) > 0,
                "no {t} finding on the sample"
            );
        }
    }
}

#[test]
fn analyze_writes_the_contracted_files_and_score_grades_them() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_moneytrail"))
        .args([
            "analyze",
            "--out",
            dir.path().to_str().unwrap(),
            "--threads",
            "2",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("top findings"), "{stdout}");
    let findings: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("findings.json")).unwrap())
            .unwrap();
    let findings = findings.as_array().unwrap();
    assert!(!findings.is_empty());
    let names: Vec<&str> = Typology::ALL.iter().map(|t| t.name()).collect();
    for f in findings {
        assert!(f["id"].is_string());
        assert!(names.contains(&f["typology"].as_str().unwrap()));
        let score = f["score"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&score));
        assert!(!f["accounts"].as_array().unwrap().is_empty());
        assert!(!f["rows"].as_array().unwrap().is_empty());
        f["amount"]
            .as_str()
            .unwrap()
            .parse::<rust_decimal::Decimal>()
            .unwrap();
        assert_eq!(f["currency"], "USD");
        for key in ["first_time", "last_time"] {
            chrono::DateTime::parse_from_rfc3339(f[key].as_str().unwrap()).unwrap();
        }
        assert!(!f["explanation"].as_str().unwrap().is_empty());
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["rows_loaded"], 3008);
    assert_eq!(summary["rows_rejected"], 0);
    assert!(summary["truncated"].is_boolean());
    assert!(summary["seconds_per_detector"]["cycle"].is_number());
    let total: u64 = summary["findings_per_typology"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(total as usize, findings.len());
    let accounts = std::fs::read_to_string(dir.path().join("accounts.csv")).unwrap();
    assert!(
        accounts.starts_with("account,institution,jurisdiction,kind,max_finding_score,score,"),
        "{accounts}"
    );
    let csv = std::fs::read_to_string(dir.path().join("findings.csv")).unwrap();
    assert_eq!(csv.lines().count(), findings.len() + 1);

    // grade against the sample's answer key
    let out = score_sample(dir.path(), &["--json"]);
    let card: serde_json::Value = serde_json::from_str(&out).unwrap();
    // every planted shape the detectors cover is found on the sample
    for t in [
        "structuring",
        "fan_out",
        "fan_in",
        "cycle",
        "layering_chain",
        "scatter_gather",
        "gather_scatter",
        "pass_through",
        "bipartite",
    ] {
        assert_eq!(
            card["patterns"][t]["found"], 1,
            "{t}: {}",
            card["patterns"][t]
        );
        assert!(
            card["patterns"][t]["named_as"][t].as_u64().unwrap_or(0) >= 1,
            "{t} named as itself"
        );
    }
    assert!(card["transfers"]["recall"].as_f64().unwrap() >= 0.9);
    for t in card["patterns"].as_object().unwrap().values() {
        assert_eq!(
            t["missed"].as_array().unwrap().len() as u64,
            t["attempts"].as_u64().unwrap() - t["found"].as_u64().unwrap()
        );
    }

    // graded on structuring findings alone, the fan-out goes missing
    let stdout = score_sample(dir.path(), &["--typology", "structuring", "--missed"]);
    assert!(stdout.contains("missed fan_out (1 of 1):"), "{stdout}");
    assert!(!stdout.contains("missed structuring"), "{stdout}");
}

#[test]
fn configs_read_from_toml_and_json_with_defaults_for_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let toml_path = dir.path().join("c.toml");
    std::fs::write(&toml_path, "currency = \"EUR\"\nenabled = [\"structuring\"]\n[structuring]\nthreshold = 15000\nwindow = \"3d\"\n").unwrap();
    let json_path = dir.path().join("c.json");
    std::fs::write(
        &json_path,
        r#"{"enabled": ["cycle"], "cycle": {"max_hops": 4, "window": "36h"}}"#,
    )
    .unwrap();
    for path in [&toml_path, &json_path] {
        let out = Command::new(env!("CARGO_BIN_EXE_moneytrail"))
            .args(["analyze", "--config", path.to_str().unwrap(), "--top", "0"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            stdout
                .lines()
                .filter(|l| l.contains("  ") && !l.starts_with("typology"))
                .count(),
            1,
            "{stdout}"
        );
    }
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[cycle]\nmax_hop = 3\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_moneytrail"))
        .args(["analyze", "--config", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("max_hop"),
        "unknown keys are errors"
    );
    // the printed defaults read back as the defaults
    let out = Command::new(env!("CARGO_BIN_EXE_moneytrail"))
        .args(["analyze", "--print-config"])
        .output()
        .unwrap();
    let parsed: DetectConfig = toml::from_str(&String::from_utf8_lossy(&out.stdout)).unwrap();
    assert_eq!(parsed, DetectConfig::default());
}

#[test]
fn extreme_amounts_and_rates_do_not_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("extreme.csv");
    let mut csv = String::from("tx_id,time,from,to,amount,asset,amount_received,asset_received\n");
    for i in 0..40 {
        let (from, to) = (format!("a{}", i % 5), format!("a{}", (i + 1) % 5));
        // the largest accepted amount, and conversions at absurd rates
        csv.push_str(&format!(
            "{i},2024-01-01T{:02}:00:00Z,{from},{to},1000000000000000,USD,0.0000000000001,ZZZ\n",
            i % 24
        ));
        csv.push_str(&format!(
            "x{i},2024-01-01T{:02}:30:00Z,{to},{from},0.0000000000001,ZZZ,1000000000000000,USD\n",
            i % 24
        ));
    }
    std::fs::write(&path, csv).unwrap();
    let loaded = load(&path, &LoadOptions::default()).unwrap();
    let _ = moneytrail::summary::Summary::of(&loaded.ledger);
    let graph = FlowGraph::new(loaded.ledger);
    let data = Valued::implied(&graph, "USD");
    let analysis = analyze(&data, &DetectConfig::default(), |_| {});
    let _ = analysis.per_typology();
    let balances = moneytrail::trace::Balances::new(graph.ledger(), &Default::default());
    for rule in moneytrail::trace::Rule::ALL {
        let options = moneytrail::trace::TraceOptions {
            rule,
            ..Default::default()
        };
        let seeds = [moneytrail::trace::Seed::Transfer {
            transfer: moneytrail::TransferId(0),
            amount: None,
        }];
        let t = moneytrail::trace::trace(&graph, &balances, &seeds, &options).unwrap();
        assert!(!rule.conserves() || t.conserved(), "{rule}");
    }
}

#[test]
fn the_documented_configuration_is_the_default_configuration() {
    let doc = std::fs::read_to_string(crate::root().join("docs/detectors.md")).unwrap();
    let start = doc
        .find("```toml\ncurrency")
        .expect("docs/detectors.md shows the configuration")
        + 8;
    let end = start + doc[start..].find("```").unwrap();
    let shown: DetectConfig = toml::from_str(&doc[start..end]).unwrap();
    assert_eq!(
        shown,
        DetectConfig::default(),
        "docs/detectors.md's configuration is out of date"
    );
}

#[test]
fn the_shipped_wide_configuration_runs_and_finds_every_sample_instance() {
    let dir = tempfile::tempdir().unwrap();
    let config = crate::root().join("data/wide.toml");
    let out = Command::new(env!("CARGO_BIN_EXE_moneytrail"))
        .args([
            "analyze",
            "--config",
            config.to_str().unwrap(),
            "--top",
            "0",
            "--no-report",
            "--out",
            dir.path().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["parameters"]["fan_in"]["window"], "10d");
    assert_eq!(summary["parameters"]["fan_in"]["min_burst"], 2.0);
    // the sample spans 31 days: 3.1 windows of 10 days, burst 2 reachable
    assert_eq!(summary["warnings"], serde_json::json!([]));
    let card: serde_json::Value =
        serde_json::from_str(&score_sample(dir.path(), &["--json"])).unwrap();
    assert_eq!(card["pattern_recall"], 1.0, "{}", card["patterns"]);
}
