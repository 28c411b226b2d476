//! Schemas of the domain objects the API answers with that are defined below this crate
//! (in `coinswarm-core`, which carries no OpenAPI machinery): orders and their
//! configurations, fills, candles, decision records, patterns, audit records. Each is a named
//! component of the document; the views refer to them by these marker types.
//!
//! They say what every answer holds (required fields, decimal strings, enumerations) and
//! leave room for fields a later version adds, except the order request, whose unknown
//! fields the server refuses.

use crate::validation::{CLIENT_ORDER_ID_MAX_CHARS, DECIMAL_PATTERN, PRODUCT_ID_PATTERN};
use serde_json::{Value, json};
use std::borrow::Cow;
use utoipa::openapi::{RefOr, Schema};

fn decimal() -> Value {
    json!({"type": "string", "pattern": DECIMAL_PATTERN, "description": "A decimal number as a string"})
}

fn product_id() -> Value {
    json!({"type": "string", "pattern": PRODUCT_ID_PATTERN, "example": "BTC-USD"})
}

fn millis() -> Value {
    json!({"type": "integer", "description": "Milliseconds since the Unix epoch (UTC)"})
}

fn side() -> Value {
    json!({"type": "string", "enum": ["BUY", "SELL"]})
}

fn parsed(value: Value) -> RefOr<Schema> {
    // The values above are written to parse as schemas; a mistake is caught by the tests.
    serde_json::from_value(value).unwrap_or_else(|_| RefOr::T(Schema::default()))
}

/// A reference to a component of this module.
pub fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// `order_configuration`: exactly one of Coinbase's order types.
fn order_configuration(closed: bool) -> Value {
    let d = decimal;
    let config = |required: &[&str], properties: Value| json!({"type": "object", "required": required, "properties": properties, "additionalProperties": !closed});
    json!({
        "type": "object", "minProperties": 1, "maxProperties": 1, "additionalProperties": false,
        "properties": {
            "market_market_ioc": config(&[], json!({"base_size": d(), "quote_size": d()})),
            "limit_limit_gtc": config(&["base_size", "limit_price"],
                json!({"base_size": d(), "limit_price": d(), "post_only": {"type": "boolean"}})),
            "limit_limit_gtd": config(&["base_size", "limit_price", "end_time"],
                json!({"base_size": d(), "limit_price": d(), "post_only": {"type": "boolean"},
                       "end_time": {"type": ["string", "integer"], "description": "RFC 3339 (or ms since the epoch in a request)"}})),
            "stop_limit_stop_limit_gtc": config(&["base_size", "limit_price", "stop_price", "stop_direction"],
                json!({"base_size": d(), "limit_price": d(), "stop_price": d(),
                       "stop_direction": {"type": "string", "enum": ["STOP_DIRECTION_STOP_UP", "STOP_DIRECTION_STOP_DOWN"]}})),
            "trigger_bracket_gtc": config(&["base_size", "limit_price", "stop_trigger_price"],
                json!({"base_size": d(), "limit_price": d(), "stop_trigger_price": d()}))
        }
    })
}

/// Every component: its name and schema.
pub fn components() -> Vec<(&'static str, RefOr<Schema>)> {
    written().into_iter().map(|(name, schema)| (name, parsed(schema))).collect()
}

/// The components as written.
fn written() -> [(&'static str, Value); 8] {
    [
        (
            "OrderRequest",
            json!({
                "type": "object", "additionalProperties": false,
                "description": "Coinbase Advanced Trade's create-order body; unknown fields are refused",
                "required": ["product_id", "side", "order_configuration"],
                "properties": {
                    "client_order_id": {"type": "string", "minLength": 1, "maxLength": CLIENT_ORDER_ID_MAX_CHARS,
                        "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*$",
                        "description": "Idempotency key: a repeat returns the first order (1 to 128 printable characters)"},
                    "product_id": product_id(),
                    "side": side(),
                    "order_configuration": order_configuration(true)
                }
            }),
        ),
        (
            "Order",
            json!({
                "type": "object",
                "required": ["order_id", "product_id", "side", "order_configuration", "status", "trigger_status",
                             "created_time", "filled_size", "filled_value", "total_fees", "hold_currency", "hold_remaining"],
                "properties": {
                    "order_id": {"type": "string", "format": "uuid"},
                    "client_order_id": {"type": "string"},
                    "product_id": product_id(),
                    "side": side(),
                    "order_configuration": order_configuration(false),
                    "status": {"type": "string", "enum": ["PENDING", "OPEN", "FILLED", "CANCELLED", "EXPIRED", "FAILED"]},
                    "trigger_status": {"type": "string", "enum": ["INVALID_ORDER_TYPE", "STOP_PENDING", "STOP_TRIGGERED"]},
                    "created_time": millis(),
                    "filled_size": decimal(), "filled_value": decimal(), "total_fees": decimal(),
                    "hold_currency": {"type": "string"}, "hold_remaining": decimal(),
                    "reason": {"type": "string"}, "venue_order_id": {"type": "string"},
                    "cancel_requested": {"type": "boolean"}
                }
            }),
        ),
        (
            "Fill",
            json!({
                "type": "object",
                "required": ["trade_id", "order_id", "product_id", "side", "price", "size", "fee", "liquidity", "time"],
                "properties": {
                    "trade_id": {"type": "string", "format": "uuid"}, "order_id": {"type": "string", "format": "uuid"}, "product_id": product_id(),
                    "side": side(), "price": decimal(), "size": decimal(), "fee": decimal(),
                    "liquidity": {"type": "string", "enum": ["MAKER", "TAKER"]}, "time": millis()
                }
            }),
        ),
        (
            "Candle",
            json!({
                "type": "object", "required": ["start", "open", "high", "low", "close", "volume"],
                "properties": {"start": millis(), "open": decimal(), "high": decimal(), "low": decimal(),
                               "close": decimal(), "volume": decimal()}
            }),
        ),
        (
            "Decision",
            json!({
                "type": "object",
                "description": "One decision of the swarm with its votes, weights, regime and reasons. In live mode, \
                                without a key that may read the swarm's account, every amount of its money is removed \
                                (equity, the order's size and notional, breaker and oversight figures)",
                "required": ["seq", "time", "product_id", "price", "regime", "votes", "action"],
                "properties": {
                    "seq": {"type": "integer", "minimum": 0}, "time": millis(), "product_id": product_id(),
                    "price": {"type": "number"}, "regime": {"type": "string"},
                    "votes": {"type": "array", "items": {"type": "object", "required": ["agent", "action"],
                        "properties": {"agent": {"type": "string"}, "action": {"type": "string"}, "reason": {"type": "string"}}}},
                    "action": {"type": "string"}, "equity": decimal(), "halted": {"type": "boolean"},
                    "order": {"type": ["object", "null"]}, "skipped": {"type": ["string", "null"]},
                    "risk_events": {"type": "array", "items": {"type": "object", "required": ["event"]}},
                    "learned": {"type": "object", "required": ["model"],
                        "description": "The learned agent's model version (SHA-256 of its file) and, once warmed up, \
                                        its prediction of the next horizon's return net of fees",
                        "properties": {"model": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                            "prediction": {"type": "object",
                                "required": ["expected_return", "probability_up", "confidence"],
                                "properties": {"expected_return": {"type": "number"},
                                    "probability_up": {"type": "number", "minimum": 0, "maximum": 1},
                                    "confidence": {"type": "number", "minimum": 0, "maximum": 1}}}}}
                }
            }),
        ),
        (
            "AuditRecord",
            json!({
                "type": "object", "required": ["time", "kind"],
                "description": "An entry of the account's audit log: who placed, cancelled, halted, resumed or \
                                reset the drawdown peak through the API or MCP (`external_*`, with origin, request \
                                and outcome), what the account's own risk gate did (`external_risk`: a drawdown \
                                breach, or working buys cancelled with the reason, in `event`), or what the live \
                                venue reported (e.g. `live_balance`)",
                "properties": {
                    "time": millis(), "kind": {"type": "string"},
                    "origin": {"oneOf": [
                        {"type": "object", "required": ["channel", "key_id"], "properties": {
                            "channel": {"type": "string", "enum": ["rest", "mcp"]}, "key_id": {"type": "string"},
                            "client": {"type": "string"}, "tool": {"type": "string"}}},
                        {"type": "object", "required": ["channel"], "properties": {
                            "channel": {"type": "string", "enum": ["gate"]}}}
                    ]},
                    "request": {"type": ["object", "null"]}, "outcome": {"type": ["object", "string", "null"]},
                    "event": {"type": "object", "required": ["event"], "properties": {
                        "event": {"type": "string", "enum": ["drawdown_breached", "drawdown_ended", "peak_reset", "buys_cancelled"]}}}
                }
            }),
        ),
        (
            "Pattern",
            json!({
                "type": "object",
                "required": ["id", "product_id", "lifecycle", "weight", "centroid", "stats", "live", "created_ms", "updated_ms"],
                "properties": {
                    "id": {"type": "string"}, "product_id": {"type": "string"},
                    "lifecycle": {"type": "string", "enum": crate::query::LIFECYCLES},
                    "weight": {"type": "number", "minimum": 0, "maximum": 1},
                    "centroid": {"type": "array", "items": {"type": "number"}},
                    "stats": {"type": "object"}, "live": {"type": "object"},
                    "created_ms": millis(), "updated_ms": millis()
                }
            }),
        ),
        (
            "SimilarEpisode",
            json!({
                "type": "object", "required": ["id", "score"],
                "properties": {"id": {"type": "string"}, "score": {"type": "number"}, "metadata": {"type": "object"},
                               "values": {"type": "array", "items": {"type": "number"}}}
            }),
        ),
    ]
}

macro_rules! components {
    ($($name:ident),*) => {$(
        #[doc = concat!("The `", stringify!($name), "` component (see [`components`]).")]
        #[derive(Debug)]
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                parsed(reference(stringify!($name)))
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    )*};
}

components!(OrderRequest, Order, Fill, Candle, Decision, AuditRecord, Pattern, SimilarEpisode);

/// A decimal string (sizes, prices, amounts, equity).
#[derive(Debug)]
pub struct DecimalString;

impl utoipa::PartialSchema for DecimalString {
    fn schema() -> RefOr<Schema> {
        parsed(decimal())
    }
}

impl utoipa::ToSchema for DecimalString {}

/// An agent's weight in the committee: `[agent, weight]`, the weight in [0, 1].
#[derive(Debug)]
pub struct AgentWeight;

impl utoipa::PartialSchema for AgentWeight {
    fn schema() -> RefOr<Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ArrayItems, ObjectBuilder, Type};
        let agent = ObjectBuilder::new().schema_type(Type::String).examples(["trend"]).build();
        let weight = ObjectBuilder::new().schema_type(Type::Number).minimum(Some(0.0)).maximum(Some(1.0)).build();
        let pair = ArrayBuilder::new()
            .prefix_items([agent, weight])
            .items(ArrayItems::False)
            .min_items(Some(2))
            .max_items(Some(2))
            .build();
        RefOr::T(Schema::Array(pair))
    }
}

impl utoipa::ToSchema for AgentWeight {}

/// A product id, `BASE-QUOTE`.
#[derive(Debug)]
pub struct ProductIdString;

impl utoipa::PartialSchema for ProductIdString {
    fn schema() -> RefOr<Schema> {
        parsed(product_id())
    }
}

impl utoipa::ToSchema for ProductIdString {}

/// Milliseconds since the Unix epoch.
#[derive(Debug)]
pub struct Millis;

impl utoipa::PartialSchema for Millis {
    fn schema() -> RefOr<Schema> {
        parsed(millis())
    }
}

impl utoipa::ToSchema for Millis {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_agent_weight_is_a_pair() {
        let schema = serde_json::to_value(<AgentWeight as utoipa::PartialSchema>::schema()).unwrap();
        assert_eq!(schema["prefixItems"][1]["type"], "number", "{schema}");
    }

    #[test]
    fn every_component_parses_as_a_schema_and_keeps_its_properties() {
        for (name, written) in written() {
            let schema: RefOr<Schema> =
                serde_json::from_value(written.clone()).unwrap_or_else(|e| panic!("{name} does not parse: {e}"));
            let json = serde_json::to_value(&schema).unwrap();
            assert_eq!(
                json["properties"].as_object().map(|p| p.len()),
                written["properties"].as_object().map(|p| p.len()),
                "{name}"
            );
        }
    }
}
