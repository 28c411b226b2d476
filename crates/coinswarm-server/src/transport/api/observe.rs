//! The observation layer: every request's route, status and latency go to the metrics and
//! the trace log; `GET /metrics` renders them with the server's gauges.

use super::AppState;
use crate::adapters::store::{Kv, Queue};
use crate::metrics::{CONTENT_TYPE, Snapshot};
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Instant;

pub async fn record(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // Labels from a fixed set: the matched route template (never the raw path) and a known
    // method name, so no client can create series.
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |m| m.as_str()).to_string();
    let method = crate::metrics::method_label(request.method());
    let started = Instant::now();
    let mut response = next.run(request).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    // The server's own share of the latency a client measures (shown by browsers' tools).
    if let Ok(timing) = header::HeaderValue::from_str(&format!("app;dur={:.3}", elapsed.as_secs_f64() * 1000.0)) {
        response.headers_mut().insert("server-timing", timing);
    }
    state.http_metrics.record(&route, method, status, elapsed);
    tracing::debug!(%route, %method, status, micros = elapsed.as_micros() as u64, "request");
    response
}

pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let mut out = String::new();
    state.http_metrics.render(&mut out);
    let mut values = Snapshot::default();
    let cache = state.kv.stats();
    values.counter("coinswarm_cache_hits", "Kv cache hits", cache.hits);
    values.counter("coinswarm_cache_misses", "Kv cache misses", cache.misses);
    values.gauge("coinswarm_connections", "Open connections (HTTP, WebSocket, MCP)", gauge(state.connections.open()));
    values.counter(
        "coinswarm_connections_refused",
        "Connections refused over connections.max or connections.max_per_ip",
        state.connections.refused(),
    );
    values.gauge("coinswarm_ws_clients", "Open /stream connections", gauge(state.hub.clients()));
    if let Some(dropped) = state.hub.tap_dropped() {
        values.counter(
            "coinswarm_edge_dropped_events",
            "Events for the edge tier dropped because edge.max_pending were waiting to be sent",
            dropped,
        );
        let heads = state.store.edge_outbox_heads().await.unwrap_or_default();
        let pending: u64 = heads.iter().map(|h| h.last_seq.saturating_sub(h.acked_seq)).sum();
        let published: u64 = heads.iter().map(|h| h.last_seq).sum();
        values.gauge(
            "coinswarm_edge_outbox_pending",
            "Events of the durable streams (decisions, trades, patterns, episodes) the edge has not applied yet",
            i64::try_from(pending).unwrap_or(i64::MAX),
        );
        values.counter(
            "coinswarm_edge_outbox_published",
            "Events of the durable streams written to the edge outbox",
            published,
        );
    }
    values.gauge("coinswarm_sessions", "Running account sessions", gauge(state.sessions.all().len()));
    let decisions = state.swarm_session().and_then(|s| s.swarm()).map_or(0, |s| s.decisions);
    values.counter("coinswarm_decisions", "Decisions the swarm took", decisions);
    let orders: usize = state.sessions.all().iter().map(|s| s.view().orders.len()).sum();
    values.gauge("coinswarm_orders", "Orders the accounts hold (live and recent)", gauge(orders));
    let depth = state.store.queue_depth(crate::adapters::store::POST_TRADE).await.unwrap_or(-1);
    values.gauge("coinswarm_queue_depth", "Post-trade jobs waiting", depth);
    let commits = state.store.commit_stats();
    values.histogram(
        "coinswarm_store_commit_duration_seconds",
        "Group commits of account batches: BEGIN to the end of COMMIT's fsync",
        commits.duration,
    );
    values.counter(
        "coinswarm_store_committed_batches",
        "Writes (account batches, analytics) made durable by the group commit",
        commits.batches,
    );
    values.render(&mut out);
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], out)
}

/// A count as a gauge's value.
fn gauge(count: usize) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}
