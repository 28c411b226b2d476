//! Every error code the API answers, with the HTTP status it answers it with.
//!
//! The codes are stable across versions: clients branch on them, the MCP tools carry them in
//! their error data, and the second host (the edge Worker) must answer the same ones. The
//! exchange's codes are Coinbase's failure reasons where one exists
//! ([`coinswarm_core::order::Rejection::code`]), the pre-trade gate's are
//! [`coinswarm_core::risk::Refusal::code`].

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

macro_rules! error_codes {
    ($( $(#[doc = $doc:literal])* $variant:ident = $code:literal => $status:literal, )*) => {
        /// A stable, machine-readable reason for a refused request.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ErrorCode {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            /// The code as clients see it, e.g. `INSUFFICIENT_FUND`.
            pub const fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }

            /// The HTTP status the API answers this code with. (A few codes keep another
            /// status where one path has always answered differently: see
            /// [`Failure::with_status`](crate::Failure::with_status).)
            pub const fn status(self) -> u16 {
                match self { $(ErrorCode::$variant => $status,)* }
            }

            /// The code named `text` exactly (upper case), if the API answers it.
            pub fn parse(text: &str) -> Option<ErrorCode> {
                match text { $($code => Some(ErrorCode::$variant),)* _ => None }
            }
        }
    };
}

error_codes! {
    // Authentication, authorisation and request budgets.
    /// No key, a malformed `Authorization` header, or an unknown or revoked key.
    Unauthorized = "UNAUTHORIZED" => 401,
    /// The key lacks the scope the route needs.
    Forbidden = "FORBIDDEN" => 403,
    /// Placing orders on (or resuming the swarm of) a live account needs the `live` scope.
    LiveScopeRequired = "LIVE_SCOPE_REQUIRED" => 403,
    /// The key spent its request budget (token bucket); see `Retry-After`.
    RateLimited = "RATE_LIMITED" => 429,
    /// Too many failed authentications from one address; see `Retry-After`.
    TooManyFailedAuthentications = "TOO_MANY_FAILED_AUTHENTICATIONS" => 429,
    /// The key holds as many MCP sessions as it may; see `Retry-After`.
    TooManyMcpSessions = "TOO_MANY_MCP_SESSIONS" => 429,
    /// The server's (or this address's) connections are full; see `Retry-After`.
    TooManyConnections = "TOO_MANY_CONNECTIONS" => 503,

    // The request's shape.
    /// No route has this path.
    NotFound = "NOT_FOUND" => 404,
    /// An MCP session id that is unknown, ended, or another key's.
    McpSessionNotFound = "MCP_SESSION_NOT_FOUND" => 404,
    /// The route exists but not with this method.
    MethodNotAllowed = "METHOD_NOT_ALLOWED" => 405,
    /// The body did not arrive whole within the body-read deadline.
    RequestTimeout = "REQUEST_TIMEOUT" => 408,
    /// The body is longer than `limits.max_body_bytes`.
    BodyTooLarge = "BODY_TOO_LARGE" => 413,
    /// A JSON body without `Content-Type: application/json`.
    UnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE" => 415,
    /// The body is not JSON.
    MalformedJson = "MALFORMED_JSON" => 400,
    /// The body is JSON of the wrong shape (a missing or unknown field, a wrong type).
    InvalidBody = "INVALID_BODY" => 422,
    /// A query parameter is unknown, missing or of the wrong type.
    InvalidQuery = "INVALID_QUERY" => 400,
    /// A path parameter is malformed.
    InvalidPath = "INVALID_PATH" => 400,

    // Parameters the API validates.
    /// A product id that is not `BASE-QUOTE` (or, from the exchange, a product it does not list).
    InvalidProductId = "INVALID_PRODUCT_ID" => 400,
    /// A `limit` outside its range.
    InvalidLimit = "INVALID_LIMIT" => 400,
    /// A time that is neither RFC 3339 nor a plain date, or a range that ends before it starts.
    InvalidTime = "INVALID_TIME" => 400,
    /// A granularity name that does not exist.
    InvalidGranularity = "INVALID_GRANULARITY" => 400,
    /// A granularity other than the one the feed replays.
    UnsupportedGranularity = "UNSUPPORTED_GRANULARITY" => 400,
    /// An order status that does not exist.
    InvalidStatus = "INVALID_STATUS" => 400,
    /// An order id that is not a UUID.
    InvalidOrderId = "INVALID_ORDER_ID" => 400,
    /// A `top_k` outside 1 to 100.
    InvalidTopK = "INVALID_TOP_K" => 400,
    /// An analytics metric that is not recorded.
    UnknownMetric = "UNKNOWN_METRIC" => 400,
    /// An analytics bucket that is not a duration.
    InvalidBucket = "INVALID_BUCKET" => 400,
    /// An analytics query of more buckets than one answer holds.
    TooManyBuckets = "TOO_MANY_BUCKETS" => 400,
    /// A pattern lifecycle that does not exist.
    InvalidLifecycle = "INVALID_LIFECYCLE" => 400,
    /// An MCP decimal argument that is not a decimal number.
    InvalidNumber = "INVALID_NUMBER" => 400,
    /// An MCP `side` other than BUY or SELL.
    InvalidSide = "INVALID_SIDE" => 400,
    /// An MCP order argument its order type needs is missing.
    MissingField = "MISSING_FIELD" => 400,
    /// An MCP `stop_direction` other than UP or DOWN.
    InvalidStopDirection = "INVALID_STOP_DIRECTION" => 400,
    /// An MCP `order_type` other than market, limit or stop_limit.
    InvalidOrderType = "INVALID_ORDER_TYPE" => 400,
    /// An MCP order whose fields do not make an order request.
    InvalidOrder = "INVALID_ORDER" => 400,

    // Backtests (MCP's `run_backtest`).
    /// A data set that is not bundled, or holds no product.
    UnknownData = "UNKNOWN_DATA" => 400,
    /// The data set's bars do not make a series.
    InvalidData = "INVALID_DATA" => 400,
    /// No bars within the range.
    NoBars = "NO_BARS" => 400,
    /// More bars than one backtest may run.
    TooManyBars = "TOO_MANY_BARS" => 400,
    /// A strategy parameter out of range.
    InvalidParams = "INVALID_PARAMS" => 400,
    /// A strategy that does not exist or cannot run here.
    InvalidStrategy = "INVALID_STRATEGY" => 400,
    /// The backtest did not finish within its time limit.
    BacktestTooLong = "BACKTEST_TOO_LONG" => 422,
    /// The backtest refused its input.
    BacktestFailed = "BACKTEST_FAILED" => 422,

    // Pattern memory.
    /// The managers rejected an operator's change to a pattern.
    RejectedByQuorum = "REJECTED_BY_QUORUM" => 422,
    /// The managers' votes on an operator's change differ.
    NoQuorum = "NO_QUORUM" => 422,

    // The exchange's rejections (`Rejection::code`).
    /// The order's size is not positive.
    InvalidSize = "INVALID_SIZE" => 422,
    /// A market order with both or neither of `base_size` and `quote_size`.
    InvalidSizeSpecification = "INVALID_SIZE_SPECIFICATION" => 422,
    SizeBelowMinimum = "SIZE_BELOW_MINIMUM" => 422,
    SizeAboveMaximum = "SIZE_ABOVE_MAXIMUM" => 422,
    OrderValueBelowMinimum = "ORDER_VALUE_BELOW_MINIMUM" => 422,
    /// A size that is not a multiple of the product's increment.
    InvalidSizePrecision = "INVALID_SIZE_PRECISION" => 422,
    /// A price that is not positive.
    InvalidPrice = "INVALID_PRICE" => 422,
    /// A price that is not a multiple of the quote increment.
    InvalidPricePrecision = "INVALID_PRICE_PRECISION" => 422,
    /// Not enough quote currency available.
    InsufficientFund = "INSUFFICIENT_FUND" => 422,
    /// Not enough base currency available.
    InsufficientPosition = "INSUFFICIENT_POSITION" => 422,
    /// A post-only order that would take liquidity.
    InvalidLimitPricePostOnly = "INVALID_LIMIT_PRICE_POST_ONLY" => 422,
    /// An end time not in the future, or past the year 9999.
    InvalidEndTime = "INVALID_END_TIME" => 422,
    /// No market price yet to reserve funds against.
    InvalidNoLiquidity = "INVALID_NO_LIQUIDITY" => 422,
    /// A `client_order_id` that is not 1 to 128 printable characters.
    InvalidClientOrderId = "INVALID_CLIENT_ORDER_ID" => 422,
    /// No such order in the account.
    UnknownOrder = "UNKNOWN_ORDER" => 404,
    CannotCancelFilled = "CANNOT_CANCEL_FILLED" => 422,
    /// The order has ended (cancelled, expired or failed).
    OrderNotOpen = "ORDER_NOT_OPEN" => 422,
    InvalidAmount = "INVALID_AMOUNT" => 422,
    ProductConflict = "PRODUCT_CONFLICT" => 422,
    InvalidProduct = "INVALID_PRODUCT" => 422,
    /// A size or price past the engine's range.
    ValueOutOfRange = "VALUE_OUT_OF_RANGE" => 422,
    UnsupportedOrderConfiguration = "UNSUPPORTED_ORDER_CONFIGURATION" => 422,
    /// A bracket whose stop is not beyond its take-profit limit (below for a SELL, above for a BUY).
    InvalidStopTriggerPrice = "INVALID_STOP_TRIGGER_PRICE" => 422,
    /// A STOP_DOWN stop (or a SELL bracket's) at or above the last trade price: it would trigger at once.
    PreviewStopPriceAboveLastTradePrice = "PREVIEW_STOP_PRICE_ABOVE_LAST_TRADE_PRICE" => 422,
    /// A STOP_UP stop (or a BUY bracket's) at or below the last trade price: it would trigger at once.
    PreviewStopPriceBelowLastTradePrice = "PREVIEW_STOP_PRICE_BELOW_LAST_TRADE_PRICE" => 422,
    InvalidVenueReport = "INVALID_VENUE_REPORT" => 422,

    // The pre-trade gate's refusals (`Refusal::code`).
    /// The account is halted by an operator.
    SwarmHalted = "SWARM_HALTED" => 422,
    /// The circuit breaker is open and the order would not reduce a position.
    BreakerOpen = "BREAKER_OPEN" => 422,
    /// The order would break an oversight limit.
    OversightBreach = "OVERSIGHT_BREACH" => 422,

    // Sessions and venues.
    /// The live venue (Coinbase) refused the order.
    VenueRejected = "VENUE_REJECTED" => 422,
    /// The account's events could not be stored.
    StorageFailed = "STORAGE_FAILED" => 503,
    /// The account's session has stopped.
    SessionStopped = "SESSION_STOPPED" => 503,
    /// Pattern memory could not answer.
    MemoryFailed = "MEMORY_FAILED" => 503,
    /// The service cannot answer now (warming up, stopped, busy, storage failing).
    Unavailable = "UNAVAILABLE" => 503,
    /// The edge's latest quote of the product is older than it may fill at (the agent tier's
    /// feed is behind or down): nothing was placed; see `Retry-After`.
    MarketStale = "MARKET_STALE" => 503,
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        ErrorCode::parse(&text).ok_or_else(|| serde::de::Error::custom(format!("unknown error code '{text}'")))
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;
    use coinswarm_core::market::{Currency, ProductId};
    use coinswarm_core::order::Rejection;
    use coinswarm_core::risk::Refusal;
    use rust_decimal::Decimal;

    #[test]
    fn every_code_parses_back_from_its_string_and_from_its_json() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(*code));
            let json = serde_json::to_string(code).unwrap();
            assert_eq!(json, format!("\"{code}\""));
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), *code);
            assert!((400..600).contains(&code.status()), "{code}");
        }
        assert_eq!(ErrorCode::parse("insufficient_fund"), None, "codes are upper case");
        assert!(serde_json::from_str::<ErrorCode>("\"INVENTED\"").is_err());
    }

    #[test]
    fn every_exchange_rejection_and_gate_refusal_has_a_code_the_api_knows() {
        let product = ProductId::parse("BTC-USD").unwrap();
        let usd = Currency::new("USD").unwrap();
        let one = Decimal::ONE;
        let rejections = [
            Rejection::UnknownProduct(product),
            Rejection::NonPositiveSize,
            Rejection::AmbiguousSize,
            Rejection::SizeBelowMinimum { size: one, min: one, currency: usd },
            Rejection::SizeAboveMaximum { size: one, max: one, currency: usd },
            Rejection::ValueBelowMinimum { value: one, min: one, currency: usd },
            Rejection::SizeNotIncrement { increment: one, currency: usd },
            Rejection::NonPositivePrice,
            Rejection::PriceNotIncrement { increment: one },
            Rejection::InsufficientBalance { currency: usd, needed: one, available: one },
            Rejection::InsufficientPosition { currency: usd, needed: one, available: one },
            Rejection::PostOnlyWouldCross { limit_price: one, touch: one },
            Rejection::EndTimeNotInFuture,
            Rejection::NoMarketPrice(product),
            Rejection::InvalidClientOrderId,
            Rejection::UnknownOrder("x".into()),
            Rejection::CannotCancelFilled,
            Rejection::OrderNotLive("CANCELLED"),
            Rejection::NonPositiveAmount,
            Rejection::ProductConflict(product),
            Rejection::InvalidProduct { product_id: product, reason: "r" },
            Rejection::OutOfRange { field: "base_size", max: one },
            Rejection::EndTimeOutOfRange,
            Rejection::UnsupportedOrderConfiguration { kind: "k", side: "SELL", reason: "r" },
            Rejection::BracketStopOnWrongSide {
                side: "SELL",
                relation: "below",
                stop_trigger_price: one,
                limit_price: one,
            },
            Rejection::StopPriceAboveLastTradePrice { stop_price: one, last_price: one },
            Rejection::StopPriceBelowLastTradePrice { stop_price: one, last_price: one },
            Rejection::InvalidVenueReport { order_id: "x".into(), reason: "r".into() },
        ];
        for rejection in rejections {
            assert!(ErrorCode::parse(rejection.code()).is_some(), "{}", rejection.code());
        }
        for refusal in [Refusal::Halted, Refusal::BreakerOpen { until: None, reason: None }] {
            assert!(ErrorCode::parse(refusal.code()).is_some(), "{}", refusal.code());
        }
        assert_eq!(ErrorCode::parse("OVERSIGHT_BREACH"), Some(ErrorCode::OversightBreach));
    }
}
