//! The frame every `report.html` shares (style, script, headings,
//! tables) and the pieces several pages draw. The self-contained HTML report (`report.html`): an overview of the data
//! and the findings, a drawing and a transfer table per finding, a timeline
//! of the flagged volume per day, and for traces a picture of where the
//! traced value went with the holdings table.
//!
//! One file, no network access needed to open it: CSS and the few lines of
//! script (a typology filter, expand and collapse all) are inline, the
//! drawings are inline SVG made by [`svg`](super::svg). The page is
//! well-formed XML as well as HTML, so tests read it back with an XML
//! parser. What is drawn is capped ([`ReportLimits`]) so that a report of
//! a million-row analysis still opens quickly; the page says what was left
//! out and where the rest is.

use super::picture::Picture;
use super::svg::amount;
use super::xml::escape;
use crate::format::group_thousands;
use crate::ingest::LoadReport;
use crate::ledger::Ledger;
use crate::summary::Summary;
use crate::time::{self, DAY};
use crate::trace::Totals;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::fmt::Write;

/// How much a report draws and lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportLimits {
    /// Findings drawn, highest score first: 100.
    pub drawn: usize,
    /// Further findings listed in a table without drawings: 2,000.
    pub listed: usize,
    /// Transfers in one drawing (the heaviest by value): 60.
    pub arrows_per_picture: usize,
    /// Rows in one transfer or holdings table: 200.
    pub rows_per_table: usize,
    /// Accounts in the top-accounts table: 15.
    pub top_accounts: usize,
}

impl Default for ReportLimits {
    fn default() -> ReportLimits {
        ReportLimits {
            drawn: 100,
            listed: 2_000,
            arrows_per_picture: 60,
            rows_per_table: 200,
            top_accounts: 15,
        }
    }
}

pub(super) const STYLE: &str = "
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1400px; padding: 0 24px 48px; color: #111827; }
h1 { font-size: 1.6em; margin: 24px 0 4px; }
h2 { font-size: 1.25em; margin-top: 32px; border-bottom: 1px solid #d1d5db; padding-bottom: 4px; }
p.note { color: #4b5563; font-size: 0.92em; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 0.88em; }
th, td { border: 1px solid #e5e7eb; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f9fafb; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
details.finding { border: 1px solid #d1d5db; border-radius: 6px; margin: 8px 0; padding: 4px 12px; }
details.finding > summary { cursor: pointer; padding: 4px 0; }
details.finding > summary .score { display: inline-block; min-width: 3.5em; font-weight: bold; }
details.finding > summary .model-score { display: inline-block; min-width: 5.5em; font-weight: bold; color: #7c2d12; }
details.finding > summary .typology { display: inline-block; min-width: 9em; color: #1d4ed8; }
.drawing { overflow-x: auto; margin: 8px 0; }
details table { display: block; max-width: 100%; overflow-x: auto; }
.controls { margin: 8px 0; }
.controls button, .controls select { margin-right: 8px; }
.grid { display: flex; flex-wrap: wrap; gap: 24px; }
";

/// Inline script. It must hold no `<` or `&`, so that the page stays
/// well-formed XML (checked by a test).
pub(super) const SCRIPT: &str = "
(function () {
  var items = document.querySelectorAll('details.finding');
  var select = document.getElementById('typology-filter');
  if (select) {
    select.addEventListener('change', function () {
      var t = select.value;
      items.forEach(function (d) { d.hidden = !(t === 'all' || d.dataset.typology === t); });
    });
  }
  var open = document.getElementById('expand-all');
  if (open) { open.addEventListener('click', function () { items.forEach(function (d) { d.open = true; }); }); }
  var close = document.getElementById('collapse-all');
  if (close) { close.addEventListener('click', function () { items.forEach(function (d) { d.open = false; }); }); }
  document.body.setAttribute('data-script', 'ran');
})();
";

/// A page under construction.
pub(super) struct Page {
    pub(super) body: String,
}

impl Page {
    pub(super) fn new() -> Page {
        Page {
            body: String::new(),
        }
    }

    pub(super) fn raw(&mut self, html: &str) {
        self.body.push_str(html);
    }

    pub(super) fn heading(&mut self, level: u8, id: &str, text: &str) {
        let _ = writeln!(
            self.body,
            "<h{level} id=\"{id}\">{}</h{level}>",
            escape(text)
        );
    }

    pub(super) fn note(&mut self, text: &str) {
        let _ = writeln!(self.body, "<p class=\"note\">{}</p>", escape(text));
    }

    /// A table; cells whose header starts with `#` are right-aligned
    /// numbers (the `#` is not shown).
    pub(super) fn table(&mut self, class: &str, headers: &[&str], rows: &[Vec<String>]) {
        let _ = write!(self.body, "<table class=\"{class}\"><thead><tr>");
        for h in headers {
            let _ = write!(self.body, "<th>{}</th>", escape(h.trim_start_matches('#')));
        }
        self.body.push_str("</tr></thead><tbody>\n");
        for row in rows {
            self.body.push_str("<tr>");
            for (h, cell) in headers.iter().zip(row) {
                let class = if h.starts_with('#') {
                    " class=\"num\""
                } else {
                    ""
                };
                let _ = write!(self.body, "<td{class}>{}</td>", escape(cell));
            }
            self.body.push_str("</tr>\n");
        }
        self.body.push_str("</tbody></table>\n");
    }

    pub(super) fn finish(self, title: &str, body_attributes: &str) -> String {
        let mut out = String::with_capacity(self.body.len() + STYLE.len() + 1024);
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n\
             <meta name=\"generator\" content=\"moneytrail {}\"/>\n<title>{}</title>\n\
             <style>{STYLE}</style>\n</head>\n<body{body_attributes}>\n",
            env!("CARGO_PKG_VERSION"),
            escape(title)
        );
        out.push_str(&self.body);
        let _ = write!(out, "<script>{SCRIPT}</script>\n</body>\n</html>\n");
        out
    }
}

/// Per-asset totals as text: `1,200 USD, 0.5 BTC`.
pub(super) fn totals_text(ledger: &Ledger, totals: &Totals) -> String {
    if totals.is_empty() {
        return "0".to_string();
    }
    totals
        .iter()
        .map(|(a, v)| format!("{} {}", amount(*v), ledger.asset(*a).code))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The legend of the drawings.
pub(super) fn legend() -> String {
    let mut out = String::from(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"legend\" width=\"760\" height=\"58\" \
         font-family=\"sans-serif\" font-size=\"11\">",
    );
    let hops = [
        ("fiat transfer", "#1d4ed8", ""),
        ("virtual asset", "#b45309", " stroke-dasharray=\"8 4\""),
        ("asset changes", "#7c3aed", " stroke-dasharray=\"10 3 2 3\""),
    ];
    for (i, (name, colour, dash)) in hops.iter().enumerate() {
        let x = 10 + i * 170;
        let _ = write!(
            out,
            "<line x1=\"{x}\" y1=\"14\" x2=\"{}\" y2=\"14\" stroke=\"{colour}\" stroke-width=\"2\"{dash}/>\
             <text x=\"{}\" y=\"18\">{name}</text>",
            x + 50,
            x + 58
        );
    }
    let boxes = [
        ("bank account", "#eef2ff"),
        ("virtual-asset address", "#fff7ed"),
        ("exchange (VASP)", "#ecfdf5"),
        ("cash or unknown", "#f3f4f6"),
    ];
    for (i, (name, fill)) in boxes.iter().enumerate() {
        let x = 10 + i * 185;
        let _ = write!(
            out,
            "<rect x=\"{x}\" y=\"32\" width=\"24\" height=\"16\" rx=\"3\" fill=\"{fill}\" stroke=\"#374151\"/>\
             <text x=\"{}\" y=\"44\">{name}</text>",
            x + 30
        );
    }
    out.push_str("</svg>");
    out
}

/// A bar chart of an amount per day (several days per bar when the span
/// is long, so that there are at most 400 bars).
pub(super) fn timeline_svg(per_day: &BTreeMap<i64, Decimal>, currency: &str) -> String {
    let (Some(&first), Some(&last)) = (per_day.keys().next(), per_day.keys().next_back()) else {
        return "<p class=\"note\">Nothing to chart.</p>".to_string();
    };
    let days = (last - first + 1) as usize;
    let per_bar = days.div_ceil(400).max(1);
    let bars = days.div_ceil(per_bar);
    let mut totals = vec![Decimal::ZERO; bars];
    for (&day, &v) in per_day {
        totals[(day - first) as usize / per_bar] += v;
    }
    let max = totals.iter().copied().max().unwrap_or(Decimal::ONE);
    let max_f = rust_decimal::prelude::ToPrimitive::to_f64(&max)
        .unwrap_or(1.0)
        .max(f64::MIN_POSITIVE);
    let (left, top, plot_w, plot_h) = (90.0, 12.0, 900.0, 160.0);
    let bar_w = plot_w / bars as f64;
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" width=\"{:.0}\" height=\"{:.0}\" \
         font-family=\"sans-serif\" font-size=\"11\" role=\"img\">\
         <title>{} per {}</title>",
        left + plot_w + 20.0,
        top + plot_h + 40.0,
        escape(currency),
        if per_bar == 1 {
            "day".to_string()
        } else {
            format!("{per_bar} days")
        }
    );
    for i in 0..=4 {
        let y = top + plot_h - plot_h * i as f64 / 4.0;
        let value = max * Decimal::from(i) / Decimal::from(4);
        let _ = write!(
            out,
            "<line x1=\"{left}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#e5e7eb\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            left + plot_w,
            left - 6.0,
            y + 4.0,
            group_thousands(value.round_dp(0))
        );
    }
    for (i, v) in totals.iter().enumerate() {
        if v.is_zero() {
            continue;
        }
        let h = plot_h * rust_decimal::prelude::ToPrimitive::to_f64(v).unwrap_or(0.0) / max_f;
        let day = first + (i * per_bar) as i64;
        let date = time::to_datetime(day * DAY).format("%Y-%m-%d").to_string();
        let _ = write!(
            out,
            "<rect class=\"bar\" data-day=\"{date}\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.2}\" height=\"{h:.1}\" \
             fill=\"#dc2626\"><title>{date}: {} {}</title></rect>",
            left + i as f64 * bar_w,
            top + plot_h - h,
            (bar_w - 1.0).max(0.5),
            group_thousands(v.round_dp(2)),
            escape(currency)
        );
    }
    let label = |day: i64| time::to_datetime(day * DAY).format("%Y-%m-%d").to_string();
    let _ = write!(
        out,
        "<text x=\"{left}\" y=\"{:.1}\">{}</text><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#4b5563\">{} per {}</text></svg>",
        top + plot_h + 16.0,
        label(first),
        left + plot_w,
        top + plot_h + 16.0,
        label(last),
        left + plot_w / 2.0,
        top + plot_h + 34.0,
        escape(currency),
        if per_bar == 1 {
            "day".to_string()
        } else {
            format!("{per_bar} days")
        }
    );
    out
}

/// The overview of the data set every report starts with.
pub(super) fn data_overview(page: &mut Page, ledger: &Ledger, load: Option<&LoadReport>) {
    let summary = Summary::of(ledger);
    let mut facts: Vec<Vec<String>> = Vec::new();
    if let Some(load) = load {
        facts.push(vec!["input".into(), load.path.display().to_string()]);
        facts.push(vec!["layout".into(), load.layout.name().to_string()]);
        facts.push(vec![
            "rows".into(),
            format!(
                "{} loaded, {} rejected",
                group_thousands(load.rows_loaded.into()),
                group_thousands(load.rows_rejected.into())
            ),
        ]);
    }
    facts.push(vec![
        "accounts".into(),
        group_thousands(summary.accounts.into()),
    ]);
    facts.push(vec![
        "time span".into(),
        format!(
            "{} to {}",
            summary.first_time.clone().unwrap_or_default(),
            summary.last_time.clone().unwrap_or_default()
        ),
    ]);
    facts.push(vec![
        "assets".into(),
        summary.assets.join(", ") + " (* virtual)",
    ]);
    facts.push(vec![
        "conversions".into(),
        group_thousands(summary.conversions.into()),
    ]);
    page.table("facts", &["", "value"], &facts);
    page.raw("<div class=\"grid\"><div>");
    let rows: Vec<Vec<String>> = summary
        .per_asset
        .iter()
        .map(|(asset, v)| {
            vec![
                asset.clone(),
                group_thousands(v.transfers.into()),
                v.amount.get(asset).map(|a| amount(*a)).unwrap_or_default(),
            ]
        })
        .collect();
    page.raw("<h3>Volume per asset paid</h3>");
    page.table("per-asset", &["asset", "#transfers", "#amount"], &rows);
    page.raw("</div><div>");
    let rows: Vec<Vec<String>> = summary
        .per_channel
        .iter()
        .map(|(channel, v)| {
            vec![
                channel.clone(),
                group_thousands(v.transfers.into()),
                v.amount
                    .iter()
                    .map(|(a, x)| format!("{} {a}", amount(*x)))
                    .collect::<Vec<_>>()
                    .join(", "),
            ]
        })
        .collect();
    page.raw("<h3>Volume per channel</h3>");
    page.table("per-channel", &["channel", "#transfers", "amount"], &rows);
    page.raw("</div></div>\n");
}

/// The transfers of a picture as table rows.
pub(super) fn transfer_rows(
    ledger: &Ledger,
    picture: &Picture,
    value: impl Fn(usize) -> String,
) -> Vec<Vec<String>> {
    picture
        .arrows
        .iter()
        .map(|a| {
            let received = if a.kind == super::picture::HopKind::Conversion {
                format!("{} {}", amount(a.amount_received), a.asset_received)
            } else {
                String::new()
            };
            vec![
                a.row.to_string(),
                a.tx_id.clone().unwrap_or_default(),
                time::to_rfc3339(a.time_us),
                picture.nodes[a.from].key.clone(),
                picture.nodes[a.to].key.clone(),
                format!("{} {}", amount(a.amount_paid), a.asset_paid),
                received,
                a.channel.name().to_string(),
                value(a.transfer.index()),
            ]
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|mut r| {
            if ledger.tx_ids().is_none() {
                r.remove(1);
            }
            r
        })
        .collect()
}

pub(super) fn transfer_headers(ledger: &Ledger, last: &'static str) -> Vec<&'static str> {
    let mut h = vec![
        "#row",
        "tx id",
        "time",
        "from",
        "to",
        "#paid",
        "#received",
        "channel",
        last,
    ];
    if ledger.tx_ids().is_none() {
        h.remove(1);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn the_script_keeps_the_page_well_formed() {
        assert!(!SCRIPT.contains('<') && !SCRIPT.contains('&'));
        assert!(!STYLE.contains('<') && !STYLE.contains('&'));
    }

    #[test]
    pub(super) fn the_timeline_sums_days_into_bars() {
        let mut per_day = BTreeMap::new();
        per_day.insert(19_000, Decimal::from(5));
        per_day.insert(19_002, Decimal::from(7));
        let svg = timeline_svg(&per_day, "USD");
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let bars: Vec<_> = doc
            .descendants()
            .filter(|n| n.attribute("class") == Some("bar"))
            .collect();
        assert_eq!(bars.len(), 2, "empty days draw no bar");
        assert!(bars[1]
            .descendants()
            .any(|n| n.text() == Some("2022-01-10: 7 USD")));
        // two years of days fit in at most 400 bars
        let long: BTreeMap<i64, Decimal> = (0..800).map(|d| (d, Decimal::ONE)).collect();
        let svg = timeline_svg(&long, "USD");
        assert_eq!(svg.matches("class=\"bar\"").count(), 400);
        assert!(svg.contains("USD per 2 days"));
    }
}
