//! `moneytrail score`: grade findings against an answer key.

use crate::args::ScoreArgs;
use crate::output;
use moneytrail::ingest::read_truth;
use moneytrail::report::read_findings;
use std::io::Write;

pub(crate) fn run(args: &ScoreArgs) -> anyhow::Result<()> {
    let findings = read_findings(&args.findings)?;
    let truth = read_truth(&args.truth, args.input.as_deref())?;
    let card = moneytrail::score::grade(&findings, &truth, &args.typology, args.min_score);
    let mut out = output::stdout();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &card)?;
        writeln!(out)?;
    } else {
        write!(out, "{card}")?;
        if args.missed {
            write!(out, "\n{}", card.missed_report())?;
        }
    }
    out.flush()?;
    Ok(())
}
