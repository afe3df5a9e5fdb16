//! `bipartite` and `stack`: layers of accounts, each paying every account
//! of the next layer.

use super::{Canvas, Chan, Count};

/// `layers` sets of `width` accounts (2 layers: bipartite; more: a stack);
/// every account pays every account of the next layer, the payments
/// spread evenly over `span` from `start`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layers {
    pub(crate) layers: usize,
    pub(crate) width: Count,
    pub(crate) start: i64,
    pub(crate) span: i64,
    pub(crate) base: f64,
    pub(crate) spread: f64,
    pub(crate) channel: Chan,
}

impl Layers {
    /// Plant it; returns the width.
    pub(crate) fn plant<C: Canvas>(&self, c: &mut C) -> usize {
        let w = self.width.take(c.rng());
        let layers = self.layers;
        let sets: Vec<Vec<u32>> = (0..layers)
            .map(|_| (0..w).map(|_| c.party()).collect())
            .collect();
        let slots = ((layers - 1) * w * w).max(1) as i64;
        for layer in 0..layers - 1 {
            for (i, &a) in sets[layer].iter().enumerate() {
                for (j, &b) in sets[layer + 1].iter().enumerate() {
                    let slot = (layer * w * w + i * w + j) as i64;
                    let t = self.start + slot * self.span / slots;
                    let m = c.amount(self.base, self.spread);
                    c.send(t, a, b, m, self.channel);
                }
            }
        }
        w
    }
}
