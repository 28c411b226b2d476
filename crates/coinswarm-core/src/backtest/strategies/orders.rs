//! Order helpers shared by the simple strategies: all-in buys and full exits at market.

use crate::exchange::{MatchingEngine, OrderRequest};
use crate::market::{Product, Side};
use crate::time::Timestamp;
use rust_decimal::Decimal;

/// Spends `fraction` (0..=1) of the available quote currency on a market buy by quote size
/// (which the exchange treats as the total spent, fee included). Does nothing when that is
/// below the product's minimum order value. Returns whether an order was accepted (a
/// rejection, e.g. no price yet, leaves the strategy flat to try again at the next bar).
pub(super) fn buy_with_cash(engine: &mut MatchingEngine, product: &Product, fraction: Decimal, now: Timestamp) -> bool {
    let cash = engine.account().balance(product.quote()).available;
    let spend = round_down(cash * fraction, product.quote_increment);
    spend >= product.quote_min_size
        && spend > Decimal::ZERO
        && engine.submit(OrderRequest::market_quote(product.product_id, Side::Buy, spend), now).is_ok()
}

/// Sells every available unit of the product's base currency at market.
pub(super) fn sell_all(engine: &mut MatchingEngine, product: &Product, now: Timestamp) {
    let base = round_down(engine.account().balance(product.base()).available, product.base_increment);
    if base >= product.base_min_size && base > Decimal::ZERO {
        let _ = engine.submit(OrderRequest::market(product.product_id, Side::Sell, base), now);
    }
}

/// Whether the account holds a tradable amount of the product's base currency.
pub(super) fn holds(engine: &MatchingEngine, product: &Product) -> bool {
    engine.account().balance(product.base()).total() >= product.base_min_size.max(product.base_increment)
}

/// Whether the product has an order still working (a decision already in flight).
pub(super) fn has_working_order(engine: &MatchingEngine, product: &Product) -> bool {
    !engine.account().live_orders(product.product_id).is_empty()
}

fn round_down(value: Decimal, increment: Decimal) -> Decimal {
    if increment.is_zero() { value } else { (value / increment).floor() * increment }
}
