//! Bearer API keys and per-key rate limits, as an extractor every protected handler takes.

use super::AppState;
use super::error::ApiError;
use crate::keys::{self, ApiKey, Scope};
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::StatusCode;
use axum::http::request::Parts;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a verified key is trusted before the store is asked again (a revocation takes
/// effect within this time).
const KEY_CACHE: Duration = Duration::from_secs(5);

/// The caller's verified key.
#[derive(Debug, Clone)]
pub struct Caller(pub ApiKey);

impl Caller {
    /// Refuses with 403 unless the key carries `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        crate::desk::require(&self.0, scope)
    }
}

/// Verified keys by secret hash, and each key's token bucket.
#[derive(Debug, Default)]
pub struct KeyGuard {
    verified: Mutex<HashMap<String, (Instant, ApiKey)>>,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl KeyGuard {
    /// Takes one token from the key's bucket; on an empty bucket, the seconds until one is back.
    fn take_token(&self, key_id: &str, rate: f64, burst: f64) -> Result<(), u64> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let (tokens, last) = buckets.entry(key_id.to_string()).or_insert((burst, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * rate).min(burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / rate).ceil().max(1.0) as u64)
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let unauthorised = |message: &str| ApiError::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", message);
        let header =
            parts.headers.get("authorization").ok_or_else(|| unauthorised("missing Authorization: Bearer <key>"))?;
        let secret = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| unauthorised("the Authorization header must be 'Bearer <key>'"))?;
        let hash = keys::hash_secret(secret);
        let cached = {
            let verified = state.guard.verified.lock().unwrap_or_else(|p| p.into_inner());
            verified.get(&hash).filter(|(at, _)| at.elapsed() < KEY_CACHE).map(|(_, key)| key.clone())
        };
        let key = match cached {
            Some(key) => key,
            None => {
                let key = keys::verify(&state.store, secret)
                    .await
                    .map_err(|e| ApiError::unavailable(format!("cannot check the key: {e:#}")))?
                    .ok_or_else(|| unauthorised("unknown or revoked API key"))?;
                let mut verified = state.guard.verified.lock().unwrap_or_else(|p| p.into_inner());
                verified.insert(hash, (Instant::now(), key.clone()));
                key
            }
        };
        let limits = &state.config.limits;
        if let Err(retry_after) =
            state.guard.take_token(&key.id, limits.requests_per_second as f64, limits.burst as f64)
        {
            let mut error =
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED", "too many requests for this key");
            error.retry_after_secs = Some(retry_after);
            return Err(error);
        }
        Ok(Caller(key))
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
