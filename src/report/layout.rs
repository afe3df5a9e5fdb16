//! A layered, time-ordered layout of a [`Picture`]: money flows left to
//! right. An account's column is fixed when it first appears: a payer
//! seen for the first time starts in column 0, a payee seen for the first
//! time goes one column right of its payer. Later transfers never move an
//! account, so a cycle's return hop points back to the left, which is how
//! round-tripping should look. Within a column, accounts start in order of
//! appearance and are then sorted by the mean row of their neighbours in
//! the columns either side (two barycentre sweeps), which removes most
//! crossings of fans, gathers and chains.
//!
//! Hand-written rather than a general graph-layout crate: ranks here come
//! from time, not from the graph's topology, and cycles must not be
//! broken up.

use super::picture::Picture;

/// Column and row of each node of a picture (indices as in
/// [`Picture::nodes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Column of each node (0 = leftmost).
    pub column: Vec<usize>,
    /// Row of each node within its column (0 = top).
    pub row: Vec<usize>,
    /// Number of columns.
    pub columns: usize,
    /// Nodes in the fullest column.
    pub rows: usize,
}

/// Lay out a picture (deterministic: the same picture, the same layout).
pub fn layout(picture: &Picture) -> Layout {
    let n = picture.nodes.len();
    let mut column: Vec<Option<usize>> = vec![None; n];
    for a in &picture.arrows {
        let from = *column[a.from].get_or_insert(0);
        if column[a.to].is_none() {
            column[a.to] = Some(if a.to == a.from { from } else { from + 1 });
        }
    }
    let column: Vec<usize> = column.into_iter().map(|c| c.unwrap_or(0)).collect();
    let columns = column.iter().max().map_or(0, |&c| c + 1);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); columns];
    for (node, &c) in column.iter().enumerate() {
        members[c].push(node);
    }
    let mut row = vec![0usize; n];
    let place = |members: &[Vec<usize>], row: &mut [usize]| {
        for m in members {
            for (r, &node) in m.iter().enumerate() {
                row[node] = r;
            }
        }
    };
    place(&members, &mut row);
    // neighbours one column to the left and to the right
    let mut left: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut right: Vec<Vec<usize>> = vec![Vec::new(); n];
    for a in &picture.arrows {
        let (f, t) = (a.from, a.to);
        if column[f] + 1 == column[t] {
            right[f].push(t);
            left[t].push(f);
        } else if column[t] + 1 == column[f] {
            right[t].push(f);
            left[f].push(t);
        }
    }
    let barycentre = |node: usize, by: &[Vec<usize>], row: &[usize]| -> f64 {
        let ns = &by[node];
        if ns.is_empty() {
            row[node] as f64
        } else {
            ns.iter().map(|&m| row[m] as f64).sum::<f64>() / ns.len() as f64
        }
    };
    for _ in 0..2 {
        for c in 1..columns {
            let mut keyed: Vec<(f64, usize)> = members[c]
                .iter()
                .map(|&node| (barycentre(node, &left, &row), node))
                .collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            members[c] = keyed.into_iter().map(|(_, node)| node).collect();
            place(&members, &mut row);
        }
        for c in (0..columns.saturating_sub(1)).rev() {
            let mut keyed: Vec<(f64, usize)> = members[c]
                .iter()
                .map(|&node| (barycentre(node, &right, &row), node))
                .collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            members[c] = keyed.into_iter().map(|(_, node)| node).collect();
            place(&members, &mut row);
        }
    }
    let rows = members.iter().map(Vec::len).max().unwrap_or(0);
    Layout {
        column,
        row,
        columns,
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::picture::Item;
    use crate::{LedgerBuilder, NewTransfer, TransferId};
    use rust_decimal::Decimal;

    fn picture(edges: &[(&str, &str)]) -> Picture {
        let mut b = LedgerBuilder::new();
        let usd = b.asset("USD").unwrap();
        for (i, (f, t)) in edges.iter().enumerate() {
            let (f, t) = (b.account(f), b.account(t));
            b.push(NewTransfer::simple(
                i as i64 * 1_000_000,
                f,
                t,
                Decimal::from(100),
                usd,
                i as u32,
            ));
        }
        let ledger = b.finish().unwrap();
        let items: Vec<Item> = (0..edges.len())
            .map(|i| Item {
                transfer: TransferId(i as u32),
                weight: Decimal::ONE,
                traced: None,
            })
            .collect();
        Picture::new(&ledger, "p", "p", &items, 100)
    }

    fn column_of(p: &Picture, l: &Layout, key: &str) -> usize {
        l.column[p.nodes.iter().position(|n| n.key == key).unwrap()]
    }

    #[test]
    fn a_chain_runs_left_to_right_and_a_cycle_returns_left() {
        let p = picture(&[("a", "b"), ("b", "c"), ("c", "a")]);
        let l = layout(&p);
        assert_eq!(
            ["a", "b", "c"].map(|k| column_of(&p, &l, k)),
            [0, 1, 2],
            "the return hop c → a keeps a in column 0"
        );
        assert_eq!((l.columns, l.rows), (3, 1));
    }

    #[test]
    fn scatter_gather_puts_the_sink_after_the_intermediaries() {
        let p = picture(&[
            ("s", "m1"),
            ("s", "m2"),
            ("s", "m3"),
            ("m1", "t"),
            ("m2", "t"),
            ("m3", "t"),
        ]);
        let l = layout(&p);
        assert_eq!(column_of(&p, &l, "t"), 2);
        assert_eq!(l.rows, 3);
        let mut rows: Vec<usize> = ["m1", "m2", "m3"]
            .iter()
            .map(|k| l.row[p.nodes.iter().position(|n| n.key == *k).unwrap()])
            .collect();
        rows.sort_unstable();
        assert_eq!(rows, [0, 1, 2], "each intermediary has its own row");
    }

    #[test]
    fn barycentres_uncross_a_payer_that_joins_late() {
        // c appears after b but pays the same account as a: c moves up
        // next to a, so that c → x no longer crosses b → y
        let p = picture(&[("a", "x"), ("b", "y"), ("c", "x")]);
        let l = layout(&p);
        let row = |k: &str| l.row[p.nodes.iter().position(|n| n.key == k).unwrap()];
        assert!(row("c") < row("b"), "c above b");
        assert!(row("x") < row("y"), "x above y");
    }
}
