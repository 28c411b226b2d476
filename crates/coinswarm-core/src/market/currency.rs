//! A currency or asset code (`BTC`, `USD`), stored inline so it is `Copy` and cheap to hash.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Longest currency code accepted, in bytes.
const MAX_LEN: usize = 12;

/// An upper-case alphanumeric asset code of 1 to 12 characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    len: u8,
    bytes: [u8; MAX_LEN],
}

impl Currency {
    /// Parses a code; lower case is accepted and upper-cased.
    pub fn new(code: &str) -> Result<Self, CurrencyError> {
        let code = code.trim();
        if code.is_empty() || code.len() > MAX_LEN || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(CurrencyError(code.to_string()));
        }
        let mut bytes = [0u8; MAX_LEN];
        for (slot, b) in bytes.iter_mut().zip(code.bytes()) {
            *slot = b.to_ascii_uppercase();
        }
        Ok(Self { len: code.len() as u8, bytes })
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII alphanumerics are ever stored.
        std::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or("")
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
    }
}
