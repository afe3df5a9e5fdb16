//! The training generator: deterministic bytes, and every planted instance
//! checked by code that does not share the detectors' logic.

use moneytrail::synth::training::{generate, Difficulty, OutputFormat, TrainingSpec};
use std::collections::{BTreeMap, BTreeSet};

fn tiny(seed: u64, difficulty: Difficulty, format: OutputFormat) -> TrainingSpec {
    TrainingSpec {
        seed,
        difficulty,
        format,
        ..TrainingSpec::preset("tiny").unwrap()
    }
}

fn files(dir: &std::path::Path) -> Vec<Vec<u8>> {
    [
        "transactions.csv",
        "accounts.csv",
        "truth.json",
        "patterns.txt",
    ]
    .iter()
    .map(|f| std::fs::read(dir.join(f)).unwrap())
    .collect()
}

#[test]
fn same_seed_same_bytes_whatever_the_thread_count() {
    for format in [OutputFormat::Transfers, OutputFormat::AmlWorld] {
        let (a, b, c) = (
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
        );
        let spec = tiny(5, Difficulty::Hard, format);
        generate(&spec, a.path()).unwrap();
        rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| generate(&spec, b.path()).unwrap());
        generate(&tiny(6, Difficulty::Hard, format), c.path()).unwrap();
        assert!(
            files(a.path()) == files(b.path()),
            "{format:?}: same seed, different bytes"
        );
        assert!(
            files(a.path())[0] != files(c.path())[0],
            "{format:?}: another seed, same data"
        );
    }
}

/// One row of transactions.csv (transfers layout), parsed by hand.
#[derive(Debug, Clone)]
struct Row {
    time: String,
    from: String,
    to: String,
    amount: f64,
    asset: String,
    asset_received: String,
    label: String,
}

fn parse(dir: &std::path::Path) -> (Vec<Row>, serde_json::Value) {
    let text = std::fs::read_to_string(dir.join("transactions.csv")).unwrap();
    let rows = text
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 18, "{l}");
            Row {
                time: f[1].into(),
                from: f[2].into(),
                to: f[3].into(),
                amount: f[4].parse().unwrap(),
                asset: f[5].into(),
                asset_received: f[7].into(),
                label: f[15].into(),
            }
        })
        .collect();
    let truth =
        serde_json::from_str(&std::fs::read_to_string(dir.join("truth.json")).unwrap()).unwrap();
    (rows, truth)
}

fn distinct<'a>(it: impl Iterator<Item = &'a String>) -> BTreeSet<&'a String> {
    it.collect()
}

#[test]
fn every_planted_instance_has_its_shape_and_the_key_points_at_it() {
    for difficulty in [Difficulty::Easy, Difficulty::Normal, Difficulty::Hard] {
        let dir = tempfile::tempdir().unwrap();
        generate(&tiny(11, difficulty, OutputFormat::Transfers), dir.path()).unwrap();
        let (rows, truth) = parse(dir.path());
        assert_eq!(truth["rows"].as_u64().unwrap() as usize, rows.len());
        let attempts = truth["attempts"].as_array().unwrap();
        let mut per_typology: BTreeMap<&str, usize> = BTreeMap::new();
        let mut keyed = BTreeSet::new();
        for a in attempts {
            let typology = a["typology"].as_str().unwrap();
            *per_typology.entry(typology).or_default() += 1;
            let mut rs: Vec<Row> = a["rows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    let i = r.as_u64().unwrap() as usize;
                    assert!(keyed.insert(i), "row {i} in two attempts");
                    rows[i].clone()
                })
                .collect();
            rs.sort_by(|x, y| x.time.cmp(&y.time));
            let accounts: BTreeSet<String> = a["accounts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap().to_string())
                .collect();
            for r in &rs {
                assert_eq!(r.label, "1", "{typology}: planted rows are labelled");
                assert!(
                    accounts.contains(&r.from) && accounts.contains(&r.to),
                    "{typology}: row accounts are in the key"
                );
            }
            let p = &a["parameters"];
            let n = |k: &str| p[k].as_u64().unwrap() as usize;
            let what = format!("{difficulty:?} {typology} {}", a["id"]);
            match typology {
                "fan_out" => {
                    assert_eq!(distinct(rs.iter().map(|r| &r.from)).len(), 1, "{what}");
                    assert_eq!(
                        distinct(rs.iter().map(|r| &r.to)).len(),
                        n("counterparties"),
                        "{what}"
                    );
                }
                "fan_in" => {
                    assert_eq!(distinct(rs.iter().map(|r| &r.to)).len(), 1, "{what}");
                    assert_eq!(
                        distinct(rs.iter().map(|r| &r.from)).len(),
                        n("counterparties"),
                        "{what}"
                    );
                }
                "cycle" | "layering_chain" => {
                    assert_eq!(rs.len(), n("hops"), "{what}");
                    for w in rs.windows(2) {
                        assert_eq!(w[0].to, w[1].from, "{what}: a path");
                        assert!(w[0].time <= w[1].time);
                    }
                    if typology == "cycle" {
                        assert_eq!(rs[rs.len() - 1].to, rs[0].from, "{what}: closes");
                    } else {
                        let accounts_on_path = distinct(
                            rs.iter()
                                .map(|r| &r.from)
                                .chain(std::iter::once(&rs[rs.len() - 1].to)),
                        );
                        assert_eq!(
                            accounts_on_path.len(),
                            rs.len() + 1,
                            "{what}: no account twice"
                        );
                    }
                }
                "scatter_gather" => {
                    let w = n("width");
                    assert_eq!(rs.len(), 2 * w, "{what}");
                    let sources = distinct(
                        rs.iter()
                            .filter(|r| !rs.iter().any(|x| x.to == r.from))
                            .map(|r| &r.from),
                    );
                    let sinks = distinct(
                        rs.iter()
                            .filter(|r| !rs.iter().any(|x| x.from == r.to))
                            .map(|r| &r.to),
                    );
                    assert_eq!((sources.len(), sinks.len()), (1, 1), "{what}");
                    for r in rs.iter().filter(|r| sources.contains(&r.from)) {
                        let onward: Vec<&Row> = rs.iter().filter(|x| x.from == r.to).collect();
                        assert_eq!(onward.len(), 1, "{what}: each intermediary pays on once");
                        assert!(onward[0].time > r.time, "{what}: after receiving");
                    }
                }
                "gather_scatter" => {
                    let w = n("width");
                    let hub = rs
                        .iter()
                        .find(|r| rs.iter().filter(|x| x.to == r.to).count() == w)
                        .unwrap()
                        .to
                        .clone();
                    let (ins, outs): (Vec<&Row>, Vec<&Row>) = rs.iter().partition(|r| r.to == hub);
                    assert_eq!((ins.len(), outs.len()), (w, w), "{what}");
                    assert!(outs.iter().all(|o| o.from == hub));
                    assert!(
                        ins.iter().map(|r| &r.time).max() < outs.iter().map(|r| &r.time).min(),
                        "{what}: gathered first"
                    );
                }
                "bipartite" | "stack" => {
                    let (w, layers) = (n("width"), n("layers"));
                    assert_eq!(rs.len(), (layers - 1) * w * w, "{what}");
                    let pairs = rs
                        .iter()
                        .map(|r| (&r.from, &r.to))
                        .collect::<BTreeSet<_>>()
                        .len();
                    assert_eq!(pairs, rs.len(), "{what}: every pair once");
                }
                "structuring" => {
                    assert_eq!(rs.len(), n("deposits"), "{what}");
                    assert!(
                        rs.iter().all(|r| r.from == "CASH" && r.to == rs[0].to),
                        "{what}"
                    );
                    assert!(
                        rs.iter().all(|r| (9_100.0..10_000.0).contains(&r.amount)),
                        "{what}"
                    );
                }
                "pass_through" => {
                    let k = n("inflows");
                    assert_eq!(rs.len(), 2 * k, "{what}");
                    // the mule receives k payments and makes k, each after its inflow
                    let mule = distinct(rs.iter().map(|r| &r.to))
                        .into_iter()
                        .find(|m| {
                            rs.iter().filter(|r| &&r.to == m).count() == k
                                && rs.iter().filter(|r| &&r.from == m).count() == k
                        })
                        .unwrap_or_else(|| panic!("{what}: no mule"))
                        .clone();
                    let first_in = rs
                        .iter()
                        .filter(|r| r.to == mule)
                        .map(|r| &r.time)
                        .min()
                        .unwrap();
                    assert!(
                        rs.iter()
                            .filter(|r| r.from == mule)
                            .all(|r| &r.time > first_in),
                        "{what}"
                    );
                }
                "virtual_currency_layering" => {
                    assert!(
                        rs.iter()
                            .any(|r| r.asset == "BTC" && r.asset_received == "USDT"),
                        "{what}: a swap"
                    );
                    assert!(
                        rs[0].asset != "BTC" && rs[rs.len() - 1].asset != "BTC",
                        "{what}: fiat in and out"
                    );
                    assert!(rs.len() >= 3 + 2 * n("wallets"), "{what}");
                }
                other => panic!("unknown typology {other}"),
            }
        }
        assert_eq!(
            per_typology.len(),
            11,
            "{difficulty:?}: every typology planted"
        );
        let labelled = rows.iter().filter(|r| r.label == "1").count();
        assert_eq!(
            labelled,
            keyed.len(),
            "{difficulty:?}: labels are exactly the keyed rows"
        );
    }
}

#[test]
fn patterns_file_matches_transactions_by_content_in_the_amlworld_layout() {
    let dir = tempfile::tempdir().unwrap();
    generate(
        &tiny(3, Difficulty::Normal, OutputFormat::AmlWorld),
        dir.path(),
    )
    .unwrap();
    let input = dir.path().join("transactions.csv");
    let from_patterns =
        moneytrail::ingest::read_truth(&dir.path().join("patterns.txt"), Some(&input)).unwrap();
    assert_eq!(from_patterns.unmatched_rows, 0);
    let from_key = moneytrail::ingest::read_truth(&dir.path().join("truth.json"), None).unwrap();
    assert_eq!(
        from_patterns.rows, from_key.rows,
        "both answer keys point at the same rows"
    );
    let loaded = moneytrail::ingest::load(&input, &Default::default()).unwrap();
    assert_eq!(loaded.report.layout, moneytrail::ingest::Layout::AmlWorld);
    assert_eq!(loaded.report.rows_rejected, 0);
}

#[test]
fn per_typology_plans_and_parquet_output() {
    let dir = tempfile::tempdir().unwrap();
    let mut spec = tiny(21, Difficulty::Normal, OutputFormat::Transfers);
    use moneytrail::synth::training::TypologyPlan;
    let plan = TypologyPlan {
        count: Some(4),
        size: Some(15),
        ..TypologyPlan::default()
    };
    spec.plan.insert("fan_out".into(), plan);
    let cycles = TypologyPlan {
        hops: Some(7),
        count: Some(0),
        ..TypologyPlan::default()
    };
    spec.plan.insert("cycle".into(), cycles);
    spec.parquet = true;
    let key = generate(&spec, dir.path()).unwrap();
    let fans: Vec<_> = key
        .attempts
        .iter()
        .filter(|a| a.typology == "fan_out")
        .collect();
    assert_eq!(fans.len(), 4);
    assert!(fans.iter().all(|a| a.parameters["counterparties"] == 15));
    assert!(key.attempts.iter().all(|a| a.typology != "cycle"));
    assert!(!dir.path().join("transactions.csv").exists());
    let loaded = moneytrail::ingest::load(
        &dir.path().join("transactions.parquet"),
        &Default::default(),
    )
    .unwrap();
    assert_eq!(
        loaded.report.layout,
        moneytrail::ingest::Layout::TransfersParquet
    );
    assert_eq!(loaded.ledger.len() as u64, key.rows);
    let labelled: Vec<u32> = {
        let l = &loaded.ledger;
        let mut rows: Vec<u32> = (0..l.len())
            .filter(|&i| l.laundering_labels()[i] == Some(true))
            .map(|i| l.source_rows()[i])
            .collect();
        rows.sort_unstable();
        rows
    };
    let mut keyed: Vec<u32> = key
        .attempts
        .iter()
        .flat_map(|a| a.rows.iter().copied())
        .collect();
    keyed.sort_unstable();
    assert_eq!(
        labelled, keyed,
        "Parquet rows and labels match the answer key"
    );
    // accounts.parquet beside accounts.csv: the same accounts
    use polars::prelude::*;
    let file = std::fs::File::open(dir.path().join("accounts.parquet")).unwrap();
    let accounts = ParquetReader::new(file).finish().unwrap();
    let csv = std::fs::read_to_string(dir.path().join("accounts.csv")).unwrap();
    assert_eq!(accounts.height(), csv.lines().count() - 1);
    let keys: Vec<String> = accounts
        .column("account")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|k| k.unwrap().to_string())
        .collect();
    let csv_keys: Vec<String> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect();
    assert_eq!(keys, csv_keys);
}
