//! `scatter_gather`: a source pays intermediaries, which all pay one sink.

use super::{spaced, Canvas, Chan, Count};

/// A source paying `width` intermediaries, spread over `span` from
/// `start`, each paying `keep_per_mille` of it on to one sink
/// `gather_after` later.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ScatterGather {
    pub(crate) width: Count,
    pub(crate) start: i64,
    pub(crate) span: i64,
    pub(crate) gather_after: i64,
    pub(crate) base: f64,
    pub(crate) spread: f64,
    pub(crate) keep_per_mille: i64,
    pub(crate) channel: Chan,
}

impl ScatterGather {
    /// Plant it; returns the width.
    pub(crate) fn plant<C: Canvas>(&self, c: &mut C) -> usize {
        let k = self.width.take(c.rng());
        let (source, sink) = (c.party(), c.party());
        for i in 0..k {
            let mid = c.party();
            let t = spaced(self.start, self.span, i, k);
            let m = c.amount(self.base, self.spread);
            c.send(t, source, mid, m, self.channel);
            let on = c.keep(m, self.keep_per_mille);
            c.send(t + self.gather_after, mid, sink, on, self.channel);
        }
        k
    }
}
