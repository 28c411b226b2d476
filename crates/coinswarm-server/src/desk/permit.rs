//! What a key may do, checked once where a request comes in. A [`Permit`] exists only for a
//! key that holds its scope, and every desk function that needs a scope takes one: no
//! transport can call it unchecked, and no layer checks the scope again.

use crate::adapters::keys::{ApiKey, Scope};
use coinswarm_api::Failure;
use std::fmt;
use std::marker::PhantomData;

/// A scope a permit can stand for.
pub trait Grant {
    const SCOPE: Scope;
}

/// The `read` scope: balances, orders, fills, the audit log.
#[derive(Debug)]
pub enum Read {}

/// The `trade` scope: place, preview and cancel orders.
#[derive(Debug)]
pub enum Trade {}

/// The `admin` scope: every account, halting and resuming the swarm.
#[derive(Debug)]
pub enum Admin {}

impl Grant for Read {
    const SCOPE: Scope = Scope::Read;
}

impl Grant for Trade {
    const SCOPE: Scope = Scope::Trade;
}

impl Grant for Admin {
    const SCOPE: Scope = Scope::Admin;
}

/// Proof that `key` holds scope `S`.
pub struct Permit<'a, S: Grant> {
    key: &'a ApiKey,
    scope: PhantomData<S>,
}

impl<'a, S: Grant> Permit<'a, S> {
    /// The permit of `key`, or 403 `FORBIDDEN` when it lacks the scope.
    pub fn check(key: &'a ApiKey) -> Result<Self, Failure> {
        super::require(key, S::SCOPE)?;
        Ok(Self { key, scope: PhantomData })
    }

    /// The key the permit was checked for.
    pub fn key(&self) -> &'a ApiKey {
        self.key
    }
}

impl<S: Grant> Clone for Permit<'_, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S: Grant> Copy for Permit<'_, S> {}

impl<S: Grant> fmt::Debug for Permit<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit").field("key_id", &self.key.id).field("scope", &S::SCOPE).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(scopes: Vec<Scope>) -> ApiKey {
        ApiKey { id: "k".into(), account_id: "a".into(), scopes }
    }

    #[test]
    fn a_permit_exists_only_for_a_key_with_its_scope() {
        let reader = key(vec![Scope::Read]);
        assert!(Permit::<Read>::check(&reader).is_ok());
        let refused = Permit::<Trade>::check(&reader).unwrap_err();
        assert_eq!(
            (refused.code.as_str(), refused.message.as_str()),
            ("FORBIDDEN", "this key lacks the 'trade' scope")
        );
        let admin = key(vec![Scope::Admin]);
        assert!(Permit::<Admin>::check(&admin).is_ok());
        assert_eq!(Permit::<Admin>::check(&admin).unwrap().key().id, "k");
    }
}
