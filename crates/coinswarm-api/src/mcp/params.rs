//! The MCP tools' parameters, as every host reads them: JSON-schema'd, unknown fields
//! refused, and turned into the same [`OrderRequest`] `POST /api/orders` takes (every rule
//! of the order path then applies on the host).

use crate::{ErrorCode, Failure};
use coinswarm_core::exchange::OrderRequest;
use coinswarm_core::market::{ProductId, Side};
use coinswarm_core::order::{LimitGtc, LimitGtd, MarketIoc, OrderConfiguration, StopDirection, StopLimitGtc};
use coinswarm_core::time::Timestamp;
use rmcp::schemars;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductParams {
    /// A listed product, e.g. "BTC-USD".
    pub product_id: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CandlesParams {
    /// A listed product, e.g. "BTC-USD".
    pub product_id: String,
    /// First bar's start: RFC 3339 ("2019-01-01T00:00:00Z") or a plain date ("2019-01-01").
    pub start: Option<String>,
    /// Last bar's start (a plain date includes the whole day).
    pub end: Option<String>,
    /// Coinbase's granularity name, e.g. "ONE_HOUR" (the feed's, when absent).
    pub granularity: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountParams {
    /// The account (the key's own when absent; only admin keys see others).
    pub account_id: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListOrdersParams {
    /// OPEN, FILLED, CANCELLED, EXPIRED, FAILED or PENDING.
    pub status: Option<String>,
    pub product_id: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TradesParams {
    pub product_id: Option<String>,
    /// Most fills to return, newest first (1 to 1000, default 100).
    pub limit: Option<usize>,
}

/// Any order, for a preview.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewParams {
    /// "market", "limit" or "stop_limit".
    pub order_type: String,
    pub product_id: String,
    /// "BUY" or "SELL".
    pub side: String,
    /// Base currency amount, a decimal string (e.g. "0.01").
    pub base_size: Option<String>,
    /// Quote currency amount (market orders only), a decimal string.
    pub quote_size: Option<String>,
    pub limit_price: Option<String>,
    pub stop_price: Option<String>,
    /// "UP" (triggers at or above stop_price) or "DOWN" (at or below).
    pub stop_direction: Option<String>,
    pub post_only: Option<bool>,
    /// Good until this time (limit orders): RFC 3339.
    pub end_time: Option<String>,
    pub client_order_id: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MarketOrderParams {
    pub product_id: String,
    /// "BUY" or "SELL".
    pub side: String,
    /// Base currency amount, a decimal string; give this or quote_size.
    pub base_size: Option<String>,
    /// Quote currency amount, a decimal string (a buy spends it including the fee).
    pub quote_size: Option<String>,
    /// Your idempotency key: a retry with the same id returns the first order.
    pub client_order_id: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitOrderParams {
    pub product_id: String,
    /// "BUY" or "SELL".
    pub side: String,
    /// Base currency amount, a decimal string.
    pub base_size: String,
    /// Limit price in quote currency, a decimal string.
    pub limit_price: String,
    /// Refuse the order rather than take liquidity.
    pub post_only: Option<bool>,
    /// Good until this time (RFC 3339); good until cancelled when absent.
    pub end_time: Option<String>,
    pub client_order_id: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StopLimitOrderParams {
    pub product_id: String,
    /// "BUY" or "SELL".
    pub side: String,
    pub base_size: String,
    pub limit_price: String,
    /// The trigger price.
    pub stop_price: String,
    /// "UP" (triggers at or above stop_price) or "DOWN" (at or below).
    pub stop_direction: String,
    pub client_order_id: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderIdParams {
    pub order_id: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BacktestParams {
    /// A bundled data set: "bitfinex-btcusd-1h", "bitfinex-daily" or "bitstamp-daily".
    pub data: String,
    /// committee, trend, mean_reversion, recall, buy_and_hold or sma_cross.
    pub strategy: String,
    /// First bar (RFC 3339 or a plain date); the data's first when absent.
    pub from: Option<String>,
    /// Last bar (a plain date includes the day); the data's last when absent.
    pub to: Option<String>,
    pub params: Option<BacktestOptions>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BacktestOptions {
    /// The data set's product (its first when absent), e.g. "ETH-USD".
    pub product_id: Option<String>,
    /// Starting cash, a decimal string (default "100000").
    pub capital: Option<String>,
    /// Taker fee in basis points, a decimal string (default "60").
    pub fee_bps: Option<String>,
    /// sma_cross's fast and slow periods (default 10 and 30).
    pub fast: Option<usize>,
    pub slow: Option<usize>,
    /// Add the recall agent (pattern memory) to the committee.
    pub recall: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SimilarParams {
    pub product_id: String,
    /// The market state at the last decision at or before this time (RFC 3339); now when absent.
    pub at: Option<String>,
    /// How many past episodes (1 to 100, default 10).
    pub top_k: Option<usize>,
}

pub fn decimal(name: &str, text: &str) -> Result<Decimal, Failure> {
    text.trim()
        .parse::<Decimal>()
        .map_err(|_| Failure::new(ErrorCode::InvalidNumber, format!("{name} '{text}' is not a decimal number")))
}

pub fn optional_decimal(name: &str, text: Option<&str>) -> Result<Option<Decimal>, Failure> {
    text.map(|t| decimal(name, t)).transpose()
}

/// A Coinbase-shaped order request from a preview's fields, built with the request's
/// constructors (every rule of `POST /api/orders` then applies in the host). The end time is
/// read before the product id, in the order the REST body's parser reads them.
pub fn order_request(p: &PreviewParams) -> Result<OrderRequest, Failure> {
    let side = match p.side.trim().to_ascii_uppercase().as_str() {
        "BUY" => Side::Buy,
        "SELL" => Side::Sell,
        _ => return Err(Failure::new(ErrorCode::InvalidSide, format!("side must be BUY or SELL, not '{}'", p.side))),
    };
    let size = |name: &str, v: &Option<String>| optional_decimal(name, v.as_deref());
    let required = |name: &str, v: &Option<String>| -> Result<Decimal, Failure> {
        size(name, v)?.ok_or_else(|| {
            Failure::new(ErrorCode::MissingField, format!("{name} is required for a {} order", p.order_type))
        })
    };
    let invalid = |e: &dyn std::fmt::Display| Failure::new(ErrorCode::InvalidOrder, e.to_string());
    let configuration = match p.order_type.trim().to_ascii_lowercase().as_str() {
        "market" => {
            let (base_size, quote_size) = (size("base_size", &p.base_size)?, size("quote_size", &p.quote_size)?);
            OrderConfiguration::MarketMarketIoc(MarketIoc { base_size, quote_size })
        }
        "limit" => {
            let (base_size, limit_price) =
                (required("base_size", &p.base_size)?, required("limit_price", &p.limit_price)?);
            let post_only = p.post_only.unwrap_or(false);
            match &p.end_time {
                None => OrderConfiguration::LimitLimitGtc(LimitGtc { base_size, limit_price, post_only }),
                Some(end) => {
                    let end_time = Timestamp::parse(end).map_err(|e| invalid(&e))?;
                    OrderConfiguration::LimitLimitGtd(LimitGtd { base_size, limit_price, end_time, post_only })
                }
            }
        }
        "stop_limit" => {
            let (base_size, limit_price) =
                (required("base_size", &p.base_size)?, required("limit_price", &p.limit_price)?);
            let stop_price = required("stop_price", &p.stop_price)?;
            let stop_direction = match p.stop_direction.as_deref().map(|d| d.trim().to_ascii_uppercase()).as_deref() {
                Some("UP" | "STOP_DIRECTION_STOP_UP") => StopDirection::StopUp,
                Some("DOWN" | "STOP_DIRECTION_STOP_DOWN") => StopDirection::StopDown,
                _ => return Err(Failure::new(ErrorCode::InvalidStopDirection, "stop_direction must be UP or DOWN")),
            };
            OrderConfiguration::StopLimitStopLimitGtc(StopLimitGtc {
                base_size,
                limit_price,
                stop_price,
                stop_direction,
            })
        }
        other => {
            return Err(Failure::new(
                ErrorCode::InvalidOrderType,
                format!("order_type must be market, limit or stop_limit, not '{other}'"),
            ));
        }
    };
    let product_id = ProductId::parse(&p.product_id).map_err(|e| invalid(&e))?;
    let request = OrderRequest::new(product_id, side, configuration);
    Ok(match &p.client_order_id {
        Some(id) => request.with_client_order_id(id.clone()),
        None => request,
    })
}

impl From<MarketOrderParams> for PreviewParams {
    fn from(p: MarketOrderParams) -> Self {
        Self {
            order_type: "market".into(),
            product_id: p.product_id,
            side: p.side,
            base_size: p.base_size,
            quote_size: p.quote_size,
            limit_price: None,
            stop_price: None,
            stop_direction: None,
            post_only: None,
            end_time: None,
            client_order_id: p.client_order_id,
        }
    }
}

impl From<LimitOrderParams> for PreviewParams {
    fn from(p: LimitOrderParams) -> Self {
        Self {
            order_type: "limit".into(),
            product_id: p.product_id,
            side: p.side,
            base_size: Some(p.base_size),
            quote_size: None,
            limit_price: Some(p.limit_price),
            stop_price: None,
            stop_direction: None,
            post_only: p.post_only,
            end_time: p.end_time,
            client_order_id: p.client_order_id,
        }
    }
}

impl From<StopLimitOrderParams> for PreviewParams {
    fn from(p: StopLimitOrderParams) -> Self {
        Self {
            order_type: "stop_limit".into(),
            product_id: p.product_id,
            side: p.side,
            base_size: Some(p.base_size),
            quote_size: None,
            limit_price: Some(p.limit_price),
            stop_price: Some(p.stop_price),
            stop_direction: Some(p.stop_direction),
            post_only: None,
            end_time: None,
            client_order_id: p.client_order_id,
        }
    }
}
