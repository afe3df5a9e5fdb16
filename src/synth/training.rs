//! The training generator: synthetic ledgers with realistic honest traffic
//! and planted laundering, written with an answer key.
//!
//! The same spec and seed give byte-identical files on any machine and any
//! thread count: every day of background traffic and every planted
//! instance draws from its own random stream ([`Rng::stream`]), days are
//! generated in parallel and written in order, and memory holds only the
//! days being formatted, so tens of millions of rows stream to disk.
//!
//! # Honest traffic
//!
//! Accounts at twelve banks in twelve jurisdictions, each bank with its
//! currency: persons (heavy-tailed activity), merchants (Zipf-popular, many
//! payers: honest fan-in), businesses paying a fixed set of suppliers
//! (honest fan-out, repeated counterparties), employers paying salaries on
//! the 25th (honest fan-out on one day), utilities collecting bills on the
//! 1st–5th, transfers among friends, cash deposits (about 1 in 50 honestly
//! between 9,000 and 9,999), cross-border payments with a currency
//! conversion, and a virtual-currency segment: three exchanges (VASPs), on-
//! and off-ramps between bank accounts and exchanges, the exchanges' own
//! treasury trades (USD to BTC and USDT and back, the conversions that let
//! rates be implied), and personal wallets trading bitcoin.
//!
//! # Planted laundering
//!
//! Eleven typologies, each instance recorded with its typology, accounts,
//! rows and parameters: `fan_out`, `fan_in`, `cycle`, `scatter_gather`,
//! `gather_scatter`, `bipartite`, `stack`, `layering_chain`, `structuring`,
//! `pass_through` and `virtual_currency_layering` (fiat → exchange → several
//! wallets → a mixer → a swap to USDT → another exchange → fiat abroad).
//! [`Difficulty`] sets how hard they are to see: longer time spans, noisier
//! amounts, fewer participants, and (hard) participants who also do honest
//! business.

use super::plant::{
    Canvas, Chain, Chan, Count, Cycle, Delay, Dwell, Fan, GatherScatter, Layers, Leg, Minutes,
    Mixing, PassThrough, Planted, ScatterGather, Side, Structuring, VcCanvas, VcLayering,
};
use super::Rng;
use crate::detect::{Direction, Typology};
use crate::ingest::Layout;
use crate::time::{self, DAY, HOUR, MINUTE};
use rayon::prelude::*;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;

/// How hard the planted patterns are to see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Difficulty {
    /// Compact (within a day or two), exact amounts, fresh accounts.
    Easy,
    /// Within four days, amounts ±5%, fresh accounts.
    #[default]
    Normal,
    /// Up to ten days, amounts ±15%, fewer participants, and half of them
    /// accounts that also do honest business.
    Hard,
}

/// Which file layout to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum OutputFormat {
    /// moneytrail's transfers layout (CSV).
    #[default]
    Transfers,
    /// The IBM AMLworld transactions layout.
    AmlWorld,
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainingSpec {
    /// Honest accounts.
    pub accounts: usize,
    /// Honest transfers (planted ones come on top).
    pub transfers: usize,
    /// Days covered, from 2024-01-01.
    pub days: u32,
    /// Seed.
    pub seed: u64,
    /// How hard the planted patterns are to see.
    pub difficulty: Difficulty,
    /// Instances planted per typology.
    pub per_typology: usize,
    /// File layout.
    pub format: OutputFormat,
    /// Write `transactions.parquet` instead of `transactions.csv`
    /// (transfers layout only).
    pub parquet: bool,
    /// Per-typology settings that override the difficulty's (by typology
    /// name).
    pub plan: BTreeMap<String, TypologyPlan>,
}

/// Settings for one typology; each field left out keeps the difficulty's.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TypologyPlan {
    /// Instances to plant (instead of `per_typology`).
    pub count: Option<usize>,
    /// Participants: counterparties of a fan, width of a scatter, gather
    /// or bipartite layer, deposits, mule inflows, wallets.
    pub size: Option<u64>,
    /// Hops of a cycle or a layering chain.
    pub hops: Option<u64>,
    /// Time the instance spans, in hours.
    pub span_hours: Option<i64>,
    /// Amount noise, as a share (0.1 = ±10%).
    pub noise: Option<f64>,
}

impl TrainingSpec {
    /// A named size: `tiny` (500 accounts, 5,000 transfers, 14 days, 2 of
    /// each typology), `small` (5,000 / 100,000 / 30 / 5), `medium`
    /// (50,000 / 1,000,000 / 30 / 20), `large` (500,000 / 10,000,000 / 60 /
    /// 50).
    pub fn preset(name: &str) -> Option<TrainingSpec> {
        let (accounts, transfers, days, per_typology) = match name {
            "tiny" => (500, 5_000, 14, 2),
            "small" => (5_000, 100_000, 30, 5),
            "medium" => (50_000, 1_000_000, 30, 20),
            "large" => (500_000, 10_000_000, 60, 50),
            _ => return None,
        };
        Some(TrainingSpec {
            accounts,
            transfers,
            days,
            seed: 1,
            difficulty: Difficulty::Normal,
            per_typology,
            format: OutputFormat::Transfers,
            parquet: false,
            plan: BTreeMap::new(),
        })
    }
}

/// Read a plan (per-typology settings, TOML) and check its typologies.
///
/// # Errors
///
/// When the text is not a plan, or names a typology the generator does
/// not plant.
pub fn plan_from_toml(text: &str) -> crate::Result<BTreeMap<String, TypologyPlan>> {
    let plan: BTreeMap<String, TypologyPlan> =
        toml::from_str(text).map_err(|e| crate::error::Error::invalid(e.to_string()))?;
    if let Some(name) = plan.keys().find(|n| Planted::from_name(n).is_none()) {
        return Err(crate::error::Error::invalid(format!(
            "unknown typology {name:?}"
        )));
    }
    Ok(plan)
}

struct Bank {
    name: &'static str,
    code: &'static str,
    jurisdiction: &'static str,
    currency: u8,
}

const BANKS: [Bank; 12] = [
    Bank {
        name: "Lakeside Credit",
        code: "0011",
        jurisdiction: "US",
        currency: 0,
    },
    Bank {
        name: "Northbank",
        code: "0024",
        jurisdiction: "GB",
        currency: 2,
    },
    Bank {
        name: "Rhein Bank",
        code: "0037",
        jurisdiction: "DE",
        currency: 1,
    },
    Bank {
        name: "Banque Azur",
        code: "0048",
        jurisdiction: "FR",
        currency: 1,
    },
    Bank {
        name: "Banco Sol",
        code: "0052",
        jurisdiction: "ES",
        currency: 1,
    },
    Bank {
        name: "Polder Bank",
        code: "0069",
        jurisdiction: "NL",
        currency: 1,
    },
    Bank {
        name: "Alpen Privatbank",
        code: "0073",
        jurisdiction: "CH",
        currency: 3,
    },
    Bank {
        name: "Gulf Trade Bank",
        code: "0085",
        jurisdiction: "SA",
        currency: 4,
    },
    Bank {
        name: "Maple Trust",
        code: "0096",
        jurisdiction: "CA",
        currency: 5,
    },
    Bank {
        name: "Southern Cross",
        code: "0104",
        jurisdiction: "AU",
        currency: 6,
    },
    Bank {
        name: "Sakura Bank",
        code: "0118",
        jurisdiction: "JP",
        currency: 7,
    },
    Bank {
        name: "Pearl River Bank",
        code: "0121",
        jurisdiction: "CN",
        currency: 8,
    },
];

/// Asset codes, AMLworld names, cents per unit (value of one unit in USD
/// cents), decimals, virtual.
const ASSETS: [(&str, &str, f64, u32); 11] = [
    ("USD", "US Dollar", 100.0, 2),
    ("EUR", "Euro", 108.0, 2),
    ("GBP", "UK Pound", 127.0, 2),
    ("CHF", "Swiss Franc", 112.0, 2),
    ("SAR", "Saudi Riyal", 26.7, 2),
    ("CAD", "Canadian Dollar", 74.0, 2),
    ("AUD", "Australian Dollar", 66.0, 2),
    ("JPY", "Yen", 0.68, 2),
    ("CNY", "Yuan", 13.9, 2),
    ("BTC", "Bitcoin", 6_500_000.0, 8),
    ("USDT", "Tether", 100.0, 2),
];
const BTC: u8 = 9;
const USDT: u8 = 10;

const CHANNELS: [(&str, &str); 6] = [
    ("ach", "ACH"),
    ("wire", "Wire"),
    ("credit_card", "Credit Card"),
    ("cash", "Cash"),
    ("cheque", "Cheque"),
    ("virtual_currency", "Bitcoin"),
];
const ACH: u8 = 0;
const WIRE: u8 = 1;
const CARD: u8 = 2;
const CASH: u8 = 3;
const VC: u8 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Person,
    Merchant,
    Business,
    Utility,
    Exchange,
    Wallet,
    Cash,
    Mule,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Person => "person",
            Role::Merchant => "merchant",
            Role::Business => "business",
            Role::Utility => "utility",
            Role::Exchange => "exchange",
            Role::Wallet => "wallet",
            Role::Cash => "cash",
            Role::Mule => "mule",
        }
    }

    fn kind(self) -> &'static str {
        match self {
            Role::Exchange => "exchange",
            Role::Wallet => "address",
            Role::Cash => "cash",
            _ => "bank",
        }
    }
}

/// The accounts of a generated world, by index.
struct World {
    roles: Vec<Role>,
    banks: Vec<u8>,
    keys: Vec<String>,
    persons: std::ops::Range<u32>,
    merchants: std::ops::Range<u32>,
    businesses: std::ops::Range<u32>,
    utilities: std::ops::Range<u32>,
    exchanges: std::ops::Range<u32>,
    wallets: std::ops::Range<u32>,
    cash: u32,
}

impl World {
    fn new(spec: &TrainingSpec) -> World {
        let n = spec.accounts.max(200) as u32;
        let persons = 0..n * 78 / 100;
        let merchants = persons.end..persons.end + n * 6 / 100;
        let businesses = merchants.end..merchants.end + n * 8 / 100;
        let utilities = businesses.end..businesses.end + 10;
        let exchanges = utilities.end..utilities.end + 3;
        let wallets = exchanges.end..n.max(exchanges.end + 20);
        let cash = wallets.end;
        let mut w = World {
            roles: Vec::new(),
            banks: Vec::new(),
            keys: Vec::new(),
            persons,
            merchants,
            businesses,
            utilities,
            exchanges,
            wallets,
            cash,
        };
        for i in 0..=cash {
            let role = w.role_of(i);
            w.push(role, spec.seed, i);
        }
        w
    }

    fn role_of(&self, i: u32) -> Role {
        if self.persons.contains(&i) {
            Role::Person
        } else if self.merchants.contains(&i) {
            Role::Merchant
        } else if self.businesses.contains(&i) {
            Role::Business
        } else if self.utilities.contains(&i) {
            Role::Utility
        } else if self.exchanges.contains(&i) {
            Role::Exchange
        } else if self.wallets.contains(&i) {
            Role::Wallet
        } else {
            Role::Cash
        }
    }

    /// The bank of honest account `i`: each role's range is cut into one
    /// block per bank, so neighbouring accounts bank in the same country
    /// (most payments are domestic).
    fn home_bank(&self, i: u32) -> Option<u8> {
        let range = [
            &self.persons,
            &self.merchants,
            &self.businesses,
            &self.utilities,
        ]
        .into_iter()
        .find(|r| r.contains(&i))?;
        let len = u64::from(range.end - range.start).max(1);
        Some((u64::from(i - range.start) * BANKS.len() as u64 / len) as u8)
    }

    /// An account of `range` at `bank` (heavy-tailed within the bank's block).
    fn local(&self, r: &mut Rng, range: &std::ops::Range<u32>, bank: u8) -> u32 {
        let len = u64::from(range.end - range.start).max(1);
        let banks = BANKS.len() as u64;
        let lo = u64::from(bank) * len / banks;
        let hi = ((u64::from(bank) + 1) * len / banks).max(lo + 1);
        range.start + (lo + r.skewed(hi - lo)) as u32
    }

    fn push(&mut self, role: Role, seed: u64, i: u32) -> u32 {
        let mut r = Rng::stream(seed ^ 0xACC0, u64::from(i));
        let random_bank = (r.below(BANKS.len() as u64)) as u8;
        let bank = if role == Role::Mule {
            random_bank
        } else {
            self.home_bank(i).unwrap_or(random_bank)
        };
        let key = match role {
            Role::Exchange => ["coinhub", "kryptobank", "bitharbor"][(i % 3) as usize].to_string(),
            Role::Wallet => format!("bc1q{:016x}{:06x}", r.next_u64(), i),
            Role::Cash => "CASH".to_string(),
            // the index makes every key unique; the random low bits make them look like account numbers
            _ => format!(
                "{}:{:09X}",
                BANKS[bank as usize].code,
                0x8_0000_0000u64 + u64::from(i) * 4096 + (r.next_u64() & 0xFFF)
            ),
        };
        self.roles.push(role);
        self.banks.push(bank);
        self.keys.push(key);
        (self.roles.len() - 1) as u32
    }

    fn currency(&self, a: u32) -> u8 {
        match self.roles[a as usize] {
            Role::Wallet => BTC,
            Role::Exchange | Role::Cash => 0,
            _ => BANKS[self.banks[a as usize] as usize].currency,
        }
    }

    fn pick(r: &mut Rng, range: &std::ops::Range<u32>) -> u32 {
        range.start + r.below(u64::from(range.end - range.start).max(1)) as u32
    }

    fn skewed(r: &mut Rng, range: &std::ops::Range<u32>) -> u32 {
        range.start + r.skewed(u64::from(range.end - range.start).max(1)) as u32
    }
}

/// One generated transfer.
#[derive(Debug, Clone)]
struct Gen {
    time: i64,
    from: u32,
    to: u32,
    amount: Decimal,
    asset: u8,
    received: Decimal,
    asset_received: u8,
    channel: u8,
    /// The planted instance it belongs to.
    attempt: Option<u32>,
}

fn money(usd_cents: f64, asset: u8) -> Decimal {
    let (_, _, cents_per_unit, dp) = ASSETS[asset as usize];
    let units = usd_cents / cents_per_unit;
    let scaled = (units * 10f64.powi(dp as i32)).round().max(1.0);
    Decimal::new(scaled as i64, dp)
}

fn convert(amount: Decimal, from: u8, to: u8) -> Decimal {
    if from == to {
        return amount;
    }
    let cents = rust_decimal::prelude::ToPrimitive::to_f64(&amount).unwrap_or(0.0)
        * ASSETS[from as usize].2;
    money(cents, to)
}

fn pay(time: i64, from: u32, to: u32, usd_cents: f64, world: &World, channel: u8) -> Gen {
    let asset = world.currency(from);
    let asset_received = world.currency(to);
    let amount = money(usd_cents, asset);
    Gen {
        time,
        from,
        to,
        amount,
        asset,
        received: convert(amount, asset, asset_received),
        asset_received,
        channel,
        attempt: None,
    }
}

/// Honest traffic of one day (its own random stream), in time order.
fn background_day(spec: &TrainingSpec, world: &World, day: u32, budget: usize) -> Vec<Gen> {
    let mut r = Rng::stream(spec.seed, u64::from(day) + 1);
    let start = start_us() + i64::from(day) * DAY;
    let mut rows: Vec<Gen> = Vec::with_capacity(budget);
    // salaries on the 25th: each employer pays its staff
    if day % 30 == 24 {
        let staff = (world.persons.len() as u32 / 5).max(1);
        for p in 0..staff.min(budget as u32 / 2) {
            let person = world.persons.start + p * 5 % world.persons.len() as u32;
            let employer = world.local(&mut r, &world.businesses, world.banks[person as usize]);
            let t = minute(&mut r, start, 8, 10);
            let cents = r.amount_cents(320_000.0, 0.3) as f64;
            rows.push(pay(t, employer, person, cents, world, ACH));
        }
    }
    // bills on the 1st to 5th
    if day % 30 < 5 {
        let payers = (world.persons.len() as u32 / 25).max(1);
        for k in 0..payers.min(budget as u32 / 4) {
            let person = world.persons.start + (k * 25 + day % 30 * 5) % world.persons.len() as u32;
            let utility = world.utilities.start + person % 10;
            let t = minute(&mut r, start, 6, 9);
            let cents = r.amount_cents(9_500.0, 0.3) as f64;
            rows.push(pay(t, person, utility, cents, world, ACH));
        }
    }
    while rows.len() < budget {
        let kind = r.below(100);
        let row = honest_transfer(&mut r, world, start, kind);
        if row.from != row.to || world.roles[row.from as usize] == Role::Exchange {
            rows.push(row);
        } else {
            // keep the budget exact without self-transfers
            let mut row = row;
            row.to = if row.to + 1 < world.wallets.end {
                row.to + 1
            } else {
                world.persons.start
            };
            rows.push(row);
        }
    }
    rows.truncate(budget);
    rows
}

/// A time of day `start`'s day between hours `lo` and `hi`.
fn minute(r: &mut Rng, start: i64, lo: i64, hi: i64) -> i64 {
    start + r.range(lo * 60, hi * 60 - 1) * MINUTE
}

/// One honest transfer of kind `kind` (0–99: how common each is).
fn honest_transfer(r: &mut Rng, world: &World, start: i64, kind: u64) -> Gen {
    match kind {
        // purchases: heavy-tailed shoppers, Zipf-popular merchants
        0..=51 => {
            let person = World::skewed(r, &world.persons);
            let merchant = if r.chance(0.85) {
                world.local(r, &world.merchants, world.banks[person as usize])
            } else {
                World::skewed(r, &world.merchants)
            };
            let channel = if r.chance(0.7) { CARD } else { ACH };
            let cents = r.amount_cents(6_000.0, 1.0) as f64;
            pay(
                minute(r, start, 7, 23),
                person,
                merchant,
                cents,
                world,
                channel,
            )
        }
        // businesses pay their usual suppliers
        52..=63 => {
            let b = World::skewed(r, &world.businesses);
            // eight usual suppliers, most of them at home
            let k = r.below(8) as u32;
            let supplier = if k < 6 {
                let block = world.local(r, &world.businesses, world.banks[b as usize]);
                let len = world.businesses.len() as u32;
                world.businesses.start + (block - world.businesses.start + k * 3) % len
            } else {
                world.businesses.start + (b * 7 + k * 13) % world.businesses.len() as u32
            };
            let cents = r.amount_cents(400_000.0, 0.9) as f64;
            pay(minute(r, start, 9, 17), b, supplier, cents, world, WIRE)
        }
        // friends and family
        64..=78 => {
            let p = World::skewed(r, &world.persons);
            let friend =
                world.persons.start + (p + 1 + r.below(40) as u32) % world.persons.len() as u32;
            let cents = r.amount_cents(15_000.0, 1.0) as f64;
            pay(minute(r, start, 8, 23), p, friend, cents, world, ACH)
        }
        // merchants bank their takings, pay rent
        79..=83 => {
            let m = World::pick(r, &world.merchants);
            let b = world.local(r, &world.businesses, world.banks[m as usize]);
            let cents = r.amount_cents(250_000.0, 0.8) as f64;
            pay(minute(r, start, 9, 17), m, b, cents, world, WIRE)
        }
        // cash deposits, a few honestly just under 10,000
        84..=88 => {
            let p = World::pick(r, &world.persons);
            let asset = world.currency(p);
            let amount = if r.chance(0.02) {
                Decimal::new(r.range(900_000, 999_999), 2)
            } else {
                money(r.amount_cents(50_000.0, 0.9) as f64, asset)
            };
            Gen {
                time: minute(r, start, 9, 17),
                from: world.cash,
                to: p,
                amount,
                asset,
                received: amount,
                asset_received: asset,
                channel: CASH,
                attempt: None,
            }
        }
        // on-ramps: a person pays an exchange
        89..=92 => {
            let p = World::skewed(r, &world.persons);
            let x = World::pick(r, &world.exchanges);
            let cents = r.amount_cents(90_000.0, 0.8) as f64;
            let mut g = pay(minute(r, start, 8, 22), p, x, cents, world, WIRE);
            g.asset_received = g.asset;
            g.received = g.amount;
            g
        }
        // exchanges pay out bitcoin to wallets, or fiat to customers, or
        // trade their treasury (the conversions that price crypto)
        93..=96 => exchange_transfer(r, world, start),
        // wallets trade, or sell back to an exchange
        _ => {
            let w = World::skewed(r, &world.wallets);
            let to = if r.chance(0.3) {
                World::pick(r, &world.exchanges)
            } else {
                World::pick(r, &world.wallets)
            };
            let amount = money(r.amount_cents(40_000.0, 1.2) as f64, BTC);
            Gen {
                time: minute(r, start, 0, 24),
                from: w,
                to,
                amount,
                asset: BTC,
                received: amount,
                asset_received: BTC,
                channel: VC,
                attempt: None,
            }
        }
    }
}

/// An exchange's transfer: bitcoin to a wallet, fiat to a customer, or a
/// trade of its own treasury (the conversions that price crypto).
fn exchange_transfer(r: &mut Rng, world: &World, start: i64) -> Gen {
    let x = World::pick(r, &world.exchanges);
    let cents = r.amount_cents(80_000.0, 0.8) as f64;
    if r.chance(0.1) {
        let (asset, asset_received) = match r.below(3) {
            0 => (0, BTC),
            1 => (BTC, 0),
            _ => (0, USDT),
        };
        let amount = money(cents, asset);
        Gen {
            time: minute(r, start, 0, 24),
            from: x,
            to: x,
            amount,
            asset,
            received: money(cents, asset_received),
            asset_received,
            channel: VC,
            attempt: None,
        }
    } else if r.chance(0.6) {
        let w = World::skewed(r, &world.wallets);
        let amount = money(cents, BTC);
        Gen {
            time: minute(r, start, 0, 24),
            from: x,
            to: w,
            amount,
            asset: BTC,
            received: amount,
            asset_received: BTC,
            channel: VC,
            attempt: None,
        }
    } else {
        let p = World::skewed(r, &world.persons);
        let asset = world.currency(p);
        let amount = money(cents, asset);
        Gen {
            time: minute(r, start, 8, 20),
            from: x,
            to: p,
            amount,
            asset,
            received: amount,
            asset_received: asset,
            channel: WIRE,
            attempt: None,
        }
    }
}

fn start_us() -> i64 {
    time::parse_rfc3339("2024-01-01T00:00:00Z").unwrap_or(0)
}

/// A planted instance before its rows are numbered.
#[derive(Debug, Clone)]
struct Plant {
    typology: &'static str,
    accounts: Vec<u32>,
    parameters: BTreeMap<String, serde_json::Value>,
    description: String,
}

/// What a difficulty does to an instance.
struct Knobs {
    span_hours: i64,
    noise: f64,
    size: (u64, u64),
    hops: (u64, u64),
    camouflage: bool,
}

fn knobs(d: Difficulty) -> Knobs {
    match d {
        Difficulty::Easy => Knobs {
            span_hours: 30,
            noise: 0.0,
            size: (8, 14),
            hops: (4, 6),
            camouflage: false,
        },
        Difficulty::Normal => Knobs {
            span_hours: 90,
            noise: 0.05,
            size: (6, 12),
            hops: (3, 8),
            camouflage: false,
        },
        Difficulty::Hard => Knobs {
            span_hours: 230,
            noise: 0.15,
            size: (4, 8),
            hops: (3, 10),
            camouflage: true,
        },
    }
}

/// Plant every instance: new mule accounts are added to the world.
fn plant_all(spec: &TrainingSpec, world: &mut World) -> (Vec<Plant>, Vec<Gen>) {
    let mut plants = Vec::new();
    let mut rows = Vec::new();
    for (ti, planted) in Planted::ALL.into_iter().enumerate() {
        let mut k = knobs(spec.difficulty);
        let plan = spec.plan.get(planted.name()).cloned().unwrap_or_default();
        if let Some(size) = plan.size {
            k.size = (size.max(2), size.max(2));
        }
        if let Some(hops) = plan.hops {
            k.hops = (hops.max(2), hops.max(2));
        }
        if let Some(span) = plan.span_hours {
            k.span_hours = span.max(1);
        }
        if let Some(noise) = plan.noise {
            k.noise = noise.clamp(0.0, 0.9);
        }
        let last_start = (i64::from(spec.days) * DAY - k.span_hours * HOUR - DAY).max(HOUR);
        for n in 0..plan.count.unwrap_or(spec.per_typology) {
            let id = plants.len() as u32;
            let mut r = Rng::stream(spec.seed ^ 0x9_1A47, (ti * 100_000 + n) as u64);
            let t0 = start_us() + r.range(HOUR, last_start);
            let mut ctx = PlantCtx {
                r,
                world: &mut *world,
                rows: Vec::new(),
                accounts: Vec::new(),
                knobs: &k,
                seed: spec.seed,
                id,
                route: (0.0, 1),
            };
            let (parameters, description) = ctx.plant(planted, t0);
            for row in &mut ctx.rows {
                row.attempt = Some(id);
            }
            let PlantCtx {
                rows: planted_rows,
                accounts,
                ..
            } = ctx;
            rows.extend(planted_rows);
            plants.push(Plant {
                typology: planted.name(),
                accounts,
                parameters,
                description,
            });
        }
    }
    (plants, rows)
}

struct PlantCtx<'w> {
    r: Rng,
    world: &'w mut World,
    rows: Vec<Gen>,
    accounts: Vec<u32>,
    knobs: &'w Knobs,
    seed: u64,
    id: u32,
    /// A virtual-currency route's amount (US cents) and layer wallets.
    route: (f64, usize),
}

impl PlantCtx<'_> {
    /// A participant: a fresh mule, or (hard) sometimes an honest person.
    fn party(&mut self) -> u32 {
        let honest = World::pick(&mut self.r, &self.world.persons);
        // an instance never uses the same account twice
        let a = if self.knobs.camouflage && self.r.chance(0.5) && !self.accounts.contains(&honest) {
            honest
        } else {
            let i = self.world.roles.len() as u32;
            self.world
                .push(Role::Mule, self.seed ^ u64::from(self.id) << 20, i)
        };
        if !self.accounts.contains(&a) {
            self.accounts.push(a);
        }
        a
    }

    fn wallet(&mut self) -> u32 {
        let i = self.world.roles.len() as u32;
        let a = self
            .world
            .push(Role::Wallet, self.seed ^ u64::from(self.id) << 20, i);
        self.accounts.push(a);
        a
    }

    fn noisy(&mut self, usd_cents: f64) -> f64 {
        let n = self.knobs.noise;
        usd_cents * (1.0 + n * (2.0 * self.r.unit() - 1.0))
    }

    fn size_count(&self, fit: fn(usize) -> usize) -> Count {
        Count::Drawn {
            lo: self.knobs.size.0 as i64,
            hi: self.knobs.size.1 as i64,
            fit,
        }
    }

    fn hops_count(&self) -> Count {
        Count::drawn(self.knobs.hops.0, self.knobs.hops.1)
    }

    /// Plant one instance of `typology` from `t0`: its parameters for the
    /// answer key, and its description.
    ///
    /// Long on purpose: one match arm per typology, each a planter with the
    /// difficulty's knobs and the answer key's parameters; the arms are a
    /// table read side by side, not steps of one procedure.
    fn plant(
        &mut self,
        planted: Planted,
        t0: i64,
    ) -> (BTreeMap<String, serde_json::Value>, String) {
        use Typology as T;
        let span = self.knobs.span_hours;
        let span_us = span * HOUR;
        let mut p: BTreeMap<String, serde_json::Value> = BTreeMap::new();
        p.insert("span_hours".into(), span.into());
        p.insert("amount_noise".into(), self.knobs.noise.into());
        let description = match planted {
            Planted::Typology(typology @ (T::FanOut | T::FanIn)) => {
                let (direction, channel) = if typology == T::FanOut {
                    (Direction::Out, Chan::Wire)
                } else {
                    (Direction::In, Chan::Ach)
                };
                let fan = Fan {
                    direction,
                    counterparties: self.size_count(|n| n),
                    start: t0,
                    span: span_us,
                    base: 500_000.0,
                    spread: 0.0,
                    channel,
                };
                let k = fan.plant(self);
                p.insert("counterparties".into(), k.into());
                format!(
                    "{} with {k} counterparties within {span} hours",
                    typology.name().replace('_', "-")
                )
            }
            Planted::Typology(T::Cycle) => {
                let cycle = Cycle {
                    hops: self.hops_count(),
                    start: t0,
                    span: span_us,
                    jitter: Some(Minutes(0, 30)),
                    base: 3_000_000.0,
                    noisy: true,
                    keep_per_mille: 990,
                    channel: Chan::Wire,
                };
                let hops = cycle.plant(self);
                p.insert("hops".into(), hops.into());
                format!("{hops}-hop round trip within {span} hours, 1% kept per hop")
            }
            Planted::Typology(T::ScatterGather) => {
                let k = ScatterGather {
                    width: self.size_count(|n| n.min(8)),
                    start: t0,
                    span: span_us / 2,
                    gather_after: span_us / 2,
                    base: 800_000.0,
                    spread: 0.0,
                    keep_per_mille: 970,
                    channel: Chan::Ach,
                }
                .plant(self);
                p.insert("width".into(), k.into());
                format!("a source pays {k} intermediaries, each pays one sink, within {span} hours")
            }
            Planted::Typology(T::GatherScatter) => {
                let k = GatherScatter {
                    width: self.size_count(|n| n.min(8)),
                    gather: Side {
                        start: t0,
                        span: span_us / 2,
                        base: 600_000.0,
                    },
                    scatter: Side {
                        start: t0 + span_us / 2,
                        span: span_us / 2,
                        base: 580_000.0,
                    },
                    spread: 0.0,
                    channel: Chan::Ach,
                }
                .plant(self);
                p.insert("width".into(), k.into());
                format!("{k} sources pay a hub, which pays {k} sinks, within {span} hours")
            }
            Planted::Typology(typology @ (T::Bipartite | T::Stack)) => {
                let layers = if typology == T::Stack { 3 } else { 2 };
                let w = Layers {
                    layers,
                    width: self.size_count(|n| (n / 2).clamp(3, 5)),
                    start: t0,
                    span: span_us,
                    base: 300_000.0,
                    spread: 0.0,
                    channel: Chan::Ach,
                }
                .plant(self);
                p.insert("width".into(), w.into());
                p.insert("layers".into(), layers.into());
                format!("{layers} layers of {w} accounts, each paying every account of the next, within {span} hours")
            }
            Planted::Typology(T::LayeringChain) => {
                let (hops, dwell) = Chain {
                    hops: self.hops_count(),
                    start: t0,
                    dwell: Dwell::SpreadOver {
                        lo: 20,
                        span_hours: span,
                    },
                    base: 9_000_000.0,
                    noisy: true,
                    keep_per_mille: 985,
                    channel: Chan::Wire,
                }
                .plant(self);
                p.insert("hops".into(), hops.into());
                p.insert("fee_per_hop".into(), 0.015.into());
                p.insert("max_dwell_hours".into(), dwell.into());
                format!("{hops}-hop chain, 1.5% fee per hop, forwarded within {dwell} hours")
            }
            Planted::Typology(T::Structuring) => {
                let k = Structuring {
                    deposits: self.size_count(|n| n.clamp(4, 10)),
                    start: t0,
                    step: 0,
                    jitter: Minutes(0, (span * 60).max(1)),
                    cents: (910_000, 999_000),
                }
                .plant(self);
                p.insert("deposits".into(), k.into());
                let asset = self.world.currency(self.accounts[0]);
                format!(
                    "{k} cash deposits of 9,100–9,990 {} within {span} hours",
                    ASSETS[asset as usize].0
                )
            }
            Planted::Typology(T::PassThrough) => {
                let k = PassThrough {
                    inflows: self.size_count(|n| n.clamp(3, 8)),
                    start: t0,
                    span: span_us,
                    delay: Minutes(30, 300),
                    base: 250_000.0,
                    spread: 0.0,
                    keep_per_mille: 970,
                    channel_in: Chan::Ach,
                    channel_out: Chan::Wire,
                }
                .plant(self, |c, _| {
                    let victim = World::pick(&mut c.r, &c.world.persons);
                    c.accounts.push(victim);
                    victim
                });
                p.insert("inflows".into(), k.into());
                format!("a mule forwards 97% of {k} payments within 5 hours each")
            }
            Planted::VirtualCurrencyLayering
            | Planted::Typology(T::OnOffRamp | T::ChainHopping) => {
                let k = VcLayering {
                    wallets: self.size_count(|n| n.clamp(3, 5)),
                    start: t0,
                    base: 12_000_000.0,
                    to_first_wallet: Delay::Minutes(20, 90),
                    per_layer: Delay::Minutes(10, 60),
                    mixing: Mixing::InTurn(Delay::Minutes(30, 180)),
                    to_swap: Delay::Hours(2, 10),
                    to_exit: Delay::Hours(1, 6),
                    cash_out: Delay::Hours(2, 20),
                }
                .plant(self);
                p.insert("wallets".into(), k.into());
                format!("fiat to an exchange, out as bitcoin through {k} wallets and a mixer, swapped to USDT, cashed out through another exchange")
            }
        };
        (p, description)
    }
}

impl Canvas for PlantCtx<'_> {
    type Money = f64;

    fn rng(&mut self) -> &mut Rng {
        &mut self.r
    }

    fn party(&mut self) -> u32 {
        PlantCtx::party(self)
    }

    fn amount(&mut self, base: f64, _spread: f64) -> f64 {
        self.noisy(base)
    }

    fn fixed(&self, base: f64) -> f64 {
        base
    }

    fn keep(&self, money: f64, per_mille: i64) -> f64 {
        money * (per_mille as f64 / 1000.0)
    }

    fn send(&mut self, time: i64, from: u32, to: u32, usd_cents: f64, channel: Chan) {
        let channel = match channel {
            Chan::Ach => ACH,
            Chan::Wire => WIRE,
        };
        self.rows
            .push(pay(time, from, to, usd_cents, self.world, channel));
    }

    fn deposit(&mut self, time: i64, to: u32, amount: Decimal) {
        let cash = self.world.cash;
        if !self.accounts.contains(&cash) {
            self.accounts.push(cash);
        }
        let asset = self.world.currency(to);
        self.push(time, cash, to, (amount, asset), (amount, asset), CASH);
    }
}

impl VcCanvas for PlantCtx<'_> {
    fn exchanges(&mut self) -> (u32, u32) {
        let entry = World::pick(&mut self.r, &self.world.exchanges);
        let exit = self.world.exchanges.start + (entry - self.world.exchanges.start + 1) % 3;
        self.accounts.extend([entry, exit]);
        (entry, exit)
    }

    fn wallet(&mut self) -> u32 {
        PlantCtx::wallet(self)
    }

    fn price(&mut self, base: f64, wallets: usize) {
        self.route = (self.noisy(base), wallets);
    }

    fn leg(&mut self, time: i64, from: u32, to: u32, leg: Leg) {
        let (cents, k) = self.route;
        let coins = |share: f64| (money(cents * share, BTC), BTC);
        let (paid, received, channel) = match leg {
            Leg::OnRamp => {
                let fiat = self.world.currency(from);
                ((money(cents, fiat), fiat), coins(1.0), WIRE)
            }
            Leg::Coins => (coins(1.0), coins(1.0), VC),
            Leg::Layer | Leg::ToMixer => {
                let part = (money(cents / k as f64, BTC), BTC);
                (part, part, VC)
            }
            Leg::Swap => (coins(0.97), (money(cents * 0.97, USDT), USDT), VC),
            Leg::ToExit => {
                let usdt = (money(cents * 0.97, USDT), USDT);
                (usdt, usdt, VC)
            }
            Leg::CashOut => {
                let fiat = self.world.currency(to);
                (
                    (money(cents * 0.96, USDT), USDT),
                    (money(cents * 0.96, fiat), fiat),
                    WIRE,
                )
            }
        };
        self.push(time, from, to, paid, received, channel);
    }
}

impl PlantCtx<'_> {
    /// A transfer with its amounts and assets as given.
    fn push(
        &mut self,
        time: i64,
        from: u32,
        to: u32,
        paid: (Decimal, u8),
        received: (Decimal, u8),
        channel: u8,
    ) {
        self.rows.push(Gen {
            time,
            from,
            to,
            amount: paid.0,
            asset: paid.1,
            received: received.0,
            asset_received: received.1,
            channel,
            attempt: None,
        });
    }
}

/// One laundering instance in the answer key.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attempt {
    /// `P0001`…
    pub id: String,
    /// Typology (snake_case).
    pub typology: String,
    /// Account keys.
    pub accounts: Vec<String>,
    /// 0-based data rows of `transactions.csv`.
    pub rows: Vec<u32>,
    /// The knobs it was planted with.
    pub parameters: BTreeMap<String, serde_json::Value>,
    /// In words.
    pub description: String,
}

/// What [`generate`] wrote.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Generated {
    /// Data rows of `transactions.csv`.
    pub rows: u64,
    /// Accounts in `accounts.csv`.
    pub accounts: usize,
    /// The answer key's attempts.
    pub attempts: Vec<Attempt>,
}

fn bank_and_account(world: &World, a: u32) -> (&str, &str) {
    let key = world.keys[a as usize].as_str();
    match world.roles[a as usize] {
        Role::Exchange | Role::Wallet | Role::Cash => ("0900", key),
        _ => key.split_once(':').unwrap_or(("0000", key)),
    }
}

fn write_row(out: &mut String, world: &World, g: &Gen, row: u64, format: OutputFormat, seed: u64) {
    let label = u8::from(g.attempt.is_some());
    match format {
        OutputFormat::AmlWorld => {
            let stamp = time::to_datetime(g.time).format("%Y/%m/%d %H:%M");
            let (fb, fa) = bank_and_account(world, g.from);
            let (tb, ta) = bank_and_account(world, g.to);
            let _ = writeln!(
                out,
                "{stamp},{fb},{fa},{tb},{ta},{},{},{},{},{},{label}",
                g.received,
                ASSETS[g.asset_received as usize].1,
                g.amount,
                ASSETS[g.asset as usize].1,
                CHANNELS[g.channel as usize].1,
            );
        }
        OutputFormat::Transfers => {
            let (f, t) = (g.from as usize, g.to as usize);
            let inst = |a: usize| match world.roles[a] {
                Role::Exchange => world.keys[a].as_str(),
                Role::Wallet | Role::Cash => "",
                _ => BANKS[world.banks[a] as usize].name,
            };
            let jur = |a: usize| match world.roles[a] {
                Role::Exchange => ["MT", "LI", "SC"][a % 3],
                Role::Wallet | Role::Cash => "",
                _ => BANKS[world.banks[a] as usize].jurisdiction,
            };
            let on_chain = g.channel == VC
                && (world.roles[f] == Role::Wallet || world.roles[t] == Role::Wallet);
            let (chain, hash) = if on_chain {
                let chain = if g.asset == USDT { "tron" } else { "bitcoin" };
                let mut r = Rng::stream(seed ^ 0x4A54, row);
                (chain, format!("{:016x}{:016x}", r.next_u64(), r.next_u64()))
            } else {
                ("", String::new())
            };
            let _ = writeln!(
                out,
                "T{:08},{},{},{},{},{},{},{},{},{},{},{},{},{chain},{hash},{label},{},{}",
                row + 1,
                time::to_rfc3339(g.time),
                world.keys[f],
                world.keys[t],
                g.amount,
                ASSETS[g.asset as usize].0,
                g.received,
                ASSETS[g.asset_received as usize].0,
                CHANNELS[g.channel as usize].0,
                inst(f),
                inst(t),
                jur(f),
                jur(t),
                world.roles[f].kind(),
                world.roles[t].kind(),
            );
        }
    }
}

/// A CSV text as a Parquet file (columns typed by polars' inference).
fn write_parquet_twin(csv: &str, path: &Path) -> io::Result<()> {
    use polars::prelude::*;
    let to_io = |e: PolarsError| io::Error::other(format!("{}: {e}", path.display()));
    let mut df = CsvReadOptions::default()
        .into_reader_with_file_handle(io::Cursor::new(csv.as_bytes()))
        .finish()
        .map_err(to_io)?;
    let file = std::fs::File::create(path)?;
    ParquetWriter::new(io::BufWriter::new(file))
        .finish(&mut df)
        .map_err(to_io)?;
    Ok(())
}

/// Generate a training set into `dir`: `transactions.csv` (or, with
/// `parquet`, `transactions.parquet` and `accounts.parquet` beside
/// `accounts.csv`), `accounts.csv`, `truth.json` and `patterns.txt`.
///
/// # Errors
///
/// When a file cannot be written.
pub fn generate(spec: &TrainingSpec, dir: &Path) -> io::Result<Generated> {
    std::fs::create_dir_all(dir)?;
    let mut world = World::new(spec);
    let (plants, mut planted) = plant_all(spec, &mut world);
    planted.sort_by_key(|g| (g.time, g.attempt));
    let mut sink = Sink::open(spec, dir)?;
    let (rows, mut attempt_rows) = write_days(spec, &world, &planted, plants.len(), &mut sink)?;
    sink.finish()?;
    write_accounts(spec, dir, &world, &plants)?;
    let attempts: Vec<Attempt> = plants
        .into_iter()
        .enumerate()
        .map(|(i, p)| Attempt {
            id: format!("P{:04}", i + 1),
            typology: p.typology.to_string(),
            accounts: p
                .accounts
                .iter()
                .map(|&a| world.keys[a as usize].clone())
                .collect(),
            rows: std::mem::take(&mut attempt_rows[i]),
            parameters: p.parameters,
            description: p.description,
        })
        .collect();
    let truth = serde_json::json!({
        "generator": "moneytrail generate",
        "spec": spec,
        "file": "transactions.csv",
        "rows": rows,
        "attempts": attempts,
    });
    std::fs::write(
        dir.join("truth.json"),
        serde_json::to_string_pretty(&truth).unwrap_or_default() + "\n",
    )?;
    write_patterns(dir, spec, &world, &planted, &attempts)?;
    Ok(Generated {
        rows,
        accounts: world.keys.len(),
        attempts,
    })
}

/// Write the days in order (honest traffic made in parallel, a few days at
/// a time, the planted rows merged in by time); returns the rows written
/// and each attempt's rows.
fn write_days(
    spec: &TrainingSpec,
    world: &World,
    planted: &[Gen],
    attempts: usize,
    sink: &mut Sink,
) -> io::Result<(u64, Vec<Vec<u32>>)> {
    let days = spec.days.max(1);
    let per_day = spec.transfers / days as usize;
    let extra = spec.transfers % days as usize;
    let mut attempt_rows: Vec<Vec<u32>> = vec![Vec::new(); attempts];
    let mut next_planted = 0;
    let mut row: u64 = 0;
    let group = (rayon::current_num_threads() * 2).max(2) as u32;
    let day_start = |d: u32| start_us() + i64::from(d) * DAY;
    let mut first = 0;
    while first < days {
        let last = (first + group).min(days);
        let blocks: Vec<Vec<Gen>> = (first..last)
            .into_par_iter()
            .map(|d| {
                let mut rows =
                    background_day(spec, world, d, per_day + usize::from((d as usize) < extra));
                rows.sort_by_key(|g| g.time);
                rows
            })
            .collect();
        for (d, mut rows) in (first..last).zip(blocks) {
            // planted rows of this day (the last day takes any later ones)
            let end = if d + 1 == days {
                i64::MAX
            } else {
                day_start(d + 1)
            };
            while next_planted < planted.len() && planted[next_planted].time < end {
                rows.push(planted[next_planted].clone());
                next_planted += 1;
            }
            rows.sort_by_key(|g| g.time);
            let mut text = String::with_capacity(rows.len() * 180);
            for g in &rows {
                if let Some(a) = g.attempt {
                    attempt_rows[a as usize].push(row as u32);
                }
                write_row(&mut text, world, g, row, spec.format, spec.seed);
                row += 1;
            }
            sink.write(&text)?;
        }
        first = last;
    }
    Ok((row, attempt_rows))
}

/// `accounts.csv` (and its Parquet twin): every account, its role, and
/// whether it takes part in a planted instance.
fn write_accounts(
    spec: &TrainingSpec,
    dir: &Path,
    world: &World,
    plants: &[Plant],
) -> io::Result<()> {
    let laundering: std::collections::HashSet<u32> = plants
        .iter()
        .flat_map(|p| p.accounts.iter().copied())
        .collect();
    let mut text = String::from("account,institution,jurisdiction,kind,role,laundering\n");
    for (i, key) in world.keys.iter().enumerate() {
        let role = world.roles[i];
        let (inst, jur) = match role {
            Role::Wallet | Role::Cash | Role::Exchange => ("", ""),
            _ => (
                BANKS[world.banks[i] as usize].name,
                BANKS[world.banks[i] as usize].jurisdiction,
            ),
        };
        let flagged =
            laundering.contains(&(i as u32)) && !matches!(role, Role::Cash | Role::Exchange);
        let _ = writeln!(
            text,
            "{key},{inst},{jur},{},{},{}",
            role.kind(),
            role.name(),
            u8::from(flagged)
        );
    }
    std::fs::write(dir.join("accounts.csv"), &text)?;
    if spec.parquet {
        write_parquet_twin(&text, &dir.join("accounts.parquet"))?;
    }

    Ok(())
}

/// Where the day blocks go: CSV text, or Parquet row groups (the same
/// fields as text columns, `label` as an integer).
enum Sink {
    Csv(io::BufWriter<std::fs::File>),
    Parquet(Box<ParquetSink>),
}

struct ParquetSink {
    writer: polars::io::parquet::write::BatchedWriter<std::fs::File>,
}

fn polars_io(e: polars::prelude::PolarsError) -> io::Error {
    io::Error::other(e.to_string())
}

impl ParquetSink {
    fn new(path: &Path) -> io::Result<ParquetSink> {
        use polars::prelude::*;
        let schema: Schema = crate::ingest::layouts::TRANSFERS
            .iter()
            .map(|c| c.name)
            .map(|name| {
                let dtype = if name == "label" {
                    DataType::Int32
                } else {
                    DataType::String
                };
                Field::new(name.into(), dtype)
            })
            .collect();
        let file = std::fs::File::create(path)?;
        let writer = ParquetWriter::new(file)
            .batched(&schema)
            .map_err(polars_io)?;
        Ok(ParquetSink { writer })
    }

    /// Write one day block given as transfers-layout CSV lines (no field
    /// the generator writes contains a comma).
    fn write(&mut self, text: &str) -> io::Result<()> {
        use polars::prelude::*;
        let names: Vec<&str> = crate::ingest::layouts::TRANSFERS
            .iter()
            .map(|c| c.name)
            .collect();
        let mut cols: Vec<Vec<&str>> = vec![Vec::new(); names.len()];
        for line in text.lines() {
            for (c, field) in cols.iter_mut().zip(line.split(',')) {
                c.push(field);
            }
        }
        let height = cols[0].len();
        let columns: Vec<Column> = names
            .iter()
            .zip(&cols)
            .map(|(name, values)| {
                if *name == "label" {
                    let ints: Vec<i32> = values.iter().map(|v| v.parse().unwrap_or(0)).collect();
                    Column::new((*name).into(), ints)
                } else {
                    let texts: Vec<Option<&str>> = values
                        .iter()
                        .map(|v| (!v.is_empty()).then_some(*v))
                        .collect();
                    Column::new((*name).into(), texts)
                }
            })
            .collect();
        let df = DataFrame::new(height, columns).map_err(polars_io)?;
        self.writer.write_batch(&df).map_err(polars_io)
    }
}

impl Sink {
    /// The sink for `transactions.csv` (with its header) or
    /// `transactions.parquet`.
    fn open(spec: &TrainingSpec, dir: &Path) -> io::Result<Sink> {
        Ok(if spec.parquet {
            if spec.format != OutputFormat::Transfers {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "Parquet output is for the transfers layout",
                ));
            }
            Sink::Parquet(Box::new(ParquetSink::new(
                &dir.join("transactions.parquet"),
            )?))
        } else {
            let file = std::fs::File::create(dir.join("transactions.csv"))?;
            let mut out = io::BufWriter::with_capacity(1 << 20, file);
            let layout = match spec.format {
                OutputFormat::Transfers => Layout::TransfersCsv,
                OutputFormat::AmlWorld => Layout::AmlWorld,
            };
            writeln!(out, "{}", layout.header())?;
            Sink::Csv(out)
        })
    }

    fn write(&mut self, text: &str) -> io::Result<()> {
        match self {
            Sink::Csv(out) => out.write_all(text.as_bytes()),
            Sink::Parquet(p) => p.write(text),
        }
    }

    fn finish(self) -> io::Result<()> {
        match self {
            Sink::Csv(mut out) => out.flush(),
            Sink::Parquet(p) => p.writer.finish().map(|_| ()).map_err(polars_io),
        }
    }
}

/// `patterns.txt` in the AMLworld style: one block per attempt, its rows
/// in the AMLworld layout (the very lines of `transactions.csv` when that
/// is written in the AMLworld layout).
fn write_patterns(
    dir: &Path,
    spec: &TrainingSpec,
    world: &World,
    planted: &[Gen],
    attempts: &[Attempt],
) -> io::Result<()> {
    let mut by_attempt: Vec<Vec<&Gen>> = vec![Vec::new(); attempts.len()];
    for g in planted {
        if let Some(a) = g.attempt {
            by_attempt[a as usize].push(g);
        }
    }
    let mut text = String::new();
    for (a, rows) in attempts.iter().zip(by_attempt) {
        let name = a.typology.to_ascii_uppercase().replace('_', "-");
        let _ = writeln!(text, "BEGIN LAUNDERING ATTEMPT - {name}: {}", a.description);
        for g in rows {
            write_row(&mut text, world, g, 0, OutputFormat::AmlWorld, spec.seed);
        }
        let _ = writeln!(text, "END LAUNDERING ATTEMPT - {name}\n");
    }
    std::fs::write(dir.join("patterns.txt"), text)
}
