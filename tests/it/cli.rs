//! The `moneytrail` binary, end to end.

use std::process::Command;

fn moneytrail(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_moneytrail"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn summary_runs_on_the_shipped_sample() {
    let out = moneytrail(&["summary"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.contains("layout transfers_csv (recognised from the file)"),
        "{stdout}"
    );
    let transfers = moneytrail::synth::sample_set(moneytrail::synth::SAMPLE_SEED)
        .csv
        .lines()
        .count()
        - 1;
    assert!(
        stdout.contains(&format!(
            "rows read {transfers} = loaded {transfers} + rejected 0"
        )),
        "{stdout}"
    );
    assert!(stdout.contains("volume per channel"), "{stdout}");
    assert!(stdout.contains("BTC*"), "{stdout}");
}

#[test]
fn summary_json_reconciles_with_the_ledger() {
    let out = moneytrail(&["summary", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let loaded = moneytrail::ingest::load(
        &crate::root().join("data/sample_transfers.csv"),
        &Default::default(),
    )
    .unwrap();
    let l = &loaded.ledger;
    assert_eq!(v["summary"]["transfers"], l.len() as u64);
    assert_eq!(v["report"]["rows_read"], v["report"]["rows_loaded"]);
    // the EUR volume printed equals the exact decimal sum
    let eur = l.asset_id("EUR").unwrap();
    let sum: rust_decimal::Decimal = (0..l.len())
        .filter(|&i| l.assets_paid()[i] == eur)
        .map(|i| l.amounts_paid()[i])
        .sum();
    assert_eq!(
        v["summary"]["per_asset"]["EUR"]["amount"]["EUR"],
        sum.to_string()
    );
}

#[test]
fn bad_input_fails_with_row_and_column_and_lenient_lists_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.csv");
    std::fs::write(
        &path,
        "tx_id,time,from,to,amount,asset\n1,2024-01-01T00:00:00Z,a,b,5,EUR\n2,2024-01-01T01:00:00Z,b,c,-5,EUR\n",
    )
    .unwrap();
    let p = path.to_str().unwrap();
    let out = moneytrail(&["summary", "--input", p]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr
            .contains("bad.csv: row 1 (line 3), column \"amount\": value \"-5\": negative amount"),
        "{stderr}"
    );

    let out = moneytrail(&["summary", "--input", p, "--lenient"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("rows read 2 = loaded 1 + rejected 1"),
        "{stdout}"
    );
    assert!(stdout.contains("negative_amount"), "{stdout}");
}

#[test]
fn unknown_format_is_a_usage_error() {
    let out = moneytrail(&["summary", "--format", "xml"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn trace_writes_the_contracted_files_and_balances_its_books() {
    let dir = tempfile::tempdir().unwrap();
    let out = moneytrail(&[
        "trace",
        "--account",
        "ES-BS-M0501",
        "--rule",
        "haircut",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("traced in  61,000.00 EUR"), "{stdout}");
    assert!(stdout.contains("books balance"), "{stdout}");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("trace.json")).unwrap())
            .unwrap();
    assert_eq!(v["rule"], "haircut");
    assert_eq!(v["traced_in"]["EUR"], "61000");
    assert_eq!(v["conserved"], true);
    for key in ["held", "exited", "dust"] {
        assert!(v[key].is_object(), "{key}");
    }
    let held: rust_decimal::Decimal = v["holdings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            h["amount"]
                .as_str()
                .unwrap()
                .parse::<rust_decimal::Decimal>()
                .unwrap()
        })
        .sum();
    assert_eq!(
        held,
        v["held"]["EUR"]
            .as_str()
            .unwrap()
            .parse::<rust_decimal::Decimal>()
            .unwrap()
    );
    let holdings = std::fs::read_to_string(dir.path().join("holdings.csv")).unwrap();
    assert!(
        holdings.starts_with("account,asset,amount,share,hops,first_time"),
        "{holdings}"
    );
    assert!(
        std::fs::read_to_string(dir.path().join("flows.csv"))
            .unwrap()
            .lines()
            .count()
            > 12
    );

    let out = moneytrail(&[
        "trace",
        "--account",
        "ES-BS-M0611",
        "--backward",
        "--rule",
        "fifo",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("explained by"),
        "{}",
        text(&out.stdout)
    );
    let out = moneytrail(&["trace", "--account", "nobody"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("no account \"nobody\""));
}

#[test]
fn paths_finds_the_planted_layering_chain() {
    let out = moneytrail(&[
        "paths",
        "--from",
        "GB-NB-M0570",
        "--to",
        "GB-NB-M0576",
        "--max-hops",
        "6",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("1 time-respecting path from"),
        "{stdout}"
    );
    assert!(
        stdout.contains("6 hops, bottleneck 88,085.58 USD"),
        "{stdout}"
    );
    let out = moneytrail(&[
        "paths",
        "--from",
        "GB-NB-M0570",
        "--to",
        "GB-NB-M0576",
        "--max-hops",
        "5",
    ]);
    assert!(text(&out.stdout).starts_with("0 time-respecting paths"));
}

#[test]
fn cluster_on_the_shipped_utxo_sample_explains_and_leaves_the_coinjoin_out() {
    let dir = tempfile::tempdir().unwrap();
    let out = moneytrail(&[
        "cluster",
        "--explain",
        "bc1qexchangedeposit000000000,bc1qexchangehot00000000000",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.contains("1 likely CoinJoin left out"), "{stdout}");
    // the CoinJoin left out is named, not only counted
    assert!(
        stdout.contains(
            "\n  CoinJoin a1f0c0de0004 at 2024-03-04T12:00:00Z: 4 inputs in, 8 outputs out"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("share a cluster through 1 transaction:")
            && stdout.contains("a1f0c0de0006"),
        "{stdout}"
    );
    // the exchange's tag reaches its deposit address, inherited
    let addresses = std::fs::read_to_string(dir.path().join("addresses.csv")).unwrap();
    assert!(
        addresses.contains("bc1qexchangedeposit000000000,")
            && addresses
                .lines()
                .any(|l| l.starts_with("bc1qexchangedeposit000000000")
                    && l.contains("CoinHub,exchange,true")),
        "{addresses}"
    );
    // with CoinJoins merged, the four CoinJoin participants become one cluster
    let out = moneytrail(&[
        "cluster",
        "--keep-coinjoin",
        "--explain",
        "bc1qconsolidate0000000000000,bc1qcarol0000000000000000000",
    ]);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("0 likely CoinJoins merged"), "{stdout}");
    assert!(stdout.contains("a1f0c0de0004"), "{stdout}");
}

#[test]
fn trace_follows_ransom_through_utxo_transactions_and_keeps_the_books() {
    let dir = tempfile::tempdir().unwrap();
    let sample = crate::root().join("data/sample_utxo.jsonl");
    let out = moneytrail(&[
        "trace",
        "--input",
        sample.to_str().unwrap(),
        "--account",
        "bc1qransom00000000000000000a",
        "--rule",
        "haircut",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("traced in  0.50000000 BTC"), "{stdout}");
    assert!(stdout.contains("books balance"), "{stdout}");
    assert!(
        stdout.contains("(fee)"),
        "fees leave the graph as exits: {stdout}"
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("trace.json")).unwrap())
            .unwrap();
    assert_eq!(v["conserved"], true);
}

#[test]
fn investigate_writes_a_case_file_per_subject_and_pseudonymises_every_file() {
    let plain = tempfile::tempdir().unwrap();
    let out = moneytrail(&["investigate", "--out", plain.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let subjects = std::fs::read_to_string(crate::root().join("data/sample_subjects.csv")).unwrap();
    let n = subjects.lines().count() - 1;
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(plain.path().join("index.json")).unwrap())
            .unwrap();
    let entries = index["subjects"].as_array().unwrap();
    assert_eq!(entries.len(), n);
    for e in entries {
        let file = plain.path().join(e["file"].as_str().unwrap());
        let case: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        assert_eq!(case["subject"], e["subject"]);
        assert_eq!(case["found"], true);
    }
    // the mule's case links it to the accounts it paid, through paths
    let mule: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(plain.path().join("case-OP-MULE-1.json")).unwrap(),
    )
    .unwrap();
    let link = mule["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["subject"] == "GB-NB-M0510")
        .unwrap();
    assert_eq!(
        link["paths_to"][0]["accounts"],
        serde_json::json!(["ES-BS-M0501", "GB-NB-M0510"])
    );

    // pseudonymised: no account key of the data in any file, the same pseudonym everywhere
    let shared = tempfile::tempdir().unwrap();
    let out = moneytrail(&[
        "investigate",
        "--pseudonymise",
        "a key two FIUs share",
        "--export",
        "graphml",
        "--out",
        shared.path().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let loaded = moneytrail::ingest::load(
        &crate::root().join("data/sample_transfers.csv"),
        &Default::default(),
    )
    .unwrap();
    let mut all = String::new();
    let mut files = 0;
    for dir in [shared.path().to_path_buf(), shared.path().join("graphs")] {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                all.push_str(&std::fs::read_to_string(path).unwrap());
                files += 1;
            }
        }
    }
    assert_eq!(
        files,
        2 * n + 3,
        "case files, pictures, index.json, index.csv, report.html"
    );
    for a in loaded.ledger.accounts() {
        for pattern in [
            format!("\"{}\"", a.key),
            format!(">{}<", a.key),
            format!(",{},", a.key),
        ] {
            assert!(!all.contains(&pattern), "{} leaked as {pattern}", a.key);
        }
    }
    let p = moneytrail::investigate::Pseudonymiser::new(b"a key two FIUs share");
    let mule_pseudonym = p.pseudonym("ES-BS-M0501");
    assert!(
        all.matches(&mule_pseudonym).count() >= 3,
        "case file, index, report, links"
    );
}

#[test]
fn exposure_of_a_utxo_cluster_reaches_the_tagged_exchange() {
    let sample = crate::root().join("data/sample_utxo.jsonl");
    let tags = crate::root().join("data/sample_tags.csv");
    let args = |hops: &str| {
        vec![
            "exposure".to_string(),
            "--input".into(),
            sample.display().to_string(),
            "--tags".into(),
            tags.display().to_string(),
            "--account".into(),
            "bc1qransom00000000000000000a".into(),
            "--cluster".into(),
            "--currency".into(),
            "BTC".into(),
            "--rule".into(),
            "haircut".into(),
            "--max-hops".into(),
            hops.into(),
            "--json".into(),
        ]
    };
    let run = |hops: &str| -> serde_json::Value {
        let a = args(hops);
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        let out = moneytrail(&refs);
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    // the ransom cluster (two addresses) paid 0.7997 BTC onward; within 8
    // transfers (4 on-chain transactions) part of it reaches the exchange
    let far = run("8");
    assert_eq!(far["total_out"], "0.80");
    let exchange = &far["outgoing"][0];
    assert_eq!(exchange["category"], "exchange");
    assert_eq!(exchange["direct"], "0");
    let share = exchange["share"].as_f64().unwrap();
    assert!(share > 0.3 && share < 0.6, "{far}");
    // within 4 transfers it does not get there
    let near = run("4");
    assert!(near["outgoing"].as_array().unwrap().is_empty(), "{near}");
}

#[test]
fn investigate_takes_a_utxo_cluster_as_one_subject() {
    let dir = tempfile::tempdir().unwrap();
    let subjects = dir.path().join("subjects.csv");
    std::fs::write(
        &subjects,
        "case_ref,subject\nR1,cluster:bc1qransom00000000000000000a\nR1,bc1qexchangedeposit000000000\n",
    )
    .unwrap();
    let out_dir = dir.path().join("out");
    let sample = crate::root().join("data/sample_utxo.jsonl");
    let tags = crate::root().join("data/sample_tags.csv");
    let out = moneytrail(&[
        "investigate",
        "--input",
        sample.to_str().unwrap(),
        "--subjects",
        subjects.to_str().unwrap(),
        "--tags",
        tags.to_str().unwrap(),
        "--currency",
        "BTC",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let case: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("case-R1-1.json")).unwrap())
            .unwrap();
    assert_eq!(case["found"], true);
    assert_eq!(case["member_count"], 2);
    let members: Vec<&str> = case["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert_eq!(
        members,
        [
            "bc1qransom00000000000000000a",
            "bc1qransom00000000000000000b"
        ]
    );
    // both addresses paid into the consolidating transaction: 0.5 + 0.2999 BTC
    assert_eq!(case["total"]["value_out"], "0.80");
    assert_eq!(case["total"]["value_in"], "0.80");
    assert_eq!(
        case["counterparties"].as_array().unwrap().len(),
        3,
        "tx1, tx2 and tx3"
    );
    assert!(
        case["exposure"]["total_out"] == "0.80",
        "{}",
        case["exposure"]
    );
    // the exchange's deposit address is a plain subject of the same case
    let deposit: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("case-R1-2.json")).unwrap())
            .unwrap();
    assert_eq!(deposit["member_count"], 1);
    assert!(deposit.get("members").is_none());
}
