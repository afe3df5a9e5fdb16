//! How numbers and durations read in explanations, reports and on the
//! console.
//!
//! ```
//! use moneytrail::format::{group_thousands, span_words};
//! use moneytrail::time::HOUR;
//! assert_eq!(group_thousands("1234567.5".parse().unwrap()), "1,234,567.5");
//! assert_eq!(span_words(26 * HOUR), "26 h");
//! ```

use rust_decimal::Decimal;

/// Format a decimal with thousands separators: `1234567.5` → `1,234,567.5`.
pub fn group_thousands(value: Decimal) -> String {
    let text = value.to_string();
    let (sign, body) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let mut out = String::with_capacity(text.len() + int.len() / 3);
    out.push_str(sign);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// An amount at a precision, with thousands separators: rounded half
/// away from zero to `decimals` places and padded to them (`7,495.60`);
/// zero shows as `0`.
///
/// ```
/// use moneytrail::format::amount;
/// assert_eq!(amount("46360.831578947368".parse().unwrap(), 2), "46,360.83");
/// assert_eq!(amount("0.12".parse().unwrap(), 8), "0.12000000");
/// assert_eq!(amount("1425".parse().unwrap(), 2), "1,425.00");
/// ```
pub fn amount(value: Decimal, decimals: u32) -> String {
    if value.is_zero() {
        return "0".to_string();
    }
    let mut rounded = value.round_dp_with_strategy(
        decimals,
        rust_decimal::RoundingStrategy::MidpointAwayFromZero,
    );
    rounded.rescale(decimals);
    group_thousands(rounded)
}

/// A count and its noun, plural unless one: `count(1, "hop")` is
/// `1 hop`, `count(1200, "transfer")` is `1,200 transfers`.
///
/// ```
/// use moneytrail::format::count;
/// assert_eq!(count(1, "finding"), "1 finding");
/// assert_eq!(count(0, "account"), "0 accounts");
/// assert_eq!(count(1200, "transfer"), "1,200 transfers");
/// assert_eq!(count(20, "address"), "20 addresses");
/// assert_eq!(count(3, "counterparty"), "3 counterparties");
/// assert_eq!(count(2, "day"), "2 days");
/// ```
pub fn count(n: usize, noun: &str) -> String {
    let number = group_thousands(Decimal::from(n));
    let consonant_y =
        noun.ends_with('y') && !noun[..noun.len() - 1].ends_with(['a', 'e', 'i', 'o', 'u']);
    match n {
        1 => format!("{number} {noun}"),
        _ if consonant_y => format!("{number} {}ies", &noun[..noun.len() - 1]),
        _ if noun.ends_with('s') || noun.ends_with('x') || noun.ends_with("ch") => {
            format!("{number} {noun}es")
        }
        _ => format!("{number} {noun}s"),
    }
}

/// Describe a duration for explanations (`26 h`, `3 d`, `45 min`).
pub fn span_words(micros: i64) -> String {
    if micros >= 2 * crate::time::DAY {
        format!("{:.1} d", micros as f64 / crate::time::DAY as f64)
    } else if micros >= 2 * crate::time::HOUR {
        format!("{} h", (micros + crate::time::HOUR / 2) / crate::time::HOUR)
    } else {
        format!(
            "{} min",
            (micros + crate::time::MINUTE / 2) / crate::time::MINUTE
        )
    }
}
