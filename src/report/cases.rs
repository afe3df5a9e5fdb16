//! What `investigate` writes: a case file per subject, the index and its
//! report.html.

use super::files::{io, write_text, Table, Written};
use super::page::Page;
use super::picture::Picture;
use super::svg::amount_of;
use super::xml::escape;
use super::{OutputOptions, ReportLimits};
use crate::error::{Error, Result};
use crate::format::group_thousands;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

/// One line of the investigation's index.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseIndexEntry {
    /// Case reference.
    pub case_ref: String,
    /// Subject (pseudonymised when the case files are).
    pub subject: String,
    /// The case file's name.
    pub file: String,
    /// Whether the subject is in the data.
    pub found: bool,
    /// Value received (reporting currency).
    pub value_in: Decimal,
    /// Value paid.
    pub value_out: Decimal,
    /// Findings it takes part in.
    pub findings: usize,
    /// Other subjects it is linked to.
    pub links: usize,
    /// Value that could be frozen now (where priced), the subject's money
    /// counted once (see [`FreezableValue`](crate::investigate::FreezableValue)).
    pub freezable_value: Decimal,
}

/// A file name made of a case reference: letters, digits, `.`, `-`, `_`.
fn file_part(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// One file name per case, distinct even on file systems that ignore case:
/// `case-<ref>.json`, or `case-<ref>-<n>.json` when a reference has several
/// subjects. A reference that is not all letters, digits, `.`, `-` and `_`
/// has the rest replaced and the first 8 hex digits of its SHA-256 added
/// (`a/b` → `case-a_b-<hash>.json`), so that `a/b`, `a?b` and `a_b` stay
/// apart; should two names still meet, a counter tells them apart.
fn case_file_names(refs: &[&str]) -> Vec<String> {
    use sha2::Digest;
    let mut per_ref: BTreeMap<&str, usize> = BTreeMap::new();
    for r in refs {
        *per_ref.entry(r).or_default() += 1;
    }
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut used: std::collections::BTreeSet<String> = Default::default();
    refs.iter()
        .map(|r| {
            let n = seen.entry(r).or_default();
            *n += 1;
            let mut stem = file_part(r);
            if stem != *r || stem.is_empty() {
                let hash = sha2::Sha256::digest(r.as_bytes());
                let hex: String = hash.iter().take(4).map(|b| format!("{b:02x}")).collect();
                stem = format!("{stem}-{hex}");
            }
            if per_ref[r] > 1 {
                stem = format!("{stem}-{n}");
            }
            let mut name = format!("case-{stem}.json");
            let mut k = 1;
            while !used.insert(name.to_ascii_lowercase()) {
                k += 1;
                name = format!("case-{stem}~{k}.json");
            }
            name
        })
        .collect()
}

/// Write an investigation: a case file per subject, `index.json` and
/// `index.csv`
/// (Parquet twin with `options.parquet`), `report.html` (with
/// `options.html`), and with `options.export` each subject's picture
/// (`pictures`, aligned with `cases`) as `graphs/case-<ref>.dot` or
/// `.graphml`. Pseudonymise the case files and pictures first if they are
/// to be shared: everything written here comes from them.
///
/// Case files are `case-<ref>.json` (`case-<ref>-<n>.json` when a reference
/// has several subjects), distinct even on file systems that ignore case: a
/// reference that is not all letters, digits, `.`, `-` and `_` has the rest
/// replaced and the first 8 hex digits of its SHA-256 added, and a counter
/// tells apart any names that still meet.
///
/// # Errors
///
/// When a file cannot be written.
pub fn write_cases(
    dir: &Path,
    cases: &[crate::investigate::CaseFile],
    pictures: &[Option<Picture>],
    pseudonymised: bool,
    options: &OutputOptions,
) -> Result<Written> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let refs: Vec<&str> = cases.iter().map(|c| c.case_ref.as_str()).collect();
    let names = case_file_names(&refs);
    let mut written = Written::new();
    let mut index = Vec::new();
    for (i, (c, name)) in cases.iter().zip(names).enumerate() {
        let path = dir.join(&name);
        let text =
            serde_json::to_string_pretty(c).map_err(|e| Error::format(&path, e.to_string()))?;
        write_text(dir, &name, &(text + "\n"), &mut written)?;
        if let (Some(format), Some(Some(picture))) = (options.export, pictures.get(i)) {
            let stem = name.trim_end_matches(".json");
            let graph = format!("graphs/{stem}.{}", format.extension());
            write_text(dir, &graph, &format.render(picture), &mut written)?;
        }
        index.push(CaseIndexEntry {
            case_ref: c.case_ref.clone(),
            subject: c.subject.clone(),
            file: name,
            found: c.found,
            value_in: c.total.value_in,
            value_out: c.total.value_out,
            findings: c.findings.len(),
            links: c.links.len(),
            freezable_value: c.freezable_value.total,
        });
    }
    let path = dir.join("index.json");
    let value = serde_json::json!({
        "pseudonymised": pseudonymised,
        "subjects": index,
    });
    let text =
        serde_json::to_string_pretty(&value).map_err(|e| Error::format(&path, e.to_string()))?;
    write_text(dir, "index.json", &(text + "\n"), &mut written)?;
    Table::of(&index)
        .column("case_ref", |e| e.case_ref.clone())
        .column("subject", |e| e.subject.clone())
        .column("file", |e| e.file.clone())
        .column("found", |e| e.found)
        .column("value_in", |e| e.value_in.to_string())
        .column("value_out", |e| e.value_out.to_string())
        .column("findings", |e| e.findings as u32)
        .column("links", |e| e.links as u32)
        .column("freezable_value", |e| e.freezable_value.to_string())
        .write(dir, "index", options, &mut written)?;
    if options.html {
        let page = investigation_html(cases, pictures, &index, pseudonymised, &options.limits);
        write_text(dir, "report.html", &page, &mut written)?;
    }
    Ok(written)
}

/// The report `investigate` writes: one table of all subjects, then per
/// subject (collapsible) its totals, largest counterparties, findings,
/// links to other subjects, what could be frozen, and a drawing of its
/// transfers (`pictures`, aligned with `cases`, where given). Made from
/// the case files and pictures alone, so a pseudonymised investigation
/// gives a pseudonymised report.
pub(super) fn investigation_html(
    cases: &[crate::investigate::CaseFile],
    pictures: &[Option<Picture>],
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
        case_section(&mut page, i, c, top);
        if let Some(Some(picture)) = pictures.get(i) {
            // inside the case's <details>, which case_section leaves open
            page.raw("<h4>Its transfers</h4>");
            if picture.omitted > 0 {
                page.note(&format!(
                    "The {} largest of its {} transfers.",
                    picture.arrows.len(),
                    picture.arrows.len() + picture.omitted
                ));
            }
            let _ = writeln!(
                page.body,
                "<div class=\"drawing\">{}</div>",
                super::svg::picture_svg(picture)
            );
        }
        page.raw("</details>\n");
    }
    page.finish(
        "moneytrail investigation",
        &format!(" data-subjects=\"{}\"", cases.len()),
    )
}

/// One subject's part of the page: its flows, then its evidence.
fn case_section(page: &mut Page, i: usize, c: &crate::investigate::CaseFile, top: usize) {
    let _ = writeln!(
        page.body,
        "<details class=\"case\" id=\"case-{i}\"{}><summary>{} · {} · in {} {cur} · out {} {cur} · {}</summary>",
        if i == 0 { " open=\"open\"" } else { "" },
        escape(&c.case_ref),
        escape(&c.subject),
        group_thousands(c.total.value_in.round_dp(0)),
        group_thousands(c.total.value_out.round_dp(0)),
        crate::format::count(c.findings.len(), "finding"),
        cur = escape(&c.currency),
    );
    if !c.found {
        page.note("Not in the data.");
        return;
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
    case_evidence(page, c, top);
}

/// A subject's findings, links to other subjects, and what could be frozen.
fn case_evidence(page: &mut Page, c: &crate::investigate::CaseFile, top: usize) {
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
                    format!("{} {}", amount_of(h.amount, &h.asset), h.asset),
                    h.value
                        .map(|v| group_thousands(v.round_dp(0)))
                        .unwrap_or_default(),
                ]
            })
            .collect();
        page.raw(
            "<h4>Could be frozen now (own balances, then where the traced money is held)</h4>",
        );
        page.table("freezable", &["held by", "#amount", "#value"], &rows);
        if let Some(fw) = &c.forward {
            page.note(&format!("Traced forward under {}: {}.", fw.rule, fw.seeds));
            for words in fw.through_exchanges.iter().chain(&fw.stopped_at_exchanges) {
                page.note(words);
            }
        }
        let v = &c.freezable_value;
        page.note(&format!(
            "Own balances {}, downstream {}; counted once: {} {}{}.",
            group_thousands(v.own.round_dp(2)),
            group_thousands(v.downstream.round_dp(2)),
            group_thousands(v.total.round_dp(2)),
            c.currency,
            if v.capped {
                " (downstream holdings counted only up to the money that passed through it, less what it kept: the rest may be the same value in another asset, as at an exchange)"
            } else {
                ""
            }
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::case_file_names;

    #[test]
    fn case_file_names_never_meet() {
        let refs = ["a/b", "a_b", "a?b", "A_B", "x", "x", "x-1", ""];
        let names = case_file_names(&refs);
        let mut lower: Vec<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
        lower.sort();
        lower.dedup();
        assert_eq!(lower.len(), refs.len(), "{names:?}");
        assert_eq!(names[1], "case-a_b.json");
        assert!(
            names[0].starts_with("case-a_b-") && names[0].len() == "case-a_b-12345678.json".len()
        );
        assert_eq!(names[4], "case-x-1.json");
        assert_eq!(names[5], "case-x-2.json");
        assert_eq!(names[6], "case-x-1~2.json");
        // the same references give the same names
        assert_eq!(case_file_names(&refs), names);
    }
}
