//! Training exercise 1: structuring.
//!
//! Scenario: a cash-intensive business is suspected of structuring its
//! deposits to stay under the 10,000 reporting threshold. Find the accounts
//! that received repeated cash deposits just under the threshold, and the
//! total.
//!
//! ```text
//! cargo run --example exercise_structuring
//! ```
//!
//! The exercise generates a training set with a fixed seed, runs the
//! structuring detector, prints what a trainee should find, and checks it
//! against the answer key (exit code 1 if the check fails).

use moneytrail::detect::StructuringDetector;
use moneytrail::synth::training::{generate, TrainingSpec};
use moneytrail::Valued;
use moneytrail::{ingest, FlowGraph};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let spec = TrainingSpec {
        seed: 2024,
        ..TrainingSpec::preset("tiny").ok_or("preset")?
    };
    let key = generate(&spec, dir.path())?;
    println!("SCENARIO: cash deposits kept just under 10,000, again and again.\n");
    let loaded = ingest::load(
        &dir.path().join("transactions.csv"),
        &ingest::LoadOptions::default(),
    )?;
    let graph = FlowGraph::new(loaded.ledger);
    let data = Valued::implied(&graph, "USD");
    let found = StructuringDetector::default().detect(&data);
    println!("The detector's findings:");
    for f in &found.findings {
        println!("  {}", f.explanation);
    }
    let mut ok = true;
    println!("\nThe answer key:");
    for attempt in key.attempts.iter().filter(|a| a.typology == "structuring") {
        let account = attempt
            .accounts
            .iter()
            .find(|a| *a != "CASH")
            .ok_or("no account")?;
        let rows: Vec<u32> = attempt.rows.clone();
        let total: rust_decimal::Decimal = rows
            .iter()
            .filter_map(|r| graph.ledger().source_rows().iter().position(|x| x == r))
            .map(|i| graph.ledger().amounts_paid()[i])
            .sum();
        let hit = found
            .findings
            .iter()
            .any(|f| f.accounts.first().map(|&a| data.key(a)) == Some(account.as_str()));
        println!(
            "  {account}: {} deposits, {total} in all — {}",
            rows.len(),
            if hit { "found" } else { "MISSED" }
        );
        ok &= hit;
    }
    if ok {
        println!("\nCheck passed: every structured account was found.");
        Ok(())
    } else {
        eprintln!("\nCheck failed: a structured account was missed.");
        std::process::exit(1)
    }
}
