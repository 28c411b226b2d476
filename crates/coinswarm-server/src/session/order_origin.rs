//! Who sent an order from outside the swarm, and what placing one would do.

use serde::Serialize;

/// Who sent an order, a cancellation, or a halt or resume of the swarm from outside the
/// swarm, recorded with it in the account's audit log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderOrigin {
    /// `rest` or `mcp`.
    pub channel: &'static str,
    /// The API key's id (`local` for a stdio MCP server run without a key).
    pub key_id: String,
    /// The MCP client's name and version, from its `initialize`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// The MCP tool that placed the order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
}

/// Why the desk refused an order before it reached the account's session, as recorded in
/// the account's decision log (`GET /api/orders/audit`).
#[derive(Debug, Clone, PartialEq)]
pub struct OrderRefusal {
    /// The stable code the caller was answered with, e.g. `LIVE_SCOPE_REQUIRED`.
    pub code: &'static str,
    pub message: String,
}

pub use coinswarm_api::views::{OrderPreview, PreviewRejection};
