//! API keys: a random secret shown once, stored as a SHA-256 hash, bound to one account and
//! carrying scopes.

use crate::adapters::store::{ApiKeyRecord, KeyStore};
use rand::RngCore;

pub use coinswarm_api::access::{ApiKey, Scope, hash_secret};
use coinswarm_api::access::{key_id, new_key_scopes, parse_scopes};

/// A newly created key: the secret exists only here and in the caller's hands.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub id: String,
    pub secret: String,
    pub account_id: String,
    pub scopes: Vec<Scope>,
}

/// Creates a key for `account_id` (the account must exist) with `scopes`. `live` is refused
/// alone: it only adds real money to what `trade` (or `admin`) may already do.
pub async fn create_key(
    store: &impl KeyStore,
    account_id: &str,
    scopes: &[Scope],
    label: &str,
    now_ms: i64,
) -> anyhow::Result<NewKey> {
    let scopes = new_key_scopes(scopes).map_err(anyhow::Error::msg)?;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("csk_{}", hex::encode(bytes));
    let id = key_id(&secret);
    let record = ApiKeyRecord {
        id: id.clone(),
        secret_hash: hash_secret(&secret),
        account_id: account_id.to_string(),
        scopes: scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(","),
        label: label.to_string(),
        created_at: now_ms,
        revoked_at: None,
    };
    store.insert_key(&record).await?;
    Ok(NewKey { id, secret, account_id: account_id.to_string(), scopes })
}

/// The live key a presented secret belongs to, if any.
pub async fn verify(store: &impl KeyStore, secret: &str) -> anyhow::Result<Option<ApiKey>> {
    let Some(record) = store.key_by_hash(&hash_secret(secret)).await? else { return Ok(None) };
    if record.revoked_at.is_some() {
        return Ok(None);
    }
    let scopes = parse_scopes(&record.scopes)?;
    Ok(Some(ApiKey { id: record.id, account_id: record.account_id, scopes }))
}
