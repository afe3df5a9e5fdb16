//! Pseudonymised identifiers for sharing across borders: every account or
//! address key becomes a keyed hash, HMAC-SHA-256 under a key the
//! agencies share, so that two agencies with the same key can match
//! records without exchanging the identifiers themselves. The same key
//! always gives the same pseudonym; without the key a pseudonym cannot be
//! linked to its identifier, short of guessing identifiers and the key.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Turns identifiers into pseudonyms.
#[derive(Clone)]
pub struct Pseudonymiser {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for Pseudonymiser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonymiser { key: <hidden> }")
    }
}

impl Pseudonymiser {
    /// A pseudonymiser with a shared key (any length; use at least 32
    /// random bytes).
    pub fn new(key: &[u8]) -> Pseudonymiser {
        // HMAC takes keys of any length
        let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
        Pseudonymiser { mac }
    }

    /// The pseudonym of an identifier: `p:` and the 64 hex digits of
    /// HMAC-SHA-256(key, identifier).
    ///
    /// ```
    /// use moneytrail::investigate::Pseudonymiser;
    /// let p = Pseudonymiser::new(b"key");
    /// // the well-known example value of HMAC-SHA-256("key", "The quick brown fox…")
    /// assert_eq!(
    ///     p.pseudonym("The quick brown fox jumps over the lazy dog"),
    ///     "p:f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
    /// );
    /// ```
    pub fn pseudonym(&self, identifier: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(identifier.as_bytes());
        let bytes = mac.finalize().into_bytes();
        let mut out = String::with_capacity(66);
        out.push_str("p:");
        for b in bytes {
            out.push_str(&format!("{b:02x}"));
        }
        out
    }
}
