//! The post-trade queue (`POST_TRADE`): each fill an account's object stores is sent here,
//! and the consumer keeps D1's `fills` read model and writes an Analytics Engine data point.
//! Both are idempotent on redelivery (the fill's trade id is the read model's key; the data
//! point is written only when the row is new). A message that keeps failing is retried
//! `max_retries` times, then lands in the dead-letter queue (`wrangler.toml`).

use super::http::unavailable;
use super::meter::Meter;
use coinswarm_api::{Failure, RetryAfter};
use coinswarm_core::order::Fill;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;
use worker::{
    AnalyticsEngineDataPointBuilder, Env, MessageBatch, MessageExt, QueueContentType, RawMessageBuilder, SendMessage,
};

/// One fill's post-trade work.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PostTrade {
    pub account_id: String,
    pub fill: Fill,
}

/// Sends an account's new fills to the queue.
pub async fn enqueue(env: &Env, meter: &Meter, account_id: &str, fills: &[Fill]) -> Result<(), Failure> {
    if fills.is_empty() {
        return Ok(());
    }
    let queue = env.queue("POST_TRADE").map_err(unavailable)?;
    let messages: Vec<PostTrade> =
        fills.iter().map(|fill| PostTrade { account_id: account_id.into(), fill: fill.clone() }).collect();
    meter.add(crate::billable::Billable { queue_messages: messages.len() as u64, ..Default::default() });
    queue.send_batch(messages).await.map_err(unavailable)
}

/// The consumer: each message acknowledged once its work is done, retried otherwise; the
/// dead-letter queue's messages are kept in D1 (`dead_letters`).
pub async fn consume(batch: MessageBatch<serde_json::Value>, env: &Env) {
    let queue = batch.queue();
    if queue.ends_with("-dlq") {
        for message in batch.messages().unwrap_or_default() {
            match keep_dead_letter(env, &queue, message.id(), message.body()).await {
                Ok(()) => message.ack(),
                Err(failure) => {
                    worker::console_error!("dead letter not kept (retried): {failure}");
                    message.retry();
                }
            }
        }
        return;
    }
    for message in batch.messages().unwrap_or_default() {
        match apply(env, message.body()).await {
            Ok(()) => message.ack(),
            Err(failure) => {
                worker::console_warn!("post-trade message failed (retried): {failure}");
                message.retry();
            }
        }
    }
}

/// Puts a raw message on the queue as it is: an operator's re-drive (`POST /edge/post-trade`),
/// e.g. of a dead letter once its cause is fixed.
pub async fn redrive(env: &Env, meter: &Meter, body: serde_json::Value) -> Result<(), Failure> {
    let queue = env.queue("POST_TRADE").map_err(unavailable)?;
    meter.add(crate::billable::Billable { queue_messages: 1, ..Default::default() });
    queue.send_raw(json_message(&body)?).await.map_err(unavailable)
}

/// A message as a plain JSON object (content type `json`, readable in Cloudflare's dashboard;
/// serde's own conversion would make maps into JavaScript `Map`s).
fn json_message<T: Serialize>(value: &T) -> Result<SendMessage<JsValue>, Failure> {
    let text = serde_json::to_string(value).map_err(|e| Failure::unavailable(e.to_string(), RetryAfter::FAULT))?;
    let object = js_sys::JSON::parse(&text)
        .map_err(|_| Failure::unavailable("a post-trade message is not JSON", RetryAfter::FAULT))?;
    Ok(RawMessageBuilder::new(object).build_with_content_type(QueueContentType::Json))
}

async fn keep_dead_letter(env: &Env, queue: &str, id: String, body: &serde_json::Value) -> Result<(), Failure> {
    let db = env.d1("DB").map_err(unavailable)?;
    db.prepare("INSERT OR IGNORE INTO dead_letters (queue, message_id, body, received_ms) VALUES (?1, ?2, ?3, ?4)")
        .bind(&[queue.into(), id.into(), body.to_string().into(), (super::http::now_ms() as f64).into()])
        .map_err(unavailable)?
        .run()
        .await
        .map_err(unavailable)?;
    Ok(())
}

async fn apply(env: &Env, body: &serde_json::Value) -> Result<(), Failure> {
    let work: PostTrade = serde_json::from_value(body.clone())
        .map_err(|e| Failure::new(coinswarm_api::ErrorCode::InvalidBody, format!("not a post-trade message: {e}")))?;
    let fill = &work.fill;
    let db = env.d1("DB").map_err(unavailable)?;
    let text = serde_json::to_string(fill).map_err(|e| Failure::unavailable(e.to_string(), RetryAfter::FAULT))?;
    let inserted = db
        .prepare(
            "INSERT OR IGNORE INTO fills (trade_id, account_id, order_id, product_id, time_ms, fill) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(&[
            fill.trade_id.to_string().into(),
            work.account_id.clone().into(),
            fill.order_id.to_string().into(),
            fill.product_id.to_string().into(),
            (fill.time.millis() as f64).into(),
            text.into(),
        ])
        .map_err(unavailable)?
        .run()
        .await
        .map_err(unavailable)?;
    let new_row = inserted.meta().ok().flatten().and_then(|m| m.changes).unwrap_or(0) > 0;
    if new_row && let Ok(dataset) = env.analytics_engine("ANALYTICS") {
        let point = AnalyticsEngineDataPointBuilder::new()
            .indexes([work.account_id.as_str()])
            .blobs(["fill", fill.product_id.to_string().as_str(), fill.side.as_str()])
            .doubles([decimal(fill.size), decimal(fill.price), decimal(fill.fee)])
            .build();
        if let Err(error) = dataset.write_data_point(&point) {
            worker::console_warn!("analytics: {error}");
        }
    }
    Ok(())
}

fn decimal(value: rust_decimal::Decimal) -> f64 {
    rust_decimal::prelude::ToPrimitive::to_f64(&value).unwrap_or_default()
}
