//! The agent tier's durable streams at the edge (`coinswarm_api::edge::streams`): the market
//! hub applies each stream's events once and in order ([`coinswarm_api::edge::next_in_order`],
//! by the positions it keeps in its storage), writing trades, patterns and resolved episodes
//! to D1's read replicas (each row keyed so that a second write of it changes nothing) and
//! decisions to its own storage. A new pattern invalidates its product's cached prediction
//! in KV; with a `VECTORS` binding, every episode is indexed in Vectorize too. The read routes
//! over the replicas are here: `GET /api/trades` of an account of the agent tier,
//! `GET /api/memory`, `GET /api/memory/patterns`, and `GET /api/memory/similar` on Vectorize.

use super::http::{self, Answer, unavailable};
use super::meter::Meter;
use crate::billable::Billable;
use coinswarm_api::edge::{StreamEvent, streams};
use coinswarm_api::validation;
use coinswarm_api::{ErrorCode, Failure, RetryAfter, views};
use coinswarm_core::memory::{Condition, Episode, Filter, MetadataValue, Pattern, QueryOptions, VectorRecord};
use coinswarm_core::order::Fill;
use serde::Deserialize;
use std::collections::BTreeMap;
use wasm_bindgen::JsValue;
use worker::{D1PreparedStatement, Env};

/// A trade event's payload.
#[derive(Deserialize)]
struct TradeEvent {
    account_id: String,
    fill: Fill,
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

/// What applying the replicated streams' events writes.
#[derive(Default)]
pub struct Replicated {
    /// D1's statements, run in one batch.
    pub statements: Vec<D1PreparedStatement>,
    /// Products whose cached predictions a new pattern makes stale.
    pub stale_predictions: Vec<String>,
    /// Episodes for the vector index (when the Worker has one).
    pub vectors: Vec<VectorRecord>,
}

/// What the events of the replicated streams write (decisions stay in the hub).
pub fn statements(env: &Env, events: &[StreamEvent]) -> Result<Replicated, Failure> {
    let db = env.d1("DB").map_err(unavailable)?;
    let malformed = |event: &StreamEvent, e: &dyn std::fmt::Display| {
        Failure::new(ErrorCode::InvalidBody, format!("{} event {}: {e}", event.stream, event.seq))
    };
    let mut replicated = Replicated::default();
    for event in events {
        let seq: JsValue = (event.seq as f64).into();
        let statement = match event.stream.as_str() {
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
                replicated.stale_predictions.push(pattern.product_id.clone());
                // A later commit of the pattern replaces an earlier one, never the reverse.
                db.prepare(
                    "INSERT INTO replica_patterns (id, product_id, lifecycle, seq, body) VALUES (?1, ?2, ?3, ?4, ?5) \
                     ON CONFLICT (id) DO UPDATE SET product_id = excluded.product_id, lifecycle = excluded.lifecycle, \
                     seq = excluded.seq, body = excluded.body WHERE excluded.seq > replica_patterns.seq",
                )
                .bind(&[
                    pattern.id.into(),
                    pattern.product_id.into(),
                    lifecycle.into(),
                    seq,
                    event.payload.to_string().into(),
                ])
            }
            streams::EPISODES => {
                let episode: Episode =
                    serde_json::from_value(event.payload.clone()).map_err(|e| malformed(event, &e))?;
                replicated.vectors.push(super::vectorize::record_of(&episode));
                // D1 keeps the episode without its state vector (the index holds that).
                let mut body = event.payload.clone();
                if let Some(fields) = body.as_object_mut() {
                    fields.remove("state");
                }
                let outcome = episode.outcome.map_or(JsValue::NULL, JsValue::from);
                // The resolved episode replaces the recorded one, never the reverse.
                db.prepare(
                    "INSERT INTO replica_episodes (id, product_id, regime, time_ms, outcome, seq, body) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO UPDATE SET outcome = excluded.outcome, \
                     seq = excluded.seq, body = excluded.body WHERE excluded.seq > replica_episodes.seq",
                )
                .bind(&[
                    episode.id.into(),
                    episode.product_id.into(),
                    episode.regime.into(),
                    (episode.time_ms as f64).into(),
                    outcome,
                    seq,
                    body.to_string().into(),
                ])
            }
            _ => continue,
        };
        replicated.statements.push(statement.map_err(unavailable)?);
    }
    replicated.stale_predictions.sort();
    replicated.stale_predictions.dedup();
    Ok(replicated)
}

/// Runs the replicas' statements in one D1 batch (all or nothing), and indexes the episodes
/// when the Worker has a vector index (an upsert replaces a record whole, so a second one
/// changes nothing).
pub async fn write(env: &Env, meter: &Meter, replicated: Replicated) -> Result<(), Failure> {
    if !replicated.vectors.is_empty()
        && let Some(index) = super::vectorize::Vectorize::bound(env)
    {
        index.upsert(&replicated.vectors).await.map_err(|e| Failure::unavailable(e.to_string(), RetryAfter::FAULT))?;
    }
    let statements = replicated.statements;
    if statements.is_empty() {
        return Ok(());
    }
    let db = env.d1("DB").map_err(unavailable)?;
    let results = db.batch(statements).await.map_err(|e| {
        Failure::unavailable_as(
            ErrorCode::StorageFailed,
            format!("the read replicas were not written: {e}"),
            RetryAfter::FAULT,
        )
    })?;
    let written: usize = results.iter().filter_map(|r| r.meta().ok().flatten().and_then(|m| m.rows_written)).sum();
    meter.add(Billable { d1_rows_written: written as u64, ..Billable::default() });
    Ok(())
}

/// Drops the cached predictions of `products` (a pattern of theirs changed), in KV and in the
/// agent link's memory: the next read asks the agent tier. A failure is logged: the entry goes
/// stale within its freshness.
pub async fn invalidate_predictions(env: &Env, meter: &Meter, products: &[String]) {
    if products.is_empty() {
        return;
    }
    if let Ok(kv) = env.kv("CACHE") {
        for product in products {
            meter.add(Billable { kv_writes: 1, ..Billable::default() });
            if let Err(error) = kv.delete(&format!("prediction:{product}")).await {
                worker::console_warn!("KV: the prediction of {product} was not invalidated: {error}");
            }
        }
    }
    // The agent link remembers its latest answers for the freshness window too.
    let forget = super::agent_link::LinkCall::Forget { product_ids: products.to_vec() };
    let forgotten = match super::objects::agent_link(env) {
        Ok(link) => super::http::call(&link, &forget, meter).await.map(|_| ()),
        Err(failure) => Err(failure),
    };
    if let Err(failure) = forgotten {
        worker::console_warn!("the agent link did not forget {products:?}: {failure}");
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
    resolved: f64,
}

#[derive(Deserialize)]
struct LifecycleRow {
    lifecycle: String,
    patterns: f64,
}

/// `GET /api/memory` from the replicas; `audit_records` counts the pattern commits the edge
/// has applied (each one audited by the agent tier's managers: the audit log itself stays
/// there).
pub async fn summary(env: &Env, meter: &Meter, pattern_commits: u64) -> Answer {
    let counts: Vec<CountRow> = rows(
        env,
        meter,
        "SELECT product_id, regime, COUNT(*) AS episodes, COUNT(outcome) AS resolved FROM replica_episodes \
         GROUP BY product_id, regime ORDER BY product_id, regime",
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
            resolved: c.resolved as u64,
        })
        .collect();
    let episodes = by_product_and_regime.iter().map(|c| c.episodes).sum();
    let resolved = by_product_and_regime.iter().map(|c| c.resolved).sum();
    let patterns: BTreeMap<String, u64> = lifecycles.into_iter().map(|l| (l.lifecycle, l.patterns as u64)).collect();
    http::json(
        200,
        &views::MemorySummary {
            audit_records: pattern_commits,
            by_product_and_regime,
            enabled: true,
            episodes,
            patterns,
            resolved,
        },
    )
}

#[derive(Deserialize)]
struct StateRow {
    id: String,
    time_ms: f64,
}

/// `GET /api/memory/similar` on the Vectorize index: the episodes of `product_id` nearest the
/// state at its latest decision at or before `at` (now: its latest), among those whose
/// outcome was known then, nearest first. `None` when the index cannot answer yet (no
/// episode yet, or the state's vector not readable there: Vectorize shows an upsert within
/// seconds), so that the agent tier is asked instead.
pub async fn similar_in_index(
    env: &Env,
    meter: &Meter,
    index: &super::vectorize::Vectorize,
    product_id: &str,
    at: Option<i64>,
    top_k: usize,
) -> Result<Option<views::Similar>, Failure> {
    let state: Vec<StateRow> = rows(
        env,
        meter,
        "SELECT id, time_ms FROM replica_episodes WHERE product_id = ?1 AND time_ms <= ?2 ORDER BY time_ms DESC LIMIT 1",
        &[product_id.into(), (at.unwrap_or(i64::MAX) as f64).into()],
    )
    .await?;
    let Some(state) = state.into_iter().next() else {
        return match at {
            Some(at) => Err(Failure::not_found(format!(
                "no market state remembered at or before {}",
                coinswarm_core::time::Timestamp::from_millis(at).to_rfc3339()
            ))),
            None => Ok(None),
        };
    };
    let unavailable = |e: coinswarm_core::memory::VectorError| Failure::unavailable(e.to_string(), RetryAfter::FAULT);
    let Some(record) = index.get_by_ids(&[state.id.as_str()]).await.map_err(unavailable)?.into_iter().next() else {
        return Ok(None);
    };
    let state_ms = state.time_ms as i64;
    let options = QueryOptions {
        top_k,
        namespace: Some(product_id.to_string()),
        filter: Some(
            Filter::new()
                .and("horizon_end", Condition::Lte(MetadataValue::Number(state_ms as f64)))
                .and("resolved", Condition::Eq(MetadataValue::Bool(true))),
        ),
        return_metadata: true,
        return_values: false,
    };
    let mut matches = index.query(&record.values, &options).await.map_err(unavailable)?;
    for m in &mut matches {
        if let Some(metadata) = &mut m.metadata {
            metadata.remove("resolved");
        }
    }
    let state_at = coinswarm_core::time::Timestamp::from_millis(state_ms).to_rfc3339();
    Ok(Some(views::Similar { matches, state_at }))
}
