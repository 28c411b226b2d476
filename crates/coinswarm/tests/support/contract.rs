//! The API contract as the tests hold the server to it: every answer the REST tests receive
//! through [`super::server::Client`] is checked against the OpenAPI document
//! (`coinswarm_api::openapi`, the document `GET /api/openapi.json` serves). A route's status
//! must be one the document lists for it, and a JSON body must match the schema the document
//! gives for that route and status; an answer of no route (404, 405) must be the error
//! envelope; and every 503 must say when to try again (`Retry-After`, and the same seconds
//! in the envelope). So the document cannot drift from the server: fix the document, not the
//! check.

use jsonschema::Validator;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

struct Contract {
    document: Value,
    /// Compiled schemas by (path, method, status).
    validators: Mutex<HashMap<(String, String, String), Arc<Validator>>>,
}

fn contract() -> &'static Contract {
    static CONTRACT: OnceLock<Contract> = OnceLock::new();
    CONTRACT.get_or_init(|| Contract {
        document: coinswarm_api::openapi::document_json(env!("CARGO_PKG_VERSION")),
        validators: Mutex::new(HashMap::new()),
    })
}

/// Checks one answer (`target` is the request's path and query) against the document;
/// panics with what disagrees.
pub fn check(method: &str, target: &str, status: u16, headers: &[(String, String)], body: &str) {
    // No answer (the connection was refused or cut), or hyper's own refusal of a request it
    // could not parse (an empty body, before any route), says nothing about the contract.
    if status == 0 || (status >= 400 && body.is_empty()) {
        return;
    }
    if status == 503 {
        check_retry_after(method, target, headers, body);
    }
    let path = target.split('?').next().unwrap_or(target);
    let contract = contract();
    let routes: Vec<_> = coinswarm_api::routes::routes_of(path).collect();
    // A static segment wins over a parameter, as in the router (`/api/orders/audit`): the
    // most specific template answers, 405 for a method it lacks.
    let template = routes.iter().min_by_key(|r| r.path.matches('{').count()).map(|r| r.path);
    let route = routes.iter().find(|r| Some(r.path) == template && r.method.as_str() == method).copied();
    let Some(route) = route else {
        // No route for this method (405, or HEAD on a GET route) or path (404). MCP's
        // transport answers the methods it lacks itself, in plain text.
        if status >= 400 && !routes.iter().any(|r| r.operation.is_mcp()) {
            validate(
                contract,
                ("error", "", "envelope"),
                json!({"$ref": "#/components/schemas/Error"}),
                method,
                target,
                status,
                body,
            );
        }
        return;
    };
    let operation = &contract.document["paths"][route.path][method.to_ascii_lowercase()];
    let responses = &operation["responses"];
    let status_key = status.to_string();
    let response = match responses.get(&status_key) {
        Some(response) => response,
        None if responses.get("default").is_some() => return,
        None => panic!(
            "{method} {target} answered {status}, which the document does not list for {} {} (it lists {:?}): {body}",
            method,
            route.path,
            responses.as_object().map(|r| r.keys().cloned().collect::<Vec<_>>()).unwrap_or_default()
        ),
    };
    let content_type =
        headers.iter().find(|(name, _)| name == "content-type").map(|(_, value)| value.as_str()).unwrap_or("");
    let Some(schema) = response["content"].get("application/json").map(|c| c["schema"].clone()) else {
        return;
    };
    assert!(
        content_type.starts_with("application/json"),
        "{method} {target} → {status} with content-type '{content_type}', the document says application/json: {body}"
    );
    validate(contract, (route.path, method, &status_key), schema, method, target, status, body);
}

/// Every 503 says when to try again: a `Retry-After` of whole seconds (at least 1), and the
/// same figure as the envelope's `retry_after_secs`.
fn check_retry_after(method: &str, target: &str, headers: &[(String, String)], body: &str) {
    let header = headers.iter().find(|(name, _)| name.eq_ignore_ascii_case("retry-after")).map(|(_, v)| v.as_str());
    let secs: u64 = header.and_then(|v| v.parse().ok()).unwrap_or_else(|| {
        panic!("{method} {target} → 503 without a Retry-After of whole seconds: {headers:?} {body}")
    });
    assert!(secs >= 1, "{method} {target} → 503 with Retry-After {secs}: {body}");
    if let Ok(envelope) = serde_json::from_str::<Value>(body)
        && envelope.get("error").is_some()
    {
        assert_eq!(
            envelope["error"]["retry_after_secs"].as_u64(),
            Some(secs),
            "{method} {target} → 503: the body's retry_after_secs is not the Retry-After header's: {body}"
        );
    }
}

fn validate(
    contract: &Contract,
    (path, method_key, status_key): (&str, &str, &str),
    schema: Value,
    method: &str,
    target: &str,
    status: u16,
    body: &str,
) {
    let key = (path.to_string(), method_key.to_string(), status_key.to_string());
    let validator = {
        let mut validators = contract.validators.lock().unwrap_or_else(|p| p.into_inner());
        validators
            .entry(key)
            .or_insert_with(|| {
                // The schema with the document's components beside it, so that its
                // `#/components/schemas/...` references resolve.
                let mut root = schema;
                if let Some(object) = root.as_object_mut() {
                    object.insert("components".into(), contract.document["components"].clone());
                }
                Arc::new(jsonschema::validator_for(&root).unwrap_or_else(|e| panic!("{path} {status_key}: {e}")))
            })
            .clone()
    };
    let instance: Value = serde_json::from_str(body)
        .unwrap_or_else(|e| panic!("{method} {target} → {status}: the body is not JSON ({e}): {body}"));
    let errors: Vec<String> = validator.iter_errors(&instance).map(|e| e.to_string()).take(5).collect();
    assert!(
        errors.is_empty(),
        "{method} {target} → {status} does not match the document's schema: {errors:#?}\nbody: {body}"
    );
}
