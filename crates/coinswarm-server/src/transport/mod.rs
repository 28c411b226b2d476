//! How callers reach the desk: the REST API with its WebSocket streams and MCP's HTTP
//! binding ([`api`]), MCP's tools, resources and prompts (over HTTP or stdio, [`mcp`]) and
//! the connection server with its limits ([`serve`]). A transport is a thin layer over
//! [`crate::desk`]: it parses, authenticates, maps the desk's `Failure` to its own error
//! form, and answers.

pub mod api;
pub mod mcp;
pub mod serve;

use crate::desk::Desk;
use crate::metrics::HttpMetrics;
use api::KeyGuard;
use serve::admission::Admission;
use std::ops::Deref;
use std::sync::Arc;

/// What the HTTP transports stand on: the desk, and what only HTTP has (the key guard,
/// the request metrics and the open connections).
#[derive(Debug)]
pub struct Transport {
    pub desk: Arc<Desk>,
    pub guard: KeyGuard,
    pub http_metrics: HttpMetrics,
    /// Open connections within `connections.max` and `connections.max_per_ip`.
    pub connections: Arc<Admission>,
}

impl Deref for Transport {
    type Target = Desk;

    fn deref(&self) -> &Desk {
        &self.desk
    }
}
