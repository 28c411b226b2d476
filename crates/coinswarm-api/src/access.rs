//! Who may call what: an API key's scopes, the key as a host checks it, and the stored
//! form of its secret. Both hosts (`coinswarm up` and the edge Worker) authenticate and
//! authorise by these, so a key means the same on either.

use crate::{ErrorCode, Failure};
use sha2::{Digest, Sha256};
use std::fmt;

/// A scope name that is none of `read`, `trade`, `admin`, `live`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope '{0}': expected read, trade, admin or live")]
pub struct UnknownScope(pub String);

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

    pub fn parse(text: &str) -> Result<Self, UnknownScope> {
        Ok(match text.trim() {
            "read" => Scope::Read,
            "trade" => Scope::Trade,
            "admin" => Scope::Admin,
            "live" => Scope::Live,
            other => return Err(UnknownScope(other.to_string())),
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

/// The stored form of a secret: its SHA-256, in lowercase hex.
pub fn hash_secret(secret: &str) -> String {
    Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// A key's id, derived from its secret: `key_` and the first 12 hex digits of its hash.
pub fn key_id(secret: &str) -> String {
    format!("key_{}", &hash_secret(secret)[..12])
}

/// The scopes of a stored key (`read,trade`), in their stored order.
pub fn parse_scopes(stored: &str) -> Result<Vec<Scope>, UnknownScope> {
    stored.split(',').filter(|s| !s.is_empty()).map(Scope::parse).collect()
}

/// The scopes a new key may be given: at least one, and `live` only beside `trade` or
/// `admin` (it adds real money to what those may already do). Sorted and deduplicated.
pub fn new_key_scopes(scopes: &[Scope]) -> Result<Vec<Scope>, &'static str> {
    if scopes.is_empty() {
        return Err("a key needs at least one scope");
    }
    if scopes.contains(&Scope::Live) && !scopes.iter().any(|s| s.grants(Scope::Trade)) {
        return Err("the 'live' scope needs 'trade' (or 'admin') with it: e.g. --scope trade --scope live");
    }
    let mut scopes = scopes.to_vec();
    scopes.sort_by_key(|s| s.as_str());
    scopes.dedup();
    Ok(scopes)
}

/// The secret of an `Authorization: Bearer <key>` header, or the 401 a host answers.
pub fn bearer_secret(header: Option<&str>) -> Result<&str, Failure> {
    let Some(header) = header else {
        return Err(Failure::new(ErrorCode::Unauthorized, "missing Authorization: Bearer <key>"));
    };
    header
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Failure::new(ErrorCode::Unauthorized, "the Authorization header must be 'Bearer <key>'"))
}

/// 401 unless `header` is `Bearer <expected>`: the operator's token between the tiers (the
/// edge's `EDGE_TOKEN`, `up`'s `[edge] token`), compared in constant time (as hashes, so the
/// lengths do not show either). The caller decides what an unset token means.
pub fn check_operator_token(expected: &str, header: Option<&str>) -> Result<(), Failure> {
    let given = bearer_secret(header)?;
    let (a, b) = (Sha256::digest(given.as_bytes()), Sha256::digest(expected.as_bytes()));
    if a.iter().zip(b.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) != 0 {
        return Err(Failure::new(ErrorCode::Unauthorized, "wrong edge token"));
    }
    Ok(())
}

/// The 401 of a secret that is no live key.
pub fn unknown_key() -> Failure {
    Failure::new(ErrorCode::Unauthorized, "unknown or revoked API key")
}

/// Whether `text` may name an account: 1 to 64 ASCII letters, digits, `-` or `_`.
pub fn valid_account_id(text: &str) -> bool {
    !text.is_empty() && text.len() <= 64 && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Refuses with 403 unless `key` carries `scope`.
pub fn require(key: &ApiKey, scope: Scope) -> Result<(), Failure> {
    if key.allows(scope) {
        Ok(())
    } else {
        Err(Failure::new(ErrorCode::Forbidden, format!("this key lacks the '{scope}' scope")))
    }
}

/// Whether `key` may see `account_id` (its own, or any with admin).
pub fn may_see(key: &ApiKey, account_id: &str) -> bool {
    key.account_id == account_id || key.allows(Scope::Admin)
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
