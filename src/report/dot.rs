//! Graphviz DOT export of a [`Picture`], for Graphviz, Gephi and yEd
//! users: accounts are nodes named by their key, transfers are edges with
//! their data row, time, amounts and assets as attributes, styled like the
//! SVG (dashed for virtual assets, dash-dotted for asset changes).

use super::picture::{HopKind, Picture};
use super::svg::{amount, short_time};
use crate::time;
use std::fmt::Write;

/// A DOT string literal: quoted, with `"` and `\` escaped and line breaks
/// as `\n`.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The picture as one `digraph`, laid out left to right (`rankdir=LR`).
///
/// ```
/// use moneytrail::{LedgerBuilder, NewTransfer, TransferId};
/// use moneytrail::report::{dot, Item, Picture};
/// use rust_decimal::Decimal;
/// let mut b = LedgerBuilder::new();
/// let (x, y) = (b.account("x"), b.account("y"));
/// let usd = b.asset("USD").unwrap();
/// b.push(NewTransfer::simple(0, x, y, Decimal::from(9_500), usd, 7));
/// let ledger = b.finish().unwrap();
/// let item = Item { transfer: TransferId(0), weight: Decimal::ONE, traced: None };
/// let text = dot(&Picture::new(&ledger, "F1", "one transfer", &[item], 10));
/// assert!(text.starts_with("digraph \"F1\" {"));
/// assert!(text.contains("\"x\" -> \"y\" [row=\"7\""));
/// ```
pub fn dot(picture: &Picture) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "digraph {} {{", quoted(&picture.id));
    let _ = writeln!(out, "  label={};", quoted(&picture.title));
    out.push_str("  rankdir=LR;\n  node [shape=box, style=\"rounded,filled\", fillcolor=\"#eef2ff\", fontname=\"sans-serif\"];\n  edge [fontname=\"sans-serif\", fontsize=10];\n");
    if picture.omitted > 0 {
        let _ = writeln!(
            out,
            "  // {} lighter transfers left out of this picture",
            picture.omitted
        );
    }
    for node in &picture.nodes {
        let mut label = node.key.clone();
        for part in [&node.institution, &node.jurisdiction]
            .into_iter()
            .flatten()
        {
            label.push('\n');
            label.push_str(part);
        }
        let _ = write!(
            out,
            "  {} [label={}, kind={}",
            quoted(&node.key),
            quoted(&label),
            quoted(node.kind.name())
        );
        if let Some(i) = &node.institution {
            let _ = write!(out, ", institution={}", quoted(i));
        }
        if let Some(j) = &node.jurisdiction {
            let _ = write!(out, ", jurisdiction={}", quoted(j));
        }
        out.push_str("];\n");
    }
    for a in &picture.arrows {
        let (from, to) = (&picture.nodes[a.from].key, &picture.nodes[a.to].key);
        let label = if a.kind == HopKind::Conversion {
            format!(
                "{} {} → {} {}\n{}",
                amount(a.amount_paid),
                a.asset_paid,
                amount(a.amount_received),
                a.asset_received,
                short_time(a.time_us)
            )
        } else {
            format!(
                "{} {}\n{}",
                amount(a.amount_paid),
                a.asset_paid,
                short_time(a.time_us)
            )
        };
        let style = match a.kind {
            HopKind::Fiat => "solid",
            HopKind::Virtual => "dashed",
            HopKind::Conversion => "dotted",
        };
        let _ = write!(
            out,
            "  {} -> {} [row=\"{}\", time={}, amount_paid=\"{}\", asset_paid={}, \
             amount_received=\"{}\", asset_received={}, channel={}, hop={}, style={style}",
            quoted(from),
            quoted(to),
            a.row,
            quoted(&time::to_rfc3339(a.time_us)),
            a.amount_paid.normalize(),
            quoted(&a.asset_paid),
            a.amount_received.normalize(),
            quoted(&a.asset_received),
            quoted(a.channel.name()),
            quoted(a.kind.name()),
        );
        if let Some(t) = a.traced {
            let _ = write!(out, ", traced=\"{}\"", t.normalize());
        }
        if let Some(id) = &a.tx_id {
            let _ = write!(out, ", tx_id={}", quoted(id));
        }
        let _ = writeln!(out, ", label={}];", quoted(&label));
    }
    out.push_str("}\n");
    out
}
