//! The small files that come beside a transfers file: FX rates, known
//! opening balances, attribution tags and subject lists. Each is read with the one small-CSV reader, so its
//! errors name the file, row, line, column and value.

use super::layouts::parse_amount;
use super::small_csv::{records, SmallCsv, SmallRecord};
use crate::error::{Error, Reason, Result, RowError};
use crate::fx::FxTable;
use crate::ledger::Ledger;
use crate::model::{AccountId, AssetId, Category, Tag};
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::path::Path;

/// A row error about one field of a headerless small file's record.
fn field_error(
    path: &Path,
    row: u64,
    record: &SmallRecord,
    column: &str,
    value: &str,
    reason: Reason,
) -> Error {
    RowError {
        path: path.to_path_buf(),
        line: Some(record.line),
        ..RowError::new(row, column, value, reason)
    }
    .into()
}

/// The data records of a file whose header is optional: the first record
/// is a header when `is_header` says so.
fn data_records(
    path: &Path,
    comments: bool,
    is_header: impl Fn(&SmallRecord) -> bool,
) -> Result<Vec<SmallRecord>> {
    let mut all = records(path, comments, false)?;
    if all.first().is_some_and(is_header) {
        all.remove(0);
    }
    Ok(all)
}

/// Read an FX table: `asset,rate` lines, units of one base currency per
/// unit of the asset; an optional header; `#` starts a comment (a whole
/// line, or the rest of a line).
///
/// The base is `reporting` unless the file lists `reporting` itself with a
/// rate other than 1: then the file is in another base (the shipped
/// sample's is USD) and every rate is divided by the reporting currency's,
/// so one file serves every `--currency` it lists.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("fx.csv");
/// std::fs::write(&path, "asset,rate\nUSD,1\nBTC,65000 # March\neur,1.08\n").unwrap();
/// let fx = moneytrail::ingest::read_fx(&path, "USD").unwrap();
/// assert_eq!(fx.rates["EUR"].to_string(), "1.08");
/// // the same file, read in euros
/// let fx = moneytrail::ingest::read_fx(&path, "EUR").unwrap();
/// assert_eq!(fx.rates["EUR"].to_string(), "1");
/// assert_eq!(fx.rates["BTC"].round_dp(2).to_string(), "60185.19");
/// ```
///
/// # Errors
///
/// When the file cannot be read, or a line lacks a field or has a rate that
/// is not a positive decimal (named by row, line and column).
pub fn read_fx(path: &Path, reporting: &str) -> Result<FxTable> {
    let uncomment = |f: &str| f.split('#').next().unwrap_or("").trim().to_string();
    let rate_of = |r: &SmallRecord| -> Option<Decimal> {
        r.fields
            .get(1)
            .map(|f| uncomment(f))
            .and_then(|t| parse_amount(&t).ok())
    };
    let rows = data_records(path, true, |r| rate_of(r).is_none())?;
    let mut rates = BTreeMap::new();
    for (row, record) in rows.iter().enumerate() {
        let row = row as u64;
        let code = record
            .fields
            .first()
            .map(|f| uncomment(f))
            .unwrap_or_default();
        if code.is_empty() {
            return Err(field_error(
                path,
                row,
                record,
                "asset",
                "",
                Reason::MissingValue,
            ));
        }
        let text = record
            .fields
            .get(1)
            .map(|f| uncomment(f))
            .unwrap_or_default();
        match parse_amount(&text) {
            Ok(rate) if rate > Decimal::ZERO => {
                rates.insert(code.to_ascii_uppercase(), rate);
            }
            Ok(_) => {
                return Err(field_error(
                    path,
                    row,
                    record,
                    "rate",
                    &text,
                    Reason::BadAmount,
                ))
            }
            Err(reason) => return Err(field_error(path, row, record, "rate", &text, reason)),
        }
    }
    let reporting = reporting.to_ascii_uppercase();
    if let Some(base) = rates
        .get(&reporting)
        .copied()
        .filter(|r| *r != Decimal::ONE)
    {
        for (code, rate) in rates.iter_mut() {
            // a positive rate over a positive rate: positive unless it
            // leaves Decimal's 28 places, which is an error, not a zero
            match rate.checked_div(base) {
                Some(r) if r > Decimal::ZERO => *rate = r,
                _ => {
                    return Err(Error::invalid(format!(
                        "{}: the rate of {code} ({rate}) divided by {reporting}'s ({base}) does not fit 28 decimal places; give the file in {reporting}",
                        path.display()
                    )))
                }
            }
        }
    }
    Ok(FxTable::given(&reporting, rates))
}

/// The FX file that belongs to a transfers file, by the one convention
/// every command follows: beside `input`, the first that exists of
/// `<stem>_fx.csv`, then `<prefix>_fx.csv` for each shorter prefix of the
/// stem ending before an `_` (so `sample_transfers.csv` and
/// `sample_utxo.jsonl` both find `sample_fx.csv`), then `fx.csv`.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let input = dir.path().join("case_7_transfers.csv");
/// assert_eq!(moneytrail::ingest::fx_beside(&input), None);
/// std::fs::write(dir.path().join("fx.csv"), "BTC,65000\n").unwrap();
/// assert_eq!(moneytrail::ingest::fx_beside(&input), Some(dir.path().join("fx.csv")));
/// std::fs::write(dir.path().join("case_7_fx.csv"), "BTC,65000\n").unwrap();
/// assert_eq!(moneytrail::ingest::fx_beside(&input), Some(dir.path().join("case_7_fx.csv")));
/// ```
pub fn fx_beside(input: &Path) -> Option<std::path::PathBuf> {
    let dir = input.parent().unwrap_or(Path::new(""));
    let stem = input.file_stem()?.to_str()?;
    let mut names: Vec<String> = vec![format!("{stem}_fx.csv")];
    names.extend(
        stem.rmatch_indices('_')
            .map(|(i, _)| format!("{}_fx.csv", &stem[..i]))
            .filter(|name| name != "_fx.csv"),
    );
    names.push("fx.csv".to_string());
    names
        .into_iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_file() && path != input)
}

/// Read known opening balances: `account,asset,amount` lines (an optional
/// header), for accounts and assets of `ledger`.
///
/// # Errors
///
/// When the file cannot be read, or a line names an account or asset the
/// ledger does not have, or its amount is not a non-negative decimal.
pub fn read_opening(
    path: &Path,
    ledger: &Ledger,
) -> Result<FxHashMap<(AccountId, AssetId), Decimal>> {
    let amount_of = |r: &SmallRecord| r.fields.get(2).and_then(|t| parse_amount(t).ok());
    let rows = data_records(path, false, |r| amount_of(r).is_none())?;
    let mut opening = FxHashMap::default();
    for (row, record) in rows.iter().enumerate() {
        let row = row as u64;
        let get = |i: usize| record.fields.get(i).map_or("", String::as_str);
        if record.fields.len() != 3 {
            let e = RowError {
                path: path.to_path_buf(),
                line: Some(record.line),
                ..RowError::new(
                    row,
                    "(record)",
                    &record.fields.join(","),
                    Reason::WrongFieldCount,
                )
            }
            .with_detail("expected account,asset,amount");
            return Err(e.into());
        }
        let account = ledger
            .account_id(get(0))
            .ok_or_else(|| field_error(path, row, record, "account", get(0), Reason::BadValue))?;
        let asset = ledger
            .asset_id(&get(1).to_ascii_uppercase())
            .ok_or_else(|| field_error(path, row, record, "asset", get(1), Reason::BadValue))?;
        let amount = parse_amount(get(2))
            .map_err(|reason| field_error(path, row, record, "amount", get(2), reason))?;
        opening.insert((account, asset), amount);
    }
    Ok(opening)
}

/// Read a file of attribution tags: a header and the columns
/// `address,entity,category,source,confidence` (`account` is accepted for
/// `address`; `source` and `confidence` may be empty; confidence is a
/// number from 0 to 1, 1 when empty).
///
/// # Errors
///
/// When the file cannot be read, lacks a column, or a row has an unknown
/// category, an empty address or entity, or a confidence outside 0–1; the
/// error names the row, column and value.
pub fn read_tags(path: &Path) -> Result<Vec<Tag>> {
    let Some(table) = SmallCsv::read(path)? else {
        return Ok(Vec::new());
    };
    let (a, e, c) = (
        table.require(&["address", "account"])?,
        table.require(&["entity"])?,
        table.require(&["category"])?,
    );
    let (s, k) = (table.column(&["source"]), table.column(&["confidence"]));
    let mut tags = Vec::new();
    for row in table.rows() {
        let bad = |column: &str, value: &str, reason: Reason| row.error(column, value, reason);
        let get = |j: Option<usize>| row.get(j);
        let address = get(Some(a));
        if address.is_empty() {
            return Err(bad("address", address, Reason::EmptyAccount));
        }
        let entity = get(Some(e));
        if entity.is_empty() {
            return Err(bad("entity", entity, Reason::MissingValue));
        }
        let category = Category::parse(get(Some(c)))
            .ok_or_else(|| bad("category", get(Some(c)), Reason::BadValue))?;
        let confidence = match get(k) {
            "" => 1.0,
            t => t
                .parse::<f64>()
                .ok()
                .filter(|v| (0.0..=1.0).contains(v))
                .ok_or_else(|| bad("confidence", t, Reason::BadNumber))?,
        };
        tags.push(Tag {
            address: address.to_string(),
            entity: entity.to_string(),
            category,
            source: get(s).to_string(),
            confidence,
        });
    }
    Ok(tags)
}

/// A subject as the subjects file names it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SubjectSpec {
    /// The case reference.
    pub case_ref: String,
    /// The account or address key, or `cluster:<address>`.
    pub subject: String,
    /// What the case's forward trace follows, as `moneytrail trace` seeds
    /// it: empty or `sent` (the subject's payments to others),
    /// `received` (what others paid it), or transaction ids and `row:N`
    /// separated by spaces (those payments).
    pub trace: String,
}

/// Read a subjects file: a header and the columns `case_ref,subject`, and
/// optionally `trace` (see [`SubjectSpec::trace`]).
///
/// # Errors
///
/// When the file cannot be read, lacks a column, or a row has an empty
/// value (named by row and column).
pub fn read_subjects(path: &Path) -> Result<Vec<SubjectSpec>> {
    let Some(table) = SmallCsv::read(path)? else {
        return Ok(Vec::new());
    };
    let (r, s) = (table.require(&["case_ref"])?, table.require(&["subject"])?);
    let t = table.column(&["trace"]);
    table
        .rows()
        .map(|row| {
            for (c, name) in [(r, "case_ref"), (s, "subject")] {
                if row.get(Some(c)).is_empty() {
                    return Err(row.error(name, "", Reason::MissingValue));
                }
            }
            Ok(SubjectSpec {
                case_ref: row.get(Some(r)).to_string(),
                subject: row.get(Some(s)).to_string(),
                trace: row.get(t).to_string(),
            })
        })
        .collect()
}

/// Read deposit/payout pairs from an exchange's records: a header and the
/// columns `deposit,payout`, each a transaction id or `row:N` (the
/// transfers of 0-based data row N). Every deposit transfer of a row is
/// paired with every payout transfer of it made by the deposit's payee
/// (see [`ExchangeLinks::from_pairs`](crate::trace::ExchangeLinks::from_pairs)).
///
/// # Errors
///
/// When the file cannot be read, lacks a column, or a row names a transfer
/// the ledger does not have, or a deposit and payout that do not meet at
/// one account (deposit first); the error names the row, column and value.
pub fn read_exchange_links(
    path: &Path,
    ledger: &Ledger,
) -> Result<Vec<(crate::model::TransferId, crate::model::TransferId)>> {
    let Some(table) = SmallCsv::read(path)? else {
        return Ok(Vec::new());
    };
    let (d, x) = (table.require(&["deposit"])?, table.require(&["payout"])?);
    let mut pairs = Vec::new();
    for row in table.rows() {
        let find = |column: &str, j: usize| {
            let value = row.get(Some(j));
            ledger.find_transfers(value).map_err(|why| {
                let at = row.error(column, value, Reason::BadValue);
                Error::invalid(format!("{at}: {why}"))
            })
        };
        let (deposits, payouts) = (find("deposit", d)?, find("payout", x)?);
        let before = pairs.len();
        for &dt in &deposits {
            for &xt in &payouts {
                if ledger.tos()[dt.index()] == ledger.froms()[xt.index()] && dt < xt {
                    pairs.push((dt, xt));
                }
            }
        }
        if pairs.len() == before {
            let value = format!("{},{}", row.get(Some(d)), row.get(Some(x)));
            let at = row.error("deposit,payout", &value, Reason::BadValue);
            return Err(Error::invalid(format!(
                "{at}: the deposit's payee does not make the payout after it"
            )));
        }
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{LedgerBuilder, NewTransfer};

    #[test]
    fn reads_rate_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fx.csv");
        std::fs::write(&path, "# comment\nasset,rate\nbtc,65000\nEUR,1.08 # note\n").unwrap();
        let fx = read_fx(&path, "USD").unwrap();
        assert_eq!(fx.rates["BTC"], Decimal::from(65000));
        assert_eq!(fx.rates["EUR"], Decimal::new(108, 2));
        std::fs::write(&path, "asset,rate\nEUR,-1\n").unwrap();
        let e = read_fx(&path, "USD").unwrap_err().to_string();
        assert!(
            e.contains("row 0 (line 2), column \"rate\": value \"-1\""),
            "{e}"
        );
        // no header: the first line is data
        std::fs::write(&path, "GBP,1.27\n").unwrap();
        assert_eq!(
            read_fx(&path, "USD").unwrap().rates["GBP"],
            Decimal::new(127, 2)
        );
    }

    #[test]
    fn reads_opening_balances_of_known_accounts() {
        let mut b = LedgerBuilder::new();
        let (x, y) = (b.account("x"), b.account("y, Ltd"));
        let usd = b.asset("USD").unwrap();
        b.push(NewTransfer::simple(0, x, y, Decimal::from(5), usd, 0));
        let ledger = b.finish().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("open.csv");
        std::fs::write(&path, "account,asset,amount\n\"y, Ltd\",usd,12.50\n").unwrap();
        let opening = read_opening(&path, &ledger).unwrap();
        assert_eq!(opening[&(y, usd)], Decimal::new(1250, 2));
        std::fs::write(&path, "x,USD,1\nnobody,USD,2\n").unwrap();
        let e = read_opening(&path, &ledger).unwrap_err().to_string();
        assert!(
            e.contains("row 1 (line 2), column \"account\": value \"nobody\""),
            "{e}"
        );
    }
}
