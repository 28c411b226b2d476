//! Bearer API keys, as an extractor every protected handler takes: the key is checked (and
//! its request budget charged) by the [`KeyGuard`](super::key_guard::KeyGuard).

use super::AppState;
use super::error::ApiError;
use super::key_guard::Refusal;
use crate::adapters::keys::{ApiKey, Scope};
use axum::extract::{ConnectInfo, FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use coinswarm_api::{ErrorCode, Failure, RetryAfter};
use std::net::{IpAddr, SocketAddr};

/// The caller's verified key.
#[derive(Debug, Clone)]
pub struct Caller(pub ApiKey);

impl Caller {
    /// Refuses with 403 unless the key carries `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), Failure> {
        crate::desk::require(&self.0, scope)
    }
}

/// The client's address, when the request came over a socket.
pub fn peer_ip(parts: &Parts) -> Option<IpAddr> {
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip())
}

/// The client's address as an extractor (`None` off a socket, as in tests of the router).
#[derive(Debug, Clone, Copy)]
pub struct PeerIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for PeerIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(PeerIp(peer_ip(parts)))
    }
}

/// A refused authentication as the API answers it.
pub fn refusal_error(refusal: Refusal) -> Failure {
    match refusal {
        Refusal::UnknownKey => coinswarm_api::access::unknown_key(),
        Refusal::TooManyFailures { retry_after_secs } => {
            Failure::new(ErrorCode::TooManyFailedAuthentications, "too many failed authentications from this address")
                .retry_after(RetryAfter::secs(retry_after_secs))
        }
        Refusal::RateLimited { retry_after_secs } => {
            Failure::new(ErrorCode::RateLimited, "too many requests for this key")
                .retry_after(RetryAfter::secs(retry_after_secs))
        }
        Refusal::Unavailable(message) => Failure::unavailable(message, RetryAfter::FAULT),
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = peer_ip(parts);
        let header = parts.headers.get("authorization").map(|h| h.to_str().unwrap_or_default());
        let secret = coinswarm_api::access::bearer_secret(header)?;
        state
            .guard
            .authenticate(&state.store, secret, peer)
            .await
            .map(Caller)
            .map_err(|refusal| ApiError(refusal_error(refusal)))
    }
}

/// A public endpoint's caller: `None` without an `Authorization` header; a header with an
/// unknown or revoked key is refused as on any protected endpoint, not taken as anonymous.
impl OptionalFromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Option<Self>, Self::Rejection> {
        if !parts.headers.contains_key("authorization") {
            return Ok(None);
        }
        <Caller as FromRequestParts<AppState>>::from_request_parts(parts, state).await.map(Some)
    }
}
