//! `fan_out` and `fan_in`: one hub and many counterparties.

use super::{spaced, Canvas, Chan, Count};
use crate::detect::Direction;

/// One hub paying (`Out`) or paid by (`In`) `counterparties` accounts, one
/// transfer each, spread evenly over `span` from `start`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fan {
    pub(crate) direction: Direction,
    pub(crate) counterparties: Count,
    pub(crate) start: i64,
    pub(crate) span: i64,
    pub(crate) base: f64,
    pub(crate) spread: f64,
    pub(crate) channel: Chan,
}

impl Fan {
    /// Plant it; returns the number of counterparties.
    pub(crate) fn plant<C: Canvas>(&self, c: &mut C) -> usize {
        let hub = c.party();
        let k = self.counterparties.take(c.rng());
        for i in 0..k {
            let other = c.party();
            let t = spaced(self.start, self.span, i, k);
            let m = c.amount(self.base, self.spread);
            match self.direction {
                Direction::Out => c.send(t, hub, other, m, self.channel),
                Direction::In => c.send(t, other, hub, m, self.channel),
            }
        }
        k
    }
}
