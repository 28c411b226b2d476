//! The transport-neutral failure every host answers: a code, a message for people, the HTTP
//! status REST answers it with, and, for a refusal that passes, when to try again. REST
//! writes it as the [`ErrorEnvelope`]; MCP as a JSON-RPC error whose data carries the same
//! code and status. Every 503 says when to try again: its constructors take a
//! [`RetryAfter`].

use crate::{ErrorCode, RetryAfter};
use coinswarm_core::order::Rejection;
use coinswarm_core::risk::Refusal;
use serde::{Deserialize, Serialize};
use std::fmt;
use utoipa::ToSchema;

/// A refused or failed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: ErrorCode,
    /// What is wrong, for people (clients branch on `code`).
    pub message: String,
    /// The HTTP status: the code's own ([`ErrorCode::status`]) unless a path has always
    /// answered the code with another.
    pub status: u16,
    /// When the same request may pass (REST's `Retry-After`): always set on a 503.
    retry_after: Option<RetryAfter>,
}

impl Failure {
    /// A failure answered with the code's own status. A 503 code is built with
    /// [`Failure::unavailable`] or [`Failure::unavailable_as`], which say when to try again;
    /// one built here anyway waits [`RetryAfter::FAULT`].
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        debug_assert!(code.status() != 503, "{code} is a 503: build it with Failure::unavailable_as");
        let retry_after = (code.status() == 503).then_some(RetryAfter::FAULT);
        Self { code, message: message.into(), status: code.status(), retry_after }
    }

    /// A failure another host answered (its code, message, status and `Retry-After`), as
    /// this one passes it on; a 503 that did not say when waits [`RetryAfter::LINK`].
    pub fn answered(code: ErrorCode, message: impl Into<String>, status: u16, retry_after_secs: Option<u64>) -> Self {
        let retry_after = match retry_after_secs {
            Some(secs) => Some(RetryAfter::secs(secs)),
            None => (status == 503).then_some(RetryAfter::LINK),
        };
        Self { code, message: message.into(), status, retry_after }
    }

    /// 404 `NOT_FOUND`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    /// 503 `UNAVAILABLE`: the service cannot answer now; the same request may pass after
    /// `retry_after`.
    pub fn unavailable(message: impl Into<String>, retry_after: RetryAfter) -> Self {
        Self::unavailable_as(ErrorCode::Unavailable, message, retry_after)
    }

    /// A 503 with a code of its own (`STORAGE_FAILED`, `MARKET_STALE`, …), to be tried again
    /// after `retry_after`.
    pub fn unavailable_as(code: ErrorCode, message: impl Into<String>, retry_after: RetryAfter) -> Self {
        Self { code, message: message.into(), status: 503, retry_after: Some(retry_after) }
    }

    /// 503 `UNAVAILABLE` while `what` warms up: `bars` more bars are needed, each
    /// `bar_ms` wall-clock milliseconds apart, and the message and `Retry-After` say when it
    /// will be ready ("pattern memory is warming up: 412 more bars needed, ready in about
    /// 17 s"). At least one bar: whatever is warming up answers at a bar's close.
    pub fn warming_up(what: &str, bars: u64, bar_ms: u64) -> Self {
        let bars = bars.max(1);
        let ready_in = RetryAfter::bars(bars, bar_ms);
        let needed = if bars == 1 { "1 more bar".to_string() } else { format!("{bars} more bars") };
        Self::unavailable(format!("{what} is warming up: {needed} needed, ready in about {ready_in}"), ready_in)
    }

    /// The same failure answered with `status` (e.g. a body that is neither malformed JSON
    /// nor of the wrong shape is `INVALID_BODY` with 400, not 422). Not for a 503, which is
    /// built by [`Failure::unavailable_as`].
    pub fn with_status(mut self, status: u16) -> Self {
        debug_assert!(status != 503 || self.retry_after.is_some(), "a 503 is built by Failure::unavailable_as");
        self.status = status;
        self
    }

    /// The same failure, to be tried again after `retry_after` (a 429's budget, or a 503's
    /// better estimate).
    pub fn retry_after(mut self, retry_after: RetryAfter) -> Self {
        self.retry_after = Some(retry_after);
        self
    }

    /// Seconds after which the same request may pass (REST's `Retry-After`; always some on
    /// a 503).
    pub fn retry_after_secs(&self) -> Option<u64> {
        self.retry_after.map(RetryAfter::as_secs)
    }

    /// The exchange's rejection: 422 with the rejection's code (404 for an unknown order).
    pub fn rejected(rejection: &Rejection) -> Self {
        let code = ErrorCode::parse(rejection.code()).unwrap_or(ErrorCode::InvalidBody);
        let status = if matches!(rejection, Rejection::UnknownOrder(_)) { 404 } else { 422 };
        Self::new(code, rejection.to_string()).with_status(status)
    }

    /// The pre-trade gate's refusal: 422 with the refusal's code.
    pub fn refused(refusal: &Refusal) -> Self {
        let code = ErrorCode::parse(refusal.code()).unwrap_or(ErrorCode::OversightBreach);
        Self::new(code, refusal.to_string()).with_status(422)
    }

    /// The body REST answers with.
    pub fn envelope(&self) -> ErrorEnvelope {
        ErrorEnvelope { error: self.body() }
    }

    /// The code, the message and the wait, as the error envelope and the agent tier's
    /// batched answers carry them.
    pub fn body(&self) -> ErrorBody {
        ErrorBody { code: self.code, message: self.message.clone(), retry_after_secs: self.retry_after_secs() }
    }

    /// The failure `body` describes, answered with `status` (the code's own when not given).
    pub fn from_body(body: &ErrorBody, status: Option<u16>) -> Self {
        Self::answered(body.code, body.message.clone(), status.unwrap_or(body.code.status()), body.retry_after_secs)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Failure {}

/// The API's one error shape: `{"error": {"code", "message"}}`, with `retry_after_secs` when
/// the request may pass later (every 503, and 429s).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = Error)]
#[serde(deny_unknown_fields)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

/// A refusal's code, message and, when it passes later, the wait.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    /// The stable code, e.g. `INSUFFICIENT_FUND`.
    #[schema(value_type = String, pattern = "^[A-Z][A-Z_]*$")]
    pub code: ErrorCode,
    /// What is wrong, for people.
    pub message: String,
    /// Seconds after which the same request may pass, as the `Retry-After` header says
    /// (every 503 carries it; a warm-up's is the bars still needed × the bar interval).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    pub retry_after_secs: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_is_the_code_and_the_message_and_nothing_else() {
        let failure = Failure::new(ErrorCode::InvalidLimit, "limit must be between 1 and 1000");
        assert_eq!(
            serde_json::to_string(&failure.envelope()).unwrap(),
            r#"{"error":{"code":"INVALID_LIMIT","message":"limit must be between 1 and 1000"}}"#
        );
        assert_eq!((failure.status, failure.retry_after_secs()), (400, None));
    }

    #[test]
    fn a_503_always_says_when_to_try_again_in_its_header_and_its_body() {
        let down = Failure::unavailable("the store is down", RetryAfter::FAULT);
        assert_eq!((down.status, down.retry_after_secs()), (503, Some(5)));
        assert_eq!(
            serde_json::to_string(&down.envelope()).unwrap(),
            r#"{"error":{"code":"UNAVAILABLE","message":"the store is down","retry_after_secs":5}}"#
        );
        let stale = Failure::unavailable_as(ErrorCode::MarketStale, "the quote is old", RetryAfter::BUSY);
        assert_eq!((stale.code, stale.status, stale.retry_after_secs()), (ErrorCode::MarketStale, 503, Some(1)));
        // Passed on from another host: its wait, or the link's when it gave none.
        let relayed = Failure::from_body(&down.body(), Some(503));
        assert_eq!(relayed, down);
        let silent = Failure::answered(ErrorCode::Unavailable, "down", 503, None);
        assert_eq!(silent.retry_after_secs(), Some(RetryAfter::LINK.as_secs()));
        assert_eq!(Failure::answered(ErrorCode::NotFound, "gone", 404, None).retry_after_secs(), None);
    }

    #[test]
    fn a_warm_up_says_the_bars_still_needed_and_when_it_will_be_ready() {
        let warming = Failure::warming_up("pattern memory", 412, 40);
        assert_eq!(warming.message, "pattern memory is warming up: 412 more bars needed, ready in about 17 s");
        assert_eq!((warming.code, warming.status, warming.retry_after_secs()), (ErrorCode::Unavailable, 503, Some(17)));
        let last = Failure::warming_up("pattern memory", 0, 60_000);
        assert_eq!(last.message, "pattern memory is warming up: 1 more bar needed, ready in about 60 s");
        assert_eq!(last.retry_after_secs(), Some(60));
    }

    #[test]
    fn rejections_are_422_except_an_unknown_order_which_is_404() {
        let funds = Failure::rejected(&Rejection::NonPositivePrice);
        assert_eq!(
            (funds.code, funds.status, funds.message.as_str()),
            (ErrorCode::InvalidPrice, 422, "Price must be positive")
        );
        let unknown = Failure::rejected(&Rejection::UnknownOrder("o-1".into()));
        assert_eq!((unknown.code, unknown.status), (ErrorCode::UnknownOrder, 404));
        let product = Failure::rejected(&Rejection::UnknownProduct("ETH-EUR".parse().unwrap()));
        assert_eq!((product.code, product.status), (ErrorCode::InvalidProductId, 422));
    }

    #[test]
    fn gate_refusals_keep_their_code_and_message() {
        let halted = Failure::refused(&Refusal::Halted);
        assert_eq!(halted.code, ErrorCode::SwarmHalted);
        assert_eq!(halted.status, 422);
        assert_eq!(halted.message, Refusal::Halted.to_string());
    }
}
