//! The one table of routes: every path a host serves, with its method, operation id, who may
//! call it and every status it can answer. The server mounts its handlers from this table
//! and the OpenAPI document is generated from it, so neither can list a route the other
//! does not.

/// An HTTP method the API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Get,
    Post,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, with no key.
    Public,
    /// Anyone; a key (if sent) must be valid, and it may show more (a live swarm's account).
    OptionalKey,
    /// A key with this scope: `read`, `trade` or `admin`.
    Key(&'static str),
}

/// What a route does: its operation id in the document, and the handler a host mounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    Dashboard,
    Liveness,
    Readiness,
    Metrics,
    OpenApi,
    ListProducts,
    GetMarketData,
    GetCandles,
    ListAccounts,
    GetAccount,
    ListTrades,
    PlaceOrder,
    ListOrders,
    PreviewOrder,
    GetOrderAudit,
    GetOrder,
    CancelOrder,
    GetPrediction,
    GetAnalytics,
    GetSwarm,
    ListDecisions,
    GetMemory,
    ListPatterns,
    FindSimilar,
    ChangePattern,
    ShutdownSwarm,
    ResumeSwarm,
    ResetDrawdown,
    Stream,
    Mcp,
    McpEvents,
    McpEndSession,
}

/// What a route reads from a request besides its headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    Nothing,
    /// A query string (unknown parameters refused).
    Query,
    /// A path parameter.
    Path,
    /// A JSON body.
    Body,
}

/// One route.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub method: Method,
    /// The path template (`{id}` for a parameter).
    pub path: &'static str,
    pub operation: Operation,
    pub summary: &'static str,
    pub access: Access,
    pub input: Input,
    /// The status of a successful answer.
    pub success: u16,
    /// The refusals this route answers itself (404 for an unlisted product, 422 for a
    /// rejected order, 503 while warming up...); [`Route::statuses`] adds the ones every
    /// route of its kind answers.
    pub refusals: &'static [u16],
}

/// Statuses any request may get: the body-read deadline (408), the body limit (413) and the
/// connection cap (503, with `Retry-After`).
pub const EVERY_ROUTE: [u16; 3] = [408, 413, 503];

impl Route {
    /// Every status this route can answer, ascending.
    pub fn statuses(&self) -> Vec<u16> {
        let mut statuses = vec![self.success];
        statuses.extend(EVERY_ROUTE);
        statuses.extend_from_slice(self.refusals);
        match self.access {
            Access::Public => {}
            // A key that is sent must be valid; it is charged to its budget; the key store
            // may be unavailable.
            Access::OptionalKey => statuses.extend([401, 429]),
            Access::Key(_) => statuses.extend([401, 403, 429]),
        }
        match self.input {
            Input::Nothing => {}
            Input::Query | Input::Path => statuses.push(400),
            Input::Body => statuses.extend([400, 415, 422]),
        }
        statuses.sort_unstable();
        statuses.dedup();
        statuses
    }

    /// The route's operation id in the document.
    pub fn operation_id(&self) -> &'static str {
        self.operation.id()
    }

    /// Whether `path` (no query string) is this route's, parameters matching any segment.
    pub fn matches(&self, path: &str) -> bool {
        let mut template = self.path.split('/');
        let mut actual = path.split('/');
        loop {
            match (template.next(), actual.next()) {
                (None, None) => return true,
                (Some(t), Some(a)) if t.starts_with('{') || t == a => {}
                _ => return false,
            }
        }
    }
}

impl Operation {
    pub fn id(self) -> &'static str {
        match self {
            Operation::Dashboard => "dashboard",
            Operation::Liveness => "liveness",
            Operation::Readiness => "readiness",
            Operation::Metrics => "metrics",
            Operation::OpenApi => "openApi",
            Operation::ListProducts => "listProducts",
            Operation::GetMarketData => "getMarketData",
            Operation::GetCandles => "getCandles",
            Operation::ListAccounts => "listAccounts",
            Operation::GetAccount => "getAccount",
            Operation::ListTrades => "listTrades",
            Operation::PlaceOrder => "placeOrder",
            Operation::ListOrders => "listOrders",
            Operation::PreviewOrder => "previewOrder",
            Operation::GetOrderAudit => "getOrderAudit",
            Operation::GetOrder => "getOrder",
            Operation::CancelOrder => "cancelOrder",
            Operation::GetPrediction => "getPrediction",
            Operation::GetAnalytics => "getAnalytics",
            Operation::GetSwarm => "getSwarm",
            Operation::ListDecisions => "listDecisions",
            Operation::GetMemory => "getMemory",
            Operation::ListPatterns => "listPatterns",
            Operation::FindSimilar => "findSimilar",
            Operation::ChangePattern => "changePattern",
            Operation::ShutdownSwarm => "shutdownSwarm",
            Operation::ResumeSwarm => "resumeSwarm",
            Operation::ResetDrawdown => "resetDrawdown",
            Operation::Stream => "stream",
            Operation::Mcp => "mcp",
            Operation::McpEvents => "mcpEvents",
            Operation::McpEndSession => "mcpEndSession",
        }
    }
}

const fn route(
    method: Method,
    path: &'static str,
    operation: Operation,
    access: Access,
    input: Input,
    refusals: &'static [u16],
    summary: &'static str,
) -> Route {
    Route { method, path, operation, summary, access, input, success: 200, refusals }
}

use Access::{Key, OptionalKey, Public};
use Input::{Body, Nothing, Path, Query};
use Method::{Delete, Get, Post};

/// Every route, in the order the document lists them.
pub const ROUTES: &[Route] = &[
    route(Get, "/", Operation::Dashboard, Public, Nothing, &[], "The dashboard (HTML)"),
    route(Get, "/healthz", Operation::Liveness, Public, Nothing, &[], "Liveness"),
    route(Get, "/readyz", Operation::Readiness, Public, Nothing, &[], "Readiness: market data has arrived"),
    route(Get, "/metrics", Operation::Metrics, Public, Nothing, &[], "Prometheus metrics (text exposition format)"),
    route(Get, "/api/openapi.json", Operation::OpenApi, Public, Nothing, &[], "This document"),
    route(
        Get,
        "/api/products",
        Operation::ListProducts,
        Public,
        Nothing,
        &[],
        "Listed products and their trading rules",
    ),
    route(
        Get,
        "/api/market-data",
        Operation::GetMarketData,
        Public,
        Query,
        &[404],
        "Best bid and ask, last price, 24 h stats (cached 1 s)",
    ),
    route(
        Get,
        "/api/candles",
        Operation::GetCandles,
        Public,
        Query,
        &[404],
        "Replayed bars, oldest first (at most 350)",
    ),
    route(
        Get,
        "/api/accounts",
        Operation::ListAccounts,
        Key("read"),
        Nothing,
        &[],
        "The caller's account (admin: every account)",
    ),
    route(Get, "/api/accounts/{id}", Operation::GetAccount, Key("read"), Path, &[404], "Balances, positions and P&L"),
    route(
        Get,
        "/api/trades",
        Operation::ListTrades,
        Key("read"),
        Query,
        &[404],
        "The caller's fills, newest first (default 100)",
    ),
    Route {
        success: 201,
        ..route(
            Post,
            "/api/orders",
            Operation::PlaceOrder,
            Key("trade"),
            Body,
            &[404],
            "Place an order (acknowledged once durable); a repeated client_order_id returns the first order",
        )
    },
    route(Get, "/api/orders", Operation::ListOrders, Key("read"), Query, &[404], "The caller's orders, newest first"),
    route(
        Post,
        "/api/orders/preview",
        Operation::PreviewOrder,
        Key("trade"),
        Body,
        &[404],
        "Every check of placing an order (exchange rules, balance, oversight limits, circuit breaker) and its fee \
         estimate, placing nothing",
    ),
    route(
        Get,
        "/api/orders/audit",
        Operation::GetOrderAudit,
        Key("read"),
        Query,
        &[],
        "Who placed and cancelled the caller's orders through the API or MCP (channel, key, MCP client, tool) and the \
         outcome, newest first",
    ),
    route(Get, "/api/orders/{id}", Operation::GetOrder, Key("read"), Path, &[404], "One order"),
    route(Delete, "/api/orders/{id}", Operation::CancelOrder, Key("trade"), Path, &[404, 422], "Cancel an order"),
    route(
        Get,
        "/api/predictions",
        Operation::GetPrediction,
        OptionalKey,
        Query,
        &[404],
        "The swarm's latest decision with votes (cached 5 s; in live mode the account's figures only with a key that \
         may read it)",
    ),
    route(
        Get,
        "/api/analytics",
        Operation::GetAnalytics,
        Key("read"),
        Query,
        &[404],
        "Analytics events aggregated by time bucket (server time), of the caller's account (an admin key: every \
         account's)",
    ),
    route(
        Get,
        "/api/swarm",
        Operation::GetSwarm,
        OptionalKey,
        Nothing,
        &[],
        "Agents' weights, regime, breaker, halted state, mode and the swarm's account (in live mode, only with a key \
         that may read it)",
    ),
    route(
        Get,
        "/api/decisions",
        Operation::ListDecisions,
        OptionalKey,
        Query,
        &[],
        "The swarm's latest decisions with votes and reasons, newest first (in live mode the account's figures only \
         with a key that may read it)",
    ),
    route(
        Get,
        "/api/memory",
        Operation::GetMemory,
        Public,
        Nothing,
        &[],
        "Pattern memory: episodes per product and regime (with known outcomes), patterns per lifecycle, audit records",
    ),
    route(
        Get,
        "/api/memory/patterns",
        Operation::ListPatterns,
        Public,
        Query,
        &[],
        "Learned patterns: lifecycle, weight, statistics, live record, centroid",
    ),
    route(
        Get,
        "/api/memory/similar",
        Operation::FindSimilar,
        Public,
        Query,
        &[404],
        "Past episodes most similar to the market state now (outcome known), nearest first",
    ),
    route(
        Post,
        "/api/memory/patterns/change",
        Operation::ChangePattern,
        Key("admin"),
        Body,
        &[404],
        "An operator's change to a learned pattern (admin): quarantine (with a reason), deprecate or delete, put to the \
         quorum of three managers and recorded in the audit log",
    ),
    route(
        Post,
        "/api/swarm/shutdown",
        Operation::ShutdownSwarm,
        Key("admin"),
        Nothing,
        &[],
        "Emergency shutdown of the swarm (admin)",
    ),
    route(
        Post,
        "/api/swarm/resume",
        Operation::ResumeSwarm,
        Key("admin"),
        Nothing,
        &[],
        "Resume the swarm (admin; a live swarm needs the live scope too)",
    ),
    route(
        Post,
        "/api/swarm/drawdown/reset",
        Operation::ResetDrawdown,
        Key("admin"),
        Nothing,
        &[],
        "Restart the swarm's drawdown peak at its equity now, ending a drawdown breach (admin; a live swarm needs \
         the live scope too); recorded in the audit log and the next decision",
    ),
    Route {
        success: 101,
        ..route(
            Get,
            "/stream",
            Operation::Stream,
            Public,
            Nothing,
            &[400, 426],
            "WebSocket: ticker, candles, decisions, heartbeats, fills",
        )
    },
    route(
        Post,
        "/mcp",
        Operation::Mcp,
        Key("read"),
        Body,
        &[404],
        "MCP over Streamable HTTP (JSON-RPC): tools, resources and prompts for LLM agents; the key's scope decides the \
         tools (served when mcp.enabled)",
    ),
    route(
        Get,
        "/mcp",
        Operation::McpEvents,
        Key("read"),
        Nothing,
        &[404],
        "MCP: the server-to-client event stream of a session (Mcp-Session-Id)",
    ),
    route(
        Delete,
        "/mcp",
        Operation::McpEndSession,
        Key("read"),
        Nothing,
        &[404],
        "MCP: ends a session (Mcp-Session-Id)",
    ),
];

impl Operation {
    /// Whether the operation is MCP's (one service serves all three methods of `/mcp`).
    pub fn is_mcp(self) -> bool {
        matches!(self, Operation::Mcp | Operation::McpEvents | Operation::McpEndSession)
    }
}

/// The routes of `path` (no query string).
pub fn routes_of(path: &str) -> impl Iterator<Item = &'static Route> + '_ {
    ROUTES.iter().filter(move |route| route.matches(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_route_is_listed_once_with_its_own_operation() {
        let mut seen = HashSet::new();
        let mut operations = HashSet::new();
        for route in ROUTES {
            assert!(seen.insert((route.method, route.path)), "{} {} twice", route.method.as_str(), route.path);
            assert!(operations.insert(route.operation), "{:?} twice", route.operation);
        }
    }

    #[test]
    fn routes_match_their_paths_with_any_parameter_value() {
        let matched: Vec<_> = routes_of("/api/orders/0190-abc").map(|r| r.operation).collect();
        assert_eq!(matched, [Operation::GetOrder, Operation::CancelOrder]);
        assert_eq!(routes_of("/api/orders/audit").next().map(|r| r.operation), Some(Operation::GetOrderAudit));
        assert_eq!(routes_of("/api/orders/a/b").count(), 0);
    }

    #[test]
    fn a_keyed_route_with_a_body_answers_the_auth_and_body_refusals() {
        let place = ROUTES.iter().find(|r| r.operation == Operation::PlaceOrder).unwrap();
        assert_eq!(place.statuses(), [201, 400, 401, 403, 404, 408, 413, 415, 422, 429, 503]);
        let health = ROUTES.iter().find(|r| r.operation == Operation::Liveness).unwrap();
        assert_eq!(health.statuses(), [200, 408, 413, 503]);
    }
}
