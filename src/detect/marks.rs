//! Per-account marks telling whether the current search wrote an
//! account's slot, so a worker reuses dense per-account arrays from one
//! search to the next without clearing them (the cycle search's closing
//! times, scatter-gather's per-sink tally).

use crate::model::AccountId;

/// One mark per account: the number of the search that last wrote it.
#[derive(Debug, Default)]
pub(crate) struct Marks {
    mark: Vec<u32>,
    current: u32,
}

impl Marks {
    /// Start a new search over `accounts` accounts: every slot reads as
    /// unwritten. Grows the marks when the graph is larger than the last.
    pub(crate) fn begin(&mut self, accounts: usize) {
        if self.mark.len() < accounts {
            self.mark.resize(accounts, 0);
        }
        self.current = self.current.wrapping_add(1);
        if self.current == 0 {
            // after 2³² searches the numbers come round: forget them all
            self.mark.iter_mut().for_each(|m| *m = 0);
            self.current = 1;
        }
    }

    /// Whether this search wrote `a`'s slot.
    #[inline]
    pub(crate) fn is_set(&self, a: AccountId) -> bool {
        self.mark[a.index()] == self.current
    }

    /// Mark `a`'s slot as written by this search.
    #[inline]
    pub(crate) fn set(&mut self, a: AccountId) {
        self.mark[a.index()] = self.current;
    }
}

/// Grow `slots` to `accounts` entries (new ones `fill`): the companion of
/// [`Marks::begin`] for each array of per-account slots.
pub(crate) fn grow<T: Clone>(slots: &mut Vec<T>, accounts: usize, fill: T) {
    if slots.len() < accounts {
        slots.resize(accounts, fill);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_search_forgets_the_last_one() {
        let mut marks = Marks::default();
        marks.begin(3);
        marks.set(AccountId(1));
        assert!(marks.is_set(AccountId(1)));
        assert!(!marks.is_set(AccountId(2)));
        marks.begin(5);
        assert!(!marks.is_set(AccountId(1)));
        assert!(!marks.is_set(AccountId(4)));
        // the wrap-around clears every mark
        marks.current = u32::MAX;
        marks.set(AccountId(0));
        marks.begin(5);
        assert_eq!(marks.current, 1);
        assert!(!marks.is_set(AccountId(0)));
    }
}
