//! `moneytrail generate`: a synthetic training set and its answer key.

use crate::args::{DifficultyArg, GenFormatArg, GenerateArgs, PresetArg};
use anyhow::Context;
use moneytrail::synth::training::{self, Difficulty, OutputFormat, TrainingSpec};
use std::time::Instant;

fn spec(args: &GenerateArgs) -> anyhow::Result<TrainingSpec> {
    let name = match args.preset {
        PresetArg::Tiny => "tiny",
        PresetArg::Small => "small",
        PresetArg::Medium => "medium",
        PresetArg::Large => "large",
    };
    let mut spec = TrainingSpec::preset(name).context("unknown preset")?;
    spec.accounts = args.accounts.unwrap_or(spec.accounts);
    spec.transfers = args.transfers.unwrap_or(spec.transfers);
    spec.days = args.days.unwrap_or(spec.days).max(1);
    spec.per_typology = args.per_typology.unwrap_or(spec.per_typology);
    spec.seed = args.seed;
    spec.difficulty = match args.difficulty {
        DifficultyArg::Easy => Difficulty::Easy,
        DifficultyArg::Normal => Difficulty::Normal,
        DifficultyArg::Hard => Difficulty::Hard,
    };
    spec.format = match args.format {
        GenFormatArg::Transfers => OutputFormat::Transfers,
        GenFormatArg::Amlworld => OutputFormat::AmlWorld,
    };
    spec.parquet = args.parquet;
    if let Some(path) = &args.plan {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        spec.plan = training::plan_from_toml(&text)
            .with_context(|| format!("{}: not a valid plan", path.display()))?;
    }
    Ok(spec)
}

pub(crate) fn run(args: &GenerateArgs) -> anyhow::Result<()> {
    let spec = spec(args)?;
    let started = Instant::now();
    let generated = training::generate(&spec, &args.out)
        .with_context(|| format!("cannot write into {}", args.out.display()))?;
    println!(
        "wrote {} transfers among {} accounts, {} planted attempts, in {:.2}s to {} (transactions.{}, accounts.csv, truth.json, patterns.txt)",
        generated.rows,
        generated.accounts,
        generated.attempts.len(),
        started.elapsed().as_secs_f64(),
        args.out.display(),
        if args.parquet { "parquet" } else { "csv" }
    );
    if let Some(dir) = &args.trainee {
        let written = moneytrail::synth::trainee_copy(&args.out, dir)
            .with_context(|| format!("cannot write the trainee's copy into {}", dir.display()))?;
        println!(
            "wrote the trainee's copy to {} ({}: no labels, roles or answer key; keep {} for grading)",
            dir.display(),
            written.join(", "),
            args.out.display()
        );
    }
    Ok(())
}
