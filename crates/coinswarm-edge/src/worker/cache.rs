//! The KV cache (`CACHE`) in front of the hub and the agent tier: an answer is served from
//! KV while the time stored with it ([`crate::freshness::Stamp`], in the entry's metadata)
//! says it is fresh, and fetched again (and stored) otherwise. An entry outlives its
//! freshness (`keep_secs`), so a prediction can still be served, marked stale, while the
//! agent tier is down.

use super::http::{self, Answer, now_ms};
use super::meter::Meter;
use crate::billable::Billable;
use crate::freshness::{KV_MIN_TTL_SECS, Stamp};
use std::future::Future;
use worker::Env;

/// The cached text under `key` and when it was stored, if any.
pub async fn get(env: &Env, meter: &Meter, key: &str) -> Result<Option<(String, Stamp)>, coinswarm_api::Failure> {
    let kv = env.kv("CACHE").map_err(http::unavailable)?;
    meter.add(Billable { kv_reads: 1, ..Billable::default() });
    match kv.get(key).text_with_metadata::<Stamp>().await {
        Ok((Some(text), Some(stamp))) => Ok(Some((text, stamp))),
        _ => Ok(None),
    }
}

/// Stores `text` under `key` with its `stamp` (when it was answered, and its status), kept
/// `keep_secs` (at least KV's minimum). A failed write is logged: the answer does not depend
/// on it.
pub async fn put(env: &Env, meter: &Meter, key: &str, text: &str, stamp: Stamp, keep_secs: u64) {
    let Ok(kv) = env.kv("CACHE") else { return };
    meter.add(Billable { kv_writes: 1, ..Billable::default() });
    let stored = match kv.put(key, text.to_string()) {
        Ok(put) => match put.expiration_ttl(keep_secs.max(KV_MIN_TTL_SECS)).metadata(stamp) {
            Ok(put) => put.execute().await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        },
        Err(e) => Err(e.to_string()),
    };
    if let Err(error) = stored {
        worker::console_warn!("KV: {key} not cached: {error}");
    }
}

/// The cached answer under `key` if fresh within `fresh_ms`; else `fetch`'s, stored when it
/// is a success.
pub async fn read_through<F, Fut>(env: &Env, meter: &Meter, key: &str, fresh_ms: i64, fetch: F) -> Answer
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Answer>,
{
    if let Some((text, stamp)) = get(env, meter, key).await?
        && stamp.status == 200
        && stamp.is_fresh(now_ms(), fresh_ms)
    {
        return http::raw_json(200, text);
    }
    let mut response = fetch().await?;
    if response.status_code() != 200 {
        return Ok(response);
    }
    let text = response.text().await.map_err(http::unavailable)?;
    put(env, meter, key, &text, Stamp { stored_ms: now_ms(), status: 200 }, KV_MIN_TTL_SECS).await;
    http::raw_json(200, text)
}
