//! The one path an order from outside the swarm takes into an account, whichever host holds
//! the account (`coinswarm up`'s session task or the edge's `AccountObject`): a halted
//! account takes none, then the exchange's rules (valid and funded?), then the pre-trade
//! gate (is the risk allowed?), checked once, before the matching engine accepts it. Also
//! what a preview says and what readers see of the account, so both hosts answer alike.

use crate::Failure;
use crate::views::{Account, Balance, OrderPreview, Position, PreviewRejection};
use coinswarm_core::exchange::{Admission, MatchingEngine, Order, OrderConfiguration, OrderRequest};
use coinswarm_core::market::Side;
use coinswarm_core::order::Rejection;
use coinswarm_core::risk::valuation::{last_prices, value_account};
use coinswarm_core::risk::{PreTradeGate, Refusal, TradingState, fees, notional};
use coinswarm_core::time::Timestamp;
use rust_decimal::Decimal;

/// Why an account did not take an order: the exchange's rules, or the pre-trade gate.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OrderRefused {
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// The pre-trade gate (halted, circuit breaker, oversight limits) refused it.
    #[error(transparent)]
    Blocked(#[from] Refusal),
}

impl OrderRefused {
    /// The stable code the caller is answered with.
    pub fn code(&self) -> &'static str {
        match self {
            OrderRefused::Rejected(rejection) => rejection.code(),
            OrderRefused::Blocked(refusal) => refusal.code(),
        }
    }

    /// The refusal as the API answers it: 422 with its code (404 for an unknown order).
    pub fn failure(&self) -> Failure {
        match self {
            OrderRefused::Rejected(rejection) => Failure::rejected(rejection),
            OrderRefused::Blocked(refusal) => Failure::refused(refusal),
        }
    }
}

/// An accepted order, and whether it repeats an earlier `client_order_id` (then it is the
/// earlier order, checked and recorded nowhere again).
#[derive(Debug, Clone)]
pub struct Placed {
    pub order: Order,
    pub repeated: bool,
}

/// Places `request` on the engine's account through `gate`; the gate counts the order
/// (its rate limit) unless it repeats an earlier one.
pub fn submit(
    engine: &mut MatchingEngine,
    gate: &mut PreTradeGate,
    request: OrderRequest,
    now: Timestamp,
) -> Result<Placed, OrderRefused> {
    if gate.trading_state(now) == TradingState::Halted {
        return Err(OrderRefused::Blocked(Refusal::Halted));
    }
    let checked = &*gate;
    let submitted = engine.submit_gated(request, now, |engine, request| {
        checked.check_request(engine, request, now).map_err(OrderRefused::from)
    })?;
    let placed = Placed { order: submitted.order.clone(), repeated: submitted.repeated };
    if !placed.repeated {
        gate.record_order(now);
    }
    Ok(placed)
}

/// Every check [`submit`] makes, placing nothing.
pub fn admit(
    engine: &MatchingEngine,
    gate: &PreTradeGate,
    request: &OrderRequest,
    now: Timestamp,
) -> Result<Admission, OrderRefused> {
    if gate.trading_state(now) == TradingState::Halted {
        return Err(OrderRefused::Blocked(Refusal::Halted));
    }
    let admission = engine.preview(request)?;
    gate.check_request(engine, request, now)?;
    Ok(admission)
}

/// What placing `request` would do now: accepted or the reason, the hold, the notional and
/// the fee estimate at the taker rate.
pub fn preview(engine: &MatchingEngine, gate: &PreTradeGate, request: &OrderRequest, now: Timestamp) -> OrderPreview {
    let notional = notional(request, engine.last_price(request.product_id).unwrap_or_default());
    // A market buy's quote size includes its fee; otherwise the fee comes on top.
    let includes_fee = request.side == Side::Buy
        && matches!(&request.order_configuration, OrderConfiguration::MarketMarketIoc(m) if m.quote_size.is_some());
    let fee = fees::estimated_taker_fee(notional, engine.config().taker_fee_bps, includes_fee);
    let mut preview = OrderPreview {
        accepted: false,
        rejection: None,
        hold_currency: None,
        hold_amount: None,
        notional,
        estimated_fee: fee.round_dp(8),
        last_price: engine.last_price(request.product_id),
        breaker: gate.breaker().state(now).as_str(),
    };
    match admit(engine, gate, request, now) {
        Ok(admission) => {
            preview.accepted = true;
            preview.hold_currency = Some(admission.hold_currency);
            preview.hold_amount = Some(admission.hold_amount);
        }
        Err(err) => preview.rejection = Some(PreviewRejection { code: err.code(), message: err.to_string() }),
    }
    preview
}

/// The account as readers see it: balances, positions at their latest prices, and equity in
/// the quote currency of its first listed product (`mode` is the host's to say).
pub fn account_view(account_id: &str, engine: &MatchingEngine) -> Account {
    let account = engine.account();
    let balances = account
        .balances()
        .iter()
        .map(|(currency, b)| Balance { currency: *currency, available: b.available, hold: b.hold, total: b.total() })
        .collect();
    let positions = account
        .positions()
        .iter()
        .map(|(product_id, position)| {
            let mark = engine.last_price(*product_id);
            Position {
                product_id: *product_id,
                size: position.size,
                average_entry_price: position.average_entry_price(),
                mark_price: mark,
                unrealised_pnl: mark.map(|m| position.unrealised_pnl(m)),
                realised_pnl: position.realised_pnl,
                fees_paid: position.fees_paid,
            }
        })
        .collect();
    let equity = engine
        .products()
        .first()
        .map_or(Decimal::ZERO, |product| value_account(engine, product.quote(), last_prices(engine)).equity);
    Account { account_id: account_id.to_string(), balances, equity, mode: None, positions, time: engine.now() }
}
