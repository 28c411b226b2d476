//! The running account sessions, by account id.

use crate::session::SessionHandle;
use std::collections::BTreeMap;
use std::sync::RwLock;

/// Every live session; the feed sends market data to all of them.
#[derive(Debug, Default)]
pub struct Sessions {
    sessions: RwLock<BTreeMap<String, SessionHandle>>,
}

impl Sessions {
    pub fn insert(&self, handle: SessionHandle) {
        self.sessions.write().unwrap_or_else(|p| p.into_inner()).insert(handle.account_id.clone(), handle);
    }

    pub fn get(&self, account_id: &str) -> Option<SessionHandle> {
        self.sessions.read().unwrap_or_else(|p| p.into_inner()).get(account_id).cloned()
    }

    pub fn all(&self) -> Vec<SessionHandle> {
        self.sessions.read().unwrap_or_else(|p| p.into_inner()).values().cloned().collect()
    }

    /// Drops every handle, so each session finishes its last batch and ends.
    pub fn clear(&self) {
        self.sessions.write().unwrap_or_else(|p| p.into_inner()).clear();
    }
}
