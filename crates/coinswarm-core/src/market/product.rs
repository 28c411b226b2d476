//! Tradable products (`BTC-USD`) and their trading rules.

use super::currency::{Currency, CurrencyError};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A product id in Coinbase's `BASE-QUOTE` form, e.g. `BTC-USD`: buy or sell `base`, priced in `quote`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProductId {
    pub base: Currency,
    pub quote: Currency,
}

impl ProductId {
    pub const fn new(base: Currency, quote: Currency) -> Self {
        Self { base, quote }
    }

    /// Parses `BTC-USD` (also `btc-usd`).
    pub fn parse(text: &str) -> Result<Self, ProductIdError> {
        let bad = || ProductIdError(text.to_string());
        let (base, quote) = text.trim().split_once('-').ok_or_else(bad)?;
        let base = Currency::new(base).map_err(|_: CurrencyError| bad())?;
        let quote = Currency::new(quote).map_err(|_: CurrencyError| bad())?;
        if base == quote {
            return Err(bad());
        }
        Ok(Self { base, quote })
    }
}

/// A product id that is not `BASE-QUOTE` with two different currency codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid product id '{0}': expected BASE-QUOTE, like BTC-USD")]
pub struct ProductIdError(pub String);

impl fmt::Display for ProductId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.base, self.quote)
    }
}

impl fmt::Debug for ProductId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProductId({self})")
    }
}

impl FromStr for ProductId {
    type Err = ProductIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for ProductId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ProductId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A product and the rules an order for it must follow, as Coinbase publishes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub product_id: ProductId,
    /// Sizes must be whole multiples of this (e.g. 0.00000001 BTC).
    pub base_increment: Decimal,
    /// Prices must be whole multiples of this (e.g. 0.01 USD).
    pub quote_increment: Decimal,
    /// Smallest order size in base currency.
    pub base_min_size: Decimal,
    /// Largest order size in base currency.
    pub base_max_size: Decimal,
    /// Smallest order value (price × size, or `quote_size`) in quote currency.
    pub quote_min_size: Decimal,
}

impl Product {
    /// A product with Coinbase's usual spot rules for a USD pair: 1e-8 base increment,
    /// 0.01 quote increment, 1e-8 minimum size, 1 USD minimum order value.
    pub fn spot(product_id: ProductId) -> Self {
        Self {
            product_id,
            base_increment: Decimal::new(1, 8),
            quote_increment: Decimal::new(1, 2),
            base_min_size: Decimal::new(1, 8),
            base_max_size: Decimal::new(10_000, 0),
            quote_min_size: Decimal::ONE,
        }
    }

    pub fn base(&self) -> Currency {
        self.product_id.base
    }

    pub fn quote(&self) -> Currency {
        self.product_id.quote
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_ids_parse_and_print_in_coinbase_form() {
        let id: ProductId = "btc-usd".parse().unwrap();
        assert_eq!(id.to_string(), "BTC-USD");
        assert_eq!(id.base.as_str(), "BTC");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"BTC-USD\"");
        for bad in ["BTCUSD", "BTC-", "-USD", "BTC-BTC", "BTC-US D"] {
            assert!(ProductId::parse(bad).is_err(), "{bad}");
        }
    }
}
