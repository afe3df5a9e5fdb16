//! `pass_through`: a mule forwards each payment it gets within hours.

use super::{spaced, Canvas, Chan, Count, Minutes};

/// A mule paid by `inflows` victims, spread over `span` from `start`, that
/// forwards `keep_per_mille` of each to one boss after `delay`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PassThrough {
    pub(crate) inflows: Count,
    pub(crate) start: i64,
    pub(crate) span: i64,
    pub(crate) delay: Minutes,
    pub(crate) base: f64,
    pub(crate) spread: f64,
    pub(crate) keep_per_mille: i64,
    pub(crate) channel_in: Chan,
    pub(crate) channel_out: Chan,
}

impl PassThrough {
    /// Plant it; `victim` gives the `i`-th payer. Returns the inflows.
    pub(crate) fn plant<C: Canvas>(
        &self,
        c: &mut C,
        victim: impl Fn(&mut C, usize) -> u32,
    ) -> usize {
        let mule = c.party();
        let boss = c.party();
        let k = self.inflows.take(c.rng());
        for i in 0..k {
            let from = victim(c, i);
            let t = spaced(self.start, self.span, i, k);
            let m = c.amount(self.base, self.spread);
            c.send(t, from, mule, m, self.channel_in);
            let delay = self.delay.draw(c.rng());
            let on = c.keep(m, self.keep_per_mille);
            c.send(t + delay, mule, boss, on, self.channel_out);
        }
        k
    }
}
