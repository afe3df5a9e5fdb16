//! The sample shipped in `data/`: honest bank and virtual-currency traffic
//! over a month, and ten planted laundering instances with their answer key.

use super::plant::{
    Canvas, Chain, Chan, Count, Cycle, Delay, Dwell, Fan, GatherScatter, Layers, Leg, Minutes,
    Mixing, PassThrough, Planted, ScatterGather, Side, Structuring, VcCanvas, VcLayering,
};
use super::Rng;
use crate::detect::{Direction, Typology};
use crate::ingest::Layout;
use crate::time::{self, DAY, HOUR, MINUTE};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::VecDeque;
use std::fmt::Write as _;

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
    let cast = cast(&mut b, seed);
    bank_traffic(&mut b, &cast);
    crypto_traffic(&mut b, &cast);
    plant_laundering(&mut b, &cast);
    finish_sample(b)
}

/// The sample's accounts: 240 persons and 40 businesses at 4 banks, the
/// cash counterparty, 2 exchanges and 40 wallets.
fn cast(b: &mut SampleBuilder, seed: u64) -> Cast {
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
    let cash = b.party("CASH".to_string(), "", "", "cash");
    let coinhub = b.party("coinhub".to_string(), "CoinHub", "MT", "exchange");
    let kryptobank = b.party("kryptobank".to_string(), "KryptoBank", "LI", "exchange");
    let mut wallets = Vec::new();
    for i in 0..40u64 {
        let tag = Rng::new(seed ^ (i + 1)).next_u64();
        wallets.push(b.party(format!("bc1q{tag:016x}{i:02}"), "", "", "address"));
    }
    Cast {
        persons,
        businesses,
        wallets,
        cash,
        coinhub,
        kryptobank,
    }
}

/// A bank account's home currency, by its jurisdiction.
fn home_currency(p: usize, parties: &[Party]) -> &'static str {
    match parties[p].jurisdiction.as_str() {
        "GB" => "GBP",
        "US" => "USD",
        _ => "EUR",
    }
}

/// Honest bank traffic: salaries, purchases, bills, suppliers, cash.
fn bank_traffic(b: &mut SampleBuilder, cast: &Cast) {
    // honest salaries: 12 employers pay 8 staff each on the 25th
    for (e, &employer) in cast.businesses.iter().take(12).enumerate() {
        let currency = home_currency(employer, &b.parties);
        for k in 0..8 {
            let staff = cast.persons[(e * 8 + k) % cast.persons.len()];
            let t = b.at(24, 8, 10);
            let amount = b.cents(3_200.0, 0.3);
            b.pay(t, employer, staff, amount, currency, "ach");
        }
    }
    // honest purchases: persons pay merchants (businesses 12..40), heavy-tailed
    for _ in 0..2_200 {
        let payer = cast.persons[b.rng.skewed(cast.persons.len() as u64) as usize];
        let mut merchant = cast.businesses[12 + b.rng.below(28) as usize];
        // most purchases stay at home: redraw a foreign merchant 3 times in 4
        if b.parties[merchant].jurisdiction != b.parties[payer].jurisdiction && b.rng.chance(0.75) {
            merchant = cast.businesses[12 + b.rng.below(28) as usize];
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
    for (i, &p) in cast.persons.iter().enumerate() {
        let utility = cast.businesses[12 + i % 3];
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
    for (i, &biz) in cast.businesses.iter().enumerate().skip(12).take(10) {
        for k in 0..9 {
            let supplier = cast.businesses[(i + 1 + k * 3) % 40];
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
        let p = cast.persons[b.rng.below(cast.persons.len() as u64) as usize];
        let day = b.rng.range(0, 29);
        let t = b.at(day, 9, 16);
        let amount = if i % 20 == 0 {
            Decimal::new(b.rng.range(920_000, 990_000), 2)
        } else {
            b.cents(600.0, 0.9)
        };
        let currency = home_currency(p, &b.parties);
        b.pay(t, cast.cash, p, amount, currency, "cash");
    }
}

/// Honest crypto traffic: on- and off-ramps, wallets trading.
fn crypto_traffic(b: &mut SampleBuilder, cast: &Cast) {
    // crypto on-ramps and off-ramps
    for i in 0..40 {
        let p = cast.persons[(i * 5) % cast.persons.len()];
        let exchange = if i % 3 == 0 {
            cast.kryptobank
        } else {
            cast.coinhub
        };
        let wallet = cast.wallets[i];
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
        let from = cast.wallets[b.rng.below(40) as usize];
        let to = cast.wallets[b.rng.below(40) as usize];
        if from == to {
            continue;
        }
        let day = b.rng.range(1, 29);
        let t = b.at(day, 0, 24);
        let amount = Decimal::new(b.rng.range(100_000, 3_000_000), 8);
        let row = b.pay(t, from, to, amount, "BTC", "virtual_currency");
        b.rows[row].chain = Some("bitcoin");
    }
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

/// The accounts the sample's laundering uses beside its mules.
struct Cast {
    persons: Vec<usize>,
    businesses: Vec<usize>,
    wallets: Vec<usize>,
    cash: usize,
    coinhub: usize,
    kryptobank: usize,
}

/// The sample as a planter sees it: the parties of an instance handed out
/// in the order the planter asks for them, amounts in one currency.
struct SampleCanvas<'b> {
    b: &'b mut SampleBuilder,
    parties: VecDeque<usize>,
    asset: &'static str,
    cash: usize,
    exchanges: (usize, usize),
    rows: Vec<usize>,
    route: Route,
}

/// The sample's prices along the virtual-currency route.
#[derive(Default)]
struct Route {
    fiat: Decimal,
    btc: Decimal,
    part: Decimal,
    fee: Decimal,
    mixed: Decimal,
    usdt: Decimal,
}

impl<'b> SampleCanvas<'b> {
    fn new(
        b: &'b mut SampleBuilder,
        cast: &Cast,
        asset: &'static str,
        parties: Vec<usize>,
    ) -> SampleCanvas<'b> {
        SampleCanvas {
            b,
            parties: parties.into(),
            asset,
            cash: cast.cash,
            exchanges: (cast.coinhub, cast.kryptobank),
            rows: Vec::new(),
            route: Route::default(),
        }
    }

    fn next(&mut self) -> u32 {
        debug_assert!(!self.parties.is_empty(), "a party for every role");
        self.parties.pop_front().unwrap_or_default() as u32
    }

    fn pay(
        &mut self,
        time: i64,
        from: u32,
        to: u32,
        amount: Decimal,
        asset: &'static str,
        channel: &'static str,
    ) -> usize {
        let r = self
            .b
            .pay(time, from as usize, to as usize, amount, asset, channel);
        self.rows.push(r);
        r
    }

    fn on_chain(
        &mut self,
        time: i64,
        from: u32,
        to: u32,
        amount: Decimal,
        asset: &'static str,
        chain: &'static str,
    ) -> usize {
        let r = self.pay(time, from, to, amount, asset, "virtual_currency");
        self.b.rows[r].chain = Some(chain);
        r
    }

    /// Mark the instance's rows as planted laundering.
    fn finish(self, planted: Planted, description: &str, extra: &[usize]) {
        let rows: Vec<usize> = extra.iter().copied().chain(self.rows).collect();
        self.b.plant(planted.name(), description.to_string(), &rows);
    }
}

fn channel_name(c: Chan) -> &'static str {
    match c {
        Chan::Ach => "ach",
        Chan::Wire => "wire",
    }
}

impl Canvas for SampleCanvas<'_> {
    type Money = Decimal;

    fn rng(&mut self) -> &mut Rng {
        &mut self.b.rng
    }

    fn party(&mut self) -> u32 {
        self.next()
    }

    fn amount(&mut self, base: f64, spread: f64) -> Decimal {
        self.b.cents(base, spread)
    }

    fn fixed(&self, base: f64) -> Decimal {
        Decimal::from(base.round() as i64)
    }

    fn keep(&self, money: Decimal, per_mille: i64) -> Decimal {
        pct(money, per_mille)
    }

    fn send(&mut self, time: i64, from: u32, to: u32, money: Decimal, channel: Chan) {
        self.pay(time, from, to, money, self.asset, channel_name(channel));
    }

    fn deposit(&mut self, time: i64, to: u32, amount: Decimal) {
        let cash = self.cash as u32;
        self.pay(time, cash, to, amount, self.asset, "cash");
    }
}

impl VcCanvas for SampleCanvas<'_> {
    fn exchanges(&mut self) -> (u32, u32) {
        (self.exchanges.0 as u32, self.exchanges.1 as u32)
    }

    fn wallet(&mut self) -> u32 {
        self.next()
    }

    fn price(&mut self, base: f64, wallets: usize) {
        let fiat = self.fixed(base);
        let btc = (fiat * fx(self.asset, "BTC")).round_dp(8);
        let part = (btc / Decimal::from(wallets)).round_dp(8);
        let fee = Decimal::new(2, 5);
        let mixed = ((part - fee) * Decimal::from(wallets) * Decimal::new(98, 2)).round_dp(8);
        let usdt = (mixed * fx("BTC", "USDT")).round_dp(2);
        self.route = Route {
            fiat,
            btc,
            part,
            fee,
            mixed,
            usdt,
        };
    }

    fn leg(&mut self, time: i64, from: u32, to: u32, leg: Leg) {
        let r = &self.route;
        let (fiat, btc, part, fee, mixed, usdt) = (r.fiat, r.btc, r.part, r.fee, r.mixed, r.usdt);
        match leg {
            Leg::OnRamp => drop(self.pay(time, from, to, fiat, self.asset, "wire")),
            Leg::Coins => drop(self.on_chain(time, from, to, btc, "BTC", "bitcoin")),
            Leg::Layer => drop(self.on_chain(time, from, to, part, "BTC", "bitcoin")),
            Leg::ToMixer => drop(self.on_chain(time, from, to, part - fee, "BTC", "bitcoin")),
            Leg::Swap => {
                let row = self.on_chain(time, from, to, mixed, "BTC", "bitcoin");
                self.b.rows[row].received = Some((usdt, "USDT"));
            }
            Leg::ToExit => drop(self.on_chain(time, from, to, usdt, "USDT", "tron")),
            Leg::CashOut => drop(self.pay(time, from, to, pct(usdt, 995), "USD", "wire")),
        }
    }
}

/// Plant the sample's ten laundering instances.
///
/// Long on purpose: it is the sample's table of instances, one planter and
/// its literal parameters per typology, in the answer key's order; split
/// up, the table could no longer be read (or compared with the answer key)
/// in one place.
fn plant_laundering(b: &mut SampleBuilder, cast: &Cast) {
    let mule = |b: &mut SampleBuilder, n: usize| -> usize {
        let (name, j, prefix) = [("Northbank", "GB", "GB-NB"), ("Banco Sol", "ES", "ES-BS")][n % 2];
        b.party(format!("{prefix}-M{:04}", 500 + n), name, j, "bank")
    };
    let mules = |b: &mut SampleBuilder, ns: std::ops::Range<usize>| -> Vec<usize> {
        ns.map(|n| mule(b, n)).collect()
    };
    let start = b.start;
    // 1. structuring: 8 cash deposits of 9,100-9,900 USD within 26 hours
    let mut c = SampleCanvas::new(b, cast, "USD", vec![cast.persons[203]]);
    Structuring {
        deposits: Count::Fixed(8),
        start: start + 6 * DAY + 9 * HOUR,
        step: 3 * HOUR,
        jitter: Minutes(0, 50),
        cents: (910_000, 990_000),
    }
    .plant(&mut c);
    c.finish(
        Planted::Typology(Typology::Structuring),
        "8 cash deposits of 9,100-9,900 USD within 26 hours",
        &[],
    );

    // 2. fan-out: one account pays 12 new accounts within 20 hours
    let source = mule(b, 1);
    let seed_in = b.pay(
        start + 9 * DAY + 8 * HOUR,
        cast.businesses[30],
        source,
        Decimal::from(61_000),
        "EUR",
        "wire",
    );
    let parties = [vec![source], mules(b, 10..22)].concat();
    let mut c = SampleCanvas::new(b, cast, "EUR", parties);
    fan(
        Direction::Out,
        12,
        start + 9 * DAY + 10 * HOUR,
        90 * MINUTE,
        4_900.0,
        0.05,
        Chan::Wire,
    )
    .plant(&mut c);
    c.finish(
        Planted::Typology(Typology::FanOut),
        "one account pays 12 fresh accounts within 20 hours",
        &[seed_in],
    );

    // 3. fan-in: 10 accounts pay one account within 30 hours
    let parties = [vec![mule(b, 30)], mules(b, 40..50)].concat();
    let mut c = SampleCanvas::new(b, cast, "GBP", parties);
    fan(
        Direction::In,
        10,
        start + 12 * DAY,
        3 * HOUR,
        7_500.0,
        0.1,
        Chan::Ach,
    )
    .plant(&mut c);
    c.finish(
        Planted::Typology(Typology::FanIn),
        "10 accounts pay one account within 30 hours",
        &[],
    );

    // 4. cycle: A -> B -> C -> D -> A over 3 days, 1% kept at each hop
    let parties = mules(b, 60..64);
    let mut c = SampleCanvas::new(b, cast, "EUR", parties);
    Cycle {
        hops: Count::Fixed(4),
        start: start + 15 * DAY,
        span: 4 * 18 * HOUR,
        jitter: None,
        base: 48_000.0,
        noisy: false,
        keep_per_mille: 990,
        channel: Chan::Wire,
    }
    .plant(&mut c);
    c.finish(
        Planted::Typology(Typology::Cycle),
        "4-hop round trip over 54 hours; 96% of the money comes back",
        &[],
    );

    // 5. layering chain: 6 hops, 1.5% fee per hop, each forwarded within 5 hours
    let parties = mules(b, 70..77);
    let mut c = SampleCanvas::new(b, cast, "USD", parties);
    Chain {
        hops: Count::Fixed(6),
        start: start + 18 * DAY + 7 * HOUR,
        dwell: Dwell::Between(Minutes(60, 300)),
        base: 95_000.0,
        noisy: false,
        keep_per_mille: 985,
        channel: Chan::Wire,
    }
    .plant(&mut c);
    c.finish(
        Planted::Typology(Typology::LayeringChain),
        "6-hop chain, 1.5% fee per hop, dwell under 5 hours",
        &[],
    );

    // 6. scatter-gather: source -> 6 intermediaries -> one sink
    let parties = mules(b, 80..88);
    let mut c = SampleCanvas::new(b, cast, "EUR", parties);
    ScatterGather {
        width: Count::Fixed(6),
        start: start + 20 * DAY,
        span: 6 * HOUR,
        gather_after: 20 * HOUR,
        base: 8_000.0,
        spread: 0.05,
        keep_per_mille: 980,
        channel: Chan::Ach,
    }
    .plant(&mut c);
    c.finish(
        Planted::Typology(Typology::ScatterGather),
        "a source pays 6 intermediaries; each pays one sink within a day",
        &[],
    );

    // 7. gather-scatter: 6 sources -> hub -> 6 sinks
    let parties = mules(b, 90..103);
    let mut c = SampleCanvas::new(b, cast, "GBP", parties);
    GatherScatter {
        width: Count::Fixed(6),
        gather: Side {
            start: start + 22 * DAY,
            span: 12 * HOUR,
            base: 6_000.0,
        },
        scatter: Side {
            start: start + 23 * DAY,
            span: 12 * HOUR,
            base: 5_900.0,
        },
        spread: 0.05,
        channel: Chan::Ach,
    }
    .plant(&mut c);
    c.finish(
        Planted::Typology(Typology::GatherScatter),
        "6 sources pay a hub, which pays 6 sinks the next day",
        &[],
    );

    // 8. mule pass-through: 5 incoming payments, each forwarded (97%) within hours
    let parties = mules(b, 110..112);
    let mut c = SampleCanvas::new(b, cast, "EUR", parties);
    PassThrough {
        inflows: Count::Fixed(5),
        start: start + 3 * DAY + 10 * HOUR,
        span: 5 * 4 * DAY,
        delay: Minutes(60, 240),
        base: 2_400.0,
        spread: 0.2,
        keep_per_mille: 970,
        channel_in: Chan::Ach,
        channel_out: Chan::Wire,
    }
    .plant(&mut c, |_, k| cast.persons[150 + k * 7] as u32);
    c.finish(
        Planted::Typology(Typology::PassThrough),
        "a mule forwards 97% of 5 incoming payments within 4 hours each",
        &[],
    );

    // 9. virtual-currency layering: fiat -> exchange -> wallets -> mixer ->
    //    swap to USDT -> another exchange -> fiat abroad
    let mixer = b.party("bc1qmixer0000000000000000000000".into(), "", "", "address");
    let swap = b.party("swapdesk".into(), "SwapDesk", "SC", "exchange");
    let abroad = b.party("AE-GB-7731".into(), "Gulf Bank", "AE", "bank");
    let parties = [
        vec![cast.persons[77]],
        cast.wallets[30..34].to_vec(),
        vec![mixer, swap, abroad],
    ]
    .concat();
    let mut c = SampleCanvas::new(b, cast, "EUR", parties);
    VcLayering {
        wallets: Count::Fixed(3),
        start: start + 25 * DAY + 9 * HOUR,
        base: 130_000.0,
        to_first_wallet: Delay::Fixed(40 * MINUTE),
        per_layer: Delay::Fixed(25 * MINUTE),
        mixing: Mixing::AfterReceipt { first_hours: 2 },
        to_swap: Delay::Fixed(2 * HOUR),
        to_exit: Delay::Fixed(3 * HOUR),
        cash_out: Delay::Fixed(20 * HOUR),
    }
    .plant(&mut c);
    c.finish(
        Planted::VirtualCurrencyLayering,
        "EUR 130,000 to an exchange, out as BTC through 4 wallets and a mixer, swapped to USDT, cashed out in USD abroad within 2 days",
        &[],
    );

    // 10. bipartite: 4 payers each pay the same 4 payees within 2 days
    let parties = mules(b, 120..128);
    let mut c = SampleCanvas::new(b, cast, "EUR", parties);
    Layers {
        layers: 2,
        width: Count::Fixed(4),
        start: start + 27 * DAY,
        span: 16 * 2 * HOUR,
        base: 3_000.0,
        spread: 0.1,
        channel: Chan::Ach,
    }
    .plant(&mut c);
    c.finish(
        Planted::Typology(Typology::Bipartite),
        "4 payers each pay the same 4 payees within 32 hours",
        &[],
    );
}

/// A fan of `k` counterparties, `step` apart.
fn fan(
    direction: Direction,
    k: usize,
    start: i64,
    step: i64,
    base: f64,
    spread: f64,
    channel: Chan,
) -> Fan {
    Fan {
        direction,
        counterparties: Count::Fixed(k),
        start,
        span: k as i64 * step,
        base,
        spread,
        channel,
    }
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
    csv.push_str(&Layout::TransfersCsv.header());
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
