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
//!
//! The exercise lives in the library (`moneytrail::synth::run_exercise`),
//! so the installed binary runs it too: `moneytrail exercise run ransom_trace`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let run = moneytrail::synth::run_exercise("ransom_trace", dir.path())?;
    print!("{}", run.walkthrough);
    if !run.passed {
        std::process::exit(1);
    }
    Ok(())
}
