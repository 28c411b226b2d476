//! What can go wrong talking to Coinbase, typed, with Coinbase's own error body when it
//! sent one.

use serde::{Deserialize, Serialize};

/// Coinbase's error body (`{"error", "message", "error_details", …}`), as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ErrorBody {
    #[serde(default)]
    pub error: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub error_details: String,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CoinbaseError {
    /// Coinbase answered with an error status that retrying will not change (4xx but 429).
    #[error("Coinbase answered {status} to {method} {path}: {} {}", body.error, body.message)]
    Api { status: u16, method: String, path: String, body: ErrorBody },
    /// A private endpoint was asked for without a key.
    #[error("{0} needs a CDP API key (COINSWARM_COINBASE_KEY_NAME and COINSWARM_COINBASE_PRIVATE_KEY)")]
    NoKey(String),
    /// Every attempt failed on something retryable (429, 5xx, a dropped connection, a
    /// malformed body); the last failure is kept.
    #[error("gave up on {method} {path} after {attempts} attempts: {last}")]
    Exhausted { method: String, path: String, attempts: u32, last: String },
    /// The request could not be built (a bad base URL, a bad argument).
    #[error("{0}")]
    Invalid(String),
}

impl CoinbaseError {
    /// Coinbase's error body, when it sent one.
    pub fn body(&self) -> Option<&ErrorBody> {
        match self {
            CoinbaseError::Api { body, .. } => Some(body),
            _ => None,
        }
    }
}
