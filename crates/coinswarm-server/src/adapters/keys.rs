//! API keys: a random secret shown once, stored as a SHA-256 hash, bound to one account and
//! carrying scopes.

use crate::adapters::store::{ApiKeyRecord, KeyStore};
use anyhow::bail;
use rand::RngCore;
use sha2_full::{Digest, Sha256};
use std::fmt;

/// What a key may do. `read` sees its account and the market; `trade` also places and
/// cancels orders; `admin` also controls the swarm and sees every account. `live` lets a
/// key place orders on an account that trades real money on Coinbase: it is implied by no
/// other scope (not even `admin`), and only `coinswarm keys create --scope live
/// --i-understand-this-trades-real-money` gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Read,
    Trade,
    Admin,
    Live,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Trade => "trade",
            Scope::Admin => "admin",
            Scope::Live => "live",
        }
    }

    pub fn parse(text: &str) -> anyhow::Result<Self> {
        Ok(match text.trim() {
            "read" => Scope::Read,
            "trade" => Scope::Trade,
            "admin" => Scope::Admin,
            "live" => Scope::Live,
            other => bail!("unknown scope '{other}': expected read, trade, admin or live"),
        })
    }

    /// Whether a key holding `self` may do what `wanted` allows: admin grants trade and
    /// read, trade grants read, and `live` is granted by `live` alone.
    pub fn grants(self, wanted: Scope) -> bool {
        match (self, wanted) {
            (Scope::Live, Scope::Live) => true,
            (_, Scope::Live) | (Scope::Live, _) => false,
            (Scope::Admin, Scope::Read | Scope::Trade | Scope::Admin) => true,
            (Scope::Trade, Scope::Read | Scope::Trade) => true,
            (Scope::Read, Scope::Read) => true,
            (Scope::Read, Scope::Trade | Scope::Admin) | (Scope::Trade, Scope::Admin) => false,
        }
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
    /// Whether one of the key's scopes grants `scope` ([`Scope::grants`]).
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.iter().any(|held| held.grants(scope))
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

/// Creates a key for `account_id` (the account must exist) with `scopes`. `live` is refused
/// alone: it only adds real money to what `trade` (or `admin`) may already do.
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
    if scopes.contains(&Scope::Live) && !scopes.iter().any(|s| s.grants(Scope::Trade)) {
        bail!("the 'live' scope needs 'trade' (or 'admin') with it: e.g. --scope trade --scope live");
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("csk_{}", hex::encode(bytes));
    let id = format!("key_{}", &hex::encode(Sha256::digest(secret.as_bytes()))[..12]);
    let mut scopes = scopes.to_vec();
    scopes.sort_by_key(|s| s.as_str());
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

#[cfg(test)]
mod tests {
    use super::*;

    fn key(scopes: &[Scope]) -> ApiKey {
        ApiKey { id: "key_test".into(), account_id: "swarm".into(), scopes: scopes.to_vec() }
    }

    #[test]
    fn no_scope_but_live_itself_grants_live() {
        assert!(!key(&[Scope::Admin]).allows(Scope::Live));
        assert!(!key(&[Scope::Read, Scope::Trade, Scope::Admin]).allows(Scope::Live));
        assert!(key(&[Scope::Trade, Scope::Live]).allows(Scope::Live));
    }

    #[test]
    fn live_grants_nothing_but_live() {
        let live = key(&[Scope::Live]);
        assert!(!live.allows(Scope::Read) && !live.allows(Scope::Trade) && !live.allows(Scope::Admin));
    }

    #[test]
    fn admin_grants_trade_and_read_and_trade_grants_read() {
        assert!(key(&[Scope::Admin]).allows(Scope::Trade) && key(&[Scope::Admin]).allows(Scope::Read));
        assert!(key(&[Scope::Trade]).allows(Scope::Read) && !key(&[Scope::Trade]).allows(Scope::Admin));
        assert!(!key(&[Scope::Read]).allows(Scope::Trade));
    }
}
