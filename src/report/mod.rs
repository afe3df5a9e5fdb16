//! Writing results, by product: what `analyze` writes
//! ([`write_analysis`]), a forward trace ([`write_trace`]), a backward trace
//! ([`write_sources`]), clusters ([`write_clusters`]) and case files
//! ([`write_cases`]), each with its JSON, its tables (CSV, and Parquet) and
//! its self-contained `report.html` on the shared page frame; flow pictures
//! as SVG ([`svg`]), DOT ([`dot()`]) and GraphML ([`graphml()`]); and
//! goAML-style XML ([`goaml`]).
//!
//! The JSON field names are a contract other tools parse (see DESIGN.md):
//! fields may be added, never renamed.

mod analysis;
mod cases;
mod clusters;
mod dot;
mod files;
mod fold;
pub mod goaml;
mod graphml;
pub mod layout;
mod page;
mod picture;
mod record;
mod scores;
mod sources;
pub mod svg;
pub mod terminal;
mod trace;
mod xml;

pub use analysis::{flagged_accounts, write_analysis, AnalysisRun, FlaggedAccount, RunSummary};
pub use cases::{write_cases, CaseIndexEntry};
pub use clusters::write_clusters;
pub use dot::dot;
pub use files::Written;
pub use graphml::graphml;
pub use page::ReportLimits;
pub use picture::{Arrow, HopKind, Item, Node, Picture};
pub use record::{read_findings, FindingRecord};
pub use scores::{AccountScores, ModelSummary, TransferScores};
pub use sources::{write_sources, BackwardTrace};
pub use trace::{trace_json, trace_text, write_trace, TraceNotes};
pub use xml::escape;

/// Which graph format `--export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphFormat {
    /// Graphviz DOT (`.dot`).
    Dot,
    /// GraphML (`.graphml`).
    GraphMl,
}

impl GraphFormat {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            GraphFormat::Dot => "dot",
            GraphFormat::GraphMl => "graphml",
        }
    }

    /// The picture in this format.
    pub fn render(self, picture: &Picture) -> String {
        match self {
            GraphFormat::Dot => dot(picture),
            GraphFormat::GraphMl => graphml(picture),
        }
    }
}

/// What to write besides the JSON and CSV files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputOptions {
    /// Write a Parquet file next to every CSV file.
    pub parquet: bool,
    /// Write `report.html`.
    pub html: bool,
    /// What the report draws and lists.
    pub limits: ReportLimits,
    /// Export flow pictures as DOT or GraphML: for `analyze`, one file per
    /// finding (the `export_top` highest-scoring) in `graphs/`; for a
    /// trace, `trace.dot` or `trace.graphml`.
    pub export: Option<GraphFormat>,
    /// Findings exported: 200.
    pub export_top: usize,
    /// Neutralise spreadsheet formulas in CSV files (on by default): a text
    /// cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return
    /// gets a `'` in front, as OWASP recommends against CSV injection, so a
    /// spreadsheet shows it instead of running it. Parquet files are never
    /// changed. Turn it off for machine consumers of the CSV files.
    pub neutralise_formulas: bool,
}

impl Default for OutputOptions {
    fn default() -> OutputOptions {
        OutputOptions {
            parquet: false,
            html: true,
            limits: ReportLimits::default(),
            export: None,
            export_top: 200,
            neutralise_formulas: true,
        }
    }
}
