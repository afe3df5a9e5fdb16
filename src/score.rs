//! Grading findings against an answer key.
//!
//! Answer keys ([`Truth`], read by [`read_truth`](crate::ingest::read_truth)) come from:
//!
//! * moneytrail's own answer key (`truth.json`, `data/sample_truth.json`):
//!   attempts with typology and rows;
//! * an IBM AMLworld patterns file, matched to the analysed input's rows by
//!   content (each attempt's lines are looked up verbatim in the input);
//! * AMLSim `nodes.csv`: labels per account;
//! * any transactions file moneytrail reads with a label column
//!   (AMLworld `Is Laundering`, transfers `label`, AMLSim `is_sar`).
//!
//! Three levels are graded ([`Scorecard`]):
//!
//! * **pattern**: an attempt counts as found when at least half of its
//!   transfers lie in findings; recall per typology, and the typologies of
//!   the findings that covered it;
//! * **transfer**: precision, recall and F1 of the flagged rows against the
//!   labelled rows;
//! * **account**: precision, recall and F1 of the accounts in findings
//!   against the labelled accounts (AMLSim, or the accounts of attempts).

pub use crate::ingest::{Truth, TruthAttempt};
use crate::report::FindingRecord;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Precision, recall and F1 of a flagged set against a labelled set.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rates {
    /// Flagged and labelled.
    pub true_positives: usize,
    /// Flagged in all.
    pub flagged: usize,
    /// Labelled in all.
    pub labelled: usize,
    /// true positives ÷ flagged.
    pub precision: f64,
    /// true positives ÷ labelled.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
}

impl Rates {
    fn of<T: Ord>(flagged: &BTreeSet<T>, labelled: &BTreeSet<T>) -> Rates {
        let tp = flagged.intersection(labelled).count();
        let precision = if flagged.is_empty() {
            0.0
        } else {
            tp as f64 / flagged.len() as f64
        };
        let recall = if labelled.is_empty() {
            0.0
        } else {
            tp as f64 / labelled.len() as f64
        };
        let f1 = if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        Rates {
            true_positives: tp,
            flagged: flagged.len(),
            labelled: labelled.len(),
            precision,
            recall,
            f1,
        }
    }
}

/// Pattern-level results for one typology of the answer key.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TypologyRecall {
    /// Attempts of this typology.
    pub attempts: usize,
    /// Attempts with at least half their transfers in findings.
    pub found: usize,
    /// found ÷ attempts.
    pub recall: f64,
    /// For the found attempts: how often each finding typology covered them.
    pub named_as: BTreeMap<String, usize>,
    /// The attempts not found, in answer-key order.
    pub missed: Vec<MissedAttempt>,
}

/// An attempt that the findings did not cover, with how close they came.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MissedAttempt {
    /// Its id in the answer key.
    pub id: String,
    /// Its transfers (0-based data rows).
    pub rows: Vec<u32>,
    /// How many of them lie in findings (fewer than half).
    pub covered: usize,
}

/// The grade of a set of findings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scorecard {
    /// The answer key's source.
    pub truth: String,
    /// Findings graded (after any typology filter).
    pub findings: usize,
    /// Pattern level, per answer-key typology.
    pub patterns: BTreeMap<String, TypologyRecall>,
    /// Pattern level over all attempts.
    pub pattern_recall: Option<f64>,
    /// Transfer level.
    pub transfers: Option<Rates>,
    /// Transfer-level precision of each finding typology: share of its
    /// flagged rows that are labelled.
    pub precision_per_finding_typology: BTreeMap<String, f64>,
    /// Account level.
    pub accounts: Option<Rates>,
    /// Attempt rows not found in the input (patterns matched by content).
    pub unmatched_rows: usize,
}

/// Grade findings against an answer key; with `only`, just the findings of
/// those typologies count, and only findings scoring at least `min_score`.
pub fn grade(
    findings: &[FindingRecord],
    truth: &Truth,
    only: &[String],
    min_score: f64,
) -> Scorecard {
    let kept: Vec<&FindingRecord> = findings
        .iter()
        .filter(|f| only.is_empty() || only.contains(&f.typology))
        .filter(|f| f.score >= min_score)
        .collect();
    let flagged_rows: BTreeSet<u32> = kept.iter().flat_map(|f| f.rows.iter().copied()).collect();
    let flagged_accounts: BTreeSet<String> = kept
        .iter()
        .flat_map(|f| f.accounts.iter().cloned())
        .collect();
    let mut row_typologies: HashMap<u32, BTreeSet<&str>> = HashMap::new();
    for f in &kept {
        for &r in &f.rows {
            row_typologies.entry(r).or_default().insert(&f.typology);
        }
    }
    let mut patterns: BTreeMap<String, TypologyRecall> = BTreeMap::new();
    let mut found_all = 0;
    for a in &truth.attempts {
        let entry = patterns
            .entry(a.typology.clone())
            .or_insert(TypologyRecall {
                attempts: 0,
                found: 0,
                recall: 0.0,
                named_as: BTreeMap::new(),
                missed: Vec::new(),
            });
        entry.attempts += 1;
        let covered = a.rows.iter().filter(|r| flagged_rows.contains(r)).count();
        if !a.rows.is_empty() && 2 * covered >= a.rows.len() {
            entry.found += 1;
            found_all += 1;
            let names: BTreeSet<&str> = a
                .rows
                .iter()
                .filter_map(|r| row_typologies.get(r))
                .flatten()
                .copied()
                .collect();
            for n in names {
                *entry.named_as.entry(n.to_string()).or_insert(0) += 1;
            }
        } else {
            entry.missed.push(MissedAttempt {
                id: a.id.clone(),
                rows: a.rows.clone(),
                covered,
            });
        }
    }
    for p in patterns.values_mut() {
        p.recall = p.found as f64 / p.attempts.max(1) as f64;
    }
    let mut precision_per_finding_typology = BTreeMap::new();
    if let Some(labelled) = &truth.rows {
        let mut per: BTreeMap<&str, BTreeSet<u32>> = BTreeMap::new();
        for f in &kept {
            per.entry(&f.typology)
                .or_default()
                .extend(f.rows.iter().copied());
        }
        for (t, rows) in per {
            let tp = rows.intersection(labelled).count();
            precision_per_finding_typology
                .insert(t.to_string(), tp as f64 / rows.len().max(1) as f64);
        }
    }
    Scorecard {
        truth: truth.source.clone(),
        findings: kept.len(),
        pattern_recall: (!truth.attempts.is_empty())
            .then(|| found_all as f64 / truth.attempts.len() as f64),
        patterns,
        transfers: truth
            .rows
            .as_ref()
            .map(|labelled| Rates::of(&flagged_rows, labelled)),
        precision_per_finding_typology,
        accounts: truth
            .accounts
            .as_ref()
            .map(|labelled| Rates::of(&flagged_accounts, labelled)),
        unmatched_rows: truth.unmatched_rows,
    }
}

impl Scorecard {
    /// The missed attempts as text, one line per attempt grouped by
    /// typology: id, transfers covered of all, and the first rows.
    pub fn missed_report(&self) -> String {
        let mut out = String::new();
        for (t, p) in &self.patterns {
            if p.missed.is_empty() {
                continue;
            }
            out.push_str(&format!(
                "missed {t} ({} of {}):\n",
                p.missed.len(),
                p.attempts
            ));
            for m in &p.missed {
                let shown: Vec<String> = m.rows.iter().take(8).map(u32::to_string).collect();
                let more = if m.rows.len() > 8 { ", …" } else { "" };
                out.push_str(&format!(
                    "  {:<8} {} of {} transfers in findings; rows {}{more}\n",
                    m.id,
                    m.covered,
                    m.rows.len(),
                    shown.join(", ")
                ));
            }
        }
        out
    }
}

impl std::fmt::Display for Scorecard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "truth: {}", self.truth)?;
        writeln!(f, "findings graded: {}", self.findings)?;
        if !self.patterns.is_empty() {
            writeln!(
                f,
                "\npattern level (found = at least half its transfers in findings)"
            )?;
            writeln!(
                f,
                "  {:<26} {:>8} {:>6} {:>7}  named as",
                "typology", "attempts", "found", "recall"
            )?;
            for (t, p) in &self.patterns {
                let named: Vec<String> =
                    p.named_as.iter().map(|(n, c)| format!("{n} {c}")).collect();
                writeln!(
                    f,
                    "  {:<26} {:>8} {:>6} {:>7.3}  {}",
                    t,
                    p.attempts,
                    p.found,
                    p.recall,
                    named.join(", ")
                )?;
            }
            if let Some(r) = self.pattern_recall {
                writeln!(
                    f,
                    "  {:<26} {:>8} {:>6} {:>7.3}",
                    "all",
                    self.patterns.values().map(|p| p.attempts).sum::<usize>(),
                    self.patterns.values().map(|p| p.found).sum::<usize>(),
                    r
                )?;
            }
        }
        let line = |f: &mut std::fmt::Formatter<'_>, name: &str, r: &Rates| {
            writeln!(
                f,
                "{name}: precision {:.3} recall {:.3} F1 {:.3} ({} of {} flagged are labelled; {} labelled)",
                r.precision, r.recall, r.f1, r.true_positives, r.flagged, r.labelled
            )
        };
        if let Some(r) = &self.transfers {
            writeln!(f)?;
            line(f, "transfer level", r)?;
            for (t, p) in &self.precision_per_finding_typology {
                writeln!(f, "  precision of {t}: {p:.3}")?;
            }
        }
        if let Some(r) = &self.accounts {
            writeln!(f)?;
            line(f, "account level", r)?;
        }
        if self.unmatched_rows > 0 {
            writeln!(
                f,
                "\nnote: {} answer-key rows are not in the input",
                self.unmatched_rows
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(typology: &str, rows: &[u32], accounts: &[&str]) -> FindingRecord {
        FindingRecord {
            id: "F1".into(),
            typology: typology.into(),
            score: 0.5,
            accounts: accounts.iter().map(|s| s.to_string()).collect(),
            rows: rows.to_vec(),
            tx_ids: vec![],
            amount: rust_decimal::Decimal::ONE,
            currency: "USD".into(),
            first_time: String::new(),
            last_time: String::new(),
            explanation: String::new(),
            model_score: None,
        }
    }

    #[test]
    fn grades_patterns_rows_and_accounts() {
        let truth = Truth::from_attempts(
            "test".into(),
            vec![
                TruthAttempt {
                    id: "a".into(),
                    typology: "cycle".into(),
                    rows: vec![1, 2, 3, 4],
                    accounts: vec!["x".into(), "y".into()],
                },
                TruthAttempt {
                    id: "b".into(),
                    typology: "fan_out".into(),
                    rows: vec![10, 11, 12],
                    accounts: vec!["z".into()],
                },
            ],
            0,
        );
        let findings = vec![
            record("cycle", &[1, 2, 50], &["x", "q"]),
            record("fan_out", &[10], &["z"]),
        ];
        let card = grade(&findings, &truth, &[], 0.0);
        assert_eq!(
            card.patterns["cycle"].found, 1,
            "2 of 4 rows is half: found"
        );
        assert_eq!(card.patterns["cycle"].named_as["cycle"], 1);
        assert_eq!(
            card.patterns["fan_out"].found, 0,
            "1 of 3 rows is not enough"
        );
        assert_eq!(
            card.patterns["fan_out"].missed,
            vec![MissedAttempt {
                id: "b".into(),
                rows: vec![10, 11, 12],
                covered: 1
            }]
        );
        assert!(card.patterns["cycle"].missed.is_empty());
        assert!(card
            .missed_report()
            .contains("b        1 of 3 transfers in findings; rows 10, 11, 12"));
        assert_eq!(card.pattern_recall, Some(0.5));
        let t = card.transfers.unwrap();
        assert_eq!((t.true_positives, t.flagged, t.labelled), (3, 4, 7));
        assert!((t.precision - 0.75).abs() < 1e-12);
        let a = card.accounts.unwrap();
        assert_eq!((a.true_positives, a.flagged, a.labelled), (2, 3, 3));
        assert_eq!(card.precision_per_finding_typology["cycle"], 2.0 / 3.0);
        let only = grade(&findings, &truth, &["fan_out".to_string()], 0.0);
        assert_eq!(only.findings, 1);
        assert!(card.to_string().contains("pattern level"));
    }
}
