//! A goAML-style suspicious-transaction report (STR) of selected findings,
//! as XML in the structure of UNODC's goAML (report → transaction+ with
//! `t_from` / `t_to` accounts, amounts, dates, transmode, indicators).
//!
//! "goAML-style": the official goAML XSD is not bundled and each FIU
//! configures its own lookup codes (transmode, funds, indicators), so the
//! codes here are moneytrail's own and must be mapped to the receiving
//! FIU's tables before submission. The subset emitted is described by
//! [`GOAML_SCHEMA`] (`docs/goaml-style.xsd`), and the field mapping by
//! `docs/goaml.md`.

use super::xml::escape;
use super::FindingRecord;
use crate::error::{Error, Result};
use crate::ledger::{Ledger, Transfer};
use crate::model::Account;
use crate::model::{AccountKind, Channel, TransferId};
use crate::valued::Valued;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write;

/// The XML schema of the subset of goAML that [`goaml_xml`] writes.
pub const GOAML_SCHEMA: &str = include_str!("../../docs/goaml-style.xsd");

/// Who reports, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoAmlHeader {
    /// The reporting entity's id at the FIU (`rentity_id`).
    pub entity_id: String,
    /// The reporting entity's own reference for this report.
    pub entity_reference: String,
    /// When the report is made.
    pub submission_date: DateTime<Utc>,
    /// Why the transactions are suspicious (`reason`); the findings'
    /// explanations are appended.
    pub reason: String,
    /// What the reporting entity has done (`action`).
    pub action: String,
}

/// The transmode code of a channel (moneytrail's codes; see the module
/// documentation).
fn transmode(channel: Channel) -> &'static str {
    match channel {
        Channel::Wire => "WIRE",
        Channel::Ach => "ACH",
        Channel::Cheque => "CHEQUE",
        Channel::Cash => "CASH",
        Channel::CreditCard => "CARD",
        Channel::Reinvestment => "REINVESTMENT",
        Channel::VirtualCurrency => "VIRTUAL_ASSET",
        Channel::Other => "OTHER",
    }
}

fn date(micros: i64) -> String {
    crate::time::to_datetime(micros)
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

/// The data rows of `findings` as transfers of the ledger.
///
/// # Errors
///
/// When a finding names a row that the data does not have (the findings
/// were made from another file).
pub fn transfers_of(data: &Valued<'_>, findings: &[&FindingRecord]) -> Result<Vec<TransferId>> {
    let rows = data.graph.ledger().source_rows();
    let by_row: HashMap<u32, TransferId> = rows
        .iter()
        .enumerate()
        .map(|(i, &r)| (r, TransferId(i as u32)))
        .collect();
    let mut out = BTreeSet::new();
    for f in findings {
        for &row in &f.rows {
            let t = by_row.get(&row).ok_or_else(|| {
                Error::invalid(format!(
                    "finding {} names data row {row}, which {} does not have: \
                     were the findings made from another file?",
                    f.id,
                    data.graph
                        .ledger()
                        .source()
                        .map_or("the input".to_string(), |p| p.display().to_string())
                ))
            })?;
            out.insert(*t);
        }
    }
    Ok(out.into_iter().collect())
}

/// The report of `findings` (at least one) as goAML-style XML. Amounts
/// (`amount_local`) are in the reporting currency of `data`; a transfer in
/// another asset also states its own amount, code and rate
/// (`from_foreign_currency`).
///
/// # Errors
///
/// When `findings` is empty, names rows the data does not have, or holds a
/// transfer in an asset without a rate (give an FX table).
pub fn goaml_xml(
    data: &Valued<'_>,
    header: &GoAmlHeader,
    findings: &[&FindingRecord],
) -> Result<String> {
    if findings.is_empty() {
        return Err(Error::invalid("no findings selected for the report"));
    }
    let ledger = data.graph.ledger();
    let transfers = transfers_of(data, findings)?;
    let mut finding_ids: BTreeMap<u32, Vec<&str>> = BTreeMap::new();
    for f in findings {
        for &row in &f.rows {
            finding_ids.entry(row).or_default().push(&f.id);
        }
    }
    let local = data.currency();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<report>\n");
    el(&mut out, 2, "rentity_id", &header.entity_id);
    el(&mut out, 2, "submission_code", "E");
    el(&mut out, 2, "report_code", "STR");
    el(&mut out, 2, "entity_reference", &header.entity_reference);
    el(
        &mut out,
        2,
        "submission_date",
        &header
            .submission_date
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string(),
    );
    el(&mut out, 2, "currency_code_local", local);
    let mut reason = header.reason.trim().to_string();
    for f in findings {
        if !reason.is_empty() {
            reason.push('\n');
        }
        let _ = write!(
            reason,
            "{} ({}, score {:.2}): {}",
            f.id, f.typology, f.score, f.explanation
        );
    }
    el(&mut out, 2, "reason", &reason);
    el(&mut out, 2, "action", &header.action);
    for t in transfers {
        let tr = ledger.transfer(t);
        let paid = &ledger.asset(tr.asset_paid).code;
        let Some(rate) = data.fx.rate(paid) else {
            return Err(Error::invalid(format!(
                "data row {} is paid in {paid}, which has no rate to {local}: give an FX table",
                tr.source_row
            )));
        };
        let ids = finding_ids
            .get(&tr.source_row)
            .map(|v| v.join(", "))
            .unwrap_or_default();
        transaction(&mut out, ledger, &tr, rate, local, &ids);
    }
    out.push_str("  <report_indicators>\n");
    let typologies: BTreeSet<&str> = findings.iter().map(|f| f.typology.as_str()).collect();
    for t in typologies {
        el(
            &mut out,
            4,
            "indicator",
            &format!("MT_{}", t.to_ascii_uppercase()),
        );
    }
    out.push_str("  </report_indicators>\n</report>\n");
    Ok(out)
}

/// One `<transaction>`: what was paid, by whom to whom, in local currency.
fn transaction(
    out: &mut String,
    ledger: &Ledger,
    tr: &Transfer,
    rate: Decimal,
    local: &str,
    ids: &str,
) {
    let paid = &ledger.asset(tr.asset_paid).code;
    let received = &ledger.asset(tr.asset_received).code;
    out.push_str("  <transaction>\n");
    el(
        out,
        4,
        "transactionnumber",
        &tr.tx_id
            .clone()
            .unwrap_or_else(|| format!("row-{}", tr.source_row)),
    );
    el(
        out,
        4,
        "internal_ref_number",
        &format!("row {}", tr.source_row),
    );
    let mut description = format!(
        "{} {paid} paid by {} to {}",
        tr.amount_paid.normalize(),
        ledger.account(tr.from).key,
        ledger.account(tr.to).key
    );
    if paid != received {
        let _ = write!(
            description,
            ", received as {} {received}",
            tr.amount_received.normalize()
        );
    }
    if let Some(hash) = &tr.tx_hash {
        let _ = write!(description, "; on-chain hash {hash}");
    }
    el(out, 4, "transaction_description", &description);
    el(
        out,
        4,
        "date_transaction",
        &date(tr.time.timestamp_micros()),
    );
    el(out, 4, "transmode_code", transmode(tr.channel));
    el(
        out,
        4,
        "amount_local",
        &format!("{:.2}", (tr.amount_paid * rate).round_dp(2)),
    );
    for (side, account, asset, amount) in [
        ("from", tr.from, paid, tr.amount_paid),
        ("to", tr.to, received, tr.amount_received),
    ] {
        party(
            out,
            side,
            ledger.account(account),
            asset,
            amount,
            rate,
            local,
            tr.channel == Channel::Cash,
        );
    }
    el(out, 4, "comments", &format!("moneytrail findings: {ids}"));
    out.push_str("  </transaction>\n");
}

/// One side of a transaction (`<t_from>` or `<t_to>`): the account, and for
/// a payment in another currency its foreign amount and rate.
#[allow(clippy::too_many_arguments)]
fn party(
    out: &mut String,
    side: &str,
    acc: &Account,
    asset: &str,
    amount: Decimal,
    rate: Decimal,
    local: &str,
    cash: bool,
) {
    let _ = writeln!(out, "    <t_{side}>");
    el(
        out,
        6,
        &format!("{side}_funds_code"),
        if cash { "CASH" } else { "ACCOUNT" },
    );
    if side == "from" && asset != local {
        let _ = writeln!(out, "      <from_foreign_currency>");
        el(out, 8, "foreign_currency_code", asset);
        el(out, 8, "foreign_amount", &amount.normalize().to_string());
        el(
            out,
            8,
            "foreign_exchange_rate",
            &rate.normalize().to_string(),
        );
        let _ = writeln!(out, "      </from_foreign_currency>");
    }
    let _ = writeln!(out, "      <{side}_account>");
    el(
        out,
        8,
        "institution_name",
        acc.institution.as_deref().unwrap_or("unknown"),
    );
    el(
        out,
        8,
        "non_bank_institution",
        if matches!(
            acc.kind,
            AccountKind::Exchange | AccountKind::VirtualAssetAddress
        ) {
            "true"
        } else {
            "false"
        },
    );
    el(out, 8, "account", &acc.key);
    el(out, 8, "currency_code", asset);
    let _ = writeln!(out, "      </{side}_account>");
    if let Some(country) = &acc.jurisdiction {
        el(out, 6, &format!("{side}_country"), country);
    }
    let _ = writeln!(out, "    </t_{side}>");
}

/// `<name>value</name>` on a line of its own, indented.
fn el(out: &mut String, indent: usize, name: &str, value: &str) {
    let _ = writeln!(
        out,
        "{:indent$}<{name}>{}</{name}>",
        "",
        escape(value),
        indent = indent
    );
}
