//! The agent tier's durable streams at the edge (`coinswarm_api::edge::streams`): the market
//! hub applies each stream's events once and in order ([`coinswarm_api::edge::next_in_order`],
//! by the positions it keeps in its storage), writing trades, patterns and resolved episodes
//! to D1's read replicas (each row keyed so that a second write of it changes nothing) and
//! decisions to its own storage. A new pattern invalidates its product's cached prediction
//! in KV. The read routes over the replicas are here too: `GET /api/trades` of an account
//! of the agent tier, `GET /api/memory` and `GET /api/memory/patterns`.

use super::http::{self, Answer, unavailable};
use super::meter::Meter;
use crate::billable::Billable;
use coinswarm_api::edge::{StreamEvent, streams};
use coinswarm_api::validation;
use coinswarm_api::{ErrorCode, Failure, views};
use coinswarm_core::memory::Pattern;
use coinswarm_core::order::Fill;
use serde::Deserialize;
use std::collections::BTreeMap;
use worker::{D1PreparedStatement, Env};

/// A trade event's payload.
#[derive(Deserialize)]
struct TradeEvent {
    account_id: String,
    fill: Fill,
}

/// A resolved episode's payload (the fields the replica indexes; the rest is kept as sent).
#[derive(Deserialize)]
struct EpisodeEvent {
    id: String,
    product_id: String,
    regime: String,
    time_ms: i64,
}

/// Refuses a stream the edge does not know (the agent tier is newer than the Worker).
pub fn check_stream(stream: &str) -> Result<(), Failure> {
    if streams::ALL.contains(&stream) {
        Ok(())
    } else {
        Err(Failure::new(
            ErrorCode::InvalidBody,
            format!("unknown stream '{stream}': deploy the Worker of this version"),
        )
        .with_status(422))
    }
}

/// D1's statements for the events of the replicated streams (decisions stay in the hub), and
/// the products whose cached predictions a new pattern makes stale.
pub fn statements(env: &Env, events: &[StreamEvent]) -> Result<(Vec<D1PreparedStatement>, Vec<String>), Failure> {
    let db = env.d1("DB").map_err(unavailable)?;
    let malformed = |event: &StreamEvent, e: &dyn std::fmt::Display| {
        Failure::new(ErrorCode::InvalidBody, format!("{} event {}: {e}", event.stream, event.seq))
    };
    let (mut statements, mut products) = (Vec::new(), Vec::new());
    for event in events {
        let seq = (event.seq as f64).into();
        let body = event.payload.to_string();
        let statement =
            match event.stream.as_str() {
                streams::TRADES => {
                    let trade: TradeEvent =
                        serde_json::from_value(event.payload.clone()).map_err(|e| malformed(event, &e))?;
                    let fill = serde_json::to_string(&trade.fill).map_err(|e| malformed(event, &e))?;
                    db.prepare(
                        "INSERT OR IGNORE INTO replica_trades (account_id, trade_id, product_id, time_ms, seq, fill) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    )
                    .bind(&[
                        trade.account_id.into(),
                        trade.fill.trade_id.to_string().into(),
                        trade.fill.product_id.to_string().into(),
                        (trade.fill.time.millis() as f64).into(),
                        seq,
                        fill.into(),
                    ])
                }
                streams::PATTERNS => {
                    let pattern: Pattern =
                        serde_json::from_value(event.payload.clone()).map_err(|e| malformed(event, &e))?;
                    let lifecycle = lifecycle_name(&pattern);
                    products.push(pattern.product_id.clone());
                    // A later commit of the pattern replaces an earlier one, never the reverse.
                    db.prepare(
                    "INSERT INTO replica_patterns (id, product_id, lifecycle, seq, body) VALUES (?1, ?2, ?3, ?4, ?5) \
                     ON CONFLICT (id) DO UPDATE SET product_id = excluded.product_id, lifecycle = excluded.lifecycle, \
                     seq = excluded.seq, body = excluded.body WHERE excluded.seq > replica_patterns.seq",
                )
                .bind(&[pattern.id.into(), pattern.product_id.into(), lifecycle.into(), seq, body.into()])
                }
                streams::EPISODES => {
                    let episode: EpisodeEvent =
                        serde_json::from_value(event.payload.clone()).map_err(|e| malformed(event, &e))?;
                    db.prepare(
                        "INSERT OR IGNORE INTO replica_episodes (id, product_id, regime, time_ms, seq, body) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    )
                    .bind(&[
                        episode.id.into(),
                        episode.product_id.into(),
                        episode.regime.into(),
                        (episode.time_ms as f64).into(),
                        seq,
                        body.into(),
                    ])
                }
                _ => continue,
            };
        statements.push(statement.map_err(unavailable)?);
    }
    products.sort();
    products.dedup();
    Ok((statements, products))
}

/// Runs the replicas' statements in one D1 batch (all or nothing).
pub async fn write(env: &Env, meter: &Meter, statements: Vec<D1PreparedStatement>) -> Result<(), Failure> {
    if statements.is_empty() {
        return Ok(());
    }
    let db = env.d1("DB").map_err(unavailable)?;
    let results = db
        .batch(statements)
        .await
        .map_err(|e| Failure::new(ErrorCode::StorageFailed, format!("the read replicas were not written: {e}")))?;
    let written: usize = results.iter().filter_map(|r| r.meta().ok().flatten().and_then(|m| m.rows_written)).sum();
    meter.add(Billable { d1_rows_written: written as u64, ..Billable::default() });
    Ok(())
}

/// Drops the cached predictions of `products` (a pattern of theirs changed): the next read
/// asks the agent tier. A failed delete is logged: the entry goes stale within its freshness.
pub async fn invalidate_predictions(env: &Env, meter: &Meter, products: &[String]) {
    let Ok(kv) = env.kv("CACHE") else { return };
    for product in products {
        meter.add(Billable { kv_writes: 1, ..Billable::default() });
        if let Err(error) = kv.delete(&format!("prediction:{product}")).await {
            worker::console_warn!("KV: the prediction of {product} was not invalidated: {error}");
        }
    }
}

fn lifecycle_name(pattern: &Pattern) -> String {
    serde_json::to_value(pattern.lifecycle).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

async fn rows<T: serde::de::DeserializeOwned>(
    env: &Env,
    meter: &Meter,
    query: &str,
    bindings: &[worker::wasm_bindgen::JsValue],
) -> Result<Vec<T>, Failure> {
    let db = env.d1("DB").map_err(unavailable)?;
    let result = db.prepare(query).bind(bindings).map_err(unavailable)?.all().await.map_err(unavailable)?;
    let read = result.meta().ok().flatten().and_then(|m| m.rows_read).unwrap_or(1) as u64;
    meter.add(Billable { d1_rows_read: read, ..Billable::default() });
    result.results::<T>().map_err(unavailable)
}

#[derive(Deserialize)]
struct Text {
    text: String,
}

/// `GET /api/trades` of an account of the agent tier, from the replica (newest first); `None`
/// when the replica holds no trade of the account (an account of the edge's own).
pub async fn trades(
    env: &Env,
    meter: &Meter,
    account_id: &str,
    product_id: Option<&str>,
    limit: usize,
) -> Result<Option<Answer>, Failure> {
    let rows: Vec<Text> = match product_id {
        Some(product) => {
            rows(
                env,
                meter,
                "SELECT fill AS text FROM replica_trades WHERE account_id = ?1 AND product_id = ?2 \
                 ORDER BY time_ms DESC, seq DESC LIMIT ?3",
                &[account_id.into(), product.into(), (limit as f64).into()],
            )
            .await?
        }
        None => rows(
            env,
            meter,
            "SELECT fill AS text FROM replica_trades WHERE account_id = ?1 ORDER BY time_ms DESC, seq DESC LIMIT ?2",
            &[account_id.into(), (limit as f64).into()],
        )
        .await?,
    };
    if rows.is_empty() {
        let any: Vec<Text> = rows_any(env, meter, account_id).await?;
        if any.is_empty() {
            return Ok(None);
        }
    }
    let trades = rows.iter().filter_map(|r| serde_json::from_str(&r.text).ok()).collect();
    Ok(Some(http::json(200, &views::Trades { trades })))
}

async fn rows_any(env: &Env, meter: &Meter, account_id: &str) -> Result<Vec<Text>, Failure> {
    rows(env, meter, "SELECT trade_id AS text FROM replica_trades WHERE account_id = ?1 LIMIT 1", &[account_id.into()])
        .await
}

/// `GET /api/memory/patterns` from the replica, optionally of one product or in one lifecycle.
pub async fn patterns(env: &Env, meter: &Meter, product_id: Option<&str>, lifecycle: Option<&str>) -> Answer {
    if let Some(lifecycle) = lifecycle {
        validation::lifecycle(lifecycle)?;
    }
    let rows: Vec<Text> = rows(
        env,
        meter,
        "SELECT body AS text FROM replica_patterns WHERE (?1 = '' OR product_id = ?1) AND (?2 = '' OR lifecycle = ?2) \
         ORDER BY seq",
        &[product_id.unwrap_or_default().into(), lifecycle.unwrap_or_default().into()],
    )
    .await?;
    let patterns: Vec<Pattern> = rows.iter().filter_map(|r| serde_json::from_str(&r.text).ok()).collect();
    http::json(200, &views::Patterns { patterns })
}

#[derive(Deserialize)]
struct CountRow {
    product_id: String,
    regime: String,
    episodes: f64,
}

#[derive(Deserialize)]
struct LifecycleRow {
    lifecycle: String,
    patterns: f64,
}

/// `GET /api/memory` from the replicas. The edge holds the agent tier's resolved episodes
/// only, so `episodes` and `resolved` both count those, and `audit_records` counts the
/// pattern commits it has applied (each one audited by the agent tier's managers).
pub async fn summary(env: &Env, meter: &Meter, pattern_commits: u64) -> Answer {
    let counts: Vec<CountRow> = rows(
        env,
        meter,
        "SELECT product_id, regime, COUNT(*) AS episodes FROM replica_episodes GROUP BY product_id, regime \
         ORDER BY product_id, regime",
        &[],
    )
    .await?;
    let lifecycles: Vec<LifecycleRow> =
        rows(env, meter, "SELECT lifecycle, COUNT(*) AS patterns FROM replica_patterns GROUP BY lifecycle", &[])
            .await?;
    let by_product_and_regime: Vec<views::EpisodeCount> = counts
        .into_iter()
        .map(|c| views::EpisodeCount {
            product_id: c.product_id,
            regime: c.regime,
            episodes: c.episodes as u64,
            resolved: c.episodes as u64,
        })
        .collect();
    let episodes = by_product_and_regime.iter().map(|c| c.episodes).sum();
    let patterns: BTreeMap<String, u64> = lifecycles.into_iter().map(|l| (l.lifecycle, l.patterns as u64)).collect();
    http::json(
        200,
        &views::MemorySummary {
            audit_records: pattern_commits,
            by_product_and_regime,
            enabled: true,
            episodes,
            patterns,
            resolved: episodes,
        },
    )
}
