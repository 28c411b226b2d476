//! Every way a request can be wrong, answered by `coinswarm up` with its own error code: the
//! JSON envelope `{"error": {"code", "message"}}` with the status that goes with the code, so a
//! client can act on the code without parsing the message.

mod support;

use serde_json::Value;
use std::path::Path;
use std::time::Instant;
use support::server::{Server, scratch_dir};

/// A server with pattern memory off (a quick start) and extra environment.
fn start(dir: &Path, env: &[(&str, &str)]) -> Server {
    let mut env = env.to_vec();
    env.push(("COINSWARM_MEMORY_ENABLED", "false"));
    Server::start(dir, &env)
}

/// The (code, message) of an error answer, checking it is the API's envelope and nothing more
/// (with `retry_after_secs`, a positive integer, when the request may pass later).
fn error_of(body: &str) -> (String, String) {
    let value: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"));
    let envelope = value.as_object().unwrap_or_else(|| panic!("not an object: {body}"));
    assert_eq!(envelope.keys().collect::<Vec<_>>(), ["error"], "{body}");
    let error = value["error"].as_object().unwrap_or_else(|| panic!("no error object: {body}"));
    let mut fields: Vec<&String> = error.keys().filter(|key| *key != "retry_after_secs").collect();
    fields.sort();
    assert_eq!(fields, ["code", "message"], "{body}");
    if let Some(wait) = error.get("retry_after_secs") {
        assert!(wait.as_u64().is_some_and(|secs| secs >= 1), "{body}");
    }
    let message = error["message"].as_str().unwrap().to_string();
    assert!(!message.is_empty(), "an empty message: {body}");
    (error["code"].as_str().unwrap().to_string(), message)
}

/// Asserts `answer` is `status` with `code` and a message containing `words`.
fn assert_refused(case: &str, answer: (u16, String), status: u16, code: &str, words: &str) {
    let (got_status, body) = answer;
    let (got_code, message) = error_of(&body);
    assert_eq!((got_status, got_code.as_str()), (status, code), "{case}: {body}");
    assert!(message.contains(words), "{case}: '{message}' should mention '{words}'");
}

#[test]
fn a_request_without_a_valid_key_is_unauthorized() {
    let dir = scratch_dir("codes-unauthorized");
    let server = start(&dir, &[]);
    let order =
        r#"{"product_id":"BTC-USD","side":"BUY","order_configuration":{"market_market_ioc":{"quote_size":"10"}}}"#;
    let missing = "missing Authorization: Bearer <key>";
    assert_refused("no key", server.get("/api/orders", None), 401, "UNAUTHORIZED", missing);
    assert_refused("no key, placing", server.post("/api/orders", None, order), 401, "UNAUTHORIZED", missing);
    // `Authorization: Bearer ` with nothing after it.
    let malformed = "the Authorization header must be 'Bearer <key>'";
    assert_refused("an empty key", server.get("/api/orders", Some("")), 401, "UNAUTHORIZED", malformed);
    let unknown = "unknown or revoked API key";
    let guessed = "csk_live_0000000000000000000000000000000000000000";
    assert_refused("an unknown key", server.get("/api/orders", Some(guessed)), 401, "UNAUTHORIZED", unknown);
    // A public endpoint takes no key, but a wrong one is refused, not taken as anonymous.
    assert_eq!(server.get("/api/swarm", None).0, 200);
    assert_refused("an unknown key, public", server.get("/api/swarm", Some(guessed)), 401, "UNAUTHORIZED", unknown);
    assert_eq!(server.get("/api/orders", server.admin_key.as_deref()).0, 200, "the admin key passes");
    drop(server);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_key_past_its_request_budget_is_rate_limited_with_retry_after() {
    let dir = scratch_dir("codes-rate-limited");
    // A burst of 3 requests, then one a second.
    let server = start(&dir, &[("COINSWARM_REQUESTS_PER_SECOND", "1"), ("COINSWARM_BURST", "3")]);
    let key = server.admin_key.clone().unwrap();
    let started = Instant::now();
    let answers: Vec<_> = (0..10).map(|_| server.raw("GET", "/api/accounts/swarm", Some(&key), None)).collect();
    let elapsed = started.elapsed().as_secs_f64();
    assert!(answers[..3].iter().all(|(status, _, _)| *status == 200), "the burst passes");
    // Past the burst, one more request per second elapsed at most.
    let passed = answers.iter().filter(|(status, _, _)| *status == 200).count();
    assert!(passed <= 3 + elapsed.ceil() as usize, "{passed} of 10 passed in {elapsed} s");
    for (status, headers, body) in answers.into_iter().filter(|(status, _, _)| *status != 200) {
        assert_refused(
            "past the budget",
            (status, body.clone()),
            429,
            "RATE_LIMITED",
            "too many requests for this key",
        );
        let retry_after = headers.iter().find(|(name, _)| name == "retry-after").map(|(_, value)| value.as_str());
        let seconds: u64 = retry_after.and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{headers:?}"));
        assert!((1..=60).contains(&seconds), "Retry-After: {seconds}");
    }
    drop(server);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_body_that_is_not_an_order_is_answered_by_what_is_wrong_with_it() {
    let dir = scratch_dir("codes-bodies");
    let server = start(&dir, &[]);
    let key = server.admin_key.clone().unwrap();
    let place = |body: &[u8]| server.request("POST", "/api/orders", Some(&key), Some(body));
    let preview = |body: &[u8]| server.request("POST", "/api/orders/preview", Some(&key), Some(body));

    let truncated = br#"{"product_id":"BTC-USD","side":"#;
    assert_refused("truncated JSON", place(truncated), 400, "MALFORMED_JSON", "JSON");
    assert_refused("truncated JSON, preview", preview(truncated), 400, "MALFORMED_JSON", "JSON");
    assert_refused("not JSON at all", place(b"side=BUY&product_id=BTC-USD"), 400, "MALFORMED_JSON", "JSON");

    let wrong_type = br#"{"product_id":"BTC-USD","side":"BUY","order_configuration":{"limit_limit_gtc":{"base_size":true,"limit_price":"1"}}}"#;
    assert_refused("a size that is not a decimal", place(wrong_type), 422, "INVALID_BODY", "base_size");
    let unknown_field = br#"{"product_id":"BTC-USD","side":"BUY","colour":"red","order_configuration":{"market_market_ioc":{"base_size":"1"}}}"#;
    assert_refused("an unknown field", place(unknown_field), 422, "INVALID_BODY", "colour");
    let no_side = br#"{"product_id":"BTC-USD","order_configuration":{"market_market_ioc":{"base_size":"1"}}}"#;
    assert_refused("a missing field", place(no_side), 422, "INVALID_BODY", "side");
    assert_refused("a missing field, preview", preview(no_side), 422, "INVALID_BODY", "side");

    // 200 KiB against the 64 KiB limit.
    let padded = [&b"{\"product_id\":\"BTC-USD\","[..], &vec![b' '; 200 * 1024], b"}"].concat();
    assert_refused("an oversized body", place(&padded), 413, "BODY_TOO_LARGE", "the request body exceeds 65536 bytes");

    let (_, body) = server.get("/api/orders", Some(&key));
    let orders: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(orders["orders"].as_array().map(Vec::len), Some(0), "none of them placed an order: {body}");
    drop(server);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_wrong_method_query_or_path_is_answered_by_its_code() {
    let dir = scratch_dir("codes-requests");
    let server = start(&dir, &[]);
    let key = server.admin_key.clone().unwrap();
    let key = Some(key.as_str());

    let put = server.request("PUT", "/api/orders", key, None);
    assert_refused("PUT orders", put, 405, "METHOD_NOT_ALLOWED", "PUT is not allowed on /api/orders");
    let delete = server.delete("/api/market-data?product_id=BTC-USD", None);
    assert_refused(
        "DELETE market data",
        delete,
        405,
        "METHOD_NOT_ALLOWED",
        "DELETE is not allowed on /api/market-data",
    );
    let post = server.post("/api/swarm", key, "{}");
    assert_refused("POST swarm", post, 405, "METHOD_NOT_ALLOWED", "POST is not allowed on /api/swarm");

    let unknown_parameter = server.get("/api/market-data?product=BTC-USD", None);
    assert_refused("an unknown parameter", unknown_parameter, 400, "INVALID_QUERY", "product");
    let missing_parameter = server.get("/api/market-data", None);
    assert_refused("a missing parameter", missing_parameter, 400, "INVALID_QUERY", "product_id");
    let not_a_number = server.get("/api/trades?limit=ten", key);
    assert_refused("a limit that is not a number", not_a_number, 400, "INVALID_QUERY", "limit");
    let unknown_filter = server.get("/api/orders?colour=red", key);
    assert_refused("an unknown filter", unknown_filter, 400, "INVALID_QUERY", "colour");

    // A path segment that does not decode to UTF-8 text.
    let order = server.get("/api/orders/%FF%FE", key);
    assert_refused("an order id of raw bytes", order, 400, "INVALID_PATH", "Invalid UTF-8 in `id`");
    let cancel = server.delete("/api/orders/%FF%FE", key);
    assert_refused("cancelling an order id of raw bytes", cancel, 400, "INVALID_PATH", "Invalid UTF-8 in `id`");
    let account = server.get("/api/accounts/%C3%28", key);
    assert_refused("an account id of raw bytes", account, 400, "INVALID_PATH", "Invalid UTF-8 in `id`");
    drop(server);
    std::fs::remove_dir_all(dir).unwrap();
}
