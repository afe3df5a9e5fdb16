//! `moneytrail ingest`: load transfers files into a time-partitioned store.

use crate::args::IngestArgs;
use crate::{output, setup};
use anyhow::Context;
use moneytrail::format::count;
use moneytrail::store::{self, IngestOptions};
use std::io::Write;

pub(crate) fn run(args: &IngestArgs) -> anyhow::Result<()> {
    let (load, bar) = setup::load_options(&args.read, "ingesting");
    let options = IngestOptions {
        load,
        partition_us: args.partition.micros(),
        piece_rows: args.piece_rows,
    };
    let ingested = store::ingest(&args.store, &args.input, &options);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let ingested =
        ingested.with_context(|| format!("cannot ingest into {}", args.store.display()))?;
    let mut out = output::stdout();
    for report in &ingested.loads {
        write!(out, "{report}")?;
    }
    let m = &ingested.manifest;
    writeln!(
        out,
        "{} {} ({}) to {}: {} in {} from {} to {}, {} and {}",
        if ingested.appended {
            "appended"
        } else {
            "wrote"
        },
        count(ingested.transfers_added as usize, "transfer"),
        count(ingested.partitions_written, "partition file"),
        args.store.display(),
        count(m.transfers as usize, "transfer"),
        count(m.partitions.len(), "partition file"),
        m.first_time.as_deref().unwrap_or("-"),
        m.last_time.as_deref().unwrap_or("-"),
        count(m.accounts as usize, "account"),
        count(m.assets as usize, "asset"),
    )?;
    if let Some(fx) = &ingested.fx_copied {
        writeln!(out, "copied the FX table {} into the store", fx.display())?;
    }
    if m.sources.len() > 1 {
        writeln!(
            out,
            "rows in outputs of --store commands are store rows: each source's row_offset is in manifest.json"
        )?;
    }
    out.flush()?;
    Ok(())
}
