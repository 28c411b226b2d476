//! MCP sessions over HTTP, bound to the API key that opened them. A session id is handed to
//! the client by `initialize`; every later request naming it (tool calls, `GET /mcp` with
//! `Last-Event-ID`, `DELETE`) must come with the same key, or it is answered as if the
//! session did not exist (so is a session id this server does not hold). Sessions are capped per key and in all, so no key can flood the
//! server with them; they end after `mcp.session_idle_ms` without a request.

use coinswarm_api::{ErrorCode, Failure, RetryAfter};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Which key opened each session, and how many sessions may be open.
#[derive(Debug)]
pub struct McpSessions {
    /// rmcp's sessions: the ones still in it are alive (rmcp removes a session when it ends).
    manager: Arc<LocalSessionManager>,
    max_sessions: usize,
    max_per_key: usize,
    owners: Mutex<Owners>,
}

#[derive(Debug, Default)]
struct Owners {
    /// Session id → (key id, when it was bound).
    by_session: HashMap<String, (String, Instant)>,
    /// Key id → `initialize` calls under way (a place is held for each).
    pending: HashMap<String, usize>,
}

impl McpSessions {
    pub fn new(manager: Arc<LocalSessionManager>, max_sessions: usize, max_per_key: usize) -> Arc<Self> {
        Arc::new(Self { manager, max_sessions, max_per_key, owners: Mutex::new(Owners::default()) })
    }

    /// Refuses a request naming `session_id` unless `key_id` opened it (and it is still
    /// recorded: an ended or unknown session is refused the same way).
    pub fn check_owner(&self, session_id: &str, key_id: &str) -> Result<(), Failure> {
        let owners = self.owners.lock().unwrap_or_else(|p| p.into_inner());
        match owners.by_session.get(session_id) {
            Some((owner, _)) if owner == key_id => Ok(()),
            _ => Err(Failure::new(
                ErrorCode::McpSessionNotFound,
                "no MCP session with this id for this API key: initialize a new one",
            )),
        }
    }

    /// Holds a place for a new session of `key_id`, or refuses: 429 when the key holds its
    /// share, 503 when the server holds all it may.
    pub async fn reserve(self: &Arc<Self>, key_id: &str) -> Result<Reservation, Failure> {
        // Sessions bound after this snapshot are kept whatever it says (they are too new to
        // be in it).
        let snapshot_at = Instant::now();
        let live: HashSet<String> = self.manager.sessions.read().await.keys().map(|id| id.to_string()).collect();
        let mut owners = self.owners.lock().unwrap_or_else(|p| p.into_inner());
        owners.by_session.retain(|id, (_, bound_at)| live.contains(id) || *bound_at >= snapshot_at);
        let pending_total: usize = owners.pending.values().sum();
        let of_key = owners.by_session.values().filter(|(owner, _)| owner == key_id).count()
            + owners.pending.get(key_id).copied().unwrap_or(0);
        if of_key >= self.max_per_key {
            return Err(Failure::new(
                ErrorCode::TooManyMcpSessions,
                format!(
                    "this API key holds {} MCP sessions, the most it may: end one (DELETE /mcp) or let it expire",
                    self.max_per_key
                ),
            )
            .retry_after(RetryAfter::BUSY));
        }
        if owners.by_session.len() + pending_total >= self.max_sessions {
            return Err(Failure::unavailable(
                format!("the server holds {} MCP sessions, the most it may: try again shortly", self.max_sessions),
                RetryAfter::BUSY,
            ));
        }
        *owners.pending.entry(key_id.to_string()).or_default() += 1;
        Ok(Reservation { sessions: self.clone(), key_id: key_id.to_string() })
    }
}

/// A place held for a session being initialized; given back when dropped unless
/// [`Reservation::bind`] made it a session.
#[derive(Debug)]
pub struct Reservation {
    sessions: Arc<McpSessions>,
    key_id: String,
}

impl Reservation {
    /// The session rmcp opened for this place now belongs to the key.
    pub fn bind(self, session_id: &str) {
        let mut owners = self.sessions.owners.lock().unwrap_or_else(|p| p.into_inner());
        owners.by_session.insert(session_id.to_string(), (self.key_id.clone(), Instant::now()));
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        let mut owners = self.sessions.owners.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(pending) = owners.pending.get_mut(&self.key_id) {
            *pending -= 1;
            if *pending == 0 {
                owners.pending.remove(&self.key_id);
            }
        }
    }
}
