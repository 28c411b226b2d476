//! A Coinbase product's trading rules (`get product`) as Coinswarm's [`Product`], so orders
//! are sized and priced as Coinbase will accept them.

use crate::error::CoinbaseError;
use coinswarm_core::market::{Product, ProductId};
use rust_decimal::Decimal;
use serde_json::Value;
use std::str::FromStr;

/// The rules of `product_id` from Coinbase's answer; refused when the answer is for another
/// product, a rule is missing or malformed, or trading is disabled.
pub fn product_rules(product_id: ProductId, answer: &Value) -> Result<Product, CoinbaseError> {
    let invalid = |what: String| CoinbaseError::Invalid(format!("Coinbase product {product_id}: {what}"));
    if answer.get("product_id").and_then(Value::as_str) != Some(product_id.to_string().as_str()) {
        return Err(invalid(format!("the answer is for another product: {answer}")));
    }
    let number = |key: &str| -> Result<Option<Decimal>, CoinbaseError> {
        match answer.get(key).and_then(Value::as_str) {
            None | Some("") => Ok(None),
            Some(text) => Decimal::from_str(text).map(Some).map_err(|e| invalid(format!("{key} '{text}': {e}"))),
        }
    };
    let required = |key: &str| number(key)?.ok_or_else(|| invalid(format!("no {key}")));
    let disabled = answer.get("trading_disabled").and_then(Value::as_bool) == Some(true)
        || answer.get("status").and_then(Value::as_str).is_some_and(|s| !s.eq_ignore_ascii_case("online"));
    if disabled {
        let status = answer.get("status").and_then(Value::as_str).unwrap_or("trading disabled");
        return Err(invalid(format!("not tradable (status {status})")));
    }
    Ok(Product {
        product_id,
        base_increment: required("base_increment")?,
        // One increment serves prices and quote sizes here: the coarser of Coinbase's two
        // (powers of ten, so a multiple of both) meets both of its rules.
        quote_increment: required("quote_increment")?.max(number("price_increment")?.unwrap_or_default()),
        base_min_size: required("base_min_size")?,
        base_max_size: required("base_max_size")?,
        quote_min_size: required("quote_min_size")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eth() -> ProductId {
        "ETH-USD".parse().unwrap()
    }

    #[test]
    fn rules_come_from_coinbase_fields() {
        let answer = json!({"product_id": "ETH-USD", "base_increment": "0.00000001", "quote_increment": "0.01",
            "price_increment": "0.01", "base_min_size": "0.00000001", "base_max_size": "7000", "quote_min_size": "1",
            "status": "online", "trading_disabled": false});
        let product = product_rules(eth(), &answer).unwrap();
        assert_eq!(product.base_max_size, Decimal::from(7000));
        assert_eq!(product.quote_increment, Decimal::new(1, 2));
    }

    #[test]
    fn a_disabled_product_another_product_or_a_missing_rule_is_refused() {
        let base = json!({"product_id": "ETH-USD", "base_increment": "0.00000001", "quote_increment": "0.01",
            "base_min_size": "0.00000001", "base_max_size": "7000", "quote_min_size": "1", "status": "online"});
        let mut disabled = base.clone();
        disabled["trading_disabled"] = json!(true);
        assert!(product_rules(eth(), &disabled).unwrap_err().to_string().contains("not tradable"));
        assert!(product_rules("BTC-USD".parse().unwrap(), &base).is_err());
        let mut missing = base.clone();
        missing.as_object_mut().unwrap().remove("base_increment");
        assert!(product_rules(eth(), &missing).unwrap_err().to_string().contains("no base_increment"));
    }
}
