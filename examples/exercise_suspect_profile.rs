//! Training exercise 3: the financial profile of a predicate-offence
//! suspect.
//!
//! Scenario: police suspect an account holder of acting as a money mule.
//! Build the financial side of the case: who paid the account, whom it
//! paid, how fast money left, which laundering shapes it takes part in,
//! and where the money left in it came from.
//!
//! ```text
//! cargo run --example exercise_suspect_profile
//! ```

use moneytrail::detect::{analyze, DetectConfig, Typology};
use moneytrail::synth::training::{generate, TrainingSpec};
use moneytrail::trace::{sources_of_funds, Balances, Rule, Target, TraceOptions};
use moneytrail::Valued;
use moneytrail::{ingest, FlowGraph};
use std::collections::BTreeMap;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let spec = TrainingSpec {
        seed: 99,
        ..TrainingSpec::preset("tiny").ok_or("preset")?
    };
    let key = generate(&spec, dir.path())?;
    let loaded = ingest::load(
        &dir.path().join("transactions.csv"),
        &ingest::LoadOptions::default(),
    )?;
    let graph = FlowGraph::new(loaded.ledger);
    let l = graph.ledger();
    let attempt = key
        .attempts
        .iter()
        .find(|a| a.typology == "pass_through")
        .ok_or("no attempt")?;
    // the suspect: the account that both receives and pays in the attempt
    let suspect = attempt
        .accounts
        .iter()
        .filter_map(|k| l.account_id(k))
        .max_by_key(|&a| {
            (
                graph.in_degree(a).min(graph.out_degree(a)),
                std::cmp::Reverse(a),
            )
        })
        .ok_or("no suspect")?;
    println!("SCENARIO: profile {}.\n", l.account(suspect).key);
    let mut by_counterparty: BTreeMap<(&str, &str), (usize, rust_decimal::Decimal)> =
        BTreeMap::new();
    for (dir_name, adj) in [
        ("from", graph.incoming(suspect, ..)),
        ("to", graph.outgoing(suspect, ..)),
    ] {
        for (_, t, peer) in adj.iter() {
            let e = by_counterparty
                .entry((dir_name, l.account(peer).key.as_str()))
                .or_default();
            e.0 += 1;
            e.1 += l.amounts_paid()[t.index()];
        }
    }
    println!("Money in and out, by counterparty:");
    for ((d, k), (n, amount)) in &by_counterparty {
        println!("  {d:>4} {k:<28} {n:>3} transfers {amount:>14}");
    }
    let data = Valued::implied(&graph, "USD");
    let analysis = analyze(&data, &DetectConfig::default(), |_| {});
    let mine: Vec<_> = analysis
        .findings
        .iter()
        .filter(|f| f.accounts.contains(&suspect))
        .collect();
    println!("\nFindings that involve the suspect:");
    for f in &mine {
        println!("  {:<15} {:.2}  {}", f.typology, f.score, f.explanation);
    }
    let balances = Balances::new(l, &Default::default());
    let asset = l.assets_received()[graph.incoming(suspect, ..).transfer[0].index()];
    let options = TraceOptions {
        rule: Rule::Fifo,
        ..TraceOptions::default()
    };
    let end = l.times_us().last().copied().unwrap_or(0);
    let sof = sources_of_funds(
        &graph,
        &balances,
        Target::Balance {
            account: suspect,
            asset,
            at: end,
        },
        &options,
        1000,
    )?;
    println!(
        "\nIts balance at the end, {} {}, came from {} sources ({} untraced).",
        sof.target_amount.round_dp(2),
        l.asset(asset).code,
        sof.sources.len(),
        sof.untraced.round_dp(2)
    );
    let named = mine
        .iter()
        .any(|f| f.typology == Typology::PassThrough && f.accounts[0] == suspect);
    println!("\nThe answer key: {}.", attempt.description);
    if named {
        println!("Check passed: the detectors name the suspect a pass-through account.");
        Ok(())
    } else {
        eprintln!("Check failed: no pass-through finding names the suspect.");
        std::process::exit(1)
    }
}
