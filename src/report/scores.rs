//! What `analyze --model` adds: `transfer_scores.csv`, one row per
//! transfer in input row order with the model's score, its flag and, for
//! flagged transfers, what raised the score.

use super::files::{Table, Written};
use super::OutputOptions;
use crate::error::Result;
use crate::learn::Reason;
use crate::model::{AccountId, TransferId};
use crate::Valued;
use serde::Serialize;
use std::path::Path;

/// A model's scores of every transfer, with the reasons for the flagged ones.
#[derive(Debug, Clone, PartialEq)]
pub struct TransferScores {
    /// The model folder, as given.
    pub model: String,
    /// The model's threshold.
    pub threshold: f64,
    /// Score per transfer, in ledger order.
    pub score: Vec<f64>,
    /// Whether the score reaches the threshold, in ledger order.
    pub flagged: Vec<bool>,
    /// The features that raised each flagged transfer's score most.
    pub reasons: Vec<(TransferId, Vec<Reason>)>,
}

impl TransferScores {
    /// Every transfer's score under `model` (the folder named `name`), with
    /// the reasons for the flagged ones (the three features that raised
    /// each score most); `made` are the findings of the same run, which the
    /// model's rule features read. Also returns what the features warn of.
    ///
    /// # Errors
    ///
    /// When the data's reporting currency or features do not match the
    /// model's.
    pub fn compute(
        model: &crate::learn::Model,
        name: &str,
        data: &Valued<'_>,
        made: (&crate::detect::DetectConfig, &[crate::detect::Finding]),
    ) -> Result<(TransferScores, Vec<String>)> {
        let features = model.features_with(data, Some(made))?;
        let scores = model.score_features(&features);
        let flagged: Vec<TransferId> = (0..scores.flagged.len() as u32)
            .map(TransferId)
            .filter(|t| scores.flagged[t.index()])
            .collect();
        let reasons = model.explain(&features, &flagged, 3);
        let computed = TransferScores {
            model: name.to_string(),
            threshold: model.threshold,
            score: scores.score,
            flagged: scores.flagged,
            reasons: flagged.into_iter().zip(reasons).collect(),
        };
        Ok((computed, features.warnings))
    }
}

/// An account-level model's scores of every account that pays or
/// receives, with the reasons for the flagged ones.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountScores {
    /// The model folder, as given.
    pub model: String,
    /// The model's threshold.
    pub threshold: f64,
    /// The scored accounts, ascending.
    pub accounts: Vec<AccountId>,
    /// Score per account, in the order of `accounts`.
    pub score: Vec<f64>,
    /// Whether the score reaches the threshold, in the order of `accounts`.
    pub flagged: Vec<bool>,
    /// The features that raised each flagged account's score most, by
    /// position in `accounts`.
    pub reasons: Vec<(usize, Vec<Reason>)>,
}

impl AccountScores {
    /// Every active account's score under the account-level `model` (the
    /// folder named `name`), with the reasons for the flagged ones; `made`
    /// as for [`TransferScores::compute`].
    ///
    /// # Errors
    ///
    /// When the model scores transfers, or the data's reporting currency
    /// or features do not match the model's.
    pub fn compute(
        model: &crate::learn::Model,
        name: &str,
        data: &Valued<'_>,
        made: (&crate::detect::DetectConfig, &[crate::detect::Finding]),
    ) -> Result<AccountScores> {
        let features = model.account_features_with(data, Some(made))?;
        let scores = model.score_accounts(&features);
        let flagged: Vec<usize> = (0..scores.flagged.len())
            .filter(|&r| scores.flagged[r])
            .collect();
        let reasons = model.explain_accounts(&features, &flagged, 3);
        Ok(AccountScores {
            model: name.to_string(),
            threshold: model.threshold,
            accounts: features.accounts,
            score: scores.score,
            flagged: scores.flagged,
            reasons: flagged.into_iter().zip(reasons).collect(),
        })
    }

    /// The highest score among `accounts`, rounded to 4 decimals (0 for
    /// accounts not scored).
    pub fn highest(&self, accounts: &[AccountId]) -> f64 {
        rounded(
            accounts
                .iter()
                .filter_map(|a| self.accounts.binary_search(a).ok())
                .map(|r| self.score[r])
                .fold(0.0, f64::max),
        )
    }

    pub(super) fn summary(&self) -> ModelSummary {
        ModelSummary {
            model: self.model.clone(),
            level: "account",
            threshold: self.threshold,
            scored: self.score.len(),
            flagged: self.flagged.iter().filter(|&&f| f).count(),
        }
    }
}

/// Write `account_scores.csv` (and its Parquet twin): columns `account`,
/// `score` (6 decimals), `flagged` (0 or 1) and `reasons` (flagged
/// accounts only, `; `-separated), highest score first (ties by key).
///
/// # Errors
///
/// When a file cannot be written.
pub(super) fn write_account_scores(
    dir: &Path,
    data: &Valued<'_>,
    scores: &AccountScores,
    options: &OutputOptions,
    written: &mut Written,
) -> Result<()> {
    let mut order: Vec<usize> = (0..scores.accounts.len()).collect();
    order.sort_by(|&a, &b| {
        scores.score[b].total_cmp(&scores.score[a]).then_with(|| {
            data.key(scores.accounts[a])
                .cmp(data.key(scores.accounts[b]))
        })
    });
    let mut reasons = vec![String::new(); scores.accounts.len()];
    for (r, why) in &scores.reasons {
        reasons[*r] = Reason::joined(why);
    }
    Table::of(&order)
        .column("account", |&r| data.key(scores.accounts[r]).to_string())
        .column("score", |&r| (scores.score[r] * 1e6).round() / 1e6)
        .column("flagged", |&r| u32::from(scores.flagged[r]))
        .column("reasons", |&r| reasons[r].clone())
        .write(dir, "account_scores", options, written)
}

/// A score rounded to 4 decimals, as findings and accounts show it.
fn rounded(score: f64) -> f64 {
    (score * 10_000.0).round() / 10_000.0
}

/// What `summary.json` says about the model.
#[derive(Debug, Clone, Serialize)]
pub struct ModelSummary {
    /// The model folder.
    pub model: String,
    /// What it scores: `transfer` or `account`.
    pub level: &'static str,
    /// Its threshold.
    pub threshold: f64,
    /// Transfers scored.
    pub scored: usize,
    /// Transfers flagged.
    pub flagged: usize,
}

impl TransferScores {
    /// The highest score among `transfers`, rounded to 4 decimals.
    pub fn highest(&self, transfers: &[TransferId]) -> f64 {
        rounded(
            transfers
                .iter()
                .map(|t| self.score[t.index()])
                .fold(0.0, f64::max),
        )
    }

    pub(super) fn summary(&self) -> ModelSummary {
        ModelSummary {
            model: self.model.clone(),
            level: "transfer",
            threshold: self.threshold,
            scored: self.score.len(),
            flagged: self.flagged.iter().filter(|&&f| f).count(),
        }
    }
}

/// Write `transfer_scores.csv` (and its Parquet twin): columns `row`,
/// `score` (6 decimals), `flagged` (0 or 1) and `reasons` (flagged rows
/// only, `; `-separated), rows in input row order.
///
/// # Errors
///
/// When a file cannot be written.
pub(super) fn write_transfer_scores(
    dir: &Path,
    data: &Valued<'_>,
    scores: &TransferScores,
    options: &OutputOptions,
    written: &mut Written,
) -> Result<()> {
    let l = data.graph.ledger();
    let mut order: Vec<TransferId> = (0..l.len() as u32).map(TransferId).collect();
    order.sort_by_key(|t| (l.source_rows()[t.index()], *t));
    let mut reasons = vec![String::new(); l.len()];
    for (t, why) in &scores.reasons {
        reasons[t.index()] = Reason::joined(why);
    }
    Table::of(&order)
        .column("row", |t| l.source_rows()[t.index()])
        .column("score", |t| (scores.score[t.index()] * 1e6).round() / 1e6)
        .column("flagged", |t| u32::from(scores.flagged[t.index()]))
        .column("reasons", |t| reasons[t.index()].clone())
        .write(dir, "transfer_scores", options, written)
}
