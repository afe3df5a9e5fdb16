//! What a forward trace writes: trace.json, holdings.csv, flows.csv, its
//! picture and its report.html.

use super::files::{io, write_text, Table, Written};
use super::page::{data_overview, legend, timeline_svg, totals_text, Page};
use super::picture::Picture;
use super::svg::{amount, picture_svg};
use super::{OutputOptions, ReportLimits};
use crate::error::{Error, Result};
use crate::format::group_thousands;
use crate::fx::FxTable;
use crate::ledger::Ledger;
use crate::time::{self, DAY};
use crate::trace::Trace;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

/// What a trace's outputs say beside its books: its seeds in words, and
/// where it stops that the books cannot show (holdings at exchanges, see
/// [`exchange_stops`](crate::trace::exchange_stops)).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TraceNotes {
    /// Each seed in words.
    pub seeds: Vec<String>,
    /// Each place the trace stops, in words.
    pub stops: Vec<String>,
    /// Each passage through an exchange, in words (see
    /// [`passage_words`](crate::trace::passage_words)).
    pub passages: Vec<String>,
}

/// Asset totals as `{code: decimal string}`.
fn totals_json(data: &crate::ledger::Ledger, totals: &crate::trace::Totals) -> serde_json::Value {
    let map: serde_json::Map<String, serde_json::Value> = totals
        .iter()
        .map(|(a, v)| {
            (
                data.asset(*a).code.clone(),
                serde_json::Value::String(v.normalize().to_string()),
            )
        })
        .collect();
    serde_json::Value::Object(map)
}

/// The JSON form of a forward trace (`trace.json`): `rule`, `seeds`,
/// `traced_in`, `held`, `exited`, `dust` (asset code → decimal string),
/// `exited_by_reason`, `converted_in`, `converted_out`, `conserved`,
/// `holdings` (`account`, `asset`, `amount`, `share`, `hops`,
/// `first_time`, and `value` in the reporting currency when `fx` is given
/// and knows the asset), `through_exchanges` (each passage through an
/// exchange: `exchange`, `deposit_row`, `payout_row`, `taint_in` of the
/// deposit's asset, `taint_out` of the payout's, and `words`),
/// `stopped_at_exchanges` (the notes' stops, in words) and, for `poison`,
/// a note that it measures volume.
pub fn trace_json(
    ledger: &crate::ledger::Ledger,
    trace: &crate::trace::Trace,
    notes: &TraceNotes,
    fx: Option<&crate::fx::FxTable>,
) -> serde_json::Value {
    let value = |asset: crate::model::AssetId, amount: Decimal| -> Option<String> {
        let rate = fx?.rate(&ledger.asset(asset).code)?;
        Some((amount * rate).round_dp(2).to_string())
    };
    let holdings: Vec<serde_json::Value> = trace
        .holdings
        .iter()
        .map(|h| {
            serde_json::json!({
                "account": ledger.account(h.account).key,
                "asset": ledger.asset(h.asset).code,
                "amount": h.amount.normalize().to_string(),
                "value": value(h.asset, h.amount),
                "share": (h.share * 10_000.0).round() / 10_000.0,
                "hops": h.hops,
                "first_time": time::to_rfc3339(h.first_time_us),
            })
        })
        .collect();
    let by_reason: serde_json::Map<String, serde_json::Value> = trace
        .exited
        .iter()
        .map(|(reason, totals)| (reason.clone(), totals_json(ledger, totals)))
        .collect();
    let passages: Vec<serde_json::Value> = trace
        .passages
        .iter()
        .map(|p| {
            let (d, x) = (p.deposit.index(), p.payout.index());
            serde_json::json!({
                "exchange": ledger.account(p.exchange).key,
                "deposit_row": ledger.source_rows()[d],
                "payout_row": ledger.source_rows()[x],
                "taint_in": p.taint_in.normalize().to_string(),
                "asset_in": ledger.asset(ledger.assets_received()[d]).code,
                "taint_out": p.taint_out.normalize().to_string(),
                "asset_out": ledger.asset(ledger.assets_paid()[x]).code,
            })
        })
        .collect();
    let mut value = serde_json::json!({
        "rule": trace.rule.name(),
        "seeds": notes.seeds,
        "through_exchanges": passages,
        "through_exchanges_words": notes.passages,
        "stopped_at_exchanges": notes.stops,
        "traced_in": totals_json(ledger, &trace.traced_in),
        "held": totals_json(ledger, &trace.held),
        "exited": totals_json(ledger, &trace.exited_total()),
        "dust": totals_json(ledger, &trace.dust),
        "exited_by_reason": by_reason,
        "converted_out": totals_json(ledger, &trace.converted_out),
        "converted_in": totals_json(ledger, &trace.converted_in),
        "conserved": trace.conserved(),
        "tainted_transfers": trace.flows.len(),
        "holdings": holdings,
        "currency": fx.map(|f| f.reporting.clone()),
    });
    if !trace.rule.conserves() {
        value["note"] = serde_json::Value::String(
            "poison taints whole payments: figures are tainted volume, not conserved value"
                .to_string(),
        );
    }
    value
}

/// Write `trace.json`, `holdings.csv` and `flows.csv` into `dir`, and as
/// `options` say, `report.html`, Parquet twins of the CSV files and the
/// trace's picture as `trace.dot` or `trace.graphml`. Returns the names of
/// the files.
///
/// # Errors
///
/// When a file cannot be written.
pub fn write_trace(
    dir: &Path,
    ledger: &crate::ledger::Ledger,
    trace: &crate::trace::Trace,
    notes: &TraceNotes,
    fx: Option<&crate::fx::FxTable>,
    options: &OutputOptions,
) -> Result<Written> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let path = dir.join("trace.json");
    let text = serde_json::to_string_pretty(&trace_json(ledger, trace, notes, fx))
        .map_err(|e| Error::format(&path, e.to_string()))?;
    let mut written = Written::new();
    write_text(dir, "trace.json", &(text + "\n"), &mut written)?;
    Table::of(&trace.holdings)
        .column("account", |x| ledger.account(x.account).key.clone())
        .column("asset", |x| ledger.asset(x.asset).code.clone())
        .column("amount", |x| x.amount.normalize().to_string())
        .column("share", |x| (x.share * 10_000.0).round() / 10_000.0)
        .column("hops", |x| u32::from(x.hops))
        .column("first_time", |x| time::to_rfc3339(x.first_time_us))
        .write(dir, "holdings", options, &mut written)?;
    let at = |x: &crate::trace::Flow| x.transfer.index();
    Table::of(&trace.flows)
        .column("row", |x| ledger.source_rows()[at(x)])
        .column("time", |x| time::to_rfc3339(ledger.times_us()[at(x)]))
        .column("from", |x| {
            ledger.account(ledger.froms()[at(x)]).key.clone()
        })
        .column("to", |x| ledger.account(ledger.tos()[at(x)]).key.clone())
        .column("tainted_paid", |x| x.paid.normalize().to_string())
        .column("asset_paid", |x| {
            ledger.asset(ledger.assets_paid()[at(x)]).code.clone()
        })
        .column("tainted_received", |x| x.received.normalize().to_string())
        .column("asset_received", |x| {
            ledger.asset(ledger.assets_received()[at(x)]).code.clone()
        })
        .column("hops", |x| u32::from(x.hops))
        .write(dir, "flows", options, &mut written)?;
    if options.html {
        let page = trace_html(ledger, trace, notes, fx, &options.limits);
        write_text(dir, "report.html", &page, &mut written)?;
    }
    if let Some(format) = options.export {
        let rate = |code: &str| fx.and_then(|f| f.rate(code));
        let picture = Picture::of_trace(ledger, trace, rate, usize::MAX);
        let name = format!("trace.{}", format.extension());
        write_text(dir, &name, &format.render(&picture), &mut written)?;
    }
    Ok(written)
}

/// The report `trace` writes: the data overview, the trace's books
/// (traced in, held, exited, dust, converted), a picture of where the
/// traced value went (arrow width by traced value), the holdings, and the
/// traced volume per day. `rate` gives units of the reporting currency per
/// unit of an asset, where known.
pub(super) fn trace_html(
    ledger: &Ledger,
    trace: &Trace,
    notes: &TraceNotes,
    fx: Option<&FxTable>,
    limits: &ReportLimits,
) -> String {
    let mut page = Page::new();
    page.heading(1, "top", "moneytrail trace");
    page.note(&format!(
        "{} · rule {} · {}",
        ledger
            .source()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        trace.rule,
        notes.seeds.join("; ")
    ));
    books_section(&mut page, ledger, trace);
    if !notes.passages.is_empty() {
        page.heading(2, "exchanges", "Through exchanges");
        for passage in &notes.passages {
            page.note(passage);
        }
    }
    if !notes.stops.is_empty() {
        page.heading(2, "stops", "Where the trace stops");
        for stop in &notes.stops {
            page.note(stop);
        }
    }
    flow_section(&mut page, ledger, trace, fx, limits);
    holdings_section(&mut page, ledger, trace, fx, limits);
    timeline_section(&mut page, ledger, trace, fx);
    page.heading(2, "overview", "The data set");
    data_overview(&mut page, ledger, None);
    page.finish(
        "moneytrail trace",
        &format!(
            " data-flows=\"{}\" data-holdings=\"{}\"",
            trace.flows.len(),
            trace.holdings.len()
        ),
    )
}

/// The books: traced in, held, exited, dust, converted.
fn books_section(page: &mut Page, ledger: &Ledger, trace: &Trace) {
    page.heading(2, "books", "Books of the trace");
    let mut rows = vec![
        vec![
            "traced in".to_string(),
            totals_text(ledger, &trace.traced_in),
        ],
        vec![
            "held at the end".to_string(),
            totals_text(ledger, &trace.held),
        ],
    ];
    for (reason, t) in &trace.exited {
        rows.push(vec![format!("exited ({reason})"), totals_text(ledger, t)]);
    }
    rows.push(vec!["dust".to_string(), totals_text(ledger, &trace.dust)]);
    if !trace.converted_out.is_empty() {
        rows.push(vec![
            "converted".to_string(),
            format!(
                "{} into {}",
                totals_text(ledger, &trace.converted_out),
                totals_text(ledger, &trace.converted_in)
            ),
        ]);
    }
    rows.push(vec![
        "tainted transfers".to_string(),
        group_thousands((trace.flows.len() as u64).into()),
    ]);
    rows.push(vec![
        "books balance".to_string(),
        if trace.conserved() {
            "yes: traced in + converted in = held + exited + dust + converted out, per asset".into()
        } else {
            "no: poison counts tainted volume, not conserved value".into()
        },
    ]);
    page.table("books", &["", "amount"], &rows);
}

/// A drawing of where the traced value went.
fn flow_section(
    page: &mut Page,
    ledger: &Ledger,
    trace: &Trace,
    fx: Option<&FxTable>,
    limits: &ReportLimits,
) {
    let rate = |code: &str| fx.and_then(|f| f.rate(code));
    page.heading(2, "flow", "Where the traced value went");
    let picture = Picture::of_trace(ledger, trace, rate, limits.arrows_per_picture);
    if picture.omitted > 0 {
        page.note(&format!(
            "The drawing shows the {} largest of {} tainted transfers; all are in flows.csv.",
            picture.arrows.len(),
            trace.flows.len()
        ));
    }
    page.note(
        "Arrow width is proportional to the traced value a transfer carried (the heaviest 14 px).",
    );
    page.raw(&legend());
    let _ = writeln!(
        page.body,
        "<div class=\"drawing\">{}</div>",
        picture_svg(&picture)
    );
}

/// The holdings that could be frozen.
fn holdings_section(
    page: &mut Page,
    ledger: &Ledger,
    trace: &Trace,
    fx: Option<&FxTable>,
    limits: &ReportLimits,
) {
    let rate = |code: &str| fx.and_then(|f| f.rate(code));
    let currency = fx.map_or("", |f| f.reporting.as_str());
    page.heading(2, "holdings", "Holdings: traced value held at the end");
    let rows: Vec<Vec<String>> = trace
        .holdings
        .iter()
        .take(limits.rows_per_table)
        .map(|h| {
            let a = ledger.account(h.account);
            let code = &ledger.asset(h.asset).code;
            vec![
                a.key.clone(),
                a.institution.clone().unwrap_or_default(),
                a.jurisdiction.clone().unwrap_or_default(),
                format!("{} {code}", amount(h.amount)),
                rate(code)
                    .map(|r| format!("{} {currency}", amount((h.amount * r).round_dp(2))))
                    .unwrap_or_default(),
                format!("{:.1}%", h.share * 100.0),
                h.hops.to_string(),
                time::to_rfc3339(h.first_time_us),
            ]
        })
        .collect();
    page.table(
        "holdings",
        &[
            "account",
            "institution",
            "jurisdiction",
            "#held",
            "#value",
            "#share of balance",
            "#hops",
            "since",
        ],
        &rows,
    );
    page.note(&format!(
        "{} of {} holdings shown, largest first; all are in holdings.csv. These are the balances that could be frozen now.",
        rows.len(),
        trace.holdings.len()
    ));
}

/// The traced volume per day.
fn timeline_section(page: &mut Page, ledger: &Ledger, trace: &Trace, fx: Option<&FxTable>) {
    let rate = |code: &str| fx.and_then(|f| f.rate(code));
    let currency = fx.map_or("", |f| f.reporting.as_str());
    page.heading(2, "timeline", "Traced volume per day");
    let mut per_day: BTreeMap<i64, Decimal> = BTreeMap::new();
    for f in &trace.flows {
        let code = &ledger.asset(ledger.assets_paid()[f.transfer.index()]).code;
        if let Some(r) = rate(code) {
            *per_day
                .entry(ledger.times_us()[f.transfer.index()].div_euclid(DAY))
                .or_default() += f.paid * r;
        }
    }
    page.raw(&timeline_svg(&per_day, currency));
}

/// Totals per asset at each asset's precision (`3,000.00 USD, 0.5 BTC`).
fn totals_line(l: &Ledger, t: &crate::trace::Totals) -> String {
    let parts: Vec<String> = t.iter().map(|(a, v)| l.show(*v, *a)).collect();
    if parts.is_empty() {
        "0".to_string()
    } else {
        parts.join(", ")
    }
}

/// A forward trace as `moneytrail trace` prints it: the seeds, the rule,
/// the books (traced in, held, exited, dust, converted, whether they
/// balance), the held value, the `top` largest holdings and where the
/// trace stops. When nothing was traced in, `why_empty` says why (see
/// [`why_nothing_traced`](crate::trace::why_nothing_traced)).
pub fn trace_text(
    data: &crate::Valued<'_>,
    trace: &Trace,
    notes: &TraceNotes,
    why_empty: Option<&str>,
    top: usize,
) -> String {
    use crate::format::count;
    let l = data.graph.ledger();
    let mut out = String::new();
    for w in &notes.seeds {
        let _ = writeln!(out, "seed       {w}");
    }
    let volume = if trace.rule.conserves() {
        ""
    } else {
        " (tainted volume, not conserved value)"
    };
    let _ = writeln!(out, "rule {}{volume}", trace.rule);
    let _ = writeln!(out, "traced in  {}", totals_line(l, &trace.traced_in));
    if trace.traced_in.is_empty() {
        let _ = writeln!(out, "nothing to trace: {}", why_empty.unwrap_or("no seed"));
        return out;
    }
    let _ = writeln!(out, "held       {}", totals_line(l, &trace.held));
    for (reason, t) in &trace.exited {
        let _ = writeln!(out, "exited     {} ({reason})", totals_line(l, t));
    }
    if !trace.dust.is_empty() {
        let _ = writeln!(out, "dust       {}", totals_line(l, &trace.dust));
    }
    if !trace.converted_out.is_empty() {
        let _ = writeln!(
            out,
            "converted  {} into {}",
            totals_line(l, &trace.converted_out),
            totals_line(l, &trace.converted_in)
        );
    }
    let books = if !trace.rule.conserves() {
        "are not kept (poison counts tainted volume, not value)"
    } else if trace.conserved() {
        "balance"
    } else {
        "do not balance"
    };
    let _ = writeln!(
        out,
        "{}; books {books}",
        count(trace.flows.len(), "tainted transfer")
    );
    let value = |asset: crate::AssetId, amount: Decimal| -> Option<Decimal> {
        data.fx.rate(&l.asset(asset).code).map(|r| amount * r)
    };
    let held_value: Option<Decimal> = trace.held.iter().map(|(a, v)| value(*a, *v)).sum();
    let _ = match held_value {
        Some(v) => writeln!(out, "held value {}", data.money(v)),
        None => writeln!(
            out,
            "held value unknown: no {} rate for some of the assets held",
            data.currency()
        ),
    };
    if !trace.holdings.is_empty() {
        let _ = writeln!(out, "\nlargest holdings");
        for h in trace.holdings.iter().take(top) {
            let _ = writeln!(
                out,
                "  {:>24} {:<28} {:>5.1}% of its balance, {}, since {}",
                l.show(h.amount, h.asset),
                l.account(h.account).key,
                h.share * 100.0,
                count(usize::from(h.hops), "hop"),
                time::to_rfc3339(h.first_time_us)
            );
        }
    }
    if !notes.passages.is_empty() {
        let _ = writeln!(out, "\nthrough exchanges (linked deposits and payouts)");
        for passage in &notes.passages {
            let _ = writeln!(out, "  {passage}");
        }
    }
    if !notes.stops.is_empty() {
        let _ = writeln!(out, "\nwhere the trace stops");
        for stop in &notes.stops {
            let _ = writeln!(out, "  {stop}");
        }
    }
    out
}
