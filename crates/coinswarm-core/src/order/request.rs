//! Order requests in Coinbase Advanced Trade's `create order` shape.

use crate::market::{ProductId, Side};
use crate::time::{self, Timestamp};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A request to place an order, as Coinbase's `POST /orders` body:
/// `{"client_order_id", "product_id", "side", "order_configuration": {"limit_limit_gtc": {…}}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderRequest {
    /// Caller's idempotency key: a repeat returns the first order, never a second one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_order_id: Option<String>,
    pub product_id: ProductId,
    pub side: Side,
    pub order_configuration: OrderConfiguration,
}

/// The order type and its parameters; exactly one key, as in Coinbase's API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum OrderConfiguration {
    MarketMarketIoc(MarketIoc),
    LimitLimitGtc(LimitGtc),
    LimitLimitGtd(LimitGtd),
    StopLimitStopLimitGtc(StopLimitGtc),
    TriggerBracketGtc(TriggerBracketGtc),
}

/// Market order, immediate-or-cancel. Exactly one of the sizes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct MarketIoc {
    /// Amount of base currency to buy or sell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_size: Option<Decimal>,
    /// Amount of quote currency: for a buy, the total to spend including the fee; for a
    /// sell, the gross proceeds wanted before the fee.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote_size: Option<Decimal>,
}

/// Limit order, good till cancelled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitGtc {
    pub base_size: Decimal,
    pub limit_price: Decimal,
    /// Reject instead of taking liquidity if the order would cross on arrival.
    #[serde(default)]
    pub post_only: bool,
}

/// Limit order, good till `end_time` (RFC 3339 on the wire).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitGtd {
    pub base_size: Decimal,
    pub limit_price: Decimal,
    #[serde(with = "time::rfc3339")]
    pub end_time: Timestamp,
    #[serde(default)]
    pub post_only: bool,
}

/// Stop-limit order, good till cancelled: becomes a limit order at `limit_price` once the
/// last price reaches `stop_price` in `stop_direction`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StopLimitGtc {
    pub base_size: Decimal,
    pub limit_price: Decimal,
    pub stop_price: Decimal,
    pub stop_direction: StopDirection,
}

/// Bracket order, good till cancelled: one SELL order closing a long, with a take-profit
/// limit at `limit_price` (above the market) and a stop at `stop_trigger_price` (below).
/// Whichever is reached first fills the order; being one order, the other side can never
/// fill as well (one-cancels-the-other by construction). When one event reaches both, the
/// stop fills: see the [module docs](super).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriggerBracketGtc {
    pub base_size: Decimal,
    pub limit_price: Decimal,
    pub stop_trigger_price: Decimal,
}

/// Which way the last price must move to trigger a stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StopDirection {
    /// Trigger when the last price is at or above the stop price.
    #[serde(rename = "STOP_DIRECTION_STOP_UP")]
    StopUp,
    /// Trigger when the last price is at or below the stop price.
    #[serde(rename = "STOP_DIRECTION_STOP_DOWN")]
    StopDown,
}

impl StopDirection {
    /// Whether a last price of `price` triggers a stop at `stop`.
    pub fn is_triggered(self, stop: Decimal, price: Decimal) -> bool {
        match self {
            StopDirection::StopUp => price >= stop,
            StopDirection::StopDown => price <= stop,
        }
    }
}

impl OrderConfiguration {
    /// The limit price, for limit, stop-limit and bracket (the take-profit) orders.
    pub fn limit_price(&self) -> Option<Decimal> {
        match self {
            OrderConfiguration::MarketMarketIoc(_) => None,
            OrderConfiguration::LimitLimitGtc(c) => Some(c.limit_price),
            OrderConfiguration::LimitLimitGtd(c) => Some(c.limit_price),
            OrderConfiguration::StopLimitStopLimitGtc(c) => Some(c.limit_price),
            OrderConfiguration::TriggerBracketGtc(c) => Some(c.limit_price),
        }
    }

    /// The base size, when the order is sized in base currency.
    pub fn base_size(&self) -> Option<Decimal> {
        match self {
            OrderConfiguration::MarketMarketIoc(c) => c.base_size,
            OrderConfiguration::LimitLimitGtc(c) => Some(c.base_size),
            OrderConfiguration::LimitLimitGtd(c) => Some(c.base_size),
            OrderConfiguration::StopLimitStopLimitGtc(c) => Some(c.base_size),
            OrderConfiguration::TriggerBracketGtc(c) => Some(c.base_size),
        }
    }

    pub fn post_only(&self) -> bool {
        match self {
            OrderConfiguration::LimitLimitGtc(c) => c.post_only,
            OrderConfiguration::LimitLimitGtd(c) => c.post_only,
            _ => false,
        }
    }

    pub fn end_time(&self) -> Option<Timestamp> {
        match self {
            OrderConfiguration::LimitLimitGtd(c) => Some(c.end_time),
            _ => None,
        }
    }

    pub fn is_market(&self) -> bool {
        matches!(self, OrderConfiguration::MarketMarketIoc(_))
    }

    /// Coinbase's name of the configuration, e.g. `limit_limit_gtc`.
    pub fn kind(&self) -> &'static str {
        match self {
            OrderConfiguration::MarketMarketIoc(_) => "market_market_ioc",
            OrderConfiguration::LimitLimitGtc(_) => "limit_limit_gtc",
            OrderConfiguration::LimitLimitGtd(_) => "limit_limit_gtd",
            OrderConfiguration::StopLimitStopLimitGtc(_) => "stop_limit_stop_limit_gtc",
            OrderConfiguration::TriggerBracketGtc(_) => "trigger_bracket_gtc",
        }
    }
}

impl OrderRequest {
    /// A market order for `base_size` of the base currency.
    pub fn market(product_id: ProductId, side: Side, base_size: Decimal) -> Self {
        Self::new(
            product_id,
            side,
            OrderConfiguration::MarketMarketIoc(MarketIoc { base_size: Some(base_size), quote_size: None }),
        )
    }

    /// A market order for `quote_size` of the quote currency.
    pub fn market_quote(product_id: ProductId, side: Side, quote_size: Decimal) -> Self {
        Self::new(
            product_id,
            side,
            OrderConfiguration::MarketMarketIoc(MarketIoc { base_size: None, quote_size: Some(quote_size) }),
        )
    }

    /// A good-till-cancelled limit order.
    pub fn limit(product_id: ProductId, side: Side, base_size: Decimal, limit_price: Decimal) -> Self {
        Self::new(
            product_id,
            side,
            OrderConfiguration::LimitLimitGtc(LimitGtc { base_size, limit_price, post_only: false }),
        )
    }

    /// A bracket closing a long: sells `base_size` at `limit_price` (take-profit) or at the
    /// stop once the last price reaches `stop_trigger_price`, whichever comes first.
    pub fn bracket(
        product_id: ProductId,
        base_size: Decimal,
        limit_price: Decimal,
        stop_trigger_price: Decimal,
    ) -> Self {
        Self::new(
            product_id,
            Side::Sell,
            OrderConfiguration::TriggerBracketGtc(TriggerBracketGtc { base_size, limit_price, stop_trigger_price }),
        )
    }

    pub fn new(product_id: ProductId, side: Side, order_configuration: OrderConfiguration) -> Self {
        Self { client_order_id: None, product_id, side, order_configuration }
    }

    /// The same request with an idempotency key.
    pub fn with_client_order_id(mut self, id: impl Into<String>) -> Self {
        self.client_order_id = Some(id.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_use_coinbase_wire_shapes() {
        let json = r#"{"client_order_id":"abc","product_id":"BTC-USD","side":"BUY",
            "order_configuration":{"limit_limit_gtd":{"base_size":"0.5","limit_price":"30000.00",
            "end_time":"2024-01-02T00:00:00Z","post_only":true}}}"#;
        let request: OrderRequest = serde_json::from_str(json).unwrap();
        assert_eq!(request.order_configuration.kind(), "limit_limit_gtd");
        assert_eq!(request.order_configuration.end_time(), Some(Timestamp::parse("2024-01-02").unwrap()));
        let back = serde_json::to_value(&request).unwrap();
        assert_eq!(back["order_configuration"]["limit_limit_gtd"]["end_time"], "2024-01-02T00:00:00Z");
        assert_eq!(back["order_configuration"]["limit_limit_gtd"]["limit_price"], "30000.00");

        let stop = r#"{"product_id":"BTC-USD","side":"SELL","order_configuration":{"stop_limit_stop_limit_gtc":
            {"base_size":"1","limit_price":"99","stop_price":"100","stop_direction":"STOP_DIRECTION_STOP_DOWN"}}}"#;
        let request: OrderRequest = serde_json::from_str(stop).unwrap();
        assert!(matches!(
            request.order_configuration,
            OrderConfiguration::StopLimitStopLimitGtc(StopLimitGtc { stop_direction: StopDirection::StopDown, .. })
        ));

        let bracket = r#"{"product_id":"BTC-USD","side":"SELL","order_configuration":{"trigger_bracket_gtc":
            {"base_size":"1","limit_price":"110.00","stop_trigger_price":"95.00"}}}"#;
        let request: OrderRequest = serde_json::from_str(bracket).unwrap();
        assert_eq!(request.order_configuration.kind(), "trigger_bracket_gtc");
        assert_eq!(request.order_configuration.limit_price(), Some(Decimal::new(11000, 2)));
        let back = serde_json::to_value(&request).unwrap();
        assert_eq!(back["order_configuration"]["trigger_bracket_gtc"]["stop_trigger_price"], "95.00");
    }

    #[test]
    fn unknown_order_types_and_fields_are_refused() {
        let bad = r#"{"product_id":"BTC-USD","side":"BUY","order_configuration":{"twap":{}}}"#;
        assert!(serde_json::from_str::<OrderRequest>(bad).is_err());
        let typo = r#"{"product_id":"BTC-USD","side":"BUY","order_configuration":{"market_market_ioc":{"size":"1"}}}"#;
        assert!(serde_json::from_str::<OrderRequest>(typo).is_err());
    }
}
