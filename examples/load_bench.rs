//! Time and memory of load + graph build at a given size, for the README's
//! numbers at sizes criterion would take too long to repeat (5M rows).
//!
//! ```text
//! cargo run --release --example load_bench -- 1000000 [threads]
//! ```
//!
//! Generates AMLworld-layout rows with a fixed seed into a temporary file,
//! then loads it once and prints the load time, the graph build time, the
//! bytes the graph holds per transfer, and the process's peak resident
//! memory (VmHWM, which includes the generator's buffers; generation
//! streams to disk, so they are small).

use moneytrail::ingest::{load, LoadOptions};
use moneytrail::synth::{write_amlworld_file, AmlWorldSpec};
use moneytrail::FlowGraph;
use std::time::Instant;

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let rows: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    if let Some(threads) = args.next().and_then(|a| a.parse().ok()) {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
            .expect("thread pool");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("amlworld.csv");
    let started = Instant::now();
    write_amlworld_file(&path, &AmlWorldSpec::with_rows(rows)).expect("write");
    let generated = started.elapsed();
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let rss_before = peak_rss_mib().unwrap_or(0.0);

    let started = Instant::now();
    let loaded = load(&path, &LoadOptions::default()).expect("load");
    let load_time = started.elapsed();
    let started = Instant::now();
    let graph = FlowGraph::new(loaded.ledger);
    let build_time = started.elapsed();
    let peak = peak_rss_mib().unwrap_or(0.0);
    let n = graph.transfer_count().max(1);
    println!(
        "rows {rows} file {:.0} MiB threads {}: generate {:.2}s | load {:.2}s + graph {:.2}s = {:.2}s | graph holds {:.0} B/transfer ({:.0} MiB), {} accounts | peak RSS {:.0} MiB (after generation {:.0} MiB)",
        size as f64 / 1048576.0,
        rayon::current_num_threads(),
        generated.as_secs_f64(),
        load_time.as_secs_f64(),
        build_time.as_secs_f64(),
        (load_time + build_time).as_secs_f64(),
        graph.heap_bytes() as f64 / n as f64,
        graph.heap_bytes() as f64 / 1048576.0,
        graph.account_count(),
        peak,
        rss_before,
    );
}
