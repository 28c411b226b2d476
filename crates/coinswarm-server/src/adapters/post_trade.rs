//! The post-trade consumer: takes the queued fills (queued in the same commit as the fill)
//! and records their notional and fee as analytics events of the fill's account.
//! Idempotent: a redelivered job records nothing twice (the events are keyed by account and
//! trade id; trade ids are unique within an account only).

use crate::adapters::store::{Analytics, AnalyticsBuffer, AnalyticsEvent, Job, POST_TRADE, Queue, SqlStore};
use crate::clock::SharedClock;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Jobs leased per round, and how long a lease lasts.
const BATCH: i64 = 256;
const LEASE_MS: i64 = 30_000;

/// Also flushes `buffer` (analytics recorded on hot paths) every round and once at the end.
pub async fn run(
    store: SqlStore,
    buffer: Arc<AnalyticsBuffer>,
    clock: SharedClock,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        if let Err(err) = buffer.flush(&store).await {
            tracing::warn!("cannot write analytics: {err:#}");
        }
        let now = clock.now().millis();
        match store.lease(POST_TRADE, BATCH, LEASE_MS, now).await {
            Ok(jobs) => {
                for job in jobs {
                    match handle(&store, &job).await {
                        Ok(()) => {
                            let _ = store.ack(job.id).await;
                        }
                        Err(err) => {
                            tracing::warn!(job = job.id, "post-trade job failed: {err:#}");
                            let _ = store.fail(&job, &format!("{err:#}"), clock.now().millis()).await;
                        }
                    }
                }
            }
            Err(err) => tracing::warn!("cannot lease post-trade jobs: {err:#}"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(200)) => {}
            _ = shutdown.changed() => {
                let _ = buffer.flush(&store).await;
                return;
            }
        }
    }
}

async fn handle(store: &SqlStore, job: &Job) -> anyhow::Result<()> {
    let payload: serde_json::Value = serde_json::from_str(&job.payload)?;
    let fill: coinswarm_core::exchange::Fill = serde_json::from_value(payload["fill"].clone())?;
    let time = payload["committed_at"].as_i64().ok_or_else(|| anyhow::anyhow!("no commit time"))?;
    let account_id = payload["account_id"].as_str().ok_or_else(|| anyhow::anyhow!("no account"))?;
    let label = format!("{:?}", fill.side).to_uppercase();
    let event = |suffix: &str, metric, value| {
        let dedupe_key = format!("trade:{account_id}:{}:{suffix}", fill.trade_id);
        AnalyticsEvent::one(account_id.to_string(), dedupe_key, metric, time, value, label.clone())
    };
    let notional = coinswarm_core::market::decimal_to_f64(fill.price * fill.size);
    let fee = coinswarm_core::market::decimal_to_f64(fill.fee);
    store.record_events(&[event("notional", "trade_notional", notional), event("fee", "trade_fee", fee)]).await?;
    Ok(())
}
