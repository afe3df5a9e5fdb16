//! The input layouts moneytrail reads, their columns, and how one record of
//! each becomes a transfer.

use super::batch::Record;
use crate::error::Reason;
use crate::model::{amlworld_currency_code, AccountKind, Channel};
use crate::time;
use rust_decimal::Decimal;
use serde::Serialize;
use std::fmt;

/// A layout moneytrail can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// IBM AMLworld transactions (`Timestamp,From Bank,Account,To Bank,Account,…`).
    AmlWorld,
    /// IBM AMLworld patterns file (`BEGIN LAUNDERING ATTEMPT - …` blocks).
    AmlWorldPatterns,
    /// AMLSim sample output: `sourceNodeId,targetNodeId,value,time`.
    AmlSimSample,
    /// AMLSim's own `transactions.csv`: `tran_id,orig_acct,bene_acct,tx_type,base_amt,tran_timestamp,is_sar,alert_id`.
    AmlSimNative,
    /// moneytrail's transfers layout in CSV.
    TransfersCsv,
    /// moneytrail's transfers layout in Parquet.
    TransfersParquet,
    /// moneytrail's transfers layout in JSON lines.
    TransfersJsonLines,
    /// On-chain UTXO transactions in JSON lines (see [`read_utxo`](crate::ingest::read_utxo)).
    UtxoJsonLines,
    /// A moneytrail store (see [`store`](crate::store)): what a ledger read
    /// from one reports; never a file's layout.
    Store,
}

impl Layout {
    /// The layout's name as written in reports.
    pub fn name(self) -> &'static str {
        match self {
            Layout::AmlWorld => "amlworld",
            Layout::AmlWorldPatterns => "amlworld_patterns",
            Layout::AmlSimSample => "amlsim_sample",
            Layout::AmlSimNative => "amlsim",
            Layout::TransfersCsv => "transfers_csv",
            Layout::TransfersParquet => "transfers_parquet",
            Layout::TransfersJsonLines => "transfers_jsonl",
            Layout::UtxoJsonLines => "utxo_jsonl",
            Layout::Store => "store",
        }
    }

    /// The layout's header line (its column names, comma-separated; the
    /// patterns layout has the transactions layout's columns), for writers.
    ///
    /// ```
    /// use moneytrail::ingest::Layout;
    /// assert!(Layout::TransfersCsv.header().starts_with("tx_id,time,from,to,amount,asset,"));
    /// ```
    pub fn header(self) -> String {
        let names: Vec<&str> = self.spec().iter().map(|c| c.name).collect();
        names.join(",")
    }

    pub(crate) fn spec(self) -> &'static [ColSpec] {
        match self {
            Layout::AmlWorld | Layout::AmlWorldPatterns => AMLWORLD,
            Layout::AmlSimSample => AMLSIM_SAMPLE,
            Layout::AmlSimNative => AMLSIM_NATIVE,
            Layout::TransfersCsv
            | Layout::TransfersParquet
            | Layout::TransfersJsonLines
            | Layout::UtxoJsonLines
            | Layout::Store => TRANSFERS,
        }
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One column of a layout.
#[derive(Debug)]
pub(crate) struct ColSpec {
    /// The name in the header.
    pub(crate) name: &'static str,
    /// The name used in error messages (disambiguates AMLworld's two
    /// `Account` columns).
    pub(crate) label: &'static str,
    pub(crate) required: bool,
}

const fn req(name: &'static str) -> ColSpec {
    ColSpec {
        name,
        label: name,
        required: true,
    }
}

const fn opt(name: &'static str) -> ColSpec {
    ColSpec {
        name,
        label: name,
        required: false,
    }
}

/// AMLworld columns, by position (both account columns are named `Account`).
pub(crate) const AMLWORLD: &[ColSpec] = &[
    req("Timestamp"),
    req("From Bank"),
    ColSpec {
        name: "Account",
        label: "Account (column 3, from)",
        required: true,
    },
    req("To Bank"),
    ColSpec {
        name: "Account",
        label: "Account (column 5, to)",
        required: true,
    },
    req("Amount Received"),
    req("Receiving Currency"),
    req("Amount Paid"),
    req("Payment Currency"),
    req("Payment Format"),
    opt("Is Laundering"),
];

pub(crate) const AMLSIM_SAMPLE: &[ColSpec] = &[
    req("sourceNodeId"),
    req("targetNodeId"),
    req("value"),
    req("time"),
];

pub(crate) const AMLSIM_NATIVE: &[ColSpec] = &[
    req("tran_id"),
    req("orig_acct"),
    req("bene_acct"),
    req("tx_type"),
    req("base_amt"),
    req("tran_timestamp"),
    opt("is_sar"),
    opt("alert_id"),
];

/// The native transfers layout. The first six are required.
pub(crate) const TRANSFERS: &[ColSpec] = &[
    req("tx_id"),
    req("time"),
    req("from"),
    req("to"),
    req("amount"),
    req("asset"),
    opt("amount_received"),
    opt("asset_received"),
    opt("channel"),
    opt("from_institution"),
    opt("to_institution"),
    opt("from_jurisdiction"),
    opt("to_jurisdiction"),
    opt("chain"),
    opt("tx_hash"),
    opt("label"),
    opt("from_kind"),
    opt("to_kind"),
];

/// What is wrong with one field of a record.
#[derive(Debug)]
pub(crate) struct FieldError {
    pub(crate) col: usize,
    pub(crate) value: String,
    pub(crate) reason: Reason,
    pub(crate) detail: Option<&'static str>,
}

fn bad(col: usize, value: &str, reason: Reason, detail: Option<&'static str>) -> FieldError {
    FieldError {
        col,
        value: value.to_string(),
        reason,
        detail,
    }
}

/// An account key, possibly `prefix:id` (AMLworld's `bank:account`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Key<'a> {
    pub(crate) prefix: Option<&'a str>,
    pub(crate) id: &'a str,
}

impl<'a> Key<'a> {
    /// The account key: `prefix:id`, or the id alone; `buffer` holds the
    /// joined text when there is a prefix.
    pub(crate) fn joined<'b>(&self, buffer: &'b mut String) -> &'b str
    where
        'a: 'b,
    {
        match self.prefix {
            None => self.id,
            Some(prefix) => {
                buffer.clear();
                buffer.push_str(prefix);
                buffer.push(':');
                buffer.push_str(self.id);
                buffer
            }
        }
    }
}

/// One record, parsed, before its accounts and assets are interned.
#[derive(Debug)]
pub(crate) struct ParsedRow<'a> {
    pub(crate) time_us: i64,
    pub(crate) from: Key<'a>,
    pub(crate) to: Key<'a>,
    pub(crate) amount_paid: Decimal,
    /// `None`: the layout states no asset; the load's default asset.
    pub(crate) asset_paid: Option<&'a str>,
    pub(crate) amount_received: Decimal,
    pub(crate) asset_received: Option<&'a str>,
    pub(crate) channel: Channel,
    /// The channel text when it was not recognised (kept as `other`).
    pub(crate) unknown_channel: Option<&'a str>,
    /// Currency names that had no code and were kept verbatim.
    pub(crate) unmapped_assets: [Option<&'a str>; 2],
    pub(crate) laundering: Option<bool>,
    pub(crate) tx_id: Option<&'a str>,
    pub(crate) tx_hash: Option<&'a str>,
    pub(crate) chain: Option<&'a str>,
    pub(crate) institutions: [Option<&'a str>; 2],
    pub(crate) jurisdictions: [Option<&'a str>; 2],
    pub(crate) kinds: [Option<AccountKind>; 2],
    /// A virtual-currency transfer: accounts without a stated kind are
    /// taken to be addresses.
    pub(crate) on_chain: bool,
}

/// The largest amount moneytrail accepts: 10^15 (a quadrillion units of any
/// currency or token). Sums over four billion such transfers, and their
/// values at any exchange rate (capped at 10^18), stay inside a
/// `Decimal`, so no arithmetic on loaded data can overflow.
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(0xA4C6_8000, 0x0003_8D7E, 0, false, 0);

/// Parse a non-negative decimal amount exactly: digits with at most one
/// point, an optional leading `+`; no exponent, no thousands separators; at
/// most [`MAX_AMOUNT`]. An amount a `Decimal` cannot hold exactly (more than
/// 28 decimal places, or more than 28 significant digits, trailing zeros of
/// the fraction aside) is an error, never rounded.
pub(crate) fn parse_amount(text: &str) -> Result<Decimal, Reason> {
    match plain_amount(text.as_bytes()) {
        Some(value) => Ok(value),
        None => parse_written_amount(text),
    }
}

/// The usual amount, read without allocating: digits with at most one
/// point, 28 digits at most, no sign, not above the cap. `None` for
/// anything else, which [`parse_written_amount`] reads (or rejects).
fn plain_amount(bytes: &[u8]) -> Option<Decimal> {
    let (mut mantissa, mut scale, mut digits, mut point) = (0i128, 0u32, 0u32, false);
    for &b in bytes {
        match b {
            b'0'..=b'9' => {
                digits += 1;
                if digits > 28 {
                    return None;
                }
                mantissa = mantissa * 10 + i128::from(b - b'0');
                scale += u32::from(point);
            }
            b'.' if !point => point = true,
            _ => return None,
        }
    }
    if digits == 0 {
        return None;
    }
    // below 10^28, within a Decimal's 96 bits, and a scale of at most 28
    let value = Decimal::from_i128_with_scale(mantissa, scale);
    (value <= MAX_AMOUNT).then_some(value)
}

/// Any amount as written: a sign, leading zeros and fraction digits beyond
/// what a Decimal holds are allowed where they change nothing.
fn parse_written_amount(text: &str) -> Result<Decimal, Reason> {
    let body = text.strip_prefix('+').unwrap_or(text);
    let (negative, digits) = match body.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, body),
    };
    let mut points = 0;
    let mut any_digit = false;
    for b in digits.bytes() {
        match b {
            b'0'..=b'9' => any_digit = true,
            b'.' => points += 1,
            _ => return Err(Reason::BadAmount),
        }
    }
    if !any_digit || points > 1 {
        return Err(Reason::BadAmount);
    }
    // leading zeros and trailing zeros of the fraction change nothing; the
    // written scale is kept where a Decimal holds it
    let digits = match digits.split_once('.') {
        Some((whole, fraction)) => {
            let whole = whole.trim_start_matches('0');
            let significant = fraction.trim_end_matches('0');
            if significant.len() > 28 || whole.len() + significant.len() > 28 {
                return Err(Reason::TooPrecise);
            }
            let whole = if whole.is_empty() { "0" } else { whole };
            let kept = if fraction.len() <= 28 && whole.len() + fraction.len() <= 28 {
                fraction
            } else {
                significant
            };
            std::borrow::Cow::Owned(format!("{whole}.{kept}"))
        }
        None => {
            let whole = digits.trim_start_matches('0');
            if whole.len() > 28 {
                return Err(Reason::BadAmount); // above the cap in any case
            }
            std::borrow::Cow::Borrowed(if whole.is_empty() { "0" } else { whole })
        }
    };
    let value = Decimal::from_str_exact(&digits).map_err(|_| Reason::TooPrecise)?;
    if negative && !value.is_zero() {
        return Err(Reason::NegativeAmount);
    }
    if value > MAX_AMOUNT {
        return Err(Reason::BadAmount);
    }
    Ok(value)
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "t" | "y" => Some(true),
        "0" | "false" | "no" | "f" | "n" => Some(false),
        _ => None,
    }
}

fn required<'a>(r: Record<'a>, col: usize, reason: Reason) -> Result<&'a str, FieldError> {
    r.text(col).ok_or_else(|| bad(col, "", reason, None))
}

fn amount(r: Record<'_>, col: usize) -> Result<Decimal, FieldError> {
    let text = required(r, col, Reason::MissingValue)?;
    parse_amount(text).map_err(|reason| {
        let detail = if reason == Reason::TooPrecise {
            "amounts are kept exactly: at most 28 decimal places and 28 significant digits"
        } else {
            "expected a non-negative decimal such as 1234.56, at most 10^15"
        };
        bad(col, text, reason, Some(detail))
    })
}

fn label(r: Record<'_>, col: usize) -> Result<Option<bool>, FieldError> {
    match r.text(col) {
        None => Ok(None),
        Some(text) => parse_bool(text).map(Some).ok_or_else(|| {
            bad(
                col,
                text,
                Reason::BadNumber,
                Some("expected 0/1 or true/false"),
            )
        }),
    }
}

fn channel(text: Option<&str>) -> (Channel, Option<&str>) {
    match text {
        None => (Channel::Other, None),
        Some(t) => match Channel::parse(t) {
            Some(c) => (c, None),
            None => (Channel::Other, Some(t)),
        },
    }
}

fn time_with(
    r: Record<'_>,
    col: usize,
    parse: fn(&str) -> Option<i64>,
    expected: &'static str,
) -> Result<i64, FieldError> {
    let time = match r.typed_time(col) {
        Some(Ok(t)) => t,
        Some(Err(raw)) => {
            return Err(bad(col, &raw, Reason::BadTime, Some(time::RANGE_TEXT)));
        }
        None => {
            let text = required(r, col, Reason::MissingValue)?;
            parse(text).ok_or_else(|| bad(col, text, Reason::BadTime, Some(expected)))?
        }
    };
    time::check_range(time).map_err(|_| {
        let shown = r
            .typed_raw(col)
            .or_else(|| r.text(col).map(str::to_string))
            .unwrap_or_default();
        bad(col, &shown, Reason::BadTime, Some(time::RANGE_TEXT))
    })
}

fn simple_row<'a>(
    time_us: i64,
    from: &'a str,
    to: &'a str,
    amount: Decimal,
    asset: Option<&'a str>,
) -> ParsedRow<'a> {
    ParsedRow {
        time_us,
        from: Key {
            prefix: None,
            id: from,
        },
        to: Key {
            prefix: None,
            id: to,
        },
        amount_paid: amount,
        asset_paid: asset,
        amount_received: amount,
        asset_received: asset,
        channel: Channel::Other,
        unknown_channel: None,
        unmapped_assets: [None, None],
        laundering: None,
        tx_id: None,
        tx_hash: None,
        chain: None,
        institutions: [None, None],
        jurisdictions: [None, None],
        kinds: [None, None],
        on_chain: false,
    }
}

/// Parse one AMLworld record (also the rows of a patterns file).
pub(crate) fn parse_amlworld(r: Record<'_>) -> Result<ParsedRow<'_>, FieldError> {
    let time_us = time_with(r, 0, time::parse_amlworld, "expected YYYY/MM/DD HH:MM")?;
    let from_bank = required(r, 1, Reason::EmptyAccount)?;
    let from_account = required(r, 2, Reason::EmptyAccount)?;
    let to_bank = required(r, 3, Reason::EmptyAccount)?;
    let to_account = required(r, 4, Reason::EmptyAccount)?;
    let amount_received = amount(r, 5)?;
    let received_name = required(r, 6, Reason::MissingValue)?;
    let amount_paid = amount(r, 7)?;
    let paid_name = required(r, 8, Reason::MissingValue)?;
    let (channel, unknown_channel) = channel(r.text(9));
    let laundering = label(r, 10)?;
    let received_code = amlworld_currency_code(received_name);
    let paid_code = amlworld_currency_code(paid_name);
    let mut row = simple_row(
        time_us,
        from_account,
        to_account,
        amount_paid,
        Some(paid_code.unwrap_or(paid_name)),
    );
    row.from.prefix = Some(from_bank);
    row.to.prefix = Some(to_bank);
    row.amount_received = amount_received;
    row.asset_received = Some(received_code.unwrap_or(received_name));
    row.unmapped_assets = [
        paid_code.is_none().then_some(paid_name),
        received_code.is_none().then_some(received_name),
    ];
    row.channel = channel;
    row.unknown_channel = unknown_channel;
    row.laundering = laundering;
    row.institutions = [Some(from_bank), Some(to_bank)];
    Ok(row)
}

/// Parse one AMLSim sample record; `start_us` is the time of step 0 and a
/// step is one day.
pub(crate) fn parse_amlsim_sample(
    r: Record<'_>,
    start_us: i64,
) -> Result<ParsedRow<'_>, FieldError> {
    let from = required(r, 0, Reason::EmptyAccount)?;
    let to = required(r, 1, Reason::EmptyAccount)?;
    let value = amount(r, 2)?;
    let step_text = required(r, 3, Reason::MissingValue)?;
    let step: i64 = step_text
        .parse()
        .ok()
        .filter(|s: &i64| (0..=3_000_000).contains(s))
        .ok_or_else(|| {
            bad(
                3,
                step_text,
                Reason::BadTime,
                Some("expected a whole, non-negative simulation step (one day each)"),
            )
        })?;
    Ok(simple_row(
        start_us + step * time::DAY,
        from,
        to,
        value,
        None,
    ))
}

/// Parse one record of AMLSim's own `transactions.csv`.
pub(crate) fn parse_amlsim_native(r: Record<'_>) -> Result<ParsedRow<'_>, FieldError> {
    let tx_id = r.text(0);
    let from = required(r, 1, Reason::EmptyAccount)?;
    let to = required(r, 2, Reason::EmptyAccount)?;
    let (channel, unknown_channel) = channel(r.text(3));
    let value = amount(r, 4)?;
    let time_us = time_with(
        r,
        5,
        time::parse_flexible,
        "expected RFC 3339 or YYYY-MM-DD[ HH:MM:SS]",
    )?;
    let laundering = label(r, 6)?;
    let mut row = simple_row(time_us, from, to, value, None);
    row.tx_id = tx_id;
    row.channel = channel;
    row.unknown_channel = unknown_channel;
    row.laundering = laundering;
    Ok(row)
}

/// Parse one record of the native transfers layout (column order of
/// [`TRANSFERS`]).
pub(crate) fn parse_transfers(r: Record<'_>) -> Result<ParsedRow<'_>, FieldError> {
    let tx_id = r.text(0);
    let time_us = time_with(
        r,
        1,
        time::parse_rfc3339,
        "expected RFC 3339, e.g. 2024-03-01T12:00:00Z",
    )?;
    let from = required(r, 2, Reason::EmptyAccount)?;
    let to = required(r, 3, Reason::EmptyAccount)?;
    let amount_paid = amount(r, 4)?;
    let asset_paid = required(r, 5, Reason::MissingValue)?;
    let asset_received = r.text(7).unwrap_or(asset_paid);
    let amount_received = if r.text(6).is_some() {
        amount(r, 6)?
    } else if asset_received.eq_ignore_ascii_case(asset_paid) {
        amount_paid
    } else {
        return Err(bad(
            6,
            "",
            Reason::MissingValue,
            Some("asset_received differs from asset, so amount_received is required"),
        ));
    };
    let chain = r.text(13);
    let (mut channel, unknown_channel) = channel(r.text(8));
    if r.text(8).is_none() && chain.is_some() {
        channel = Channel::VirtualCurrency;
    }
    let kind = |col: usize| -> Result<Option<AccountKind>, FieldError> {
        match r.text(col) {
            None => Ok(None),
            Some(text) => AccountKind::parse(text).map(Some).ok_or_else(|| {
                bad(
                    col,
                    text,
                    Reason::BadValue,
                    Some("expected bank, address, exchange or cash"),
                )
            }),
        }
    };
    let mut row = simple_row(time_us, from, to, amount_paid, Some(asset_paid));
    row.amount_received = amount_received;
    row.asset_received = Some(asset_received);
    row.channel = channel;
    row.unknown_channel = unknown_channel;
    row.institutions = [r.text(9), r.text(10)];
    row.jurisdictions = [r.text(11), r.text(12)];
    row.chain = chain;
    row.tx_id = tx_id;
    row.tx_hash = r.text(14);
    row.laundering = label(r, 15)?;
    row.kinds = [kind(16)?, kind(17)?];
    row.on_chain = chain.is_some() || channel == Channel::VirtualCurrency;
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_exact_and_strict() {
        assert_eq!(parse_amount("2848.96").unwrap().to_string(), "2848.96");
        assert_eq!(parse_amount("0.000001").unwrap().to_string(), "0.000001");
        assert_eq!(parse_amount("+5").unwrap(), Decimal::from(5));
        assert_eq!(parse_amount("-0").unwrap(), Decimal::ZERO);
        assert_eq!(parse_amount("-3.5"), Err(Reason::NegativeAmount));
        for bad in [
            "", "abc", "1e5", "1,000", "1.2.3", ".", "12 34", "1_000", "NaN",
        ] {
            assert_eq!(parse_amount(bad), Err(Reason::BadAmount), "{bad}");
        }
        // more digits than a Decimal holds, or above the cap
        assert_eq!(
            parse_amount("123456789012345678901234567890123"),
            Err(Reason::BadAmount)
        );
        // never rounded: 0.(400 zeros)1 and 10^15 + 10^-22 (regressions/amount-silent-rounding)
        let tiny = format!("0.{}1", "0".repeat(400));
        assert_eq!(parse_amount(&tiny), Err(Reason::TooPrecise));
        assert_eq!(
            parse_amount("1000000000000000.0000000000000000000001"),
            Err(Reason::TooPrecise)
        );
        // trailing zeros are exact, whatever their number
        assert_eq!(
            parse_amount(&format!("2.5{}", "0".repeat(60)))
                .unwrap()
                .normalize()
                .to_string(),
            "2.5"
        );
        assert_eq!(
            parse_amount("0000000000000000000000000000000012").unwrap(),
            Decimal::from(12)
        );
        assert_eq!(
            parse_amount("0.0000000000000000000000000001")
                .unwrap()
                .scale(),
            28
        );
        assert_eq!(
            parse_amount("0.00000000000000000000000000001"),
            Err(Reason::TooPrecise)
        );
        assert_eq!(parse_amount("5.").unwrap(), Decimal::from(5));
        assert_eq!(parse_amount(".5").unwrap().to_string(), "0.5");
        assert_eq!(MAX_AMOUNT, Decimal::from(1_000_000_000_000_000i64));
        assert!(parse_amount("1000000000000000").is_ok());
        assert_eq!(parse_amount("1000000000000000.01"), Err(Reason::BadAmount));
    }

    proptest::proptest! {
        /// The allocation-free reading of plain amounts gives what the
        /// general one gives, scale included, wherever it answers.
        #[test]
        fn plain_amounts_read_as_written_amounts(text in "[0-9]{0,30}(\\.[0-9]{0,30})?") {
            let written = parse_written_amount(&text);
            match plain_amount(text.as_bytes()) {
                Some(value) => {
                    let expected = written.expect("a plain amount the general reader rejects");
                    proptest::prop_assert_eq!(value.to_string(), expected.to_string());
                    proptest::prop_assert_eq!(value.scale(), expected.scale());
                }
                None => proptest::prop_assert!(
                    written.is_err() || text.bytes().filter(u8::is_ascii_digit).count() > 28,
                    "{} was read by the general reader only", text
                ),
            }
        }
    }

    #[test]
    fn booleans() {
        assert_eq!(parse_bool("True"), Some(true));
        assert_eq!(parse_bool("0"), Some(false));
        assert_eq!(parse_bool("2"), None);
    }
}
