//! `[connections]`: how many connections the HTTP server takes, and how long each may take.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How often an open MCP event stream carries a keep-alive comment: below the
/// connections' idle timeout, which [`super::ServerConfig::validate`] checks.
pub const SSE_KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Connections to the HTTP server: how many, and how long each may take.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConnectionsConfig {
    /// Connections open at once, all clients together (HTTP, WebSocket and MCP); one more
    /// is answered 503 and closed. Lowered at start to fit the process's file descriptor
    /// limit. Default 1,024.
    pub max: usize,
    /// Connections one client address may hold open; one more is answered 503 and closed.
    /// 0 turns the cap off (behind a reverse proxy every client shares its address).
    /// Default 128.
    pub max_per_ip: usize,
    /// A request's head (request line and headers) must arrive within this time of the
    /// connection's start or of the previous response, in ms; it also ends keep-alive
    /// connections left idle this long. Default 10,000.
    pub header_read_timeout_ms: u64,
    /// A request's body must arrive within this time of its head, in ms; otherwise 408.
    /// Default 10,000.
    pub body_read_timeout_ms: u64,
    /// A connection (HTTP, WebSocket or MCP stream) on which no byte moves either way for
    /// this long is closed, in ms. Streams keep theirs alive with pings (MCP's event
    /// streams every 15 s), so it must be longer than that. Default 60,000.
    pub idle_timeout_ms: u64,
    /// How long a shutdown waits for open connections to finish their requests, in ms;
    /// the rest are closed. Default 10,000.
    pub shutdown_grace_ms: u64,
}

impl Default for ConnectionsConfig {
    fn default() -> Self {
        Self {
            max: 1_024,
            max_per_ip: 128,
            header_read_timeout_ms: 10_000,
            body_read_timeout_ms: 10_000,
            idle_timeout_ms: 60_000,
            shutdown_grace_ms: 10_000,
        }
    }
}
