//! What drove a score, in words: each feature column and its value as an
//! investigator reads it ("payee received from 14 accounts within 24 h").

use crate::format::{amount, count, span_words};
use crate::time::Span;
use rust_decimal::Decimal;

/// One feature's part in a score.
#[derive(Debug, Clone, PartialEq)]
pub struct Reason {
    /// The feature column.
    pub column: String,
    /// Its contribution to the score, in log-odds (positive raises it).
    pub contribution: f64,
    /// The feature's value for the transfer.
    pub value: f64,
    /// Column and value in words.
    pub words: String,
}

impl Reason {
    /// Reasons in words, one after another (`; ` between them), as the
    /// score files and the report show them.
    pub fn joined(reasons: &[Reason]) -> String {
        let words: Vec<&str> = reasons.iter().map(|r| r.words.as_str()).collect();
        words.join("; ")
    }
}

/// The `limit` features that raised a score most, largest first, in words.
/// `contributions` and `values` are in the order of `columns`.
pub(crate) fn reasons(
    columns: &[String],
    contributions: &[f64],
    values: &[f64],
    window: Span,
    currency: &str,
    limit: usize,
) -> Vec<Reason> {
    let mut order: Vec<usize> = (0..columns.len())
        .filter(|&j| contributions[j] > 0.0)
        .collect();
    order.sort_by(|&a, &b| {
        contributions[b]
            .total_cmp(&contributions[a])
            .then_with(|| a.cmp(&b))
    });
    order
        .into_iter()
        .take(limit)
        .map(|j| Reason {
            column: columns[j].clone(),
            contribution: contributions[j],
            value: values[j],
            words: describe(&columns[j], values[j], window, currency),
        })
        .collect()
}

/// A feature column and its value in words.
///
/// ```
/// use moneytrail::learn::describe;
/// use moneytrail::time::Span;
/// let day = Span::hours(24);
/// assert_eq!(describe("payee_in_fan", 14.0, day, "USD"), "payee received from 14 accounts within 24 h");
/// assert_eq!(describe("payer_out_sum", 9850.0, day, "USD"), "payer paid 9,850.00 USD in all within 24 h");
/// assert_eq!(describe("value_paid", 250.0, day, "USD"), "worth 250.00 USD");
/// assert_eq!(describe("cross_border", 1.0, day, "USD"), "crosses a border");
/// assert_eq!(describe("payers", 14.0, day, "USD"), "received from 14 accounts in all");
/// assert_eq!(
///     describe("received_max_payee_in_fan", 14.0, day, "USD"),
///     "at a transfer it received, it received from 14 accounts within 24 h"
/// );
/// assert_eq!(
///     describe("paid_max_payee_in_fan", 14.0, day, "USD"),
///     "a payment it made: payee received from 14 accounts within 24 h"
/// );
/// assert_eq!(describe("rule_fan_in_score", 0.93, day, "USD"), "in a fan in finding scoring 0.93");
/// assert_eq!(describe("rule_transfers", 16.0, day, "USD"), "in a finding of 16 transfers");
/// ```
pub fn describe(column: &str, value: f64, window: Span, currency: &str) -> String {
    let money = |v: f64| {
        let shown = Decimal::from_f64_retain(v).map_or_else(|| format!("{v:.2}"), |d| amount(d, 2));
        format!("{shown} {currency}")
    };
    let whole = |v: f64| v.round().max(0.0) as usize;
    match column {
        "value_paid" => return format!("worth {}", money(value)),
        "value_received" => return format!("received as {}", money(value)),
        "hour" => return format!("made at {:02}:00–{:02}:59", whole(value), whole(value)),
        "cross_border" if value > 0.5 => return "crosses a border".to_string(),
        "cross_border" => return "stays within one country (or a country is unknown)".to_string(),
        "cross_currency" if value > 0.5 => return "changes currency".to_string(),
        "cross_currency" => return "stays in one currency".to_string(),
        "paid_transfers" => return format!("paid {} in all", count(whole(value), "transfer")),
        "received_transfers" => {
            return format!("received {} in all", count(whole(value), "transfer"))
        }
        "payees" => return format!("paid {} in all", count(whole(value), "account")),
        "payers" => return format!("received from {} in all", count(whole(value), "account")),
        "paid_value" => return format!("paid {} in all", money(value)),
        "received_value" => return format!("received {} in all", money(value)),
        "forwarded_share" => return format!("paid on {:.0}% of what it received", value * 100.0),
        "active_days" => return format!("active over {value:.1} days"),
        "rule_accounts" => return format!("in a finding of {}", count(whole(value), "account")),
        "rule_transfers" => return format!("in a finding of {}", count(whole(value), "transfer")),
        _ => {}
    }
    // an account's highest value of a transfer column over what it paid
    // or received: the account is that transfer's payer or payee
    for (prefix, itself, transfer) in [
        ("paid_max_", "payer ", "a payment it made"),
        ("received_max_", "payee ", "a transfer it received"),
    ] {
        if let Some(inner) = column.strip_prefix(prefix) {
            let words = describe(inner, value, window, currency);
            return match words.strip_prefix(itself) {
                Some(rest) => format!("at {transfer}, it {rest}"),
                None => format!("{transfer}: {words}"),
            };
        }
    }
    if let Some(k) = column.strip_prefix("cycle_") {
        return format!(
            "on {} of {k} transfers within {}",
            count(whole(value), "cycle"),
            span_words(window.micros())
        );
    }
    if let Some(rule) = column.strip_prefix("rule_") {
        if let Some(typology) = rule.strip_suffix("_score") {
            let typology = typology.replace('_', " ");
            return match value > 0.0 {
                true => format!("in a {typology} finding scoring {value:.2}"),
                false => format!("in no {typology} finding"),
            };
        }
        if let Some(typology) = rule.strip_suffix("_findings") {
            let typology = typology.replace('_', " ");
            return format!("in {} ({typology})", count(whole(value), "finding"));
        }
    }
    let mut parts = column.splitn(3, '_');
    let (side, direction, statistic) = match (parts.next(), parts.next(), parts.next()) {
        (Some(s), Some(d), Some(t)) => (s, d, t),
        _ => return format!("{column} = {value}"),
    };
    let (verb, from_to, flow) = match direction {
        "in" => ("received", "from", "incoming"),
        "out" => ("paid", "to", "outgoing"),
        _ => return format!("{column} = {value}"),
    };
    let within = format!("within {}", span_words(window.micros()));
    match statistic {
        "degree" => format!("{side} {verb} {} {within}", count(whole(value), "transfer")),
        "fan" => format!(
            "{side} {verb} {from_to} {} {within}",
            count(whole(value), "account")
        ),
        "sum" => format!("{side} {verb} {} in all {within}", money(value)),
        "mean" => format!(
            "{side}'s {flow} transfers averaged {} {within}",
            money(value)
        ),
        "min" => format!(
            "{side}'s smallest {flow} transfer was {} {within}",
            money(value)
        ),
        "max" => format!(
            "{side}'s largest {flow} transfer was {} {within}",
            money(value)
        ),
        "var" => format!(
            "{side}'s {flow} amounts spread by {} (standard deviation) {within}",
            money(value.max(0.0).sqrt())
        ),
        "skew" => format!("{side}'s {flow} amounts have skewness {value:.2} {within}"),
        "share" => format!(
            "{side} paid on {:.0}% of what it received {within}",
            value * 100.0
        ),
        _ => format!("{column} = {value}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_of_the_features_reads_as_words() {
        for name in crate::features::endpoint_names() {
            let words = describe(&name, 3.0, Span::hours(24), "USD");
            assert!(!words.contains('='), "{name}: {words}");
            assert!(words.ends_with("within 24 h"), "{name}: {words}");
        }
        assert_eq!(
            describe("payer_out_share", 0.97, Span::hours(24), "USD"),
            "payer paid on 97% of what it received within 24 h"
        );
        for name in crate::features::cycle_names(6) {
            let words = describe(&name, 2.0, Span::hours(24), "USD");
            assert!(words.starts_with("on 2 cycles of "), "{name}: {words}");
        }
        for name in crate::features::rule_names() {
            let words = describe(&name, 3.0, Span::hours(24), "USD");
            assert!(
                words.starts_with("in ") && !words.contains('_'),
                "{name}: {words}"
            );
        }
    }

    #[test]
    fn reasons_keep_the_largest_positive_contributions_in_order() {
        let columns: Vec<String> = ["value_paid", "payee_in_fan", "hour", "payer_out_degree"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let got = reasons(
            &columns,
            &[0.5, 2.0, -3.0, 0.5],
            &[100.0, 14.0, 3.0, 2.0],
            Span::hours(24),
            "USD",
            2,
        );
        let names: Vec<&str> = got.iter().map(|r| r.column.as_str()).collect();
        assert_eq!(names, ["payee_in_fan", "value_paid"]);
        assert_eq!(got[0].words, "payee received from 14 accounts within 24 h");
    }
}
