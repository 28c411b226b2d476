//! MCP over Streamable HTTP at `/mcp` on the `up` server. Every request needs a bearer API
//! key: it is checked (and rate limited) exactly as the REST API checks it, and the key
//! rides in the request's extensions to the tool, which takes its account and scopes from
//! it. Each session belongs to the key that opened it ([`McpSessions`]): another key naming
//! it is answered 404. Sessions end after `mcp.session_idle_ms` without a request, and when
//! the server shuts down, so open streams never hold the shutdown.

use super::{AppState, Caller};
use crate::transport::mcp::sessions::McpSessions;
use crate::transport::mcp::{McpCaller, McpDesk};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use std::sync::Arc;
use std::time::Duration;

/// The header naming a request's MCP session.
const SESSION_HEADER: &str = "mcp-session-id";

/// The `/mcp` service (one [`McpDesk`] per MCP session, closed when `state.shutdown`
/// fires) and the record of which key owns each session.
pub fn service(state: &AppState) -> (StreamableHttpService<McpDesk, LocalSessionManager>, Arc<McpSessions>) {
    let mcp = &state.config.mcp;
    let mut config = StreamableHttpServerConfig::default()
        .with_max_request_body_bytes(state.config.limits.max_body_bytes)
        .with_sse_keep_alive(Some(crate::config::SSE_KEEP_ALIVE));
    config = if mcp.allowed_hosts.iter().any(|host| host == "*") {
        config.disable_allowed_hosts()
    } else {
        config.with_allowed_hosts(mcp.allowed_hosts.iter().cloned())
    };
    let closing = config.cancellation_token.clone();
    let mut shutdown = state.shutdown.clone();
    tokio::spawn(async move {
        let _ = shutdown.wait_for(|stop| *stop).await;
        closing.cancel();
    });
    let mut manager = LocalSessionManager::default();
    manager.session_config.keep_alive = Some(Duration::from_millis(mcp.session_idle_ms));
    let manager = Arc::new(manager);
    let sessions = McpSessions::new(manager.clone(), mcp.max_sessions, mcp.max_sessions_per_key);
    let desk = state.desk.clone();
    let service = StreamableHttpService::new(move || Ok(McpDesk::per_request(desk.clone())), manager, config);
    (service, sessions)
}

/// Checks the bearer key (401, 429 with `Retry-After`, as the REST API answers), holds a
/// new session within the caps, refuses a session to any key but its owner's, and hands the
/// key to the MCP server.
pub async fn authenticate(
    State((state, sessions)): State<(AppState, Arc<McpSessions>)>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let key = match Caller::from_request_parts(&mut parts, &state).await {
        Ok(Caller(key)) => key,
        Err(error) => return error.into_response(),
    };
    let session = parts.headers.get(SESSION_HEADER).map(|id| id.to_str().unwrap_or_default().to_string());
    let key_id = key.id.clone();
    parts.extensions.insert(McpCaller(key));
    let request = Request::from_parts(parts, body);
    match session {
        Some(session) => {
            if let Err(error) = sessions.check_owner(&session, &key_id) {
                return super::ApiError(error).into_response();
            }
            next.run(request).await
        }
        // A POST without a session is an `initialize` (rmcp refuses anything else).
        None if request.method() == Method::POST => {
            let reservation = match sessions.reserve(&key_id).await {
                Ok(reservation) => reservation,
                Err(error) => return super::ApiError(error).into_response(),
            };
            let response = next.run(request).await;
            if let Some(session) = response.headers().get(SESSION_HEADER).and_then(|id| id.to_str().ok()) {
                reservation.bind(session);
            }
            response
        }
        None => next.run(request).await,
    }
}
