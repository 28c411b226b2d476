//! The edge's operator routes, authenticated with the edge token (the `EDGE_TOKEN` secret):
//! `POST /edge/ingest`, where the agent tier publishes its batches, and `POST /edge/keys`,
//! where `coinswarm keys create --edge-url` creates a key, and `POST /edge/post-trade`, where
//! an operator re-drives a post-trade message, and `GET /edge/streams`, how far each of the
//! agent tier's durable streams is applied. A missing or wrong token is 401.

use super::http::{self, Answer, now_ms, unavailable};
use super::meter::Meter;
use super::objects;
use crate::calls::HubCall;
use coinswarm_api::access::{Scope, check_operator_token, hash_secret, key_id, new_key_scopes, valid_account_id};
use coinswarm_api::edge::{EdgeBatch, EdgeKeyCreated, INGEST_PATH, KEYS_PATH, NewEdgeKey, STREAMS_PATH};
use coinswarm_api::{ErrorCode, Failure, RetryAfter, body};
use wasm_bindgen::JsCast;
use worker::{Env, Request};

/// Re-drives a raw message onto the post-trade queue (e.g. a dead letter once its cause is fixed).
pub const POST_TRADE_PATH: &str = "/edge/post-trade";

/// The largest batch the agent tier may send.
const MAX_BATCH_BYTES: usize = 8 * 1024 * 1024;

pub async fn handle(req: Request, env: &Env) -> Answer {
    let meter = Meter::default();
    let answer = route(req, env, &meter).await;
    Ok(meter.stamp(answer.unwrap_or_else(|failure| http::failure(&failure))))
}

async fn route(mut req: Request, env: &Env, meter: &Meter) -> Answer {
    let path = req.path();
    if path != INGEST_PATH && path != KEYS_PATH && path != POST_TRADE_PATH && path != STREAMS_PATH {
        return Err(Failure::not_found(format!("no route {path}")));
    }
    if path == STREAMS_PATH {
        if req.method() != worker::Method::Get {
            return Err(Failure::new(
                ErrorCode::MethodNotAllowed,
                format!("{} is not allowed on {path}", req.method()),
            ));
        }
        check_token(&req, env)?;
        return http::call(&objects::hub(env)?, &HubCall::Streams, meter).await;
    }
    if req.method() != worker::Method::Post {
        return Err(Failure::new(ErrorCode::MethodNotAllowed, format!("{} is not allowed on {path}", req.method())));
    }
    check_token(&req, env)?;
    let content_type = req.headers().get("content-type").ok().flatten();
    let bytes = req.bytes().await.map_err(unavailable)?;
    if path == POST_TRADE_PATH {
        let message: serde_json::Value = body::json(content_type.as_deref(), &bytes, body::MAX_BODY_BYTES)?;
        super::post_trade::redrive(env, meter, message).await?;
        return http::json(202, &serde_json::json!({"queued": true}));
    }
    if path == INGEST_PATH {
        let batch: EdgeBatch = body::json(content_type.as_deref(), &bytes, MAX_BATCH_BYTES)?;
        http::call(&objects::hub(env)?, &HubCall::Ingest { batch: Box::new(batch) }, meter).await
    } else {
        let new: NewEdgeKey = body::json(content_type.as_deref(), &bytes, body::MAX_BODY_BYTES)?;
        create_key(env, meter, new).await
    }
}

/// 401 unless `Authorization: Bearer <EDGE_TOKEN>` (compared in constant time).
fn check_token(req: &Request, env: &Env) -> Result<(), Failure> {
    let expected = env.secret("EDGE_TOKEN").map(|s| s.to_string()).unwrap_or_default();
    if expected.is_empty() {
        return Err(Failure::new(
            ErrorCode::Unauthorized,
            "the edge has no EDGE_TOKEN secret: its operator routes are closed",
        ));
    }
    let header = req.headers().get("authorization").ok().flatten();
    check_operator_token(&expected, header.as_deref())
}

async fn create_key(env: &Env, meter: &Meter, new: NewEdgeKey) -> Answer {
    if !valid_account_id(&new.account_id) {
        return Err(Failure::new(
            ErrorCode::InvalidBody,
            format!("account '{}': use 1-64 letters, digits, '-' or '_'", new.account_id),
        ));
    }
    let scopes = new
        .scopes
        .iter()
        .map(|s| Scope::parse(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Failure::new(ErrorCode::InvalidBody, e.to_string()))?;
    if scopes.contains(&Scope::Live) {
        return Err(Failure::new(ErrorCode::InvalidBody, "accounts at the edge trade paper: a key cannot have 'live'"));
    }
    let scopes = new_key_scopes(&scopes).map_err(|e| Failure::new(ErrorCode::InvalidBody, e))?;
    let secret = format!("csk_{}", random_hex()?);
    let id = key_id(&secret);
    let scope_text = scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",");
    let now = now_ms() as f64;
    let db = env.d1("DB").map_err(unavailable)?;
    let account = db
        .prepare("INSERT OR IGNORE INTO accounts (account_id, created_at) VALUES (?1, ?2)")
        .bind(&[new.account_id.clone().into(), now.into()])
        .map_err(unavailable)?;
    let key = db
        .prepare(
            "INSERT INTO api_keys (id, secret_hash, account_id, scopes, label, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(&[
            id.clone().into(),
            hash_secret(&secret).into(),
            new.account_id.clone().into(),
            scope_text.into(),
            new.label.clone().into(),
            now.into(),
        ])
        .map_err(unavailable)?;
    let results = db.batch(vec![account, key]).await.map_err(unavailable)?;
    let written: usize = results.iter().filter_map(|r| r.meta().ok().flatten().and_then(|m| m.rows_written)).sum();
    meter.add(crate::billable::Billable { d1_rows_written: written as u64, ..Default::default() });
    let created = EdgeKeyCreated {
        id,
        secret,
        account_id: new.account_id,
        scopes: scopes.iter().map(|s| s.as_str().to_string()).collect(),
    };
    http::json(201, &created)
}

/// 32 random bytes from the platform's CSPRNG (`crypto.getRandomValues`), in hex.
fn random_hex() -> Result<String, Failure> {
    let fail = |_| Failure::unavailable("the platform's random source is unavailable", RetryAfter::FAULT);
    let crypto = js_sys::Reflect::get(&js_sys::global(), &"crypto".into()).map_err(fail)?;
    let fill: js_sys::Function =
        js_sys::Reflect::get(&crypto, &"getRandomValues".into()).map_err(fail)?.dyn_into().map_err(fail)?;
    let array = js_sys::Uint8Array::new_with_length(32);
    fill.call1(&crypto, &array).map_err(fail)?;
    let mut bytes = [0u8; 32];
    array.copy_to(&mut bytes);
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
