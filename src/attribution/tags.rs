//! Attribution tags spread through clusters: an address's own tags and
//! those of the other members of its cluster ([`propagate`]), and one
//! category per account of a ledger ([`tagged_accounts`]) for
//! [`exposure`](super::exposure). Tags are read by
//! [`ingest::read_tags`](crate::ingest::read_tags).

use super::cluster::Clusters;
use crate::model::{Category, Tag};
use serde::Serialize;
use std::collections::BTreeMap;

/// A tag as it applies to an address: its own, or inherited from another
/// member of its cluster.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppliedTag {
    /// The tag.
    pub tag: Tag,
    /// Whether it was inherited through the cluster (the tag's `address`
    /// says from which member).
    pub inherited: bool,
}

/// The tags of every address of some clusters: each address's own tags,
/// and the tags of the other members of its cluster (marked inherited).
/// Tags of addresses not in the data are ignored.
pub fn propagate(clusters: &Clusters, tags: &[Tag]) -> BTreeMap<u32, Vec<AppliedTag>> {
    let mut per_cluster: BTreeMap<u32, Vec<&Tag>> = BTreeMap::new();
    for t in tags {
        if let Some(c) = clusters.cluster(&t.address) {
            per_cluster.entry(c).or_default().push(t);
        }
    }
    let mut out: BTreeMap<u32, Vec<AppliedTag>> = BTreeMap::new();
    for (c, cluster_tags) in per_cluster {
        for &member in &clusters.members[c as usize] {
            let key = &clusters.addresses[member as usize];
            let applied = cluster_tags
                .iter()
                .map(|t| AppliedTag {
                    tag: (*t).clone(),
                    inherited: &t.address != key,
                })
                .collect();
            out.insert(member, applied);
        }
    }
    out
}

/// The category of every tagged account of a ledger: its own tags', or
/// (with `clusters`) those inherited through its cluster. Where an
/// account has tags of several categories, the most confident tag wins
/// (ties: the first category in [`Category`] order). Tags of keys not in
/// the ledger are ignored.
pub fn tagged_accounts(
    ledger: &crate::ledger::Ledger,
    tags: &[Tag],
    clusters: Option<&Clusters>,
) -> std::collections::HashMap<crate::model::AccountId, Category> {
    let mut best: std::collections::HashMap<crate::model::AccountId, (f64, Category)> =
        std::collections::HashMap::new();
    let mut apply = |key: &str, tag: &Tag| {
        if let Some(id) = ledger.account_id(key) {
            let e = best.entry(id).or_insert((f64::NEG_INFINITY, tag.category));
            if tag.confidence > e.0 || (tag.confidence == e.0 && tag.category < e.1) {
                *e = (tag.confidence, tag.category);
            }
        }
    };
    match clusters {
        Some(c) => {
            for (member, applied) in propagate(c, tags) {
                for t in applied {
                    apply(&c.addresses[member as usize], &t.tag);
                }
            }
            // tags of keys outside the clusters (bank accounts…) apply as given
            for t in tags {
                apply(&t.address, t);
            }
        }
        None => {
            for t in tags {
                apply(&t.address, t);
            }
        }
    }
    best.into_iter().map(|(k, (_, c))| (k, c)).collect()
}

/// The entities an address or account is tagged as, `entity (category)`,
/// sorted and distinct: its own tags, or with UTXO clusters the tags
/// every address of its cluster inherits.
///
/// ```
/// use moneytrail::attribution::{names_of, Category, Tag};
/// let tag = Tag {
///     address: "bc1qhot".into(),
///     entity: "CoinHub".into(),
///     category: Category::Exchange,
///     source: "own".into(),
///     confidence: 1.0,
/// };
/// assert_eq!(names_of("bc1qhot", &[tag], None), ["CoinHub (exchange)"]);
/// ```
pub fn names_of(key: &str, tags: &[Tag], clusters: Option<&Clusters>) -> Vec<String> {
    let mut named: Vec<String> = match clusters.and_then(|c| Some((c, c.cluster(key)?))) {
        Some((c, cluster)) => {
            let applied = propagate(c, tags);
            c.members[cluster as usize]
                .iter()
                .flat_map(|m| applied.get(m).into_iter().flatten())
                .map(|t| format!("{} ({})", t.tag.entity, t.tag.category.name()))
                .collect()
        }
        None => tags
            .iter()
            .filter(|t| t.address == key)
            .map(|t| format!("{} ({})", t.entity, t.category.name()))
            .collect(),
    };
    named.sort();
    named.dedup();
    named
}
