//! What a backward trace writes: trace.json, sources.csv and its
//! report.html.

use super::files::{io, write_text, Table, Written};
use super::page::{data_overview, Page};
use super::picture::Picture;
use super::svg::{amount, short_time};
use super::{OutputOptions, ReportLimits};
use crate::error::{Error, Result};
use crate::format::group_thousands;
use crate::ledger::Ledger;
use crate::time;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

/// A backward trace to write: the balance of `account` at `at` explained,
/// asset by asset, under `rule`.
#[derive(Debug, Clone, Copy)]
pub struct BackwardTrace<'a> {
    /// The account's key.
    pub account: &'a str,
    /// The time of the balance (microseconds).
    pub at: i64,
    /// The allocation rule's name.
    pub rule: &'a str,
    /// One result per asset with a non-zero balance.
    pub balances: &'a [crate::trace::SourceOfFunds],
    /// Per balance, in the same order: who paid the account that asset,
    /// in words (see [`payers_words`](crate::trace::payers_words)).
    pub payers: &'a [String],
    /// Rates for the drawings' arrow widths (by the tainted amount where
    /// `None` or an asset has no rate).
    pub fx: Option<&'a crate::fx::FxTable>,
}

/// Write a backward trace: `trace.json`, `sources.csv` (one row per source
/// transfer; `sources.parquet` too with [`OutputOptions::parquet`]) and,
/// with [`OutputOptions::html`], `report.html`: the balances, the accounts
/// the money came from and the entry transfers.
///
/// # Errors
///
/// When a file cannot be written.
pub fn write_sources(
    dir: &Path,
    ledger: &crate::Ledger,
    backward: &BackwardTrace<'_>,
    options: &OutputOptions,
) -> Result<Written> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let at = time::to_rfc3339(backward.at);
    let code = |sof: &crate::trace::SourceOfFunds| ledger.asset(sof.asset).code.clone();
    let value = serde_json::json!({
        "direction": "backward",
        "rule": backward.rule,
        "account": backward.account,
        "at": at,
        "balances": backward.balances.iter().zip(payers(backward)).map(|(sof, payers)| serde_json::json!({
            "asset": code(sof),
            "direct_payers": payers,
            "openings": sof.openings.iter().map(|o| serde_json::json!({
                "account": ledger.account(o.account).key,
                "asset": ledger.asset(o.asset).code,
                "amount": o.amount.normalize().to_string(),
            })).collect::<Vec<_>>(),
            "balance": sof.target_amount.normalize().to_string(),
            "traced": sof.traced.normalize().to_string(),
            "untraced": sof.untraced.normalize().to_string(),
            "truncated": sof.truncated,
            "sources": sof.sources.iter().map(|s| serde_json::json!({
                "account": ledger.account(s.account).key,
                "row": ledger.source_rows()[s.transfer.index()],
                "amount": s.amount.normalize().to_string(),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    });
    let path = dir.join("trace.json");
    let text =
        serde_json::to_string_pretty(&value).map_err(|e| Error::format(&path, e.to_string()))?;
    let mut written = Written::new();
    write_text(dir, "trace.json", &(text + "\n"), &mut written)?;
    let sources: Vec<(&crate::trace::SourceOfFunds, &crate::trace::Source)> = backward
        .balances
        .iter()
        .flat_map(|sof| sof.sources.iter().map(move |s| (sof, s)))
        .collect();
    Table::of(&sources)
        .column("asset", |(sof, _)| code(sof))
        .column("source_account", |(_, s)| {
            ledger.account(s.account).key.clone()
        })
        .column("row", |(_, s)| ledger.source_rows()[s.transfer.index()])
        .column("time", |(_, s)| {
            time::to_rfc3339(ledger.times_us()[s.transfer.index()])
        })
        .column("amount", |(_, s)| s.amount.normalize().to_string())
        .column("rule", |_| backward.rule.to_string())
        .write(dir, "sources", options, &mut written)?;
    if options.html {
        let page = sources_html(ledger, backward, &options.limits);
        write_text(dir, "report.html", &page, &mut written)?;
    }
    Ok(written)
}

/// The report of a backward trace (`trace --backward`): per asset, the
/// balance and how much of it the sources explain; the source accounts
/// ranked by what they explain; the source transfers, largest first; and
/// the data overview. Tables stop at [`ReportLimits::rows_per_table`] and
/// say so (sources.csv has every row).
pub(super) fn sources_html(
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
    balances_section(&mut page, ledger, backward);
    drawing_section(&mut page, ledger, backward, limits);
    accounts_section(&mut page, ledger, backward, limits);
    let shown = sources_section(&mut page, ledger, backward, limits);
    page.heading(2, "overview", "The data set");
    data_overview(&mut page, ledger, None);
    page.finish(
        "moneytrail backward trace",
        &format!(" data-sources=\"{shown}\""),
    )
}

/// Per asset: the balance, what the sources explain, the untraced rest.
/// Per balance, a drawing of the ways by which its sources' money reached
/// it (arrow width by the value that did).
fn drawing_section(
    page: &mut Page,
    ledger: &Ledger,
    backward: &BackwardTrace<'_>,
    limits: &ReportLimits,
) {
    let drawn: Vec<&crate::trace::SourceOfFunds> = backward
        .balances
        .iter()
        .filter(|sof| !sof.flows.is_empty())
        .collect();
    if drawn.is_empty() {
        return;
    }
    page.heading(2, "drawing", "How the money reached the balance");
    page.note("Each arrow carries the part of a transfer that reached the balance from the sources (opening balances included); width is proportional to that value.");
    page.raw(&super::page::legend());
    let rate = |code: &str| backward.fx.and_then(|f| f.rate(code));
    for sof in drawn {
        let code = &ledger.asset(sof.asset).code;
        let title = format!("the {code} balance of {}", backward.account);
        let id = format!("sources-{code}");
        // the ways most of the money took: transfers that carried at least
        // 5% of what the heaviest carried
        let value = |f: &crate::trace::Flow| {
            let asset = &ledger.asset(ledger.assets_paid()[f.transfer.index()]).code;
            rate(asset).map_or(f.paid, |r| f.paid * r)
        };
        let heaviest = sof.flows.iter().map(value).max().unwrap_or_default();
        let floor = heaviest / Decimal::from(20);
        let main: Vec<crate::trace::Flow> = sof
            .flows
            .iter()
            .filter(|f| value(f) >= floor)
            .cloned()
            .collect();
        let picture =
            Picture::of_flows(ledger, &main, rate, limits.arrows_per_picture, &id, &title);
        page.raw(&format!("<h4>{}</h4>", crate::report::xml::escape(&title)));
        let left_out = sof.flows.len() - picture.arrows.len();
        if left_out > 0 {
            page.note(&format!(
                "The drawing shows the {} transfers that carried the most (at least 5% of the heaviest); {} smaller ones are left out.",
                picture.arrows.len(),
                left_out
            ));
        }
        let _ = writeln!(
            page.body,
            "<div class=\"drawing\">{}</div>",
            super::svg::picture_svg(&picture)
        );
    }
}

fn balances_section(page: &mut Page, ledger: &Ledger, backward: &BackwardTrace<'_>) {
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
                amount(sof.openings.iter().map(|o| o.amount).sum()),
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
            "#by opening balances",
            "#untraced",
            "#source transfers",
            "note",
        ],
        &rows,
    );
    page.note(
        "Opening balances: money accounts on the way held before the data starts, which no transfer explains. Untraced: opening balances of accounts beyond the walk, money beyond the hop limit, and claims the rule could not follow.",
    );
    let openings: Vec<Vec<String>> = backward
        .balances
        .iter()
        .flat_map(|sof| {
            sof.openings.iter().map(move |o| {
                vec![
                    ledger.account(o.account).key.clone(),
                    ledger.asset(o.asset).code.clone(),
                    format!("{} {}", amount(o.amount), code(sof)),
                ]
            })
        })
        .collect();
    if !openings.is_empty() {
        page.raw("<h4>Opening balances that make up part of it</h4>");
        page.table(
            "openings",
            &["account", "opening in", "#explains"],
            &openings,
        );
    }
    for (sof, payers) in backward.balances.iter().zip(payers(backward)) {
        page.note(&format!(
            "Direct payers of the {} balance: {payers}",
            code(sof)
        ));
    }
}

/// The payers' words per balance (empty where the caller gave none).
fn payers<'a>(backward: &'a BackwardTrace<'_>) -> impl Iterator<Item = &'a str> {
    let given = backward.payers.iter().map(String::as_str);
    given.chain(std::iter::repeat(""))
}

/// The source accounts, ranked by what they explain.
fn accounts_section(
    page: &mut Page,
    ledger: &Ledger,
    backward: &BackwardTrace<'_>,
    limits: &ReportLimits,
) {
    let code = |sof: &crate::trace::SourceOfFunds| ledger.asset(sof.asset).code.clone();
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
}

/// The source transfers, largest first; returns how many there are.
fn sources_section(
    page: &mut Page,
    ledger: &Ledger,
    backward: &BackwardTrace<'_>,
    limits: &ReportLimits,
) -> usize {
    let code = |sof: &crate::trace::SourceOfFunds| ledger.asset(sof.asset).code.clone();
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
    transfers.len()
}
