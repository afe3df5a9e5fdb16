//! The three training exercises, runnable from the installed binary
//! (`moneytrail exercise list|run NAME`) as well as from the examples.
//!
//! Each exercise generates its training set with a fixed seed into a
//! folder — the trainer's copy with the answer key, the trainee's copy
//! without it ([`trainee_copy`](super::trainee_copy)) and a worksheet — then
//! works the exercise the way an analyst would and checks the result
//! against the answer key.

use super::training::{generate, Attempt, Generated, TrainingSpec};
use crate::detect::{analyze, DetectConfig, StructuringDetector, Typology};
use crate::error::{Error, Result};
use crate::graph::FlowGraph;
use crate::ingest;
use crate::trace::{sources_of_funds, trace, Balances, Rule, Seed, Target, TraceOptions};
use crate::valued::Valued;
use crate::TransferId;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

/// An exercise: its name, title and seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exercise {
    /// What `exercise run` takes.
    pub name: &'static str,
    /// One line about it.
    pub title: &'static str,
    /// The training set's seed.
    pub seed: u64,
}

/// Every exercise, in teaching order.
pub const EXERCISES: [Exercise; 3] = [
    Exercise {
        name: "structuring",
        title: "cash deposits kept just under 10,000, again and again: find the accounts",
        seed: 2024,
    },
    Exercise {
        name: "ransom_trace",
        title: "a ransom through bitcoin, a mixer and USDT to fiat abroad: where is it now?",
        seed: 7,
    },
    Exercise {
        name: "suspect_profile",
        title: "the financial profile of a suspected money mule",
        seed: 99,
    },
];

/// What running an exercise gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExerciseRun {
    /// The worked exercise as printed: scenario, what the tools show, the
    /// answer key, the check.
    pub walkthrough: String,
    /// Whether the worked answer matches the answer key.
    pub passed: bool,
}

/// Generate an exercise's folders in `dir` — `trainer/` (the full set and
/// truth.json), `trainee/` (the copy without answers) and
/// `trainee/worksheet.md` — and work it.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let run = moneytrail::synth::run_exercise("structuring", dir.path()).unwrap();
/// assert!(run.passed, "{}", run.walkthrough);
/// assert!(dir.path().join("trainee/worksheet.md").is_file());
/// assert!(!dir.path().join("trainee/truth.json").exists());
/// ```
///
/// # Errors
///
/// For an unknown name (the error lists the known ones), or when a file
/// cannot be written or read back.
pub fn run_exercise(name: &str, dir: &Path) -> Result<ExerciseRun> {
    let Some(exercise) = EXERCISES.iter().find(|e| e.name == name) else {
        let known: Vec<&str> = EXERCISES.iter().map(|e| e.name).collect();
        return Err(Error::invalid(format!(
            "no exercise {name:?}; the exercises are {}",
            known.join(", ")
        )));
    };
    let (trainer, trainee) = (dir.join("trainer"), dir.join("trainee"));
    let spec = TrainingSpec {
        seed: exercise.seed,
        ..TrainingSpec::preset("tiny").expect("the tiny preset exists")
    };
    let key = generate(&spec, &trainer).map_err(|e| Error::io(&trainer, e))?;
    super::trainee_copy(&trainer, &trainee)?;
    let loaded = ingest::load(
        &trainer.join("transactions.csv"),
        &ingest::LoadOptions::default(),
    )?;
    let graph = FlowGraph::new(loaded.ledger);
    let (walkthrough, passed, questions) = match exercise.name {
        "structuring" => structuring(&graph, &key),
        "ransom_trace" => ransom_trace(&graph, &key)?,
        _ => suspect_profile(&graph, &key)?,
    };
    let title = exercise.title;
    let stop = if title.ends_with('?') { "" } else { "." };
    let mut capital = title.chars();
    let title: String = capital
        .next()
        .map(|c| c.to_uppercase().chain(capital).collect())
        .unwrap_or_default();
    let worksheet = format!(
        "# Exercise: {}\n\n{title}{stop}\n\nThe data: `transactions.csv` and `accounts.csv` in this folder \
         (a synthetic bank and virtual-currency data set, seed {}).\n\n## Tasks\n\n{questions}\n\n\
         Your trainer grades your answer with the answer key kept in `../trainer/`.\n",
        exercise.name, exercise.seed
    );
    let path = trainee.join("worksheet.md");
    std::fs::write(&path, worksheet).map_err(|e| Error::io(&path, e))?;
    Ok(ExerciseRun {
        walkthrough,
        passed,
    })
}

/// The key's attempts of one typology.
fn attempts<'k>(key: &'k Generated, typology: &'k str) -> impl Iterator<Item = &'k Attempt> {
    key.attempts.iter().filter(move |a| a.typology == typology)
}

/// The ledger index of a data row.
fn index_of(graph: &FlowGraph, row: u32) -> Option<usize> {
    graph.ledger().source_rows().iter().position(|&r| r == row)
}

fn structuring(graph: &FlowGraph, key: &Generated) -> (String, bool, String) {
    let mut out =
        String::from("SCENARIO: cash deposits kept just under 10,000, again and again.\n\n");
    let data = Valued::implied(graph, "USD");
    let found = StructuringDetector::default().detect(&data);
    let _ = writeln!(out, "The detector's findings:");
    for f in &found.findings {
        let _ = writeln!(out, "  {}", f.explanation);
    }
    let mut ok = true;
    let _ = writeln!(out, "\nThe answer key:");
    let l = graph.ledger();
    for attempt in attempts(key, "structuring") {
        let Some(account) = attempt.accounts.iter().find(|a| *a != "CASH") else {
            continue;
        };
        let total: rust_decimal::Decimal = attempt
            .rows
            .iter()
            .filter_map(|&r| index_of(graph, r))
            .map(|i| l.amounts_paid()[i])
            .sum();
        let hit = found
            .findings
            .iter()
            .any(|f| f.accounts.first().map(|&a| data.key(a)) == Some(account.as_str()));
        let _ = writeln!(
            out,
            "  {account}: {} deposits, {} in all — {}",
            attempt.rows.len(),
            crate::format::amount(total, 2),
            if hit { "found" } else { "MISSED" }
        );
        ok &= hit;
    }
    let _ = writeln!(
        out,
        "\n{}",
        if ok {
            "Check passed: every structured account was found."
        } else {
            "Check failed: a structured account was missed."
        }
    );
    let questions = "1. Run `moneytrail analyze --input transactions.csv --out results/` and read the \
                     structuring findings in `results/report.html`.\n\
                     2. Which accounts received repeated cash deposits just under 10,000? How many \
                     deposits, and how much in all?\n\
                     3. Which honest accounts also deposit just under the threshold, and what tells \
                     them apart?";
    (out, ok, questions.to_string())
}

fn ransom_trace(graph: &FlowGraph, key: &Generated) -> Result<(String, bool, String)> {
    let l = graph.ledger();
    let attempt = attempts(key, "virtual_currency_layering")
        .next()
        .ok_or_else(|| Error::invalid("the training set has no virtual-currency attempt"))?;
    let (Some(&first_row), Some(&last_row)) =
        (attempt.rows.iter().min(), attempt.rows.iter().max())
    else {
        return Err(Error::invalid("the attempt has no rows"));
    };
    let (Some(first), Some(last)) = (index_of(graph, first_row), index_of(graph, last_row)) else {
        return Err(Error::invalid("the attempt's rows are not in the data"));
    };
    let mut out = format!(
        "SCENARIO: {} pays {} to an exchange (row {first_row}). Where is it now?\n\n",
        l.account(l.froms()[first]).key,
        l.show(l.amounts_paid()[first], l.assets_paid()[first])
    );
    let balances = Balances::new(l, &Default::default());
    let options = TraceOptions {
        rule: Rule::Lifo,
        ..TraceOptions::default()
    };
    let seed = [Seed::Transfer {
        transfer: TransferId(first as u32),
        amount: None,
    }];
    let t = trace(graph, &balances, &seed, &options)?;
    let _ = writeln!(out, "Largest holdings under lifo:");
    for h in t.holdings.iter().take(8) {
        let _ = writeln!(
            out,
            "  {:>24} {} ({})",
            l.show(h.amount, h.asset),
            l.account(h.account).key,
            crate::format::count(usize::from(h.hops), "hop")
        );
    }
    let cash_out = l.tos()[last];
    let held = t.holdings.iter().any(|h| h.account == cash_out);
    let _ = writeln!(
        out,
        "\nThe answer key: the money was cashed out to {} ({}).",
        l.account(cash_out).key,
        attempt.description
    );
    let passed = held && t.conserved();
    let _ = writeln!(
        out,
        "\n{}",
        if passed {
            "Check passed: the trace reaches the cash-out account and the books balance."
        } else {
            "Check failed: the trace does not reach the cash-out account."
        }
    );
    let questions = format!(
        "1. The case starts with data row {first_row}, the suspect paying an exchange. Follow it: `moneytrail trace --input \
         transactions.csv --transfer row:{first_row} --rule lifo`.\n\
         2. Through which addresses, mixer and swap did it pass? Which fiat account holds it now?\n\
         3. Trace it again under `--rule haircut`. Why does pro-rata tracing dilute it at an \
         exchange, and which rule would a court accept here?"
    );
    Ok((out, passed, questions))
}

fn suspect_profile(graph: &FlowGraph, key: &Generated) -> Result<(String, bool, String)> {
    let l = graph.ledger();
    let attempt = attempts(key, "pass_through")
        .next()
        .ok_or_else(|| Error::invalid("the training set has no pass-through attempt"))?;
    // the suspect: the account that both receives and pays in the attempt
    let suspect = attempt
        .accounts
        .iter()
        .filter_map(|k| l.account_id(k))
        .max_by_key(|&a| {
            (
                graph.in_degree(a).min(graph.out_degree(a)),
                std::cmp::Reverse(a),
            )
        })
        .ok_or_else(|| Error::invalid("the attempt names no account of the data"))?;
    let key_of = &l.account(suspect).key;
    let mut out = format!("SCENARIO: profile {key_of}.\n\n");
    let data = Valued::implied(graph, "USD");
    let mut by_counterparty: BTreeMap<(&str, &str), (usize, rust_decimal::Decimal)> =
        BTreeMap::new();
    for (direction, adjacent) in [
        ("from", graph.incoming(suspect, ..)),
        ("to", graph.outgoing(suspect, ..)),
    ] {
        for (_, t, peer) in adjacent.iter() {
            let e = by_counterparty
                .entry((direction, l.account(peer).key.as_str()))
                .or_default();
            e.0 += 1;
            e.1 += data.value[t.index()];
        }
    }
    let _ = writeln!(out, "Money in and out, by counterparty:");
    for ((d, k), (n, value)) in &by_counterparty {
        let _ = writeln!(
            out,
            "  {d:>4} {k:<28} {:>14} {:>18}",
            crate::format::count(*n, "transfer"),
            data.money(*value)
        );
    }
    let analysis = analyze(&data, &DetectConfig::default(), |_| {});
    let mine: Vec<_> = analysis
        .findings
        .iter()
        .filter(|f| f.accounts.contains(&suspect))
        .collect();
    let _ = writeln!(out, "\nFindings that involve the suspect:");
    for f in &mine {
        let _ = writeln!(
            out,
            "  {:<15} {:.2}  {}",
            f.typology, f.score, f.explanation
        );
    }
    let balances = Balances::new(l, &Default::default());
    let asset = l.assets_received()[graph.incoming(suspect, ..).transfer[0].index()];
    let options = TraceOptions {
        rule: Rule::Fifo,
        ..TraceOptions::default()
    };
    let end = l.times_us().last().copied().unwrap_or(0);
    let target = Target::Balance {
        account: suspect,
        asset,
        at: end,
    };
    let sof = sources_of_funds(graph, &balances, target, &options, 1000)?;
    let _ = writeln!(
        out,
        "\nIts balance at the end, {}, came from {} ({} untraced).",
        l.show(sof.target_amount, asset),
        crate::format::count(sof.sources.len(), "source"),
        l.show(sof.untraced, asset)
    );
    let named = mine
        .iter()
        .any(|f| f.typology == Typology::PassThrough && f.accounts[0] == suspect);
    let _ = writeln!(out, "\nThe answer key: {}.", attempt.description);
    let _ = writeln!(
        out,
        "\n{}",
        if named {
            "Check passed: the detectors name the suspect a pass-through account."
        } else {
            "Check failed: no pass-through finding names the suspect."
        }
    );
    let questions = format!(
        "1. `moneytrail account {key_of} --input transactions.csv`: who paid it, whom did it pay, \
         and how fast did money leave?\n\
         2. Which laundering shapes does it take part in (`moneytrail analyze`)?\n\
         3. Where did the money left in it come from (`moneytrail trace --account {key_of} \
         --backward`), and where did what it paid go (`--sent`)?"
    );
    Ok((out, named, questions))
}
