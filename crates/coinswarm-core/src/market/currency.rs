//! A currency or asset code (`BTC`, `USD`), stored inline so it is `Copy` and cheap to hash.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Longest currency code accepted, in bytes.
const MAX_LEN: usize = 12;

/// An upper-case alphanumeric asset code of 1 to 12 characters.
///
/// Stored as 16 bytes, zero-padded; comparing and hashing read them as one big-endian
/// `u128`, which orders codes alphabetically (a prefix sorts first) in one instruction —
/// balances are keyed by currency on the matching engine's hot path.
#[derive(Clone, Copy)]
pub struct Currency {
    bytes: [u8; 16],
}

impl Currency {
    /// Parses a code; lower case is accepted and upper-cased.
    pub fn new(code: &str) -> Result<Self, CurrencyError> {
        let code = code.trim();
        if code.is_empty() || code.len() > MAX_LEN || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(CurrencyError(code.to_string()));
        }
        let mut bytes = [0u8; 16];
        for (slot, b) in bytes.iter_mut().zip(code.bytes()) {
            *slot = b.to_ascii_uppercase();
        }
        Ok(Self { bytes })
    }

    pub fn as_str(&self) -> &str {
        let len = self.bytes.iter().position(|b| *b == 0).unwrap_or(self.bytes.len());
        // Only ASCII alphanumerics are ever stored.
        std::str::from_utf8(&self.bytes[..len]).unwrap_or("")
    }

    fn key(&self) -> u128 {
        u128::from_be_bytes(self.bytes)
    }
}

impl PartialEq for Currency {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Currency {}

impl PartialOrd for Currency {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Currency {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

impl std::hash::Hash for Currency {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u128(self.key());
    }
}

/// A currency code that is empty, too long, or not alphanumeric.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid currency code '{0}': expected 1 to 12 letters or digits, like BTC or USD")]
pub struct CurrencyError(pub String);

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.as_str())
    }
}

impl FromStr for Currency {
    type Err = CurrencyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::new(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_upper_cased_and_validated() {
        assert_eq!(Currency::new("btc").unwrap().as_str(), "BTC");
        assert!(Currency::new("").is_err());
        assert!(Currency::new("BTC-USD").is_err());
        assert!(Currency::new("ABCDEFGHIJKLM").is_err());
        assert_eq!(Currency::new("ABCDEFGHIJKL").unwrap().as_str(), "ABCDEFGHIJKL");
    }

    #[test]
    fn codes_sort_alphabetically() {
        let mut codes: Vec<Currency> =
            ["USD", "BTC", "USDC", "ETH", "1INCH", "US"].iter().map(|c| Currency::new(c).unwrap()).collect();
        codes.sort();
        let sorted: Vec<&str> = codes.iter().map(Currency::as_str).collect();
        assert_eq!(sorted, ["1INCH", "BTC", "ETH", "US", "USD", "USDC"]);
    }
}
