//! Fuzz the small side files: FX rates, opening balances, attribution
//! tags and subject lists (the first byte picks which). Any input is an
//! error or a result; nothing panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use moneytrail::{LedgerBuilder, NewTransfer};
use rust_decimal::Decimal;

fuzz_target!(
    init: moneytrail_fuzz::crash_on_our_panics(),
    |data: &[u8]| {
        let Some((&which, body)) = data.split_first() else {
            return;
        };
        moneytrail_fuzz::with_file(body, "csv", |path| match which % 4 {
            0 => {
                if let Ok(fx) = moneytrail::ingest::read_fx(path, "USD") {
                    assert!(fx.rates.values().all(|r| *r > Decimal::ZERO));
                }
            }
            1 => {
                let mut b = LedgerBuilder::new();
                let (x, y) = (b.account("x"), b.account("y"));
                let usd = b.asset("USD").expect("an asset");
                b.push(NewTransfer::simple(0, x, y, Decimal::ONE, usd, 0));
                let ledger = b.finish().expect("a ledger");
                if let Ok(opening) = moneytrail::ingest::read_opening(path, &ledger) {
                    assert!(opening.values().all(|v| *v >= Decimal::ZERO));
                }
            }
            2 => {
                if let Ok(tags) = moneytrail::ingest::read_tags(path) {
                    assert!(tags.iter().all(|t| !t.address.is_empty()));
                }
            }
            _ => {
                if let Ok(subjects) = moneytrail::ingest::read_subjects(path) {
                    assert!(subjects.iter().all(|s| !s.subject.is_empty()));
                }
            }
        });
    }
);
