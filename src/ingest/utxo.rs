//! On-chain (UTXO) transactions: several inputs and several outputs each,
//! read from JSON lines, modelled exactly in the [`Ledger`], clustered
//! into probable owners and tagged ([`attribution`](crate::attribution)).
//!
//! One line per transaction:
//!
//! ```text
//! {"tx_hash":"f00d…","time":"2024-03-01T12:00:00Z","chain":"bitcoin",
//!  "inputs":[{"address":"bc1qa…","amount":"0.7"},{"address":"bc1qb…","amount":"0.4"}],
//!  "outputs":[{"address":"bc1qc…","amount":"1.0"},{"address":"bc1qa…","amount":"0.0999"}],
//!  "fee":"0.0001"}
//! ```
//!
//! Amounts are read from their exact text (strings or JSON numbers, never
//! through floating point). `asset` may be given; otherwise it follows from
//! the chain (`bitcoin` BTC, `litecoin` LTC, `bitcoin-cash` BCH, `dogecoin`
//! DOGE). `fee` may be left out, and is then inputs − outputs; when given,
//! inputs must equal outputs + fee exactly. A transaction without inputs
//! (a coinbase) is paid by the account `coinbase:<chain>`.
//!
//! # How a transaction becomes transfers
//!
//! Each transaction is an account of its own (`tx:<hash>`, kind
//! [`AccountKind::OnChainTransaction`]). Every input is a transfer from its
//! address into that account, in the order listed; then every output is a
//! transfer from it to its address, in the order listed, all at the
//! transaction's time (the ledger keeps the file's order among equal
//! times). The fee is paid by the last output: its amount paid is the
//! output plus the fee, its amount received the output, so tracing counts
//! the fee as an exit (reason `fee`). The tracing rules then apply exactly
//! as the courts' rules read on a UTXO transaction: `fifo` spends the
//! inputs in their order across the outputs in theirs, `lifo` the last
//! input first, `haircut` spreads every output pro rata over the inputs.

use super::json::{strip_bom, text_of, Object};
use super::layouts::{parse_amount, Layout};
use super::LoadReport;
use crate::error::{Error, Reason, Result, RowError};
use crate::ledger::{Ledger, LedgerBuilder, NewTransfer};
use crate::model::{AccountKind, Channel};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::Path;

/// One input or output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leg {
    /// The address.
    pub address: String,
    /// The amount.
    pub amount: Decimal,
}

/// One on-chain transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UtxoTransaction {
    /// Its hash.
    pub hash: String,
    /// Time (microseconds since the epoch).
    pub time_us: i64,
    /// The chain (`bitcoin`…).
    pub chain: String,
    /// The asset moved (`BTC`…).
    pub asset: String,
    /// Inputs, in order.
    pub inputs: Vec<Leg>,
    /// Outputs, in order.
    pub outputs: Vec<Leg>,
    /// The fee (inputs − outputs).
    pub fee: Decimal,
    /// 0-based data row (line without blank lines) in the file.
    pub row: u32,
}

/// Add detail to a boxed row error.
trait WithDetail {
    fn with_detail(self, detail: impl Into<String>) -> Self;
}

impl WithDetail for Box<RowError> {
    fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// The asset of a chain, when the chain has one native asset.
fn native_asset(chain: &str) -> Option<&'static str> {
    Some(match chain.to_ascii_lowercase().as_str() {
        "bitcoin" | "btc" => "BTC",
        "litecoin" | "ltc" => "LTC",
        "bitcoin-cash" | "bitcoin_cash" | "bch" => "BCH",
        "dogecoin" | "doge" => "DOGE",
        _ => return None,
    })
}

/// A row's result: a row error boxed, as the readers pass them on.
type RowResult<T> = std::result::Result<T, Box<RowError>>;

/// Parse one line; errors carry the column and value (row and path are
/// filled in by the caller). Keys are matched exactly; a repeated key is an
/// error.
fn parse_line(line: &str, row: u32) -> RowResult<UtxoTransaction> {
    let bad = |column: &str, value: &str, reason: Reason| {
        Box::new(RowError::new(row.into(), column, value, reason))
    };
    let object = Object::parse(line).map_err(|_| {
        bad("(record)", line, Reason::BadJson).with_detail("expected a JSON object")
    })?;
    let field =
        |o: &Object<'_>, name: &str| -> std::result::Result<Option<String>, Box<RowError>> {
            match o.get(name, false) {
                Ok(raw) => Ok(raw.and_then(text_of)),
                Err(e) => Err(bad(name, "", Reason::BadJson).with_detail(e.to_string())),
            }
        };
    let required_text = |name: &str| -> std::result::Result<String, Box<RowError>> {
        field(&object, name)?
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| bad(name, "", Reason::MissingValue))
    };
    let hash = required_text("tx_hash")?;
    let time_text = required_text("time")?;
    let time_us = crate::time::parse_flexible(&time_text)
        .ok_or_else(|| bad("time", &time_text, Reason::BadTime))?;
    let time_us = crate::time::check_range(time_us)
        .map_err(|why| bad("time", &time_text, Reason::BadTime).with_detail(why))?;
    let chain = required_text("chain")?;
    let asset = match field(&object, "asset")? {
        Some(a) if !a.trim().is_empty() => a.trim().to_ascii_uppercase(),
        _ => native_asset(&chain).map(str::to_string).ok_or_else(|| {
            bad("asset", "", Reason::MissingValue).with_detail(format!(
                "chain {chain:?} has no known native asset; give \"asset\""
            ))
        })?,
    };
    let inputs = legs(&object, "inputs", row)?;
    let outputs = legs(&object, "outputs", row)?;
    if outputs.is_empty() {
        return Err(
            bad("outputs", "[]", Reason::MissingValue).with_detail("a transaction needs an output")
        );
    }
    let given_fee = match field(&object, "fee")? {
        Some(text) => Some(parse_amount(text.trim()).map_err(|reason| bad("fee", &text, reason))?),
        None => None,
    };
    let fee = fee(&inputs, &outputs, given_fee, row)?;
    Ok(UtxoTransaction {
        hash,
        time_us,
        chain,
        asset,
        inputs,
        outputs,
        fee,
        row,
    })
}

/// An input or output list (`name` is `inputs` or `outputs`): an array of
/// `{"address", "amount"}` objects, each amount exact.
fn legs(object: &Object<'_>, name: &str, row: u32) -> RowResult<Vec<Leg>> {
    let bad = |column: &str, value: &str, reason: Reason| {
        Box::new(RowError::new(row.into(), column, value, reason))
    };
    let raw = object
        .get(name, false)
        .map_err(|e| bad(name, "", Reason::BadJson).with_detail(e.to_string()))?
        .ok_or_else(|| bad(name, "", Reason::MissingValue))?;
    let items: Vec<Object<'_>> = serde_json::from_str(raw.get()).map_err(|_| {
        bad(name, raw.get(), Reason::BadJson)
            .with_detail("expected an array of {\"address\", \"amount\"} objects")
    })?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let column = format!("{name}[{i}]");
            let text = |key: &str| -> RowResult<Option<String>> {
                item.get(key, false)
                    .map(|r| r.and_then(text_of))
                    .map_err(|e| {
                        bad(&format!("{column}.{key}"), "", Reason::BadJson)
                            .with_detail(e.to_string())
                    })
            };
            let address = text("address")?
                .filter(|a| !a.trim().is_empty())
                .ok_or_else(|| bad(&format!("{column}.address"), "", Reason::EmptyAccount))?;
            let amount_text = text("amount")?
                .ok_or_else(|| bad(&format!("{column}.amount"), "", Reason::MissingValue))?;
            let amount = parse_amount(amount_text.trim())
                .map_err(|reason| bad(&format!("{column}.amount"), &amount_text, reason))?;
            Ok(Leg {
                address: address.trim().to_string(),
                amount,
            })
        })
        .collect()
}

/// The transaction's fee: the one given, or inputs − outputs when none is;
/// an error when the transaction does not balance (a negative fee, inputs ≠
/// outputs + fee, a coinbase that claims a fee).
fn fee(
    inputs: &[Leg],
    outputs: &[Leg],
    given_fee: Option<Decimal>,
    row: u32,
) -> RowResult<Decimal> {
    let total_in: Decimal = inputs.iter().map(|l| l.amount).sum();
    let total_out: Decimal = outputs.iter().map(|l| l.amount).sum();
    let unbalanced = |fee: &str, why: String| {
        Box::new(RowError::new(row.into(), "fee", fee, Reason::Unbalanced)).with_detail(why)
    };
    Ok(if inputs.is_empty() {
        // a coinbase mints its outputs: it pays no fee of its own
        match given_fee {
            Some(fee) if !fee.is_zero() => {
                return Err(unbalanced(
                    &fee.to_string(),
                    format!(
                    "a coinbase (no inputs) mints its outputs ({}) and pays no fee; fee {} given",
                    total_out.normalize(),
                    fee.normalize()
                ),
                ))
            }
            _ => Decimal::ZERO,
        }
    } else {
        let fee = given_fee.unwrap_or(total_in - total_out);
        if fee < Decimal::ZERO || total_in != total_out + fee {
            return Err(unbalanced(
                &fee.to_string(),
                format!(
                    "inputs {} ≠ outputs {} + fee {}{}",
                    total_in.normalize(),
                    total_out.normalize(),
                    fee.normalize(),
                    if given_fee.is_none() {
                        " (the fee left out is inputs − outputs, and cannot be negative)"
                    } else {
                        ""
                    }
                ),
            ));
        }
        fee
    })
}

/// Read UTXO transactions from a JSON-lines file. Strict: the first bad
/// line is an error naming file, row, line, column (`inputs[2].amount`…)
/// and value; lenient: bad lines (invalid JSON or UTF-8, unbalanced
/// transactions…) are skipped and listed in the report. A UTF-8 byte order
/// mark at the start is dropped.
///
/// # Errors
///
/// When the file cannot be read, or (strict) a line is bad.
pub fn read_utxo(
    path: &Path,
    lenient: bool,
    max_listed: usize,
) -> Result<(Vec<UtxoTransaction>, LoadReport)> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let mut report = LoadReport::new(path.to_path_buf(), Layout::UtxoJsonLines, false);
    let mut out = Vec::new();
    let mut row = 0u32;
    for (i, raw) in strip_bom(&bytes).split(|&b| b == b'\n').enumerate() {
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        report.rows_read += 1;
        let parsed = match std::str::from_utf8(raw) {
            Ok(line) => parse_line(line.trim(), row),
            Err(e) => Err(Box::new(
                RowError::new(
                    row.into(),
                    "(record)",
                    &String::from_utf8_lossy(raw),
                    Reason::BadJson,
                )
                .with_detail(format!("not valid UTF-8 at byte {}", e.valid_up_to())),
            )),
        };
        match parsed {
            Ok(tx) => {
                out.push(tx);
                report.rows_loaded += 1;
            }
            Err(e) => {
                let mut e = *e;
                e.path = path.to_path_buf();
                e.line = Some(i as u64 + 1);
                if !lenient {
                    return Err(e.into());
                }
                report.reject(e, max_listed);
            }
        }
        row = row.checked_add(1).ok_or_else(|| {
            Error::from(crate::error::ErrorKind::TooManyRows {
                path: path.to_path_buf(),
            })
        })?;
    }
    let outputs: usize = out.iter().map(|t| t.outputs.len()).sum();
    let inputs: usize = out.iter().map(|t| t.inputs.len()).sum();
    report.notes.push(format!(
        "{} on-chain transactions with {inputs} inputs and {outputs} outputs, \
         modelled as transfers through one tx:<hash> account each (see moneytrail::ingest::read_utxo)",
        out.len()
    ));
    Ok((out, report))
}

/// The transfers of some transactions (see the module documentation).
/// Addresses become [`AccountKind::VirtualAssetAddress`] accounts.
///
/// # Errors
///
/// When an asset code is empty or there are too many assets.
pub fn utxo_ledger(transactions: &[UtxoTransaction], source: Option<&Path>) -> Result<Ledger> {
    let mut b = LedgerBuilder::new();
    if let Some(path) = source {
        b.source(path);
    }
    let mut assets: BTreeMap<&str, crate::model::AssetId> = BTreeMap::new();
    for tx in transactions {
        if !assets.contains_key(tx.asset.as_str()) {
            let id = b.asset(&tx.asset)?;
            b.mark_virtual(id);
            assets.insert(&tx.asset, id);
        }
    }
    for tx in transactions {
        let asset = assets[tx.asset.as_str()];
        let node = b.account(&format!("tx:{}", tx.hash));
        b.describe_account(node, None, None, Some(AccountKind::OnChainTransaction));
        let transfer = |from, to, paid: Decimal, received: Decimal| NewTransfer {
            channel: Channel::VirtualCurrency,
            tx_hash: Some(&tx.hash),
            chain: Some(&tx.chain),
            amount_received: received,
            ..NewTransfer::simple(tx.time_us, from, to, paid, asset, tx.row)
        };
        if tx.inputs.is_empty() {
            let coinbase = b.account(&format!("coinbase:{}", tx.chain));
            b.describe_account(coinbase, None, None, Some(AccountKind::CashOrUnknown));
            let total: Decimal = tx.outputs.iter().map(|l| l.amount).sum();
            b.push(transfer(coinbase, node, total, total));
        }
        for leg in &tx.inputs {
            let a = b.account(&leg.address);
            b.describe_account(a, None, None, Some(AccountKind::VirtualAssetAddress));
            b.push(transfer(a, node, leg.amount, leg.amount));
        }
        let last = tx.outputs.len() - 1;
        for (j, leg) in tx.outputs.iter().enumerate() {
            let a = b.account(&leg.address);
            b.describe_account(a, None, None, Some(AccountKind::VirtualAssetAddress));
            let paid = if j == last {
                leg.amount + tx.fee
            } else {
                leg.amount
            };
            b.push(transfer(node, a, paid, leg.amount));
        }
    }
    b.finish()
}
