//! Virtual-currency layering: fiat into an exchange, out as bitcoin
//! through layers of wallets and a mixer, swapped to a stablecoin, and
//! cashed out through another exchange into a bank account abroad.

use super::{Canvas, Count};
use crate::time::{HOUR, MINUTE};

/// A wait between two legs of the route.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Delay {
    Fixed(i64),
    Minutes(i64, i64),
    Hours(i64, i64),
}

impl Delay {
    fn draw(self, rng: &mut super::Rng) -> i64 {
        match self {
            Delay::Fixed(us) => us,
            Delay::Minutes(lo, hi) => rng.range(lo, hi) * MINUTE,
            Delay::Hours(lo, hi) => rng.range(lo, hi) * HOUR,
        }
    }
}

/// When the layer wallets pay the mixer.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Mixing {
    /// The `i`-th wallet `first + i` hours after it was paid.
    AfterReceipt { first_hours: i64 },
    /// One after the other, each a delay after the previous.
    InTurn(Delay),
}

/// The legs of the route; the canvas prices each (which asset, how much,
/// converted or not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Leg {
    /// Fiat from the suspect to the entry exchange.
    OnRamp,
    /// Bitcoin from the entry exchange to the first wallet.
    Coins,
    /// The first wallet's coins split over the layer wallets.
    Layer,
    /// Each layer wallet into the mixer.
    ToMixer,
    /// The mixer's coins swapped to the stablecoin.
    Swap,
    /// The stablecoin into the exit exchange.
    ToExit,
    /// Fiat from the exit exchange to the account abroad.
    CashOut,
}

/// What a canvas adds for this route: exchanges, wallets and prices.
pub(crate) trait VcCanvas: Canvas {
    /// The entry and the exit exchange.
    fn exchanges(&mut self) -> (u32, u32);
    /// A fresh wallet (the first, the layers, the mixer, the swap service).
    fn wallet(&mut self) -> u32;
    /// Fix the route's amounts: about `base`, split over `wallets`.
    fn price(&mut self, base: f64, wallets: usize);
    /// One leg of the route, priced.
    fn leg(&mut self, time: i64, from: u32, to: u32, leg: Leg);
}

/// The route and its timing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct VcLayering {
    pub(crate) wallets: Count,
    pub(crate) start: i64,
    pub(crate) base: f64,
    pub(crate) to_first_wallet: Delay,
    pub(crate) per_layer: Delay,
    pub(crate) mixing: Mixing,
    pub(crate) to_swap: Delay,
    pub(crate) to_exit: Delay,
    pub(crate) cash_out: Delay,
}

impl VcLayering {
    /// Plant it; returns the number of layer wallets.
    pub(crate) fn plant<C: VcCanvas>(&self, c: &mut C) -> usize {
        let suspect = c.party();
        let (entry, exit) = c.exchanges();
        let k = self.wallets.take(c.rng());
        let first = c.wallet();
        let layer: Vec<u32> = (0..k).map(|_| c.wallet()).collect();
        let mixer = c.wallet();
        let swap = c.wallet();
        let abroad = c.party();
        c.price(self.base, k);
        let mut t = self.start;
        c.leg(t, suspect, entry, Leg::OnRamp);
        t += self.to_first_wallet.draw(c.rng());
        c.leg(t, entry, first, Leg::Coins);
        let mut paid = Vec::with_capacity(k);
        for &w in &layer {
            t += self.per_layer.draw(c.rng());
            c.leg(t, first, w, Leg::Layer);
            paid.push(t);
        }
        let mut t_mix = t;
        for (i, &w) in layer.iter().enumerate() {
            t_mix = match self.mixing {
                Mixing::AfterReceipt { first_hours } => paid[i] + (first_hours + i as i64) * HOUR,
                Mixing::InTurn(delay) => t_mix + delay.draw(c.rng()),
            };
            c.leg(t_mix, w, mixer, Leg::ToMixer);
        }
        let t_swap = t_mix + self.to_swap.draw(c.rng());
        c.leg(t_swap, mixer, swap, Leg::Swap);
        let t_out = t_swap + self.to_exit.draw(c.rng());
        c.leg(t_out, swap, exit, Leg::ToExit);
        let t_cash = t_out + self.cash_out.draw(c.rng());
        c.leg(t_cash, exit, abroad, Leg::CashOut);
        k
    }
}
