//! The last line of defence at a reader's boundary: a panic inside a
//! dependency's decoder (polars' CSV and Parquet readers) becomes an error
//! instead of ending the process.
//!
//! moneytrail validates what it can before a dependency decodes input
//! (CSV structure, Parquet footers and pages), so this only catches what
//! the checks miss. It cannot catch an abort: an allocation the machine
//! cannot satisfy ends the process whatever the unwinding, which is why the
//! Parquet checks bound every size a decoder would allocate by.

use std::panic::{catch_unwind, AssertUnwindSafe};

/// Run `f`; a panic comes back as `Err` with its message.
///
/// The panic hook still runs (by default it prints the message on stderr).
pub(crate) fn contain<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a decoder panicked".to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::contain;

    #[test]
    fn a_panic_becomes_its_message() {
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let caught = contain(|| -> u32 { panic!("bad page {}", 7) });
        std::panic::set_hook(hook);
        assert_eq!(caught, Err("bad page 7".to_string()));
        assert_eq!(contain(|| 5), Ok(5));
    }
}
