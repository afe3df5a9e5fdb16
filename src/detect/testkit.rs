//! Hand-built graphs for detector tests.

use crate::detect::{Detection, Valued};
use crate::fx::FxTable;
use crate::graph::FlowGraph;
use crate::ledger::{LedgerBuilder, NewTransfer};
use crate::model::Channel;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// One hour in microseconds.
pub(crate) const H: i64 = crate::time::HOUR;

/// Builds a small ledger: `pay(from, to, time, amount)`.
pub(crate) struct Kit {
    b: LedgerBuilder,
    row: u32,
}

impl Kit {
    pub(crate) fn new() -> Kit {
        Kit {
            b: LedgerBuilder::new(),
            row: 0,
        }
    }

    /// A USD transfer of a whole amount.
    pub(crate) fn pay(&mut self, from: &str, to: &str, time: i64, amount: i64) -> &mut Self {
        self.pay_exact(from, to, time, Decimal::from(amount), Channel::Wire)
    }

    /// A USD transfer of an exact amount on a channel.
    pub(crate) fn pay_exact(
        &mut self,
        from: &str,
        to: &str,
        time: i64,
        amount: Decimal,
        channel: Channel,
    ) -> &mut Self {
        let usd = self.b.asset("USD").expect("asset");
        let (f, t) = (self.b.account(from), self.b.account(to));
        let mut tr = NewTransfer::simple(time, f, t, amount, usd, self.row);
        tr.channel = channel;
        self.b.push(tr);
        self.row += 1;
        self
    }

    pub(crate) fn graph(self) -> FlowGraph {
        FlowGraph::new(self.b.finish().expect("ledger"))
    }

    /// A graph of transfers `(from, to, hour)` between accounts `n0`,
    /// `n1`…, each of `amount` USD: the random graphs of property tests.
    pub(crate) fn hourly(edges: &[(u8, u8, u8)], amount: i64) -> FlowGraph {
        let mut k = Kit::new();
        for &(from, to, hour) in edges {
            k.pay(
                &format!("n{from}"),
                &format!("n{to}"),
                i64::from(hour) * H,
                amount,
            );
        }
        k.graph()
    }

    /// USD reporting, every asset at par.
    pub(crate) fn valued(g: &FlowGraph) -> Valued<'_> {
        let rates: BTreeMap<String, Decimal> = g
            .ledger()
            .assets()
            .iter()
            .map(|a| (a.code.clone(), Decimal::ONE))
            .collect();
        Valued::new(g, FxTable::given("USD", rates))
    }
}

/// Run a detection in a pool of `threads` threads.
pub(crate) fn with_threads(threads: usize, f: impl FnOnce() -> Detection + Send) -> Detection {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("pool")
        .install(f)
}
