//! `moneytrail summary`: what a file holds, and how it loaded.

use crate::args::SummaryArgs;
use crate::{output, setup};
use moneytrail::summary::Summary;
use std::io::Write;

pub(crate) fn run(args: &SummaryArgs) -> anyhow::Result<()> {
    let loaded = setup::load(&args.input)?;
    let summary = Summary::of(&loaded.ledger);
    let mut out = output::stdout();
    if args.json {
        let value = serde_json::json!({
            "layout": loaded.report.layout,
            "report": loaded.report,
            "summary": summary,
            "attempts": loaded.attempts.len(),
        });
        serde_json::to_writer_pretty(&mut out, &value)?;
        writeln!(out)?;
    } else {
        writeln!(out, "{loaded}")?;
        write!(out, "{summary}")?;
    }
    out.flush()?;
    Ok(())
}
