//! What `cluster` writes: clusters.csv and addresses.csv.

use super::files::{io, Table, Written};
use super::OutputOptions;
use crate::attribution::AppliedTag;
use crate::error::Result;
use std::collections::BTreeMap;
use std::path::Path;

/// Write the clusters of a UTXO data set: `clusters.csv` (one row per
/// cluster of two or more addresses, or tagged: id, size, the first
/// address, entities and categories of its tags) and `addresses.csv`
/// (every address in a cluster of two or more, or tagged: its cluster and
/// each tag that applies, own or inherited), with Parquet twins when
/// `options.parquet`.
///
/// # Errors
///
/// When a file cannot be written.
pub fn write_clusters(
    dir: &Path,
    clusters: &crate::attribution::Clusters,
    applied: &BTreeMap<u32, Vec<AppliedTag>>,
    options: &OutputOptions,
) -> Result<Written> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut written = Written::new();
    let shown = |c: usize| {
        clusters.members[c].len() > 1 || clusters.members[c].iter().any(|m| applied.contains_key(m))
    };
    let ids: Vec<usize> = (0..clusters.members.len()).filter(|&c| shown(c)).collect();
    let tag_text = |c: usize, f: fn(&AppliedTag) -> String| {
        let mut set: std::collections::BTreeSet<String> = Default::default();
        for m in &clusters.members[c] {
            for t in applied.get(m).into_iter().flatten() {
                set.insert(f(t));
            }
        }
        set.into_iter().collect::<Vec<_>>().join(";")
    };
    Table::of(&ids)
        .column("cluster", |&c| c as u32)
        .column("size", |&c| clusters.members[c].len() as u32)
        .column("first_address", |&c| {
            clusters.addresses[clusters.members[c][0] as usize].clone()
        })
        .column("entities", |&c| tag_text(c, |t| t.tag.entity.clone()))
        .column("categories", |&c| {
            tag_text(c, |t| t.tag.category.name().to_string())
        })
        .write(dir, "clusters", options, &mut written)?;
    // one row per address and tag (or one row without a tag)
    let mut rows: Vec<(&str, u32, Option<&AppliedTag>)> = Vec::new();
    for &c in &ids {
        for &m in &clusters.members[c] {
            let address = clusters.addresses[m as usize].as_str();
            match applied.get(&m) {
                Some(tags) => rows.extend(tags.iter().map(|t| (address, c as u32, Some(t)))),
                None => rows.push((address, c as u32, None)),
            }
        }
    }
    let text = |t: Option<&AppliedTag>, f: fn(&AppliedTag) -> String| t.map(f).unwrap_or_default();
    Table::of(&rows)
        .column("address", |r| r.0.to_string())
        .column("cluster", |r| r.1)
        .column("entity", |r| text(r.2, |t| t.tag.entity.clone()))
        .column("category", |r| {
            text(r.2, |t| t.tag.category.name().to_string())
        })
        .column("inherited", |r| r.2.is_some_and(|t| t.inherited))
        .column("tagged_address", |r| text(r.2, |t| t.tag.address.clone()))
        .column("confidence", |r| r.2.map_or(0.0, |t| t.tag.confidence))
        .write(dir, "addresses", options, &mut written)?;
    Ok(written)
}
