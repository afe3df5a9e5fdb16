//! What the fuzz targets share: writing an input to a file (moneytrail's
//! readers take paths), loading it strictly and leniently, and the
//! panic hook that tells a contained dependency panic from a real crash.

use moneytrail::ingest::{load, Format, LoadOptions, Loaded};
use std::path::PathBuf;

/// A file for this process's inputs, on tmpfs where there is one.
fn scratch(ext: &str) -> PathBuf {
    let dir = if std::path::Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    dir.join(format!("moneytrail-fuzz-{}.{ext}", std::process::id()))
}

/// A scratch folder for this process, on tmpfs where there is one.
pub fn scratch_dir(name: &str) -> PathBuf {
    let file = scratch(name);
    file.with_extension("d")
}

/// Write `data` to the scratch file and run `f` on its path.
pub fn with_file<T>(data: &[u8], ext: &str, f: impl FnOnce(&std::path::Path) -> T) -> T {
    let path = scratch(ext);
    std::fs::write(&path, data).expect("the scratch file can be written");
    f(&path)
}

/// Panics inside polars are contained by moneytrail at its readers'
/// boundary (they become errors); every other panic is a crash. libFuzzer's
/// hook would abort on any panic, so this one aborts only on the others.
pub fn crash_on_our_panics() {
    std::panic::set_hook(Box::new(|info| {
        let inside_polars = info
            .location()
            .is_some_and(|l| l.file().contains("/polars-"));
        if !inside_polars {
            eprintln!("{info}");
            std::process::abort();
        }
    }));
}

/// Load `data` in `format`, strictly and leniently; whatever happens must
/// be an error or a load whose counts reconcile. Returns the lenient load.
pub fn load_both(data: &[u8], ext: &str, format: Format) -> Option<Loaded> {
    with_file(data, ext, |path| {
        let strict = load(
            path,
            &LoadOptions {
                format,
                chunk_bytes: 4096,
                ..LoadOptions::default()
            },
        );
        let lenient = load(
            path,
            &LoadOptions {
                format,
                lenient: true,
                chunk_bytes: 4096,
                ..LoadOptions::default()
            },
        );
        if let Ok(l) = &strict {
            assert!(l.report.reconciles(), "a strict load does not reconcile");
            assert_eq!(l.report.rows_rejected, 0, "a strict load rejected rows");
            let lenient = lenient
                .as_ref()
                .expect("a file that loads strictly loads leniently");
            assert_eq!(
                lenient.ledger.len(),
                l.ledger.len(),
                "strict and lenient disagree"
            );
        }
        if let Ok(l) = &lenient {
            assert!(l.report.reconciles(), "a lenient load does not reconcile");
            let loaded = if l.utxo.is_empty() {
                l.ledger.len()
            } else {
                l.utxo.len()
            };
            assert_eq!(
                l.report.rows_loaded as usize, loaded,
                "rows loaded ≠ records kept"
            );
        }
        lenient.ok()
    })
}
