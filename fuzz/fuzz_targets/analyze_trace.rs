//! Fuzz load → analyze → trace on tiny transfers files: whatever loads is
//! analysed by every detector, and traced from its first account and its
//! first transfer under every rule with the invariants of
//! `moneytrail::trace::verify` asserted (conservation, no holding above
//! its balance at any time, no more traced in than the seed received),
//! once stopping at exchanges and once following links between every
//! deposit and every later payment of its payee (any account, not only
//! exchanges, so that the links' bookkeeping meets every shape).
#![no_main]

use libfuzzer_sys::fuzz_target;
use moneytrail::detect::{self, DetectConfig};
use moneytrail::ingest::Format;
use moneytrail::trace::{verify, Balances, ExchangeLinks, Horizons, Rule, Seed, TraceOptions};
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
            vec![Seed::Opening { account: l.froms()[0], asset: l.assets_paid()[0] }],
        ];
        let n = l.len() as u32;
        let pairs = (0..n).flat_map(|d| (d + 1..n).map(move |x| (TransferId(d), TransferId(x))));
        let pairs: Vec<_> = pairs.filter(|&(d, x)| l.tos()[d.index()] == l.froms()[x.index()]).collect();
        let links = std::sync::Arc::new(ExchangeLinks::from_pairs(&valued, pairs).expect("valid pairs"));
        let found = ExchangeLinks::from_findings(&valued, &analysis.findings);
        assert!(found.links().iter().all(|k| k.deposit < k.payout));
        let horizons = if l.len() <= 24 { Horizons::Every } else { Horizons::End };
        for seeds in &seeds {
            for (rule, exchange_links) in Rule::ALL.into_iter().flat_map(|r| [(r, Default::default()), (r, links.clone())]) {
                let options = TraceOptions { rule, min_amount: Decimal::ZERO, exchange_links, ..TraceOptions::default() };
                if let Err(why) = verify(&graph, &balances, seeds, &options, horizons) {
                    panic!("{why}");
                }
            }
        }
    }
);
