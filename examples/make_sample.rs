//! Regenerate the sample shipped in `data/`: `data/sample_transfers.csv`
//! and its answer key `data/sample_truth.json`.
//!
//! ```text
//! cargo run --example make_sample
//! ```
//!
//! The output depends only on the seed; a test checks that the committed
//! files equal what this writes.

use moneytrail::synth::{sample_set, SAMPLE_SEED};
use std::path::Path;

fn main() -> std::io::Result<()> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let set = sample_set(SAMPLE_SEED);
    std::fs::write(data.join("sample_transfers.csv"), &set.csv)?;
    std::fs::write(data.join("sample_truth.json"), set.truth_json(SAMPLE_SEED))?;
    println!(
        "wrote {} transfers and {} planted patterns to {}",
        set.csv.lines().count() - 1,
        set.planted.len(),
        data.display()
    );
    Ok(())
}
