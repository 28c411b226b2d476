//! Why the exchange refused a request: typed, with a stable code and a message that says
//! what is wrong.

use crate::market::{Currency, ProductId};
use rust_decimal::Decimal;

/// A refused order, cancel, deposit or withdrawal: nothing it asked for happens. (Engine
/// time still moves to the command's time, so GTD orders that are due expire.)
///
/// [`Rejection::code`] is stable across versions (Coinbase's failure reason where one
/// exists); the message is for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("Unknown product {0}")]
    UnknownProduct(ProductId),
    #[error("Order size must be positive")]
    NonPositiveSize,
    #[error("Specify exactly one of base_size or quote_size")]
    AmbiguousSize,
    #[error("Size below product minimum: {size} < {min} {currency}")]
    SizeBelowMinimum { size: Decimal, min: Decimal, currency: Currency },
    #[error("Size above product maximum: {size} > {max} {currency}")]
    SizeAboveMaximum { size: Decimal, max: Decimal, currency: Currency },
    #[error("Order value below product minimum: {value} < {min} {currency}")]
    ValueBelowMinimum { value: Decimal, min: Decimal, currency: Currency },
    #[error("Size not a multiple of the {currency} increment {increment}")]
    SizeNotIncrement { increment: Decimal, currency: Currency },
    #[error("Price must be positive")]
    NonPositivePrice,
    #[error("Price not a multiple of the quote increment {increment}")]
    PriceNotIncrement { increment: Decimal },
    #[error("Insufficient balance: need {needed} {currency}, available {available}")]
    InsufficientBalance { currency: Currency, needed: Decimal, available: Decimal },
    #[error("Insufficient position: need {needed} {currency}, available {available}")]
    InsufficientPosition { currency: Currency, needed: Decimal, available: Decimal },
    #[error("Post-only order would cross the book: limit {limit_price}, opposite best {touch}")]
    PostOnlyWouldCross { limit_price: Decimal, touch: Decimal },
    #[error("End time must be after the current market time")]
    EndTimeNotInFuture,
    #[error("No market price for {0} yet: this order needs a price to reserve funds")]
    NoMarketPrice(ProductId),
    #[error("client_order_id must be 1 to 128 printable characters")]
    InvalidClientOrderId,
    #[error("Unknown order {0}")]
    UnknownOrder(String),
    #[error("Cannot cancel filled order")]
    CannotCancelFilled,
    #[error("Cannot cancel {0} order")]
    OrderNotLive(&'static str),
    #[error("Amount must be positive")]
    NonPositiveAmount,
    #[error("Product {0} is already listed with other rules")]
    ProductConflict(ProductId),
    #[error("Invalid product {product_id}: {reason}")]
    InvalidProduct { product_id: ProductId, reason: &'static str },
    #[error("{field} must be at most {max}")]
    OutOfRange { field: &'static str, max: Decimal },
    #[error("End time out of range: it must be before the year 10000")]
    EndTimeOutOfRange,
    #[error("{kind} is not supported for {side} orders: {reason}")]
    UnsupportedOrderConfiguration { kind: &'static str, side: &'static str, reason: &'static str },
    #[error(
        "Bracket stop_trigger_price {stop_trigger_price} must be {relation} limit_price {limit_price} for a {side}"
    )]
    BracketStopOnWrongSide {
        side: &'static str,
        relation: &'static str,
        stop_trigger_price: Decimal,
        limit_price: Decimal,
    },
    #[error(
        "Stop price {stop_price} is not below the last trade price {last_price}: a STOP_DOWN stop (or a SELL bracket's) must trigger below the market"
    )]
    StopPriceAboveLastTradePrice { stop_price: Decimal, last_price: Decimal },
    #[error(
        "Stop price {stop_price} is not above the last trade price {last_price}: a STOP_UP stop (or a BUY bracket's) must trigger above the market"
    )]
    StopPriceBelowLastTradePrice { stop_price: Decimal, last_price: Decimal },
    #[error("The venue's report on order {order_id} does not fit it: {reason}")]
    InvalidVenueReport { order_id: String, reason: String },
}

impl Rejection {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::UnknownProduct(_) => "INVALID_PRODUCT_ID",
            Rejection::NonPositiveSize => "INVALID_SIZE",
            Rejection::AmbiguousSize => "INVALID_SIZE_SPECIFICATION",
            Rejection::SizeBelowMinimum { .. } => "SIZE_BELOW_MINIMUM",
            Rejection::SizeAboveMaximum { .. } => "SIZE_ABOVE_MAXIMUM",
            Rejection::ValueBelowMinimum { .. } => "ORDER_VALUE_BELOW_MINIMUM",
            Rejection::SizeNotIncrement { .. } => "INVALID_SIZE_PRECISION",
            Rejection::NonPositivePrice => "INVALID_PRICE",
            Rejection::PriceNotIncrement { .. } => "INVALID_PRICE_PRECISION",
            Rejection::InsufficientBalance { .. } => "INSUFFICIENT_FUND",
            Rejection::InsufficientPosition { .. } => "INSUFFICIENT_POSITION",
            Rejection::PostOnlyWouldCross { .. } => "INVALID_LIMIT_PRICE_POST_ONLY",
            Rejection::EndTimeNotInFuture => "INVALID_END_TIME",
            Rejection::NoMarketPrice(_) => "INVALID_NO_LIQUIDITY",
            Rejection::InvalidClientOrderId => "INVALID_CLIENT_ORDER_ID",
            Rejection::UnknownOrder(_) => "UNKNOWN_ORDER",
            Rejection::CannotCancelFilled => "CANNOT_CANCEL_FILLED",
            Rejection::OrderNotLive(_) => "ORDER_NOT_OPEN",
            Rejection::NonPositiveAmount => "INVALID_AMOUNT",
            Rejection::ProductConflict(_) => "PRODUCT_CONFLICT",
            Rejection::InvalidProduct { .. } => "INVALID_PRODUCT",
            Rejection::OutOfRange { .. } => "VALUE_OUT_OF_RANGE",
            Rejection::EndTimeOutOfRange => "INVALID_END_TIME",
            Rejection::UnsupportedOrderConfiguration { .. } => "UNSUPPORTED_ORDER_CONFIGURATION",
            Rejection::BracketStopOnWrongSide { .. } => "INVALID_STOP_TRIGGER_PRICE",
            Rejection::StopPriceAboveLastTradePrice { .. } => "PREVIEW_STOP_PRICE_ABOVE_LAST_TRADE_PRICE",
            Rejection::StopPriceBelowLastTradePrice { .. } => "PREVIEW_STOP_PRICE_BELOW_LAST_TRADE_PRICE",
            Rejection::InvalidVenueReport { .. } => "INVALID_VENUE_REPORT",
        }
    }
}
