//! Integration tests: the real third-party data sets, the shipped sample,
//! and the command line end to end. One test crate, so polars links once.

mod analyze;
mod cli;
mod datasets;
mod regressions;
mod report;
mod sample;
mod training;

use std::path::PathBuf;

/// The project's root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shared third-party data sets (`../shared/datasets` beside the
/// checkout, or `$MONEYTRAIL_DATASETS`). Tests that need them fail when
/// they are missing, rather than pass without checking anything.
pub fn datasets() -> PathBuf {
    let dir = std::env::var_os("MONEYTRAIL_DATASETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/datasets"));
    assert!(
        dir.is_dir(),
        "the shared data sets are not at {}; set MONEYTRAIL_DATASETS",
        dir.display()
    );
    dir
}
