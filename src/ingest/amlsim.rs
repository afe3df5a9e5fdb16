//! AMLSim account labels: `nodes.csv` beside a sample `transactions.csv`.
//!
//! Labels are per account (`isFraud`), not per transfer. Every node becomes
//! an account, in file order, whether or not it has transfers. A bad row in
//! the labels file fails the load whatever the leniency: labels are the
//! answer key, and a partial key would mis-score silently.

use super::batch::Record;
use super::csv_chunks::{self, CsvChunks};
use super::layouts::ColSpec;
use super::{resolve_by_name, LoadOptions, Sink};
use crate::error::{Error, Reason, Result, RowError};
use std::path::{Path, PathBuf};

const NODES: &[ColSpec] = &[
    ColSpec {
        name: "nodeid",
        label: "nodeid",
        required: true,
    },
    ColSpec {
        name: "isFraud",
        label: "isFraud",
        required: true,
    },
];

/// The labels file to read: the one given, else `nodes.csv` beside the
/// transactions if it exists.
fn nodes_path(transactions: &Path, options: &LoadOptions) -> Option<PathBuf> {
    if let Some(p) = &options.amlsim_nodes {
        return Some(p.clone());
    }
    let beside = transactions.parent()?.join("nodes.csv");
    beside.is_file().then_some(beside)
}

pub(super) fn read_labels(
    transactions: &Path,
    options: &LoadOptions,
    sink: &mut Sink<'_>,
) -> Result<()> {
    let Some(path) = nodes_path(transactions, options) else {
        sink.report
            .notes
            .push("no nodes.csv beside the file: accounts carry no labels".to_string());
        return Ok(());
    };
    let header = csv_chunks::read_header(&path)?;
    let mut ignored = Vec::new();
    let wanted = resolve_by_name(&path, NODES, &header.names, &mut ignored)?;
    let mut chunks = CsvChunks::open(&path, &header, options.chunk_bytes)?;
    let (mut nodes, mut flagged) = (0u64, 0u64);
    while let Some(chunk) = chunks.next_chunk()? {
        if let Some(first) = chunk.bad.into_iter().next() {
            return Err(RowError { path, ..first }.into());
        }
        let mut frame = None;
        let chunk = csv_chunks::Chunk {
            bad: Vec::new(),
            ..chunk
        };
        let batch = csv_chunks::parse_chunk(&chunk, header.names.len(), &mut frame, &wanted);
        for i in 0..batch.len() {
            let r: Record<'_> = batch.row(i);
            let fail = |col: usize, reason: Reason, detail: &str| -> Error {
                let mut e = RowError::new(
                    batch.rows[i],
                    NODES[col].label,
                    r.text(col).unwrap_or(""),
                    reason,
                )
                .with_detail(detail);
                e.path = path.clone();
                e.line = batch.lines.as_ref().map(|l| l[i]);
                e.into()
            };
            let key = r
                .text(0)
                .ok_or_else(|| fail(0, Reason::EmptyAccount, "a node id is required"))?;
            let fraud = match r.text(1) {
                Some("1") => true,
                Some("0") => false,
                _ => return Err(fail(1, Reason::BadNumber, "expected 0 or 1")),
            };
            let id = sink.builder.account(key);
            sink.builder.label_account(id, fraud);
            nodes += 1;
            flagged += u64::from(fraud);
        }
    }
    sink.report.notes.push(format!(
        "account labels from {}: {nodes} accounts, {flagged} flagged",
        path.display()
    ));
    Ok(())
}
