//! Attribution tags: who an address or account is known to belong to
//! (an exchange, a mixer, a darknet market, a sanctioned entity…), read
//! from a CSV file, propagated to an address's whole cluster
//! ([`propagate`]), and resolved to one category per account of a ledger
//! ([`tagged_accounts`]) for [`exposure`](crate::exposure).
//!
//! The file has a header and the columns `address,entity,category,source,
//! confidence` (`account` is accepted for `address`; `source` and
//! `confidence` may be empty; confidence is a number from 0 to 1, 1 when
//! empty).

use crate::error::{Reason, Result};
use crate::utxo::cluster::Clusters;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// What an entity is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// A virtual-asset exchange or other VASP.
    Exchange,
    /// A mixer or tumbler.
    Mixer,
    /// A darknet market.
    DarknetMarket,
    /// A sanctioned person or entity.
    Sanctioned,
    /// Gambling.
    Gambling,
    /// Ransomware proceeds.
    Ransomware,
    /// A scam or fraud.
    Scam,
    /// Anything else.
    Other,
}

impl Category {
    /// Parse a category name (any case; `-` or space for `_`; `vasp` is
    /// `exchange`, `darknet` is `darknet_market`).
    pub fn parse(text: &str) -> Option<Category> {
        let t = text.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Some(match t.as_str() {
            "exchange" | "vasp" => Category::Exchange,
            "mixer" | "tumbler" => Category::Mixer,
            "darknet_market" | "darknet" => Category::DarknetMarket,
            "sanctioned" | "sanctions" => Category::Sanctioned,
            "gambling" => Category::Gambling,
            "ransomware" => Category::Ransomware,
            "scam" | "fraud" => Category::Scam,
            "other" => Category::Other,
            _ => return None,
        })
    }

    /// The snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            Category::Exchange => "exchange",
            Category::Mixer => "mixer",
            Category::DarknetMarket => "darknet_market",
            Category::Sanctioned => "sanctioned",
            Category::Gambling => "gambling",
            Category::Ransomware => "ransomware",
            Category::Scam => "scam",
            Category::Other => "other",
        }
    }
}

/// One tag.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tag {
    /// The address or account tagged.
    pub address: String,
    /// The entity's name.
    pub entity: String,
    /// What the entity is.
    pub category: Category,
    /// Where the attribution comes from.
    pub source: String,
    /// How sure the source is, 0 to 1.
    pub confidence: f64,
}

/// Read a tag file.
///
/// # Errors
///
/// When the file cannot be read, lacks a column, or a row has an unknown
/// category, an empty address or entity, or a confidence outside 0–1; the
/// error names the row, column and value.
pub fn read_tags(path: &Path) -> Result<Vec<Tag>> {
    let Some(table) = crate::ingest::small_csv::SmallCsv::read(path)? else {
        return Ok(Vec::new());
    };
    let (a, e, c) = (
        table.require(&["address", "account"])?,
        table.require(&["entity"])?,
        table.require(&["category"])?,
    );
    let (s, k) = (table.column(&["source"]), table.column(&["confidence"]));
    let mut tags = Vec::new();
    for row in table.rows() {
        let bad = |column: &str, value: &str, reason: Reason| row.error(column, value, reason);
        let get = |j: Option<usize>| row.get(j);
        let address = get(Some(a));
        if address.is_empty() {
            return Err(bad("address", address, Reason::EmptyAccount));
        }
        let entity = get(Some(e));
        if entity.is_empty() {
            return Err(bad("entity", entity, Reason::MissingValue));
        }
        let category = Category::parse(get(Some(c)))
            .ok_or_else(|| bad("category", get(Some(c)), Reason::BadValue))?;
        let confidence = match get(k) {
            "" => 1.0,
            t => t
                .parse::<f64>()
                .ok()
                .filter(|v| (0.0..=1.0).contains(v))
                .ok_or_else(|| bad("confidence", t, Reason::BadNumber))?,
        };
        tags.push(Tag {
            address: address.to_string(),
            entity: entity.to_string(),
            category,
            source: get(s).to_string(),
            confidence,
        });
    }
    Ok(tags)
}

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
