//! A window's count, sum, variance and skewness, kept exactly as values
//! come and go.
//!
//! A sliding window over floating-point values with running sums drifts:
//! each sum carries the rounding of every value that ever passed through
//! it, so two windows holding the same values can report different sums
//! in the last bits, and a shard of the data that starts later than the
//! whole (time-sharded features) would disagree with it. Here each value
//! is taken in whole units of `10^-d` of the reporting currency (an
//! `i64`), and the power sums are integers of up to 256 bits: adding
//! and removing are exact, so what a window reports depends on the
//! values it holds and nothing else.

/// A signed 256-bit integer, two's complement in four little-endian
/// limbs: wide enough for the sum of cubes of up to 2³² values below
/// 2⁶³ in magnitude, and for the central sums made from them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Wide([u64; 4]);

impl Wide {
    fn from_i128(x: i128) -> Wide {
        let fill = if x < 0 { u64::MAX } else { 0 };
        Wide([x as u64, ((x as u128) >> 64) as u64, fill, fill])
    }

    fn is_negative(&self) -> bool {
        self.0[3] >> 63 == 1
    }

    fn is_zero(&self) -> bool {
        self.0 == [0; 4]
    }

    fn add(self, other: Wide) -> Wide {
        let mut out = [0u64; 4];
        let mut carry = false;
        for (k, slot) in out.iter_mut().enumerate() {
            let (s, c1) = self.0[k].overflowing_add(other.0[k]);
            let (s, c2) = s.overflowing_add(u64::from(carry));
            *slot = s;
            carry = c1 || c2;
        }
        Wide(out)
    }

    fn neg(self) -> Wide {
        Wide(self.0.map(|x| !x)).add(Wide([1, 0, 0, 0]))
    }

    fn sub(self, other: Wide) -> Wide {
        self.add(other.neg())
    }

    /// The product with `k`, modulo 2²⁵⁶ (exact when it fits).
    fn mul(self, k: i64) -> Wide {
        let negative = self.is_negative() != (k < 0);
        let magnitude = if self.is_negative() { self.neg() } else { self };
        let k = k.unsigned_abs() as u128;
        let mut out = [0u64; 4];
        let mut carry = 0u128;
        for (slot, &limb) in out.iter_mut().zip(&magnitude.0) {
            let p = u128::from(limb) * k + carry;
            *slot = p as u64;
            carry = p >> 64;
        }
        let product = Wide(out);
        if negative {
            product.neg()
        } else {
            product
        }
    }

    /// The nearest `f64`, or nearly: the same number always gives the
    /// same value.
    fn to_f64(self) -> f64 {
        let negative = self.is_negative();
        let magnitude = if negative { self.neg() } else { self };
        let value = magnitude.0.iter().rev().fold(0.0, |acc, &limb| {
            acc * 18_446_744_073_709_551_616.0 + limb as f64
        });
        if negative {
            -value
        } else {
            value
        }
    }
}

/// The power sums of a window's values in whole units.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Moments {
    n: u64,
    s1: i128,
    s2: Wide,
    s3: Wide,
}

/// A window's statistics, in units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Stats {
    pub sum: f64,
    pub mean: f64,
    pub var: f64,
    pub skew: f64,
}

impl Moments {
    /// Values held.
    pub(crate) fn count(&self) -> u64 {
        self.n
    }

    pub(crate) fn add(&mut self, q: i64) {
        let square = i128::from(q) * i128::from(q);
        self.n += 1;
        self.s1 += i128::from(q);
        self.s2 = self.s2.add(Wide::from_i128(square));
        self.s3 = self.s3.add(Wide::from_i128(square).mul(q));
    }

    pub(crate) fn remove(&mut self, q: i64) {
        let square = i128::from(q) * i128::from(q);
        self.n -= 1;
        self.s1 -= i128::from(q);
        self.s2 = self.s2.sub(Wide::from_i128(square));
        self.s3 = self.s3.sub(Wide::from_i128(square).mul(q));
    }

    /// Sum, mean, population variance and skewness (0 without spread),
    /// all in units; zeros for an empty window.
    pub(crate) fn stats(&self) -> Stats {
        if self.n == 0 {
            return Stats {
                sum: 0.0,
                mean: 0.0,
                var: 0.0,
                skew: 0.0,
            };
        }
        let n = self.n as i128;
        // sums about the rounded mean `c` are small when the values
        // cluster, so nothing cancels in floating point
        let c = (self.s1 + n / 2).div_euclid(n) as i64;
        let nc = n * i128::from(c);
        let e = self.s1 - nc; // n × (mean − c), exactly
        let d2 = self
            .s2
            .sub(Wide::from_i128(self.s1).mul(c).mul(2))
            .add(Wide::from_i128(nc).mul(c));
        let d3 = self
            .s3
            .sub(self.s2.mul(c).mul(3))
            .add(Wide::from_i128(self.s1).mul(c).mul(c).mul(3))
            .sub(Wide::from_i128(nc).mul(c).mul(c));
        let nf = self.n as f64;
        let d = e as f64 / nf;
        let (m2, m3) = (d2.to_f64() / nf, d3.to_f64() / nf);
        let var = (m2 - d * d).max(0.0);
        let third = m3 - 3.0 * d * m2 + 2.0 * d * d * d;
        let skew = if d2.is_zero() || var <= 0.0 {
            0.0
        } else {
            third / var.powf(1.5)
        };
        Stats {
            sum: self.s1 as f64,
            mean: c as f64 + d,
            var,
            skew,
        }
    }
}

/// How many decimal places of the reporting currency the window sums
/// count in: its own (as the ledger has it, else as its code tells),
/// between 2 and 6, so a value up to about 9·10¹² currency units (at 6)
/// or 9·10¹⁶ (at 2) is held exactly.
pub(crate) fn unit_decimals(decimals: u32) -> u32 {
    decimals.clamp(2, 6)
}

/// Each value in whole units of `10^-decimals` (rounded; beyond an
/// `i64`, the largest one of its sign).
pub(crate) fn to_units(values: &[f64], decimals: u32) -> Vec<i64> {
    let scale = 10f64.powi(decimals as i32);
    values.iter().map(|v| (v * scale).round() as i64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn exact(xs: &[i64]) -> (f64, f64, f64) {
        let n = xs.len() as f64;
        let mean = xs.iter().map(|&x| x as f64).sum::<f64>() / n;
        let var = xs.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n;
        let m3 = xs.iter().map(|&x| (x as f64 - mean).powi(3)).sum::<f64>() / n;
        let skew = if var > 0.0 { m3 / var.powf(1.5) } else { 0.0 };
        (mean, var, skew)
    }

    #[test]
    fn wide_arithmetic_round_trips() {
        let a = Wide::from_i128(-7);
        assert_eq!(a.mul(-3), Wide::from_i128(21));
        assert_eq!(a.add(Wide::from_i128(7)), Wide::default());
        let big = Wide::from_i128(i128::MAX).mul(i64::MAX).mul(4);
        assert_eq!(big.sub(big), Wide::default());
        assert!(big.neg().is_negative());
        assert_eq!(big.mul(-1).to_f64(), -big.to_f64());
        let expected = (i128::MAX as f64) * (i64::MAX as f64) * 4.0;
        assert!((big.to_f64() - expected).abs() <= expected * 1e-15);
    }

    #[test]
    fn the_largest_values_do_not_overflow() {
        let mut m = Moments::default();
        for q in [i64::MAX, i64::MIN + 1, i64::MAX, i64::MAX] {
            m.add(q);
        }
        let s = m.stats();
        assert!(s.var > 0.0 && s.skew < 0.0, "{s:?}");
        for q in [i64::MAX, i64::MIN + 1, i64::MAX, i64::MAX] {
            m.remove(q);
        }
        assert_eq!(m, Moments::default());
    }

    proptest! {
        #[test]
        fn the_window_depends_only_on_what_it_holds(
            history in prop::collection::vec(-1_000_000_000_000i64..1_000_000_000_000, 0..40),
            held in prop::collection::vec(-1_000_000_000_000i64..1_000_000_000_000, 1..40),
        ) {
            let mut long = Moments::default();
            for &q in history.iter().chain(&held) {
                long.add(q);
            }
            for &q in &history {
                long.remove(q);
            }
            let mut fresh = Moments::default();
            for &q in &held {
                fresh.add(q);
            }
            prop_assert_eq!(&long, &fresh);
            let s = fresh.stats();
            let (mean, var, skew) = exact(&held);
            prop_assert_eq!(s.sum, held.iter().map(|&q| i128::from(q)).sum::<i128>() as f64);
            prop_assert!((s.mean - mean).abs() <= 1e-9 * mean.abs().max(1.0));
            prop_assert!((s.var - var).abs() <= 1e-9 * var.max(1.0), "{} ≠ {}", s.var, var);
            prop_assert!((s.skew - skew).abs() <= 1e-6 * skew.abs().max(1.0), "{} ≠ {}", s.skew, skew);
        }

        #[test]
        fn clustered_values_keep_their_spread(
            base in 1_000_000_000i64..1_000_000_000_000,
            offsets in prop::collection::vec(0i64..3, 2..30),
        ) {
            let mut m = Moments::default();
            let xs: Vec<i64> = offsets.iter().map(|o| base + o).collect();
            for &q in &xs {
                m.add(q);
            }
            let s = m.stats();
            let centred: Vec<i64> = offsets.clone();
            let (_, var, skew) = exact(&centred);
            prop_assert!((s.var - var).abs() <= 1e-9 * var.max(1.0));
            prop_assert!((s.skew - skew).abs() <= 1e-6 * skew.abs().max(1.0));
        }
    }
}
