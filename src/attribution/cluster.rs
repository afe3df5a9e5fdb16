//! Address clustering by the multi-input (common-input-ownership)
//! heuristic: the addresses that fund one transaction together are taken
//! to belong to one owner. Union-find over addresses, with a switch to
//! leave out likely CoinJoins (many owners pooling inputs into
//! equal-valued outputs, which the heuristic must not merge), and
//! provenance: for two addresses of one cluster, the transactions that
//! joined them.

use crate::ingest::UtxoTransaction;
use rust_decimal::Decimal;
use std::collections::{HashMap, VecDeque};

/// How to cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterOptions {
    /// Leave out likely CoinJoins: true.
    pub exclude_coinjoin: bool,
    /// A transaction is a likely CoinJoin when at least this many of its
    /// outputs share one amount, and it has at least that many distinct
    /// input addresses: 3. (Wasabi and Whirlpool rounds have 5 to 100
    /// equal outputs; a payer sending three equal payments from one
    /// wallet's several inputs would also match, which errs on the side of
    /// not merging.)
    pub coinjoin_equal_outputs: usize,
}

impl Default for ClusterOptions {
    fn default() -> ClusterOptions {
        ClusterOptions {
            exclude_coinjoin: true,
            coinjoin_equal_outputs: 3,
        }
    }
}

/// Whether a transaction looks like a CoinJoin (see
/// [`ClusterOptions::coinjoin_equal_outputs`]).
pub fn is_likely_coinjoin(tx: &UtxoTransaction, equal_outputs: usize) -> bool {
    let mut counts: HashMap<Decimal, usize> = HashMap::new();
    for o in &tx.outputs {
        *counts.entry(o.amount.normalize()).or_default() += 1;
    }
    let most = counts.values().copied().max().unwrap_or(0);
    let mut inputs: Vec<&str> = tx.inputs.iter().map(|l| l.address.as_str()).collect();
    inputs.sort_unstable();
    inputs.dedup();
    most >= equal_outputs && inputs.len() >= most.min(equal_outputs).max(2)
}

/// Addresses grouped into clusters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clusters {
    /// Every address (inputs and outputs), in order of first appearance.
    pub addresses: Vec<String>,
    /// The cluster of each address: clusters are numbered 0… by their
    /// first address's appearance.
    pub cluster_of: Vec<u32>,
    /// Members of each cluster, in order of appearance.
    pub members: Vec<Vec<u32>>,
    /// Transactions left out as likely CoinJoins (indices into the input).
    pub coinjoins: Vec<usize>,
    /// For each address, the merging transactions it was an input of
    /// (indices into the input): the edges provenance walks.
    joined_by: Vec<Vec<usize>>,
    /// Input addresses of each transaction (address indices, distinct).
    inputs_of: Vec<Vec<u32>>,
    index: HashMap<String, u32>,
}

fn find(parent: &mut [u32], mut x: u32) -> u32 {
    while parent[x as usize] != x {
        let up = parent[parent[x as usize] as usize];
        parent[x as usize] = up;
        x = up;
    }
    x
}

/// The clusters of a UTXO input, with the default options; `None` for a
/// load of another layout (no on-chain transactions).
pub fn clusters_of(transactions: &[UtxoTransaction]) -> Option<Clusters> {
    (!transactions.is_empty()).then(|| cluster(transactions, &ClusterOptions::default()))
}

/// Cluster the addresses of some transactions.
///
/// ```
/// use moneytrail::attribution::{cluster, ClusterOptions};
/// use moneytrail::ingest::{Leg, UtxoTransaction};
/// use rust_decimal::Decimal;
/// let leg = |a: &str, x: i64| Leg { address: a.into(), amount: Decimal::from(x) };
/// let tx = |h: &str, ins: Vec<Leg>, outs: Vec<Leg>| UtxoTransaction {
///     hash: h.into(), time_us: 0, chain: "bitcoin".into(), asset: "BTC".into(),
///     inputs: ins, outputs: outs, fee: Decimal::ZERO, row: 0,
/// };
/// let txs = vec![
///     tx("t1", vec![leg("a", 1), leg("b", 2)], vec![leg("c", 3)]),
///     tx("t2", vec![leg("b", 1), leg("d", 1)], vec![leg("e", 2)]),
/// ];
/// let c = cluster(&txs, &ClusterOptions::default());
/// assert_eq!(c.cluster("a"), c.cluster("d"));
/// assert_ne!(c.cluster("a"), c.cluster("c"));
/// assert_eq!(c.provenance("a", "d").unwrap(), vec![0, 1]);
/// ```
pub fn cluster(transactions: &[UtxoTransaction], options: &ClusterOptions) -> Clusters {
    let mut index: HashMap<String, u32> = HashMap::new();
    let mut addresses: Vec<String> = Vec::new();
    let mut id = |a: &str, addresses: &mut Vec<String>| -> u32 {
        if let Some(&i) = index.get(a) {
            return i;
        }
        let i = addresses.len() as u32;
        addresses.push(a.to_string());
        index.insert(a.to_string(), i);
        i
    };
    let mut inputs_of: Vec<Vec<u32>> = Vec::with_capacity(transactions.len());
    for tx in transactions {
        let mut ins: Vec<u32> = Vec::with_capacity(tx.inputs.len());
        for l in &tx.inputs {
            let i = id(&l.address, &mut addresses);
            if !ins.contains(&i) {
                ins.push(i);
            }
        }
        for l in &tx.outputs {
            id(&l.address, &mut addresses);
        }
        inputs_of.push(ins);
    }
    let n = addresses.len();
    let mut parent: Vec<u32> = (0..n as u32).collect();
    let mut joined_by: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut coinjoins = Vec::new();
    for (t, tx) in transactions.iter().enumerate() {
        let ins = &inputs_of[t];
        if ins.len() < 2 {
            continue;
        }
        if options.exclude_coinjoin && is_likely_coinjoin(tx, options.coinjoin_equal_outputs) {
            coinjoins.push(t);
            continue;
        }
        for &a in ins {
            joined_by[a as usize].push(t);
        }
        let root = find(&mut parent, ins[0]);
        for &a in &ins[1..] {
            let r = find(&mut parent, a);
            if r != root {
                // the smaller index stays root, so numbering is stable
                let (keep, drop) = if r < root { (r, root) } else { (root, r) };
                parent[drop as usize] = keep;
            }
        }
    }
    let mut cluster_of = vec![u32::MAX; n];
    let mut members: Vec<Vec<u32>> = Vec::new();
    let mut number: HashMap<u32, u32> = HashMap::new();
    for a in 0..n as u32 {
        let r = find(&mut parent, a);
        let c = *number.entry(r).or_insert_with(|| {
            members.push(Vec::new());
            members.len() as u32 - 1
        });
        cluster_of[a as usize] = c;
        members[c as usize].push(a);
    }
    Clusters {
        addresses,
        cluster_of,
        members,
        coinjoins,
        joined_by,
        inputs_of,
        index,
    }
}

impl Clusters {
    /// The cluster of an address, if the address occurs.
    pub fn cluster(&self, address: &str) -> Option<u32> {
        self.index
            .get(address)
            .map(|&i| self.cluster_of[i as usize])
    }

    /// Index of an address.
    pub fn address_index(&self, address: &str) -> Option<u32> {
        self.index.get(address).copied()
    }

    /// The accounts of `ledger` that are members of cluster `cluster`.
    pub fn member_accounts(&self, cluster: u32, ledger: &crate::Ledger) -> Vec<crate::AccountId> {
        self.members
            .get(cluster as usize)
            .into_iter()
            .flatten()
            .filter_map(|&m| ledger.account_id(&self.addresses[m as usize]))
            .collect()
    }

    /// The transactions that joined two addresses of one cluster, in order
    /// along the shortest chain of merges (indices into the transactions
    /// clustered); `None` when they are not in one cluster, empty when
    /// they are the same address.
    pub fn provenance(&self, a: &str, b: &str) -> Option<Vec<usize>> {
        let (a, b) = (self.address_index(a)?, self.address_index(b)?);
        if self.cluster_of[a as usize] != self.cluster_of[b as usize] {
            return None;
        }
        if a == b {
            return Some(Vec::new());
        }
        // breadth-first over addresses, stepping through merging transactions
        let mut came: HashMap<u32, (u32, usize)> = HashMap::new();
        let mut queue = VecDeque::from([a]);
        came.insert(a, (a, usize::MAX));
        while let Some(x) = queue.pop_front() {
            if x == b {
                break;
            }
            for &t in &self.joined_by[x as usize] {
                for &y in &self.inputs_of[t] {
                    if let std::collections::hash_map::Entry::Vacant(e) = came.entry(y) {
                        e.insert((x, t));
                        queue.push_back(y);
                    }
                }
            }
        }
        let mut path = Vec::new();
        let mut x = b;
        while x != a {
            let &(prev, t) = came.get(&x)?;
            path.push(t);
            x = prev;
        }
        path.reverse();
        Some(path)
    }
}
