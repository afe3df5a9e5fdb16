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
//!
//! The exercise lives in the library (`moneytrail::synth::run_exercise`),
//! so the installed binary runs it too: `moneytrail exercise run structuring`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let run = moneytrail::synth::run_exercise("structuring", dir.path())?;
    print!("{}", run.walkthrough);
    if !run.passed {
        std::process::exit(1);
    }
    Ok(())
}
