//! `moneytrail cluster`: UTXO addresses grouped into probable owners,
//! tagged, and why two addresses share a cluster.

use crate::args::ClusterArgs;
use crate::{output, setup};
use moneytrail::attribution::{cluster, propagate, ClusterOptions};
use moneytrail::format::count;
use moneytrail::ingest::{read_tags, read_utxo};
use moneytrail::report::{self, OutputOptions};
use moneytrail::time::to_rfc3339;
use std::io::Write;

pub(crate) fn run(args: &ClusterArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.explain.is_empty() || args.explain.len() == 2,
        "--explain takes two addresses: A,B"
    );
    let path = args
        .input
        .clone()
        .unwrap_or_else(|| setup::shipped("sample_utxo.jsonl"));
    let (txs, report) = read_utxo(&path, args.lenient, 1000)?;
    let options = ClusterOptions {
        exclude_coinjoin: !args.keep_coinjoin,
        ..ClusterOptions::default()
    };
    let clusters = cluster(&txs, &options);
    let sample_tags = setup::shipped("sample_tags.csv");
    let tag_list = match &args.tags {
        Some(p) => read_tags(p)?,
        None if args.input.is_none() && sample_tags.is_file() => read_tags(&sample_tags)?,
        None => Vec::new(),
    };
    let applied = propagate(&clusters, &tag_list);
    let mut out = output::stdout();
    let multi = clusters.members.iter().filter(|m| m.len() > 1).count();
    writeln!(
        out,
        "{}: {} ({} rejected), {} in {} ({} of two or more); {} {}",
        path.display(),
        count(report.rows_loaded as usize, "transaction"),
        report.rows_rejected,
        count(clusters.addresses.len(), "address"),
        count(clusters.members.len(), "cluster"),
        multi,
        count(clusters.coinjoins.len(), "likely CoinJoin"),
        if options.exclude_coinjoin {
            "left out of the merging (--keep-coinjoin merges them)"
        } else {
            "merged"
        }
    )?;
    for &i in &clusters.coinjoins {
        let tx = &txs[i];
        writeln!(
            out,
            "  CoinJoin {} at {}: {} in, {} out",
            tx.hash,
            to_rfc3339(tx.time_us),
            count(tx.inputs.len(), "input"),
            count(tx.outputs.len(), "output")
        )?;
    }
    let mut order: Vec<usize> = (0..clusters.members.len()).collect();
    order.sort_by_key(|&c| std::cmp::Reverse(clusters.members[c].len()));
    for &c in order.iter().take(args.top) {
        let members = &clusters.members[c];
        if members.len() < 2 && !members.iter().any(|m| applied.contains_key(m)) {
            continue;
        }
        let mut names: Vec<String> = members
            .iter()
            .flat_map(|m| applied.get(m).into_iter().flatten())
            .map(|t| format!("{} ({})", t.tag.entity, t.tag.category.name()))
            .collect();
        names.sort();
        names.dedup();
        let shown: Vec<&str> = members
            .iter()
            .take(5)
            .map(|&m| clusters.addresses[m as usize].as_str())
            .collect();
        let tagged = if names.is_empty() {
            String::new()
        } else {
            format!("  tagged {}", names.join(", "))
        };
        let more = if members.len() > 5 { " …" } else { "" };
        writeln!(
            out,
            "  cluster {c:>5}: {:>4} addresses {}{more}{tagged}",
            members.len(),
            shown.join(" "),
        )?;
    }
    if let [a, b] = args.explain.as_slice() {
        match clusters.provenance(a, b) {
            Some(path) if path.is_empty() => writeln!(out, "{a} and {b} are the same address")?,
            Some(path) => {
                let n = path.len();
                writeln!(
                    out,
                    "{a} and {b} share a cluster through {}:",
                    count(n, "transaction")
                )?;
                for t in path {
                    let tx = &txs[t];
                    let inputs: Vec<&str> = tx.inputs.iter().map(|l| l.address.as_str()).collect();
                    writeln!(
                        out,
                        "  {} (row {}, {}): inputs {}",
                        tx.hash,
                        tx.row,
                        to_rfc3339(tx.time_us),
                        inputs.join(", ")
                    )?;
                }
            }
            None => writeln!(out, "{a} and {b} are not in one cluster")?,
        }
    }
    if let Some(dir) = &args.out {
        let options = OutputOptions {
            parquet: args.parquet,
            neutralise_formulas: !args.raw_csv,
            ..OutputOptions::default()
        };
        let written = report::write_clusters(dir, &clusters, &applied, &options)?;
        output::print_written(&mut out, dir, &written)?;
    }
    out.flush()?;
    Ok(())
}
