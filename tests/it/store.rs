//! The store end to end: `ingest`, then commands with `--store` give what
//! they give on the file, and the errors a user meets first.

use crate::{moneytrail, root, stdout_of};
use std::path::Path;

fn sample() -> String {
    root()
        .join("data/sample_transfers.csv")
        .display()
        .to_string()
}

fn ingest_sample(dir: &Path) -> String {
    let store = dir.join("store");
    let out = stdout_of(&[
        "ingest",
        "--input",
        &sample(),
        "--store",
        store.to_str().unwrap(),
    ]);
    assert!(out.contains("wrote 3,008 transfers"), "{out}");
    assert!(out.contains("copied the FX table"), "{out}");
    store.display().to_string()
}

#[test]
fn analyze_and_trace_from_the_store_equal_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = ingest_sample(dir.path());
    let from_file = dir.path().join("file");
    let from_store = dir.path().join("store-out");
    stdout_of(&[
        "analyze",
        "--out",
        from_file.to_str().unwrap(),
        "--no-report",
    ]);
    stdout_of(&[
        "analyze",
        "--store",
        &store,
        "--out",
        from_store.to_str().unwrap(),
        "--no-report",
    ]);
    for file in ["findings.json", "findings.csv", "accounts.csv"] {
        let a = std::fs::read(from_file.join(file)).unwrap();
        let b = std::fs::read(from_store.join(file)).unwrap();
        assert!(a == b, "{file} differs between --input and --store");
    }
    let findings: serde_json::Value =
        serde_json::from_slice(&std::fs::read(from_store.join("findings.json")).unwrap()).unwrap();
    assert!(findings.as_array().unwrap().len() > 10);
    let trace = [
        "trace",
        "--account",
        "ES-BS-M0501",
        "--rule",
        "fifo",
        "--json",
    ];
    let on_file = stdout_of(&trace);
    let mut with_store = trace.to_vec();
    with_store.extend(["--store", &store]);
    assert_eq!(stdout_of(&with_store), on_file);
}

#[test]
fn a_sharded_analysis_reads_the_store_part_by_part_with_the_same_results() {
    let dir = tempfile::tempdir().unwrap();
    let store = ingest_sample(dir.path());
    let whole = dir.path().join("whole");
    stdout_of(&[
        "analyze",
        "--store",
        &store,
        "--out",
        whole.to_str().unwrap(),
        "--no-report",
    ]);
    for length in ["1d", "7d", "90d"] {
        let parts = dir.path().join(length);
        let out = moneytrail(&[
            "analyze",
            "--store",
            &store,
            "--shard",
            length,
            "--out",
            parts.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("report.html is left out"), "{stderr}");
        assert!(!parts.join("report.html").exists());
        for file in ["findings.json", "findings.csv", "accounts.csv"] {
            let a = std::fs::read(whole.join(file)).unwrap();
            let b = std::fs::read(parts.join(file)).unwrap();
            assert!(
                a == b,
                "{file} differs between the whole store and shards of {length}"
            );
        }
        let summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(parts.join("summary.json")).unwrap()).unwrap();
        assert_eq!(summary["rows_loaded"], 3008);
    }
}

#[test]
fn a_store_over_the_memory_budget_is_analysed_part_by_part_with_the_same_results() {
    let dir = tempfile::tempdir().unwrap();
    let store = ingest_sample(dir.path());
    let run = |budget: &str, out: &Path, source: [&str; 2]| {
        let out = moneytrail(&[
            "analyze",
            source[0],
            source[1],
            "--max-memory",
            budget,
            "--out",
            out.to_str().unwrap(),
            "--no-report",
        ]);
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    // 3,008 transfers are expected to need about 1.3 MB held at once
    let (whole, parts) = (dir.path().join("whole"), dir.path().join("parts"));
    let fits = run("2M", &whole, ["--store", &store]);
    assert!(!fits.contains("--max-memory"), "{fits}");
    let over = run("200K", &parts, ["--store", &store]);
    assert!(
        over.contains(
            "3008 transfers are expected to need about 1.3 MiB held at once, above 200.0 KiB"
        ) && over.contains("reading the store part by part in 4d shards"),
        "{over}"
    );
    for file in ["findings.json", "findings.csv", "accounts.csv"] {
        let a = std::fs::read(whole.join(file)).unwrap();
        let b = std::fs::read(parts.join(file)).unwrap();
        assert!(
            a == b,
            "{file} differs when read part by part for the budget"
        );
    }
    // a file over the budget is analysed in memory, with the way to do better
    let file = dir.path().join("file");
    let note = run("200K", &file, ["--input", &sample()]);
    assert!(
        note.contains("to analyse it part by part: moneytrail ingest --input"),
        "{note}"
    );
    let a = std::fs::read(whole.join("findings.json")).unwrap();
    assert!(a == std::fs::read(file.join("findings.json")).unwrap());
    let bad = moneytrail(&["analyze", "--store", &store, "--max-memory", "lots"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("is not a size like 8G"));
}

#[test]
fn paths_from_a_store_read_only_their_horizon_and_find_what_the_file_gives() {
    let dir = tempfile::tempdir().unwrap();
    let store = ingest_sample(dir.path());
    let paths = |source: [&str; 2], since: &str| {
        let out = moneytrail(&[
            "paths",
            source[0],
            source[1],
            "--from",
            "GB-NB-M0570",
            "--to",
            "GB-NB-M0576",
            "--window",
            "1d",
            "--since",
            since,
            "--until",
            "2024-03-20T06:00:00Z",
        ]);
        assert!(out.status.success(), "{out:?}");
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let sample = sample();
    let (on_file, _) = paths(["--input", &sample], "2024-03-19");
    assert!(on_file.starts_with("1 time-respecting path"), "{on_file}");
    let (on_store, note) = paths(["--store", &store], "2024-03-19");
    assert_eq!(on_store, on_file);
    // the horizon: 2024-03-19 to 2024-03-21T06:00, three daily partitions
    assert!(
        note.contains("read 3 of 30 partitions")
            && note.contains("2024-03-19T00:00:00Z to 2024-03-21T06:00:00Z"),
        "{note}"
    );
    // a path that starts before --since: the file says so, the store says
    // what it looked at
    let (late_file, _) = paths(["--input", &sample], "2024-03-19T08:00:00Z");
    assert!(
        late_file.contains("a path exists whose first transfer, at 2024-03-19T07:00:00Z, is outside --since/--until"),
        "{late_file}"
    );
    let (late_store, _) = paths(["--store", &store], "2024-03-19T08:00:00Z");
    assert!(
        late_store.starts_with("0 time-respecting paths")
            && late_store
                .contains("none: looking only at the store's transfers from 2024-03-19T08:00:00Z"),
        "{late_store}"
    );
}

#[test]
fn a_time_range_reads_part_of_the_store_and_says_when_it_holds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = ingest_sample(dir.path());
    let json =
        |args: &[&str]| -> serde_json::Value { serde_json::from_str(&stdout_of(args)).unwrap() };
    let all = json(&["summary", "--store", &store, "--json"]);
    let part = json(&[
        "summary",
        "--store",
        &store,
        "--read-from",
        "2024-03-10",
        "--read-until",
        "2024-03-20",
        "--json",
    ]);
    let (all, part) = (
        all["report"]["rows_loaded"].as_u64().unwrap(),
        part["report"]["rows_loaded"].as_u64().unwrap(),
    );
    assert!(part > 0 && part < all, "{part} of {all}");
    let out = moneytrail(&["summary", "--store", &store, "--read-from", "2030-01-01"]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("holds no transfers in the time asked for"),
        "{stderr}"
    );
    // a range needs a store, and a store excludes a file
    assert_eq!(
        moneytrail(&["summary", "--read-from", "2024-03-10"])
            .status
            .code(),
        Some(2)
    );
    let both = moneytrail(&["summary", "--store", &store, "--input", &sample()]);
    assert_eq!(both.status.code(), Some(2));
}

#[test]
fn appending_an_earlier_file_or_opening_no_store_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = ingest_sample(dir.path());
    let early = dir.path().join("early.csv");
    std::fs::write(
        &early,
        "tx_id,time,from,to,amount,asset\n1,2024-02-01T00:00:00Z,a,b,1.00,EUR\n",
    )
    .unwrap();
    let out = moneytrail(&[
        "ingest",
        "--input",
        early.to_str().unwrap(),
        "--store",
        &store,
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("early.csv starts at 2024-02-01T00:00:00Z"),
        "{stderr}"
    );
    let late = dir.path().join("late.csv");
    std::fs::write(
        &late,
        "tx_id,time,from,to,amount,asset\n1,2024-04-01T00:00:00Z,a,b,1.00,EUR\n",
    )
    .unwrap();
    let out = stdout_of(&[
        "ingest",
        "--input",
        late.to_str().unwrap(),
        "--store",
        &store,
    ]);
    assert!(out.contains("appended 1 transfer"), "{out}");
    assert!(out.contains("store rows"), "{out}");
    let out = moneytrail(&["analyze", "--store", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("manifest.json"), "{stderr}");
}

#[test]
fn a_streamed_trace_equals_the_trace_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let store = ingest_sample(dir.path());
    let cases: [&[&str]; 5] = [
        &["--account", "ES-BS-M0501", "--rule", "fifo"],
        &[
            "--account",
            "ES-BS-M0501",
            "--rule",
            "poison",
            "--max-hops",
            "3",
        ],
        &["--account", "bc1qdca5f23629c9aa1630", "--rule", "haircut"],
        &[
            "--account",
            "kryptobank",
            "--sent",
            "--rule",
            "libr",
            "--horizon",
            "2024-03-20",
        ],
        &[
            "--transfer",
            "row:17",
            "--transfer",
            "row:2000",
            "--rule",
            "lifo",
        ],
    ];
    for (k, case) in cases.iter().enumerate() {
        let mut in_memory = vec!["trace", "--through-exchanges", "stop", "--json"];
        in_memory.extend_from_slice(case);
        let expected = stdout_of(&in_memory);
        let json: serde_json::Value = serde_json::from_str(&expected).unwrap();
        assert!(
            !json["holdings"].as_array().unwrap().is_empty(),
            "{expected}"
        );
        let mut streamed = vec!["trace", "--json", "--stream", "97"];
        streamed.extend_from_slice(case);
        assert_eq!(stdout_of(&streamed), expected, "{case:?} on the file");
        let mut from_store = vec!["trace", "--json", "--store", &store, "--stream", "500"];
        from_store.extend_from_slice(case);
        assert_eq!(stdout_of(&from_store), expected, "{case:?} from the store");
        // the written folders too
        let (a, b) = (
            dir.path().join(format!("a{k}")),
            dir.path().join(format!("b{k}")),
        );
        let mut write_a = in_memory.clone();
        write_a.extend(["--out", a.to_str().unwrap()]);
        let mut write_b = from_store.clone();
        write_b.extend(["--out", b.to_str().unwrap()]);
        stdout_of(&write_a);
        stdout_of(&write_b);
        for file in ["trace.json", "holdings.csv", "flows.csv"] {
            let (x, y) = (std::fs::read(a.join(file)), std::fs::read(b.join(file)));
            assert!(x.unwrap() == y.unwrap(), "{file} differs for {case:?}");
        }
    }
    // following taint through exchanges needs the whole data
    let out = moneytrail(&[
        "trace",
        "--store",
        &store,
        "--stream",
        "--through-exchanges",
        "linked",
        "--account",
        "ES-BS-M0501",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--stream stops taint at exchanges"), "{err}");
}

#[test]
fn a_backward_trace_holding_the_store_up_to_its_time_equals_the_whole() {
    let dir = tempfile::tempdir().unwrap();
    let store = ingest_sample(dir.path());
    let mut compared = 0;
    for account in ["AE-GB-7731", "kryptobank", "DE-RB-12849", "ES-BS-M0501"] {
        for at in ["2024-03-10", "2024-03-27"] {
            let case = ["--backward", "--account", account, "--at", at];
            let mut whole = vec!["trace", "--through-exchanges", "stop"];
            whole.extend_from_slice(&case);
            let expected = stdout_of(&whole);
            let mut up_to = vec!["trace", "--store", &store, "--stream", "300"];
            up_to.extend_from_slice(&case);
            let out = moneytrail(&up_to);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(String::from_utf8_lossy(&out.stdout), expected, "{case:?}");
            let note = String::from_utf8_lossy(&out.stderr);
            assert!(note.contains("up to --at"), "{note}");
            compared += usize::from(expected.contains("opening balance of"));
        }
    }
    // some of the balances are explained by opening balances, which only
    // the whole store gives
    assert!(compared >= 2, "{compared}");
    let out = moneytrail(&["trace", "--backward", "--stream", "--account", "kryptobank"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("give --store DIR and --at TIME"), "{err}");
}
