//! Fuzz load → analyze → trace on tiny transfers files: whatever loads is
//! analysed by every detector, and traced from its first account and its
//! first transfer under every rule with the invariants of
//! `moneytrail::trace::verify` asserted (conservation, no holding above
//! its balance at any time, no more traced in than the seed received).
#![no_main]

use libfuzzer_sys::fuzz_target;
use moneytrail::detect::{self, DetectConfig};
use moneytrail::ingest::Format;
use moneytrail::trace::{verify, Balances, Horizons, Rule, Seed, TraceOptions};
use moneytrail::Valued;
use moneytrail::{AccountId, FlowGraph, TransferId};
use rust_decimal::Decimal;

fuzz_target!(
    init: moneytrail_fuzz::crash_on_our_panics(),
    |data: &[u8]| {
        let Some(loaded) = moneytrail_fuzz::load_both(data, "csv", Format::Transfers) else {
            return;
        };
        if loaded.ledger.is_empty() || loaded.ledger.len() > 64 {
            return;
        }
        let graph = FlowGraph::new(loaded.ledger);
        let valued = Valued::implied(&graph, "USD");
        let analysis = detect::analyze(&valued, &DetectConfig::default(), |_| {});
        for f in &analysis.findings {
            assert!((0.0..=1.0).contains(&f.score), "score {}", f.score);
        }
        let l = graph.ledger();
        let balances = Balances::new(l, &Default::default());
        let seeds = [
            vec![Seed::Inflows { account: AccountId(0), since: i64::MIN, amount: None }],
            vec![Seed::Inflows { account: l.tos()[0], since: i64::MIN, amount: Some(Decimal::new(5, 1)) }],
            vec![Seed::Transfer { transfer: TransferId(0), amount: None }],
        ];
        let horizons = if l.len() <= 24 { Horizons::Every } else { Horizons::End };
        for seeds in &seeds {
            for rule in Rule::ALL {
                let options = TraceOptions { rule, min_amount: Decimal::ZERO, ..TraceOptions::default() };
                if let Err(why) = verify(&graph, &balances, seeds, &options, horizons) {
                    panic!("{why}");
                }
            }
        }
    }
);
