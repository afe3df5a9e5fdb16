//! The trainee's copy of a generated training set: the same transfers and
//! accounts with every answer taken out — no `label` (or `Is Laundering`)
//! column, no `role` or `laundering` column in accounts.csv, no truth.json
//! and no patterns.txt — so that the folder handed to trainees cannot give
//! the exercise away, while the trainer keeps the full set to grade with.

use crate::error::{Error, Result};
use std::path::Path;

/// Columns that carry the answer, in any file of a training set.
const ANSWER_COLUMNS: &[&str] = &["label", "Is Laundering", "role", "laundering"];

/// The files of a trainer's folder that go to trainees, answers dropped.
const SHARED_FILES: &[&str] = &["transactions.csv", "accounts.csv"];

/// Split one CSV line into its raw fields (quotes kept as written), so a
/// field is copied byte for byte.
fn raw_fields(line: &str) -> Vec<&str> {
    let mut fields = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                fields.push(&line[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    fields.push(&line[start..]);
    fields
}

/// A CSV text without the answer columns (named in its header).
fn without_answers(text: &str) -> String {
    let mut lines = text.lines();
    let Some(header) = lines.next() else {
        return String::new();
    };
    let keep: Vec<bool> = raw_fields(header)
        .iter()
        .map(|name| !ANSWER_COLUMNS.contains(&name.trim_matches('"')))
        .collect();
    let mut out = String::with_capacity(text.len());
    for line in std::iter::once(header).chain(lines) {
        let kept: Vec<&str> = raw_fields(line)
            .into_iter()
            .zip(keep.iter().chain(std::iter::repeat(&true)))
            .filter(|(_, &k)| k)
            .map(|(f, _)| f)
            .collect();
        out.push_str(&kept.join(","));
        out.push('\n');
    }
    out
}

/// A Parquet file without the answer columns (read whole, the kept
/// columns only).
fn parquet_without_answers(from: &Path, to: &Path) -> Result<()> {
    use polars::prelude::*;
    let bad = |e: PolarsError| Error::invalid(format!("{}: {e}", from.display()));
    let open = || std::fs::File::open(from).map_err(|e| Error::io(from, e));
    let schema = ParquetReader::new(open()?).schema().map_err(bad)?;
    let kept: Vec<String> = schema
        .iter_names()
        .map(|n| n.to_string())
        .filter(|n| !ANSWER_COLUMNS.contains(&n.as_str()))
        .collect();
    let mut df = ParquetReader::new(open()?)
        .with_columns(Some(kept))
        .finish()
        .map_err(bad)?;
    let file = std::fs::File::create(to).map_err(|e| Error::io(to, e))?;
    ParquetWriter::new(std::io::BufWriter::new(file))
        .finish(&mut df)
        .map_err(|e| Error::invalid(format!("{}: {e}", to.display())))?;
    Ok(())
}

/// Write the trainee's copy of the training set in `trainer` into
/// `trainee`: `transactions.csv` (or `transactions.parquet`, for a set
/// made with `parquet`) and `accounts.csv` (and `accounts.parquet` where
/// there is one) without their answer columns. Returns the files written.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let (trainer, trainee) = (dir.path().join("trainer"), dir.path().join("trainee"));
/// let mut spec = moneytrail::synth::training::TrainingSpec::preset("tiny").unwrap();
/// spec.transfers = 2_000;
/// moneytrail::synth::training::generate(&spec, &trainer).unwrap();
/// moneytrail::synth::trainee_copy(&trainer, &trainee).unwrap();
/// let header = std::fs::read_to_string(trainee.join("transactions.csv")).unwrap();
/// assert!(!header.lines().next().unwrap().split(',').any(|c| c == "label"));
/// assert!(!trainee.join("truth.json").exists());
/// ```
///
/// # Errors
///
/// When the trainer's folder lacks a file of the set, or a file cannot be
/// read or written.
pub fn trainee_copy(trainer: &Path, trainee: &Path) -> Result<Vec<String>> {
    std::fs::create_dir_all(trainee).map_err(|e| Error::io(trainee, e))?;
    let mut written = Vec::new();
    for name in SHARED_FILES {
        let from = trainer.join(name);
        let parquet = from.with_extension("parquet");
        if parquet.is_file() {
            let name = parquet.file_name().expect("a file").to_string_lossy();
            parquet_without_answers(&parquet, &trainee.join(&*name))?;
            written.push(name.into_owned());
        }
        if !from.is_file() && parquet.is_file() {
            continue; // a Parquet-only transactions file
        }
        let text = std::fs::read_to_string(&from).map_err(|e| Error::io(&from, e))?;
        let to = trainee.join(name);
        std::fs::write(&to, without_answers(&text)).map_err(|e| Error::io(&to, e))?;
        written.push((*name).to_string());
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parquet_set_gets_a_parquet_copy_without_answers() {
        let dir = tempfile::tempdir().unwrap();
        let (trainer, trainee) = (dir.path().join("trainer"), dir.path().join("trainee"));
        let mut spec = crate::synth::training::TrainingSpec::preset("tiny").unwrap();
        spec.transfers = 2_000;
        spec.parquet = true;
        crate::synth::training::generate(&spec, &trainer).unwrap();
        let written = trainee_copy(&trainer, &trainee).unwrap();
        assert_eq!(
            written,
            ["transactions.parquet", "accounts.parquet", "accounts.csv"]
        );
        let columns = |path: &Path| -> (Vec<String>, usize) {
            use polars::prelude::*;
            let df = ParquetReader::new(std::fs::File::open(path).unwrap())
                .finish()
                .unwrap();
            let names = df
                .get_column_names()
                .iter()
                .map(|n| n.to_string())
                .collect();
            (names, df.height())
        };
        let (theirs, rows) = columns(&trainee.join("transactions.parquet"));
        let (ours, all) = columns(&trainer.join("transactions.parquet"));
        assert!(ours.contains(&"label".to_string()), "{ours:?}");
        assert!(!theirs.contains(&"label".to_string()), "{theirs:?}");
        assert_eq!(theirs.len() + 1, ours.len());
        assert_eq!(rows, all, "every transfer is in the copy");
        let (accounts, _) = columns(&trainee.join("accounts.parquet"));
        assert!(
            !accounts.iter().any(|c| c == "role" || c == "laundering"),
            "{accounts:?}"
        );
    }

    #[test]
    fn answer_columns_go_and_quoted_fields_stay_whole() {
        let text = "a,label,\"b\"\n1,0,\"x,y\"\n2,1,z\n";
        assert_eq!(without_answers(text), "a,\"b\"\n1,\"x,y\"\n2,z\n");
        let accounts = "account,kind,role,laundering\nk,bank,mule,1\n";
        assert_eq!(without_answers(accounts), "account,kind\nk,bank\n");
    }
}
