//! API keys: a random secret shown once, stored as a SHA-256 hash, bound to one account and
//! carrying scopes.

use crate::store::{ApiKeyRecord, KeyStore};
use anyhow::bail;
use rand::RngCore;
use sha2_full::{Digest, Sha256};
use std::fmt;

/// What a key may do. `read` sees its account and the market; `trade` also places and
/// cancels orders; `admin` also controls the swarm and sees every account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    Read,
    Trade,
    Admin,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Trade => "trade",
            Scope::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> anyhow::Result<Self> {
        Ok(match text.trim() {
            "read" => Scope::Read,
            "trade" => Scope::Trade,
            "admin" => Scope::Admin,
            other => bail!("unknown scope '{other}': expected read, trade or admin"),
        })
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A key as the server checks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: String,
    pub account_id: String,
    pub scopes: Vec<Scope>,
}

impl ApiKey {
    /// Whether the key carries `scope` (admin implies trade, trade implies read).
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.iter().any(|s| *s >= scope)
    }
}

/// A newly created key: the secret exists only here and in the caller's hands.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub id: String,
    pub secret: String,
    pub account_id: String,
    pub scopes: Vec<Scope>,
}

/// The stored form of a secret.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Creates a key for `account_id` (the account must exist) with `scopes`.
pub async fn create_key(
    store: &impl KeyStore,
    account_id: &str,
    scopes: &[Scope],
    label: &str,
    now_ms: i64,
) -> anyhow::Result<NewKey> {
    if scopes.is_empty() {
        bail!("a key needs at least one scope");
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("csk_{}", hex::encode(bytes));
    let id = format!("key_{}", &hex::encode(Sha256::digest(secret.as_bytes()))[..12]);
    let mut scopes = scopes.to_vec();
    scopes.sort();
    scopes.dedup();
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
    let scopes = record.scopes.split(',').filter(|s| !s.is_empty()).map(Scope::parse).collect::<Result<_, _>>()?;
    Ok(Some(ApiKey { id: record.id, account_id: record.account_id, scopes }))
}
