//! Bearer keys at the edge: the secret's hash looked up in D1 (`api_keys`), remembered by
//! the isolate for a few seconds, and each request charged to the key's budget through the
//! Workers rate-limiting binding (`RATE_LIMITER`), refused with 429 and `Retry-After`.

use super::http::{now_ms, unavailable};
use super::meter::Meter;
use crate::billable::Billable;
use coinswarm_api::access::{self, ApiKey, bearer_secret, hash_secret, parse_scopes};
use coinswarm_api::{ErrorCode, Failure, RetryAfter};
use serde::Deserialize;
use std::cell::RefCell;
use std::collections::HashMap;
use worker::{Env, Request};

/// How long an isolate trusts a key it looked up (a revocation reaches every isolate within
/// this).
const KEY_MEMORY_MS: i64 = 5_000;

/// The budget window of the rate-limiting binding (`period` in wrangler.toml), in seconds:
/// a refused caller may try again after it.
const RATE_PERIOD_SECS: u64 = 60;

thread_local! {
    static KNOWN: RefCell<HashMap<String, (Option<ApiKey>, i64)>> = RefCell::new(HashMap::new());
}

#[derive(Debug, Deserialize)]
struct KeyRow {
    id: String,
    account_id: String,
    scopes: String,
    revoked_at: Option<f64>,
}

/// The key of a secret, or `None` for an unknown or revoked one.
pub async fn key_of(env: &Env, meter: &Meter, secret: &str) -> Result<Option<ApiKey>, Failure> {
    let hash = hash_secret(secret);
    let now = now_ms();
    let remembered = KNOWN.with(|known| known.borrow().get(&hash).filter(|(_, at)| now - at < KEY_MEMORY_MS).cloned());
    if let Some((key, _)) = remembered {
        return Ok(key);
    }
    let db = env.d1("DB").map_err(unavailable)?;
    let statement = db
        .prepare("SELECT id, account_id, scopes, revoked_at FROM api_keys WHERE secret_hash = ?1")
        .bind(&[hash.clone().into()])
        .map_err(unavailable)?;
    let result = statement.all().await.map_err(unavailable)?;
    let rows_read = result.meta().ok().flatten().and_then(|m| m.rows_read).unwrap_or(1) as u64;
    meter.add(Billable { d1_rows_read: rows_read, ..Billable::default() });
    let row: Option<KeyRow> = result.results::<KeyRow>().map_err(unavailable)?.into_iter().next();
    let key = match row {
        Some(row) if row.revoked_at.is_none() => {
            let scopes =
                parse_scopes(&row.scopes).map_err(|e| Failure::unavailable(e.to_string(), RetryAfter::FAULT))?;
            Some(ApiKey { id: row.id, account_id: row.account_id, scopes })
        }
        _ => None,
    };
    KNOWN.with(|known| {
        let mut known = known.borrow_mut();
        if known.len() > 10_000 {
            known.clear();
        }
        known.insert(hash, (key.clone(), now));
    });
    Ok(key)
}

/// The caller's key from `Authorization: Bearer …`, charged to its budget.
pub async fn caller(req: &Request, env: &Env, meter: &Meter) -> Result<ApiKey, Failure> {
    let header = req.headers().get("authorization").ok().flatten();
    let secret = bearer_secret(header.as_deref())?;
    let key = key_of(env, meter, secret).await?.ok_or_else(access::unknown_key)?;
    charge(env, &key).await?;
    Ok(key)
}

/// A public route's caller: `None` without an `Authorization` header; a header with an
/// unknown key is refused, as on any protected route.
pub async fn optional_caller(req: &Request, env: &Env, meter: &Meter) -> Result<Option<ApiKey>, Failure> {
    if req.headers().get("authorization").ok().flatten().is_none() {
        return Ok(None);
    }
    caller(req, env, meter).await.map(Some)
}

/// Charges one request to the key's budget.
async fn charge(env: &Env, key: &ApiKey) -> Result<(), Failure> {
    let Ok(limiter) = env.rate_limiter("RATE_LIMITER") else {
        return Ok(());
    };
    match limiter.limit(key.id.clone()).await {
        Ok(outcome) if !outcome.success => Err(Failure::new(ErrorCode::RateLimited, "too many requests for this key")
            .retry_after(RetryAfter::secs(RATE_PERIOD_SECS))),
        Ok(_) => Ok(()),
        // The limiter failing must not take the API down with it.
        Err(error) => {
            worker::console_warn!("rate limiter unavailable: {error}");
            Ok(())
        }
    }
}
