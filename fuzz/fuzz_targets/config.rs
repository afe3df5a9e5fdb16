//! Fuzz detector configurations (TOML, or JSON when the input starts with
//! `{`): a configuration that parses runs every detector on a small
//! generated ledger without panicking, and its findings are well formed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use moneytrail::detect::{self, DetectConfig};
use moneytrail::FlowGraph;
use moneytrail::Valued;
use std::sync::OnceLock;

fn graph() -> &'static FlowGraph {
    static GRAPH: OnceLock<FlowGraph> = OnceLock::new();
    GRAPH.get_or_init(|| {
        let set = moneytrail::synth::sample_set(moneytrail::synth::SAMPLE_SEED);
        let path =
            std::env::temp_dir().join(format!("moneytrail-fuzz-sample-{}.csv", std::process::id()));
        std::fs::write(&path, &set.csv).expect("the sample can be written");
        let loaded =
            moneytrail::ingest::load(&path, &Default::default()).expect("the sample loads");
        FlowGraph::new(loaded.ledger)
    })
}

fuzz_target!(
    init: moneytrail_fuzz::crash_on_our_panics(),
    |data: &[u8]| {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        let parsed: Option<DetectConfig> = if text.trim_start().starts_with('{') {
            serde_json::from_str(text).ok()
        } else {
            toml::from_str(text).ok()
        };
        let Some(config) = parsed else {
            return;
        };
        let data = Valued::implied(graph(), &config.currency);
        let analysis = detect::analyze(&data, &config, |_| {});
        for f in &analysis.findings {
            assert!((0.0..=1.0).contains(&f.score), "score {}", f.score);
            assert!(!f.transfers.is_empty() || !f.accounts.is_empty());
        }
    }
);
