//! The self-contained HTML report (`report.html`): an overview of the data
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
use super::svg::{amount, picture_svg, short_time};
use super::xml::escape;
use super::{flagged_accounts, FindingRecord};
use crate::detect::Analysis;
use crate::format::group_thousands;
use crate::fx::FxTable;
use crate::ingest::LoadReport;
use crate::ledger::Ledger;
use crate::summary::Summary;
use crate::time::{self, DAY};
use crate::trace::{Totals, Trace};
use crate::Valued;
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

const STYLE: &str = "
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
details.finding > summary .typology { display: inline-block; min-width: 9em; color: #1d4ed8; }
.drawing { overflow-x: auto; margin: 8px 0; }
.controls { margin: 8px 0; }
.controls button, .controls select { margin-right: 8px; }
.grid { display: flex; flex-wrap: wrap; gap: 24px; }
";

/// Inline script. It must hold no `<` or `&`, so that the page stays
/// well-formed XML (checked by a test).
const SCRIPT: &str = "
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
struct Page {
    body: String,
}

impl Page {
    fn new() -> Page {
        Page {
            body: String::new(),
        }
    }

    fn raw(&mut self, html: &str) {
        self.body.push_str(html);
    }

    fn heading(&mut self, level: u8, id: &str, text: &str) {
        let _ = writeln!(
            self.body,
            "<h{level} id=\"{id}\">{}</h{level}>",
            escape(text)
        );
    }

    fn note(&mut self, text: &str) {
        let _ = writeln!(self.body, "<p class=\"note\">{}</p>", escape(text));
    }

    /// A table; cells whose header starts with `#` are right-aligned
    /// numbers (the `#` is not shown).
    fn table(&mut self, class: &str, headers: &[&str], rows: &[Vec<String>]) {
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

    fn finish(self, title: &str, body_attributes: &str) -> String {
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
fn totals_text(ledger: &Ledger, totals: &Totals) -> String {
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
fn legend() -> String {
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
fn timeline_svg(per_day: &BTreeMap<i64, Decimal>, currency: &str) -> String {
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
fn data_overview(page: &mut Page, ledger: &Ledger, load: Option<&LoadReport>) {
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
fn transfer_rows(
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

fn transfer_headers(ledger: &Ledger, last: &'static str) -> Vec<&'static str> {
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

/// The report `analyze` writes: overview, findings per typology, top
/// accounts, timeline of flagged volume per day, and each finding (the
/// highest-scoring [`ReportLimits::drawn`] with a drawing and transfer
/// table, the next [`ReportLimits::listed`] in a table). `records` are the
/// findings as written to `findings.json`, in the same order as
/// `analysis.findings`.
pub fn analysis_html(
    data: &Valued<'_>,
    analysis: &Analysis,
    records: &[FindingRecord],
    load: &LoadReport,
    limits: &ReportLimits,
) -> String {
    let ledger = data.graph.ledger();
    let mut page = Page::new();
    page.heading(1, "top", "moneytrail analysis");
    page.note(&format!(
        "{} · {} transfers · amounts in {} ({} rates)",
        load.path.display(),
        group_thousands(load.rows_loaded.into()),
        data.currency(),
        data.fx.source
    ));
    page.raw(
        "<p><a href=\"#overview\">Overview</a> · <a href=\"#typologies\">Findings per typology</a> · \
         <a href=\"#accounts\">Top accounts</a> · <a href=\"#timeline\">Timeline</a> · \
         <a href=\"#findings\">Findings</a></p>\n",
    );
    page.heading(2, "overview", "Overview");
    data_overview(&mut page, ledger, Some(load));

    // findings per typology
    page.heading(2, "typologies", "Findings per typology");
    let mut per: BTreeMap<&str, (usize, f64, Decimal)> = BTreeMap::new();
    for f in &analysis.findings {
        let e = per
            .entry(f.typology.name())
            .or_insert((0, 0.0, Decimal::ZERO));
        e.0 += 1;
        e.1 = e.1.max(f.score);
        e.2 += f.amount;
    }
    // one row per detector that ran and per typology found (`stack` comes
    // from the bipartite detector)
    let mut names: Vec<&str> = analysis.seconds.keys().map(String::as_str).collect();
    names.extend(per.keys().copied());
    names.sort_unstable();
    names.dedup();
    let rows: Vec<Vec<String>> = names
        .iter()
        .map(|name| {
            let (n, max, total) = per.get(name).copied().unwrap_or((0, 0.0, Decimal::ZERO));
            let detector = crate::detect::Typology::from_name(name).map_or(*name, |t| t.detector());
            vec![
                name.to_string(),
                group_thousands((n as u64).into()),
                if n > 0 {
                    format!("{max:.2}")
                } else {
                    String::new()
                },
                data.money(total),
                analysis
                    .seconds
                    .get(detector)
                    .map(|s| format!("{s:.3}"))
                    .unwrap_or_default(),
                if analysis.truncated.get(detector).copied().unwrap_or(false) {
                    "yes: a result budget was hit".to_string()
                } else {
                    "no".to_string()
                },
            ]
        })
        .collect();
    page.table(
        "typologies",
        &[
            "typology",
            "#findings",
            "#highest score",
            "#amount in findings",
            "#detector seconds",
            "truncated",
        ],
        &rows,
    );
    for w in &analysis.warnings {
        page.note(&format!("Warning: {w}."));
    }

    // top accounts
    page.heading(2, "accounts", "Top accounts by score");
    let flagged = flagged_accounts(data, &analysis.findings);
    let rows: Vec<Vec<String>> = flagged
        .iter()
        .take(limits.top_accounts)
        .map(|r| {
            let a = ledger.account(r.account);
            vec![
                a.key.clone(),
                a.institution.clone().unwrap_or_default(),
                a.jurisdiction.clone().unwrap_or_default(),
                format!("{:.2}", r.score),
                r.findings.to_string(),
                r.typologies.iter().copied().collect::<Vec<_>>().join(", "),
                data.money(r.amount),
            ]
        })
        .collect();
    page.table(
        "accounts",
        &[
            "account",
            "institution",
            "jurisdiction",
            "#score",
            "#findings",
            "typologies",
            "#amount in findings",
        ],
        &rows,
    );
    page.note(&format!(
        "{} of {} flagged accounts shown; all are in accounts.csv.",
        rows.len(),
        flagged.len()
    ));

    // timeline
    page.heading(2, "timeline", "Flagged volume per day");
    let mut flagged_transfer = vec![false; ledger.len()];
    let mut per_day: BTreeMap<i64, Decimal> = BTreeMap::new();
    for f in &analysis.findings {
        for &t in &f.transfers {
            if !std::mem::replace(&mut flagged_transfer[t.index()], true) {
                *per_day.entry(data.time(t).div_euclid(DAY)).or_default() += data.value[t.index()];
            }
        }
    }
    page.raw(&timeline_svg(&per_day, data.currency()));
    page.note("Each transfer counts once, however many findings it is in.");

    // findings
    page.heading(2, "findings", "Findings");
    let mut order = super::by_score(&analysis.findings);
    order.retain(|&i| i < records.len());
    let drawn = order.len().min(limits.drawn);
    page.note(&format!(
        "{} findings. Drawn: the {drawn} highest-scoring; listed below them: {} more; all are in findings.json. \
         A drawing shows at most {} transfers (the largest by value) and says when it leaves some out.",
        order.len(),
        order.len().saturating_sub(drawn).min(limits.listed),
        limits.arrows_per_picture
    ));
    page.raw(&legend());
    let typologies: Vec<&str> = per.keys().copied().collect();
    page.raw("<div class=\"controls\"><label>typology <select id=\"typology-filter\"><option value=\"all\" selected=\"selected\">all</option>");
    for t in &typologies {
        let _ = write!(page.body, "<option value=\"{t}\">{t}</option>");
    }
    page.raw(
        "</select></label> <button type=\"button\" id=\"expand-all\">expand all</button>\
              <button type=\"button\" id=\"collapse-all\">collapse all</button></div>\n",
    );
    for (rank, &i) in order.iter().take(drawn).enumerate() {
        let f = &analysis.findings[i];
        let r = &records[i];
        let picture = Picture::of_finding(data, f, r, limits.arrows_per_picture);
        let _ = write!(
            page.body,
            "<details class=\"finding\" id=\"{id}\" data-typology=\"{}\" data-transfers=\"{}\"{}>\
             <summary><span class=\"score\">{:.2}</span> <span class=\"typology\">{}</span> \
             {id} · {} · {} – {}</summary>\n<p>{}</p>\n",
            escape(&r.typology),
            f.transfers.len(),
            if rank < 3 { " open=\"open\"" } else { "" },
            f.score,
            escape(&r.typology),
            escape(&data.money(f.amount)),
            short_time(f.first_time_us),
            short_time(f.last_time_us),
            escape(&r.explanation),
            id = escape(&r.id),
        );
        if picture.omitted > 0 {
            page.note(&format!(
                "The drawing shows the {} largest of {} transfers.",
                picture.arrows.len(),
                f.transfers.len()
            ));
        }
        let _ = writeln!(
            page.body,
            "<div class=\"drawing\">{}</div>",
            picture_svg(&picture)
        );
        let mut rows = transfer_rows(ledger, &picture, |t| data.money(data.value[t]));
        rows.truncate(limits.rows_per_table);
        page.table("transfers", &transfer_headers(ledger, "#value"), &rows);
        page.raw("</details>\n");
    }
    let listed: Vec<Vec<String>> = order
        .iter()
        .skip(drawn)
        .take(limits.listed)
        .map(|&i| {
            let r = &records[i];
            vec![
                r.id.clone(),
                r.typology.clone(),
                format!("{:.2}", r.score),
                data.money(r.amount),
                r.first_time.clone(),
                r.explanation.clone(),
            ]
        })
        .collect();
    if !listed.is_empty() {
        page.heading(3, "more-findings", "More findings (not drawn)");
        page.table(
            "more-findings",
            &[
                "id",
                "typology",
                "#score",
                "#amount",
                "first time",
                "explanation",
            ],
            &listed,
        );
        if order.len() > drawn + listed.len() {
            page.note(&format!(
                "{} further findings are not shown here; see findings.json.",
                order.len() - drawn - listed.len()
            ));
        }
    }
    page.finish(
        "moneytrail analysis",
        &format!(
            " data-findings=\"{}\" data-findings-shown=\"{drawn}\"",
            order.len()
        ),
    )
}

/// The report of a backward trace (`trace --backward`): per asset, the
/// balance and how much of it the sources explain; the source accounts
/// ranked by what they explain; the source transfers, largest first; and
/// the data overview. Tables stop at [`ReportLimits::rows_per_table`] and
/// say so (sources.csv has every row).
pub fn sources_html(
    ledger: &Ledger,
    backward: &super::BackwardTrace<'_>,
    limits: &ReportLimits,
) -> String {
    let mut page = Page::new();
    page.heading(1, "top", "moneytrail backward trace");
    page.note(&format!(
        "{} · rule {} · the balance of {} at {}",
        ledger
            .source()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        backward.rule,
        backward.account,
        time::to_rfc3339(backward.at)
    ));
    page.heading(2, "balances", "The balance and how much of it is explained");
    let code = |sof: &crate::trace::SourceOfFunds| ledger.asset(sof.asset).code.clone();
    let rows: Vec<Vec<String>> = backward
        .balances
        .iter()
        .map(|sof| {
            vec![
                code(sof),
                amount(sof.target_amount),
                amount(sof.traced),
                amount(sof.untraced),
                group_thousands((sof.sources.len() as u64).into()),
                if sof.truncated {
                    "source list cut".to_string()
                } else {
                    String::new()
                },
            ]
        })
        .collect();
    page.table(
        "balances",
        &[
            "asset",
            "#balance",
            "#explained by sources",
            "#untraced",
            "#source transfers",
            "note",
        ],
        &rows,
    );
    page.note(
        "Untraced: opening balances, money beyond the hop limit, and claims the rule could not follow.",
    );

    page.heading(2, "accounts", "Source accounts, by the amount they explain");
    let mut per_account: BTreeMap<(String, String), (Decimal, usize)> = BTreeMap::new();
    for sof in backward.balances {
        for src in &sof.sources {
            let e = per_account
                .entry((code(sof), ledger.account(src.account).key.clone()))
                .or_default();
            e.0 += src.amount;
            e.1 += 1;
        }
    }
    let balance_of = |asset: &str| {
        backward
            .balances
            .iter()
            .find(|sof| code(sof) == asset)
            .map_or(Decimal::ZERO, |sof| sof.target_amount)
    };
    let mut ranked: Vec<((String, String), (Decimal, usize))> = per_account.into_iter().collect();
    ranked.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then_with(|| a.0.cmp(&b.0)));
    if ranked.len() > limits.rows_per_table {
        page.note(&format!(
            "The {} largest of {} source accounts; all sources are in sources.csv.",
            limits.rows_per_table,
            ranked.len()
        ));
    }
    let rows: Vec<Vec<String>> = ranked
        .iter()
        .take(limits.rows_per_table)
        .map(|((asset, account), (total, count))| {
            let balance = balance_of(asset);
            let share = if balance.is_zero() {
                String::new()
            } else {
                format!("{:.1}%", crate::detect::ratio(*total, balance) * 100.0)
            };
            vec![
                account.clone(),
                asset.clone(),
                amount(*total),
                share,
                count.to_string(),
            ]
        })
        .collect();
    page.table(
        "accounts",
        &[
            "account",
            "asset",
            "#amount",
            "#share of the balance",
            "#transfers",
        ],
        &rows,
    );

    page.heading(2, "sources", "Source transfers, largest first");
    let mut transfers: Vec<(&crate::trace::SourceOfFunds, &crate::trace::Source)> = backward
        .balances
        .iter()
        .flat_map(|sof| sof.sources.iter().map(move |x| (sof, x)))
        .collect();
    transfers.sort_by(|a, b| {
        b.1.amount
            .cmp(&a.1.amount)
            .then_with(|| a.1.transfer.cmp(&b.1.transfer))
    });
    if transfers.len() > limits.rows_per_table {
        page.note(&format!(
            "The {} largest of {} source transfers; all are in sources.csv.",
            limits.rows_per_table,
            transfers.len()
        ));
    }
    let rows: Vec<Vec<String>> = transfers
        .iter()
        .take(limits.rows_per_table)
        .map(|(sof, x)| {
            let i = x.transfer.index();
            vec![
                ledger.source_rows()[i].to_string(),
                short_time(ledger.times_us()[i]),
                ledger.account(x.account).key.clone(),
                ledger.account(ledger.tos()[i]).key.clone(),
                amount(x.amount),
                code(sof),
            ]
        })
        .collect();
    page.table(
        "transfers",
        &["#row", "time", "from", "to", "#amount explained", "asset"],
        &rows,
    );
    page.heading(2, "overview", "The data set");
    data_overview(&mut page, ledger, None);
    page.finish(
        "moneytrail backward trace",
        &format!(" data-sources=\"{}\"", transfers.len()),
    )
}

/// The report `trace` writes: the data overview, the trace's books
/// (traced in, held, exited, dust, converted), a picture of where the
/// traced value went (arrow width by traced value), the holdings, and the
/// traced volume per day. `rate` gives units of the reporting currency per
/// unit of an asset, where known.
pub fn trace_html(
    ledger: &Ledger,
    trace: &Trace,
    seeds: &[String],
    fx: Option<&FxTable>,
    limits: &ReportLimits,
) -> String {
    let rate = |code: &str| fx.and_then(|f| f.rate(code));
    let currency = fx.map_or("", |f| f.reporting.as_str());
    let mut page = Page::new();
    page.heading(1, "top", "moneytrail trace");
    page.note(&format!(
        "{} · rule {} · {}",
        ledger
            .source()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        trace.rule,
        seeds.join("; ")
    ));
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

    page.heading(2, "flow", "Where the traced value went");
    let picture = Picture::of_trace(ledger, trace, rate, limits.arrows_per_picture);
    if picture.omitted > 0 {
        page.note(&format!(
            "The drawing shows the {} largest of {} tainted transfers; all are in flows.csv.",
            picture.arrows.len(),
            trace.flows.len()
        ));
    }
    page.note("Arrow width shows the traced value a transfer carried.");
    page.raw(&legend());
    let _ = writeln!(
        page.body,
        "<div class=\"drawing\">{}</div>",
        picture_svg(&picture)
    );

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

/// The report `investigate` writes: one table of all subjects, then per
/// subject (collapsible) its totals, largest counterparties, findings,
/// links to other subjects and what could be frozen. Made from the case
/// files alone, so a pseudonymised investigation gives a pseudonymised
/// report.
pub fn investigation_html(
    cases: &[crate::investigate::CaseFile],
    index: &[super::CaseIndexEntry],
    pseudonymised: bool,
    limits: &ReportLimits,
) -> String {
    let mut page = Page::new();
    page.heading(1, "top", "moneytrail investigation");
    let currency = cases.first().map_or("", |c| c.currency.as_str());
    page.note(&format!(
        "{} subjects, {} found in the data; amounts in {currency}{}",
        cases.len(),
        cases.iter().filter(|c| c.found).count(),
        if pseudonymised {
            "; identifiers pseudonymised (HMAC-SHA-256)"
        } else {
            ""
        }
    ));
    page.heading(2, "subjects", "Subjects");
    let rows: Vec<Vec<String>> = index
        .iter()
        .map(|e| {
            vec![
                e.case_ref.clone(),
                e.subject.clone(),
                if e.found { "yes".into() } else { "no".into() },
                group_thousands(e.value_in.round_dp(0)),
                group_thousands(e.value_out.round_dp(0)),
                e.findings.to_string(),
                e.links.to_string(),
                group_thousands(e.freezable_value.round_dp(0)),
                e.file.clone(),
            ]
        })
        .collect();
    page.table(
        "subjects",
        &[
            "case",
            "subject",
            "found",
            "#in",
            "#out",
            "#findings",
            "#links",
            "#freezable",
            "case file",
        ],
        &rows,
    );
    let top = limits.top_accounts;
    for (i, c) in cases.iter().enumerate() {
        let _ = writeln!(
            page.body,
            "<details class=\"case\" id=\"case-{i}\"{}><summary>{} · {} · in {} · out {} · {} findings</summary>",
            if i == 0 { " open=\"open\"" } else { "" },
            escape(&c.case_ref),
            escape(&c.subject),
            group_thousands(c.total.value_in.round_dp(0)),
            group_thousands(c.total.value_out.round_dp(0)),
            c.findings.len()
        );
        if !c.found {
            page.note("Not in the data.");
            page.raw("</details>\n");
            continue;
        }
        page.note(&format!(
            "{} to {}; {} counterparties",
            c.first_time.clone().unwrap_or_default(),
            c.last_time.clone().unwrap_or_default(),
            c.counterparty_count
        ));
        let flows = |list: &[crate::investigate::FlowSummary]| -> Vec<Vec<String>> {
            list.iter()
                .take(top)
                .map(|f| {
                    vec![
                        f.key.clone(),
                        f.transfers_in.to_string(),
                        group_thousands(f.value_in.round_dp(0)),
                        f.transfers_out.to_string(),
                        group_thousands(f.value_out.round_dp(0)),
                    ]
                })
                .collect()
        };
        let headers = ["counterparty", "#in", "#value in", "#out", "#value out"];
        page.raw("<h4>Counterparties, largest first</h4>");
        page.table("counterparties", &headers, &flows(&c.counterparties));
        let mut h = headers;
        h[0] = "month";
        page.raw("<h4>Per month</h4>");
        page.table("months", &h, &flows(&c.months));
        if !c.findings.is_empty() {
            let rows: Vec<Vec<String>> = c
                .findings
                .iter()
                .take(top)
                .map(|f| {
                    vec![
                        f.id.clone(),
                        f.typology.clone(),
                        format!("{:.2}", f.score),
                        group_thousands(f.amount.round_dp(0)),
                        f.explanation.clone(),
                    ]
                })
                .collect();
            page.raw("<h4>Findings it takes part in</h4>");
            page.table(
                "findings",
                &["finding", "typology", "#score", "#amount", "explanation"],
                &rows,
            );
        }
        if !c.links.is_empty() {
            let rows: Vec<Vec<String>> = c
                .links
                .iter()
                .take(top)
                .map(|l| {
                    vec![
                        l.case_ref.clone(),
                        l.subject.clone(),
                        l.shared_count.to_string(),
                        l.paths_to.len().to_string(),
                        l.paths_from.len().to_string(),
                    ]
                })
                .collect();
            page.raw("<h4>Links to other subjects</h4>");
            page.table(
                "links",
                &[
                    "case",
                    "subject",
                    "#shared counterparties",
                    "#paths to",
                    "#paths from",
                ],
                &rows,
            );
        }
        if !c.freezable.is_empty() {
            let rows: Vec<Vec<String>> = c
                .freezable
                .iter()
                .take(top)
                .map(|h| {
                    vec![
                        h.account.clone(),
                        format!("{} {}", amount(h.amount), h.asset),
                        h.value
                            .map(|v| group_thousands(v.round_dp(0)))
                            .unwrap_or_default(),
                    ]
                })
                .collect();
            page.raw(
                "<h4>Could be frozen now (own balances, then where its payments are held)</h4>",
            );
            page.table("freezable", &["held by", "#amount", "#value"], &rows);
        }
        page.raw("</details>\n");
    }
    page.finish(
        "moneytrail investigation",
        &format!(" data-subjects=\"{}\"", cases.len()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_keeps_the_page_well_formed() {
        assert!(!SCRIPT.contains('<') && !SCRIPT.contains('&'));
        assert!(!STYLE.contains('<') && !STYLE.contains('&'));
    }

    #[test]
    fn the_timeline_sums_days_into_bars() {
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
