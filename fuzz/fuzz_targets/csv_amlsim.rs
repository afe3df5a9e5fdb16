//! Fuzz the reader of one layout (AmlSim): any input is an error or a load
//! that reconciles, strict and lenient alike; nothing panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use moneytrail::ingest::Format;

fuzz_target!(
    init: moneytrail_fuzz::crash_on_our_panics(),
    |data: &[u8]| {
        moneytrail_fuzz::load_both(data, "csv", Format::AmlSim);
    }
);
