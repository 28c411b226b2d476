//! The checks the API makes on a request's parameters before anything is asked of a
//! session, with the messages users see. Each host calls these, so a refused parameter reads
//! the same whichever host refused it.

use crate::{ErrorCode, Failure};
use coinswarm_core::market::{Granularity, ProductId};
use coinswarm_core::order::{OrderId, OrderStatus};
use coinswarm_core::time::Timestamp;

/// What a listed product id looks like: two currency codes of 1 to 12 ASCII letters or
/// digits (any case), joined by a hyphen.
pub const PRODUCT_ID_PATTERN: &str = "^[A-Za-z0-9]{1,12}-[A-Za-z0-9]{1,12}$";

/// What a decimal string (sizes, prices, amounts) looks like on the wire.
pub const DECIMAL_PATTERN: &str = "^-?[0-9]+(\\.[0-9]+)?$";

/// The longest `client_order_id`, in characters (control characters are refused).
pub const CLIENT_ORDER_ID_MAX_CHARS: usize = 128;

/// How many items one answer of a list holds: `default` when the request names no `limit`,
/// and a `limit` outside `1..=max` is refused. Every host answers the same lists with the
/// same pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub default: usize,
    pub max: usize,
}

impl Page {
    /// The page a request's `limit` asks for.
    pub fn limit(self, limit: Option<usize>) -> Result<usize, Failure> {
        let limit = limit.unwrap_or(self.default);
        if !(1..=self.max).contains(&limit) {
            return Err(Failure::new(ErrorCode::InvalidLimit, format!("limit must be between 1 and {}", self.max)));
        }
        Ok(limit)
    }
}

/// An account's orders, fills and audit records (REST, MCP and the edge).
pub const ACCOUNT_PAGE: Page = Page { default: 100, max: 1000 };

/// The swarm's latest decisions.
pub const DECISIONS_PAGE: Page = Page { default: 50, max: 500 };

/// Past episodes a pattern search answers when the request names no `top_k`.
pub const SIMILAR_TOP_K_DEFAULT: usize = 10;

/// A product id (whether it is listed is the host's to say).
pub fn product_id(text: &str) -> Result<ProductId, Failure> {
    text.parse().map_err(|e| Failure::new(ErrorCode::InvalidProductId, format!("product_id '{text}': {e}")))
}

/// An order id.
pub fn order_id(text: &str) -> Result<OrderId, Failure> {
    text.parse().map_err(|_| Failure::new(ErrorCode::InvalidOrderId, format!("'{text}' is not an order id")))
}

/// An order status filter, in any case.
pub fn order_status(text: &str) -> Result<OrderStatus, Failure> {
    serde_json::from_value(serde_json::Value::String(text.to_ascii_uppercase()))
        .map_err(|_| Failure::new(ErrorCode::InvalidStatus, format!("unknown order status '{text}'")))
}

/// A granularity name (`ONE_HOUR`).
pub fn granularity(text: &str) -> Result<Granularity, Failure> {
    text.parse().map_err(|e| Failure::new(ErrorCode::InvalidGranularity, format!("granularity '{text}': {e}")))
}

/// A time given as RFC 3339 or a plain date, in ms; an `end` date means the end of that
/// day. `name` is the parameter's, for the message.
pub fn time(text: Option<&str>, name: &str, end: bool) -> Result<Option<i64>, Failure> {
    let Some(text) = text else { return Ok(None) };
    let parsed = if end { Timestamp::parse_inclusive_end(text) } else { Timestamp::parse(text) };
    parsed.map(|t| Some(t.millis())).map_err(|e| Failure::new(ErrorCode::InvalidTime, format!("{name} '{text}': {e}")))
}

/// How many similar episodes to return: 1 to 100, [`SIMILAR_TOP_K_DEFAULT`] when not named.
pub fn top_k(top_k: Option<usize>) -> Result<usize, Failure> {
    let top_k = top_k.unwrap_or(SIMILAR_TOP_K_DEFAULT);
    if !(1..=100).contains(&top_k) {
        return Err(Failure::new(ErrorCode::InvalidTopK, format!("top_k must be between 1 and 100, not {top_k}")));
    }
    Ok(top_k)
}

/// A pattern lifecycle filter.
pub fn lifecycle(text: &str) -> Result<&str, Failure> {
    if !crate::query::LIFECYCLES.contains(&text) {
        return Err(Failure::new(
            ErrorCode::InvalidLifecycle,
            format!("lifecycle must be candidate, active, deprecated, quarantined or deleted, not '{text}'"),
        ));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_outside_their_range_are_refused_with_the_range() {
        assert_eq!(ACCOUNT_PAGE.limit(None), Ok(100));
        assert_eq!(ACCOUNT_PAGE.limit(Some(1000)), Ok(1000));
        assert_eq!(DECISIONS_PAGE.limit(None), Ok(50));
        assert!(DECISIONS_PAGE.limit(Some(501)).is_err());
        let refused = ACCOUNT_PAGE.limit(Some(0)).unwrap_err();
        assert_eq!((refused.code, refused.status), (ErrorCode::InvalidLimit, 400));
        assert_eq!(refused.message, "limit must be between 1 and 1000");
    }

    #[test]
    fn product_ids_order_ids_and_statuses_name_the_bad_text() {
        assert_eq!(product_id("btc-usd").unwrap().to_string(), "BTC-USD");
        let bad = product_id("BTCUSD").unwrap_err();
        assert_eq!(bad.code, ErrorCode::InvalidProductId);
        assert!(bad.message.starts_with("product_id 'BTCUSD': "), "{}", bad.message);
        assert_eq!(order_id("nope").unwrap_err().message, "'nope' is not an order id");
        assert_eq!(order_status("open"), Ok(OrderStatus::Open));
        assert_eq!(order_status("DONE").unwrap_err().message, "unknown order status 'DONE'");
    }

    #[test]
    fn the_product_id_pattern_accepts_what_the_parser_accepts() {
        let accepted = ["BTC-USD", "eth-eur", "USDC-USD", "ABCDEFGHIJKL-X1"];
        let refused = ["BTCUSD", "BTC-", "-USD", "BTC-USD-EUR", "ABCDEFGHIJKLM-USD", "BT C-USD"];
        for text in accepted {
            assert!(product_id(text).is_ok(), "{text}");
            assert!(matches_product_pattern(text), "{text}");
        }
        for text in refused {
            assert!(!matches_product_pattern(text), "{text}");
        }
    }

    /// [`PRODUCT_ID_PATTERN`] by hand (the crate carries no regex engine).
    fn matches_product_pattern(text: &str) -> bool {
        let code = |c: &str| (1..=12).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_alphanumeric());
        text.split_once('-').is_some_and(|(base, quote)| code(base) && code(quote))
    }

    #[test]
    fn times_read_rfc3339_and_dates_and_an_end_date_includes_its_day() {
        let start = time(Some("2024-01-02"), "start", false).unwrap().unwrap();
        let end = time(Some("2024-01-02"), "end", true).unwrap().unwrap();
        assert!(end > start);
        assert_eq!(time(None, "start", false), Ok(None));
        let bad = time(Some("yesterday"), "at", false).unwrap_err();
        assert_eq!(bad.code, ErrorCode::InvalidTime);
        assert!(bad.message.starts_with("at 'yesterday': "), "{}", bad.message);
    }

    #[test]
    fn top_k_and_lifecycles_are_checked() {
        assert_eq!(top_k(Some(100)), Ok(100));
        assert_eq!(top_k(None), Ok(SIMILAR_TOP_K_DEFAULT));
        assert_eq!(top_k(Some(0)).unwrap_err().message, "top_k must be between 1 and 100, not 0");
        assert_eq!(lifecycle("active"), Ok("active"));
        assert_eq!(lifecycle("alive").unwrap_err().code, ErrorCode::InvalidLifecycle);
    }
}
