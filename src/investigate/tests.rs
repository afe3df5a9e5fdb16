//! Case files on a hand-built ledger: flows reconcile, links and paths
//! between subjects, one thread equals many, pseudonyms hide every key.

use super::*;
use crate::fx::FxTable;
use crate::graph::FlowGraph;
use crate::ledger::{LedgerBuilder, NewTransfer};
use crate::valued::Valued;

const H: i64 = 3_600_000_000;

fn graph() -> FlowGraph {
    let mut b = LedgerBuilder::new();
    let usd = b.asset("USD").unwrap();
    let mut row = 0;
    let mut pay = |b: &mut LedgerBuilder, f: &str, t: &str, hour: i64, amount: i64| {
        let (f, t) = (b.account(f), b.account(t));
        b.push(NewTransfer::simple(
            hour * H,
            f,
            t,
            Decimal::from(amount),
            usd,
            row,
        ));
        row += 1;
    };
    pay(&mut b, "employer", "alice", 0, 5_000);
    pay(&mut b, "alice", "mule1", 1, 3_000);
    pay(&mut b, "mule1", "bob", 2, 2_900);
    pay(&mut b, "alice", "shop", 3, 200);
    pay(&mut b, "bob", "shop", 4, 100);
    pay(&mut b, "carol", "shop", 5, 50);
    pay(&mut b, "bob", "offshore", 6, 2_000);
    let d = b.account("dave");
    b.describe_account(d, Some("Bank D"), Some("DE"), None);
    pay(&mut b, "dave", "alice", 7, 10);
    FlowGraph::new(b.finish().unwrap())
}

fn subjects() -> Vec<SubjectSpec> {
    [
        ("C1", "alice"),
        ("C1", "bob"),
        ("C2", "carol"),
        ("C3", "nobody"),
    ]
    .iter()
    .map(|(r, s)| SubjectSpec {
        case_ref: r.to_string(),
        subject: s.to_string(),
        ..SubjectSpec::default()
    })
    .collect()
}

fn run(g: &FlowGraph) -> Vec<CaseFile> {
    let data = Valued::new(g, FxTable::implied(g.ledger(), "USD"));
    let balances = Balances::new(g.ledger(), &Default::default());
    let inv = Investigation::new(&data, &[], &balances, InvestigateOptions::default());
    inv.run(&subjects()).unwrap()
}

#[test]
fn a_case_file_reconciles_and_links_the_subjects_of_a_case() {
    let g = graph();
    let cases = run(&g);
    let alice = &cases[0];
    assert!(alice.found);
    assert_eq!(alice.total.value_in, Decimal::from(5_010));
    assert_eq!(alice.total.value_out, Decimal::from(3_200));
    let cp_in: Decimal = alice.counterparties.iter().map(|c| c.value_in).sum();
    let cp_out: Decimal = alice.counterparties.iter().map(|c| c.value_out).sum();
    assert_eq!(
        (cp_in, cp_out),
        (alice.total.value_in, alice.total.value_out)
    );
    assert_eq!(alice.counterparties[0].key, "employer", "largest first");
    assert!(alice
        .jurisdictions
        .iter()
        .any(|j| j.key == "DE" && j.value_in == Decimal::from(10)));
    // alice's closing balance 1,810 is freezable and explained backward
    assert_eq!(alice.freezable[0].account, "alice");
    assert_eq!(alice.freezable[0].amount, Decimal::from(1_810));
    assert_eq!(alice.backward[0].balance, Decimal::from(1_810));
    assert_eq!(
        alice.backward[0].traced + alice.backward[0].untraced,
        Decimal::from(1_810)
    );
    // the forward trace of what alice paid reaches bob and offshore
    let fw = alice.forward.as_ref().unwrap();
    assert!(fw.conserved);
    assert!(fw.holdings.iter().any(|h| h.account == "offshore"));
    // alice and bob: same case, a shared counterparty (shop) and a path through mule1
    let link = alice.links.iter().find(|l| l.subject == "bob").unwrap();
    assert_eq!(link.shared_counterparties, ["mule1", "shop"]);
    assert_eq!(link.paths_to[0].accounts, ["alice", "mule1", "bob"]);
    assert!(
        link.paths_from.is_empty(),
        "no money went from bob to alice"
    );
    // carol shares shop with alice but is in another case: no path search
    let to_carol = alice.links.iter().find(|l| l.subject == "carol").unwrap();
    assert!(to_carol.paths_to.is_empty() && to_carol.shared_count == 1);
    assert!(!cases[3].found, "a subject not in the data says so");
}

#[test]
fn one_thread_gives_the_same_case_files_as_many() {
    let g = graph();
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| run(&g));
    let four = rayon::ThreadPoolBuilder::new()
        .num_threads(4)
        .build()
        .unwrap()
        .install(|| run(&g));
    assert_eq!(
        serde_json::to_string(&one).unwrap(),
        serde_json::to_string(&four).unwrap()
    );
}

#[test]
fn pseudonyms_hide_every_key_and_match_across_files() {
    let g = graph();
    let mut cases = run(&g);
    let p = Pseudonymiser::new(b"shared secret of two FIUs");
    for c in &mut cases {
        c.pseudonymise(&p);
    }
    let text = serde_json::to_string(&cases).unwrap();
    for a in g.ledger().accounts() {
        assert!(
            !text.contains(&format!("\"{}\"", a.key)),
            "{} leaked",
            a.key
        );
    }
    // bob in alice's links is the same pseudonym as bob's own case file
    let bob = &cases[1].subject;
    assert!(cases[0].links.iter().any(|l| &l.subject == bob));
    assert_eq!(bob, &p.pseudonym("bob"));
    assert_ne!(bob, &Pseudonymiser::new(b"another key").pseudonym("bob"));
    // amounts and structure are kept
    assert_eq!(cases[0].total.value_in, Decimal::from(5_010));
}
