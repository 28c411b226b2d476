//! The OpenAPI 3.1 document, generated with `utoipa` from the [route table](crate::routes),
//! the [query types](crate::query), the [views](crate::views) and the [error
//! envelope](crate::ErrorEnvelope): every route with its parameters and their constraints,
//! its body, its answer's schema and every status it can answer.

use crate::query::{
    AnalyticsQuery, AuditQuery, CandleQuery, DecisionsQuery, OrdersQuery, PatternChange, PatternsQuery, ProductQuery,
    SimilarQuery, TradesQuery,
};
use crate::routes::{Access, Input, Method, Operation, ROUTES, Route};
use crate::{ErrorEnvelope, schema, views};
use utoipa::openapi::path::{HttpMethod, Operation as PathOperation, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, Content, Header, InfoBuilder, OpenApi, OpenApiBuilder, Paths, Ref, RefOr, Required, Response,
    ResponseBuilder, ResponsesBuilder, Schema,
};
use utoipa::{IntoParams, PartialSchema, ToSchema};

/// The document `version` is the host's (e.g. the server crate's version).
pub fn document(version: &str) -> OpenApi {
    let mut paths = Paths::new();
    for route in ROUTES {
        paths.add_path_operation(route.path, vec![http_method(route.method)], operation(route));
    }
    let info = InfoBuilder::new()
        .title("Coinswarm")
        .version(version)
        .description(Some(
            "The swarm, paper accounts and market data of one Coinswarm deployment. Every error is \
             `{\"error\": {\"code\", \"message\"}}` with a stable code; every 503, and a 429 whose wait \
             is known, carries `Retry-After` and the same seconds as `retry_after_secs` in the body.",
        ))
        .build();
    OpenApiBuilder::new().info(info).paths(paths).components(Some(components())).build()
}

/// The document as JSON.
pub fn document_json(version: &str) -> serde_json::Value {
    serde_json::to_value(document(version)).unwrap_or_default()
}

fn http_method(method: Method) -> HttpMethod {
    match method {
        Method::Get => HttpMethod::Get,
        Method::Post => HttpMethod::Post,
        Method::Delete => HttpMethod::Delete,
    }
}

fn components() -> utoipa::openapi::Components {
    let mut schemas: Vec<(String, RefOr<Schema>)> = Vec::new();
    macro_rules! register {
        ($($view:ty),*) => {$(
            schemas.push((<$view as ToSchema>::name().into_owned(), <$view as PartialSchema>::schema()));
            <$view as ToSchema>::schemas(&mut schemas);
        )*};
    }
    register!(
        ErrorEnvelope,
        PatternChange,
        views::Health,
        views::Products,
        views::MarketData,
        views::Candles,
        views::Accounts,
        views::Account,
        views::Trades,
        views::Orders,
        views::OrderView,
        views::OrderChanged,
        views::Preview,
        views::OrderAudit,
        views::Prediction,
        views::Decisions,
        views::SwarmState,
        views::SwarmHalted,
        views::DrawdownReset,
        views::Analytics,
        views::MemorySummary,
        views::Patterns,
        views::Similar,
        views::PatternChanged
    );
    // Last: the domain components replace the references their marker types registered.
    schemas.extend(schema::components().into_iter().map(|(name, schema)| (name.to_string(), schema)));
    let bearer = HttpBuilder::new()
        .scheme(HttpAuthScheme::Bearer)
        .description(Some("An API key from `coinswarm keys create`"))
        .build();
    ComponentsBuilder::new().schemas_from_iter(schemas).security_scheme("bearer", SecurityScheme::Http(bearer)).build()
}

fn component(name: &str) -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(name))
}

/// The success answer's schema, by the view's component name.
fn success_schema(operation: Operation) -> Option<(&'static str, RefOr<Schema>)> {
    let json = |name: &str| Some(("application/json", component(name)));
    match operation {
        Operation::Dashboard => Some(("text/html", String::schema())),
        Operation::Metrics => Some(("text/plain", String::schema())),
        Operation::OpenApi => Some(("application/json", serde_json::Value::schema())),
        Operation::Liveness | Operation::Readiness => json("Health"),
        Operation::ListProducts => json("Products"),
        Operation::GetMarketData => json("MarketData"),
        Operation::GetCandles => json("Candles"),
        Operation::ListAccounts => json("Accounts"),
        Operation::GetAccount => json("Account"),
        Operation::ListTrades => json("Trades"),
        Operation::PlaceOrder | Operation::CancelOrder => json("OrderChanged"),
        Operation::ListOrders => json("Orders"),
        Operation::PreviewOrder => json("Preview"),
        Operation::GetOrderAudit => json("OrderAudit"),
        Operation::GetOrder => json("OrderView"),
        Operation::GetPrediction => json("Prediction"),
        Operation::GetAnalytics => json("Analytics"),
        Operation::GetSwarm => json("SwarmState"),
        Operation::ListDecisions => json("Decisions"),
        Operation::GetMemory => json("MemorySummary"),
        Operation::ListPatterns => json("Patterns"),
        Operation::FindSimilar => json("Similar"),
        Operation::ChangePattern => json("PatternChanged"),
        Operation::ShutdownSwarm | Operation::ResumeSwarm => json("SwarmHalted"),
        Operation::ResetDrawdown => json("DrawdownReset"),
        Operation::Stream | Operation::Mcp | Operation::McpEvents | Operation::McpEndSession => None,
    }
}

fn parameters(operation: Operation) -> Vec<utoipa::openapi::path::Parameter> {
    let query = || Some(ParameterIn::Query);
    match operation {
        Operation::GetMarketData | Operation::GetPrediction => ProductQuery::into_params(query),
        Operation::GetCandles => CandleQuery::into_params(query),
        Operation::ListTrades => TradesQuery::into_params(query),
        Operation::ListOrders => OrdersQuery::into_params(query),
        Operation::GetOrderAudit => AuditQuery::into_params(query),
        Operation::ListDecisions => DecisionsQuery::into_params(query),
        Operation::GetAnalytics => AnalyticsQuery::into_params(query),
        Operation::ListPatterns => PatternsQuery::into_params(query),
        Operation::FindSimilar => SimilarQuery::into_params(query),
        Operation::GetAccount => vec![path_id("Account id", String::schema())],
        Operation::GetOrder | Operation::CancelOrder => {
            let uuid = serde_json::json!({"type": "string", "format": "uuid"});
            vec![path_id("Order id", serde_json::from_value(uuid).unwrap_or_else(|_| String::schema()))]
        }
        _ => Vec::new(),
    }
}

fn path_id(description: &str, schema: RefOr<Schema>) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name("id")
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some(description))
        .schema(Some(schema))
        .build()
}

fn request_body(operation: Operation) -> Option<utoipa::openapi::request_body::RequestBody> {
    let schema = match operation {
        Operation::PlaceOrder | Operation::PreviewOrder => component("OrderRequest"),
        Operation::ChangePattern => component("PatternChange"),
        Operation::Mcp => serde_json::Value::schema(),
        _ => return None,
    };
    Some(
        RequestBodyBuilder::new()
            .content("application/json", Content::new(Some(schema)))
            .required(Some(Required::True))
            .build(),
    )
}

/// A refusal: the error envelope; 429 and 503 with `Retry-After` (seconds).
fn refusal(status: u16) -> Response {
    let mut response = ResponseBuilder::new()
        .description(refusal_description(status))
        .content("application/json", Content::new(Some(component("Error"))));
    if matches!(status, 429 | 503) {
        let seconds = serde_json::from_value(serde_json::json!({"type": "integer", "minimum": 1}))
            .unwrap_or_else(|_| u64::schema());
        let header = Header::builder()
            .schema(seconds)
            .description(Some(
                "Seconds to wait before trying again: on every 503 (a warm-up's is the bars still needed × the \
                 bar interval), and on a 429 when its wait is known; the body's `retry_after_secs` says the same",
            ))
            .build();
        response = response.header("Retry-After", header);
    }
    response.build()
}

fn refusal_description(status: u16) -> &'static str {
    match status {
        400 => "Malformed input: INVALID_QUERY, INVALID_PATH, MALFORMED_JSON or the parameter's own code",
        401 => "UNAUTHORIZED: no key, a malformed Authorization header, or an unknown or revoked key",
        403 => "FORBIDDEN (the key lacks the scope) or LIVE_SCOPE_REQUIRED",
        404 => {
            "NOT_FOUND, UNKNOWN_ORDER or MCP_SESSION_NOT_FOUND: the thing asked for does not exist or is not the caller's"
        }
        408 => "REQUEST_TIMEOUT: the body did not arrive in time",
        413 => "BODY_TOO_LARGE",
        415 => "UNSUPPORTED_MEDIA_TYPE: a body without Content-Type: application/json",
        422 => {
            "INVALID_BODY, or a refusal of the exchange (e.g. INSUFFICIENT_FUND) or of the pre-trade gate \
                (SWARM_HALTED, BREAKER_OPEN, OVERSIGHT_BREACH)"
        }
        429 => "RATE_LIMITED, TOO_MANY_FAILED_AUTHENTICATIONS or TOO_MANY_MCP_SESSIONS",
        503 => "UNAVAILABLE (warming up, stopped, busy, storage failing) or TOO_MANY_CONNECTIONS",
        _ => "Refused",
    }
}

fn operation(route: &Route) -> PathOperation {
    let mut responses = ResponsesBuilder::new();
    for status in route.statuses() {
        let response = if status == route.success {
            success(route)
        } else if route.operation == Operation::Stream {
            // The WebSocket handshake's refusals are the upgrade library's, in plain text.
            ResponseBuilder::new()
                .description("Not a WebSocket handshake")
                .content("text/plain", Content::new(Some(String::schema())))
                .build()
        } else {
            refusal(status)
        };
        responses = responses.response(status.to_string(), response);
    }
    if route.operation.is_mcp() {
        responses = responses.response(
            "default",
            ResponseBuilder::new().description("The MCP transport's own answers (JSON-RPC errors, event streams)"),
        );
    }
    let mut builder = OperationBuilder::new()
        .operation_id(Some(route.operation_id()))
        .summary(Some(route.summary))
        .parameters(Some(parameters(route.operation)))
        .request_body(request_body(route.operation))
        .responses(responses.build());
    match route.access {
        Access::Public => {}
        Access::OptionalKey => {
            builder = builder
                .security(SecurityRequirement::default())
                .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
                .description(Some("A key is optional; one that is sent must be valid."));
        }
        Access::Key(scope) => {
            builder = builder
                .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
                .description(Some(format!("Needs a key with the `{scope}` scope.")));
        }
    }
    if route.input == Input::Query {
        builder = builder.extensions(Some(
            utoipa::openapi::extensions::ExtensionsBuilder::new()
                .add("x-unknown-parameters", "refused with 400 INVALID_QUERY")
                .build(),
        ));
    }
    builder.build()
}

fn success(route: &Route) -> Response {
    let description = match route.operation {
        Operation::Stream => "Switching protocols: the WebSocket",
        Operation::PlaceOrder => "The order, placed and durably stored",
        _ => route.summary,
    };
    let mut response = ResponseBuilder::new().description(description);
    if let Some((content_type, schema)) = success_schema(route.operation) {
        response = response.content(content_type, Content::new(Some(schema)));
    }
    response.build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn doc() -> Value {
        document_json("0.0.0")
    }

    #[test]
    fn every_route_of_the_table_is_in_the_document_with_every_status() {
        let doc = doc();
        assert_eq!(doc["openapi"], "3.1.0");
        for route in ROUTES {
            let operation = &doc["paths"][route.path][route.method.as_str().to_ascii_lowercase()];
            assert_eq!(operation["operationId"], route.operation_id(), "{}", route.path);
            for status in route.statuses() {
                assert!(operation["responses"][status.to_string()].is_object(), "{} {status}", route.path);
            }
        }
    }

    #[test]
    fn every_reference_resolves_to_a_component() {
        let doc = doc();
        let mut references = Vec::new();
        collect_references(&doc, &mut references);
        assert!(references.len() > 30, "{references:?}");
        for reference in references {
            let name = reference.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("{reference}"));
            let component = &doc["components"]["schemas"][name];
            assert!(component.is_object(), "{reference} is not defined");
            assert_ne!(
                component.get("$ref").and_then(Value::as_str),
                Some(reference.as_str()),
                "{name} refers to itself"
            );
        }
    }

    fn collect_references(value: &Value, into: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(reference)) = map.get("$ref") {
                    into.push(reference.clone());
                }
                map.values().for_each(|v| collect_references(v, into));
            }
            Value::Array(items) => items.iter().for_each(|v| collect_references(v, into)),
            _ => {}
        }
    }

    #[test]
    fn the_constraints_the_server_enforces_are_in_the_document() {
        let doc = doc();
        let request = &doc["components"]["schemas"]["OrderRequest"];
        assert_eq!(request["additionalProperties"], false);
        assert_eq!(request["properties"]["client_order_id"]["maxLength"], 128);
        assert_eq!(request["properties"]["product_id"]["pattern"], crate::validation::PRODUCT_ID_PATTERN);
        let market = &request["properties"]["order_configuration"]["properties"]["market_market_ioc"];
        assert_eq!(market["properties"]["base_size"]["pattern"], crate::validation::DECIMAL_PATTERN);
        let candles = &doc["paths"]["/api/candles"]["get"]["parameters"];
        let product = candles.as_array().unwrap().iter().find(|p| p["name"] == "product_id").unwrap();
        assert_eq!(product["required"], true);
        assert_eq!(product["schema"]["pattern"], crate::validation::PRODUCT_ID_PATTERN);
        let limit = &doc["paths"]["/api/orders"]["get"]["parameters"];
        let limit = limit.as_array().unwrap().iter().find(|p| p["name"] == "limit").unwrap();
        assert_eq!(limit["schema"]["maximum"], 1000);
        let rate_limited = &doc["paths"]["/api/orders"]["post"]["responses"]["429"];
        assert!(rate_limited["headers"]["Retry-After"].is_object(), "{rate_limited}");
        let warming = &doc["paths"]["/api/memory/similar"]["get"]["responses"]["503"];
        assert_eq!(warming["headers"]["Retry-After"]["schema"]["minimum"], 1, "{warming}");
        let body = &doc["components"]["schemas"]["ErrorBody"];
        assert_eq!(body["properties"]["retry_after_secs"]["minimum"], 1, "{body}");
        assert!(!body["required"].as_array().unwrap().iter().any(|r| r == "retry_after_secs"), "{body}");
    }
}
