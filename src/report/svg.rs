//! Drawing a [`Picture`] as SVG: accounts as boxes (key, institution,
//! jurisdiction), transfers as arrows labelled with amount, asset and time,
//! laid out left to right in time order ([`layout`]). Fiat hops are solid
//! blue, virtual-asset hops dashed amber, asset changes dash-dotted purple.
//! Transfers between the same two accounts of the same kind share one arrow
//! whose label counts them; every arrow carries the data rows it stands
//! for (`data-rows`) and a tooltip listing its transfers.
//!
//! So that a drawing reads at a glance: wide fans are folded (
//! the heaviest six payers or payees kept, the rest one "N other
//! accounts" box); more than [`MAX_COLUMNS`] columns wrap into bands
//! below one another (a long chain reads like lines of text, and no
//! drawing runs off the page); keys show in full, on two lines when long;
//! labels move along their arrow, then down, until they overlap no other
//! label; in a trace, arrow width is proportional to the value carried.

use super::fold::fold;
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
const BOX_H: f64 = 54.0;
const COL_GAP: f64 = 190.0;
const ROW_GAP: f64 = 30.0;
const MARGIN: f64 = 24.0;
/// Columns side by side before the drawing wraps into another band.
pub const MAX_COLUMNS: usize = 3;
/// Space between bands, for the arrows that loop below a band's boxes.
const BAND_GAP: f64 = 110.0;
/// Characters of a key per line in a box.
const KEY_LINE: usize = 28;
/// Width of a label character, estimated (11 px sans-serif).
const CHAR_W: f64 = 6.2;
/// Height of a two-line label.
const LABEL_H: f64 = 26.0;

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
    column_size: Vec<usize>,
}

impl Geometry {
    fn new(layout: Layout) -> Geometry {
        let mut column_size = vec![0usize; layout.columns];
        for &c in &layout.column {
            column_size[c] += 1;
        }
        let height_boxes = layout.rows as f64 * (BOX_H + ROW_GAP) - ROW_GAP;
        Geometry {
            layout,
            height_boxes,
            column_size,
        }
    }

    /// Columns drawn side by side.
    fn columns_across(&self) -> usize {
        self.layout.columns.clamp(1, MAX_COLUMNS)
    }

    fn bands(&self) -> usize {
        self.layout.columns.div_ceil(MAX_COLUMNS).max(1)
    }

    fn band_height(&self) -> f64 {
        self.height_boxes.max(BOX_H) + BAND_GAP
    }

    fn x(&self, node: usize) -> f64 {
        MARGIN + (self.layout.column[node] % MAX_COLUMNS) as f64 * (BOX_W + COL_GAP)
    }

    fn y(&self, node: usize) -> f64 {
        let c = self.layout.column[node];
        let offset = (self.layout.rows - self.column_size[c]) as f64 * (BOX_H + ROW_GAP) / 2.0;
        let band = (c / MAX_COLUMNS) as f64 * self.band_height();
        MARGIN + band + offset + self.layout.row[node] as f64 * (BOX_H + ROW_GAP)
    }

    /// How an arrow between two boxes runs.
    fn run(&self, from: usize, to: usize) -> Run {
        let (cf, ct) = (self.layout.column[from], self.layout.column[to]);
        if from == to {
            Run::Loop
        } else if ct > cf && ct / MAX_COLUMNS == cf / MAX_COLUMNS {
            Run::Forward
        } else if ct > cf {
            Run::Wrap
        } else {
            Run::Back
        }
    }
}

/// How an arrow runs between its boxes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Run {
    /// Left to right within a band.
    Forward,
    /// Forward in time into a later band: down from the payer's box.
    Wrap,
    /// Back (or within a column): looping below the boxes.
    Back,
    /// From a box to itself.
    Loop,
}

/// Labels placed so far, as rectangles (left, top, right, bottom).
#[derive(Default)]
struct Placed(Vec<(f64, f64, f64, f64)>);

impl Placed {
    /// The rectangle of a label of `chars` characters centred at `x`
    /// with its first baseline at `y`.
    fn rect(x: f64, y: f64, chars: usize) -> (f64, f64, f64, f64) {
        let half = chars as f64 * CHAR_W / 2.0;
        (x - half, y - 11.0, x + half, y - 11.0 + LABEL_H)
    }

    fn overlap(&self, r: (f64, f64, f64, f64)) -> f64 {
        self.0
            .iter()
            .map(|p| {
                let w = (r.2.min(p.2) - r.0.max(p.0)).max(0.0);
                let h = (r.3.min(p.3) - r.1.max(p.1)).max(0.0);
                w * h
            })
            .sum()
    }

    /// The first of the candidate positions whose label overlaps no other
    /// (else the one that overlaps least), and take it.
    fn take(&mut self, candidates: &[(f64, f64)], chars: usize) -> (f64, f64) {
        let mut best = (f64::INFINITY, candidates[0]);
        for &(x, y) in candidates {
            let o = self.overlap(Placed::rect(x, y, chars));
            if o < best.0 {
                best = (o, (x, y));
            }
            if o == 0.0 {
                break;
            }
        }
        let (x, y) = best.1;
        self.0.push(Placed::rect(x, y, chars));
        (x, y)
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
    let folded = fold(picture);
    let picture = &folded.picture;
    let g = Geometry::new(layout(picture));
    let width = 2.0 * MARGIN + g.columns_across() as f64 * (BOX_W + COL_GAP) - COL_GAP;
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
    // labels keep off the boxes, then off one another
    let mut placed = Placed::default();
    for i in 0..picture.nodes.len() {
        let (x, y) = (g.x(i), g.y(i));
        placed.0.push((x, y, x + BOX_W, y + BOX_H));
    }
    let mut seen_pairs: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    for group in groups.values() {
        let nth = seen_pairs.entry((group.from, group.to)).or_insert(0);
        let bend = *nth as f64 * 14.0;
        *nth += 1;
        let run = g.run(group.from, group.to);
        let from = (g.x(group.from), g.y(group.from));
        let to = (g.x(group.to), g.y(group.to));
        let [start, c1, c2, end] = curve(from, to, run, bend);
        let path = format!(
            "M{:.1},{:.1} C{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}",
            start.0, start.1, c1.0, c1.1, c2.0, c2.1, end.0, end.1
        );
        let (what, when) = group.label();
        // where along the curve the label sits: first near the end where
        // the arrows fan out, so that the labels of a fan do not pile up
        let first = if out_arrows[group.from] >= in_arrows[group.to] {
            0.62
        } else {
            0.38
        };
        let above = if run == Run::Forward { -14.0 } else { 12.0 };
        let mut candidates = Vec::new();
        for drop in [0.0, LABEL_H, 2.0 * LABEL_H, -LABEL_H] {
            for t in [first, 0.5, 0.75, 0.25, 0.88, 0.12] {
                let p = bezier(start, c1, c2, end, t);
                candidates.push((p.0, p.1 + above + drop));
            }
        }
        let chars = what.chars().count().max(when.chars().count());
        let (lx, ly) = placed.take(&candidates, chars);
        lowest = lowest.max(c1.1.max(c2.1)).max(ly + LABEL_H);
        // proportional to the value carried, from a hairline to 14 px
        let width = if picture.scaled {
            let share = group.weight().to_f64().unwrap_or(0.0) / heaviest;
            1.0 + 13.0 * share.clamp(0.0, 1.0)
        } else {
            1.6
        };
        let rows: Vec<String> = group.arrows.iter().map(|a| a.row.to_string()).collect();
        let _ = write!(
            out,
            "<g class=\"arrow {}\" data-rows=\"{}\" data-weight=\"{}\"><title>{}</title>\
             <path d=\"{path}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{width:.1}\"{} \
             marker-end=\"url(#{pid}-{})\"/></g>",
            group.kind.name(),
            rows.join(" "),
            group.weight().normalize(),
            escape(&group.tooltip()),
            colour(group.kind),
            dash(group.kind),
            group.kind.name()
        );
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
        account_box(&mut out, (g.x(i), g.y(i)), node, &folded.members[i]);
    }
    // labels last, so that no box hides them
    out.push_str(&labels);
    out.push_str("</svg>");
    // the height is known once the arrows that loop below are drawn
    let boxes = MARGIN + (g.bands() - 1) as f64 * g.band_height() + g.height_boxes.max(BOX_H);
    let height = boxes.max(lowest) + MARGIN;
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
/// `to`, as it runs ([`Run`]); `bend` parts arrows between the same two
/// boxes.
fn curve((x1, y1): (f64, f64), (x2, y2): (f64, f64), run: Run, bend: f64) -> [Point; 4] {
    match run {
        Run::Forward => {
            let s = (x1 + BOX_W, y1 + BOX_H / 2.0 + bend / 2.0);
            let e = (x2, y2 + BOX_H / 2.0 + bend / 2.0);
            let dx = (e.0 - s.0) / 2.0;
            [s, (s.0 + dx, s.1), (e.0 - dx, e.1), e]
        }
        Run::Wrap => {
            // down from under the payer to the top of the payee's box
            let s = (x1 + BOX_W / 2.0 + bend, y1 + BOX_H);
            let e = (x2 + BOX_W / 2.0 + bend, y2);
            let dy = ((e.1 - s.1) / 2.0).max(30.0);
            [s, (s.0, s.1 + dy), (e.0, e.1 - dy), e]
        }
        Run::Loop => {
            let s = (x1 + BOX_W * 0.7, y1 + BOX_H);
            let e = (x1 + BOX_W * 0.3, s.1);
            let low = s.1 + 34.0 + bend;
            [s, (s.0, low), (e.0, low), e]
        }
        Run::Back => {
            // back (or within a column): loop below the boxes
            let s = (x1 + BOX_W / 2.0, y1 + BOX_H);
            let e = (x2 + BOX_W / 2.0 + 12.0, y2 + BOX_H);
            let low = s.1.max(e.1) + 40.0 + bend;
            [s, (s.0, low), (e.0, low), e]
        }
    }
}

/// An account's box: its key in bold (in full, on two lines when long),
/// its institution and jurisdiction (or kind) below; a box of folded
/// accounts lists them in its tooltip.
fn account_box(out: &mut String, (x, y): (f64, f64), node: &Node, members: &[String]) {
    let detail: Vec<&str> = [node.institution.as_deref(), node.jurisdiction.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    let detail = if !members.is_empty() {
        "folded: the tooltip lists them".to_string()
    } else if detail.is_empty() {
        node.kind.name().replace('_', " ")
    } else {
        detail.join(" · ")
    };
    let title = if members.is_empty() {
        format!("{} ({})", node.key, node.kind.name())
    } else {
        format!("{}:\n{}", node.key, members.join("\n"))
    };
    let chars: Vec<char> = node.key.chars().collect();
    let (first, rest): (String, String) = if chars.len() <= KEY_LINE {
        (node.key.clone(), String::new())
    } else {
        let rest: String = chars[KEY_LINE..].iter().collect();
        (
            chars[..KEY_LINE].iter().collect(),
            shorten(&rest, KEY_LINE).into_owned(),
        )
    };
    let _ = write!(
        out,
        "<g class=\"account\" data-key=\"{}\"><title>{}</title>\
         <rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{BOX_W}\" height=\"{BOX_H}\" rx=\"6\" \
         fill=\"{}\" stroke=\"#374151\"/>\
         <text x=\"{:.1}\" y=\"{:.1}\" font-weight=\"bold\">{}</text>",
        escape(&node.key),
        escape(&title),
        fill(node.kind),
        x + 8.0,
        y + 17.0,
        escape(&first),
    );
    if !rest.is_empty() {
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-weight=\"bold\">{}</text>",
            x + 8.0,
            y + 30.0,
            escape(&rest)
        );
    }
    let _ = write!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#4b5563\">{}</text></g>",
        x + 8.0,
        y + 46.0,
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

    fn picture_of(edges: &[(&str, &str, i64)], scaled: bool) -> Picture {
        let mut b = LedgerBuilder::new();
        let usd = b.asset("USD").unwrap();
        for (i, &(f, t, amount)) in edges.iter().enumerate() {
            let (f, t) = (b.account(f), b.account(t));
            let tr = NewTransfer::simple(
                i as i64 * 60_000_000,
                f,
                t,
                Decimal::from(amount),
                usd,
                i as u32,
            );
            b.push(tr);
        }
        let ledger = b.finish().unwrap();
        let items: Vec<Item> = (0..edges.len())
            .map(|i| Item {
                transfer: TransferId(i as u32),
                weight: Decimal::from(edges[i].2),
                traced: None,
            })
            .collect();
        let mut p = Picture::new(&ledger, "P", "p", &items, 1000);
        p.scaled = scaled;
        p
    }

    fn size(svg: &str) -> (f64, f64) {
        let doc = roxmltree::Document::parse(svg).unwrap();
        let root = doc.root_element();
        let get = |a: &str| root.attribute(a).unwrap().parse::<f64>().unwrap();
        (get("width"), get("height"))
    }

    #[test]
    fn a_wide_fan_in_is_drawn_as_its_heaviest_payers_and_one_box_for_the_rest() {
        let payers: Vec<String> = (0..76).map(|i| format!("payer{i:02}")).collect();
        let mut edges: Vec<(&str, &str, i64)> = payers
            .iter()
            .enumerate()
            .map(|(i, p)| (p.as_str(), "hub", 100 + i as i64))
            .collect();
        edges.push(("hub", "out", 9000));
        let svg = picture_svg(&picture_of(&edges, false));
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let boxes = doc
            .descendants()
            .filter(|n| n.attribute("data-key").is_some())
            .count();
        assert_eq!(
            boxes,
            super::super::fold::KEEP + 3,
            "6 payers, the rest, the hub, its payee"
        );
        assert!(svg.contains("data-key=\"70 other accounts\""), "{svg}");
        // every transfer is still on an arrow
        let rows: usize = doc
            .descendants()
            .filter_map(|n| n.attribute("data-rows"))
            .map(|r| r.split(' ').count())
            .sum();
        assert_eq!(rows, 77);
        assert!(
            size(&svg).1 < 800.0,
            "no tall column of boxes: {:?}",
            size(&svg)
        );
    }

    #[test]
    fn a_long_chain_wraps_and_long_keys_show_in_full() {
        let key = "bc1qmixer0000000000000000000000";
        let chain = ["a", "b", "c", "d", key, "f", "g"];
        let edges: Vec<(&str, &str, i64)> = chain.windows(2).map(|w| (w[0], w[1], 1000)).collect();
        let svg = picture_svg(&picture_of(&edges, false));
        let three = 2.0 * MARGIN + 3.0 * (BOX_W + COL_GAP) - COL_GAP;
        assert!(
            size(&svg).0 <= three,
            "wraps at {MAX_COLUMNS} columns: {:?}",
            size(&svg)
        );
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let shown: String = doc
            .descendants()
            .filter(|n| n.attribute("data-key") == Some(key))
            .flat_map(|n| n.descendants())
            .filter(|n| n.tag_name().name() == "text" && n.attribute("font-weight") == Some("bold"))
            .filter_map(|n| n.text())
            .collect();
        assert_eq!(shown, key);
        assert_eq!(
            doc.descendants()
                .filter(|n| n.attribute("class") == Some("arrow fiat"))
                .count(),
            6
        );
    }

    /// Every label's estimated rectangle is clear of every other's.
    fn assert_labels_apart(doc: &roxmltree::Document<'_>, expected: usize) {
        let labels: Vec<(f64, f64, usize)> = doc
            .descendants()
            .filter(|n| n.attribute("class") == Some("label"))
            .map(|n| {
                let num = |a: &str| n.attribute(a).unwrap().parse::<f64>().unwrap();
                let chars = n
                    .children()
                    .filter_map(|c| c.text())
                    .map(|t| t.chars().count())
                    .max()
                    .unwrap();
                (num("x"), num("y"), chars)
            })
            .collect();
        assert_eq!(labels.len(), expected);
        for (i, a) in labels.iter().enumerate() {
            for b in &labels[i + 1..] {
                let (ra, rb) = (Placed::rect(a.0, a.1, a.2), Placed::rect(b.0, b.1, b.2));
                let apart = ra.2 <= rb.0 || rb.2 <= ra.0 || ra.3 <= rb.1 || rb.3 <= ra.1;
                assert!(apart, "labels at {a:?} and {b:?} overlap");
            }
        }
    }

    #[test]
    fn labels_do_not_overlap_and_trace_widths_follow_the_value() {
        // a scatter-gather whose labels would meet between the columns
        let edges = [
            ("s", "m1", 4000),
            ("s", "m2", 2000),
            ("s", "m3", 1000),
            ("s", "m4", 500),
            ("m1", "t", 4000),
            ("m2", "t", 2000),
            ("m3", "t", 1000),
            ("m4", "t", 500),
        ];
        let svg = picture_svg(&picture_of(&edges, true));
        let doc = roxmltree::Document::parse(&svg).unwrap();
        assert_labels_apart(&doc, 8);
        // three arrows between the same two boxes (fiat, virtual, a
        // conversion) lie 7 px apart: their labels must move
        let mut k = LedgerBuilder::new();
        let (usd, btc) = (k.asset("USD").unwrap(), k.asset("BTC").unwrap());
        let (a, b) = (k.account("a"), k.account("b"));
        k.push(NewTransfer::simple(0, a, b, Decimal::from(9000), usd, 0));
        k.push(NewTransfer::simple(60, a, b, Decimal::new(15, 2), btc, 1));
        let mut conv = NewTransfer::simple(120, a, b, Decimal::from(5000), usd, 2);
        conv.asset_received = btc;
        conv.amount_received = Decimal::new(8, 2);
        k.push(conv);
        let ledger = k.finish().unwrap();
        let items: Vec<Item> = (0..3)
            .map(|i| Item {
                transfer: TransferId(i),
                weight: Decimal::ONE,
                traced: None,
            })
            .collect();
        let svg = picture_svg(&Picture::new(&ledger, "Q", "q", &items, 10));
        assert_labels_apart(&roxmltree::Document::parse(&svg).unwrap(), 3);
        let widths: Vec<(f64, f64)> = doc
            .descendants()
            .filter(|n| n.attribute("data-weight").is_some())
            .map(|n| {
                let w = n.attribute("data-weight").unwrap().parse::<f64>().unwrap();
                let path = n
                    .children()
                    .find(|c| c.tag_name().name() == "path")
                    .unwrap();
                (
                    w,
                    path.attribute("stroke-width")
                        .unwrap()
                        .parse::<f64>()
                        .unwrap(),
                )
            })
            .collect();
        let (heavy, light) = (
            widths.iter().find(|w| w.0 == 4000.0).unwrap(),
            widths.iter().find(|w| w.0 == 500.0).unwrap(),
        );
        // linear in the value: 8 times the value, (14 − 1) / (1 + 13/8) ≈ 5.3 times the width
        assert!(heavy.1 / light.1 > 5.0, "{widths:?}");
    }
}
