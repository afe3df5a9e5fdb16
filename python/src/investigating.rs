//! `Analysis.investigate`: a case file per subject, in parallel, from the
//! findings of an analysis (as `moneytrail investigate`).

use crate::analysis::Analysis;
use crate::books::{exchange_links as links, output_options};
use crate::errors::{argument, to_py};
use crate::records::json;
use crate::search::rule;
use moneytrail::attribution::{tagged_accounts, ExposureOptions};
use moneytrail::ingest::{read_tags, SubjectSpec};
use moneytrail::investigate::{CaseFile, InvestigateOptions, Investigation, Pseudonymiser};
use moneytrail::report::{self, Picture};
use moneytrail::trace::{Balances, TraceOptions};
use pyo3::prelude::*;
use std::path::PathBuf;

/// The case files of one investigation.
#[pyclass(frozen, module = "moneytrail._native")]
pub(crate) struct Cases {
    cases: Vec<CaseFile>,
    pictures: Vec<Option<Picture>>,
    pseudonymised: bool,
}

#[pymethods]
impl Analysis {
    /// A case file per subject: `subjects` as (case_ref, subject, trace)
    /// triples (trace: "", "sent", "received" or transfer specs). With
    /// `pseudonymise`, identifiers are replaced by keyed pseudonyms.
    /// With `tags` (a tags CSV), each case gets its exposure to tagged
    /// entities.
    #[pyo3(signature = (subjects, *, rule = "fifo", max_hops = 4, top = 25, pseudonymise = None, tags = None,
        through_exchanges = "linked", exchange_links = None))]
    #[allow(clippy::too_many_arguments)]
    fn investigate(
        &self,
        py: Python<'_>,
        subjects: Vec<(String, String, String)>,
        rule: &str,
        max_hops: u16,
        top: usize,
        pseudonymise: Option<String>,
        tags: Option<PathBuf>,
        through_exchanges: &str,
        exchange_links: Option<PathBuf>,
    ) -> PyResult<Cases> {
        if subjects.iter().any(|s| s.0.is_empty() || s.1.is_empty()) {
            return Err(argument(
                "every subject needs a case reference and an account",
            ));
        }
        let specs: Vec<SubjectSpec> = subjects
            .into_iter()
            .map(|(case_ref, subject, trace)| SubjectSpec {
                case_ref,
                subject,
                trace,
            })
            .collect();
        let mut options = InvestigateOptions {
            trace: TraceOptions {
                rule: self::rule(rule)?,
                max_hops,
                ..TraceOptions::default()
            },
            top,
            ..InvestigateOptions::default()
        };
        py.detach(|| {
            let data = self.books.valued(&self.config.currency)?;
            let findings = Some(self.analysis.findings.as_slice());
            let file = exchange_links.as_deref();
            options.trace.exchange_links = links(&data, through_exchanges, file, findings)?;
            let graph = &self.books.graph;
            let balances = Balances::new(graph.ledger(), &Default::default());
            // exposure traces as the CLI's: the rule and links, default bounds
            let trace = TraceOptions {
                rule: options.trace.rule,
                exchange_links: options.trace.exchange_links.clone(),
                ..TraceOptions::default()
            };
            let mut investigation =
                Investigation::new(&data, &self.analysis.findings, &balances, options);
            if let Some(path) = &tags {
                let tags = read_tags(path).map_err(to_py)?;
                let clusters = self.books.clusters.as_ref();
                let tagged = tagged_accounts(graph.ledger(), &tags, clusters);
                let exposure = ExposureOptions {
                    trace,
                    ..ExposureOptions::default()
                };
                investigation = investigation.with_tags(tagged, exposure);
            }
            if let Some(clusters) = &self.books.clusters {
                investigation = investigation.with_clusters(clusters.clone());
            }
            let mut cases = investigation.run(&specs).map_err(to_py)?;
            let mut pictures: Vec<Option<Picture>> = specs
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let id = graph.ledger().account_id(&s.subject)?;
                    let name = format!("S{:04}", i + 1);
                    Some(Picture::neighbourhood(&data, id, &name, 60))
                })
                .collect();
            if let Some(key) = &pseudonymise {
                let p = Pseudonymiser::new(key.as_bytes());
                cases.iter_mut().for_each(|c| c.pseudonymise(&p));
                pictures
                    .iter_mut()
                    .flatten()
                    .for_each(|pic| pic.pseudonymise(&p));
            }
            Ok(Cases {
                cases,
                pictures,
                pseudonymised: pseudonymise.is_some(),
            })
        })
    }
}

#[pymethods]
impl Cases {
    /// Every case file, as the JSON `investigate` writes per subject.
    fn cases_json(&self) -> PyResult<String> {
        json(&self.cases)
    }

    /// Write the case files, index.json, index.csv and report.html.
    #[pyo3(signature = (dir, *, html = true, parquet = false))]
    fn write(
        &self,
        py: Python<'_>,
        dir: PathBuf,
        html: bool,
        parquet: bool,
    ) -> PyResult<Vec<String>> {
        let options = output_options(html, parquet);
        py.detach(|| {
            report::write_cases(
                &dir,
                &self.cases,
                &self.pictures,
                self.pseudonymised,
                &options,
            )
            .map_err(to_py)
        })
    }
}
