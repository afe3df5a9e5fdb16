//! Answer keys: which transfers and accounts are laundering, for grading
//! findings ([`score`](crate::score)).

use super::LoadOptions;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

/// Read an answer key, recognising its format: moneytrail's `truth.json`,
/// an IBM AMLworld patterns file (matched to the analysed `input`'s rows by
/// content), AMLSim `nodes.csv`, or any labelled transactions file.
///
/// # Errors
///
/// When the file cannot be read or parsed, or a patterns file is given
/// without the input.
pub fn read_truth(path: &Path, input: Option<&Path>) -> Result<Truth> {
    Truth::load(path, input)
}

/// One labelled laundering attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TruthAttempt {
    /// Its id in the answer key.
    #[serde(default)]
    pub id: String,
    /// Typology (snake_case).
    pub typology: String,
    /// 0-based data rows of the analysed input.
    pub rows: Vec<u32>,
    /// Account keys, when the key lists them.
    #[serde(default)]
    pub accounts: Vec<String>,
}

/// An answer key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Truth {
    /// Where it came from, in words.
    pub source: String,
    /// Labelled attempts (empty for per-row or per-account labels).
    pub attempts: Vec<TruthAttempt>,
    /// Rows labelled as laundering, when the key says which.
    pub rows: Option<BTreeSet<u32>>,
    /// Accounts labelled as laundering, when the key says which.
    pub accounts: Option<BTreeSet<String>>,
    /// Attempt rows the input does not contain (patterns matched by content).
    pub unmatched_rows: usize,
}

#[derive(Deserialize)]
struct AnswerKey {
    attempts: Vec<TruthAttempt>,
}

impl Truth {
    /// The part of the key from data row `first` on: each attempt with
    /// rows there, cut to those rows; the labelled rows there; and no
    /// account labels (accounts span both parts).
    ///
    /// ```
    /// use moneytrail::ingest::{Truth, TruthAttempt};
    /// let attempt = |id: &str, rows: Vec<u32>| TruthAttempt {
    ///     id: id.into(), typology: "fan_in".into(), rows, accounts: vec![],
    /// };
    /// let key = Truth {
    ///     attempts: vec![attempt("a", vec![1, 2]), attempt("b", vec![2, 5, 9])],
    ///     rows: Some([1, 2, 5, 9].into()),
    ///     ..Truth::default()
    /// };
    /// let later = key.from_row(3);
    /// assert_eq!(later.attempts.len(), 1);
    /// assert_eq!(later.attempts[0].rows, [5, 9]);
    /// assert_eq!(later.rows, Some([5, 9].into()));
    /// ```
    pub fn from_row(&self, first: u32) -> Truth {
        Truth {
            source: format!("{} from row {first}", self.source),
            attempts: self
                .attempts
                .iter()
                .filter_map(|a| {
                    let rows: Vec<u32> = a.rows.iter().copied().filter(|&r| r >= first).collect();
                    (!rows.is_empty()).then(|| TruthAttempt { rows, ..a.clone() })
                })
                .collect(),
            rows: self
                .rows
                .as_ref()
                .map(|rows| rows.range(first..).copied().collect()),
            accounts: None,
            unmatched_rows: self.unmatched_rows,
        }
    }

    fn load(path: &Path, input: Option<&Path>) -> Result<Truth> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).into_owned();
        let first = head.trim_start();
        let text =
            || String::from_utf8(bytes.clone()).map_err(|_| Error::format(path, "not valid UTF-8"));
        if first.starts_with('{') && path.extension().is_some_and(|e| e == "json") {
            let text = text()?;
            let key: AnswerKey = serde_json::from_str(&text)
                .map_err(|e| Error::format(path, format!("answer key: {e}")))?;
            return Ok(Truth::from_attempts(
                format!("answer key {}", path.display()),
                key.attempts,
                0,
            ));
        }
        if first.starts_with("BEGIN LAUNDERING ATTEMPT") {
            let input = input.ok_or_else(|| {
                Error::invalid("a patterns file is matched to the input by content: give --input")
            })?;
            return Truth::from_patterns(path, input);
        }
        if first.starts_with("nodeid,isFraud") {
            let text = text()?;
            let mut accounts = BTreeSet::new();
            for (i, line) in text.lines().enumerate().skip(1) {
                let mut fields = line.split(',');
                let (Some(node), Some(flag)) = (fields.next(), fields.next()) else {
                    return Err(Error::format(
                        path,
                        format!("line {}: expected nodeid,isFraud", i + 1),
                    ));
                };
                if flag.trim() == "1" {
                    accounts.insert(node.trim().to_string());
                }
            }
            return Ok(Truth {
                source: format!("AMLSim account labels {}", path.display()),
                accounts: Some(accounts),
                ..Truth::default()
            });
        }
        let loaded = super::load(path, &LoadOptions::default())?;
        let l = &loaded.ledger;
        if l.laundering_labels().iter().all(Option::is_none) {
            return Err(Error::format(path, "no laundering labels in this file"));
        }
        let rows = (0..l.len())
            .filter(|&i| l.laundering_labels()[i] == Some(true))
            .map(|i| l.source_rows()[i])
            .collect();
        Ok(Truth {
            source: format!("labels of {}", path.display()),
            rows: Some(rows),
            ..Truth::default()
        })
    }

    pub(crate) fn from_attempts(
        source: String,
        attempts: Vec<TruthAttempt>,
        unmatched_rows: usize,
    ) -> Truth {
        let rows = attempts
            .iter()
            .flat_map(|a| a.rows.iter().copied())
            .collect();
        let accounts: BTreeSet<String> = attempts
            .iter()
            .flat_map(|a| a.accounts.iter().cloned())
            .collect();
        Truth {
            source,
            rows: Some(rows),
            accounts: (!accounts.is_empty()).then_some(accounts),
            attempts,
            unmatched_rows,
        }
    }

    fn from_patterns(path: &Path, input: &Path) -> Result<Truth> {
        let loaded = super::load(
            path,
            &LoadOptions {
                format: super::Format::Patterns,
                ..LoadOptions::default()
            },
        )?;
        let pattern_text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let pattern_lines: Vec<&str> = pattern_text
            .lines()
            .map(str::trim)
            .filter(|l| {
                !l.is_empty()
                    && !l.starts_with("BEGIN LAUNDERING")
                    && !l.starts_with("END LAUNDERING")
            })
            .collect();
        let input_text = std::fs::read_to_string(input).map_err(|e| Error::io(input, e))?;
        let mut by_content: HashMap<&str, Vec<u32>> = HashMap::new();
        for (row, line) in input_text
            .lines()
            .skip(1)
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .enumerate()
        {
            by_content.entry(line).or_default().push(row as u32);
        }
        for rows in by_content.values_mut() {
            rows.reverse(); // pop() hands out the earliest first
        }
        let mut unmatched = 0;
        let mut attempts = Vec::new();
        for (i, a) in loaded.attempts.iter().enumerate() {
            let mut rows = Vec::new();
            let mut accounts = BTreeSet::new();
            for &r in &a.rows {
                let Some(line) = pattern_lines.get(r as usize) else {
                    continue;
                };
                match by_content.get_mut(line).and_then(Vec::pop) {
                    Some(row) => rows.push(row),
                    None => unmatched += 1,
                }
                let f: Vec<&str> = line.split(',').collect();
                if f.len() >= 5 {
                    accounts.insert(format!("{}:{}", f[1], f[2]));
                    accounts.insert(format!("{}:{}", f[3], f[4]));
                }
            }
            rows.sort_unstable();
            attempts.push(TruthAttempt {
                id: format!("A{:04}", i + 1),
                typology: a.typology_name(),
                rows,
                accounts: accounts.into_iter().collect(),
            });
        }
        Ok(Truth::from_attempts(
            format!(
                "AMLworld patterns {} matched to {}",
                path.display(),
                input.display()
            ),
            attempts,
            unmatched,
        ))
    }
}
