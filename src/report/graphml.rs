//! GraphML export of a [`Picture`] (for Gephi, yEd and network
//! libraries): one directed graph whose nodes are accounts (key,
//! institution, jurisdiction, kind) and whose edges are transfers (data
//! row, time, amounts, assets, channel, hop kind, traced amount).

use super::picture::Picture;
use super::xml::escape;
use crate::time;
use std::fmt::Write;

/// Attribute keys: (id, for, name, type).
const KEYS: &[(&str, &str, &str, &str)] = &[
    ("n_institution", "node", "institution", "string"),
    ("n_jurisdiction", "node", "jurisdiction", "string"),
    ("n_kind", "node", "kind", "string"),
    ("e_row", "edge", "row", "long"),
    ("e_time", "edge", "time", "string"),
    ("e_amount_paid", "edge", "amount_paid", "string"),
    ("e_asset_paid", "edge", "asset_paid", "string"),
    ("e_amount_received", "edge", "amount_received", "string"),
    ("e_asset_received", "edge", "asset_received", "string"),
    ("e_channel", "edge", "channel", "string"),
    ("e_hop", "edge", "hop", "string"),
    ("e_traced", "edge", "traced", "string"),
    ("e_tx_id", "edge", "tx_id", "string"),
];

/// The picture as a GraphML document. Node ids are the account keys;
/// amounts are decimal strings, so that nothing is rounded.
pub fn graphml(picture: &Picture) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
         xsi:schemaLocation=\"http://graphml.graphdrawing.org/xmlns \
         http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd\">\n",
    );
    for (id, target, name, kind) in KEYS {
        let _ = writeln!(
            out,
            "  <key id=\"{id}\" for=\"{target}\" attr.name=\"{name}\" attr.type=\"{kind}\"/>"
        );
    }
    let _ = writeln!(
        out,
        "  <graph id=\"{}\" edgedefault=\"directed\">",
        escape(&picture.id)
    );
    let _ = writeln!(out, "    <desc>{}</desc>", escape(&picture.title));
    let data = |out: &mut String, key: &str, value: &str| {
        let _ = writeln!(out, "      <data key=\"{key}\">{}</data>", escape(value));
    };
    for node in &picture.nodes {
        let _ = writeln!(out, "    <node id=\"{}\">", escape(&node.key));
        if let Some(i) = &node.institution {
            data(&mut out, "n_institution", i);
        }
        if let Some(j) = &node.jurisdiction {
            data(&mut out, "n_jurisdiction", j);
        }
        data(&mut out, "n_kind", node.kind.name());
        out.push_str("    </node>\n");
    }
    for (i, a) in picture.arrows.iter().enumerate() {
        let _ = writeln!(
            out,
            "    <edge id=\"e{i}\" source=\"{}\" target=\"{}\">",
            escape(&picture.nodes[a.from].key),
            escape(&picture.nodes[a.to].key)
        );
        data(&mut out, "e_row", &a.row.to_string());
        data(&mut out, "e_time", &time::to_rfc3339(a.time_us));
        data(
            &mut out,
            "e_amount_paid",
            &a.amount_paid.normalize().to_string(),
        );
        data(&mut out, "e_asset_paid", &a.asset_paid);
        data(
            &mut out,
            "e_amount_received",
            &a.amount_received.normalize().to_string(),
        );
        data(&mut out, "e_asset_received", &a.asset_received);
        data(&mut out, "e_channel", a.channel.name());
        data(&mut out, "e_hop", a.kind.name());
        if let Some(t) = a.traced {
            data(&mut out, "e_traced", &t.normalize().to_string());
        }
        if let Some(id) = &a.tx_id {
            data(&mut out, "e_tx_id", id);
        }
        out.push_str("    </edge>\n");
    }
    out.push_str("  </graph>\n</graphml>\n");
    out
}
