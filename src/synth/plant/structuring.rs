//! `structuring`: cash deposits just under a reporting threshold.

use super::{Canvas, Count, Minutes};
use rust_decimal::Decimal;

/// `deposits` cash deposits into one account of `cents.0..=cents.1` cents
/// each, the `i`-th at `start + i·step` plus a random `jitter`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Structuring {
    pub(crate) deposits: Count,
    pub(crate) start: i64,
    pub(crate) step: i64,
    pub(crate) jitter: Minutes,
    pub(crate) cents: (i64, i64),
}

impl Structuring {
    /// Plant it; returns the number of deposits.
    pub(crate) fn plant<C: Canvas>(&self, c: &mut C) -> usize {
        let account = c.party();
        let k = self.deposits.take(c.rng());
        for i in 0..k {
            let t = self.start + i as i64 * self.step + self.jitter.draw(c.rng());
            let amount = Decimal::new(c.rng().range(self.cents.0, self.cents.1), 2);
            c.deposit(t, account, amount);
        }
        k
    }
}
