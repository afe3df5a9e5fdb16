//! `gather_scatter`: many sources pay a hub, which pays many sinks.

use super::{spaced, Canvas, Chan, Count};

/// One side of a gather-scatter: when, and about how much each.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Side {
    pub(crate) start: i64,
    pub(crate) span: i64,
    pub(crate) base: f64,
}

/// `width` sources paying a hub (`gather`), then the hub paying `width`
/// sinks (`scatter`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct GatherScatter {
    pub(crate) width: Count,
    pub(crate) gather: Side,
    pub(crate) scatter: Side,
    pub(crate) spread: f64,
    pub(crate) channel: Chan,
}

impl GatherScatter {
    /// Plant it; returns the width.
    pub(crate) fn plant<C: Canvas>(&self, c: &mut C) -> usize {
        let k = self.width.take(c.rng());
        let hub = c.party();
        for i in 0..k {
            let source = c.party();
            let t = spaced(self.gather.start, self.gather.span, i, k);
            let m = c.amount(self.gather.base, self.spread);
            c.send(t, source, hub, m, self.channel);
        }
        for i in 0..k {
            let sink = c.party();
            let t = spaced(self.scatter.start, self.scatter.span, i, k);
            let m = c.amount(self.scatter.base, self.spread);
            c.send(t, hub, sink, m, self.channel);
        }
        k
    }
}
