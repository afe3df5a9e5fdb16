//! Fuzz the store reader: the first byte picks one file of a small store
//! (a partition, the account or asset dictionary, the manifest), the rest
//! replaces it; opening and reading the store is then an error or a ledger
//! of the manifest's transfers, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use moneytrail::store::{self, IngestOptions, Store, TimeRange};
use std::path::PathBuf;
use std::sync::OnceLock;

/// A store of four transfers over two days, made once per process; its
/// files as written.
fn pristine() -> &'static (PathBuf, Vec<(PathBuf, Vec<u8>)>) {
    static STORE: OnceLock<(PathBuf, Vec<(PathBuf, Vec<u8>)>)> = OnceLock::new();
    STORE.get_or_init(|| {
        let dir = moneytrail_fuzz::scratch_dir("store");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch folder");
        let input = dir.join("t.csv");
        std::fs::write(
            &input,
            "tx_id,time,from,to,amount,asset,chain,tx_hash\n\
             1,2024-01-01T00:00:00Z,a,b,1.00,EUR,,\n\
             2,2024-01-01T05:00:00Z,b,c,0.5,BTC,bitcoin,abc\n\
             3,2024-01-02T00:00:00Z,c,a,2,EUR,,\n\
             4,2024-01-02T01:00:00Z,a,d,3.25,EUR,,\n",
        )
        .expect("input");
        let store_dir = dir.join("store");
        let ingested = store::ingest(&store_dir, &[input], &IngestOptions::default())
            .expect("the seed store is written");
        let mut files: Vec<PathBuf> = ingested
            .manifest
            .partitions
            .iter()
            .map(|p| store_dir.join(&p.file))
            .collect();
        files.push(store_dir.join("accounts.parquet"));
        files.push(store_dir.join("assets.parquet"));
        files.push(store_dir.join("manifest.json"));
        let files = files
            .into_iter()
            .map(|f| {
                let bytes = std::fs::read(&f).expect("store file");
                (f, bytes)
            })
            .collect();
        (store_dir, files)
    })
}

fuzz_target!(
    init: moneytrail_fuzz::crash_on_our_panics(),
    |data: &[u8]| {
        let Some((&pick, rest)) = data.split_first() else { return };
        let (dir, files) = pristine();
        for (path, bytes) in files {
            std::fs::write(path, bytes).expect("restore");
        }
        let (target, _) = &files[usize::from(pick) % files.len()];
        std::fs::write(target, rest).expect("replace");
        let Ok(store) = Store::open(dir) else { return };
        if let Ok(loaded) = store.load(&TimeRange::default()) {
            assert_eq!(
                loaded.ledger.len() as u64,
                store.manifest().transfers,
                "a store read holds other than the manifest's transfers"
            );
        }
    }
);
