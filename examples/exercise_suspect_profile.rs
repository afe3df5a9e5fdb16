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
//!
//! The exercise lives in the library (`moneytrail::synth::run_exercise`),
//! so the installed binary runs it too: `moneytrail exercise run suspect_profile`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let run = moneytrail::synth::run_exercise("suspect_profile", dir.path())?;
    print!("{}", run.walkthrough);
    if !run.passed {
        std::process::exit(1);
    }
    Ok(())
}
