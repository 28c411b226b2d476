//! The transport-neutral failure every host answers: a code, a message for people, the HTTP
//! status REST answers it with, and, for a refusal that passes, when to try again. REST
//! writes it as the [`ErrorEnvelope`]; MCP as a JSON-RPC error whose data carries the same
//! code and status.

use crate::ErrorCode;
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
    /// Seconds after which the same request may pass (REST's `Retry-After`).
    pub retry_after_secs: Option<u64>,
}

impl Failure {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), status: code.status(), retry_after_secs: None }
    }

    /// 404 `NOT_FOUND`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    /// 503 `UNAVAILABLE`: the service cannot answer now.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unavailable, message)
    }

    /// The same failure answered with `status` (e.g. a body that is neither malformed JSON
    /// nor of the wrong shape is `INVALID_BODY` with 400, not 422).
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// The same failure, to be tried again after `secs` seconds.
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(secs);
        self
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
        ErrorEnvelope { error: ErrorBody { code: self.code, message: self.message.clone() } }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Failure {}

/// The API's one error shape: `{"error": {"code", "message"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = Error)]
#[serde(deny_unknown_fields)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

/// A refusal's code and message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    /// The stable code, e.g. `INSUFFICIENT_FUND`.
    #[schema(value_type = String, pattern = "^[A-Z][A-Z_]*$")]
    pub code: ErrorCode,
    /// What is wrong, for people.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_is_the_code_and_the_message_and_nothing_else() {
        let failure = Failure::new(ErrorCode::InvalidLimit, "limit must be between 1 and 1000").retry_after(3);
        assert_eq!(
            serde_json::to_string(&failure.envelope()).unwrap(),
            r#"{"error":{"code":"INVALID_LIMIT","message":"limit must be between 1 and 1000"}}"#
        );
        assert_eq!((failure.status, failure.retry_after_secs), (400, Some(3)));
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
