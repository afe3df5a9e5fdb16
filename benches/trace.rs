//! Fund tracing (each rule) and path search on generated AMLworld-layout
//! data of 100k and 1M rows (fixed seed). Run: `cargo bench --bench
//! trace` (add `-- trace_1000000` to run one size); with
//! `MONEYTRAIL_BENCH_LARGE=1` also 10M rows (the large group).
//!
//! * one seed: all inflows of the busiest sending account, traced to the
//!   end of the data with the default stop conditions;
//! * 100 seeds traced in parallel (`trace_many`): the 100 accounts that
//!   send most;
//! * paths between two accounts six time-respecting hops apart.

use criterion::{criterion_group, criterion_main, Criterion};
use moneytrail::ingest::{load, LoadOptions};
use moneytrail::paths::{find_paths, PathOptions};
use moneytrail::synth::{write_amlworld_file, AmlWorldSpec};
use moneytrail::trace::{
    sources_of_balances, trace, trace_many, Balances, ExchangeLinks, Rule, Seed, TraceOptions,
};
use moneytrail::Valued;
use moneytrail::{AccountId, FlowGraph};
use std::hint::black_box;

fn graph(rows: usize) -> FlowGraph {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("amlworld.csv");
    write_amlworld_file(&path, &AmlWorldSpec::with_rows(rows)).expect("write");
    FlowGraph::new(load(&path, &LoadOptions::default()).expect("load").ledger)
}

/// Two accounts joined by a time-respecting path of `hops` transfers,
/// found by following the first later transfer from a busy account.
fn endpoints(g: &FlowGraph, hops: usize) -> (AccountId, AccountId) {
    let mut order: Vec<u32> = (0..g.account_count() as u32).collect();
    order.sort_by_key(|&a| std::cmp::Reverse(g.out_degree(AccountId(a))));
    for &start in &order {
        let (mut at, mut t, mut seen) = (AccountId(start), i64::MIN, vec![AccountId(start)]);
        for _ in 0..hops {
            let next = g
                .outgoing(at, t..)
                .iter()
                .find(|&(_, _, p)| !seen.contains(&p));
            let Some((time, _, peer)) = next else { break };
            (at, t) = (peer, time);
            seen.push(peer);
        }
        if seen.len() == hops + 1 {
            return (AccountId(start), at);
        }
    }
    (AccountId(0), AccountId(1))
}

fn tracing(c: &mut Criterion) {
    let mut sizes = vec![100_000usize, 1_000_000];
    if std::env::var_os("MONEYTRAIL_BENCH_LARGE").is_some() {
        sizes.push(10_000_000);
    }
    for rows in sizes {
        trace_group(c, rows);
    }
}

fn trace_group(c: &mut Criterion, rows: usize) {
    let g = graph(rows);
    let balances = Balances::new(g.ledger(), &Default::default());
    let mut busiest: Vec<u32> = (0..g.account_count() as u32).collect();
    busiest.sort_by_key(|&a| std::cmp::Reverse(g.out_degree(AccountId(a))));
    let seed = |a: u32| {
        vec![Seed::Inflows {
            account: AccountId(a),
            since: i64::MIN,
            amount: None,
        }]
    };
    let mut group = c.benchmark_group(format!("trace_{rows}"));
    group.sample_size(10);
    group.bench_function("balances", |b| {
        b.iter(|| black_box(Balances::new(g.ledger(), &Default::default())))
    });
    for rule in Rule::ALL {
        let options = TraceOptions {
            rule,
            ..TraceOptions::default()
        };
        group.bench_function(format!("one_seed_{rule}"), |b| {
            b.iter(|| black_box(trace(&g, &balances, &seed(busiest[0]), &options).expect("trace")))
        });
    }
    let seeds: Vec<Vec<Seed>> = busiest.iter().take(100).map(|&a| seed(a)).collect();
    for rule in [Rule::Fifo, Rule::Haircut] {
        let options = TraceOptions {
            rule,
            ..TraceOptions::default()
        };
        group.bench_function(format!("hundred_seeds_{rule}"), |b| {
            b.iter(|| black_box(trace_many(&g, &balances, &seeds, &options).expect("trace")))
        });
    }
    let data = Valued::implied(&g, "USD");
    // what `trace` adds to follow money through exchanges: the asset-hop
    // detector's links, and a trace that uses them
    group.bench_function("exchange_links_detected", |b| {
        b.iter(|| black_box(ExchangeLinks::detected(&data)))
    });
    let linked = TraceOptions {
        exchange_links: std::sync::Arc::new(ExchangeLinks::detected(&data)),
        ..TraceOptions::default()
    };
    group.bench_function("one_seed_fifo_linked", |b| {
        b.iter(|| black_box(trace(&g, &balances, &seed(busiest[0]), &linked).expect("trace")))
    });
    // a backward trace of the busiest receiver's balances: entry transfers
    // and the opening balances on the way, each traced forward
    let mut receivers: Vec<u32> = (0..g.account_count() as u32).collect();
    receivers.sort_by_key(|&a| std::cmp::Reverse(g.in_degree(AccountId(a))));
    let end = g.ledger().times_us().last().copied().unwrap_or(0);
    group.bench_function("backward_busiest_balance_fifo", |b| {
        b.iter(|| {
            let options = TraceOptions::default();
            let sof = sources_of_balances(
                &g,
                &balances,
                AccountId(receivers[0]),
                end,
                &options,
                10_000,
            );
            black_box(sof.expect("backward"))
        })
    });
    let (from, to) = endpoints(&g, 6);
    group.bench_function("paths_6_hops", |b| {
        b.iter(|| black_box(find_paths(&data, from, to, &PathOptions::default())))
    });
    group.finish();
}

criterion_group!(benches, tracing);
criterion_main!(benches);
