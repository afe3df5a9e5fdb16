//! Load + graph build on generated AMLworld-layout data of 100k and 1M
//! rows (fixed seed). Run: `cargo bench --bench ingest`; with
//! `MONEYTRAIL_BENCH_LARGE=1` also 10M rows (the large group).
//!
//! The data is written once to a temporary folder before timing; each
//! iteration reads and parses the CSV, sorts, interns, and builds the
//! petgraph graph and temporal index.
//!
//! The `load_vs_polars` group times, in the same run on the same 1M-row
//! file, polars' own `read_csv` (as `pl.read_csv(path)` reads it: types
//! inferred, amounts as floats, times left as text) against moneytrail's
//! load into a ledger (exact decimals, parsed times, numbered accounts,
//! sorted by time): the comparison the loading-speed target is set in.

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

fn load_vs_polars(c: &mut Criterion) {
    use polars::prelude::{CsvReadOptions, SerReader};
    let dir = tempfile::tempdir().expect("temp dir");
    let rows = 1_000_000;
    let path = dir.path().join("amlworld-1000000.csv");
    write_amlworld_file(&path, &AmlWorldSpec::with_rows(rows)).expect("write");
    let mut group = c.benchmark_group("load_vs_polars");
    group.sample_size(10);
    group.throughput(Throughput::Elements(rows as u64));
    group.bench_function("polars_read_csv", |b| {
        b.iter(|| {
            let frame = CsvReadOptions::default()
                .try_into_reader_with_file_path(Some(path.clone()))
                .expect("open")
                .finish()
                .expect("read");
            black_box(frame)
        })
    });
    group.bench_function("moneytrail_load", |b| {
        b.iter(|| black_box(load(&path, &LoadOptions::default()).expect("load")))
    });
    group.finish();
}

criterion_group!(benches, ingest, load_vs_polars);
criterion_main!(benches);
