//! The training generator: a set of 100k and 1M honest transfers with
//! planted typologies (fixed seed), written as CSV to a temporary folder.
//! Run: `cargo bench --bench generate`; with `MONEYTRAIL_BENCH_LARGE=1`
//! also 10M rows (the `large` group, minutes per sample).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use moneytrail::synth::training::{generate, TrainingSpec};
use std::hint::black_box;

fn sizes() -> Vec<usize> {
    let mut sizes = vec![100_000, 1_000_000];
    if std::env::var_os("MONEYTRAIL_BENCH_LARGE").is_some() {
        sizes.push(10_000_000);
    }
    sizes
}

fn bench_generate(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut group = c.benchmark_group("generate");
    group.sample_size(10);
    for rows in sizes() {
        let preset = if rows <= 100_000 {
            "small"
        } else if rows <= 1_000_000 {
            "medium"
        } else {
            "large"
        };
        let mut spec = TrainingSpec::preset(preset).expect("preset");
        spec.transfers = rows;
        spec.seed = 1;
        let out = dir.path().join(format!("set-{rows}"));
        group.throughput(Throughput::Elements(rows as u64));
        group.bench_function(format!("{preset}_{rows}"), |b| {
            b.iter(|| black_box(generate(&spec, &out).expect("generate")))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_generate);
criterion_main!(benches);
