//! Pattern memory over HTTP: what the swarm remembers and the patterns it learned, read from
//! the SQL store (the source of truth).

use super::auth::Caller;
use super::error::ApiError;
use super::{AppState, json_body};
use crate::adapters::keys::Scope;
use crate::adapters::store::EpisodeStore;
use crate::desk;
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use coinswarm_api::query::{PatternAction, PatternChange, PatternsQuery, SimilarQuery};
use coinswarm_api::{ErrorCode, Failure, RetryAfter, validation, views};
use coinswarm_core::memory::{Lifecycle, Mutation, Outcome};
use serde_json::Value;
use std::collections::BTreeMap;

/// Episodes per product and regime, patterns per lifecycle, and the audit log's length.
pub async fn summary(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let unavailable = |e: anyhow::Error| Failure::unavailable(format!("{e:#}"), RetryAfter::FAULT);
    let counts = state.store.episode_counts().await.map_err(unavailable)?;
    let patterns = state.store.patterns().await.map_err(unavailable)?;
    let audit_records = state.store.audit_len().await.map_err(unavailable)?;
    let mut by_lifecycle: BTreeMap<String, u64> = BTreeMap::new();
    for pattern in &patterns {
        *by_lifecycle.entry(lifecycle_name(pattern.lifecycle)).or_default() += 1;
    }
    Ok(json_body(&views::MemorySummary {
        audit_records,
        enabled: state.config.memory.enabled,
        episodes: counts.iter().map(|c| c.episodes).sum(),
        resolved: counts.iter().map(|c| c.resolved).sum(),
        by_product_and_regime: counts,
        patterns: by_lifecycle,
    }))
}

/// The learned patterns (lifecycle, weight, statistics, live record, centroid), optionally
/// of one product or in one lifecycle.
pub async fn patterns(
    State(state): State<AppState>,
    query: Result<Query<PatternsQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query?;
    if let Some(lifecycle) = &query.lifecycle {
        validation::lifecycle(lifecycle)?;
    }
    let patterns =
        state.store.patterns().await.map_err(|e| Failure::unavailable(format!("{e:#}"), RetryAfter::FAULT))?;
    let patterns: Vec<_> = patterns
        .into_iter()
        .filter(|p| query.product_id.as_ref().is_none_or(|id| &p.product_id == id))
        .filter(|p| query.lifecycle.as_ref().is_none_or(|l| &lifecycle_name(p.lifecycle) == l))
        .collect();
    Ok(json_body(&views::Patterns { patterns }))
}

/// The past episodes most similar to the market state at the last bar close (or at the last
/// decision at or before `at`), among those whose outcome was known then (what the recall
/// agent weighs), nearest first (default 10, at most 100).
pub async fn similar(
    State(state): State<AppState>,
    query: Result<Query<SimilarQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query?;
    Ok(json_body(&desk::similar(&state, q.product_id.as_deref(), q.at.as_deref(), q.top_k).await?))
}

/// An operator's change to a learned pattern (admin). It goes to the same three managers
/// as the swarm's own changes, is applied only on three identical approvals, and is in the
/// audit log either way.
pub async fn change_pattern(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<PatternChange>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    crate::desk::require(&caller.0, Scope::Admin)?;
    let Json(change) = body?;
    if !state.config.memory.enabled {
        return Err(
            Failure::unavailable("pattern memory is off (memory.enabled = false)", RetryAfter::TURNED_OFF).into()
        );
    }
    let mutation = match change.action {
        PatternAction::Quarantine => Mutation::Quarantine { reason: change.reason.clone().unwrap_or_default() },
        PatternAction::Deprecate => Mutation::Deprecate,
        PatternAction::Delete => Mutation::Delete,
    };
    let session = state.swarm_session().ok_or_else(|| state.swarm_not_running())?;
    let outcome = session
        .change_pattern(&change.pattern_id, mutation)
        .await
        .map_err(|e| Failure::unavailable(e.to_string(), RetryAfter::FAULT))?
        .ok_or_else(|| Failure::not_found(format!("no learned pattern {}", change.pattern_id)))?;
    match outcome {
        Outcome::Committed => {
            Ok(json_body(&views::PatternChanged { outcome: "committed", pattern_id: change.pattern_id, success: true }))
        }
        Outcome::Rejected(reasons) => Err(ApiError::from(Failure::new(
            ErrorCode::RejectedByQuorum,
            format!("the managers rejected the change: {}", reasons.join("; ")),
        ))),
        Outcome::Disagreement => {
            Err(ApiError::from(Failure::new(ErrorCode::NoQuorum, "the managers' votes differ: nothing changed")))
        }
    }
}

fn lifecycle_name(lifecycle: Lifecycle) -> String {
    serde_json::to_value(lifecycle).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}
