//! What every command prints the same way: standard output made safe for
//! a terminal, findings one per line, and the list of files a command
//! wrote.

use moneytrail::report::terminal::TerminalSafe;
use moneytrail::report::FindingRecord;
use std::io::{StdoutLock, Write};
use std::path::Path;

/// Standard output, locked, with control characters shown as escapes.
pub(crate) fn stdout() -> TerminalSafe<StdoutLock<'static>> {
    TerminalSafe::new(std::io::stdout().lock())
}

/// Say which files a command wrote: case files and pictures as counts.
pub(crate) fn print_written(
    out: &mut impl Write,
    dir: &Path,
    written: &[String],
) -> std::io::Result<()> {
    let cases = written.iter().filter(|w| w.starts_with("case-")).count();
    let graphs = written.iter().filter(|w| w.starts_with("graphs/")).count();
    let mut names: Vec<String> = Vec::new();
    if cases > 0 {
        names.push(format!("{cases} case files"));
    }
    names.extend(
        written
            .iter()
            .filter(|w| !w.starts_with("case-") && !w.starts_with("graphs/"))
            .cloned(),
    );
    if graphs > 0 {
        names.push(format!("{graphs} pictures in graphs/"));
    }
    writeln!(out, "\nwrote {} to {}", names.join(", "), dir.display())
}

/// Print the `top` highest-scoring findings (ties by id), one per line:
/// id, typology, score, explanation. When a model scored them, they are
/// ranked by the model's score first, which is printed before the rule's.
pub(crate) fn print_findings(
    out: &mut impl Write,
    mut records: Vec<&FindingRecord>,
    top: usize,
) -> std::io::Result<()> {
    let model = |r: &FindingRecord| r.model_score.unwrap_or(0.0);
    records.sort_by(|a, b| {
        model(b)
            .total_cmp(&model(a))
            .then(b.score.total_cmp(&a.score))
            .then_with(|| a.id.cmp(&b.id))
    });
    for r in records.into_iter().take(top) {
        let learned = r
            .model_score
            .map_or(String::new(), |m| format!("model {m:.2}  "));
        writeln!(
            out,
            "  {} {:<15} {learned}{:.2}  {}",
            r.id, r.typology, r.score, r.explanation
        )?;
    }
    Ok(())
}
