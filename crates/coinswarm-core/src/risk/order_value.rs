//! What an order request is worth, for the gate: its size and its notional.

use crate::order::{OrderConfiguration, OrderRequest};
use rust_decimal::Decimal;

/// The order's base size: given, or a market order's quote size at `last` (none without a
/// price).
pub fn base_size(request: &OrderRequest, last: Decimal) -> Option<Decimal> {
    match &request.order_configuration {
        OrderConfiguration::MarketMarketIoc(market) => {
            market.base_size.or_else(|| market.quote_size.filter(|_| !last.is_zero()).and_then(|q| q.checked_div(last)))
        }
        other => other.base_size(),
    }
}

/// The order's value in quote currency: size × limit price, the quote size of a market
/// order, or its base size at `last` (saturating: a huge size cannot overflow).
pub fn notional(request: &OrderRequest, last: Decimal) -> Decimal {
    match &request.order_configuration {
        OrderConfiguration::MarketMarketIoc(market) => {
            market.quote_size.or_else(|| market.base_size.map(|size| size.saturating_mul(last))).unwrap_or_default()
        }
        other => other.base_size().unwrap_or_default().saturating_mul(other.limit_price().unwrap_or_default()),
    }
}
