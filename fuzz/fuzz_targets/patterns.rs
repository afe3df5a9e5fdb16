//! Fuzz the reader of one layout (Patterns): any input is an error or a
//! load that reconciles, strict and lenient alike, whose attempts name
//! only rows of the file; nothing panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use moneytrail::ingest::Format;

fuzz_target!(
    init: moneytrail_fuzz::crash_on_our_panics(),
    |data: &[u8]| {
        let Some(loaded) = moneytrail_fuzz::load_both(data, "txt", Format::Patterns) else {
            return;
        };
        // every attempt's rows are data rows of the file
        for attempt in &loaded.attempts {
            for &row in &attempt.rows {
                assert!(u64::from(row) < loaded.report.rows_read, "attempt row {row}");
            }
        }
    }
);
