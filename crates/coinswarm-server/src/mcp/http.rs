//! MCP over Streamable HTTP at `/mcp` on the `up` server. Every request needs a bearer API
//! key: it is checked (and rate limited) exactly as the REST API checks it, and the key
//! rides in the request's extensions to the tool, which takes its account and scopes from
//! it. Sessions end when the server shuts down, so open streams never hold the shutdown.

use super::{McpCaller, McpDesk};
use crate::api::{ApiError, AppState, Caller};
use axum::extract::{FromRequestParts, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use std::sync::Arc;

/// The `/mcp` service: one [`McpDesk`] per MCP session, closed when `state.shutdown` fires.
pub fn service(state: &AppState) -> StreamableHttpService<McpDesk, LocalSessionManager> {
    let mut config = StreamableHttpServerConfig::default()
        .with_max_request_body_bytes(state.config.limits.max_body_bytes)
        .with_sse_keep_alive(Some(std::time::Duration::from_secs(15)));
    if state.config.allow_remote {
        // Reached by other names than loopback; the bearer key still guards every request.
        config = config.disable_allowed_hosts();
    }
    let closing = config.cancellation_token.clone();
    let mut shutdown = state.shutdown.clone();
    tokio::spawn(async move {
        let _ = shutdown.wait_for(|stop| *stop).await;
        closing.cancel();
    });
    let parts = state.0.clone();
    StreamableHttpService::new(
        move || Ok(McpDesk::per_request(parts.clone())),
        Arc::new(LocalSessionManager::default()),
        config,
    )
}

/// Checks the bearer key (401, 429 with `Retry-After`, as the REST API answers) and hands
/// it to the MCP server.
pub async fn authenticate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let caller: Result<Caller, ApiError> = Caller::from_request_parts(&mut parts, &state).await;
    match caller {
        Ok(Caller(key)) => {
            parts.extensions.insert(McpCaller(key));
            next.run(Request::from_parts(parts, body)).await
        }
        Err(error) => error.into_response(),
    }
}
