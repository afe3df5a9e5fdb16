//! AMLworld-layout transfers for benchmarks: accounts at many banks,
//! AMLworld's currencies and payment formats, a share labelled laundering.

use super::Rng;
use crate::ingest::Layout;
use crate::time::{self, DAY, MINUTE};
use rayon::prelude::*;
use rust_decimal::Decimal;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Parameters of the AMLworld-layout generator.
#[derive(Debug, Clone)]
pub struct AmlWorldSpec {
    /// Data rows to write.
    pub rows: usize,
    /// Accounts to draw from.
    pub accounts: usize,
    /// Banks the accounts belong to.
    pub banks: usize,
    /// Days the transfers span.
    pub days: i64,
    /// Share of rows labelled as laundering.
    pub laundering_share: f64,
    /// Seed.
    pub seed: u64,
}

impl Default for AmlWorldSpec {
    fn default() -> AmlWorldSpec {
        AmlWorldSpec {
            rows: 100_000,
            accounts: 20_000,
            banks: 300,
            days: 18,
            laundering_share: 0.001,
            seed: 7,
        }
    }
}

impl AmlWorldSpec {
    /// The default spec at a size: `rows` rows among `rows / 5` accounts
    /// (at least 1,000), as the benches and examples use.
    pub fn with_rows(rows: usize) -> AmlWorldSpec {
        AmlWorldSpec {
            rows,
            accounts: (rows / 5).max(1000),
            ..AmlWorldSpec::default()
        }
    }
}

/// Write an AMLworld-layout file (see [`write_amlworld`]), buffered.
///
/// # Errors
///
/// When the file cannot be created or written.
pub fn write_amlworld_file(path: &std::path::Path, spec: &AmlWorldSpec) -> io::Result<()> {
    let file = std::fs::File::create(path)?;
    write_amlworld(io::BufWriter::new(file), spec)
}

/// AMLworld's currencies with rough September 2022 rates (units per USD).
/// Every one appears in cross-currency rows, so rates can be implied.
const CURRENCIES: &[(&str, f64)] = &[
    ("US Dollar", 1.0),
    ("Euro", 1.0),
    ("UK Pound", 0.87),
    ("Yuan", 6.9),
    ("Rupee", 79.5),
    ("Swiss Franc", 0.97),
    ("Yen", 143.0),
    ("Canadian Dollar", 1.31),
    ("Australian Dollar", 1.46),
    ("Mexican Peso", 20.0),
    ("Brazil Real", 5.2),
    ("Saudi Riyal", 3.76),
    ("Ruble", 60.0),
    ("Shekel", 3.4),
    ("Bitcoin", 0.00005),
];

const FORMATS: &[&str] = &[
    "ACH",
    "Cheque",
    "Credit Card",
    "Wire",
    "Cash",
    "Reinvestment",
];

/// Write `spec.rows` AMLworld-layout rows (with header) in time order.
/// Rows are made in parallel blocks, each from its own random stream, and
/// written in order: the bytes depend on the seed only.
///
/// ```
/// use moneytrail::synth::{write_amlworld, AmlWorldSpec};
/// let mut out = Vec::new();
/// write_amlworld(&mut out, &AmlWorldSpec { rows: 10, ..AmlWorldSpec::default() }).unwrap();
/// let text = String::from_utf8(out).unwrap();
/// assert_eq!(text.lines().count(), 11);
/// assert!(text.starts_with("Timestamp,From Bank,Account,"));
/// ```
pub fn write_amlworld<W: Write>(mut out: W, spec: &AmlWorldSpec) -> io::Result<()> {
    const BLOCK: usize = 1 << 16;
    writeln!(out, "{}", Layout::AmlWorld.header())?;
    let start = time::parse_rfc3339("2022-09-01T00:00:00Z").unwrap_or(0);
    let span_minutes = (spec.days.max(1) * DAY / MINUTE) as u128;
    let blocks = spec.rows.div_ceil(BLOCK);
    let group = rayon::current_num_threads().max(1) * 4;
    for first in (0..blocks).step_by(group) {
        let texts: Vec<String> = (first..(first + group).min(blocks))
            .into_par_iter()
            .map(|block| amlworld_block(spec, block, BLOCK, start, span_minutes))
            .collect();
        for text in texts {
            out.write_all(text.as_bytes())?;
        }
    }
    out.flush()
}

fn account_name(account: u64, banks: u64) -> (String, String) {
    let bank = account % banks.max(1);
    let width = 3 + (bank % 4) as usize;
    let bank_id = format!("{:0width$}", bank * 7 + 1, width = width);
    let mixed = account.wrapping_mul(0x9E37_79B9).wrapping_add(0x8000_0000) & 0xF_FFFF_FFFF;
    (bank_id, format!("8{mixed:08X}"))
}

fn amlworld_block(
    spec: &AmlWorldSpec,
    block: usize,
    block_rows: usize,
    start: i64,
    span_minutes: u128,
) -> String {
    let mut rng = Rng::stream(spec.seed, block as u64);
    let lo = block * block_rows;
    let hi = (lo + block_rows).min(spec.rows);
    let mut text = String::with_capacity((hi - lo) * 110);
    let accounts = spec.accounts.max(2) as u64;
    let banks = spec.banks.max(1) as u64;
    let mut last_minute = i64::MIN;
    let mut stamp = String::new();
    for i in lo..hi {
        let minute = (i as u128 * span_minutes / spec.rows.max(1) as u128) as i64;
        if minute != last_minute {
            last_minute = minute;
            stamp = time::to_datetime(start + minute * MINUTE)
                .format("%Y/%m/%d %H:%M")
                .to_string();
        }
        let from = rng.skewed(accounts);
        let mut to = rng.below(accounts);
        if to == from {
            to = (to + 1) % accounts;
        }
        let (from_bank, from_acct) = account_name(from, banks);
        let (to_bank, to_acct) = account_name(to, banks);
        let (paid_name, paid_rate) = CURRENCIES[(rng.skewed(CURRENCIES.len() as u64)) as usize];
        let cross = rng.chance(0.02);
        let (recv_name, recv_rate) = if cross {
            CURRENCIES[rng.below(CURRENCIES.len() as u64 - 1) as usize]
        } else {
            (paid_name, paid_rate)
        };
        let usd_cents = rng.amount_cents(80_000.0, 1.6);
        let paid = scaled(usd_cents, paid_rate, paid_name);
        let received = if cross {
            scaled(usd_cents, recv_rate, recv_name)
        } else {
            paid
        };
        let format = if paid_name == "Bitcoin" || recv_name == "Bitcoin" {
            "Bitcoin"
        } else {
            FORMATS[rng.skewed(FORMATS.len() as u64) as usize]
        };
        let label = u8::from(rng.chance(spec.laundering_share));
        let _ = writeln!(
            text,
            "{stamp},{from_bank},{from_acct},{to_bank},{to_acct},{received},{recv_name},{paid},{paid_name},{format},{label}"
        );
    }
    text
}

/// USD cents converted at `rate`, with AMLworld's precision: 6 decimals for
/// Bitcoin, 2 otherwise.
fn scaled(usd_cents: i64, rate: f64, name: &str) -> Decimal {
    if name == "Bitcoin" {
        let micro = ((usd_cents as f64) * rate * 10_000.0).round().max(1.0) as i64;
        Decimal::new(micro, 6)
    } else {
        Decimal::new(((usd_cents as f64) * rate).round().max(1.0) as i64, 2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amlworld_generator_is_deterministic_and_sorted() {
        let spec = AmlWorldSpec {
            rows: 2_000,
            seed: 3,
            ..AmlWorldSpec::default()
        };
        let (mut a, mut b) = (Vec::new(), Vec::new());
        write_amlworld(&mut a, &spec).unwrap();
        write_amlworld(&mut b, &spec).unwrap();
        assert_eq!(a, b);
        let text = String::from_utf8(a).unwrap();
        let stamps: Vec<&str> = text.lines().skip(1).map(|l| &l[..16]).collect();
        assert_eq!(stamps.len(), 2_000);
        assert!(stamps.windows(2).all(|w| w[0] <= w[1]));
    }
}
