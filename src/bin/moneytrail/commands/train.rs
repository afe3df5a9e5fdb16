//! `moneytrail train`: features of labelled transfers, gradient-boosted
//! trees, metrics.json and the model folder.

use crate::args::TrainArgs;
use crate::{output, setup};
use anyhow::Context;
use moneytrail::features::transfer_features;
use moneytrail::format::count;
use moneytrail::learn::{labels_for, train_on, TrainOptions};
use moneytrail::FlowGraph;
use std::io::Write;
use std::time::Instant;

pub(crate) fn run(args: &TrainArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let loaded = setup::load(&args.input)?;
    let input = loaded.report.path.clone();
    let graph = FlowGraph::new(loaded.ledger);
    let (labels, source) = labels_for(graph.ledger(), &input, args.labels.as_deref())?;
    let currency = args.features.currency.to_ascii_uppercase();
    let data = setup::valued(&graph, &args.input, args.features.fx.as_ref(), &currency)?;
    let seconds_load = started.elapsed().as_secs_f64();
    let options = TrainOptions {
        features: setup::feature_options(&args.features),
        rounds: args.rounds,
        seed: args.seed,
        validation_share: args.validation_share,
        negative_share: args.negative_share,
        ..TrainOptions::default()
    };
    let started = Instant::now();
    let features = transfer_features(&data, &options.features);
    for w in &features.warnings {
        eprintln!("warning: {w}");
    }
    let seconds_features = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let trained = train_on(&data, &features, &labels, &options)?;
    let seconds_train = started.elapsed().as_secs_f64();
    trained.model.save(&args.out)?;
    let m = &trained.metrics;
    let path = args.out.join("metrics.json");
    let mut record = serde_json::to_value(m)?;
    record["input"] = input.display().to_string().into();
    record["labels"] = source.clone().into();
    record["level"] = labels.level().noun().into();
    record["seconds"] = serde_json::json!({
        "load": seconds_load, "features": seconds_features, "train": seconds_train
    });
    record["threads"] = rayon::current_num_threads().into();
    record["seed"] = args.seed.into();
    let text = serde_json::to_string_pretty(&record)?;
    std::fs::write(&path, text + "\n")
        .with_context(|| format!("cannot write {}", path.display()))?;
    let mut out = output::stdout();
    let v = &m.validation;
    writeln!(
        out,
        "{}: {} ({}), labels from {source}",
        input.display(),
        count(graph.ledger().len(), "transfer"),
        count(graph.account_count(), "account")
    )?;
    let noun = labels.level().noun();
    writeln!(
        out,
        "{noun}-level model; training part: {} laundering, {} other {noun}s; validation part (from {}): {} laundering, {} other",
        m.train_counts.positive,
        m.train_counts.negative,
        m.validation_from,
        m.validation_counts.positive,
        m.validation_counts.negative
    )?;
    if let Some(learnt) = m
        .learnt_counts
        .filter(|c| c.negative < m.train_counts.negative)
    {
        writeln!(
            out,
            "the trees learnt from every laundering {noun} and a sample of {} of the other {} (--negative-share), weighted to stand for them all",
            learnt.negative, m.train_counts.negative
        )?;
    }
    writeln!(
        out,
        "validation: F1 {:.3}, precision {:.3}, recall {:.3}, PR-AUC {:.3} at threshold {:.4}; {}",
        v.f1,
        v.precision,
        v.recall,
        v.pr_auc,
        v.threshold,
        count(m.trees, "tree")
    )?;
    let top: Vec<String> = m
        .importances
        .iter()
        .take(5)
        .map(|(name, share)| format!("{name} {:.0}%", share * 100.0))
        .collect();
    writeln!(out, "features that matter most: {}", top.join(", "))?;
    writeln!(
        out,
        "times: load {seconds_load:.2}s, features {seconds_features:.2}s, training {seconds_train:.2}s"
    )?;
    writeln!(
        out,
        "wrote the model and metrics.json to {}; score with `moneytrail analyze --model {} --out DIR`",
        args.out.display(),
        args.out.display()
    )?;
    out.flush()?;
    Ok(())
}
