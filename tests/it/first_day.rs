//! What a new investigator meets on the shipped sample: one rate table
//! whatever the command line, traces from a payment or from what an
//! account sent, answers that say why they are empty, amounts at their
//! asset's precision, ranking by the strongest finding, one vocabulary.

use crate::{moneytrail, stdout_of};
use std::path::Path;

fn sample(name: &str) -> String {
    crate::root().join("data").join(name).display().to_string()
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn rates_are_the_same_with_and_without_input_and_missing_ones_are_loud() {
    let (bare, named) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let input = sample("sample_transfers.csv");
    let a = stdout_of(&["analyze", "--out", bare.path().to_str().unwrap()]);
    let b = stdout_of(&[
        "analyze",
        "--input",
        &input,
        "--out",
        named.path().to_str().unwrap(),
    ]);
    for out in [&a, &b] {
        assert!(
            out.contains("rates from") && out.contains("sample_fx.csv"),
            "{out}"
        );
        assert!(!out.contains("warning: no USD rate"), "{out}");
    }
    let findings = |dir: &Path| -> Vec<(String, String)> {
        json(&dir.join("findings.json"))
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["id"].to_string(), f["explanation"].to_string()))
            .collect()
    };
    assert_eq!(findings(bare.path()), findings(named.path()));
    assert!(findings(bare.path())
        .iter()
        .any(|(_, e)| e.contains("chain") || e.contains("hop")));
    // the same file without its rates beside it: every unpriced asset is
    // named, with the transfers it leaves at zero, in all three places
    let alone = tempfile::tempdir().unwrap();
    let copy = alone.path().join("transfers.csv");
    std::fs::copy(&input, &copy).unwrap();
    let out_dir = alone.path().join("out");
    let text = stdout_of(&[
        "analyze",
        "--input",
        copy.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    for code in ["BTC", "USDT"] {
        let warning = format!("warning: no USD rate for {code}: ");
        assert!(text.contains(&warning), "{text}");
        let summary = json(&out_dir.join("summary.json"));
        let warnings = summary["warnings"].as_array().unwrap();
        assert!(
            warnings
                .iter()
                .any(|w| w.as_str().unwrap().starts_with(&warning[9..])),
            "{warnings:?}"
        );
        let report = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
        assert!(report.contains(&format!("no USD rate for {code}")));
    }
    assert!(text.contains("transfers valued at 0 USD"), "{text}");
}

#[test]
fn trace_paths_and_exposure_value_crypto_with_the_sample_rates() {
    // a forward trace of the planted cash-out's BTC leg values its holdings
    let out = stdout_of(&["trace", "--account", "bc1qdca5f23629c9aa1630", "--json"]);
    let trace: serde_json::Value = serde_json::from_str(&out).unwrap();
    let holdings = trace["holdings"].as_array().unwrap();
    assert!(!holdings.is_empty(), "{trace}");
    assert!(holdings.iter().all(|h| h["value"].is_string()), "{trace}");
    // a path through BTC has a bottleneck in dollars, not 0
    let paths = stdout_of(&[
        "paths",
        "--from",
        "DE-RB-12849",
        "--to",
        "AE-GB-7731",
        "--max-hops",
        "8",
    ]);
    assert!(paths.contains("1. 7 hops, bottleneck "), "{paths}");
    assert!(!paths.contains("bottleneck 0 USD"), "{paths}");
    // exposure on the UTXO sample finds sample_fx.csv beside it
    let exposure = stdout_of(&[
        "exposure",
        "--input",
        &sample("sample_utxo.jsonl"),
        "--tags",
        &sample("sample_tags.csv"),
        "--account",
        "bc1qransom00000000000000000a",
    ]);
    assert!(!exposure.contains(" 0 USD in, 0 USD out"), "{exposure}");
    assert!(!exposure.contains("warning"), "{exposure}");
}

/// X pays S 3, Y pays S 7, then S pays A 4 and B 6.
fn worked_example(dir: &Path) -> String {
    let path = dir.join("example.csv");
    std::fs::write(
        &path,
        "tx_id,time,from,to,amount,asset\n\
         t1,2024-01-01T00:00:00Z,X,S,3,USD\n\
         t2,2024-01-01T01:00:00Z,Y,S,7,USD\n\
         t3,2024-01-01T02:00:00Z,S,A,4,USD\n\
         t4,2024-01-01T03:00:00Z,S,B,6,USD\n",
    )
    .unwrap();
    path.display().to_string()
}

#[test]
fn trace_from_one_payment_under_all_five_rules() {
    let dir = tempfile::tempdir().unwrap();
    let input = worked_example(dir.path());
    let expect = [
        ("poison", "4", "6"),
        ("haircut", "1.2", "1.8"),
        ("fifo", "3", "0"),
        ("lifo", "0", "3"),
        ("libr", "0", "3"),
    ];
    for (rule, a, b) in expect {
        for seed in ["t1", "row:0"] {
            let out = stdout_of(&[
                "trace",
                "--input",
                &input,
                "--transfer",
                seed,
                "--rule",
                rule,
                "--json",
            ]);
            let trace: serde_json::Value = serde_json::from_str(&out).unwrap();
            let held = |key: &str| -> String {
                trace["holdings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|h| h["account"] == key)
                    .map_or("0".into(), |h| h["amount"].as_str().unwrap().to_string())
            };
            assert_eq!(
                (held("A"), held("B")),
                (a.into(), b.into()),
                "{rule} {seed}"
            );
            assert!(trace["seeds"][0]
                .as_str()
                .unwrap()
                .starts_with("transfer t1 (row 0) X → S"));
        }
    }
    let missing = moneytrail(&["trace", "--input", &input, "--transfer", "t9"]);
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("no transfer with that transaction id")
    );
}

#[test]
fn trace_what_an_account_sent_and_say_why_nothing_was_received() {
    // the source of the sample's scatter-gather received nothing in the data
    let out = stdout_of(&["trace", "--account", "GB-NB-M0580"]);
    assert!(out.contains("traced in  0\n"), "{out}");
    assert!(
        out.contains("GB-NB-M0580 received nothing from another account in the data")
            && out.contains("--sent"),
        "{out}"
    );
    let sent = stdout_of(&["trace", "--account", "GB-NB-M0580", "--sent"]);
    assert!(
        sent.contains("seed       payments of GB-NB-M0580"),
        "{sent}"
    );
    assert!(sent.contains("traced in  48,349.92 EUR"), "{sent}");
    assert!(sent.contains("ES-BS-M0581"), "{sent}");
    assert!(sent.contains("books balance"), "{sent}");
}

#[test]
fn empty_answers_say_why_and_what_to_try() {
    let dir = tempfile::tempdir().unwrap();
    let input = worked_example(dir.path());
    let backward = stdout_of(&["trace", "--input", &input, "--account", "X", "--backward"]);
    assert!(
        backward.starts_with("nothing to explain: X holds 0 in every asset"),
        "{backward}"
    );
    let paths = stdout_of(&["paths", "--from", "DE-RB-12849", "--to", "AE-GB-7731"]);
    assert!(paths.starts_with("0 time-respecting paths"), "{paths}");
    assert!(
        paths.contains("none: the nearest path within 30d has 7 hops: try --max-hops 7"),
        "{paths}"
    );
    let never = stdout_of(&["paths", "--input", &input, "--from", "A", "--to", "X"]);
    assert!(
        never.contains("none: no chain of transfers leads"),
        "{never}"
    );
}

#[test]
fn amounts_show_at_their_assets_precision() {
    let btc = stdout_of(&["trace", "--account", "bc1qdca5f23629c9aa1630"]);
    // BTC at 8 places, dollars at 2, never the raw 12-place quotient
    let holdings: Vec<&str> = btc
        .lines()
        .skip_while(|l| !l.starts_with("largest holdings"))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    assert!(!holdings.is_empty(), "{btc}");
    for line in &holdings {
        let amount = line.split_whitespace().next().unwrap();
        let unit = line.split_whitespace().nth(1).unwrap();
        let places = amount.split('.').nth(1).map_or(0, str::len);
        let want = match unit {
            "BTC" => 8,
            "USDT" => 6,
            _ => 2,
        };
        assert!(amount == "0" || places == want, "{line}");
    }
    let value = btc.lines().find(|l| l.starts_with("held value")).unwrap();
    let figure = value.split_whitespace().nth(2).unwrap();
    assert_eq!(figure.split('.').nth(1).map(str::len), Some(2), "{value}");
    assert!(figure.contains(','), "{value}");
}

#[test]
fn accounts_rank_by_their_strongest_finding() {
    let dir = tempfile::tempdir().unwrap();
    stdout_of(&["analyze", "--out", dir.path().to_str().unwrap()]);
    let csv = std::fs::read_to_string(dir.path().join("accounts.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (key, max, combined) = (col("account"), col("max_finding_score"), col("score"));
    let rows: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    let highest: Vec<f64> = rows.iter().map(|r| r[max].parse().unwrap()).collect();
    assert!(highest.windows(2).all(|w| w[0] >= w[1]), "{csv}");
    // the busy exchange's combined score saturates; it does not lead
    let coinhub = rows.iter().position(|r| r[key] == "coinhub").unwrap();
    assert!(rows[coinhub][combined].parse::<f64>().unwrap() > 0.99);
    assert!(coinhub >= 10, "coinhub ranks {coinhub}: {csv}");
}

#[test]
fn one_vocabulary_on_the_console_and_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = stdout_of(&["analyze", "--out", dir.path().to_str().unwrap()]);
    let summary = json(&dir.path().join("summary.json"));
    // the console's table has a row for every typology the report counts
    for (typology, count) in summary["findings_per_typology"].as_object().unwrap() {
        let row = out
            .lines()
            .find(|l| l.split_whitespace().next() == Some(typology))
            .unwrap_or_else(|| panic!("no row for {typology}: {out}"));
        assert_eq!(
            row.split_whitespace().nth(2),
            Some(count.to_string().as_str()),
            "{row}"
        );
    }
    let report = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    for typology in ["stack", "on_off_ramp", "chain_hopping"] {
        assert!(
            out.lines().any(|l| l.starts_with(typology)),
            "{typology}: {out}"
        );
        // the report's table has the same rows, the detector beside each
        assert!(
            report.contains(&format!("<td>{typology}</td>")),
            "{typology}"
        );
    }
    assert!(
        !report.contains("<tr><td>asset_hop</td>"),
        "a detector is not a typology"
    );
    // plurals
    let dir2 = tempfile::tempdir().unwrap();
    let input = worked_example(dir2.path());
    let fifo = stdout_of(&["trace", "--input", &input, "--transfer", "t1"]);
    assert!(
        fifo.contains("1 tainted transfer;") && fifo.contains(", 1 hop,"),
        "{fifo}"
    );
    // trace offers only what it does
    let help = stdout_of(&["trace", "--help"]);
    for gone in ["--export-top", "--report-drawn"] {
        assert!(!help.contains(gone), "{help}");
    }
    for present in ["--transfer", "--sent", "--fx", "--json"] {
        assert!(help.contains(present), "{help}");
    }
}

#[test]
fn traces_follow_linked_money_through_exchanges_and_say_where_they_stop() {
    // the ransom's BTC goes through coinhub's round trip: swapdesk turns it
    // into USDT, kryptobank pays it out as dollars to AE-GB-7731
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let out = stdout_of(&["trace", "--account", "bc1qdca5f23629c9aa1630", "--out", d]);
    let through = "through kryptobank (exchange): 133,634.928298 USDT deposited (row 2679) left as 133,634.93 USD to AE-GB-7731 (row 2740)";
    assert!(out.contains(through), "{out}");
    let top = out
        .lines()
        .skip_while(|l| *l != "largest holdings")
        .nth(1)
        .unwrap();
    assert!(top.contains("133,634.93 USD AE-GB-7731"), "{out}");
    // what kryptobank's linked payout did not take is said, not lost
    assert!(
        out.contains("stopped at kryptobank (exchange): 671.531420 USDT")
            && out.contains("Its linked payouts did not take this part"),
        "{out}"
    );
    let trace = json(&dir.path().join("trace.json"));
    let passages = trace["through_exchanges"].as_array().unwrap();
    assert_eq!(passages.len(), 2, "{trace}");
    assert_eq!(passages[1]["exchange"], "kryptobank");
    assert_eq!(passages[1]["payout_row"], 2740);
    assert_eq!(trace["conserved"], true);
    let report = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(report.contains("Through exchanges") && report.contains("AE-GB-7731"));

    // switched off, the trace stops at the exchange and says what it paid on
    let out = stdout_of(&[
        "trace",
        "--account",
        "bc1qdca5f23629c9aa1630",
        "--through-exchanges",
        "stop",
        "--out",
        d,
    ]);
    let stop = "stopped at kryptobank (exchange): 134,306.459718 USDT; in the 24 h after, it paid 136,900.24 USD to AE-GB-7731 (1 transfer). No link joins";
    assert!(
        out.contains("where the trace stops\n") && out.contains(stop),
        "{out}"
    );
    let trace = json(&dir.path().join("trace.json"));
    assert!(trace["stopped_at_exchanges"][0]
        .as_str()
        .unwrap()
        .starts_with(stop));
    assert!(trace["through_exchanges"].as_array().unwrap().is_empty());

    // the exchange's own pairing, given as a file, is followed instead
    let links = dir.path().join("links.csv");
    std::fs::write(&links, "deposit,payout\nrow:2679,row:2740\n").unwrap();
    let l = links.to_str().unwrap();
    let out = stdout_of(&[
        "trace",
        "--account",
        "bc1qdca5f23629c9aa1630",
        "--exchange-links",
        l,
    ]);
    assert!(
        out.contains(through) && !out.contains("through swapdesk"),
        "{out}"
    );
    std::fs::write(&links, "deposit,payout\nrow:2740,row:2679\n").unwrap();
    let bad = moneytrail(&[
        "trace",
        "--account",
        "bc1qdca5f23629c9aa1630",
        "--exchange-links",
        l,
    ]);
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        !bad.status.success()
            && err.contains("links.csv")
            && err.contains("row 0")
            && err.contains("does not make the payout"),
        "{err}"
    );
}

#[test]
fn backward_traces_walk_back_through_exchanges_and_name_payers_and_own_money() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let back = stdout_of(&["trace", "--account", "AE-GB-7731", "--backward", "--out", d]);
    // the only payer is named, exchange and all
    assert!(
        back.contains("direct payers: kryptobank (exchange")
            && back.contains("136,900.24 USD in 1 transfer"),
        "{back}"
    );
    // through the exchanges' links back to the customer whose own money it was
    assert!(
        back.contains("130,346.95 USD  opening balance of DE-RB-12849 (EUR)"),
        "{back}"
    );
    let trace = json(&dir.path().join("trace.json"));
    let balance = &trace["balances"][0];
    assert!(balance["direct_payers"]
        .as_str()
        .unwrap()
        .starts_with("kryptobank (exchange"));
    assert_eq!(balance["openings"][0]["account"], "DE-RB-12849");
    let report = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(report.contains("Direct payers of the USD balance: kryptobank"));
    // stopped at the exchange, the dollars are kryptobank's own money
    let stopped = stdout_of(&[
        "trace",
        "--account",
        "AE-GB-7731",
        "--backward",
        "--through-exchanges",
        "stop",
    ]);
    assert!(!stopped.contains("DE-RB-12849"), "{stopped}");
}

#[test]
fn exposure_reaches_the_mixer_through_exchanges_or_says_where_it_stops() {
    let dir = tempfile::tempdir().unwrap();
    let tags = dir.path().join("tags.csv");
    std::fs::write(&tags, "address,entity,category,source,confidence\nbc1qmixer0000000000000000000000,Mixer,mixer,test,1\n").unwrap();
    let t = tags.to_str().unwrap();
    let out = stdout_of(&[
        "exposure",
        "--account",
        "DE-RB-12849",
        "--tags",
        t,
        "--max-hops",
        "4",
    ]);
    assert!(
        out.contains("mixer") && out.contains("indirect     133,678.49 USD"),
        "{out}"
    );
    let out = stdout_of(&[
        "exposure",
        "--account",
        "DE-RB-12849",
        "--tags",
        t,
        "--max-hops",
        "4",
        "--through-exchanges",
        "stop",
    ]);
    assert!(
        out.contains("where its money stops (untagged exchanges)")
            && out.contains("stopped at coinhub (exchange): 130,000.00 EUR"),
        "{out}"
    );
}

#[test]
fn one_account_at_a_glance() {
    let out = stdout_of(&["account", "GB-NB-M0580"]);
    assert!(
        out.starts_with("account GB-NB-M0580 (bank_account, Northbank, GB)"),
        "{out}"
    );
    assert!(out.contains("0 transfers in, 6 transfers out"), "{out}");
    assert!(out.contains("paid          48,349.92 EUR"), "{out}");
    assert!(
        out.contains("opening balance of at least 48,349.92 EUR"),
        "{out}"
    );
    assert!(
        out.contains("counterparties (6, the 6 largest by value)"),
        "{out}"
    );
    assert!(out.contains("F000033 scatter_gather  0.99"), "{out}");
    // on the UTXO sample: its cluster and the tag the cluster inherits
    let utxo = stdout_of(&[
        "account",
        "bc1qransom00000000000000000a",
        "--input",
        &sample("sample_utxo.jsonl"),
    ]);
    assert!(utxo.contains("cluster 1: 2 addresses"), "{utxo}");
    assert!(utxo.contains("tags: LockBite (ransomware)"), "{utxo}");
    let unknown = moneytrail(&["account", "nobody"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no account \"nobody\" in the data"));
}

#[test]
fn the_trainees_copy_has_no_answers_and_the_same_transfers() {
    let dir = tempfile::tempdir().unwrap();
    let (trainer, trainee) = (dir.path().join("trainer"), dir.path().join("trainee"));
    let out = stdout_of(&[
        "generate",
        "--preset",
        "tiny",
        "--out",
        trainer.to_str().unwrap(),
        "--trainee",
        trainee.to_str().unwrap(),
    ]);
    assert!(out.contains("wrote the trainee's copy"), "{out}");
    let mut names: Vec<String> = std::fs::read_dir(&trainee)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["accounts.csv", "transactions.csv"]);
    for name in ["transactions.csv", "accounts.csv"] {
        let text = std::fs::read_to_string(trainee.join(name)).unwrap();
        let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
        for answer in ["label", "role", "laundering"] {
            assert!(!header.contains(&answer), "{name}: {header:?}");
        }
        let full = std::fs::read_to_string(trainer.join(name)).unwrap();
        assert_eq!(text.lines().count(), full.lines().count(), "{name}");
    }
    // the same analysis on either copy
    let findings = |dir: &Path| {
        let out = dir.join("out");
        let csv = dir.join("transactions.csv");
        let input = if csv.is_file() {
            csv
        } else {
            dir.join("transactions.parquet")
        };
        stdout_of(&[
            "analyze",
            "--input",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--no-report",
        ]);
        json(&out.join("findings.json"))
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rows"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(findings(&trainer), findings(&trainee));
    // a Parquet set gets a Parquet copy, which analyses the same
    let (p, q) = (dir.path().join("p"), dir.path().join("q"));
    stdout_of(&[
        "generate",
        "--preset",
        "tiny",
        "--parquet",
        "--out",
        p.to_str().unwrap(),
        "--trainee",
        q.to_str().unwrap(),
    ]);
    assert!(q.join("transactions.parquet").is_file() && !q.join("truth.json").exists());
    assert!(!p.join("transactions.csv").exists());
    assert_eq!(findings(&p), findings(&q));
}

#[test]
fn investigations_count_money_once_and_name_the_currency() {
    let dir = tempfile::tempdir().unwrap();
    let out = stdout_of(&["investigate", "--out", dir.path().to_str().unwrap()]);
    assert!(out.contains(" USD out "), "{out}");
    assert!(
        out.contains("1 finding ") || out.contains(" findings "),
        "{out}"
    );
    let index = json(&dir.path().join("index.json"));
    for s in index["subjects"].as_array().unwrap() {
        let num = |k: &str| s[k].as_str().unwrap().parse::<f64>().unwrap();
        let ceiling = num("value_in").max(num("value_out"));
        assert!(num("freezable_value") <= ceiling + 0.01, "{s}");
    }
    // the exchange kept the euros and paid bitcoin from its own stock:
    // both are listed, the value counted once
    let coinhub = json(&dir.path().join("case-OP-CRYPTO-1.json"));
    let v = &coinhub["freezable_value"];
    let num = |k: &str| v[k].as_str().unwrap().parse::<f64>().unwrap();
    assert!(num("own") + num("downstream") > num("total"), "{v}");
    assert_eq!(v["capped"], true);
    assert_eq!(v["total"], coinhub["total"]["value_in"]);
    // a subject that only paid, from money the data does not show, keeps
    // what its payments left downstream
    let source = json(&dir.path().join("case-OP-ROUND-1.json"));
    assert_eq!(source["freezable_value"]["capped"], false);
    assert!(source["freezable_value"]["total"]
        .as_str()
        .unwrap()
        .starts_with("52217.9"));
}

#[test]
fn score_says_what_each_missed_attempt_looks_like_and_why_it_was_missed() {
    let dir = tempfile::tempdir().unwrap();
    let g = dir.path().join("g");
    let o = dir.path().join("o");
    let input = g.join("transactions.csv");
    stdout_of(&[
        "generate",
        "--preset",
        "tiny",
        "--difficulty",
        "hard",
        "--out",
        g.to_str().unwrap(),
    ]);
    stdout_of(&[
        "analyze",
        "--input",
        input.to_str().unwrap(),
        "--out",
        o.to_str().unwrap(),
        "--no-report",
    ]);
    let (findings, truth) = (o.join("findings.json"), g.join("truth.json"));
    let args = [
        "score",
        "--findings",
        findings.to_str().unwrap(),
        "--truth",
        truth.to_str().unwrap(),
        "--missed",
    ];
    let bare = stdout_of(&args);
    assert!(bare.contains("give --input FILE"), "{bare}");
    let mut full = args.to_vec();
    full.extend(["--input", input.to_str().unwrap()]);
    let out = stdout_of(&full);
    // every missed attempt listed gets a paragraph with at least one reason
    let listed: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("  P") && l.contains("transfers in findings"))
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert!(!listed.is_empty(), "hard data has misses: {out}");
    for id in &listed {
        let at = out
            .find(&format!("\n{id}: "))
            .unwrap_or_else(|| panic!("{id}: {out}"));
        let paragraph: Vec<&str> = out[at + 1..]
            .lines()
            .skip(1)
            .take_while(|l| l.starts_with("  why: "))
            .collect();
        assert!(!paragraph.is_empty(), "{id}: {out}");
    }
    // hard attempts spread over days: some fail a window, named with its value
    assert!(
        out.contains("longer than") && out.contains("'s window "),
        "{out}"
    );
    let json: serde_json::Value = serde_json::from_str(&stdout_of(&{
        let mut j = full.clone();
        j.push("--json");
        j
    }))
    .unwrap();
    assert_eq!(
        json["missed_details"].as_object().unwrap().len(),
        listed.len()
    );
}

#[test]
fn exercises_run_from_the_binary_with_a_worksheet_and_no_answers_for_the_trainee() {
    let list = stdout_of(&["exercise", "list"]);
    for name in ["structuring", "ransom_trace", "suspect_profile"] {
        assert!(list.lines().any(|l| l.starts_with(name)), "{list}");
    }
    let dir = tempfile::tempdir().unwrap();
    let out = stdout_of(&[
        "exercise",
        "run",
        "ransom_trace",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert!(out.contains("Check passed"), "{out}");
    let trainee = dir.path().join("trainee");
    assert!(!trainee.join("truth.json").exists());
    let worksheet = std::fs::read_to_string(trainee.join("worksheet.md")).unwrap();
    assert!(
        worksheet.starts_with("# Exercise: ransom_trace"),
        "{worksheet}"
    );
    // the worksheet's first command, run on the trainee's copy, reaches the
    // cash-out account the trainer's answer key names
    let row = worksheet
        .split("--transfer ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap();
    let input = trainee.join("transactions.csv");
    let trace = stdout_of(&[
        "trace",
        "--input",
        input.to_str().unwrap(),
        "--transfer",
        row,
        "--rule",
        "lifo",
    ]);
    let cash_out = out
        .split("cashed out to ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap();
    assert!(trace.contains(cash_out), "{cash_out}: {trace}");
    let unknown = moneytrail(&[
        "exercise",
        "run",
        "nope",
        "--out",
        dir.path().join("x").to_str().unwrap(),
    ]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("the exercises are structuring"));
}

#[test]
fn investigations_trace_the_seeds_trace_takes() {
    // the fraud's victim: follow the wire it sent to the exchange, and what
    // a mule received, besides the default (a subject's payments)
    let dir = tempfile::tempdir().unwrap();
    let subjects = dir.path().join("subjects.csv");
    std::fs::write(
        &subjects,
        "case_ref,subject,trace\nWIRE,DE-RB-12849,T002586\nMULE,ES-BS-M0501,received\nROUND,GB-NB-M0580,\n",
    )
    .unwrap();
    let out = dir.path().join("cases");
    stdout_of(&[
        "investigate",
        "--subjects",
        subjects.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--max-hops",
        "8",
    ]);
    let wire = json(&out.join("case-WIRE.json"));
    let forward = &wire["forward"];
    assert_eq!(forward["seeded_transfers"], 1, "{forward}");
    assert!(
        forward["seeds"]
            .as_str()
            .unwrap()
            .starts_with("transfers T002586 (row 2585) DE-RB-12849 → coinhub"),
        "{forward}"
    );
    // through coinhub, swapdesk and kryptobank to the dollar account
    let holders: Vec<&str> = forward["holdings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["account"].as_str().unwrap())
        .collect();
    assert_eq!(holders[0], "AE-GB-7731", "{forward}");
    let mule = json(&out.join("case-MULE.json"));
    assert_eq!(mule["forward"]["seeds"], "what others paid it");
    let round = json(&out.join("case-ROUND.json"));
    assert_eq!(round["forward"]["seeds"], "its payments to others");
    // a payment the data does not have is an error naming the case
    std::fs::write(
        &subjects,
        "case_ref,subject,trace\nWIRE,DE-RB-12849,T999999\n",
    )
    .unwrap();
    let bad = moneytrail(&[
        "investigate",
        "--subjects",
        subjects.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        !bad.status.success() && err.contains("case WIRE (DE-RB-12849): trace T999999"),
        "{err}"
    );
}

#[test]
fn features_write_one_row_per_transfer_in_input_order() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let out = stdout_of(&["features", "--out", dir.path().to_str().unwrap()]);
    assert!(out.starts_with("wrote 3,008 rows × 109 columns"), "{out}");
    let file = std::fs::File::open(dir.path().join("features.parquet")).unwrap();
    let df = ParquetReader::new(file).finish().unwrap();
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    assert_eq!(names[0], "row");
    assert_eq!(names.len(), 109);
    assert!(names.iter().any(|n| n == "rule_fan_in_score"), "{names:?}");
    assert!(
        names.iter().any(|n| n == "payee_history_in_assets"),
        "{names:?}"
    );
    assert!(names.iter().any(|n| n == "history_reach"), "{names:?}");
    assert!(names.iter().any(|n| n == "sg_width"), "{names:?}");
    let cycles = tempfile::tempdir().unwrap();
    let out = stdout_of(&[
        "features",
        "--cycle-hops",
        "4",
        "--out",
        cycles.path().to_str().unwrap(),
    ]);
    assert!(out.starts_with("wrote 3,008 rows × 112 columns"), "{out}");
    let bare = tempfile::tempdir().unwrap();
    let out = stdout_of(&[
        "features",
        "--no-rules",
        "--no-scatter-gather",
        "--no-history",
        "--out",
        bare.path().to_str().unwrap(),
    ]);
    // without the 26 rule, the 2 scatter-gather and the 31 history columns
    assert!(out.starts_with("wrote 3,008 rows × 50 columns"), "{out}");
    assert!(
        !names.iter().any(|n| n == "label"),
        "the label is never a feature"
    );
    let rows: Vec<u32> = df
        .column("row")
        .unwrap()
        .u32()
        .unwrap()
        .into_no_null_iter()
        .collect();
    assert_eq!(rows, (0..3008).collect::<Vec<u32>>());
    // row 2585 is the 130,000 EUR wire into coinhub (1.08 USD per EUR in
    // data/sample_fx.csv): coinhub had heard from its payers before
    let f64s = |name: &str| df.column(name).unwrap().f64().unwrap().get(2585).unwrap();
    assert!(
        (f64s("value_paid") - 140_400.0).abs() < 0.01,
        "{}",
        f64s("value_paid")
    );
    assert_eq!(f64s("cross_border"), 1.0);
    assert!(f64s("payee_in_degree") >= 1.0);
    assert_eq!(
        df.column("payee_kind").unwrap().str().unwrap().get(2585),
        Some("exchange")
    );
}

#[test]
fn features_in_time_shards_equal_the_whole_run_value_for_value() {
    use polars::prelude::*;
    let read = |dir: &std::path::Path| {
        let file = std::fs::File::open(dir.join("features.parquet")).unwrap();
        ParquetReader::new(file).finish().unwrap()
    };
    let whole = tempfile::tempdir().unwrap();
    let args = ["features", "--cycle-hops", "3", "--window", "2d"];
    stdout_of(&[&args[..], &["--out", whole.path().to_str().unwrap()]].concat());
    for shard in ["1d", "3d"] {
        let sharded = tempfile::tempdir().unwrap();
        let out = stdout_of(
            &[
                &args[..],
                &["--shard", shard, "--out", sharded.path().to_str().unwrap()],
            ]
            .concat(),
        );
        assert!(
            out.starts_with("wrote 3,008 rows × 111 columns")
                && out.contains(&format!("computed in {shard} shards")),
            "{out}"
        );
        let (a, b) = (read(whole.path()), read(sharded.path()));
        assert!(a.equals(&b), "{shard} shards: the columns differ");
    }
}
