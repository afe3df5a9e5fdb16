//! One typed planter per typology, shared by the sample
//! ([`sample_set`](super::sample_set)) and the training generator
//! ([`training`](super::training)).
//!
//! A planter is the shape of a typology with its parameters: who pays whom,
//! in what order, when, how much passes on. What a generator means by an
//! account, an amount and a transfer is its [`Canvas`]: the sample names
//! its mules and prices in one currency; the training generator makes fresh
//! mules (or, when hard, borrows honest accounts) and prices in US cents
//! converted to each account's currency. Both draw from the canvas's random
//! stream in the order the planter asks, so a seed gives the same bytes.

mod bipartite;
mod chain;
mod cycle;
mod fan;
mod gather_scatter;
mod pass_through;
mod scatter_gather;
mod structuring;
mod vc_layering;

pub(crate) use bipartite::Layers;
pub(crate) use chain::{Chain, Dwell};
pub(crate) use cycle::Cycle;
pub(crate) use fan::Fan;
pub(crate) use gather_scatter::{GatherScatter, Side};
pub(crate) use pass_through::PassThrough;
pub(crate) use scatter_gather::ScatterGather;
pub(crate) use structuring::Structuring;
pub(crate) use vc_layering::{Delay, Leg, Mixing, VcCanvas, VcLayering};

use super::Rng;
use crate::detect::Typology;
use crate::time::MINUTE;
use rust_decimal::Decimal;

/// What the generators plant: a typology the detectors find, or the
/// virtual-currency layering route (which `on_off_ramp` and
/// `chain_hopping` see parts of).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Planted {
    /// One of [`Typology`].
    Typology(Typology),
    /// Fiat into an exchange, out as bitcoin through wallets and a mixer,
    /// swapped to a stablecoin and cashed out abroad.
    VirtualCurrencyLayering,
}

impl Planted {
    /// What the training generator plants, in answer-key order.
    pub const ALL: [Planted; 11] = [
        Planted::Typology(Typology::FanOut),
        Planted::Typology(Typology::FanIn),
        Planted::Typology(Typology::Cycle),
        Planted::Typology(Typology::ScatterGather),
        Planted::Typology(Typology::GatherScatter),
        Planted::Typology(Typology::Bipartite),
        Planted::Typology(Typology::Stack),
        Planted::Typology(Typology::LayeringChain),
        Planted::Typology(Typology::Structuring),
        Planted::Typology(Typology::PassThrough),
        Planted::VirtualCurrencyLayering,
    ];

    /// The snake_case name used in answer keys and plans.
    pub fn name(self) -> &'static str {
        match self {
            Planted::Typology(t) => t.name(),
            Planted::VirtualCurrencyLayering => "virtual_currency_layering",
        }
    }

    /// The planted typology with this name.
    pub fn from_name(name: &str) -> Option<Planted> {
        Planted::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// A payment channel, as each generator writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Chan {
    Ach,
    Wire,
}

/// How many of something an instance has: fixed, or drawn from the
/// canvas's stream (`lo..=hi`, then fitted to the typology).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Count {
    Fixed(usize),
    Drawn {
        lo: i64,
        hi: i64,
        fit: fn(usize) -> usize,
    },
}

impl Count {
    /// A count drawn from `lo..=hi` as it comes.
    pub(crate) fn drawn(lo: u64, hi: u64) -> Count {
        Count::Drawn {
            lo: lo as i64,
            hi: hi as i64,
            fit: |n| n,
        }
    }

    /// The count, drawing it when it is drawn.
    fn take(self, rng: &mut Rng) -> usize {
        match self {
            Count::Fixed(n) => n,
            Count::Drawn { lo, hi, fit } => fit(rng.range(lo, hi) as usize),
        }
    }
}

/// A random delay: `lo..=hi` minutes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Minutes(pub(crate) i64, pub(crate) i64);

impl Minutes {
    fn draw(self, rng: &mut Rng) -> i64 {
        rng.range(self.0, self.1) * MINUTE
    }
}

/// The `i`-th of `n` times spread evenly from `start` over `span`.
fn spaced(start: i64, span: i64, i: usize, n: usize) -> i64 {
    start + i as i64 * span / n.max(1) as i64
}

/// What a planter needs of the generator it plants into.
pub(crate) trait Canvas {
    /// An amount as the generator moves it.
    type Money: Copy;
    /// The instance's random stream.
    fn rng(&mut self) -> &mut Rng;
    /// The next participant of the instance.
    fn party(&mut self) -> u32;
    /// About `base` (the generator's unit), spread as the generator does
    /// (`spread` is the sample's; the training generator has its own noise).
    fn amount(&mut self, base: f64, spread: f64) -> Self::Money;
    /// Exactly `base`.
    fn fixed(&self, base: f64) -> Self::Money;
    /// What is left of `money` when `per_mille` of it passes on.
    fn keep(&self, money: Self::Money, per_mille: i64) -> Self::Money;
    /// One transfer of the instance.
    fn send(&mut self, time: i64, from: u32, to: u32, money: Self::Money, channel: Chan);
    /// A cash deposit of exactly `amount` (cents) into `to`.
    fn deposit(&mut self, time: i64, to: u32, amount: Decimal);
}
