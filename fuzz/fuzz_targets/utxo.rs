//! Fuzz the reader of one layout (Utxo): any input is an error or a load
//! that reconciles, strict and lenient alike, whose every transaction
//! balances; nothing panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use moneytrail::ingest::Format;
use rust_decimal::Decimal;

fuzz_target!(
    init: moneytrail_fuzz::crash_on_our_panics(),
    |data: &[u8]| {
        let Some(loaded) = moneytrail_fuzz::load_both(data, "jsonl", Format::Utxo) else {
            return;
        };
        // every transaction kept balances: inputs = outputs + fee (a
        // coinbase, with no inputs, mints its outputs and pays no fee)
        for tx in &loaded.utxo {
            let inputs: Decimal = tx.inputs.iter().map(|l| l.amount).sum();
            let outputs: Decimal = tx.outputs.iter().map(|l| l.amount).sum();
            assert!(tx.fee >= Decimal::ZERO, "fee {}", tx.fee);
            if tx.inputs.is_empty() {
                assert!(tx.fee.is_zero(), "a coinbase with fee {}", tx.fee);
            } else {
                assert_eq!(inputs, outputs + tx.fee, "{} does not balance", tx.hash);
            }
        }
    }
);
