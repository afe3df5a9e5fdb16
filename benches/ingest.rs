//! Load + graph build on generated AMLworld-layout data of 100k and 1M
//! rows (fixed seed). Run: `cargo bench --bench ingest`; with
//! `MONEYTRAIL_BENCH_LARGE=1` also 10M rows (the large group).
//!
//! The data is written once to a temporary folder before timing; each
//! iteration reads and parses the CSV, sorts, interns, and builds the
//! petgraph graph and temporal index.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use moneytrail::ingest::{load, LoadOptions};
use moneytrail::synth::{write_amlworld_file, AmlWorldSpec};
use moneytrail::FlowGraph;
use std::hint::black_box;

fn ingest(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut group = c.benchmark_group("load_and_build");
    group.sample_size(10);
    let mut sizes = vec![100_000usize, 1_000_000];
    if std::env::var_os("MONEYTRAIL_BENCH_LARGE").is_some() {
        sizes.push(10_000_000);
    }
    for rows in sizes {
        let path = dir.path().join(format!("amlworld-{rows}.csv"));
        write_amlworld_file(&path, &AmlWorldSpec::with_rows(rows)).expect("write");
        group.throughput(Throughput::Elements(rows as u64));
        group.bench_function(format!("amlworld_{rows}"), |b| {
            b.iter(|| {
                let loaded = load(&path, &LoadOptions::default()).expect("load");
                black_box(FlowGraph::new(loaded.ledger))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, ingest);
criterion_main!(benches);
