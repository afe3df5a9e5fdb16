//! Seeded synthetic transfers: an AMLworld-layout generator for benchmarks,
//! and the small mixed bank and virtual-currency sample shipped in `data/`.
//!
//! Everything here is deterministic: the same seed gives the same bytes on
//! every machine and thread count (a hand-written SplitMix64 generator, so
//! no dependency's version can change the stream). The full training
//! generator, with realistic background traffic and difficulty presets, is
//! a separate piece of work; this module makes just enough data to measure
//! loading and to show the tool on a planted case.

use crate::time::{self, DAY, HOUR, MINUTE};
use rayon::prelude::*;
use rust_decimal::Decimal;
use serde::Serialize;
use std::fmt::Write as _;
use std::io::{self, Write};

/// SplitMix64: tiny, fast, and stable across versions.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// A generator for stream `stream` of a seed (independent blocks).
    pub fn stream(seed: u64, stream: u64) -> Rng {
        let mut r = Rng::new(seed.wrapping_add(stream.wrapping_mul(0xD1B5_4A32_D192_ED03)));
        r.next_u64();
        r
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n.max(1))) >> 64) as u64
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1).max(1) as u64) as i64
    }

    /// A heavy-tailed index in `0..n`: small indexes are much more likely
    /// (a few accounts make most transfers, as in real ledgers).
    pub fn skewed(&mut self, n: u64) -> u64 {
        let u = self.unit();
        ((u * u * u) * n as f64) as u64 % n.max(1)
    }

    /// A log-normal amount in cents with the given median.
    pub fn amount_cents(&mut self, median_cents: f64, sigma: f64) -> i64 {
        let u1 = self.unit().max(1e-12);
        let u2 = self.unit();
        let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        ((median_cents * (sigma * z).exp()).round() as i64).max(1)
    }
}

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

const AMLWORLD_HEADER: &str = "Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,Amount Paid,Payment Currency,Payment Format,Is Laundering\n";

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
    out.write_all(AMLWORLD_HEADER.as_bytes())?;
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

/// A laundering instance planted in generated data: the answer key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlantedPattern {
    /// An id, unique in the data set.
    pub id: String,
    /// The typology (snake_case: `fan_out`, `cycle`, `structuring`…).
    pub typology: String,
    /// The accounts involved.
    pub accounts: Vec<String>,
    /// 0-based data rows of its transfers.
    pub rows: Vec<u32>,
    /// What was planted, in words.
    pub description: String,
}

/// The sample data set: transfers-layout CSV text and its answer key.
#[derive(Debug, Clone)]
pub struct SampleSet {
    /// The CSV, header included.
    pub csv: String,
    /// The planted laundering.
    pub planted: Vec<PlantedPattern>,
}

/// The seed of the sample shipped in `data/`.
pub const SAMPLE_SEED: u64 = 20240301;

impl SampleSet {
    /// The answer key as written to `data/sample_truth.json`.
    pub fn truth_json(&self, seed: u64) -> String {
        let truth = serde_json::json!({
            "generator": "moneytrail::synth::sample_set",
            "seed": seed,
            "file": "sample_transfers.csv",
            "attempts": self.planted,
        });
        serde_json::to_string_pretty(&truth).unwrap_or_default() + "\n"
    }
}

/// Header of the transfers layout as the sample writes it.
pub const TRANSFERS_HEADER: &str = "tx_id,time,from,to,amount,asset,amount_received,asset_received,channel,from_institution,to_institution,from_jurisdiction,to_jurisdiction,chain,tx_hash,label,from_kind,to_kind";

#[derive(Debug, Clone)]
struct Party {
    key: String,
    institution: String,
    jurisdiction: String,
    kind: &'static str,
}

#[derive(Debug, Clone)]
struct Row {
    time: i64,
    from: usize,
    to: usize,
    amount: Decimal,
    asset: &'static str,
    received: Option<(Decimal, &'static str)>,
    channel: &'static str,
    chain: Option<&'static str>,
    laundering: bool,
    pattern: Option<usize>,
}

struct SampleBuilder {
    rng: Rng,
    parties: Vec<Party>,
    rows: Vec<Row>,
    patterns: Vec<(String, String)>,
    start: i64,
}

impl SampleBuilder {
    fn party(
        &mut self,
        key: String,
        institution: &str,
        jurisdiction: &str,
        kind: &'static str,
    ) -> usize {
        self.parties.push(Party {
            key,
            institution: institution.to_string(),
            jurisdiction: jurisdiction.to_string(),
            kind,
        });
        self.parties.len() - 1
    }

    fn pay(
        &mut self,
        time: i64,
        from: usize,
        to: usize,
        amount: Decimal,
        asset: &'static str,
        channel: &'static str,
    ) -> usize {
        self.rows.push(Row {
            time,
            from,
            to,
            amount,
            asset,
            received: None,
            channel,
            chain: None,
            laundering: false,
            pattern: None,
        });
        self.rows.len() - 1
    }

    fn plant(&mut self, typology: &str, description: String, rows: &[usize]) {
        let id = self.patterns.len();
        self.patterns.push((typology.to_string(), description));
        for &r in rows {
            self.rows[r].laundering = true;
            self.rows[r].pattern = Some(id);
        }
    }

    fn cents(&mut self, median: f64, sigma: f64) -> Decimal {
        Decimal::new(self.rng.amount_cents(median * 100.0, sigma), 2)
    }

    fn at(&mut self, day: i64, hour_lo: i64, hour_hi: i64) -> i64 {
        self.start + day * DAY + self.rng.range(hour_lo * 60, hour_hi * 60 - 1) * MINUTE
    }
}

fn pct(amount: Decimal, keep_per_mille: i64) -> Decimal {
    (amount * Decimal::new(keep_per_mille, 3)).round_dp(2)
}

/// Build the sample shipped as `data/sample_transfers.csv`: about 3,000
/// transfers over 30 days among 4 banks, 2 exchanges and 40 wallets, with
/// honest salaries, purchases, bills, cash, FX and crypto on- and
/// off-ramps, and planted laundering of ten typologies.
pub fn sample_set(seed: u64) -> SampleSet {
    let start = time::parse_rfc3339("2024-03-01T00:00:00Z").unwrap_or(0);
    let mut b = SampleBuilder {
        rng: Rng::new(seed),
        parties: Vec::new(),
        rows: Vec::new(),
        patterns: Vec::new(),
        start,
    };
    let banks = [
        ("Northbank", "GB", "GB-NB", "GBP"),
        ("Rhein Bank", "DE", "DE-RB", "EUR"),
        ("Banco Sol", "ES", "ES-BS", "EUR"),
        ("Lakeside Credit", "US", "US-LC", "USD"),
    ];
    let mut persons = Vec::new();
    for i in 0..240 {
        let (name, j, prefix, _) = banks[i % banks.len()];
        persons.push(b.party(
            format!("{prefix}-{:05}", 10_000 + i * 37 % 90_000),
            name,
            j,
            "bank",
        ));
    }
    let mut businesses = Vec::new();
    for i in 0..40 {
        let (name, j, prefix, _) = banks[(i * 3) % banks.len()];
        businesses.push(b.party(format!("{prefix}-B{:04}", 100 + i * 13), name, j, "bank"));
    }
    let home_currency = |p: usize, parties: &[Party]| -> &'static str {
        match parties[p].jurisdiction.as_str() {
            "GB" => "GBP",
            "US" => "USD",
            _ => "EUR",
        }
    };
    let cash = b.party("CASH".to_string(), "", "", "cash");
    let coinhub = b.party("coinhub".to_string(), "CoinHub", "MT", "exchange");
    let kryptobank = b.party("kryptobank".to_string(), "KryptoBank", "LI", "exchange");
    let mut wallets = Vec::new();
    for i in 0..40u64 {
        let tag = Rng::new(seed ^ (i + 1)).next_u64();
        wallets.push(b.party(format!("bc1q{tag:016x}{i:02}"), "", "", "address"));
    }

    // honest salaries: 12 employers pay 8 staff each on the 25th
    for (e, &employer) in businesses.iter().take(12).enumerate() {
        let currency = home_currency(employer, &b.parties);
        for k in 0..8 {
            let staff = persons[(e * 8 + k) % persons.len()];
            let t = b.at(24, 8, 10);
            let amount = b.cents(3_200.0, 0.3);
            b.pay(t, employer, staff, amount, currency, "ach");
        }
    }
    // honest purchases: persons pay merchants (businesses 12..40), heavy-tailed
    for _ in 0..2_200 {
        let payer = persons[b.rng.skewed(persons.len() as u64) as usize];
        let mut merchant = businesses[12 + b.rng.below(28) as usize];
        // most purchases stay at home: redraw a foreign merchant 3 times in 4
        if b.parties[merchant].jurisdiction != b.parties[payer].jurisdiction && b.rng.chance(0.75) {
            merchant = businesses[12 + b.rng.below(28) as usize];
        }
        let day = b.rng.range(0, 29);
        let t = b.at(day, 7, 22);
        let amount = b.cents(60.0, 1.0);
        let channel = if b.rng.chance(0.7) {
            "credit_card"
        } else {
            "ach"
        };
        let currency = home_currency(payer, &b.parties);
        let row = b.pay(t, payer, merchant, amount, currency, channel);
        let merchant_currency = home_currency(merchant, &b.parties);
        if merchant_currency != currency {
            let rate = fx(currency, merchant_currency);
            b.rows[row].received = Some(((amount * rate).round_dp(2), merchant_currency));
        }
    }
    // monthly bills to three utilities
    for (i, &p) in persons.iter().enumerate() {
        let utility = businesses[12 + i % 3];
        let t = b.at(1 + (i as i64 % 5), 6, 8);
        let amount = b.cents(95.0, 0.3);
        let currency = home_currency(p, &b.parties);
        let row = b.pay(t, p, utility, amount, currency, "ach");
        let to_currency = home_currency(utility, &b.parties);
        if to_currency != currency {
            b.rows[row].received = Some((
                (amount * fx(currency, to_currency)).round_dp(2),
                to_currency,
            ));
        }
    }
    // businesses pay suppliers (honest fan-out over the month)
    for (i, &biz) in businesses.iter().enumerate().skip(12).take(10) {
        for k in 0..9 {
            let supplier = businesses[(i + 1 + k * 3) % 40];
            if supplier == biz {
                continue;
            }
            let t = b.at(2 + k as i64 * 3, 9, 17);
            let amount = b.cents(4_000.0, 0.8);
            let currency = home_currency(biz, &b.parties);
            b.pay(t, biz, supplier, amount, currency, "wire");
        }
    }
    // cash deposits, a few honestly just under 10,000
    for i in 0..60 {
        let p = persons[b.rng.below(persons.len() as u64) as usize];
        let day = b.rng.range(0, 29);
        let t = b.at(day, 9, 16);
        let amount = if i % 20 == 0 {
            Decimal::new(b.rng.range(920_000, 990_000), 2)
        } else {
            b.cents(600.0, 0.9)
        };
        let currency = home_currency(p, &b.parties);
        b.pay(t, cash, p, amount, currency, "cash");
    }
    // crypto on-ramps and off-ramps
    for i in 0..40 {
        let p = persons[(i * 5) % persons.len()];
        let exchange = if i % 3 == 0 { kryptobank } else { coinhub };
        let wallet = wallets[i];
        let day = b.rng.range(0, 25);
        let t = b.at(day, 8, 20);
        let fiat = b.cents(900.0, 0.7);
        let currency = home_currency(p, &b.parties);
        b.pay(t, p, exchange, fiat, currency, "wire");
        let btc = (fiat * fx(currency, "BTC")).round_dp(8);
        let t2 = t + b.rng.range(1, 30) * MINUTE;
        let row = b.pay(t2, exchange, wallet, btc, "BTC", "virtual_currency");
        b.rows[row].chain = Some("bitcoin");
        if i % 4 == 0 {
            // later sells part back
            let back = (btc * Decimal::new(6, 1)).round_dp(8);
            let t3 = t2 + b.rng.range(3, 7) * DAY;
            let row = b.pay(t3, wallet, exchange, back, "BTC", "virtual_currency");
            b.rows[row].chain = Some("bitcoin");
            let fiat_back = (back * fx("BTC", currency)).round_dp(2);
            b.pay(t3 + 2 * HOUR, exchange, p, fiat_back, currency, "wire");
        }
    }
    // wallets trade among themselves
    for _ in 0..120 {
        let from = wallets[b.rng.below(40) as usize];
        let to = wallets[b.rng.below(40) as usize];
        if from == to {
            continue;
        }
        let day = b.rng.range(1, 29);
        let t = b.at(day, 0, 24);
        let amount = Decimal::new(b.rng.range(100_000, 3_000_000), 8);
        let row = b.pay(t, from, to, amount, "BTC", "virtual_currency");
        b.rows[row].chain = Some("bitcoin");
    }

    plant_laundering(
        &mut b,
        &persons,
        &businesses,
        cash,
        coinhub,
        kryptobank,
        &wallets,
    );
    finish_sample(b)
}

/// Fixed sample exchange rates (units of `to` per unit of `from`).
fn fx(from: &str, to: &str) -> Decimal {
    let usd = |code: &str| match code {
        "EUR" => Decimal::new(108, 2),
        "GBP" => Decimal::new(127, 2),
        "BTC" => Decimal::from(65_000),
        "USDT" => Decimal::ONE,
        _ => Decimal::ONE,
    };
    usd(from) / usd(to)
}

#[allow(clippy::too_many_arguments)]
fn plant_laundering(
    b: &mut SampleBuilder,
    persons: &[usize],
    businesses: &[usize],
    cash: usize,
    coinhub: usize,
    kryptobank: usize,
    wallets: &[usize],
) {
    let mule = |b: &mut SampleBuilder, n: usize| -> usize {
        let (name, j, prefix) = [("Northbank", "GB", "GB-NB"), ("Banco Sol", "ES", "ES-BS")][n % 2];
        b.party(format!("{prefix}-M{:04}", 500 + n), name, j, "bank")
    };
    // 1. structuring: 8 cash deposits of 9,100-9,900 USD within 26 hours
    let target = persons[203];
    let mut rows = Vec::new();
    for k in 0..8 {
        let t = b.start + 6 * DAY + 9 * HOUR + k * 3 * HOUR + b.rng.range(0, 50) * MINUTE;
        let amount = Decimal::new(b.rng.range(910_000, 990_000), 2);
        rows.push(b.pay(t, cash, target, amount, "USD", "cash"));
    }
    b.plant(
        "structuring",
        "8 cash deposits of 9,100-9,900 USD within 26 hours".into(),
        &rows,
    );

    // 2. fan-out: one account pays 12 new accounts within 20 hours
    let source = mule(b, 1);
    let seed_in = b.pay(
        b.start + 9 * DAY + 8 * HOUR,
        businesses[30],
        source,
        Decimal::from(61_000),
        "EUR",
        "wire",
    );
    let mut rows = vec![seed_in];
    for k in 0..12 {
        let to = mule(b, 10 + k);
        let t = b.start + 9 * DAY + 10 * HOUR + k as i64 * 90 * MINUTE;
        let amount = b.cents(4_900.0, 0.05);
        rows.push(b.pay(t, source, to, amount, "EUR", "wire"));
    }
    b.plant(
        "fan_out",
        "one account pays 12 fresh accounts within 20 hours".into(),
        &rows,
    );

    // 3. fan-in: 10 accounts pay one account within 30 hours
    let sink = mule(b, 30);
    let mut rows = Vec::new();
    for k in 0..10 {
        let from = mule(b, 40 + k);
        let t = b.start + 12 * DAY + k as i64 * 3 * HOUR;
        let amount = b.cents(7_500.0, 0.1);
        rows.push(b.pay(t, from, sink, amount, "GBP", "ach"));
    }
    b.plant(
        "fan_in",
        "10 accounts pay one account within 30 hours".into(),
        &rows,
    );

    // 4. cycle: A -> B -> C -> D -> A over 3 days, 1% kept at each hop
    let ring: Vec<usize> = (0..4).map(|k| mule(b, 60 + k)).collect();
    let mut amount = Decimal::from(48_000);
    let mut rows = Vec::new();
    for k in 0..4 {
        let t = b.start + 15 * DAY + k as i64 * 18 * HOUR;
        rows.push(b.pay(t, ring[k], ring[(k + 1) % 4], amount, "EUR", "wire"));
        amount = pct(amount, 990);
    }
    b.plant(
        "cycle",
        "4-hop round trip over 54 hours; 96% of the money comes back".into(),
        &rows,
    );

    // 5. layering chain: 6 hops, 1.5% fee per hop, each forwarded within 5 hours
    let chain: Vec<usize> = (0..7).map(|k| mule(b, 70 + k)).collect();
    let mut amount = Decimal::from(95_000);
    let mut t = b.start + 18 * DAY + 7 * HOUR;
    let mut rows = Vec::new();
    for k in 0..6 {
        rows.push(b.pay(t, chain[k], chain[k + 1], amount, "USD", "wire"));
        amount = pct(amount, 985);
        t += b.rng.range(60, 300) * MINUTE;
    }
    b.plant(
        "layering_chain",
        "6-hop chain, 1.5% fee per hop, dwell under 5 hours".into(),
        &rows,
    );

    // 6. scatter-gather: source -> 6 intermediaries -> one sink
    let src = mule(b, 80);
    let dst = mule(b, 81);
    let mut rows = Vec::new();
    for k in 0..6 {
        let mid = mule(b, 82 + k);
        let t = b.start + 20 * DAY + k as i64 * HOUR;
        let amount = b.cents(8_000.0, 0.05);
        rows.push(b.pay(t, src, mid, amount, "EUR", "ach"));
        rows.push(b.pay(t + 20 * HOUR, mid, dst, pct(amount, 980), "EUR", "ach"));
    }
    b.plant(
        "scatter_gather",
        "a source pays 6 intermediaries; each pays one sink within a day".into(),
        &rows,
    );

    // 7. gather-scatter: 6 sources -> hub -> 6 sinks
    let hub = mule(b, 90);
    let mut rows = Vec::new();
    for k in 0..6 {
        let from = mule(b, 91 + k);
        let t = b.start + 22 * DAY + k as i64 * 2 * HOUR;
        let amount = b.cents(6_000.0, 0.05);
        rows.push(b.pay(t, from, hub, amount, "GBP", "ach"));
    }
    for k in 0..6 {
        let to = mule(b, 97 + k);
        let t = b.start + 23 * DAY + k as i64 * 2 * HOUR;
        let amount = b.cents(5_900.0, 0.05);
        rows.push(b.pay(t, hub, to, amount, "GBP", "ach"));
    }
    b.plant(
        "gather_scatter",
        "6 sources pay a hub, which pays 6 sinks the next day".into(),
        &rows,
    );

    // 8. mule pass-through: 5 incoming payments, each forwarded (97%) within hours
    let mule_acct = mule(b, 110);
    let boss = mule(b, 111);
    let mut rows = Vec::new();
    for k in 0..5 {
        let from = persons[150 + k * 7];
        let t = b.start + (3 + k as i64 * 4) * DAY + 10 * HOUR;
        let amount = b.cents(2_400.0, 0.2);
        rows.push(b.pay(t, from, mule_acct, amount, "EUR", "ach"));
        let delay = b.rng.range(60, 240) * MINUTE;
        rows.push(b.pay(t + delay, mule_acct, boss, pct(amount, 970), "EUR", "wire"));
    }
    b.plant(
        "pass_through",
        "a mule forwards 97% of 5 incoming payments within 4 hours each".into(),
        &rows,
    );

    // 9. virtual-currency layering: fiat -> exchange -> wallets -> mixer ->
    //    swap to USDT -> another exchange -> fiat abroad
    let suspect = persons[77];
    let mixer = b.party("bc1qmixer0000000000000000000000".into(), "", "", "address");
    let swap = b.party("swapdesk".into(), "SwapDesk", "SC", "exchange");
    let layer: Vec<usize> = wallets[30..34].to_vec();
    let abroad = b.party("AE-GB-7731".into(), "Gulf Bank", "AE", "bank");
    let mut rows = Vec::new();
    let mut t = b.start + 25 * DAY + 9 * HOUR;
    let fiat = Decimal::from(130_000);
    rows.push(b.pay(t, suspect, coinhub, fiat, "EUR", "wire"));
    t += 40 * MINUTE;
    let btc = (fiat * fx("EUR", "BTC")).round_dp(8);
    let r = b.pay(t, coinhub, layer[0], btc, "BTC", "virtual_currency");
    b.rows[r].chain = Some("bitcoin");
    rows.push(r);
    let part = (btc / Decimal::from(3)).round_dp(8);
    for (k, &w) in layer[1..].iter().enumerate() {
        t += 25 * MINUTE;
        let r = b.pay(t, layer[0], w, part, "BTC", "virtual_currency");
        b.rows[r].chain = Some("bitcoin");
        rows.push(r);
        let r = b.pay(
            t + (2 + k as i64) * HOUR,
            w,
            mixer,
            part - Decimal::new(2, 5),
            "BTC",
            "virtual_currency",
        );
        b.rows[r].chain = Some("bitcoin");
        rows.push(r);
    }
    t += 6 * HOUR;
    let mixed = (part - Decimal::new(2, 5)) * Decimal::from(3) * Decimal::new(98, 2);
    let mixed = mixed.round_dp(8);
    let r = b.pay(t, mixer, swap, mixed, "BTC", "virtual_currency");
    b.rows[r].chain = Some("bitcoin");
    b.rows[r].received = Some(((mixed * fx("BTC", "USDT")).round_dp(2), "USDT"));
    rows.push(r);
    t += 3 * HOUR;
    let usdt = (mixed * fx("BTC", "USDT")).round_dp(2);
    let r = b.pay(t, swap, kryptobank, usdt, "USDT", "virtual_currency");
    b.rows[r].chain = Some("tron");
    rows.push(r);
    t += 20 * HOUR;
    let usd = pct(usdt, 995);
    rows.push(b.pay(t, kryptobank, abroad, usd, "USD", "wire"));
    b.plant(
        "virtual_currency_layering",
        "EUR 130,000 to an exchange, out as BTC through 4 wallets and a mixer, swapped to USDT, cashed out in USD abroad within 2 days".into(),
        &rows,
    );

    // 10. bipartite: 4 payers each pay the same 4 payees within 2 days
    let payers: Vec<usize> = (0..4).map(|k| mule(b, 120 + k)).collect();
    let payees: Vec<usize> = (0..4).map(|k| mule(b, 124 + k)).collect();
    let mut rows = Vec::new();
    for (i, &p) in payers.iter().enumerate() {
        for (j, &q) in payees.iter().enumerate() {
            let t = b.start + 27 * DAY + (i * 4 + j) as i64 * 2 * HOUR;
            let amount = b.cents(3_000.0, 0.1);
            rows.push(b.pay(t, p, q, amount, "EUR", "ach"));
        }
    }
    b.plant(
        "bipartite",
        "4 payers each pay the same 4 payees within 32 hours".into(),
        &rows,
    );
}

fn finish_sample(b: SampleBuilder) -> SampleSet {
    let SampleBuilder {
        mut rng,
        parties,
        rows,
        patterns,
        ..
    } = b;
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| (rows[i].time, i));
    let mut csv = String::with_capacity(rows.len() * 160);
    csv.push_str(TRANSFERS_HEADER);
    csv.push('\n');
    let mut pattern_rows: Vec<Vec<u32>> = vec![Vec::new(); patterns.len()];
    let mut pattern_accounts: Vec<Vec<String>> = vec![Vec::new(); patterns.len()];
    for (out_row, &i) in order.iter().enumerate() {
        let r = &rows[i];
        let (from, to) = (&parties[r.from], &parties[r.to]);
        let (amount_received, asset_received) = r.received.unwrap_or((r.amount, r.asset));
        let hash = match r.chain {
            Some(_) => format!("{:016x}{:016x}", rng.next_u64(), rng.next_u64()),
            None => String::new(),
        };
        let _ = writeln!(
            csv,
            "T{:06},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            out_row + 1,
            time::to_rfc3339(r.time),
            from.key,
            to.key,
            r.amount,
            r.asset,
            amount_received,
            asset_received,
            r.channel,
            from.institution,
            to.institution,
            from.jurisdiction,
            to.jurisdiction,
            r.chain.unwrap_or(""),
            hash,
            u8::from(r.laundering),
            from.kind,
            to.kind,
        );
        if let Some(p) = r.pattern {
            pattern_rows[p].push(out_row as u32);
            for key in [&from.key, &to.key] {
                if !pattern_accounts[p].contains(key) {
                    pattern_accounts[p].push(key.clone());
                }
            }
        }
    }
    let planted = patterns
        .into_iter()
        .enumerate()
        .map(|(p, (typology, description))| PlantedPattern {
            id: format!("P{:02}", p + 1),
            typology,
            accounts: std::mem::take(&mut pattern_accounts[p]),
            rows: std::mem::take(&mut pattern_rows[p]),
            description,
        })
        .collect();
    SampleSet { csv, planted }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_stable() {
        let mut r = Rng::new(1);
        let first: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
        let mut again = Rng::new(1);
        assert_eq!(first, (0..3).map(|_| again.next_u64()).collect::<Vec<_>>());
        assert_ne!(Rng::stream(1, 0).next_u64(), Rng::stream(1, 1).next_u64());
        for _ in 0..1000 {
            assert!(r.below(7) < 7);
            assert!(r.skewed(5) < 5);
            let x = r.range(-3, 3);
            assert!((-3..=3).contains(&x));
        }
    }

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

    #[test]
    fn sample_rows_point_at_their_pattern() {
        let set = sample_set(42);
        let lines: Vec<&str> = set.csv.lines().skip(1).collect();
        assert!(lines.len() > 2_500, "{} rows", lines.len());
        assert_eq!(set.planted.len(), 10);
        for p in &set.planted {
            assert!(!p.rows.is_empty());
            for &r in &p.rows {
                let fields: Vec<&str> = lines[r as usize].split(',').collect();
                assert_eq!(fields[15], "1", "row {r} of {} is labelled", p.id);
                assert!(p.accounts.iter().any(|a| a == fields[2]));
            }
        }
        let labelled = lines
            .iter()
            .filter(|l| l.split(',').nth(15) == Some("1"))
            .count();
        assert_eq!(
            labelled,
            set.planted.iter().map(|p| p.rows.len()).sum::<usize>()
        );
    }
}

pub mod training;
