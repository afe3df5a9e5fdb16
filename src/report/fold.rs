//! Folding a picture for drawing: when many accounts each deal only with
//! one hub (the 76 payers of a fan-in, a subject's hundred customers), the
//! drawing keeps the heaviest few and folds the rest into one box, "70
//! other accounts", whose arrow stands for all their transfers (its label
//! sums them, its tooltip and `data-rows` list them). The picture itself
//! (and every export made from it) keeps one arrow per transfer.

use super::picture::{Node, Picture};
use crate::model::AccountKind;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

/// Leaves of one hub, on one side, beyond which the lightest are folded.
pub(crate) const MAX_FAN: usize = 8;
/// Leaves kept (the heaviest) when a fan is folded.
pub(crate) const KEEP: usize = 6;

/// A picture ready to draw, and for each of its nodes the keys of the
/// accounts folded into it (empty for an account drawn as itself).
pub(crate) struct Folded {
    pub(crate) picture: Picture,
    pub(crate) members: Vec<Vec<String>>,
}

/// Fold the fans of `picture` (see the module documentation).
pub(crate) fn fold(picture: &Picture) -> Folded {
    let n = picture.nodes.len();
    // each node's peers, and whether it pays (true) or is paid by them
    let mut peers: Vec<BTreeSet<(usize, bool)>> = vec![BTreeSet::new(); n];
    let mut weight = vec![Decimal::ZERO; n];
    for a in &picture.arrows {
        if a.from != a.to {
            peers[a.from].insert((a.to, true));
            peers[a.to].insert((a.from, false));
        }
        weight[a.from] += a.weight;
        weight[a.to] += a.weight;
    }
    // a leaf deals with one hub only, in one direction
    let mut fans: BTreeMap<(usize, bool), Vec<usize>> = BTreeMap::new();
    for (leaf, p) in peers.iter().enumerate() {
        if let [(hub, pays)] = p.iter().copied().collect::<Vec<_>>()[..] {
            // a pair of leaves of each other stays as it is
            if peers[hub].len() > 1 {
                fans.entry((hub, pays)).or_default().push(leaf);
            }
        }
    }
    let mut into: Vec<Option<usize>> = vec![None; n];
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for mut leaves in fans.into_values() {
        if leaves.len() <= MAX_FAN {
            continue;
        }
        leaves.sort_by(|&x, &y| weight[y].cmp(&weight[x]).then(x.cmp(&y)));
        let folded: Vec<usize> = leaves.split_off(KEEP);
        for &leaf in &folded {
            into[leaf] = Some(groups.len());
        }
        groups.push(folded);
    }
    if groups.is_empty() {
        return Folded {
            picture: picture.clone(),
            members: vec![Vec::new(); n],
        };
    }
    // nodes in order of first appearance; a group where its first member was
    let mut index: Vec<usize> = vec![0; n];
    let mut group_index: Vec<Option<usize>> = vec![None; groups.len()];
    let mut nodes: Vec<Node> = Vec::new();
    let mut members: Vec<Vec<String>> = Vec::new();
    for (i, node) in picture.nodes.iter().enumerate() {
        match into[i] {
            None => {
                index[i] = nodes.len();
                nodes.push(node.clone());
                members.push(Vec::new());
            }
            Some(g) => {
                let at = *group_index[g].get_or_insert_with(|| {
                    let group = &groups[g];
                    let kinds: BTreeSet<AccountKind> =
                        group.iter().map(|&m| picture.nodes[m].kind).collect();
                    nodes.push(Node {
                        account: node.account,
                        key: format!("{} other accounts", group.len()),
                        institution: None,
                        jurisdiction: None,
                        kind: match kinds.len() {
                            1 => node.kind,
                            _ => AccountKind::CashOrUnknown,
                        },
                    });
                    let mut keys: Vec<String> = group
                        .iter()
                        .map(|&m| picture.nodes[m].key.clone())
                        .collect();
                    keys.sort();
                    members.push(keys);
                    nodes.len() - 1
                });
                index[i] = at;
            }
        }
    }
    let mut folded = picture.clone();
    folded.nodes = nodes;
    for a in &mut folded.arrows {
        a.from = index[a.from];
        a.to = index[a.to];
    }
    Folded {
        picture: folded,
        members,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::picture::Item;
    use crate::{LedgerBuilder, NewTransfer, TransferId};

    #[test]
    fn a_wide_fan_in_keeps_its_heaviest_payers_and_folds_the_rest() {
        let mut b = LedgerBuilder::new();
        let usd = b.asset("USD").unwrap();
        let hub = b.account("hub");
        let out = b.account("out");
        for i in 0..20u32 {
            let payer = b.account(&format!("p{i:02}"));
            b.push(NewTransfer::simple(
                i64::from(i),
                payer,
                hub,
                Decimal::from(100 + i),
                usd,
                i,
            ));
        }
        b.push(NewTransfer::simple(
            100,
            hub,
            out,
            Decimal::from(2000),
            usd,
            20,
        ));
        let ledger = b.finish().unwrap();
        let items: Vec<Item> = (0..21)
            .map(|i| Item {
                transfer: TransferId(i),
                weight: ledger.amounts_paid()[i as usize],
                traced: None,
            })
            .collect();
        let picture = Picture::new(&ledger, "F1", "fan", &items, 100);
        let f = fold(&picture);
        // 6 kept payers, one folded box, the hub and its payee
        assert_eq!(f.picture.nodes.len(), KEEP + 3);
        let other = f
            .picture
            .nodes
            .iter()
            .position(|n| n.key == "14 other accounts")
            .expect("one box for the rest");
        assert_eq!(f.members[other].len(), 14);
        assert_eq!(f.members[other][0], "p00", "the lightest are folded");
        // every transfer is still drawn, 14 of them from the folded box
        assert_eq!(f.picture.arrows.len(), 21);
        assert_eq!(
            f.picture.arrows.iter().filter(|a| a.from == other).count(),
            14
        );
        // nothing to fold: the picture is drawn as it is
        let small = Picture::new(&ledger, "F2", "fan", &items[12..], 100);
        assert_eq!(fold(&small).picture, small);
    }
}
