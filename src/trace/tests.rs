//! Worked examples of the literature, stop conditions, and conservation on
//! random ledgers.

use super::*;
use crate::ledger::{LedgerBuilder, NewTransfer};
use proptest::prelude::*;

struct Book {
    b: LedgerBuilder,
    row: u32,
}

impl Book {
    fn new() -> Book {
        Book {
            b: LedgerBuilder::new(),
            row: 0,
        }
    }

    fn pay(&mut self, from: &str, to: &str, t: i64, amount: &str) -> TransferId {
        self.convert(from, to, t, (amount, "USD"), (amount, "USD"))
    }

    fn convert(
        &mut self,
        from: &str,
        to: &str,
        t: i64,
        paid: (&str, &str),
        received: (&str, &str),
    ) -> TransferId {
        let (f, to) = (self.b.account(from), self.b.account(to));
        let pa = self.b.asset(paid.1).unwrap();
        let ra = self.b.asset(received.1).unwrap();
        let mut tr = NewTransfer::simple(t, f, to, paid.0.parse().unwrap(), pa, self.row);
        tr.asset_received = ra;
        tr.amount_received = received.0.parse().unwrap();
        self.b.push(tr);
        self.row += 1;
        TransferId(self.row - 1)
    }

    fn graph(self) -> FlowGraph {
        FlowGraph::new(self.b.finish().unwrap())
    }
}

fn run(g: &FlowGraph, seeds: &[Seed], rule: Rule) -> Trace {
    let balances = Balances::new(g.ledger(), &Default::default());
    let options = TraceOptions {
        rule,
        min_amount: Decimal::ZERO,
        ..TraceOptions::default()
    };
    trace(g, &balances, seeds, &options).unwrap()
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// Taint paid on each of `transfers` (zero when not tainted).
fn paid_on(t: &Trace, transfers: &[TransferId]) -> Vec<Decimal> {
    transfers
        .iter()
        .map(|x| {
            t.flows
                .iter()
                .find(|f| f.transfer == *x)
                .map_or(Decimal::ZERO, |f| f.paid.normalize())
        })
        .collect()
}

fn held(t: &Trace, g: &FlowGraph, key: &str) -> Decimal {
    let a = g.ledger().account_id(key).unwrap();
    t.holdings
        .iter()
        .filter(|h| h.account == a)
        .map(|h| h.amount)
        .sum::<Decimal>()
        .normalize()
}

#[test]
fn three_tainted_then_seven_clean_then_pay_four_and_six() {
    let mut k = Book::new();
    let seed = k.pay("thief", "acct", 1, "3");
    k.pay("employer", "acct", 2, "7");
    let four = k.pay("acct", "x", 3, "4");
    let six = k.pay("acct", "y", 4, "6");
    let g = k.graph();
    let seeds = [Seed::Transfer {
        transfer: seed,
        amount: None,
    }];
    let expect = [
        (Rule::Poison, ["4", "6"]),
        (Rule::Haircut, ["1.2", "1.8"]),
        (Rule::Fifo, ["3", "0"]),
        (Rule::Lifo, ["0", "3"]),
        (Rule::Libr, ["0", "3"]),
    ];
    for (rule, want) in expect {
        let t = run(&g, &seeds, rule);
        assert_eq!(
            paid_on(&t, &[four, six]),
            [d(want[0]), d(want[1])],
            "{rule}"
        );
        if rule.conserves() {
            assert!(t.conserved(), "{rule}: {t:?}");
            assert_eq!(t.held.values().sum::<Decimal>(), d("3"), "{rule}");
        }
    }
}

#[test]
fn outflow_seeds_taint_what_an_account_paid_from_since_on() {
    let mut k = Book::new();
    k.pay("boss", "suspect", 1, "100");
    k.pay("suspect", "early", 2, "10");
    k.pay("suspect", "suspect", 3, "5");
    k.pay("suspect", "mule", 4, "30");
    k.pay("mule", "shop", 5, "12");
    k.pay("suspect", "mule2", 6, "40");
    let g = k.graph();
    let suspect = g.ledger().account_id("suspect").unwrap();
    let seeds = [Seed::Outflows {
        account: suspect,
        since: 3,
        amount: Some(d("60")),
    }];
    let t = run(&g, &seeds, Rule::Fifo);
    // the payment to itself is no outflow; the budget of 60 takes 30 + 30
    assert_eq!(t.traced_in.values().sum::<Decimal>(), d("60"));
    assert_eq!(held(&t, &g, "mule"), d("18"));
    assert_eq!(held(&t, &g, "shop"), d("12"));
    assert_eq!(held(&t, &g, "mule2"), d("30"));
    assert_eq!(held(&t, &g, "early"), d("0"));
    assert!(t.conserved());
    // an unknown account is an error, not an empty trace
    let bad = [Seed::Outflows {
        account: AccountId(99),
        since: 0,
        amount: None,
    }];
    let balances = Balances::new(g.ledger(), &Default::default());
    assert!(trace(&g, &balances, &bad, &TraceOptions::default()).is_err());
}

#[test]
fn roscoe_v_winder_only_the_lowest_balance_is_traceable() {
    // 455 taken into the account; the balance falls to 25; own money later
    // brings it back to 358: under libr only 25 can be traced there
    let mut k = Book::new();
    let taken = k.pay("business", "wigham", 1, "455");
    k.pay("wigham", "spent", 2, "430");
    k.pay("own", "wigham", 3, "333");
    let g = k.graph();
    let t = run(
        &g,
        &[Seed::Transfer {
            transfer: taken,
            amount: None,
        }],
        Rule::Libr,
    );
    assert_eq!(held(&t, &g, "wigham"), d("25"));
    assert_eq!(held(&t, &g, "spent"), d("430"));
    assert!(t.conserved());
}

#[test]
fn rules_part_ways_on_a_mixed_account() {
    // 10 own, 10 tainted in, pays 15, 10 clean in, pays 10
    let mut k = Book::new();
    k.pay("own", "acct", 1, "10");
    let seed = k.pay("thief", "acct", 2, "10");
    let first = k.pay("acct", "p", 3, "15");
    k.pay("salary", "acct", 4, "10");
    let second = k.pay("acct", "q", 5, "10");
    let g = k.graph();
    let seeds = [Seed::Transfer {
        transfer: seed,
        amount: None,
    }];
    let t = run(&g, &seeds, Rule::Fifo);
    assert_eq!(paid_on(&t, &[first, second]), [d("5"), d("5")]);
    let t = run(&g, &seeds, Rule::Lifo);
    assert_eq!(paid_on(&t, &[first, second]), [d("10"), d("0")]);
    let t = run(&g, &seeds, Rule::Libr);
    assert_eq!(paid_on(&t, &[first, second]), [d("5"), d("0")]);
    assert_eq!(held(&t, &g, "acct"), d("5"));
    let t = run(&g, &seeds, Rule::Haircut);
    assert_eq!(paid_on(&t, &[first]), [d("7.5")]);
    // the second payment carries 10 × 2.5 / 15
    let second_taint = t.flows.iter().find(|f| f.transfer == second).unwrap().paid;
    assert_eq!(second_taint.round_dp(6), d("1.666667"));
    assert!(t.conserved());
    let t = run(&g, &seeds, Rule::Poison);
    assert_eq!(paid_on(&t, &[first, second]), [d("15"), d("10")]);
}

#[test]
fn taint_crosses_conversions_fees_cash_and_hop_limits() {
    let mut k = Book::new();
    let seed = k.pay("ransom", "wallet", 1, "100");
    k.convert("wallet", "exchange", 2, ("100", "USD"), ("0.002", "BTC"));
    k.convert("exchange", "mule", 3, ("0.002", "BTC"), ("0.0019", "BTC")); // fee
    k.convert("mule", "CASH", 4, ("0.001", "BTC"), ("0.001", "BTC"));
    let mut g_builder = k;
    let cash = g_builder.b.account("CASH");
    g_builder
        .b
        .describe_account(cash, None, None, Some(AccountKind::CashOrUnknown));
    let g = g_builder.graph();
    let l = g.ledger();
    let (usd, btc) = (l.asset_id("USD").unwrap(), l.asset_id("BTC").unwrap());
    let t = run(
        &g,
        &[Seed::Transfer {
            transfer: seed,
            amount: None,
        }],
        Rule::Fifo,
    );
    assert!(t.conserved(), "{t:?}");
    assert_eq!(t.converted_out[&usd], d("100"));
    assert_eq!(t.converted_in[&btc].normalize(), d("0.002"));
    assert_eq!(t.exited["fee"][&btc].normalize(), d("0.0001"));
    assert_eq!(t.exited["cash"][&btc].normalize(), d("0.001"));
    assert_eq!(held(&t, &g, "mule"), d("0.0009"));
    let mule = t
        .holdings
        .iter()
        .find(|h| h.account == l.account_id("mule").unwrap())
        .unwrap();
    assert_eq!(mule.hops, 2);
    // with a hop limit of 1 the taint stops after the exchange
    let balances = Balances::new(l, &Default::default());
    let options = TraceOptions {
        rule: Rule::Fifo,
        max_hops: 1,
        min_amount: Decimal::ZERO,
        ..TraceOptions::default()
    };
    let t = trace(
        &g,
        &balances,
        &[Seed::Transfer {
            transfer: seed,
            amount: None,
        }],
        &options,
    )
    .unwrap();
    assert!(t.exited.contains_key("hop_limit"));
    assert!(t.conserved());
    // a horizon before the conversion keeps everything in the wallet
    let options = TraceOptions {
        horizon: Some(1),
        ..options
    };
    let t = trace(
        &g,
        &balances,
        &[Seed::Transfer {
            transfer: seed,
            amount: None,
        }],
        &options,
    )
    .unwrap();
    assert_eq!(held(&t, &g, "wallet"), d("100"));
}

#[test]
fn inflow_seeds_and_dust() {
    let mut k = Book::new();
    k.pay("a", "hub", 1, "50");
    k.pay("b", "hub", 5, "70");
    k.pay("hub", "out", 6, "120");
    let g = k.graph();
    let balances = Balances::new(g.ledger(), &Default::default());
    let hub = g.ledger().account_id("hub").unwrap();
    let options = TraceOptions {
        rule: Rule::Fifo,
        ..TraceOptions::default()
    };
    let seeds = [Seed::Inflows {
        account: hub,
        since: 2,
        amount: Some(d("60")),
    }];
    let t = trace(&g, &balances, &seeds, &options).unwrap();
    assert_eq!(t.traced_in.values().sum::<Decimal>(), d("60"));
    assert_eq!(held(&t, &g, "out"), d("60"));
    // dust: a trace below min_amount is dropped and counted
    let options = TraceOptions {
        rule: Rule::Haircut,
        min_amount: d("100"),
        ..TraceOptions::default()
    };
    let t = trace(&g, &balances, &seeds, &options).unwrap();
    assert_eq!(t.dust.values().sum::<Decimal>(), d("60"));
    assert!(t.conserved());
}

fn random_ledger(ops: &[(u8, u8, u16, bool, bool)]) -> FlowGraph {
    let mut k = Book::new();
    for (i, &(f, t, amount, convert, fee)) in ops.iter().enumerate() {
        let (from, to) = (format!("a{f}"), format!("a{t}"));
        let amount = Decimal::new(i64::from(amount) + 1, 2);
        let paid = amount.to_string();
        if convert {
            let received = (amount * Decimal::new(108, 2)).to_string();
            k.convert(&from, &to, i as i64, (&paid, "USD"), (&received, "EUR"));
        } else if fee {
            let received = (amount * Decimal::new(97, 2)).round_dp(2).to_string();
            k.convert(&from, &to, i as i64, (&paid, "USD"), (&received, "USD"));
        } else {
            k.pay(&from, &to, i as i64, &paid);
        }
    }
    k.graph()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn conserving_rules_conserve_value(
        ops in prop::collection::vec((0u8..6, 0u8..6, 0u16..5000, prop::bool::weighted(0.1), prop::bool::weighted(0.2)), 2..80),
        seed_at in 0usize..80,
        hops in 1u16..6,
        dust in 0i64..300,
    ) {
        let g = random_ledger(&ops);
        let seed = TransferId((seed_at % g.ledger().len()) as u32);
        let balances = Balances::new(g.ledger(), &Default::default());
        for rule in [Rule::Haircut, Rule::Fifo, Rule::Lifo, Rule::Libr] {
            let options = TraceOptions { rule, max_hops: hops, min_amount: Decimal::new(dust, 2), horizon: None, ..TraceOptions::default() };
            let t = trace(&g, &balances, &[Seed::Transfer { transfer: seed, amount: None }], &options).unwrap();
            prop_assert!(t.conserved(), "{rule}: {t:?}");
            for h in &t.holdings {
                prop_assert!(h.amount > Decimal::ZERO);
                prop_assert!(h.amount <= balances.closing(h.account, h.asset), "{rule}: holding above balance");
                prop_assert!(h.hops <= hops);
            }
            for f in &t.flows {
                let i = f.transfer.index();
                prop_assert!(f.paid <= g.ledger().amounts_paid()[i], "{rule}: taint above amount");
            }
        }
    }

    #[test]
    fn many_traces_in_parallel_equal_one_by_one(
        ops in prop::collection::vec((0u8..6, 0u8..6, 0u16..5000, prop::bool::weighted(0.1), prop::bool::weighted(0.2)), 2..60),
    ) {
        let g = random_ledger(&ops);
        let balances = Balances::new(g.ledger(), &Default::default());
        let seeds: Vec<Vec<Seed>> = (0..g.ledger().len().min(8))
            .map(|i| vec![Seed::Transfer { transfer: TransferId(i as u32), amount: None }])
            .collect();
        for rule in Rule::ALL {
            let options = TraceOptions { rule, ..TraceOptions::default() };
            let parallel = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap()
                .install(|| trace_many(&g, &balances, &seeds, &options)).unwrap();
            let serial: Vec<Trace> = seeds.iter().map(|s| trace(&g, &balances, s, &options).unwrap()).collect();
            prop_assert_eq!(parallel, serial);
        }
    }
}

#[test]
fn source_of_funds_splits_a_payment_by_its_sources() {
    // two victims pay a mule, whose own salary also arrives; the mule pays on
    let mut k = Book::new();
    k.pay("victim1", "mule", 1, "300");
    k.pay("victim2", "mule", 2, "200");
    k.pay("employer", "mule", 3, "100");
    let out = k.pay("mule", "boss", 4, "450");
    let g = k.graph();
    let balances = Balances::new(g.ledger(), &Default::default());
    let options = TraceOptions {
        rule: Rule::Haircut,
        ..TraceOptions::default()
    };
    let sof = sources_of_funds(&g, &balances, Target::Transfer(out), &options, 100).unwrap();
    let by: Vec<(String, String)> = sof
        .sources
        .iter()
        .map(|s| {
            (
                g.ledger().account(s.account).key.clone(),
                s.amount.normalize().to_string(),
            )
        })
        .collect();
    assert_eq!(
        by,
        [
            ("victim1".into(), "225".into()),
            ("victim2".into(), "150".into()),
            ("employer".into(), "75".into())
        ]
    );
    assert_eq!(sof.traced, d("450"));
    assert_eq!(sof.untraced, Decimal::ZERO);
    // under fifo the oldest money leaves first
    let options = TraceOptions {
        rule: Rule::Fifo,
        ..TraceOptions::default()
    };
    let sof = sources_of_funds(&g, &balances, Target::Transfer(out), &options, 100).unwrap();
    let amounts: Vec<String> = sof
        .sources
        .iter()
        .map(|s| s.amount.normalize().to_string())
        .collect();
    assert_eq!(amounts, ["300", "150"]);
    // the balance left behind (150) under fifo: 50 from victim2, 100 salary
    let mule = g.ledger().account_id("mule").unwrap();
    let usd = g.ledger().asset_id("USD").unwrap();
    let sof = sources_of_funds(
        &g,
        &balances,
        Target::Balance {
            account: mule,
            asset: usd,
            at: 10,
        },
        &options,
        100,
    )
    .unwrap();
    assert_eq!(sof.target_amount, d("150"));
    let amounts: Vec<String> = sof
        .sources
        .iter()
        .map(|s| s.amount.normalize().to_string())
        .collect();
    assert_eq!(amounts, ["100", "50"]);
}

#[test]
fn source_of_funds_follows_several_hops_and_reports_the_untraced() {
    let mut k = Book::new();
    k.pay("origin", "a", 1, "100");
    k.pay("a", "b", 2, "100");
    k.pay("own", "b", 3, "50"); // b's own money
    let last = k.pay("b", "c", 4, "150");
    let g = k.graph();
    let balances = Balances::new(g.ledger(), &Default::default());
    let options = TraceOptions {
        rule: Rule::Haircut,
        max_hops: 3,
        ..TraceOptions::default()
    };
    let sof = sources_of_funds(&g, &balances, Target::Transfer(last), &options, 100).unwrap();
    let keys: Vec<&str> = sof
        .sources
        .iter()
        .map(|s| g.ledger().account(s.account).key.as_str())
        .collect();
    assert_eq!(keys, ["origin", "own"]);
    assert_eq!(sof.traced, d("150"));
    // one hop back only: a's payment is an entry
    let options = TraceOptions {
        rule: Rule::Haircut,
        max_hops: 1,
        ..TraceOptions::default()
    };
    let sof = sources_of_funds(&g, &balances, Target::Transfer(last), &options, 100).unwrap();
    let keys: Vec<&str> = sof
        .sources
        .iter()
        .map(|s| g.ledger().account(s.account).key.as_str())
        .collect();
    assert_eq!(keys, ["a", "own"]);
}

#[test]
fn source_of_a_balance_before_any_transfer_is_the_accounts_opening_money() {
    let mut k = Book::new();
    k.pay("a", "b", 5, "10");
    k.pay("b", "c", 6, "30"); // b spends 20 of its own: an opening balance
    let g = k.graph();
    let balances = Balances::new(g.ledger(), &Default::default());
    let b = g.ledger().account_id("b").unwrap();
    let usd = g.ledger().asset_id("USD").unwrap();
    let options = TraceOptions {
        rule: Rule::Fifo,
        ..TraceOptions::default()
    };
    let sof = sources_of_funds(
        &g,
        &balances,
        Target::Balance {
            account: b,
            asset: usd,
            at: 1,
        },
        &options,
        10,
    )
    .unwrap();
    assert_eq!(sof.target_amount, d("20"));
    assert!(sof.sources.is_empty(), "{:?}", sof.sources);
    let own = OpeningSource {
        account: b,
        asset: usd,
        amount: d("20"),
    };
    assert_eq!(sof.openings, [own]);
    assert_eq!(sof.untraced, d("0"));
}

#[test]
fn a_holding_dates_from_when_taint_reached_that_account() {
    let mut book = Book::new();
    book.pay("victim", "a", 10, "100");
    book.pay("a", "b", 20, "60");
    book.pay("b", "c", 30, "50");
    book.pay("a", "c", 40, "40");
    let g = book.graph();
    let a = g.ledger().account_id("a").unwrap();
    let seeds = [Seed::Inflows {
        account: a,
        since: 0,
        amount: None,
    }];
    for rule in [Rule::Fifo, Rule::Haircut, Rule::Libr] {
        let t = run(&g, &seeds, rule);
        let since = |key: &str| {
            let id = g.ledger().account_id(key).unwrap();
            t.holdings
                .iter()
                .find(|h| h.account == id)
                .map(|h| h.first_time_us)
        };
        assert_eq!(since("b"), Some(20), "{rule}: b was reached at 20");
        assert_eq!(
            since("c"),
            Some(30),
            "{rule}: c was first reached at 30, then at 40"
        );
    }
}

/// The ops [`returning_ledger`] builds from: 2 to 39 of them, most of
/// them plain payments.
fn returning_ops() -> impl Strategy<Value = Vec<(u8, u8, u32, u8)>> {
    prop::collection::vec(
        (
            0u8..6,
            0u8..6,
            0u32..50_000,
            prop::sample::select(vec![0u8, 0, 0, 1, 2, 3, 3]),
        ),
        2..40,
    )
}

/// A random ledger among `a0`…`a5` in which money keeps coming back to
/// `a0` (the seed account): every op is (from, to, amount in cents, kind),
/// kind 0 a plain payment, 1 a conversion USD→EUR at 1.08, 2 a payment with
/// a 3% fee, 3 a payment from `a0` answered by one back to `a0` in the
/// same minute. Times advance by one minute every two ops, so ties occur.
fn returning_ledger(ops: &[(u8, u8, u32, u8)]) -> FlowGraph {
    let mut k = Book::new();
    k.b.account("a0");
    for (i, &(f, t, cents, kind)) in ops.iter().enumerate() {
        let time = (i / 2) as i64 * crate::time::MINUTE;
        let (from, to) = (format!("a{f}"), format!("a{t}"));
        let amount = Decimal::new(i64::from(cents) + 1, 2);
        let paid = amount.to_string();
        match kind {
            1 => {
                let received = (amount * Decimal::new(108, 2)).to_string();
                k.convert(&from, &to, time, (&paid, "USD"), (&received, "EUR"));
            }
            2 => {
                let received = (amount * Decimal::new(97, 2)).round_dp(2).to_string();
                k.convert(&from, &to, time, (&paid, "USD"), (&received, "USD"));
            }
            3 => {
                k.pay("a0", &to, time, &paid);
                k.pay(&to, "a0", time, &paid);
            }
            _ => {
                k.pay(&from, &to, time, &paid);
            }
        }
    }
    k.graph()
}

/// The seed sets the invariants are checked for: every kind of seed,
/// capped and not, alone and overlapping.
fn seed_sets(g: &FlowGraph, pick: usize, cap: Decimal) -> Vec<Vec<Seed>> {
    let l = g.ledger();
    let a0 = l.account_id("a0").unwrap();
    let mid = l.times_us()[l.len() / 2];
    let t = TransferId((pick % l.len()) as u32);
    let into_a0 = g.incoming(a0, ..).transfer.first().copied().unwrap_or(t);
    vec![
        vec![Seed::Inflows {
            account: a0,
            since: i64::MIN,
            amount: None,
        }],
        vec![Seed::Inflows {
            account: a0,
            since: mid,
            amount: Some(cap),
        }],
        vec![Seed::Transfer {
            transfer: t,
            amount: None,
        }],
        vec![Seed::Transfer {
            transfer: t,
            amount: Some(cap),
        }],
        vec![
            Seed::Transfer {
                transfer: into_a0,
                amount: None,
            },
            Seed::Inflows {
                account: a0,
                since: i64::MIN,
                amount: Some(cap),
            },
            Seed::Transfer {
                transfer: into_a0,
                amount: None,
            },
        ],
    ]
}

/// Random ledgers checked per run: `MONEYTRAIL_TRACE_CASES`, 48 by
/// default (the acceptance run used 10,000).
fn invariant_cases() -> u32 {
    std::env::var("MONEYTRAIL_TRACE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(invariant_cases()))]
    #[test]
    fn invariants_hold_when_taint_returns_to_the_seed(
        ops in returning_ops(),
        pick in 0usize..80,
        cap in 1i64..100_000,
        hops in 1u16..8,
        dust in prop::sample::select(vec![0i64, 0, 1, 50]),
    ) {
        let g = returning_ledger(&ops);
        let balances = Balances::new(g.ledger(), &Default::default());
        for seeds in seed_sets(&g, pick, Decimal::new(cap, 2)) {
            for rule in Rule::ALL {
                let options = TraceOptions {
                    rule,
                    max_hops: hops,
                    min_amount: Decimal::new(dust, 2),
                    ..TraceOptions::default()
                };
                if let Err(why) = verify(&g, &balances, &seeds, &options, Horizons::Every) {
                    prop_assert!(false, "{why}\nseeds {seeds:?}");
                }
            }
        }
    }
}

#[test]
fn money_that_comes_back_is_not_traced_in_twice() {
    // X pays A 100, A pays B 60, B pays A 60 (regressions/trace-cycle-back)
    let mut k = Book::new();
    k.pay("X", "A", 1, "100");
    k.pay("A", "B", 2, "60");
    k.pay("B", "A", 3, "60");
    let g = k.graph();
    let a = g.ledger().account_id("A").unwrap();
    let seeds = [Seed::Inflows {
        account: a,
        since: i64::MIN,
        amount: None,
    }];
    for rule in Rule::ALL {
        let t = run(&g, &seeds, rule);
        assert_eq!(t.traced_in.values().sum::<Decimal>(), d("100"), "{rule}");
        assert_eq!(held(&t, &g, "A"), d("100"), "{rule}");
        assert_eq!(held(&t, &g, "B"), d("0"), "{rule}");
        if rule.conserves() {
            assert!(t.conserved(), "{rule}: {t:?}");
        }
    }
    // B's 60 is fresh money when B had its own: B pays 80 back, of which 60
    // came from A; the other 20 are new proceeds
    let mut k = Book::new();
    k.pay("X", "A", 1, "100");
    k.pay("A", "B", 2, "60");
    k.pay("Y", "B", 3, "20");
    k.pay("B", "A", 4, "80");
    let g = k.graph();
    let a = g.ledger().account_id("A").unwrap();
    let seeds = [Seed::Inflows {
        account: a,
        since: i64::MIN,
        amount: None,
    }];
    let t = run(&g, &seeds, Rule::Fifo);
    assert_eq!(t.traced_in.values().sum::<Decimal>(), d("120"));
    assert_eq!(held(&t, &g, "A"), d("120"));
    assert!(t.conserved());
}

/// Links between an exchange's deposits and payouts, valued at 1 USD = 1
/// USDT = 0.9 EUR.
fn links(g: &FlowGraph, pairs: &[(TransferId, TransferId)]) -> std::sync::Arc<ExchangeLinks> {
    let rates = [("USD", "1"), ("USDT", "1"), ("EUR", "1.1")]
        .map(|(c, r)| (c.to_string(), d(r)))
        .into_iter()
        .collect();
    let data = crate::valued::Valued::new(g, crate::fx::FxTable::given("USD", rates));
    std::sync::Arc::new(ExchangeLinks::from_pairs(&data, pairs.iter().copied()).unwrap())
}

/// A thief deposits 1,000 USDT at an exchange that holds clients' dollars;
/// the next day it pays 990 USD to a payee, linked to the deposit.
fn exchange_book() -> (FlowGraph, [TransferId; 3]) {
    let mut k = Book::new();
    let client = k.pay("client", "vasp", 0, "5000");
    let deposit = k.convert("thief", "vasp", 10, ("1000", "USDT"), ("1000", "USDT"));
    let payout = k.pay("vasp", "payee", 20, "990");
    let mut g = k.b;
    let vasp = g.account("vasp");
    g.describe_account(vasp, None, None, Some(AccountKind::Exchange));
    (
        FlowGraph::new(g.finish().unwrap()),
        [client, deposit, payout],
    )
}

#[test]
fn taint_follows_a_linked_deposit_through_an_exchange() {
    let (g, [_, deposit, payout]) = exchange_book();
    let balances = Balances::new(g.ledger(), &Default::default());
    let seeds = [Seed::Transfer {
        transfer: deposit,
        amount: None,
    }];
    for rule in Rule::ALL {
        // stopped: the taint stays in the exchange's USDT purse
        let stopped = run(&g, &seeds, rule);
        assert_eq!(held(&stopped, &g, "vasp"), d("1000"), "{rule}");
        assert_eq!(held(&stopped, &g, "payee"), d("0"), "{rule}");
        // linked: the payout took 990 of the deposit; 10 USDT stay
        let options = TraceOptions {
            rule,
            exchange_links: links(&g, &[(deposit, payout)]),
            ..TraceOptions::default()
        };
        let t = trace(&g, &balances, &seeds, &options).unwrap();
        assert_eq!(held(&t, &g, "payee"), d("990"), "{rule}");
        // poison: a tainted account's whole balance is tainted
        let kept = if rule == Rule::Poison { "1000" } else { "10" };
        assert_eq!(held(&t, &g, "vasp"), d(kept), "{rule}");
        assert_eq!(t.passages.len(), 1, "{rule}");
        assert_eq!(t.passages[0].taint_in, d("990"), "{rule}");
        assert_eq!(t.passages[0].taint_out, d("990"), "{rule}");
        if rule.conserves() {
            assert!(t.conserved(), "{rule}: {t:?}");
        }
        verify(&g, &balances, &seeds, &options, Horizons::Every).unwrap();
        // before the payout, the linked money waits at the exchange
        let early = TraceOptions {
            horizon: Some(15),
            ..options.clone()
        };
        let t = trace(&g, &balances, &seeds, &early).unwrap();
        assert_eq!(held(&t, &g, "vasp"), d("1000"), "{rule}");
        assert!(t.passages.is_empty(), "{rule}");
    }
}

#[test]
fn a_backward_trace_walks_back_through_a_linked_payout() {
    let (g, [client, deposit, payout]) = exchange_book();
    let balances = Balances::new(g.ledger(), &Default::default());
    let payee = g.ledger().account_id("payee").unwrap();
    let usd = g.ledger().asset_id("USD").unwrap();
    let target = Target::Balance {
        account: payee,
        asset: usd,
        at: 30,
    };
    let stopped = sources_of_funds(&g, &balances, target, &TraceOptions::default(), 10).unwrap();
    assert_eq!(stopped.sources.len(), 1);
    assert_eq!(stopped.sources[0].transfer, client);
    let options = TraceOptions {
        exchange_links: links(&g, &[(deposit, payout)]),
        ..TraceOptions::default()
    };
    let linked = sources_of_funds(&g, &balances, target, &options, 10).unwrap();
    let found: Vec<(TransferId, Decimal)> = linked
        .sources
        .iter()
        .map(|s| (s.transfer, s.amount))
        .collect();
    assert_eq!(found, [(deposit, d("990"))]);
    assert_eq!(linked.untraced, d("0"));
}

#[test]
fn links_are_deposits_before_payouts_of_the_same_account() {
    let (g, [client, deposit, payout]) = exchange_book();
    let rates = [("USD".to_string(), d("1"))].into_iter().collect();
    let data = crate::valued::Valued::new(&g, crate::fx::FxTable::given("USD", rates));
    let err = ExchangeLinks::from_pairs(&data, [(payout, deposit)]).unwrap_err();
    assert!(
        err.to_string().contains("not a deposit and its payout"),
        "{err}"
    );
    // USDT has no rate here: the pair is left out and counted
    let links = ExchangeLinks::from_pairs(&data, [(deposit, payout), (client, payout)]).unwrap();
    assert_eq!(links.unpriced(), 1);
    assert_eq!(links.links().len(), 1);
    assert_eq!(links.links()[0].deposit, client);
    assert_eq!(links.links()[0].paid, d("990"));
}

/// A random ledger around an exchange `x`: accounts pay it USD, USDT or
/// EUR, and it pays them back in any of the three; `pairs` links deposits
/// to later payouts at random.
fn exchange_ledger(
    ops: &[(u8, bool, u8, u32)],
    pairs: &[(u8, u8)],
) -> (FlowGraph, Vec<(TransferId, TransferId)>) {
    let mut k = Book::new();
    let assets = ["USD", "USDT", "EUR"];
    let (mut deposits, mut payouts) = (Vec::new(), Vec::new());
    for (i, &(who, into, asset, cents)) in ops.iter().enumerate() {
        let time = (i / 2) as i64 * crate::time::MINUTE;
        let amount = Decimal::new(i64::from(cents) + 1, 2).to_string();
        let asset = assets[usize::from(asset) % 3];
        let who = format!("a{who}");
        if into {
            deposits.push(k.convert(&who, "x", time, (&amount, asset), (&amount, asset)));
        } else {
            payouts.push(k.convert("x", &who, time, (&amount, asset), (&amount, asset)));
        }
    }
    let mut b = k.b;
    let x = b.account("x");
    b.describe_account(x, None, None, Some(AccountKind::Exchange));
    let mut links = Vec::new();
    if !deposits.is_empty() && !payouts.is_empty() {
        for &(dp, px) in pairs {
            let d = deposits[usize::from(dp) % deposits.len()];
            let x = payouts[usize::from(px) % payouts.len()];
            if d < x {
                links.push((d, x));
            }
        }
    }
    (FlowGraph::new(b.finish().unwrap()), links)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(invariant_cases()))]
    #[test]
    fn invariants_hold_through_linked_exchanges(
        ops in prop::collection::vec((0u8..4, prop::bool::ANY, 0u8..3, 0u32..50_000), 2..40),
        pairs in prop::collection::vec((0u8..20, 0u8..20), 0..12),
        hops in 1u16..6,
    ) {
        let (g, pairs) = exchange_ledger(&ops, &pairs);
        let balances = Balances::new(g.ledger(), &Default::default());
        let exchange_links = links(&g, &pairs);
        let l = g.ledger();
        let seed_sets: Vec<Vec<Seed>> = (0..4)
            .filter_map(|a| l.account_id(&format!("a{a}")))
            .map(|account| vec![Seed::Outflows { account, since: i64::MIN, amount: None }])
            .collect();
        for seeds in seed_sets {
            for rule in Rule::ALL {
                let options = TraceOptions {
                    rule,
                    max_hops: hops,
                    exchange_links: std::sync::Arc::clone(&exchange_links),
                    ..TraceOptions::default()
                };
                if let Err(why) = verify(&g, &balances, &seeds, &options, Horizons::Every) {
                    prop_assert!(false, "{why}\nseeds {seeds:?}\nlinks {:?}", exchange_links.links());
                }
            }
        }
    }
}

#[test]
fn a_part_of_a_lot_finer_than_twelve_places_never_carries_more_than_it_pays() {
    // found by fuzzing analyze_trace: an opening lot of 69.111…008 paid out
    // in two halves of 34.555…504; the 12-place share rounded up above
    // the half it was of
    let mut k = Book::new();
    let half = "34.55555555555555504";
    k.pay("a", "b", 1, half);
    k.pay("a", "c", 2, half);
    let g = k.graph();
    let balances = Balances::new(g.ledger(), &Default::default());
    let l = g.ledger();
    let seeds = [Seed::Opening {
        account: l.account_id("a").unwrap(),
        asset: l.asset_id("USD").unwrap(),
    }];
    for rule in Rule::ALL {
        let options = TraceOptions {
            rule,
            min_amount: Decimal::ZERO,
            ..TraceOptions::default()
        };
        verify(&g, &balances, &seeds, &options, Horizons::Every).unwrap();
        let t = trace(&g, &balances, &seeds, &options).unwrap();
        assert_eq!(
            t.traced_in.values().sum::<Decimal>(),
            d(half) * Decimal::TWO,
            "{rule}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(invariant_cases()))]
    #[test]
    fn a_trace_read_part_by_part_equals_the_trace_in_memory(
        ops in returning_ops(),
        pick in 0usize..80,
        cap in 1i64..100_000,
        hops in 1u16..8,
        dust in prop::sample::select(vec![0i64, 0, 1, 50]),
        per_part in 1usize..12,
        horizon in prop::option::of(0i64..22),
        given in prop::option::of(1i64..100_000),
        stop in prop::bool::weighted(0.3),
    ) {
        let g = returning_ledger(&ops);
        let l = g.ledger();
        let (a0, a1) = (l.account_id("a0").unwrap(), l.account_id("a1"));
        let usd = l.asset_id("USD").unwrap();
        let given: FxHashMap<(AccountId, AssetId), Decimal> = given
            .map(|cents| ((a0, usd), Decimal::new(cents, 2)))
            .into_iter()
            .collect();
        let balances = Balances::new(l, &given);
        let mut sets = seed_sets(&g, pick, Decimal::new(cap, 2));
        sets.push(vec![Seed::Opening { account: a0, asset: usd }]);
        if let Some(a1) = a1 {
            sets.push(vec![
                Seed::Outflows { account: a1, since: i64::MIN, amount: Some(Decimal::new(cap, 2)) },
                Seed::Opening { account: a1, asset: usd },
                Seed::Inflows { account: a0, since: i64::MIN, amount: None },
            ]);
        }
        let stop_at: std::collections::HashSet<AccountId> =
            l.account_id("a2").filter(|_| stop).into_iter().collect();
        for seeds in sets {
            for rule in Rule::ALL {
                let options = TraceOptions {
                    rule,
                    max_hops: hops,
                    min_amount: Decimal::new(dust, 2),
                    horizon: horizon.map(|m| m * crate::time::MINUTE),
                    stop_at: std::sync::Arc::new(stop_at.clone()),
                    ..TraceOptions::default()
                };
                let whole = trace(&g, &balances, &seeds, &options).unwrap();
                let source = crate::detect::InMemory(l);
                let parts = trace_parts(&source, per_part, &given, &seeds, &options).unwrap();
                prop_assert_eq!(&parts, &whole, "{} in parts of {}, seeds {:?}", rule, per_part, seeds);
            }
        }
    }
}

#[test]
fn a_trace_read_part_by_part_refuses_exchange_links_and_unknown_seeds() {
    let mut k = Book::new();
    k.pay("X", "A", 1, "100");
    k.pay("A", "B", 2, "60");
    let g = k.graph();
    let source = crate::detect::InMemory(g.ledger());
    let none = FxHashMap::default();
    let seed = |t| {
        [Seed::Transfer {
            transfer: TransferId(t),
            amount: None,
        }]
    };
    let err = trace_parts(&source, 1, &none, &seed(2), &TraceOptions::default()).unwrap_err();
    assert!(err.to_string().contains("no transfer 2"), "{err}");
    let account = [Seed::Inflows {
        account: AccountId(9),
        since: 0,
        amount: None,
    }];
    let err = trace_parts(&source, 1, &none, &account, &TraceOptions::default()).unwrap_err();
    assert!(err.to_string().contains("no account 9"), "{err}");
    let rates = [("USD".to_string(), Decimal::ONE)].into_iter().collect();
    let data = crate::Valued::new(&g, crate::fx::FxTable::given("USD", rates));
    let links = ExchangeLinks::from_pairs(&data, [(TransferId(0), TransferId(1))]).unwrap();
    let options = TraceOptions {
        exchange_links: std::sync::Arc::new(links),
        ..TraceOptions::default()
    };
    let err = trace_parts(&source, 1, &none, &seed(0), &options).unwrap_err();
    assert!(err.to_string().contains("exchanges"), "{err}");
}
