//! Drawing a [`Picture`] as SVG: accounts as boxes (key, institution,
//! jurisdiction), transfers as arrows labelled with amount, asset and time,
//! laid out left to right in time order ([`layout`]). Fiat hops are solid
//! blue, virtual-asset hops dashed amber, asset changes dash-dotted purple.
//! Transfers between the same two accounts of the same kind share one arrow
//! whose label counts them; every arrow carries the data rows it stands
//! for (`data-rows`) and a tooltip listing its transfers.

use super::layout::{layout, Layout};
use super::picture::{Arrow, HopKind, Node, Picture};
use super::xml::{escape, shorten};
use crate::format::group_thousands;
use crate::model::AccountKind;
use crate::time;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::fmt::Write;

const BOX_W: f64 = 210.0;
const BOX_H: f64 = 44.0;
const COL_GAP: f64 = 190.0;
const ROW_GAP: f64 = 30.0;
const MARGIN: f64 = 24.0;

fn colour(kind: HopKind) -> &'static str {
    match kind {
        HopKind::Fiat => "#1d4ed8",
        HopKind::Virtual => "#b45309",
        HopKind::Conversion => "#7c3aed",
    }
}

fn dash(kind: HopKind) -> &'static str {
    match kind {
        HopKind::Fiat => "",
        HopKind::Virtual => " stroke-dasharray=\"8 4\"",
        HopKind::Conversion => " stroke-dasharray=\"10 3 2 3\"",
    }
}

fn fill(kind: AccountKind) -> &'static str {
    match kind {
        AccountKind::BankAccount => "#eef2ff",
        AccountKind::VirtualAssetAddress => "#fff7ed",
        AccountKind::Exchange => "#ecfdf5",
        AccountKind::CashOrUnknown => "#f3f4f6",
        AccountKind::OnChainTransaction => "#fef9c3",
    }
}

/// An amount for a label: thousands separators, at most 8 decimals.
pub(crate) fn amount(value: Decimal) -> String {
    let places = if value.abs() >= Decimal::from(1000) {
        2
    } else {
        8
    };
    group_thousands(value.round_dp(places).normalize())
}

/// An amount of an asset for a label, at the asset's precision where its
/// code tells it (`7,495.60 EUR`, `0.72000000 BTC`), else as [`amount`].
pub(crate) fn amount_of(value: Decimal, code: &str) -> String {
    let asset = crate::model::Asset::from_code(code);
    if asset.precision_known() {
        crate::format::amount(value, asset.decimals)
    } else {
        amount(value)
    }
}

/// A time for a label: `2024-03-14 10:22`.
pub(crate) fn short_time(micros: i64) -> String {
    time::to_datetime(micros)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// Keep only characters that are safe in an SVG id.
fn id_part(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

struct Geometry {
    layout: Layout,
    height_boxes: f64,
}

impl Geometry {
    fn x(&self, node: usize) -> f64 {
        MARGIN + self.layout.column[node] as f64 * (BOX_W + COL_GAP)
    }

    fn y(&self, node: usize, column_size: &[usize]) -> f64 {
        let c = self.layout.column[node];
        let offset = (self.layout.rows - column_size[c]) as f64 * (BOX_H + ROW_GAP) / 2.0;
        MARGIN + offset + self.layout.row[node] as f64 * (BOX_H + ROW_GAP)
    }
}

/// Arrows between the same two accounts, of the same kind.
struct Group<'p> {
    from: usize,
    to: usize,
    kind: HopKind,
    arrows: Vec<&'p Arrow>,
}

impl Group<'_> {
    /// The label: what moved (first line) and when (second line).
    fn label(&self) -> (String, String) {
        let first = self.arrows[0];
        if self.arrows.len() == 1 {
            let money = if first.kind == HopKind::Conversion {
                format!(
                    "{} {} → {} {}",
                    amount_of(first.amount_paid, &first.asset_paid),
                    first.asset_paid,
                    amount_of(first.amount_received, &first.asset_received),
                    first.asset_received
                )
            } else {
                format!(
                    "{} {}",
                    amount_of(first.amount_paid, &first.asset_paid),
                    first.asset_paid
                )
            };
            let traced = match first.traced {
                Some(t) if t != first.amount_paid => {
                    format!(" (traced {})", amount_of(t, &first.asset_paid))
                }
                _ => String::new(),
            };
            (format!("{money}{traced}"), short_time(first.time_us))
        } else {
            let mut per_asset: BTreeMap<&str, Decimal> = BTreeMap::new();
            for a in &self.arrows {
                *per_asset.entry(&a.asset_paid).or_default() += a.traced.unwrap_or(a.amount_paid);
            }
            let sums: Vec<String> = per_asset
                .iter()
                .map(|(asset, v)| format!("{} {asset}", amount_of(*v, asset)))
                .collect();
            let last = self.arrows[self.arrows.len() - 1];
            (
                format!(
                    "{}× {}{}",
                    self.arrows.len(),
                    sums.join(" + "),
                    if first.traced.is_some() {
                        " traced"
                    } else {
                        ""
                    }
                ),
                format!(
                    "{} – {}",
                    short_time(first.time_us),
                    short_time(last.time_us)
                ),
            )
        }
    }

    fn tooltip(&self) -> String {
        let mut text = String::new();
        for a in &self.arrows {
            let _ = write!(
                text,
                "row {}: {} {} {}",
                a.row,
                time::to_rfc3339(a.time_us),
                amount_of(a.amount_paid, &a.asset_paid),
                a.asset_paid
            );
            if a.kind == HopKind::Conversion {
                let _ = write!(
                    text,
                    " → {} {}",
                    amount_of(a.amount_received, &a.asset_received),
                    a.asset_received
                );
            }
            if let Some(t) = a.traced {
                let _ = write!(text, " (traced {})", amount_of(t, &a.asset_paid));
            }
            let _ = write!(text, " via {}", a.channel.name());
            text.push('\n');
        }
        text.pop();
        text
    }

    fn weight(&self) -> Decimal {
        self.arrows.iter().map(|a| a.weight).sum()
    }
}

/// The SVG of a picture: a complete `<svg>` element, usable inline in HTML
/// or on its own (it declares its namespace).
pub fn picture_svg(picture: &Picture) -> String {
    let layout = layout(picture);
    let mut column_size = vec![0usize; layout.columns];
    for &c in &layout.column {
        column_size[c] += 1;
    }
    let height_boxes = layout.rows as f64 * (BOX_H + ROW_GAP) - ROW_GAP;
    let g = Geometry {
        layout,
        height_boxes,
    };
    let width = 2.0 * MARGIN + g.layout.columns as f64 * (BOX_W + COL_GAP) - COL_GAP;
    let pid = id_part(&picture.id);
    let mut out = String::new();
    let head = head(picture, width, &pid, &mut out);
    let groups = groups(picture);
    let heaviest = groups
        .values()
        .map(Group::weight)
        .max()
        .unwrap_or(Decimal::ONE)
        .to_f64()
        .unwrap_or(1.0)
        .max(f64::MIN_POSITIVE);
    // draw arrows first so that boxes sit on top of their ends
    let mut out_arrows = vec![0usize; picture.nodes.len()];
    let mut in_arrows = vec![0usize; picture.nodes.len()];
    for group in groups.values() {
        out_arrows[group.from] += 1;
        in_arrows[group.to] += 1;
    }
    let mut lowest = 0.0f64;
    let mut labels = String::new();
    let mut seen_pairs: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    for group in groups.values() {
        let nth = seen_pairs.entry((group.from, group.to)).or_insert(0);
        let bend = *nth as f64 * 14.0;
        *nth += 1;
        let (x1, y1, x2, y2) = (
            g.x(group.from),
            g.y(group.from, &column_size),
            g.x(group.to),
            g.y(group.to, &column_size),
        );
        let forward = g.layout.column[group.to] > g.layout.column[group.from];
        // where along the curve the label sits: near the end where the
        // arrows fan out, so that the labels of a fan do not pile up
        let at = if out_arrows[group.from] >= in_arrows[group.to] {
            0.62
        } else {
            0.38
        };
        let [start, c1, c2, end] = curve((x1, y1), (x2, y2), forward, group.from == group.to, bend);
        let path = format!(
            "M{:.1},{:.1} C{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}",
            start.0, start.1, c1.0, c1.1, c2.0, c2.1, end.0, end.1
        );
        let at = if forward { at } else { 0.5 };
        let point = bezier(start, c1, c2, end, at);
        let (lx, ly) = (
            point.0,
            if forward {
                point.1 - 14.0
            } else {
                point.1 + 12.0
            },
        );
        lowest = lowest.max(c1.1.max(c2.1)).max(ly);
        let width = if picture.scaled {
            let share = group.weight().to_f64().unwrap_or(0.0) / heaviest;
            1.5 + 10.0 * share.clamp(0.0, 1.0).sqrt()
        } else {
            1.6
        };
        let rows: Vec<String> = group.arrows.iter().map(|a| a.row.to_string()).collect();
        let _ = write!(
            out,
            "<g class=\"arrow {}\" data-rows=\"{}\"><title>{}</title>\
             <path d=\"{path}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{width:.1}\"{} \
             marker-end=\"url(#{pid}-{})\"/></g>",
            group.kind.name(),
            rows.join(" "),
            escape(&group.tooltip()),
            colour(group.kind),
            dash(group.kind),
            group.kind.name()
        );
        let (what, when) = group.label();
        let _ = write!(
            labels,
            "<text class=\"label\" x=\"{lx:.1}\" y=\"{ly:.1}\" text-anchor=\"middle\" \
             fill=\"{}\" stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\">\
             <tspan x=\"{lx:.1}\">{}</tspan><tspan x=\"{lx:.1}\" dy=\"12\" font-size=\"9\">{}</tspan></text>",
            colour(group.kind),
            escape(&what),
            escape(&when)
        );
    }
    for (i, node) in picture.nodes.iter().enumerate() {
        account_box(&mut out, (g.x(i), g.y(i, &column_size)), node);
    }
    // labels last, so that no box hides them
    out.push_str(&labels);
    out.push_str("</svg>");
    // the height is known once the arrows that loop below are drawn
    let height = (MARGIN + g.height_boxes.max(BOX_H)).max(lowest) + MARGIN;
    // the two placeholders come before any text from the data
    head.replacen("{HEIGHT}", &format!("{height:.0}"), 2) + &out
}

/// The opening `<svg>` element with its title (the height left as a
/// placeholder), and the arrowheads' markers written to `out`.
fn head(picture: &Picture, width: f64, pid: &str, out: &mut String) -> String {
    let mut head = String::new();
    let _ = write!(
        head,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"flow\" data-picture=\"{}\" \
         width=\"{width:.0}\" height=\"{{HEIGHT}}\" viewBox=\"0 0 {width:.0} {{HEIGHT}}\" \
         font-family=\"sans-serif\" font-size=\"11\" role=\"img\">",
        escape(&picture.id)
    );
    let _ = write!(head, "<title>{}</title><defs>", escape(&picture.title));
    for kind in [HopKind::Fiat, HopKind::Virtual, HopKind::Conversion] {
        let _ = write!(
            out,
            "<marker id=\"{pid}-{}\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" \
             markerWidth=\"9\" markerHeight=\"9\" markerUnits=\"userSpaceOnUse\" orient=\"auto\">\
             <path d=\"M0,0 L10,5 L0,10 z\" fill=\"{}\"/></marker>",
            kind.name(),
            colour(kind)
        );
    }
    head.push_str("</defs>");
    head
}

/// The arrows grouped by their two boxes and their kind: one drawn arrow
/// per group.
fn groups(picture: &Picture) -> BTreeMap<(usize, usize, HopKind), Group<'_>> {
    let mut groups: BTreeMap<(usize, usize, HopKind), Group<'_>> = BTreeMap::new();
    for a in &picture.arrows {
        groups
            .entry((a.from, a.to, a.kind))
            .or_insert_with(|| Group {
                from: a.from,
                to: a.to,
                kind: a.kind,
                arrows: Vec::new(),
            })
            .arrows
            .push(a);
    }
    groups
}

/// A point of the drawing.
type Point = (f64, f64);

/// The control points of an arrow from the box at `from` to the box at
/// `to`: forward between columns, a loop under a box to itself, or back
/// (or within a column) below the boxes; `bend` parts arrows between the
/// same two boxes.
fn curve(
    (x1, y1): (f64, f64),
    (x2, y2): (f64, f64),
    forward: bool,
    to_itself: bool,
    bend: f64,
) -> [Point; 4] {
    if forward {
        let s = (x1 + BOX_W, y1 + BOX_H / 2.0 + bend / 2.0);
        let e = (x2, y2 + BOX_H / 2.0 + bend / 2.0);
        let dx = (e.0 - s.0) / 2.0;
        [s, (s.0 + dx, s.1), (e.0 - dx, e.1), e]
    } else if to_itself {
        let s = (x1 + BOX_W * 0.7, y1 + BOX_H);
        let e = (x1 + BOX_W * 0.3, s.1);
        let low = s.1 + 34.0 + bend;
        [s, (s.0, low), (e.0, low), e]
    } else {
        // back (or within a column): loop below the boxes
        let s = (x1 + BOX_W / 2.0, y1 + BOX_H);
        let e = (x2 + BOX_W / 2.0 + 12.0, y2 + BOX_H);
        let low = s.1.max(e.1) + 40.0 + bend;
        [s, (s.0, low), (e.0, low), e]
    }
}

/// An account's box: its key in bold, its institution and jurisdiction
/// (or kind) below.
fn account_box(out: &mut String, (x, y): (f64, f64), node: &Node) {
    let detail: Vec<&str> = [node.institution.as_deref(), node.jurisdiction.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    let detail = if detail.is_empty() {
        node.kind.name().replace('_', " ")
    } else {
        detail.join(" · ")
    };
    let _ = write!(
        out,
        "<g class=\"account\" data-key=\"{}\"><title>{} ({})</title>\
         <rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{BOX_W}\" height=\"{BOX_H}\" rx=\"6\" \
         fill=\"{}\" stroke=\"#374151\"/>\
         <text x=\"{:.1}\" y=\"{:.1}\" font-weight=\"bold\">{}</text>\
         <text x=\"{:.1}\" y=\"{:.1}\" fill=\"#4b5563\">{}</text></g>",
        escape(&node.key),
        escape(&node.key),
        node.kind.name(),
        fill(node.kind),
        x + 8.0,
        y + 18.0,
        escape(&shorten(&node.key, 30)),
        x + 8.0,
        y + 34.0,
        escape(&shorten(&detail, 32)),
    );
}

/// A point of a cubic Bézier curve.
fn bezier(p0: (f64, f64), p1: (f64, f64), p2: (f64, f64), p3: (f64, f64), t: f64) -> (f64, f64) {
    let u = 1.0 - t;
    let (a, b, c, d) = (u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t);
    (
        a * p0.0 + b * p1.0 + c * p2.0 + d * p3.0,
        a * p0.1 + b * p1.1 + c * p2.1 + d * p3.1,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::picture::Item;
    use crate::{LedgerBuilder, NewTransfer, TransferId};

    #[test]
    fn every_transfer_is_on_one_arrow_and_every_account_in_one_box() {
        let mut b = LedgerBuilder::new();
        let usd = b.asset("USD").unwrap();
        let btc = b.asset("BTC").unwrap();
        let (x, y, z) = (b.account("x<1>"), b.account("y"), b.account("z"));
        b.push(NewTransfer::simple(0, x, y, Decimal::from(500), usd, 0));
        b.push(NewTransfer::simple(10, x, y, Decimal::from(400), usd, 1));
        let mut conv = NewTransfer::simple(20, y, z, Decimal::from(880), usd, 2);
        conv.asset_received = btc;
        conv.amount_received = Decimal::new(1, 2);
        b.push(conv);
        b.push(NewTransfer::simple(30, z, x, Decimal::new(1, 2), btc, 3));
        let ledger = b.finish().unwrap();
        let items: Vec<Item> = (0..4)
            .map(|i| Item {
                transfer: TransferId(i),
                weight: Decimal::ONE,
                traced: None,
            })
            .collect();
        let svg = picture_svg(&Picture::new(&ledger, "F&1", "t", &items, 10));
        let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
        let arrows: Vec<_> = doc
            .descendants()
            .filter(|n| n.attribute("class").is_some_and(|c| c.starts_with("arrow")))
            .collect();
        assert_eq!(arrows.len(), 3, "two parallel transfers share one arrow");
        let mut rows: Vec<&str> = arrows
            .iter()
            .flat_map(|a| a.attribute("data-rows").unwrap().split(' '))
            .collect();
        rows.sort_unstable();
        assert_eq!(rows, ["0", "1", "2", "3"]);
        assert!(arrows
            .iter()
            .any(|a| a.attribute("class") == Some("arrow conversion")));
        assert!(arrows
            .iter()
            .any(|a| a.attribute("class") == Some("arrow virtual")));
        let keys: Vec<&str> = doc
            .descendants()
            .filter_map(|n| n.attribute("data-key"))
            .collect();
        assert_eq!(keys, ["x<1>", "y", "z"]);
        assert!(svg.contains(">2× 900.00 USD<"), "{svg}");
    }
}
