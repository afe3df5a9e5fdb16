//! Integration tests: the real third-party data sets, the shipped sample,
//! and the command line end to end. One test crate, so polars links once.

mod analyze;
mod cli;
mod datasets;
mod docs;
mod first_day;
mod learn;
mod regressions;
mod report;
mod sample;
mod store;
mod training;

use std::io::Write;
use std::path::PathBuf;

/// The project's root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shared third-party data sets: `$MONEYTRAIL_DATASETS`, else
/// `../shared/datasets` beside the checkout. A clone without them skips the
/// tests that read them, saying so on stderr; with `MONEYTRAIL_REQUIRE_DATASETS=1`, as `.ci/run` sets it,
/// their absence fails the test instead, so CI never skips them silently.
pub fn datasets(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("MONEYTRAIL_DATASETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/datasets"));
    if dir.is_dir() {
        return Some(dir);
    }
    let required = std::env::var("MONEYTRAIL_REQUIRE_DATASETS").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{test}: the data sets are not at {} and MONEYTRAIL_REQUIRE_DATASETS=1; \
         set MONEYTRAIL_DATASETS to their folder",
        dir.display()
    );
    // straight to stderr: the test harness captures eprintln! of a passing
    // test, and this notice must be seen
    let _ = writeln!(
        std::io::stderr(),
        "skipped {test}: no data sets at {} (set MONEYTRAIL_DATASETS to the folder \
         holding amlsim/ and amlworld/)",
        dir.display()
    );
    None
}

/// Run the `moneytrail` binary with `args`.
pub fn moneytrail(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_moneytrail"))
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Run the binary, require success (else fail with its stderr), and
/// return its stdout.
pub fn stdout_of(args: &[&str]) -> String {
    let out = moneytrail(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
