//! The temporal flow graph every algorithm reads.
//!
//! [`FlowGraph`] owns a [`Ledger`] and adds two views of it:
//!
//! * a petgraph [`DiGraph`] with one node per account (node index = account
//!   id) and one edge per transfer (edge index = transfer id), for the
//!   classic graph algorithms (strongly connected components, BFS…);
//! * a temporal index: for each account its outgoing and incoming transfers
//!   in time order (compressed sparse rows with the time, transfer and
//!   counterparty side by side), so "transfers out of account `a` between
//!   `t1` and `t2`" is two binary searches and a slice.
//!
//! The graph is immutable once built and `Sync`: any number of rayon tasks
//! read it at once.
//!
//! # Memory
//!
//! Per transfer: the ledger's columns take 55 bytes (time 8, accounts 8,
//! two amounts 32, two assets 4, channel 1, row 4, label 1) plus any
//! transaction id or hash text; the petgraph edge 20 bytes; the temporal
//! index 32 bytes (16 each way). About 107 bytes per transfer in all, plus
//! per account its key (twice: in the account list and its hash index),
//! a 12-byte petgraph node and 8 bytes of index offsets.
//! [`FlowGraph::heap_bytes`] counts it for a given graph.

use crate::ledger::Ledger;
use crate::model::{AccountId, TransferId};
use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use std::ops::{Bound, RangeBounds};

/// Per-account, time-sorted adjacency in compressed sparse rows.
#[derive(Debug, Clone, Default)]
struct TemporalIndex {
    /// `offsets[a]..offsets[a + 1]` is account `a`'s slice.
    offsets: Vec<u32>,
    time_us: Vec<i64>,
    transfer: Vec<TransferId>,
    peer: Vec<AccountId>,
}

impl TemporalIndex {
    /// Build from the ledger's `owner` column (payer for the out-index,
    /// payee for the in-index). Transfers are in time order already, so a
    /// counting sort by owner keeps each account's list in time order.
    fn build(owner: &[AccountId], peer: &[AccountId], times: &[i64], accounts: usize) -> Self {
        let mut offsets = vec![0u32; accounts + 1];
        for a in owner {
            offsets[a.index() + 1] += 1;
        }
        for i in 0..accounts {
            offsets[i + 1] += offsets[i];
        }
        let n = owner.len();
        let mut next: Vec<u32> = offsets[..accounts].to_vec();
        let mut time_us = vec![0i64; n];
        let mut transfer = vec![TransferId(0); n];
        let mut peers = vec![AccountId(0); n];
        for (i, a) in owner.iter().enumerate() {
            let slot = &mut next[a.index()];
            let at = *slot as usize;
            *slot += 1;
            time_us[at] = times[i];
            transfer[at] = TransferId(i as u32);
            peers[at] = peer[i];
        }
        TemporalIndex {
            offsets,
            time_us,
            transfer,
            peer: peers,
        }
    }

    fn slice(&self, account: AccountId, range: impl RangeBounds<i64>) -> Adjacent<'_> {
        let a = account.index();
        if a + 1 >= self.offsets.len() {
            return Adjacent::default();
        }
        let (lo, hi) = (self.offsets[a] as usize, self.offsets[a + 1] as usize);
        let times = &self.time_us[lo..hi];
        let start = match range.start_bound() {
            Bound::Unbounded => 0,
            Bound::Included(&t) => times.partition_point(|&x| x < t),
            Bound::Excluded(&t) => times.partition_point(|&x| x <= t),
        };
        let end = match range.end_bound() {
            Bound::Unbounded => times.len(),
            Bound::Included(&t) => times.partition_point(|&x| x <= t),
            Bound::Excluded(&t) => times.partition_point(|&x| x < t),
        };
        let end = end.max(start);
        Adjacent {
            time_us: &times[start..end],
            transfer: &self.transfer[lo + start..lo + end],
            peer: &self.peer[lo + start..lo + end],
        }
    }

    fn heap_bytes(&self) -> usize {
        self.offsets.capacity() * 4
            + self.time_us.capacity() * 8
            + self.transfer.capacity() * 4
            + self.peer.capacity() * 4
    }
}

/// A time-ordered run of one account's transfers in one direction: parallel
/// slices of time, transfer id and counterparty.
#[derive(Debug, Clone, Copy, Default)]
pub struct Adjacent<'g> {
    /// Transfer times (microseconds), ascending.
    pub time_us: &'g [i64],
    /// The transfers.
    pub transfer: &'g [TransferId],
    /// The counterparty of each transfer (payee for outgoing, payer for
    /// incoming).
    pub peer: &'g [AccountId],
}

impl<'g> Adjacent<'g> {
    /// Number of transfers.
    pub fn len(&self) -> usize {
        self.transfer.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.transfer.is_empty()
    }

    /// `(time, transfer, counterparty)` triples in time order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (i64, TransferId, AccountId)> + 'g {
        let (t, x, p) = (self.time_us, self.transfer, self.peer);
        (0..t.len()).map(move |i| (t[i], x[i], p[i]))
    }
}

/// A ledger as a time-stamped directed multigraph with a temporal index.
///
/// # Example
///
/// ```
/// use moneytrail::{FlowGraph, LedgerBuilder, NewTransfer, AccountId};
/// use rust_decimal::Decimal;
///
/// let mut b = LedgerBuilder::new();
/// let (a, c) = (b.account("a"), b.account("c"));
/// let eur = b.asset("EUR").unwrap();
/// for (row, t) in [5, 1, 9, 3].into_iter().enumerate() {
///     b.push(NewTransfer::simple(t, a, c, Decimal::ONE, eur, row as u32));
/// }
/// let g = FlowGraph::new(b.finish().unwrap());
/// // transfers out of `a` with 2 <= time < 9
/// let out = g.outgoing(a, 2..9);
/// assert_eq!(out.time_us, &[3, 5]);
/// assert_eq!(g.incoming(c, ..).len(), 4);
/// assert_eq!(g.graph().edge_count(), 4);
/// ```
#[derive(Debug, Clone)]
pub struct FlowGraph {
    ledger: Ledger,
    graph: DiGraph<AccountId, TransferId, u32>,
    out: TemporalIndex,
    inc: TemporalIndex,
}

impl FlowGraph {
    /// Build the graph and its temporal index over a ledger.
    ///
    /// # Complexity
    ///
    /// O(V + E) time and memory: two counting sorts and one pass adding
    /// edges.
    pub fn new(ledger: Ledger) -> FlowGraph {
        let accounts = ledger.accounts().len();
        let (times, froms, tos) = (ledger.times_us(), ledger.froms(), ledger.tos());
        let ((out, inc), graph) = rayon::join(
            || {
                rayon::join(
                    || TemporalIndex::build(froms, tos, times, accounts),
                    || TemporalIndex::build(tos, froms, times, accounts),
                )
            },
            || {
                let mut graph = DiGraph::with_capacity(accounts, froms.len());
                for a in 0..accounts {
                    graph.add_node(AccountId(a as u32));
                }
                for (i, (f, t)) in froms.iter().zip(tos).enumerate() {
                    graph.add_edge(
                        NodeIndex::new(f.index()),
                        NodeIndex::new(t.index()),
                        TransferId(i as u32),
                    );
                }
                graph
            },
        );
        FlowGraph {
            ledger,
            graph,
            out,
            inc,
        }
    }

    /// The ledger the graph was built from.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Give the ledger back.
    pub fn into_ledger(self) -> Ledger {
        self.ledger
    }

    /// The petgraph view: node `i` is account `i`, edge `j` is transfer `j`.
    pub fn graph(&self) -> &DiGraph<AccountId, TransferId, u32> {
        &self.graph
    }

    /// Number of accounts (nodes).
    pub fn account_count(&self) -> usize {
        self.ledger.accounts().len()
    }

    /// Number of transfers (edges).
    pub fn transfer_count(&self) -> usize {
        self.ledger.len()
    }

    /// The node of an account.
    pub fn node(account: AccountId) -> NodeIndex<u32> {
        NodeIndex::new(account.index())
    }

    /// The edge of a transfer.
    pub fn edge(transfer: TransferId) -> EdgeIndex<u32> {
        EdgeIndex::new(transfer.index())
    }

    /// Transfers out of `account` whose time (microseconds) lies in `range`,
    /// in time order. An unknown account has none.
    ///
    /// # Complexity
    ///
    /// O(log d) for an account with d outgoing transfers.
    pub fn outgoing(&self, account: AccountId, range: impl RangeBounds<i64>) -> Adjacent<'_> {
        self.out.slice(account, range)
    }

    /// Transfers into `account` whose time lies in `range`, in time order.
    pub fn incoming(&self, account: AccountId, range: impl RangeBounds<i64>) -> Adjacent<'_> {
        self.inc.slice(account, range)
    }

    /// Number of outgoing transfers of an account.
    pub fn out_degree(&self, account: AccountId) -> usize {
        self.outgoing(account, ..).len()
    }

    /// Number of incoming transfers of an account.
    pub fn in_degree(&self, account: AccountId) -> usize {
        self.incoming(account, ..).len()
    }

    /// The strongly connected component of every account, as a number
    /// per account (accounts with the same number lie on common cycles of
    /// the static graph; the numbers themselves mean nothing else).
    ///
    /// Tarjan's algorithm, iterative (no recursion, whatever the path
    /// length), over the temporal index's compressed rows: on large graphs
    /// it reads memory in order where petgraph's edge lists jump about.
    /// O(accounts + transfers).
    ///
    /// ```
    /// use moneytrail::{FlowGraph, LedgerBuilder, NewTransfer};
    /// use rust_decimal::Decimal;
    ///
    /// let mut b = LedgerBuilder::new();
    /// let usd = b.asset("USD").unwrap();
    /// let (a, c, d) = (b.account("a"), b.account("c"), b.account("d"));
    /// for (row, (from, to)) in [(a, c), (c, a), (c, d)].into_iter().enumerate() {
    ///     b.push(NewTransfer::simple(row as i64, from, to, Decimal::ONE, usd, row as u32));
    /// }
    /// let g = FlowGraph::new(b.finish().unwrap());
    /// let scc = g.strongly_connected_components();
    /// assert_eq!(scc[a.index()], scc[c.index()]);
    /// assert_ne!(scc[c.index()], scc[d.index()]);
    /// ```
    pub fn strongly_connected_components(&self) -> Vec<u32> {
        const NEW: u32 = u32::MAX;
        let n = self.account_count();
        let mut order = vec![NEW; n];
        let mut low = vec![0u32; n];
        let mut component = vec![NEW; n];
        let mut stack: Vec<u32> = Vec::new();
        // the depth-first path: (account, next outgoing position to look at)
        let mut path: Vec<(u32, usize)> = Vec::new();
        let (mut next_order, mut next_component) = (0u32, 0u32);
        let offsets = &self.out.offsets;
        let peers = &self.out.peer;
        for root in 0..n as u32 {
            if order[root as usize] != NEW {
                continue;
            }
            order[root as usize] = next_order;
            low[root as usize] = next_order;
            next_order += 1;
            stack.push(root);
            path.push((root, offsets[root as usize] as usize));
            while let Some(&mut (v, ref mut at)) = path.last_mut() {
                let end = offsets[v as usize + 1] as usize;
                if *at < end {
                    let w = peers[*at].0;
                    *at += 1;
                    if order[w as usize] == NEW {
                        order[w as usize] = next_order;
                        low[w as usize] = next_order;
                        next_order += 1;
                        stack.push(w);
                        path.push((w, offsets[w as usize] as usize));
                    } else if component[w as usize] == NEW {
                        // on the stack: part of the component being built
                        low[v as usize] = low[v as usize].min(order[w as usize]);
                    }
                    continue;
                }
                path.pop();
                if let Some(&(u, _)) = path.last() {
                    low[u as usize] = low[u as usize].min(low[v as usize]);
                }
                if low[v as usize] == order[v as usize] {
                    while let Some(w) = stack.pop() {
                        component[w as usize] = next_component;
                        if w == v {
                            break;
                        }
                    }
                    next_component += 1;
                }
            }
        }
        component
    }

    /// Bytes held on the heap by the ledger, the petgraph graph and the
    /// temporal index.
    pub fn heap_bytes(&self) -> usize {
        let node = std::mem::size_of::<petgraph::graph::Node<AccountId, u32>>();
        let edge = std::mem::size_of::<petgraph::graph::Edge<TransferId, u32>>();
        self.ledger.heap_bytes()
            + self.graph.capacity().0 * node
            + self.graph.capacity().1 * edge
            + self.out.heap_bytes()
            + self.inc.heap_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{LedgerBuilder, NewTransfer};
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    fn random_graph(edges: &[(u8, u8, i64)]) -> FlowGraph {
        let mut b = LedgerBuilder::new();
        let usd = b.asset("USD").unwrap();
        for (row, &(f, t, time)) in edges.iter().enumerate() {
            let from = b.account(&format!("a{f}"));
            let to = b.account(&format!("a{t}"));
            b.push(NewTransfer::simple(
                time,
                from,
                to,
                Decimal::ONE,
                usd,
                row as u32,
            ));
        }
        FlowGraph::new(b.finish().unwrap())
    }

    proptest! {
        #[test]
        fn time_index_equals_linear_scan(
            edges in prop::collection::vec((0u8..12, 0u8..12, 0i64..50), 0..200),
            lo in 0i64..55,
            width in 0i64..30,
            account in 0u32..14,
        ) {
            let g = random_graph(&edges);
            let l = g.ledger();
            let hi = lo + width;
            let a = AccountId(account);
            let expect_out: Vec<(i64, TransferId, AccountId)> = (0..l.len())
                .filter(|&i| l.froms()[i] == a && (lo..hi).contains(&l.times_us()[i]))
                .map(|i| (l.times_us()[i], TransferId(i as u32), l.tos()[i]))
                .collect();
            let expect_in: Vec<(i64, TransferId, AccountId)> = (0..l.len())
                .filter(|&i| l.tos()[i] == a && (lo..=hi).contains(&l.times_us()[i]))
                .map(|i| (l.times_us()[i], TransferId(i as u32), l.froms()[i]))
                .collect();
            prop_assert_eq!(g.outgoing(a, lo..hi).iter().collect::<Vec<_>>(), expect_out);
            prop_assert_eq!(g.incoming(a, lo..=hi).iter().collect::<Vec<_>>(), expect_in);
            let after: Vec<_> = g.outgoing(a, (Bound::Excluded(lo), Bound::Unbounded)).iter().collect();
            prop_assert!(after.iter().all(|&(t, _, _)| t > lo));
            prop_assert_eq!(
                after.len(),
                (0..l.len()).filter(|&i| l.froms()[i] == a && l.times_us()[i] > lo).count()
            );
        }
    }

    proptest! {
        #[test]
        fn components_equal_petgraphs(edges in prop::collection::vec((0u8..16, 0u8..16, 0i64..50), 0..80)) {
            let g = random_graph(&edges);
            let ours = g.strongly_connected_components();
            let theirs = petgraph::algo::kosaraju_scc(g.graph());
            // the same partition: each of petgraph's components is one of ours
            let mut seen = std::collections::HashSet::new();
            for nodes in &theirs {
                let c = ours[nodes[0].index()];
                prop_assert!(nodes.iter().all(|n| ours[n.index()] == c));
                prop_assert!(seen.insert(c), "two components share a number");
            }
            prop_assert_eq!(seen.len(), theirs.len());
        }
    }

    #[test]
    fn components_of_a_long_path_do_not_overflow_the_stack() {
        let edges: Vec<(u32, u32)> = (0..200_000)
            .map(|i| (i, i + 1))
            .chain([(200_000, 0)])
            .collect();
        let mut b = LedgerBuilder::new();
        let usd = b.asset("USD").unwrap();
        for (row, &(f, t)) in edges.iter().enumerate() {
            let from = b.account(&format!("a{f}"));
            let to = b.account(&format!("a{t}"));
            b.push(NewTransfer::simple(
                row as i64,
                from,
                to,
                Decimal::ONE,
                usd,
                row as u32,
            ));
        }
        let g = FlowGraph::new(b.finish().unwrap());
        let scc = g.strongly_connected_components();
        assert!(
            scc.iter().all(|&c| c == scc[0]),
            "one cycle through every account"
        );
    }

    #[test]
    fn petgraph_view_matches_ledger() {
        let g = random_graph(&[(0, 1, 5), (1, 2, 3), (2, 0, 9), (0, 1, 1)]);
        let l = g.ledger();
        for e in g.graph().edge_indices() {
            let (s, t) = g.graph().edge_endpoints(e).unwrap();
            let id = g.graph()[e];
            assert_eq!(id.index(), e.index());
            assert_eq!(l.froms()[id.index()].index(), s.index());
            assert_eq!(l.tos()[id.index()].index(), t.index());
        }
        assert_eq!(g.out_degree(AccountId(0)), 2);
        assert_eq!(g.in_degree(AccountId(0)), 1);
        assert!(g.outgoing(AccountId(99), ..).is_empty());
        assert!(g.heap_bytes() > 0);
    }

    #[test]
    fn graph_is_sync_and_send() {
        fn check<T: Sync + Send>() {}
        check::<FlowGraph>();
    }
}
