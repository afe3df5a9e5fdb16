//! Time as moneytrail stores it: microseconds since the Unix epoch, UTC.
//!
//! Every timestamp in a [`Ledger`](crate::Ledger) is an `i64` count of
//! microseconds (enough for ±292,000 years; finer input is truncated to the
//! microsecond). Helpers here convert to and from `chrono` and parse the
//! durations the command line accepts (`24h`, `90m`, `7d`).

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// Microseconds in one second.
pub const SECOND: i64 = 1_000_000;
/// Microseconds in one minute.
pub const MINUTE: i64 = 60 * SECOND;
/// Microseconds in one hour.
pub const HOUR: i64 = 60 * MINUTE;
/// Microseconds in one day.
pub const DAY: i64 = 24 * HOUR;

/// The earliest time a transfer may have: 1900-01-01T00:00:00Z.
pub const EARLIEST: i64 = -2_208_988_800 * SECOND;
/// The first time after the latest a transfer may have:
/// 2200-01-01T00:00:00Z. Input times outside `EARLIEST..LATEST` are
/// rejected as row errors: they are typos or sentinel values, and keeping
/// them out means no sum of a time and a window can overflow.
pub const LATEST: i64 = 7_258_118_400 * SECOND;

/// The accepted range in words, as row errors give it.
pub(crate) const RANGE_TEXT: &str =
    "times must lie from 1900-01-01T00:00:00Z up to (not including) 2200-01-01T00:00:00Z";

/// `Ok(time)` when it lies in the accepted range `EARLIEST..LATEST`.
///
/// ```
/// use moneytrail::time::{check_range, EARLIEST, LATEST};
/// assert!(check_range(0).is_ok());
/// assert!(check_range(EARLIEST).is_ok());
/// assert!(check_range(LATEST).is_err());
/// assert!(check_range(i64::MIN).is_err());
/// ```
///
/// # Errors
///
/// When the time is outside the range; the error says what the range is.
pub fn check_range(time: i64) -> Result<i64, &'static str> {
    if (EARLIEST..LATEST).contains(&time) {
        Ok(time)
    } else {
        Err(RANGE_TEXT)
    }
}

/// Convert stored microseconds to a `chrono` UTC time.
///
/// ```
/// use moneytrail::time::{to_datetime, from_datetime};
/// let t = chrono::DateTime::parse_from_rfc3339("2022-09-01T00:06:00Z").unwrap().to_utc();
/// assert_eq!(to_datetime(from_datetime(t)), t);
/// ```
pub fn to_datetime(micros: i64) -> DateTime<Utc> {
    Utc.timestamp_micros(micros)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Convert a `chrono` UTC time to stored microseconds.
pub fn from_datetime(time: DateTime<Utc>) -> i64 {
    time.timestamp_micros()
}

/// Format stored microseconds as RFC 3339 (`2022-09-01T00:06:00Z`), with
/// fractional seconds only when there are any.
pub fn to_rfc3339(micros: i64) -> String {
    to_datetime(micros).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// Parse a duration written as a number and a unit: `s`, `m`, `h`, `d`, `w`
/// (seconds, minutes, hours, days, weeks), e.g. `24h`, `90m`, `7d`, `1.5h`.
/// Returns microseconds.
///
/// ```
/// use moneytrail::time::{parse_duration, HOUR, DAY, MINUTE};
/// assert_eq!(parse_duration("24h"), Some(24 * HOUR));
/// assert_eq!(parse_duration("90m"), Some(90 * MINUTE));
/// assert_eq!(parse_duration("7d"), Some(7 * DAY));
/// assert_eq!(parse_duration("1.5h"), Some(90 * MINUTE));
/// assert_eq!(parse_duration("soon"), None);
/// ```
pub fn parse_duration(text: &str) -> Option<i64> {
    let text = text.trim();
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let unit_micros = match unit {
        "s" => SECOND,
        "m" | "min" => MINUTE,
        "h" => HOUR,
        "d" => DAY,
        "w" => 7 * DAY,
        _ => return None,
    };
    let value: rust_decimal::Decimal = number.trim().parse().ok()?;
    if value.is_sign_negative() {
        return None;
    }
    let micros = value.checked_mul(rust_decimal::Decimal::from(unit_micros))?;
    rust_decimal::prelude::ToPrimitive::to_i64(&micros.trunc())
}

/// Format microseconds as the shortest exact duration (`24h`, `90m`, `7d`).
pub fn format_duration(micros: i64) -> String {
    for (unit, size) in [
        ("w", 7 * DAY),
        ("d", DAY),
        ("h", HOUR),
        ("m", MINUTE),
        ("s", SECOND),
    ] {
        if micros != 0 && micros % size == 0 {
            return format!("{}{}", micros / size, unit);
        }
    }
    if micros == 0 {
        return "0s".to_string();
    }
    format!("{}us", micros)
}

/// Parse a time given by a person (a command-line flag): RFC 3339
/// (`2024-03-01T12:00:00Z`), or a date (`2024-03-01`, midnight UTC).
///
/// ```
/// use moneytrail::time::parse_time;
/// assert_eq!(parse_time("2024-03-01"), parse_time("2024-03-01T00:00:00Z"));
/// assert!(parse_time("yesterday").unwrap_err().contains("RFC 3339 or YYYY-MM-DD"));
/// ```
///
/// # Errors
///
/// When the text is neither, in words.
pub fn parse_time(text: &str) -> Result<i64, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.timestamp_micros());
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_micros())
        .ok_or_else(|| format!("{text:?} is not a time (RFC 3339 or YYYY-MM-DD)"))
}

/// Parse `YYYY/MM/DD HH:MM` (the AMLworld timestamp) to microseconds.
pub(crate) fn parse_amlworld(text: &str) -> Option<i64> {
    let b = text.trim().as_bytes();
    if b.len() != 16 || b[4] != b'/' || b[7] != b'/' || b[10] != b' ' || b[13] != b':' {
        return None;
    }
    let year = digits(&b[0..4])? as i32;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let hour = digits(&b[11..13])?;
    let minute = digits(&b[14..16])?;
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let time = date.and_hms_opt(hour, minute, 0)?;
    Some(time.and_utc().timestamp_micros())
}

fn digits(bytes: &[u8]) -> Option<u32> {
    let mut value = 0u32;
    for &b in bytes {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u32::from(b - b'0');
    }
    Some(value)
}

/// Parse an RFC 3339 time (`2022-09-01T00:06:00Z`, `2022-09-01T02:06:00+02:00`)
/// to microseconds.
pub(crate) fn parse_rfc3339(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.timestamp_micros())
}

/// Parse the time formats other tools' exports use: RFC 3339, then
/// `YYYY-MM-DD HH:MM:SS` and `YYYY-MM-DD` read as UTC.
pub(crate) fn parse_flexible(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Some(t) = parse_rfc3339(text) {
        return Some(t);
    }
    for format in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y/%m/%d %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Some(t.and_utc().timestamp_micros());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_micros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amlworld_times_parse_and_reject() {
        let t = parse_amlworld("2022/09/01 00:06").unwrap();
        assert_eq!(to_rfc3339(t), "2022-09-01T00:06:00Z");
        assert_eq!(parse_amlworld("2022/13/01 00:06"), None);
        assert_eq!(parse_amlworld("2022/02/30 00:06"), None);
        assert_eq!(parse_amlworld("2022-09-01 00:06"), None);
        assert_eq!(parse_amlworld("2022/09/01 0:06"), None);
        assert_eq!(parse_amlworld(""), None);
    }

    #[test]
    fn rfc3339_keeps_offsets_and_fractions() {
        let a = parse_rfc3339("2022-09-01T02:06:00+02:00").unwrap();
        let b = parse_rfc3339("2022-09-01T00:06:00Z").unwrap();
        assert_eq!(a, b);
        let c = parse_rfc3339("2022-09-01T00:06:00.25Z").unwrap();
        assert_eq!(c - b, SECOND / 4);
        assert_eq!(parse_rfc3339("yesterday"), None);
    }

    #[test]
    fn flexible_times() {
        let b = parse_rfc3339("2022-09-01T00:00:00Z").unwrap();
        assert_eq!(parse_flexible("2022-09-01"), Some(b));
        assert_eq!(parse_flexible("2022-09-01 00:00:00"), Some(b));
        assert_eq!(parse_flexible("2022/09/01 00:00"), Some(b));
        assert_eq!(parse_flexible("01.09.2022"), None);
    }

    #[test]
    fn the_accepted_range_is_what_its_constants_say() {
        assert_eq!(to_rfc3339(EARLIEST), "1900-01-01T00:00:00Z");
        assert_eq!(to_rfc3339(LATEST), "2200-01-01T00:00:00Z");
    }

    #[test]
    fn durations_round_trip() {
        for text in ["25h", "90m", "6d", "2w", "45s"] {
            assert_eq!(format_duration(parse_duration(text).unwrap()), text);
        }
        assert_eq!(format_duration(parse_duration("24h").unwrap()), "1d");
        assert_eq!(parse_duration("-1h"), None);
        assert_eq!(parse_duration("3x"), None);
        assert_eq!(parse_duration("h"), None);
    }
}

/// A duration in microseconds that reads and writes as text like `24h`,
/// `90m`, `7d` (in config files and JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span(pub i64);

impl Span {
    /// A span of whole hours.
    pub const fn hours(h: i64) -> Span {
        Span(h * HOUR)
    }

    /// A span of whole days.
    pub const fn days(d: i64) -> Span {
        Span(d * DAY)
    }

    /// Microseconds.
    pub const fn micros(self) -> i64 {
        self.0
    }
}

impl std::fmt::Display for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&format_duration(self.0))
    }
}

impl std::str::FromStr for Span {
    type Err = String;

    fn from_str(s: &str) -> Result<Span, String> {
        parse_duration(s)
            .map(Span)
            .ok_or_else(|| format!("{s:?} is not a duration like 24h, 90m or 7d"))
    }
}

impl serde::Serialize for Span {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_duration(self.0))
    }
}

impl<'de> serde::Deserialize<'de> for Span {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Span, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}
