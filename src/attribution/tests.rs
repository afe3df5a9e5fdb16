//! Hand-built UTXO chains: reading, the ledger model, every tracing rule,
//! clustering with a CoinJoin that must not merge, provenance and tags.

use super::cluster::{cluster, ClusterOptions};
use super::{propagate, Category};
use crate::graph::FlowGraph;
use crate::ingest::{
    read_tags, read_utxo as read, utxo_ledger as ledger, Layout, Leg, UtxoTransaction,
};
use crate::model::AccountKind;
use crate::trace::{trace, Balances, Rule, Seed, TraceOptions};
use rust_decimal::Decimal;

fn write(lines: &[&str]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    (dir, path)
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// tx0 gives `a` 1 BTC (the proceeds), tx0b gives `b` 3 BTC (clean), tx1
/// spends a's and b's coins together into c (2.0) and d (1.9), fee 0.1.
const CHAIN: &[&str] = &[
    r#"{"tx_hash":"t0","time":"2024-01-01T00:00:00Z","chain":"bitcoin","inputs":[{"address":"victim","amount":"1.0"}],"outputs":[{"address":"a","amount":"1.0"}],"fee":"0"}"#,
    r#"{"tx_hash":"t0b","time":"2024-01-01T01:00:00Z","chain":"bitcoin","inputs":[{"address":"w","amount":3}],"outputs":[{"address":"b","amount":3}]}"#,
    r#"{"tx_hash":"t1","time":"2024-01-02T00:00:00Z","chain":"bitcoin","inputs":[{"address":"a","amount":"1.0"},{"address":"b","amount":"3.0"}],"outputs":[{"address":"c","amount":"2.0"},{"address":"d","amount":"1.9"}],"fee":"0.1"}"#,
];

#[test]
fn a_transaction_becomes_inputs_into_its_node_and_outputs_out_of_it() {
    let (_dir, path) = write(CHAIN);
    let (txs, report) = read(&path, false, 10).unwrap();
    assert_eq!(report.rows_loaded, 3);
    assert_eq!(txs[1].inputs[0].amount, d("3"), "JSON numbers read exactly");
    assert_eq!(txs[1].fee, Decimal::ZERO, "fee left out: inputs − outputs");
    let l = ledger(&txs, Some(&path)).unwrap();
    assert_eq!(l.len(), 2 + 2 + 4);
    let node = l.account_id("tx:t1").unwrap();
    assert_eq!(l.account(node).kind, AccountKind::OnChainTransaction);
    // inputs first, in order, then outputs in order; the fee rides on the last output
    let legs: Vec<(String, String, Decimal, Decimal)> = (0..l.len())
        .filter(|&i| l.froms()[i] == node || l.tos()[i] == node)
        .map(|i| {
            (
                l.account(l.froms()[i]).key.clone(),
                l.account(l.tos()[i]).key.clone(),
                l.amounts_paid()[i],
                l.amounts_received()[i],
            )
        })
        .collect();
    let node_key = "tx:t1".to_string();
    assert_eq!(
        legs,
        vec![
            ("a".into(), node_key.clone(), d("1.0"), d("1.0")),
            ("b".into(), node_key.clone(), d("3.0"), d("3.0")),
            (node_key.clone(), "c".into(), d("2.0"), d("2.0")),
            (node_key.clone(), "d".into(), d("2.0"), d("1.9")),
        ]
    );
    assert!(crate::ingest::detect_layout(&path).unwrap() == Layout::UtxoJsonLines);
}

#[test]
fn every_tracing_rule_applies_exactly_to_a_utxo_transaction() {
    let (_dir, path) = write(CHAIN);
    let (txs, _) = read(&path, false, 10).unwrap();
    let g = FlowGraph::new(ledger(&txs, Some(&path)).unwrap());
    let l = g.ledger();
    let balances = Balances::new(l, &Default::default());
    let a = l.account_id("a").unwrap();
    let seeds = [Seed::Inflows {
        account: a,
        since: 0,
        amount: None,
    }];
    let btc = l.asset_id("BTC").unwrap();
    // (rule, taint held by c, taint held by d, fee exit)
    let expected = [
        (Rule::Fifo, "1.0", "0", "0"),
        (Rule::Lifo, "0", "0.95", "0.05"),
        (Rule::Haircut, "0.5", "0.475", "0.025"),
        (Rule::Libr, "0", "0.95", "0.05"),
    ];
    for (rule, c, dd, fee) in expected {
        let options = TraceOptions {
            rule,
            min_amount: Decimal::ZERO,
            ..TraceOptions::default()
        };
        let t = trace(&g, &balances, &seeds, &options).unwrap();
        let held = |key: &str| {
            let id = l.account_id(key).unwrap();
            t.holdings
                .iter()
                .filter(|h| h.account == id)
                .map(|h| h.amount)
                .sum::<Decimal>()
        };
        assert_eq!(held("c"), d(c), "{rule}: c");
        assert_eq!(held("d"), d(dd), "{rule}: d");
        let fee_exit = t
            .exited
            .get("fee")
            .and_then(|x| x.get(&btc))
            .copied()
            .unwrap_or_default();
        assert_eq!(fee_exit, d(fee), "{rule}: fee");
        assert!(t.conserved(), "{rule}: books balance");
    }
    // poison taints both outputs whole
    let options = TraceOptions {
        rule: Rule::Poison,
        ..TraceOptions::default()
    };
    let t = trace(&g, &balances, &seeds, &options).unwrap();
    let tainted: Vec<&str> = t
        .holdings
        .iter()
        .map(|h| l.account(h.account).key.as_str())
        .collect();
    assert!(tainted.contains(&"c") && tainted.contains(&"d"));
}

#[test]
fn bad_lines_are_named_by_row_line_and_column() {
    let (_dir, path) = write(&[
        CHAIN[0],
        r#"{"tx_hash":"t9","time":"2024-01-01T00:00:00Z","chain":"bitcoin","inputs":[{"address":"x","amount":"1"}],"outputs":[{"address":"y","amount":"-2"}]}"#,
        r#"{"tx_hash":"t8","time":"2024-01-01T00:00:00Z","chain":"bitcoin","inputs":[{"address":"x","amount":"1"}],"outputs":[{"address":"y","amount":"0.5"}],"fee":"0.1"}"#,
        r#"{"tx_hash":"t7","time":"2024-01-01T00:00:00Z","chain":"ethereum","inputs":[],"outputs":[{"address":"y","amount":"1"}]}"#,
    ]);
    let err = read(&path, false, 10).unwrap_err().to_string();
    assert!(
        err.contains("row 1 (line 2), column \"outputs[0].amount\": value \"-2\""),
        "{err}"
    );
    let (txs, report) = read(&path, true, 10).unwrap();
    assert_eq!(txs.len(), 1);
    assert_eq!(report.rows_rejected, 3);
    assert!(report.reconciles());
    let reasons: Vec<&str> = report.rejected.iter().map(|r| r.0.reason.name()).collect();
    assert_eq!(reasons, ["negative_amount", "unbalanced", "missing_value"]);
    assert_eq!(
        report.rejected[2].0.column, "asset",
        "ethereum has no UTXO default asset"
    );
}

fn leg(a: &str, x: &str) -> Leg {
    Leg {
        address: a.to_string(),
        amount: d(x),
    }
}

fn tx(hash: &str, inputs: Vec<Leg>, outputs: Vec<Leg>) -> UtxoTransaction {
    let fee = inputs.iter().map(|l| l.amount).sum::<Decimal>()
        - outputs.iter().map(|l| l.amount).sum::<Decimal>();
    UtxoTransaction {
        hash: hash.into(),
        time_us: 0,
        chain: "bitcoin".into(),
        asset: "BTC".into(),
        inputs,
        outputs,
        fee,
        row: 0,
    }
}

fn sample_set() -> Vec<UtxoTransaction> {
    vec![
        tx(
            "t1",
            vec![leg("a", "1"), leg("b", "2")],
            vec![leg("c", "2.9")],
        ),
        tx(
            "t2",
            vec![leg("b", "1"), leg("e", "1")],
            vec![leg("f", "1.9")],
        ),
        // a CoinJoin: four owners, four equal outputs of 0.1 and change
        tx(
            "cj",
            vec![
                leg("e", "0.2"),
                leg("g", "0.3"),
                leg("h", "0.15"),
                leg("i", "0.4"),
            ],
            vec![
                leg("o1", "0.1"),
                leg("o2", "0.1"),
                leg("o3", "0.1"),
                leg("o4", "0.1"),
                leg("g2", "0.2"),
                leg("i2", "0.3"),
            ],
        ),
    ]
}

#[test]
fn clustering_merges_co_spent_inputs_but_not_a_coinjoin() {
    let txs = sample_set();
    let c = cluster(&txs, &ClusterOptions::default());
    assert_eq!(c.cluster("a"), c.cluster("b"));
    assert_eq!(c.cluster("a"), c.cluster("e"), "through b in t2");
    assert_ne!(
        c.cluster("a"),
        c.cluster("g"),
        "the CoinJoin does not merge e and g"
    );
    assert_ne!(c.cluster("g"), c.cluster("h"));
    assert_ne!(c.cluster("a"), c.cluster("c"), "outputs are not merged");
    assert_eq!(c.coinjoins, vec![2]);
    // provenance: a and e were joined by t1 (a, b) then t2 (b, e)
    assert_eq!(c.provenance("a", "e"), Some(vec![0, 1]));
    assert_eq!(c.provenance("a", "a"), Some(vec![]));
    assert_eq!(c.provenance("a", "g"), None);
    // with the switch off, the CoinJoin merges everyone (the heuristic's known failure)
    let all = cluster(
        &txs,
        &ClusterOptions {
            exclude_coinjoin: false,
            ..ClusterOptions::default()
        },
    );
    assert_eq!(all.cluster("a"), all.cluster("i"));
    assert_eq!(all.provenance("a", "i"), Some(vec![0, 1, 2]));
}

#[test]
fn tags_spread_to_the_whole_cluster_and_no_further() {
    let txs = sample_set();
    let c = cluster(&txs, &ClusterOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tags.csv");
    std::fs::write(
        &path,
        "address,entity,category,source,confidence\n\
         b,CoinHub,exchange,analyst notes,0.9\n\
         g,Blender,mixer,,\n\
         zz,Nowhere,sanctioned,list,1\n",
    )
    .unwrap();
    let tags = read_tags(&path).unwrap();
    assert_eq!(tags[1].confidence, 1.0, "empty confidence is 1");
    let applied = propagate(&c, &tags);
    let of = |a: &str| applied.get(&c.address_index(a).unwrap());
    let a = of("a").unwrap();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].tag.entity, "CoinHub");
    assert!(a[0].inherited);
    assert!(!of("b").unwrap()[0].inherited);
    assert_eq!(of("g").unwrap()[0].tag.category, Category::Mixer);
    assert!(
        of("h").is_none(),
        "the CoinJoin does not spread the mixer tag"
    );
    assert!(of("c").is_none());
    // a bad category is named by row and column
    std::fs::write(&path, "address,entity,category\nb,X,bakery\n").unwrap();
    let err = read_tags(&path).unwrap_err().to_string();
    assert!(
        err.contains("row 0 (line 2), column \"category\": value \"bakery\""),
        "{err}"
    );
}
