//! Admission of an order request: every check, and the funds it must reserve.

use super::config::Rates;
use super::limits::{MAX_PRICE, MAX_SIZE};
use super::pricing::{ceil_to, is_multiple, is_positive, taker_price};
use crate::ledger::Account;
use crate::market::{Currency, Product, Quote, Side};
use crate::order::Rejection;
use crate::order::{OrderConfiguration, OrderRequest, StopDirection};
use crate::order::{OrderStatus, TriggerStatus};
use crate::time::Timestamp;
use chrono::Datelike;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What accepting a request would do: the funds it reserves and the state it starts in.
/// [`MatchingEngine::preview`](super::MatchingEngine::preview) returns it without placing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Admission {
    pub hold_currency: Currency,
    /// Reserved at acceptance: for buys the worst-case cost including the fee (an estimate
    /// from the current price for market buys by base size); for sells the base size.
    pub hold_amount: Decimal,
    pub status: OrderStatus,
    pub trigger_status: TriggerStatus,
}

/// The market as validation sees it: the current quote, if any, and the last price.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MarketView<'a> {
    pub product: &'a Product,
    pub quote: Option<&'a Quote>,
    pub last_price: Option<Decimal>,
}

impl MarketView<'_> {
    /// The best opposite price a buyer (ask) or seller (bid) would meet, or the last price.
    pub fn touch(&self, side: Side) -> Option<Decimal> {
        match (self.quote, side) {
            (Some(q), Side::Buy) => Some(q.ask),
            (Some(q), Side::Sell) => Some(q.bid),
            (None, _) => self.last_price,
        }
    }
}

/// Checks `request` against the product rules, the market and the account's balances.
pub(crate) fn admit(
    request: &OrderRequest,
    market: MarketView<'_>,
    account: &Account,
    rates: &Rates,
    now: Timestamp,
) -> Result<Admission, Rejection> {
    if let Some(id) = &request.client_order_id
        && (id.is_empty() || id.chars().count() > 128 || id.chars().any(char::is_control))
    {
        return Err(Rejection::InvalidClientOrderId);
    }
    let product = market.product;
    let side = request.side;
    let touch = market.touch(side);
    let (hold_amount, status, trigger_status) = match &request.order_configuration {
        OrderConfiguration::MarketMarketIoc(market_ioc) => {
            let hold = match (market_ioc.base_size, market_ioc.quote_size) {
                (Some(size), None) => {
                    check_base_size(size, product)?;
                    if let Some(price) = touch {
                        check_value(price * size, product)?;
                    }
                    match side {
                        Side::Sell => size,
                        Side::Buy => {
                            let touch = touch.ok_or(Rejection::NoMarketPrice(product.product_id))?;
                            let price = taker_price(side, touch, rates, product.quote_increment, None);
                            price * size * rates.taker_cost_factor
                        }
                    }
                }
                (None, Some(quote_size)) => {
                    if !is_positive(quote_size) {
                        return Err(Rejection::NonPositiveSize);
                    }
                    if quote_size > MAX_SIZE {
                        return Err(Rejection::OutOfRange { field: "quote_size", max: MAX_SIZE });
                    }
                    if !is_multiple(quote_size, product.quote_increment) {
                        return Err(Rejection::SizeNotIncrement {
                            increment: product.quote_increment,
                            currency: product.quote(),
                        });
                    }
                    check_value(quote_size, product)?;
                    match side {
                        Side::Buy => quote_size,
                        Side::Sell => {
                            let touch = touch.ok_or(Rejection::NoMarketPrice(product.product_id))?;
                            let worst = taker_price(side, touch, rates, product.quote_increment, None);
                            ceil_to(quote_size / worst, product.base_increment)
                        }
                    }
                }
                _ => return Err(Rejection::AmbiguousSize),
            };
            (hold, OrderStatus::Pending, TriggerStatus::InvalidOrderType)
        }
        config_ @ (OrderConfiguration::LimitLimitGtc(_)
        | OrderConfiguration::LimitLimitGtd(_)
        | OrderConfiguration::StopLimitStopLimitGtc(_)
        | OrderConfiguration::TriggerBracketGtc(_)) => {
            let size = config_.base_size().expect("limit orders are base-sized");
            let limit = config_.limit_price().expect("limit orders have a limit price");
            check_base_size(size, product)?;
            check_price("limit_price", limit, product)?;
            let mut trigger_status = TriggerStatus::InvalidOrderType;
            if let OrderConfiguration::StopLimitStopLimitGtc(stop) = config_ {
                check_price("stop_price", stop.stop_price, product)?;
                check_stop_against_last(
                    stop.stop_direction == StopDirection::StopDown,
                    stop.stop_price,
                    market.last_price,
                )?;
                trigger_status = TriggerStatus::StopPending;
            }
            if let OrderConfiguration::TriggerBracketGtc(bracket) = config_ {
                let stop = bracket.stop_trigger_price;
                check_price("stop_trigger_price", stop, product)?;
                // A SELL bracket's stop sits below its take-profit, a BUY's above.
                let (beyond, relation) = match side {
                    Side::Sell => (stop < limit, "below"),
                    Side::Buy => (stop > limit, "above"),
                };
                if !beyond {
                    return Err(Rejection::BracketStopOnWrongSide {
                        side: side.as_str(),
                        relation,
                        stop_trigger_price: stop,
                        limit_price: limit,
                    });
                }
                check_stop_against_last(side == Side::Sell, stop, market.last_price)?;
                trigger_status = TriggerStatus::StopPending;
            }
            check_value(limit * size, product)?;
            if let Some(end_time) = config_.end_time() {
                if end_time <= now {
                    return Err(Rejection::EndTimeNotInFuture);
                }
                if end_time.to_datetime().is_none_or(|t| t.year() > 9999) {
                    return Err(Rejection::EndTimeOutOfRange);
                }
            }
            if config_.post_only()
                && let Some(touch) = touch
            {
                let crosses = match side {
                    Side::Buy => limit >= touch,
                    Side::Sell => limit <= touch,
                };
                if crosses {
                    return Err(Rejection::PostOnlyWouldCross { limit_price: limit, touch });
                }
            }
            let cost_factor = if config_.post_only() { rates.maker_cost_factor } else { rates.taker_cost_factor };
            // A BUY bracket may fill at its stop-limit, above both its limit and its trigger.
            let worst_price = match config_ {
                OrderConfiguration::TriggerBracketGtc(bracket) if side == Side::Buy => {
                    ceil_to(bracket.stop_trigger_price * (Decimal::ONE + rates.bracket_band), product.quote_increment)
                }
                _ => limit,
            };
            let hold = match side {
                Side::Buy => worst_price * size * cost_factor,
                Side::Sell => size,
            };
            (hold, OrderStatus::Open, trigger_status)
        }
    };
    let hold_currency = match side {
        Side::Buy => product.quote(),
        Side::Sell => product.base(),
    };
    let available = account.balance(hold_currency).available;
    if available < hold_amount {
        let needed = hold_amount;
        return Err(match side {
            Side::Buy => Rejection::InsufficientBalance { currency: hold_currency, needed, available },
            Side::Sell => Rejection::InsufficientPosition { currency: hold_currency, needed, available },
        });
    }
    Ok(Admission { hold_currency, hold_amount, status, trigger_status })
}

/// Coinbase refuses a stop that would trigger at once: one triggering on a fall (`down`) must
/// sit below the last trade price, one triggering on a rise above it. Without a last price
/// there is nothing to check against.
fn check_stop_against_last(down: bool, stop_price: Decimal, last_price: Option<Decimal>) -> Result<(), Rejection> {
    let Some(last_price) = last_price else { return Ok(()) };
    match down {
        true if stop_price >= last_price => Err(Rejection::StopPriceAboveLastTradePrice { stop_price, last_price }),
        false if stop_price <= last_price => Err(Rejection::StopPriceBelowLastTradePrice { stop_price, last_price }),
        _ => Ok(()),
    }
}

fn check_base_size(size: Decimal, product: &Product) -> Result<(), Rejection> {
    let currency = product.base();
    if !is_positive(size) {
        return Err(Rejection::NonPositiveSize);
    }
    if !is_multiple(size, product.base_increment) {
        return Err(Rejection::SizeNotIncrement { increment: product.base_increment, currency });
    }
    if size < product.base_min_size {
        return Err(Rejection::SizeBelowMinimum { size, min: product.base_min_size, currency });
    }
    if size > product.base_max_size {
        return Err(Rejection::SizeAboveMaximum { size, max: product.base_max_size, currency });
    }
    Ok(())
}

fn check_price(field: &'static str, price: Decimal, product: &Product) -> Result<(), Rejection> {
    if !is_positive(price) {
        return Err(Rejection::NonPositivePrice);
    }
    if price > MAX_PRICE {
        return Err(Rejection::OutOfRange { field, max: MAX_PRICE });
    }
    if !is_multiple(price, product.quote_increment) {
        return Err(Rejection::PriceNotIncrement { increment: product.quote_increment });
    }
    Ok(())
}

fn check_value(value: Decimal, product: &Product) -> Result<(), Rejection> {
    if value < product.quote_min_size {
        return Err(Rejection::ValueBelowMinimum { value, min: product.quote_min_size, currency: product.quote() });
    }
    Ok(())
}
