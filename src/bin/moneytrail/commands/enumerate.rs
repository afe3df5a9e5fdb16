//! `moneytrail enumerate`: exact enumerations for benchmarks and
//! cross-checks with other tools.

use crate::args::{EnumerateArgs, EnumerateTask};
use crate::{output, setup};
use anyhow::Context;
use moneytrail::enumerate::{chains, reach_from, temporal_cycles, ChainRule};
use moneytrail::fx::FxTable;
use moneytrail::FlowGraph;
use moneytrail::Valued;
use std::io::Write;
use std::time::Instant;

/// Each item as one line of data rows (reach: `seed account row`).
fn items(graph: &FlowGraph, args: &EnumerateArgs) -> anyhow::Result<(Vec<String>, bool)> {
    let rows = graph.ledger().source_rows();
    let row_line = |item: &Vec<moneytrail::TransferId>| {
        let rows: Vec<String> = item.iter().map(|t| rows[t.index()].to_string()).collect();
        rows.join(" ")
    };
    Ok(match args.task {
        EnumerateTask::Cycles => {
            // no value filters: any valuation will do
            let data = Valued::new(graph, FxTable::given("USD", Default::default()));
            let found = temporal_cycles(&data, args.max_hops, args.window, args.max_per_start);
            (found.items.iter().map(row_line).collect(), found.truncated)
        }
        EnumerateTask::Chains => {
            let rule = ChainRule {
                min_hops: args.min_hops,
                max_hops: args.max_hops,
                max_dwell: args.max_dwell,
                min_ratio: args.min_ratio,
                max_ratio: args.max_ratio,
            };
            let found = chains(graph, &rule, args.max_per_start);
            (found.items.iter().map(row_line).collect(), found.truncated)
        }
        EnumerateTask::Reach => {
            let path = args.seeds.as_ref().context("reach needs --seeds FILE")?;
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let l = graph.ledger();
            let keys: Vec<&str> = text
                .lines()
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .collect();
            let seeds = keys
                .iter()
                .map(|k| setup::account_id(l, k))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let reached = reach_from(graph, &seeds, args.window, args.max_hops);
            let lines = keys
                .iter()
                .zip(&reached)
                .flat_map(|(key, found)| {
                    found.iter().map(move |(a, t)| {
                        format!("{key} {} {}", l.account(*a).key, rows[t.index()])
                    })
                })
                .collect();
            (lines, false)
        }
    })
}

pub(crate) fn run(args: &EnumerateArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let loaded = setup::load(&args.input)?;
    let graph = FlowGraph::new(loaded.ledger);
    let seconds_load = started.elapsed().as_secs_f64();
    let timer = Instant::now();
    let (lines, truncated) = items(&graph, args)?;
    let seconds_task = timer.elapsed().as_secs_f64();
    if let Some(path) = &args.out {
        let mut text = lines.join("\n");
        if !text.is_empty() {
            text.push('\n');
        }
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let task = match args.task {
        EnumerateTask::Cycles => "cycles",
        EnumerateTask::Chains => "chains",
        EnumerateTask::Reach => "reach",
    };
    let mut out = output::stdout();
    if args.json {
        let line = serde_json::json!({
            "task": task,
            "transfers": graph.transfer_count(),
            "items": lines.len(),
            "truncated": truncated,
            "seconds_load": seconds_load,
            "seconds_task": seconds_task,
            "threads": rayon::current_num_threads(),
        });
        writeln!(out, "{line}")?;
    } else {
        writeln!(
            out,
            "{} {task} in {} transfers ({:.2}s to load, {:.3}s to enumerate){}",
            lines.len(),
            graph.transfer_count(),
            seconds_load,
            seconds_task,
            if truncated {
                "; truncated: a per-start budget was hit"
            } else {
                ""
            }
        )?;
    }
    out.flush()?;
    Ok(())
}
