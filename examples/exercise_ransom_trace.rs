//! Training exercise 2: trace the proceeds of a ransom through virtual
//! currency to fiat accounts.
//!
//! Scenario: a victim's payment reached a suspect's account and left
//! through an exchange as bitcoin, was split across wallets, mixed,
//! swapped to USDT and cashed out through another exchange. Follow the
//! money forward and say which fiat account holds it now.
//!
//! The rule: last in, first out. An exchange pools every customer's money;
//! pro-rata (haircut) tracing would dilute the ransom across the pool,
//! while a withdrawal right after a deposit is, on the record, that
//! deposit going out again. Try `Rule::Haircut` to see the difference.
//!
//! ```text
//! cargo run --example exercise_ransom_trace
//! ```

use moneytrail::synth::training::{generate, TrainingSpec};
use moneytrail::trace::{trace, Balances, Rule, Seed, TraceOptions};
use moneytrail::{ingest, FlowGraph, TransferId};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let spec = TrainingSpec {
        seed: 7,
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
        .find(|a| a.typology == "virtual_currency_layering")
        .ok_or("no attempt")?;
    // the first planted transfer: the suspect paying the exchange
    let first_row = *attempt.rows.iter().min().ok_or("no rows")?;
    let first = l
        .source_rows()
        .iter()
        .position(|&r| r == first_row)
        .ok_or("row")?;
    let suspect = &l.account(l.froms()[first]).key;
    println!(
        "SCENARIO: {suspect} pays {} {} to an exchange (row {first_row}). Where is it now?\n",
        l.amounts_paid()[first],
        l.asset(l.assets_paid()[first]).code
    );
    let balances = Balances::new(l, &Default::default());
    let options = TraceOptions {
        rule: Rule::Lifo,
        ..TraceOptions::default()
    };
    let t = trace(
        &graph,
        &balances,
        &[Seed::Transfer {
            transfer: TransferId(first as u32),
            amount: None,
        }],
        &options,
    )?;
    println!("Largest holdings under lifo:");
    for h in t.holdings.iter().take(8) {
        println!(
            "  {:>18} {:<5} {} ({} hops)",
            h.amount.round_dp(2).to_string(),
            l.asset(h.asset).code,
            l.account(h.account).key,
            h.hops
        );
    }
    // the answer: the last planted transfer pays fiat to the account abroad
    let last_row = *attempt.rows.iter().max().ok_or("no rows")?;
    let last = l
        .source_rows()
        .iter()
        .position(|&r| r == last_row)
        .ok_or("row")?;
    let cash_out = l.tos()[last];
    let held = t.holdings.iter().any(|h| h.account == cash_out);
    println!(
        "\nThe answer key: the money was cashed out to {} ({}).",
        l.account(cash_out).key,
        attempt.description
    );
    if held && t.conserved() {
        println!("Check passed: the trace reaches the cash-out account and the books balance.");
        Ok(())
    } else {
        eprintln!(
            "Check failed: the trace does not reach {}.",
            l.account(cash_out).key
        );
        std::process::exit(1)
    }
}
