//! `GET /api/predictions` at the edge (and MCP's `get_prediction`): the agent tier's
//! prediction for a product, read through the KV cache and the [`super::agent_link`].
//!
//! 1. A cached answer younger than `PREDICTIONS_FRESH_MS` (5 s) is served as it is: a
//!    prediction, or a refusal that holds as long (a product the swarm does not trade).
//! 2. Otherwise the link asks the agent tier (single flight, micro-batched, with a timeout
//!    and a circuit breaker), and its answer is cached: a prediction is kept
//!    `PREDICTION_KEEP_SECS` so that it can stand in later, a refusal for KV's minimum.
//! 3. When the agent tier cannot answer (down, slow, breaker open) a read degrades rather
//!    than fails: the last cached prediction marked `"stale": true` with its `age_ms`, or,
//!    with nothing cached, a `HOLD` at the hub's latest price marked `"degraded": true`.
//!    Only a product the edge has no price for answers the link's 503, with `Retry-After`.
//!
//! Each answer says which of these it was in `x-coinswarm-cache`: `hit`, `miss`, `stale` or
//! `degraded`.

use super::agent_link::LinkCall;
use super::cache;
use super::http::{self, Answer, now_ms};
use super::meter::Meter;
use super::objects;
use super::services::hub;
use crate::calls::HubCall;
use crate::freshness::{KV_MIN_TTL_SECS, Stamp};
use coinswarm_api::validation;
use coinswarm_api::{Failure, RetryAfter, views};
use coinswarm_core::market::ProductId;
use serde_json::{Value, json};
use worker::{Env, Response};

/// How long a prediction stays in KV after it was fetched (it is fresh for only
/// `PREDICTIONS_FRESH_MS`): the window in which it can be served stale while the agent tier
/// is unreachable.
pub const PREDICTION_KEEP_SECS: u64 = 3_600;

/// The prediction for `product` (see the module's documentation).
pub async fn read(env: &Env, meter: &Meter, product: &str) -> Answer {
    let product_id = validation::product_id(product)?;
    let key = format!("prediction:{product_id}");
    let cached = cache::get(env, meter, &key).await?;
    if let Some((text, stamp)) = &cached
        && stamp.is_fresh(now_ms(), objects::predictions_fresh_ms(env))
    {
        return labelled(http::raw_json(stamp.status, text.clone()), "hit");
    }
    let call = LinkCall::Prediction { product_id: product_id.to_string() };
    let answered = match objects::agent_link(env) {
        Ok(link) => http::call(&link, &call, meter).await,
        Err(failure) => Err(failure),
    };
    let unanswered = match answered {
        Ok(mut answer) => {
            let status = answer.status_code();
            if status == 200 || (400..500).contains(&status) {
                // Stamped with when the agent tier answered (the link may answer from its
                // memory of it), so that its freshness and age count from then.
                let answered_ms = answer.headers().get(http::ANSWERED_MS).ok().flatten().and_then(|v| v.parse().ok());
                let stamp = Stamp { stored_ms: answered_ms.unwrap_or_else(now_ms), status };
                let text = answer.text().await.map_err(http::unavailable)?;
                let keep = if status == 200 { PREDICTION_KEEP_SECS } else { KV_MIN_TTL_SECS };
                cache::put(env, meter, &key, &text, stamp, keep).await;
                return labelled(http::raw_json(status, text), "miss");
            }
            http::failure_of(&mut answer).await
        }
        Err(failure) => failure,
    };
    let last = cached.filter(|(_, stamp)| stamp.status == 200);
    match last {
        Some((text, stamp)) => labelled(stale(&text, now_ms() - stamp.stored_ms, &unanswered), "stale"),
        None => labelled(degraded(env, meter, product_id, unanswered).await, "degraded"),
    }
}

/// The last cached prediction, marked stale with its age and why.
fn stale(text: &str, age_ms: i64, unanswered: &Failure) -> Answer {
    let mut prediction: Value = serde_json::from_str(text)
        .map_err(|e| Failure::unavailable(format!("a cached prediction was not JSON: {e}"), RetryAfter::FAULT))?;
    if let Some(fields) = prediction.as_object_mut() {
        fields.insert("stale".into(), json!(true));
        fields.insert("age_ms".into(), json!(age_ms.max(0)));
        fields.insert("reason".into(), json!(unanswered.message));
    }
    http::json(200, &prediction)
}

/// A `HOLD` at the hub's latest price, standing in for the swarm's decision; the link's
/// failure when the hub has no price either (a product it does not list is its 404).
async fn degraded(env: &Env, meter: &Meter, product_id: ProductId, unanswered: Failure) -> Answer {
    let market = match http::answer_json(hub(env, meter, HubCall::MarketData { product_id }).await).await {
        Ok(market) => market,
        Err(failure) if failure.status == 404 => return Err(failure),
        Err(_) => return Err(unanswered),
    };
    let price = market["last_price"].as_str().and_then(|p| p.parse::<f64>().ok());
    let Some(price) = price else { return Err(unanswered) };
    let decision = json!({
        "seq": 0,
        "time": now_ms(),
        "product_id": product_id,
        "price": price,
        "regime": "unknown",
        "votes": [],
        "action": "HOLD",
        "skipped": unanswered.message,
    });
    let prediction = views::Prediction {
        degraded: Some(true),
        reason: Some(unanswered.message.clone()),
        ..views::Prediction::fresh(decision, product_id)
    };
    http::json(200, &prediction)
}

/// Says in `x-coinswarm-cache` how the answer was served.
fn labelled(answer: Answer, how: &str) -> Answer {
    let response: Response = answer?;
    response.headers().set("x-coinswarm-cache", how).map_err(http::unavailable)?;
    Ok(response)
}
