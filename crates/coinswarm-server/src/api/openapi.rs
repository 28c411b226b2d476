//! `GET /api/openapi.json`: the OpenAPI 3.1 description of every route.

use axum::Json;
use serde_json::{Value, json};

fn param(name: &str, location: &str, required: bool, schema: Value, description: &str) -> Value {
    json!({"name": name, "in": location, "required": required, "schema": schema, "description": description})
}

fn product_param(required: bool) -> Value {
    param(
        "product_id",
        "query",
        required,
        json!({"type": "string", "example": "BTC-USD"}),
        "A listed product, BASE-QUOTE",
    )
}

fn responses(ok: &str, errors: &[u16]) -> Value {
    let mut map = serde_json::Map::new();
    map.insert(
        "200".into(),
        json!({"description": ok, "content": {"application/json": {"schema": {"type": "object"}}}}),
    );
    for status in errors {
        map.insert(status.to_string(), json!({"$ref": "#/components/responses/Error"}));
    }
    Value::Object(map)
}

fn secured(mut operation: Value) -> Value {
    operation["security"] = json!([{"bearer": []}]);
    operation
}

/// The document (built once per request; it is small).
pub fn document() -> Value {
    let limit = param(
        "limit",
        "query",
        false,
        json!({"type": "integer", "minimum": 1, "maximum": 1000}),
        "Most items returned",
    );
    let order_id = param("id", "path", true, json!({"type": "string", "format": "uuid"}), "Order id");
    let decimal = json!({"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$"});
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Coinswarm", "version": env!("CARGO_PKG_VERSION"),
                 "description": "The swarm, paper accounts and replayed market data of one `coinswarm up` process."},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "An API key from `coinswarm keys create`"}},
            "responses": {"Error": {"description": "The request could not be served", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
                "OrderRequest": {"type": "object", "additionalProperties": false, "required": ["product_id", "side", "order_configuration"],
                    "properties": {
                        "client_order_id": {"type": "string", "description": "Idempotency key: a repeat returns the first order"},
                        "product_id": {"type": "string", "example": "BTC-USD"},
                        "side": {"enum": ["BUY", "SELL"]},
                        "order_configuration": {"type": "object", "minProperties": 1, "maxProperties": 1, "properties": {
                            "market_market_ioc": {"type": "object", "properties": {"base_size": decimal, "quote_size": decimal}},
                            "limit_limit_gtc": {"type": "object", "required": ["base_size", "limit_price"], "properties": {"base_size": decimal, "limit_price": decimal, "post_only": {"type": "boolean"}}},
                            "limit_limit_gtd": {"type": "object", "required": ["base_size", "limit_price", "end_time"], "properties": {"base_size": decimal, "limit_price": decimal, "end_time": {"type": "string", "format": "date-time"}, "post_only": {"type": "boolean"}}},
                            "stop_limit_stop_limit_gtc": {"type": "object", "required": ["base_size", "limit_price", "stop_price", "stop_direction"], "properties": {"base_size": decimal, "limit_price": decimal, "stop_price": decimal, "stop_direction": {"enum": ["STOP_DIRECTION_STOP_UP", "STOP_DIRECTION_STOP_DOWN"]}}},
                            "trigger_bracket_gtc": {"type": "object", "required": ["base_size", "limit_price", "stop_trigger_price"], "properties": {"base_size": decimal, "limit_price": decimal, "stop_trigger_price": decimal}}
                        }}
                    }}
            }
        },
        "paths": {
            "/healthz": {"get": {"summary": "Liveness", "responses": responses("Alive", &[])}},
            "/readyz": {"get": {"summary": "Readiness: market data has arrived", "responses": responses("Ready", &[503])}},
            "/api/openapi.json": {"get": {"summary": "This document", "responses": responses("The document", &[])}},
            "/api/products": {"get": {"summary": "Listed products", "responses": responses("Products", &[])}},
            "/api/market-data": {"get": {"summary": "Best bid and ask, last price, 24 h stats (cached 1 s)",
                "parameters": [product_param(true)], "responses": responses("Market data", &[400, 404, 503])}},
            "/api/candles": {"get": {"summary": "Replayed bars, oldest first (at most 350)",
                "parameters": [product_param(true),
                    param("granularity", "query", false, json!({"type": "string", "example": "ONE_HOUR"}), "Must be the feed's"),
                    param("start", "query", false, json!({"type": "string", "format": "date-time"}), "Inclusive"),
                    param("end", "query", false, json!({"type": "string", "format": "date-time"}), "Inclusive")],
                "responses": responses("Candles", &[400, 404])}},
            "/api/accounts": {"get": secured(json!({"summary": "The caller's account (admin: every account)", "responses": responses("Accounts", &[401, 403, 429])}))},
            "/api/accounts/{id}": {"get": secured(json!({"summary": "Balances, positions and P&L",
                "parameters": [param("id", "path", true, json!({"type": "string"}), "Account id")],
                "responses": responses("Account", &[401, 403, 404, 429])}))},
            "/api/trades": {"get": secured(json!({"summary": "The caller's fills, newest first (default 100)",
                "parameters": [product_param(false), limit.clone()], "responses": responses("Fills", &[400, 401, 403, 404, 429])}))},
            "/api/orders": {
                "post": secured(json!({"summary": "Place an order (acknowledged once durable)",
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OrderRequest"}}}},
                    "responses": {"201": {"description": "The order"}, "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                        "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"},
                        "415": {"$ref": "#/components/responses/Error"}, "422": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}}})),
                "get": secured(json!({"summary": "The caller's orders, newest first",
                    "parameters": [param("status", "query", false, json!({"enum": ["PENDING", "OPEN", "FILLED", "CANCELLED", "EXPIRED", "FAILED"]}), "Only this status"),
                        product_param(false), limit],
                    "responses": responses("Orders", &[400, 401, 403, 404, 429])}))
            },
            "/api/orders/preview": {"post": secured(json!({"summary": "Every check of placing an order (exchange rules, balance, oversight limits, circuit breaker) and its fee estimate, placing nothing",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OrderRequest"}}}},
                "responses": responses("The preview: accepted, or the rejection's code and message", &[400, 401, 403, 404, 413, 415, 422, 429])}))},
            "/api/orders/audit": {"get": secured(json!({"summary": "Who placed and cancelled the caller's orders through the API or MCP (channel, key, MCP client, tool) and the outcome, newest first",
                "parameters": [param("limit", "query", false, json!({"type": "integer", "minimum": 1, "maximum": 1000}), "Default 100")],
                "responses": responses("Records", &[400, 401, 403, 429, 503])}))},
            "/api/orders/{id}": {
                "get": secured(json!({"summary": "One order", "parameters": [order_id.clone()], "responses": responses("The order", &[400, 401, 403, 404, 429])})),
                "delete": secured(json!({"summary": "Cancel an order", "parameters": [order_id], "responses": responses("The cancelled order", &[400, 401, 403, 404, 422, 429])}))
            },
            "/api/predictions": {"get": {"summary": "The swarm's latest decision with votes (cached 5 s; in live mode the account's figures only with a key that may read it)",
                "parameters": [product_param(true)], "responses": responses("Decision", &[400, 401, 404, 503])}},
            "/api/analytics": {"get": secured(json!({"summary": "Analytics events aggregated by time bucket (server time), of the caller's account (an admin key: every account's)",
                "parameters": [param("metric", "query", true, json!({"enum": ["trade_notional", "trade_fee", "order_ack_ms"]}), "What to aggregate"),
                    param("bucket", "query", false, json!({"type": "string", "example": "1m"}), "1s, 1m, 5m, 1h, 1d or milliseconds"),
                    param("from", "query", false, json!({"type": "string", "format": "date-time"}), "Default: 24 h ago"),
                    param("to", "query", false, json!({"type": "string", "format": "date-time"}), "Default: now"),
                    param("account", "query", false, json!({"type": "string"}), "One account's events: the caller's own, or any for an admin key (another account: 404)")],
                "responses": responses("Buckets", &[400, 401, 403, 404, 429, 503])}))},
            "/api/decisions": {"get": {"summary": "The swarm's latest decisions with votes and reasons, newest first (in live mode the account's figures only with a key that may read it)",
                "parameters": [param("limit", "query", false, json!({"type": "integer", "minimum": 1, "maximum": 500}), "Default 50")],
                "responses": responses("Decisions", &[400, 401, 503])}},
            "/api/memory": {"get": {"summary": "Pattern memory: episodes per product and regime (with known outcomes), patterns per lifecycle, audit records",
                "responses": responses("Memory", &[503])}},
            "/api/memory/patterns": {"get": {"summary": "Learned patterns: lifecycle, weight, statistics, live record, centroid",
                "parameters": [product_param(false),
                    param("lifecycle", "query", false, json!({"enum": ["candidate", "active", "deprecated", "quarantined", "deleted"]}), "Only patterns in this lifecycle")],
                "responses": responses("Patterns", &[400, 503])}},
            "/api/memory/patterns/change": {"post": secured(json!({"summary": "An operator's change to a learned pattern (admin): quarantine (with a reason), deprecate or delete, put to the quorum of three managers and recorded in the audit log",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["pattern_id", "action"],
                    "properties": {"pattern_id": {"type": "string", "example": "BTC-USD/p-3"}, "action": {"enum": ["quarantine", "deprecate", "delete"]}, "reason": {"type": "string"}}}}}},
                "responses": responses("Committed", &[400, 401, 403, 404, 422, 429, 503])}))},
            "/api/memory/similar": {"get": {"summary": "Past episodes most similar to the market state now (outcome known), nearest first, with similarity, outcome, regime, action",
                "parameters": [param("top_k", "query", false, json!({"type": "integer", "minimum": 1, "maximum": 100}), "Default 10"),
                    product_param(false),
                    param("at", "query", false, json!({"type": "string", "format": "date-time"}), "The state at the last decision at or before this time (default: now)")],
                "responses": responses("Similar episodes", &[400, 404, 503])}},
            "/api/swarm": {"get": {"summary": "Agents' weights, regime, breaker, halted state, mode and the swarm's account (in live mode, only with a key that may read it)", "responses": responses("Swarm", &[401, 503])}},
            "/api/swarm/shutdown": {"post": secured(json!({"summary": "Emergency shutdown of the swarm (admin)", "responses": responses("Halted", &[401, 403, 429])}))},
            "/api/swarm/resume": {"post": secured(json!({"summary": "Resume the swarm (admin; a live swarm needs the live scope too)", "responses": responses("Resumed", &[401, 403, 429])}))},
            "/mcp": {"post": secured(json!({"summary": "MCP over Streamable HTTP (JSON-RPC): tools, resources and prompts for LLM agents; the key's scope decides the tools",
                "responses": {"200": {"description": "A JSON-RPC response or an event stream"}, "401": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}}}))},
            "/stream": {"get": {"summary": "WebSocket: ticker, candles, decisions, heartbeats, fills", "responses": {"101": {"description": "Switching protocols"}, "400": {"$ref": "#/components/responses/Error"}}}}
        }
    })
}

pub async fn openapi() -> Json<Value> {
    Json(document())
}
