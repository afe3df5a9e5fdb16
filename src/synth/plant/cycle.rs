//! `cycle`: money goes round a ring and comes back.

use super::{spaced, Canvas, Chan, Count, Minutes};

/// A ring of `hops` accounts, each paying the next, the last paying the
/// first; the hops spread evenly over `span` (each `jitter` later), each
/// keeping `1 − keep_per_mille / 1000` of what it got.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cycle {
    pub(crate) hops: Count,
    pub(crate) start: i64,
    pub(crate) span: i64,
    pub(crate) jitter: Option<Minutes>,
    pub(crate) base: f64,
    /// Draw the first amount about `base` (or take it as it is).
    pub(crate) noisy: bool,
    pub(crate) keep_per_mille: i64,
    pub(crate) channel: Chan,
}

impl Cycle {
    /// Plant it; returns the number of hops.
    pub(crate) fn plant<C: Canvas>(&self, c: &mut C) -> usize {
        let hops = self.hops.take(c.rng());
        let ring: Vec<u32> = (0..hops).map(|_| c.party()).collect();
        let mut m = if self.noisy {
            c.amount(self.base, 0.0)
        } else {
            c.fixed(self.base)
        };
        for i in 0..hops {
            let jitter = self.jitter.map_or(0, |j| j.draw(c.rng()));
            let t = spaced(self.start, self.span, i, hops) + jitter;
            c.send(t, ring[i], ring[(i + 1) % hops], m, self.channel);
            m = c.keep(m, self.keep_per_mille);
        }
        hops
    }
}
