//! The KV cache (`CACHE`) in front of the hub: an answer is served from KV while the time
//! stored with it ([`crate::freshness::Stamp`], in the entry's metadata) says it is fresh,
//! and fetched again (and stored) otherwise.

use super::http::{self, Answer, now_ms};
use super::meter::Meter;
use crate::billable::Billable;
use crate::freshness::{KV_MIN_TTL_SECS, Stamp};
use std::future::Future;
use worker::Env;

/// The cached answer under `key` if fresh within `fresh_ms`; else `fetch`'s, stored when it
/// is a success.
pub async fn read_through<F, Fut>(env: &Env, meter: &Meter, key: &str, fresh_ms: i64, fetch: F) -> Answer
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Answer>,
{
    let kv = env.kv("CACHE").map_err(http::unavailable)?;
    let now = now_ms();
    meter.add(Billable { kv_reads: 1, ..Billable::default() });
    if let Ok((Some(text), Some(stamp))) = kv.get(key).text_with_metadata::<Stamp>().await
        && stamp.is_fresh(now, fresh_ms)
    {
        return http::raw_json(200, text);
    }
    let mut response = fetch().await?;
    if response.status_code() != 200 {
        return Ok(response);
    }
    let text = response.text().await.map_err(http::unavailable)?;
    meter.add(Billable { kv_writes: 1, ..Billable::default() });
    let stored = match kv.put(key, text.clone()) {
        Ok(put) => match put.expiration_ttl(KV_MIN_TTL_SECS).metadata(Stamp { stored_ms: now }) {
            Ok(put) => put.execute().await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        },
        Err(e) => Err(e.to_string()),
    };
    if let Err(error) = stored {
        worker::console_warn!("KV: {key} not cached: {error}");
    }
    http::raw_json(200, text)
}
