use super::*;
use crate::{FlowGraph, LedgerBuilder, NewTransfer};
use proptest::prelude::*;
use rust_decimal::Decimal;

const HOUR: i64 = 3_600_000_000;

/// Random payments among 60 accounts over 30 days, and every day a mule
/// that 8 fresh accounts pay within two hours and that forwards it all:
/// the mule's transfers are labelled laundering. `with_labels: false`
/// gives the same ledger without a label column.
fn ledger(with_labels: bool) -> FlowGraph {
    let mut b = LedgerBuilder::new();
    let usd = b.asset("USD").unwrap();
    let people: Vec<_> = (0..60).map(|i| b.account(&format!("p{i}"))).collect();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    let mut row = 0u32;
    let mut push = |b: &mut LedgerBuilder, t: i64, from, to, cents: u64, bad: bool| {
        let mut x = NewTransfer::simple(t, from, to, Decimal::new(cents as i64, 2), usd, row);
        x.laundering = with_labels.then_some(bad);
        b.push(x);
        row += 1;
    };
    for day in 0..30i64 {
        for _ in 0..80 {
            let (a, c) = (next(60) as usize, next(60) as usize);
            if a != c {
                let t = day * 24 * HOUR + next(24 * 3600) as i64 * 1_000_000;
                push(&mut b, t, people[a], people[c], 1_000 + next(50_000), false);
            }
        }
        let mule = b.account(&format!("mule{day}"));
        let exit = people[next(60) as usize];
        let start = day * 24 * HOUR + 10 * HOUR;
        let mut total = 0;
        for k in 0..8 {
            let payer = b.account(&format!("feeder{day}_{k}"));
            let cents = 900_000 + next(90_000);
            total += cents;
            push(&mut b, start + k * 600_000_000, payer, mule, cents, true);
        }
        push(&mut b, start + 2 * HOUR, mule, exit, total - 1_000, true);
    }
    FlowGraph::new(b.finish().unwrap())
}

fn options() -> TrainOptions {
    TrainOptions {
        rounds: 60,
        ..TrainOptions::default()
    }
}

fn trained(graph: &FlowGraph) -> Trained {
    let data = Valued::implied(graph, "USD");
    let labels = ledger_labels(graph.ledger()).unwrap();
    let features = transfer_features(&data, &options().features);
    train(&data, &features, &labels, &options()).unwrap()
}

#[test]
fn a_model_learns_the_planted_mules_and_reports_its_split() {
    let g = ledger(true);
    let t = trained(&g);
    let m = &t.metrics;
    assert!(m.validation.f1 > 0.9, "{m:?}");
    assert!(m.validation.pr_auc > 0.9, "{m:?}");
    let total = m.train_counts.positive
        + m.train_counts.negative
        + m.validation_counts.positive
        + m.validation_counts.negative;
    assert_eq!(total, g.ledger().len());
    let validating = m.validation_counts.positive + m.validation_counts.negative;
    assert_eq!(validating, (g.ledger().len() as f64 * 0.2).ceil() as usize);
    assert_eq!(
        m.train_counts.positive + m.validation_counts.positive,
        30 * 9
    );
    assert!(m.trees >= 1 && m.trees <= 60);
    let sum: f64 = m.importances.iter().map(|(_, v)| v).sum();
    assert!((sum - 1.0).abs() < 1e-4, "{sum}");
}

#[test]
fn one_thread_or_two_give_the_same_model_and_scores() {
    let g = ledger(true);
    let run = |threads| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let t = trained(&g);
            let scores = t.model.score(&Valued::implied(&g, "USD")).unwrap();
            (t.model.booster.json_dump().unwrap(), scores, t.metrics)
        })
    };
    let (one, two) = (run(1), run(2));
    assert_eq!(one.0, two.0);
    assert_eq!(one.1, two.1);
    assert_eq!(one.2, two.2);
}

#[test]
fn a_saved_model_loads_and_scores_the_same() {
    let g = ledger(true);
    let data = Valued::implied(&g, "USD");
    let t = trained(&g);
    let dir = tempfile::tempdir().unwrap();
    t.model.save(dir.path()).unwrap();
    let back = Model::load(dir.path()).unwrap();
    assert_eq!(back.spec, t.model.spec);
    assert_eq!(back.threshold, t.model.threshold);
    assert_eq!(back.score(&data).unwrap(), t.model.score(&data).unwrap());
}

#[test]
fn scoring_never_reads_the_labels() {
    let (labelled, bare) = (ledger(true), ledger(false));
    assert!(ledger_labels(bare.ledger()).is_none());
    let model = trained(&labelled).model;
    let a = model.score(&Valued::implied(&labelled, "USD")).unwrap();
    let b = model.score(&Valued::implied(&bare, "USD")).unwrap();
    assert_eq!(a, b);
    assert!(a.flagged.iter().any(|&f| f));
}

#[test]
fn flagged_transfers_are_explained_by_what_raised_their_score() {
    let g = ledger(true);
    let data = Valued::implied(&g, "USD");
    let model = trained(&g).model;
    let features = model.features(&data).unwrap();
    let scores = model.score_features(&features);
    let flagged: Vec<TransferId> = (0..g.ledger().len() as u32)
        .map(TransferId)
        .filter(|t| scores.flagged[t.index()])
        .collect();
    let reasons = model.explain(&features, &flagged, 3);
    assert_eq!(reasons.len(), flagged.len());
    for r in &reasons {
        assert!(!r.is_empty() && r.len() <= 3);
        assert!(r.windows(2).all(|w| w[0].contribution >= w[1].contribution));
        assert!(r
            .iter()
            .all(|x| x.contribution > 0.0 && !x.words.is_empty()));
    }
}

#[test]
fn labels_without_a_positive_are_refused_with_a_reason() {
    let g = ledger(true);
    let data = Valued::implied(&g, "USD");
    let features = transfer_features(&data, &options().features);
    let none = vec![false; g.ledger().len()];
    let e = train(&data, &features, &none, &options()).unwrap_err();
    assert!(e.to_string().contains("none of the"), "{e}");
    // Positives only in the first half: the validation part has none.
    let mut early = vec![false; g.ledger().len()];
    early[0] = true;
    let e = train(&data, &features, &early, &options()).unwrap_err();
    assert!(e.to_string().contains("validation part"), "{e}");
}

#[test]
fn a_model_refuses_other_features_another_currency_and_damaged_files() {
    let g = ledger(true);
    let model = trained(&g).model;
    let dir = tempfile::tempdir().unwrap();
    model.save(dir.path()).unwrap();
    let path = dir.path().join(MODEL_FILE);
    let text = std::fs::read_to_string(&path).unwrap();

    let renamed = text.replace("\"payee_in_fan\"", "\"payee_in_fans\"");
    std::fs::write(&path, &renamed).unwrap();
    let e = Model::load(dir.path())
        .unwrap()
        .score(&Valued::implied(&g, "USD"))
        .unwrap_err();
    assert!(e.to_string().contains("missing: [payee_in_fans]"), "{e}");
    assert!(e.to_string().contains("new: [payee_in_fan]"), "{e}");

    std::fs::write(&path, &text).unwrap();
    let e = Model::load(dir.path())
        .unwrap()
        .score(&Valued::implied(&g, "EUR"))
        .unwrap_err();
    assert!(e.to_string().contains("--currency USD"), "{e}");

    let current = format!("\"format\": {MODEL_FORMAT}");
    assert!(text.contains(&current), "{text}");
    let old = text.replace(&current, "\"format\": 1");
    std::fs::write(&path, &old).unwrap();
    let e = Model::load(dir.path()).unwrap_err();
    assert!(e.to_string().contains("model format 1"), "{e}");

    std::fs::write(&path, &text).unwrap();
    let trees = dir.path().join(TREES_FILE);
    let json = std::fs::read_to_string(&trees).unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(damage_first_split(&mut value), "no split in {TREES_FILE}");
    std::fs::write(&trees, value.to_string()).unwrap();
    let e = Model::load(dir.path()).unwrap_err();
    assert!(
        e.to_string().contains("node") && e.to_string().contains("damaged"),
        "{e}"
    );
    std::fs::write(&trees, &json[..json.len() / 2]).unwrap();
    let e = Model::load(dir.path()).unwrap_err();
    assert!(e.to_string().contains("not a forust model"), "{e}");
}

/// Point the first split found to a feature no data has.
fn damage_first_split(v: &mut serde_json::Value) -> bool {
    match v {
        serde_json::Value::Object(map) => {
            if map.get("is_leaf") == Some(&serde_json::Value::Bool(false)) {
                map.insert("split_feature".into(), 999.into());
                return true;
            }
            map.values_mut().any(damage_first_split)
        }
        serde_json::Value::Array(items) => items.iter_mut().any(damage_first_split),
        _ => false,
    }
}

/// F1 of flagging `score ≥ threshold`, the slow way.
fn f1_at(scores: &[f64], truth: &[bool], threshold: f64) -> f64 {
    let flagged = scores.iter().filter(|&&s| s >= threshold).count();
    let hits = scores
        .iter()
        .zip(truth)
        .filter(|(&s, &t)| s >= threshold && t)
        .count();
    let positives = truth.iter().filter(|&&t| t).count();
    if hits == 0 {
        return 0.0;
    }
    let (p, r) = (hits as f64 / flagged as f64, hits as f64 / positives as f64);
    2.0 * p * r / (p + r)
}

proptest! {
    #[test]
    fn the_chosen_threshold_has_the_best_f1_of_any(
        pairs in proptest::collection::vec((0u8..20, any::<bool>()), 1..60)
    ) {
        let scores: Vec<f64> = pairs.iter().map(|p| f64::from(p.0) / 20.0).collect();
        let truth: Vec<bool> = pairs.iter().map(|p| p.1).collect();
        let q = best_threshold(&scores, &truth);
        let best = scores.iter().map(|&t| f1_at(&scores, &truth, t)).fold(0.0, f64::max);
        prop_assert!((q.f1 - best).abs() < 1e-12);
        if best > 0.0 {
            prop_assert!((f1_at(&scores, &truth, q.threshold) - q.f1).abs() < 1e-12);
        }
        // Average precision: mean, over the positives, of the precision
        // at the lowest threshold that still flags each.
        let positives = truth.iter().filter(|&&t| t).count();
        if positives > 0 {
            let ap: f64 = scores.iter().zip(&truth).filter(|p| *p.1).map(|(&s, _)| {
                let flagged = scores.iter().filter(|&&x| x >= s).count();
                let hits = scores.iter().zip(&truth).filter(|(&x, &t)| x >= s && t).count();
                hits as f64 / flagged as f64
            }).sum::<f64>() / positives as f64;
            prop_assert!((q.pr_auc - ap).abs() < 1e-9, "{} {}", q.pr_auc, ap);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn the_negative_sample_keeps_every_positive_and_about_the_share(
        positives in prop::collection::btree_set(0usize..200_000, 1..50),
        share in 0.05f64..1.0,
        seed in any::<u64>(),
    ) {
        let rows: Vec<usize> = (0..200_000).collect();
        let label_of = |r: usize| positives.contains(&r);
        let negatives = rows.len() - positives.len();
        let (kept, weight) = sample_negatives(&rows, &label_of, negatives, share, seed);
        prop_assert!(positives.iter().all(|p| kept.binary_search(p).is_ok()));
        let effective = share.max(NEGATIVES_KEPT_AT_LEAST as f64 / negatives as f64).min(1.0);
        prop_assert!((weight - 1.0 / effective).abs() < 1e-12);
        let others = (kept.len() - positives.len()) as f64;
        let expected = effective * negatives as f64;
        // a binomial count: within 6 standard deviations
        let spread = 6.0 * (expected * (1.0 - effective)).sqrt() + 1.0;
        prop_assert!((others - expected).abs() <= spread, "{others} kept, {expected} expected");
        // the same seed keeps the same rows
        prop_assert_eq!(sample_negatives(&rows, &label_of, negatives, share, seed).0, kept);
    }
}

#[test]
fn small_training_parts_keep_every_row() {
    let rows: Vec<usize> = (0..1_000).collect();
    let (kept, weight) = sample_negatives(&rows, &|r| r == 3, 999, 0.1, 7);
    assert_eq!((kept.len(), weight), (1_000, 1.0));
}
