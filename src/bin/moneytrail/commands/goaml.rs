//! `moneytrail goaml`: selected findings as a goAML-style report.

use crate::args::GoamlArgs;
use crate::setup;
use anyhow::Context;
use moneytrail::report::{self, read_findings, FindingRecord};
use moneytrail::FlowGraph;

pub(crate) fn run(args: &GoamlArgs) -> anyhow::Result<()> {
    let findings = read_findings(&args.findings)?;
    let mut selected: Vec<&FindingRecord> = Vec::new();
    for id in &args.ids {
        let f = findings
            .iter()
            .find(|f| &f.id == id)
            .with_context(|| format!("no finding {id} in {}", args.findings.display()))?;
        selected.push(f);
    }
    if args.typology.is_some() || args.min_score.is_some() {
        selected.extend(findings.iter().filter(|f| {
            args.typology.as_ref().is_none_or(|t| &f.typology == t)
                && args.min_score.is_none_or(|m| f.score >= m)
        }));
    }
    selected.sort_by(|a, b| a.id.cmp(&b.id));
    selected.dedup_by(|a, b| a.id == b.id);
    anyhow::ensure!(
        !selected.is_empty(),
        "no findings selected: give --id, --typology or --min-score"
    );
    let loaded = setup::load(&args.input)?;
    let graph = FlowGraph::new(loaded.ledger);
    let currency = args.currency.to_ascii_uppercase();
    let data = setup::valued(&graph, &args.input, args.fx.as_ref(), &currency)?;
    let header = report::goaml::GoAmlHeader {
        entity_id: args.entity_id.clone(),
        entity_reference: args.entity_reference.clone().unwrap_or_else(|| {
            let ids: Vec<&str> = selected.iter().map(|f| f.id.as_str()).collect();
            format!("moneytrail {}", ids.join(" "))
        }),
        submission_date: chrono::Utc::now(),
        reason: args.reason.clone(),
        action: args.action.clone(),
    };
    let xml = report::goaml::goaml_xml(&data, &header, &selected)?;
    std::fs::write(&args.out, &xml)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    println!(
        "wrote {} findings ({} transactions) to {}",
        selected.len(),
        xml.matches("<transaction>").count(),
        args.out.display()
    );
    Ok(())
}
