//! `layering_chain`: each hop forwards most of the money soon.

use super::{Canvas, Chan, Count, Minutes};
use crate::time::MINUTE;

/// How long each account of a chain holds the money.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Dwell {
    /// A random `lo..=hi` minutes.
    Between(Minutes),
    /// From `lo` minutes to the span spread over the hops (1 to 20 hours).
    SpreadOver { lo: i64, span_hours: i64 },
}

/// A chain of `hops` transfers through fresh accounts from `start`, each
/// forwarding `keep_per_mille` of what it got after a dwell.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Chain {
    pub(crate) hops: Count,
    pub(crate) start: i64,
    pub(crate) dwell: Dwell,
    pub(crate) base: f64,
    pub(crate) noisy: bool,
    pub(crate) keep_per_mille: i64,
    pub(crate) channel: Chan,
}

impl Chain {
    /// Plant it; returns the hops and the longest dwell in hours.
    pub(crate) fn plant<C: Canvas>(&self, c: &mut C) -> (usize, i64) {
        let hops = self.hops.take(c.rng());
        let dwell = match self.dwell {
            Dwell::Between(m) => m,
            Dwell::SpreadOver { lo, span_hours } => {
                Minutes(lo, (span_hours / hops as i64).clamp(1, 20) * 60)
            }
        };
        let chain: Vec<u32> = (0..=hops).map(|_| c.party()).collect();
        let mut m = if self.noisy {
            c.amount(self.base, 0.0)
        } else {
            c.fixed(self.base)
        };
        let mut t = self.start;
        for i in 0..hops {
            c.send(t, chain[i], chain[i + 1], m, self.channel);
            m = c.keep(m, self.keep_per_mille);
            t += dwell.draw(c.rng());
        }
        (hops, dwell.1 * MINUTE / crate::time::HOUR)
    }
}
