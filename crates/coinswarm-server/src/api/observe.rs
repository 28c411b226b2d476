//! The observation layer: every request's route, status and latency go to the metrics and
//! the trace log; `GET /metrics` renders them with the server's gauges.

use super::AppState;
use crate::metrics::render_value;
use crate::store::{Kv, Queue};
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::fmt::Write;
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
    let cache = state.kv.stats();
    render_value(&mut out, "coinswarm_cache_hits_total", "counter", "Kv cache hits.", cache.hits as f64);
    render_value(&mut out, "coinswarm_cache_misses_total", "counter", "Kv cache misses.", cache.misses as f64);
    render_value(
        &mut out,
        "coinswarm_connections",
        "gauge",
        "Open connections (HTTP, WebSocket, MCP).",
        state.connections.open() as f64,
    );
    render_value(
        &mut out,
        "coinswarm_connections_refused_total",
        "counter",
        "Connections refused over connections.max or connections.max_per_ip.",
        state.connections.refused() as f64,
    );
    render_value(&mut out, "coinswarm_ws_clients", "gauge", "Open /stream connections.", state.hub.clients() as f64);
    render_value(
        &mut out,
        "coinswarm_sessions",
        "gauge",
        "Running account sessions.",
        state.sessions.all().len() as f64,
    );
    let decisions = state.swarm_session().and_then(|s| s.swarm()).map_or(0, |s| s.decisions);
    render_value(&mut out, "coinswarm_decisions_total", "counter", "Decisions the swarm took.", decisions as f64);
    let orders: usize = state.sessions.all().iter().map(|s| s.view().orders.len()).sum();
    render_value(&mut out, "coinswarm_orders", "gauge", "Orders the accounts hold (live and recent).", orders as f64);
    let depth = state.store.queue_depth(crate::store::POST_TRADE).await.unwrap_or(-1);
    render_value(&mut out, "coinswarm_queue_depth", "gauge", "Post-trade jobs waiting.", depth as f64);
    let commits = state.store.commit_stats();
    let name = "coinswarm_store_commit_duration_seconds";
    let _ = writeln!(out, "# HELP {name} Group commits of account batches: BEGIN to the end of COMMIT's fsync.");
    let _ = writeln!(out, "# TYPE {name} histogram");
    commits.duration.render_lines(&mut out, name, "");
    render_value(
        &mut out,
        "coinswarm_store_committed_batches_total",
        "counter",
        "Writes (account batches, analytics) made durable by the group commit.",
        commits.batches as f64,
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}
