//! Regenerate the sample shipped in `data/`: `data/sample_transfers.csv`
//! and its answer key `data/sample_truth.json`.
//!
//! ```text
//! cargo run --example make_sample
//! ```
//!
//! The output depends only on the seed; a test checks that the committed
//! files equal what this writes.

use moneytrail::synth::sample_set;
use std::path::Path;

/// The seed of the shipped sample.
const SEED: u64 = 20240301;

fn main() -> std::io::Result<()> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let set = sample_set(SEED);
    std::fs::write(data.join("sample_transfers.csv"), &set.csv)?;
    let truth = serde_json::json!({
        "generator": "moneytrail::synth::sample_set",
        "seed": SEED,
        "file": "sample_transfers.csv",
        "attempts": set.planted,
    });
    let text = serde_json::to_string_pretty(&truth)? + "\n";
    std::fs::write(data.join("sample_truth.json"), text)?;
    println!(
        "wrote {} transfers and {} planted patterns to {}",
        set.csv.lines().count() - 1,
        set.planted.len(),
        data.display()
    );
    Ok(())
}
