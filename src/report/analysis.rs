//! What `analyze` writes: findings.json, findings.csv, accounts.csv,
//! summary.json, pictures of the findings, and its report.html.

use super::files::{io, joined, write_text, Table, Written};
use super::page::{data_overview, legend, timeline_svg, transfer_headers, transfer_rows, Page};
use super::picture::Picture;
use super::record::FindingRecord;
use super::svg::{picture_svg, short_time};
use super::xml::escape;
use super::{OutputOptions, ReportLimits};
use crate::detect::{Analysis, DetectConfig, Finding};
use crate::error::{Error, Result};
use crate::format::group_thousands;
use crate::ingest::LoadReport;
use crate::model::AccountId;
use crate::time::DAY;
use crate::Valued;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

/// What `summary.json` holds.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary<'a> {
    /// The input file.
    pub input: String,
    /// The layout read.
    pub layout: String,
    /// Rows loaded.
    pub rows_loaded: u64,
    /// Rows rejected (lenient loading).
    pub rows_rejected: u64,
    /// Findings per typology.
    pub findings_per_typology: BTreeMap<String, usize>,
    /// Whether any detector hit a result budget.
    pub truncated: bool,
    /// Which detectors hit a budget.
    pub truncated_per_detector: &'a BTreeMap<String, bool>,
    /// Seconds each detector took.
    pub seconds_per_detector: &'a BTreeMap<String, f64>,
    /// Parameters that cannot work on this data, in words.
    pub warnings: &'a [String],
    /// Seconds to load and build the graph.
    pub seconds_load: f64,
    /// The parameters used.
    pub parameters: &'a DetectConfig,
    /// The FX table used.
    pub fx: &'a crate::fx::FxTable,
    /// Threads used.
    pub threads: usize,
    /// The learned model that scored the transfers, if one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<super::ModelSummary>,
}

/// What a run was besides its findings: the load, and the learned
/// model's scores if `analyze` ran with one.
#[derive(Debug, Clone, Copy)]
pub struct AnalysisRun<'a> {
    /// The load report.
    pub load: &'a LoadReport,
    /// Seconds to load and build the graph.
    pub seconds_load: f64,
    /// The model's scores of every transfer.
    pub model: Option<&'a super::TransferScores>,
    /// An account-level model's scores of every account.
    pub account_model: Option<&'a super::AccountScores>,
}

/// Positions of findings, best first: by the learned model's score when
/// a model scored the run (`records[i].model_score`), then by the rule
/// score, ties in output order.
pub(crate) fn by_score(findings: &[Finding], records: &[FindingRecord]) -> Vec<usize> {
    let model = |i: usize| records.get(i).and_then(|r| r.model_score).unwrap_or(0.0);
    let mut order: Vec<usize> = (0..findings.len()).collect();
    order.sort_by(|&a, &b| {
        model(b)
            .total_cmp(&model(a))
            .then(findings[b].score.total_cmp(&findings[a].score))
            .then(a.cmp(&b))
    });
    order
}

/// Write `findings.json`, `findings.csv`, `accounts.csv` and
/// `summary.json` into `dir` (created if missing), with a model's scores
/// `transfer_scores.csv` (each finding and account then carries its
/// `model_score`, and accounts.csv ranks by it), and as `options` say,
/// `report.html`, Parquet twins of the CSV files and DOT or GraphML
/// pictures of the highest-scoring findings (`graphs/F000001.dot`…).
/// Returns the findings as written and the names of the files.
///
/// # Errors
///
/// When a file cannot be written.
pub fn write_analysis(
    dir: &Path,
    data: &Valued<'_>,
    analysis: &Analysis,
    config: &DetectConfig,
    run: &AnalysisRun<'_>,
    options: &OutputOptions,
) -> Result<(Vec<FindingRecord>, Written)> {
    let (load, seconds_load) = (run.load, run.seconds_load);
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let records: Vec<FindingRecord> = analysis
        .findings
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let mut record = FindingRecord::new(i, f, data);
            record.model_score = run
                .model
                .map(|m| m.highest(&f.transfers))
                .or_else(|| run.account_model.map(|m| m.highest(&f.accounts)));
            record
        })
        .collect();
    let path = dir.join("findings.json");
    let file = std::fs::File::create(&path).map_err(io(&path))?;
    serde_json::to_writer_pretty(std::io::BufWriter::new(file), &records)
        .map_err(|e| Error::format(&path, e.to_string()))?;
    let mut written = vec!["findings.json".to_string()];
    write_findings_csv(dir, &records, options, &mut written)?;
    write_accounts_csv(
        dir,
        data,
        &analysis.findings,
        &records,
        options,
        &mut written,
    )?;
    if let Some(scores) = run.model {
        super::scores::write_transfer_scores(dir, data, scores, options, &mut written)?;
    }
    if let Some(scores) = run.account_model {
        super::scores::write_account_scores(dir, data, scores, options, &mut written)?;
    }
    let summary = RunSummary {
        input: load.path.display().to_string(),
        layout: load.layout.name().to_string(),
        rows_loaded: load.rows_loaded,
        rows_rejected: load.rows_rejected,
        findings_per_typology: analysis.per_typology(),
        truncated: analysis.any_truncated(),
        truncated_per_detector: &analysis.truncated,
        seconds_per_detector: &analysis.seconds,
        warnings: &analysis.warnings,
        seconds_load,
        parameters: config,
        fx: &data.fx,
        threads: rayon::current_num_threads(),
        model: run
            .model
            .map(super::TransferScores::summary)
            .or_else(|| run.account_model.map(super::AccountScores::summary)),
    };
    let path = dir.join("summary.json");
    let text =
        serde_json::to_string_pretty(&summary).map_err(|e| Error::format(&path, e.to_string()))?;
    write_text(dir, "summary.json", &(text + "\n"), &mut written)?;
    if options.html {
        let page = analysis_html(data, analysis, &records, run, &options.limits);
        write_text(dir, "report.html", &page, &mut written)?;
    }
    if let Some(format) = options.export {
        let order = by_score(&analysis.findings, &records);
        for &i in order.iter().take(options.export_top) {
            let (f, r) = (&analysis.findings[i], &records[i]);
            let picture = Picture::of_finding(data, f, r, usize::MAX);
            let name = format!("graphs/{}.{}", r.id, format.extension());
            write_text(dir, &name, &format.render(&picture), &mut written)?;
        }
    }
    Ok((records, written))
}

fn write_findings_csv(
    dir: &Path,
    records: &[FindingRecord],
    options: &OutputOptions,
    written: &mut Written,
) -> Result<()> {
    let table = Table::of(records)
        .column("id", |r| r.id.clone())
        .column("typology", |r| r.typology.clone())
        .column("score", |r| r.score)
        .column("amount", |r| r.amount.to_string())
        .column("currency", |r| r.currency.clone())
        .column("first_time", |r| r.first_time.clone())
        .column("last_time", |r| r.last_time.clone())
        .column("accounts", |r| joined(&r.accounts))
        .column("rows", |r| joined(&r.rows))
        .column("explanation", |r| r.explanation.clone());
    let table = match records.iter().any(|r| r.model_score.is_some()) {
        true => table.column("model_score", |r| r.model_score.unwrap_or(0.0)),
        false => table,
    };
    table.write(dir, "findings", options, written)
}

/// A flagged account: its combined score, typologies and amounts.
#[derive(Debug, Clone, PartialEq)]
pub struct FlaggedAccount {
    /// The account.
    pub account: AccountId,
    /// 1 − ∏(1 − score) over its findings, rounded to 4 decimals.
    pub score: f64,
    /// Its highest finding score.
    pub max_score: f64,
    /// Findings it takes part in.
    pub findings: u32,
    /// Typologies of those findings.
    pub typologies: std::collections::BTreeSet<&'static str>,
    /// Sum of those findings' amounts (reporting currency).
    pub amount: Decimal,
}

/// Every account that takes part in a finding, ranked by its highest
/// finding score, then its combined score, then key. The highest finding
/// leads because the combined score grows with the number of findings: a
/// busy exchange in forty weak findings would otherwise outrank the mule
/// of one strong one.
pub fn flagged_accounts(data: &Valued<'_>, findings: &[Finding]) -> Vec<FlaggedAccount> {
    let mut rows: BTreeMap<AccountId, (f64, FlaggedAccount)> = BTreeMap::new();
    for f in findings {
        for &a in &f.accounts {
            let (complement, row) = rows.entry(a).or_insert((
                1.0,
                FlaggedAccount {
                    account: a,
                    score: 0.0,
                    max_score: 0.0,
                    findings: 0,
                    typologies: Default::default(),
                    amount: Decimal::ZERO,
                },
            ));
            *complement *= 1.0 - f.score;
            row.max_score = row.max_score.max(f.score);
            row.findings += 1;
            row.typologies.insert(f.typology.name());
            row.amount += f.amount;
        }
    }
    let mut order: Vec<FlaggedAccount> = rows
        .into_values()
        .map(|(complement, mut row)| {
            row.score = ((1.0 - complement) * 10_000.0).round() / 10_000.0;
            row
        })
        .collect();
    order.sort_by(|a, b| {
        b.max_score
            .total_cmp(&a.max_score)
            .then_with(|| b.score.total_cmp(&a.score))
            .then_with(|| data.key(a.account).cmp(data.key(b.account)))
    });
    order
}

/// The flagged accounts in the order accounts.csv and the report list
/// them: as [`flagged_accounts`] ranks them, or, when a model scored the
/// run, by each account's highest model score among its findings (ties
/// as before); with that score per account id.
fn ranked_accounts(
    data: &Valued<'_>,
    findings: &[Finding],
    records: &[FindingRecord],
) -> (Vec<FlaggedAccount>, Option<Vec<f64>>) {
    let mut order = flagged_accounts(data, findings);
    if records.iter().all(|r| r.model_score.is_none()) {
        return (order, None);
    }
    let mut model_score = vec![0.0f64; data.graph.account_count()];
    for (f, r) in findings.iter().zip(records) {
        let top = r.model_score.unwrap_or(0.0);
        for &a in &f.accounts {
            model_score[a.index()] = model_score[a.index()].max(top);
        }
    }
    order.sort_by(|a, b| model_score[b.account.index()].total_cmp(&model_score[a.account.index()]));
    (order, Some(model_score))
}

fn write_accounts_csv(
    dir: &Path,
    data: &Valued<'_>,
    findings: &[Finding],
    records: &[FindingRecord],
    options: &OutputOptions,
    written: &mut Written,
) -> Result<()> {
    let (order, model_score) = ranked_accounts(data, findings, records);
    let model = model_score.is_some();
    let model_score = model_score.unwrap_or_default();
    let l = data.graph.ledger();
    let acct = |r: &FlaggedAccount| l.account(r.account);
    let table = Table::of(&order)
        .column("account", |r| acct(r).key.clone())
        .column("institution", |r| {
            acct(r).institution.clone().unwrap_or_default()
        })
        .column("jurisdiction", |r| {
            acct(r).jurisdiction.clone().unwrap_or_default()
        })
        .column("kind", |r| acct(r).kind.name().to_string())
        .column("max_finding_score", |r| {
            (r.max_score * 10_000.0).round() / 10_000.0
        })
        .column("score", |r| r.score)
        .column("findings", |r| r.findings)
        .column("typologies", |r| {
            r.typologies.iter().copied().collect::<Vec<_>>().join(";")
        })
        .column("amount_in_findings", |r| r.amount.to_string())
        .column("currency", |_| data.currency().to_string())
        .column("transfers_out", |r| data.out_degree(r.account) as u32)
        .column("transfers_in", |r| data.in_degree(r.account) as u32);
    let table = match model {
        true => table.column("model_score", |r| model_score[r.account.index()]),
        false => table,
    };
    table.write(dir, "accounts", options, written)
}

/// The report `analyze` writes: overview, findings per typology, top
/// accounts, timeline of flagged volume per day, and each finding (the
/// highest-scoring [`ReportLimits::drawn`] with a drawing and transfer
/// table, the next [`ReportLimits::listed`] in a table). `records` are the
/// findings as written to `findings.json`, in the same order as
/// `analysis.findings`.
pub(super) fn analysis_html(
    data: &Valued<'_>,
    analysis: &Analysis,
    records: &[FindingRecord],
    run: &AnalysisRun<'_>,
    limits: &ReportLimits,
) -> String {
    let load = run.load;
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
         <a href=\"#findings\">Findings</a>",
    );
    if run.model.is_some() {
        page.raw(" · <a href=\"#model\">Transfers the model flags</a>");
    }
    if run.account_model.is_some() {
        page.raw(" · <a href=\"#model\">Accounts the model flags</a>");
    }
    page.raw("</p>\n");
    page.heading(2, "overview", "Overview");
    data_overview(&mut page, ledger, Some(load));

    let per = typologies_section(&mut page, data, analysis);
    accounts_section(&mut page, data, analysis, records, limits);
    timeline_section(&mut page, data, analysis);
    let (shown, drawn) = findings_section(&mut page, data, analysis, records, limits, &per);
    if let Some(scores) = run.model {
        model_section(&mut page, data, scores, limits);
    }
    if let Some(scores) = run.account_model {
        account_model_section(&mut page, data, scores, limits);
    }
    page.finish(
        "moneytrail analysis",
        &format!(" data-findings=\"{shown}\" data-findings-shown=\"{drawn}\""),
    )
}

/// Findings, highest score and amount per typology.
type PerTypology = BTreeMap<&'static str, (usize, f64, Decimal)>;

/// The table of findings per typology (and the run's warnings).
fn typologies_section(page: &mut Page, data: &Valued<'_>, analysis: &Analysis) -> PerTypology {
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
    // one row per typology of every detector that ran, as on the console
    // (`stack` comes from bipartite, `chain_hopping` and `on_off_ramp`
    // from asset_hop)
    let names: Vec<&str> = crate::detect::Typology::ALL
        .iter()
        .filter(|t| analysis.seconds.contains_key(t.detector()))
        .map(|t| t.name())
        .collect();
    let rows: Vec<Vec<String>> = names
        .iter()
        .map(|name| {
            let (n, max, total) = per.get(name).copied().unwrap_or((0, 0.0, Decimal::ZERO));
            let detector = crate::detect::Typology::from_name(name).map_or(*name, |t| t.detector());
            vec![
                name.to_string(),
                detector.to_string(),
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
            "detector",
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
    per
}

/// The accounts ranked as in accounts.csv: highest finding score first,
/// or highest model score when a model scored the run.
fn accounts_section(
    page: &mut Page,
    data: &Valued<'_>,
    analysis: &Analysis,
    records: &[FindingRecord],
    limits: &ReportLimits,
) {
    let ledger = data.graph.ledger();
    let (flagged, model_score) = ranked_accounts(data, &analysis.findings, records);
    page.heading(
        2,
        "accounts",
        match model_score {
            Some(_) => "Top accounts by model score",
            None => "Top accounts by highest finding score",
        },
    );
    let rows: Vec<Vec<String>> = flagged
        .iter()
        .take(limits.top_accounts)
        .map(|r| {
            let a = ledger.account(r.account);
            let mut row = vec![
                a.key.clone(),
                a.institution.clone().unwrap_or_default(),
                a.jurisdiction.clone().unwrap_or_default(),
            ];
            if let Some(m) = &model_score {
                row.push(format!("{:.2}", m[r.account.index()]));
            }
            row.extend([
                format!("{:.2}", r.max_score),
                format!("{:.2}", r.score),
                r.findings.to_string(),
                r.typologies.iter().copied().collect::<Vec<_>>().join(", "),
                data.money(r.amount),
            ]);
            row
        })
        .collect();
    let mut headers = vec!["account", "institution", "jurisdiction"];
    if model_score.is_some() {
        headers.push("#model score");
    }
    headers.extend([
        "#highest finding score",
        "#combined score",
        "#findings",
        "typologies",
        "#amount in findings",
    ]);
    page.table("accounts", &headers, &rows);
    page.note(&format!(
        "{} of {} flagged accounts shown; all are in accounts.csv.",
        rows.len(),
        flagged.len()
    ));
}

/// The flagged volume per day.
fn timeline_section(page: &mut Page, data: &Valued<'_>, analysis: &Analysis) {
    let ledger = data.graph.ledger();
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
}

/// The findings: the highest-scoring drawn, more listed. Returns how many
/// findings there are and how many are drawn.
fn findings_section(
    page: &mut Page,
    data: &Valued<'_>,
    analysis: &Analysis,
    records: &[FindingRecord],
    limits: &ReportLimits,
    per: &PerTypology,
) -> (usize, usize) {
    let ledger = data.graph.ledger();
    // findings
    page.heading(2, "findings", "Findings");
    let mut order = by_score(&analysis.findings, records);
    order.retain(|&i| i < records.len());
    let drawn = order.len().min(limits.drawn);
    let model = records.iter().any(|r| r.model_score.is_some());
    page.note(&format!(
        "{} findings. Drawn: the {drawn} {}; listed below them: {} more; all are in findings.json. \
         A drawing shows at most {} transfers (the largest by value) and says when it leaves some out.",
        order.len(),
        if model {
            "with the highest model scores (the model's score of a finding is its highest transfer score; the rule score beside it)"
        } else {
            "highest-scoring"
        },
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
             <summary>{}<span class=\"score\">{:.2}</span> <span class=\"typology\">{}</span> \
             {id} · {} · {} – {}</summary>\n<p>{}</p>\n",
            escape(&r.typology),
            f.transfers.len(),
            if rank < 3 { " open=\"open\"" } else { "" },
            r.model_score.map_or(String::new(), |m| format!(
                "<span class=\"model-score\" title=\"model score\">model {m:.2}</span> "
            )),
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
            let mut row = vec![r.id.clone(), r.typology.clone()];
            if model {
                row.push(format!("{:.2}", r.model_score.unwrap_or(0.0)));
            }
            row.extend([
                format!("{:.2}", r.score),
                data.money(r.amount),
                r.first_time.clone(),
                r.explanation.clone(),
            ]);
            row
        })
        .collect();
    if !listed.is_empty() {
        page.heading(3, "more-findings", "More findings (not drawn)");
        let mut headers = vec!["id", "typology"];
        if model {
            headers.push("#model score");
        }
        headers.extend(["#score", "#amount", "first time", "explanation"]);
        page.table("more-findings", &headers, &listed);
        if order.len() > drawn + listed.len() {
            page.note(&format!(
                "{} further findings are not shown here; see findings.json.",
                order.len() - drawn - listed.len()
            ));
        }
    }
    (order.len(), drawn)
}

/// The transfers the model flags, highest score first: the first
/// [`ReportLimits::listed`] with their parties, value and what raised
/// their score.
fn model_section(
    page: &mut Page,
    data: &Valued<'_>,
    scores: &super::TransferScores,
    limits: &ReportLimits,
) {
    let ledger = data.graph.ledger();
    page.heading(2, "model", "Transfers the model flags");
    let flagged = highest_first(&scores.reasons, |t| scores.score[t.index()]);
    page.note(&format!(
        "Model {}: {} at threshold {:.4}; {} shown, highest score first. Every transfer's score is in transfer_scores.csv.",
        scores.model,
        crate::format::count(flagged.len(), "flagged transfer"),
        scores.threshold,
        flagged.len().min(limits.listed),
    ));
    if flagged.is_empty() {
        page.note("No transfer reaches the model's threshold: the data may differ from what the model learned; see the spread of scores in transfer_scores.csv.");
        return;
    }
    let rows: Vec<Vec<String>> = flagged
        .iter()
        .take(limits.listed)
        .map(|(t, reasons)| {
            let i = t.index();
            vec![
                ledger.source_rows()[i].to_string(),
                crate::time::to_rfc3339(ledger.times_us()[i]),
                ledger.account(ledger.froms()[i]).key.clone(),
                ledger.account(ledger.tos()[i]).key.clone(),
                data.money(data.value[i]),
                format!("{:.3}", scores.score[i]),
                crate::learn::Reason::joined(reasons),
            ]
        })
        .collect();
    page.table(
        "model-flags",
        &["#row", "time", "from", "to", "#value", "#score", "why"],
        &rows,
    );
}

/// The accounts an account-level model flags, highest score first, with
/// what raised their score.
fn account_model_section(
    page: &mut Page,
    data: &Valued<'_>,
    scores: &super::AccountScores,
    limits: &ReportLimits,
) {
    page.heading(2, "model", "Accounts the model flags");
    let flagged = highest_first(&scores.reasons, |r| scores.score[r]);
    page.note(&format!(
        "Account-level model {}: {} at threshold {:.4}; {} shown, highest score first. Every account's score is in account_scores.csv.",
        scores.model,
        crate::format::count(flagged.len(), "flagged account"),
        scores.threshold,
        flagged.len().min(limits.listed),
    ));
    let rows: Vec<Vec<String>> = flagged
        .iter()
        .take(limits.listed)
        .map(|(r, reasons)| {
            let a = scores.accounts[*r];
            vec![
                data.key(a).to_string(),
                format!("{:.3}", scores.score[*r]),
                crate::learn::Reason::joined(reasons),
            ]
        })
        .collect();
    if !rows.is_empty() {
        page.table("model-flags", &["account", "#score", "why"], &rows);
    }
}

/// A model's flagged items with their reasons, highest `score` first
/// (ties in item order).
fn highest_first<K: Copy + Ord>(
    reasons: &[(K, Vec<crate::learn::Reason>)],
    score: impl Fn(K) -> f64,
) -> Vec<&(K, Vec<crate::learn::Reason>)> {
    let mut flagged: Vec<_> = reasons.iter().collect();
    flagged.sort_by(|a, b| score(b.0).total_cmp(&score(a.0)).then(a.0.cmp(&b.0)));
    flagged
}
