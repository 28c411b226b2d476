//! The server's OpenAPI document: it is the API contract's (`coinswarm_api::openapi`), it
//! lists every route the router serves with every method it serves, and nothing else; and
//! every route, walked with invalid inputs, answers no 5xx and every error in the API's error
//! shape. (Every answer of the REST tests is also validated against it: support/contract.rs.)

mod support;

use serde_json::Value;
use support::server::{Server, scratch_dir};

/// Values no parameter accepts, and some that only some parameters accept.
const BAD_VALUES: [&str; 7] =
    ["", "%00", "-1", "99999999999999999999999", "not%20a%20value", "%F0%9F%92%A5", "BTC-USD"];

const BAD_BODIES: [&[u8]; 7] = [
    b"",
    b"{",
    b"[]",
    b"null",
    b"{\"product_id\":1,\"side\":\"UP\",\"order_configuration\":{}}",
    b"{\"product_id\":\"BTC-USD\",\"side\":\"BUY\",\"order_configuration\":{\"market_market_ioc\":{\"base_size\":\"1e999\"}}}",
    b"\xc3\x28",
];

#[test]
fn no_route_in_the_openapi_document_answers_invalid_input_with_a_5xx() {
    let dir = scratch_dir("openapi");
    let server = Server::start(&dir, &[("COINSWARM_REQUESTS_PER_SECOND", "100000"), ("COINSWARM_BURST", "100000")]);
    let key = server.admin_key.clone().unwrap();
    let (status, body) = server.get("/api/openapi.json", None);
    assert_eq!(status, 200);
    let document: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().unwrap();
    assert!(paths.len() >= 16, "{} paths", paths.len());
    let mut requests = 0;
    for (path, operations) in paths {
        if path == "/stream" {
            continue; // a WebSocket upgrade, covered by its own test
        }
        for (method, operation) in operations.as_object().unwrap() {
            let method = method.to_uppercase();
            let parameters = operation["parameters"].as_array().cloned().unwrap_or_default();
            for bad in BAD_VALUES {
                for auth in [None, Some(key.as_str()), Some("csk_wrong")] {
                    let mut url = path.replace("{id}", bad);
                    let query: Vec<String> = parameters
                        .iter()
                        .filter(|p| p["in"] == "query")
                        .map(|p| format!("{}={bad}", p["name"].as_str().unwrap()))
                        .chain(std::iter::once(format!("unknown_parameter={bad}")))
                        .collect();
                    url.push('?');
                    url.push_str(&query.join("&"));
                    let bodies: Vec<Option<&[u8]>> = if operation.get("requestBody").is_some() {
                        BAD_BODIES.iter().map(|b| Some(*b)).collect()
                    } else {
                        vec![None]
                    };
                    for body in bodies {
                        let (status, text) = server.request(&method, &url, auth, body);
                        requests += 1;
                        assert!(status != 0 && status < 500, "{method} {url} with {body:?} → {status}: {text}");
                        // MCP speaks JSON-RPC with its own transport errors (tests/mcp_server.rs).
                        if status >= 400 && status != 405 && path != "/mcp" {
                            let error: Value = serde_json::from_str(&text)
                                .unwrap_or_else(|_| panic!("{method} {url} → {status} without a JSON error: {text}"));
                            assert!(error["error"]["code"].is_string(), "{method} {url} → {text}");
                        }
                    }
                }
            }
        }
    }
    assert!(requests > 400, "{requests} requests");
    let (status, _) = server.get("/healthz", None);
    assert_eq!(status, 200, "still serving after {requests} bad requests");
    drop(server);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_document_lists_every_route_and_method_the_server_serves_and_nothing_else() {
    let dir = scratch_dir("openapi-routes");
    let server = Server::start(&dir, &[("COINSWARM_REQUESTS_PER_SECOND", "100000"), ("COINSWARM_BURST", "100000")]);
    let key = server.admin_key.clone().unwrap();
    let (status, body) = server.get("/api/openapi.json", None);
    assert_eq!(status, 200);
    let served: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(served, coinswarm_api::openapi::document_json(served["info"]["version"].as_str().unwrap()));
    let paths = served["paths"].as_object().unwrap();
    assert_eq!(
        paths.len(),
        coinswarm_api::routes::ROUTES.iter().map(|r| r.path).collect::<std::collections::HashSet<_>>().len()
    );
    for (path, operations) in paths {
        let url = path.replace("{id}", "0190f5a2-0000-7000-8000-000000000000");
        for method in ["GET", "POST", "DELETE", "PUT", "PATCH"] {
            let documented = operations.get(method.to_ascii_lowercase()).is_some();
            let body = (method == "POST").then_some(&b"{}"[..]);
            let (status, text) = server.request(method, &url, Some(&key), body);
            if documented {
                assert_ne!(status, 405, "{method} {path} is documented but not served: {text}");
                assert!(!text.contains("\"NOT_FOUND\"") || !text.contains("no route"), "{method} {path}: {text}");
            } else {
                assert_eq!(status, 405, "{method} {path} is served but not documented: {text}");
            }
        }
    }
    let (status, body) = server.get("/api/not-a-route", None);
    assert_eq!(status, 404);
    assert!(body.contains("no route /api/not-a-route"), "{body}");
    drop(server);
    std::fs::remove_dir_all(dir).unwrap();
}
