//! The one way to value an account for risk: equity and the snapshot the gate checks an
//! order on, at marks the caller chooses (the swarm marks its product at the price it decides
//! on; a host marks every product at its last price).

use super::oversight::AccountSnapshot;
use crate::exchange::MatchingEngine;
use crate::market::{Currency, Product, ProductId};
use rust_decimal::Decimal;

/// An account's value in one quote currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Valuation {
    /// Cash in the quote currency plus the base holdings of every listed product quoted in
    /// it, each at its mark (a product without a mark counts as zero).
    pub equity: Decimal,
    /// Products whose holding is worth at least the product's smallest order: dust (less
    /// than can be traded) is not an open position.
    pub open_positions: usize,
}

/// Values the account in `engine` in `quote`, each product at `mark(product)`. Arithmetic
/// saturates, so no balance or price can overflow it.
pub fn value_account(
    engine: &MatchingEngine,
    quote: Currency,
    mut mark: impl FnMut(&Product) -> Option<Decimal>,
) -> Valuation {
    let account = engine.account();
    let mut equity = account.balance(quote).total();
    let mut open_positions = 0;
    for listed in engine.products() {
        let base = account.balance(listed.base()).total();
        if base.is_zero() || listed.quote() != quote {
            continue;
        }
        let value = base.saturating_mul(mark(listed).unwrap_or(Decimal::ZERO));
        equity = equity.saturating_add(value);
        open_positions += usize::from(value >= listed.quote_min_size);
    }
    Valuation { equity, open_positions }
}

/// Every product at its last price.
pub fn last_prices(engine: &MatchingEngine) -> impl FnMut(&Product) -> Option<Decimal> + '_ {
    |product| engine.last_price(product.product_id)
}

/// The account as the gate checks an order on `product_id`: `valuation`, and the holding in
/// that product at `mark` (positive long, zero flat).
pub fn snapshot(
    engine: &MatchingEngine,
    product_id: ProductId,
    mark: Decimal,
    valuation: Valuation,
) -> AccountSnapshot {
    let base = engine.product(product_id).map_or(Decimal::ZERO, |p| engine.account().balance(p.base()).total());
    AccountSnapshot::new(valuation.equity, base.saturating_mul(mark), valuation.open_positions)
}
