//! `moneytrail features`: features per transfer, written as Parquet.

use crate::args::FeaturesArgs;
use crate::{output, setup};
use anyhow::Context;
use moneytrail::features::{transfer_features, transfer_features_in_shards, write_parquet};
use moneytrail::format::count;
use moneytrail::FlowGraph;
use std::io::Write;

pub(crate) fn run(args: &FeaturesArgs) -> anyhow::Result<()> {
    let loaded = setup::load(&args.input)?;
    let graph = FlowGraph::new(loaded.ledger);
    let currency = args.features.currency.to_ascii_uppercase();
    let data = setup::valued(&graph, &args.input, args.features.fx.as_ref(), &currency)?;
    let options = setup::feature_options(&args.features);
    let features = match args.shard {
        None => transfer_features(&data, &options),
        Some(length) => transfer_features_in_shards(&data, &options, length),
    };
    for w in &features.warnings {
        eprintln!("warning: {w}");
    }
    // the columns are all that is written: free the ledger and graph
    // first (a sixth of the peak at 1M rows)
    drop(data);
    drop(graph);
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let path = args.out.join("features.parquet");
    let (rows, columns) = (
        features.rows.len(),
        1 + features.numbers.names.len() + features.texts.len(),
    );
    write_parquet(features, &path)?;
    let mut out = output::stdout();
    writeln!(
        out,
        "wrote {} × {} to {} (values in {currency}, endpoint window {}{})",
        count(rows, "row"),
        count(columns, "column"),
        path.display(),
        args.features.window,
        args.shard
            .map(|s| format!(", computed in {s} shards"))
            .unwrap_or_default()
    )?;
    out.flush()?;
    Ok(())
}
