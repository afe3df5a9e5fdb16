//! `moneytrail exercise list|run NAME`: the training exercises from the
//! installed binary.

use crate::args::{ExerciseArgs, ExerciseCommand};
use crate::output;
use moneytrail::synth::{run_exercise, EXERCISES};
use std::io::Write;
use std::path::PathBuf;

pub(crate) fn run(args: &ExerciseArgs) -> anyhow::Result<()> {
    let mut out = output::stdout();
    match &args.command {
        ExerciseCommand::List => {
            for e in EXERCISES {
                writeln!(out, "{:<16} {}", e.name, e.title)?;
            }
            writeln!(out, "\nrun one: moneytrail exercise run NAME [--out DIR]")?;
        }
        ExerciseCommand::Run { name, out: dir } => {
            let dir = dir
                .clone()
                .unwrap_or_else(|| PathBuf::from(format!("exercise-{name}")));
            let run = run_exercise(name, &dir)?;
            write!(out, "{}", run.walkthrough)?;
            writeln!(
                out,
                "\nwrote {0}/trainer (the full set and truth.json) and {0}/trainee (transactions.csv, accounts.csv and worksheet.md, no answers)",
                dir.display()
            )?;
            out.flush()?;
            if !run.passed {
                anyhow::bail!("the exercise's check failed");
            }
        }
    }
    out.flush()?;
    Ok(())
}
