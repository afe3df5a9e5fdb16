//! Each detector of the registry on generated AMLworld-layout data of 100k and 1M rows
//! (fixed seed), loaded and valued once before timing.
//! Run: `cargo bench --bench detect` (add `-- detect_100000/` to run one
//! size); with `MONEYTRAIL_BENCH_LARGE=1` also 10M rows (the large group).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use moneytrail::detect::DetectConfig;
use moneytrail::ingest::{load, LoadOptions};
use moneytrail::synth::{write_amlworld_file, AmlWorldSpec};
use moneytrail::{FlowGraph, Valued};
use std::hint::black_box;

fn graph(rows: usize) -> FlowGraph {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("amlworld.csv");
    write_amlworld_file(&path, &AmlWorldSpec::with_rows(rows)).expect("write");
    let loaded = load(&path, &LoadOptions::default()).expect("load");
    FlowGraph::new(loaded.ledger)
}

fn detectors(c: &mut Criterion) {
    let config = DetectConfig::default();
    let mut sizes = vec![100_000usize, 1_000_000];
    if std::env::var_os("MONEYTRAIL_BENCH_LARGE").is_some() {
        sizes.push(10_000_000);
    }
    for rows in sizes {
        let g = graph(rows);
        let data = Valued::implied(&g, "USD");
        let mut group = c.benchmark_group(format!("detect_{rows}"));
        group.sample_size(10);
        group.throughput(Throughput::Elements(rows as u64));
        for (name, detector) in config.detectors() {
            group.bench_function(name, |b| b.iter(|| black_box(detector.detect(&data))));
        }
        group.finish();
    }
}

criterion_group!(benches, detectors);
criterion_main!(benches);
