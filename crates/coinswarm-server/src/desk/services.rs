//! The desk's services: what the REST API, MCP and the wiring share.

use crate::adapters::store::{AnalyticsBuffer, MemoryKv, SqlStore};
use crate::clock::SharedClock;
use crate::config::{FeedSource, ServerConfig};
use crate::session::hub::Hub;
use crate::session::market::MarketBoard;
use crate::session::registry::Sessions;
use crate::session::{self, SWARM_ACCOUNT, SessionHandle, SessionSpec};
use coinswarm_api::{Failure, RetryAfter};
use coinswarm_core::exchange::ExchangeConfig;
use coinswarm_core::swarm::Swarm;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The services every transport stands on: the store, the market board, the running
/// sessions and the event hub, with the account sessions started on first use.
#[derive(Debug)]
pub struct Desk {
    pub config: ServerConfig,
    pub store: SqlStore,
    pub kv: MemoryKv,
    pub board: Arc<MarketBoard>,
    pub sessions: Arc<Sessions>,
    pub hub: Arc<Hub>,
    /// Analytics recorded on hot paths, written by the post-trade loop.
    pub analytics: Arc<AnalyticsBuffer>,
    /// Turns true when the server begins to shut down (streams close, the feed stops).
    pub shutdown: watch::Receiver<bool>,
    /// Room for requested backtests (`mcp.max_concurrent_backtests`).
    pub backtests: Arc<tokio::sync::Semaphore>,
    /// The wall clock every service is handed.
    pub clock: SharedClock,
    /// The data directory's salt of order and trade ids ([`crate::adapters::order_ids`]).
    order_id_salt: u64,
    starting: tokio::sync::Mutex<()>,
    session_tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl Desk {
    /// A desk over `store`, `board` and `hub`; the Kv cache, the analytics buffer, the room
    /// for backtests and the registry of running sessions are sized from `config`.
    pub async fn open(
        config: ServerConfig,
        store: SqlStore,
        board: Arc<MarketBoard>,
        hub: Arc<Hub>,
        shutdown: watch::Receiver<bool>,
        clock: SharedClock,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            kv: MemoryKv::new(config.cache.max_entries, clock.clone()),
            sessions: Arc::new(Sessions::default()),
            analytics: Arc::new(AnalyticsBuffer::default()),
            backtests: Arc::new(tokio::sync::Semaphore::new(config.mcp.max_concurrent_backtests)),
            order_id_salt: crate::adapters::order_ids::data_dir_salt(&store).await?,
            starting: tokio::sync::Mutex::new(()),
            session_tasks: Mutex::new(Vec::new()),
            config,
            store,
            board,
            hub,
            shutdown,
            clock,
        })
    }

    /// Keeps a background task (a session, the venue link, the post-trade loop) to be
    /// awaited at shutdown.
    pub fn hold(&self, task: JoinHandle<()>) {
        self.session_tasks.lock().unwrap_or_else(|p| p.into_inner()).push(task);
    }

    /// Every task held so far, handed over to be awaited (the shutdown).
    pub fn take_tasks(&self) -> Vec<JoinHandle<()>> {
        std::mem::take(&mut *self.session_tasks.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// The running session of an existing account (started on first use), or `None` for an
    /// account that does not exist.
    pub async fn session(&self, account_id: &str) -> Result<Option<SessionHandle>, Failure> {
        let running = |session: &SessionHandle| !session.is_stopped() || account_id == SWARM_ACCOUNT;
        if let Some(session) = self.sessions.get(account_id).filter(running) {
            return Ok(Some(session));
        }
        let _starting = self.starting.lock().await;
        if let Some(session) = self.sessions.get(account_id).filter(running) {
            return Ok(Some(session));
        }
        // A session that stopped (a commit failed: nothing unacknowledged was kept) starts
        // again below from what its log durably holds; this process still owns the account.
        let unavailable = |e: anyhow::Error| Failure::unavailable(format!("{e:#}"), RetryAfter::FAULT);
        if !self.store.accounts().await.map_err(unavailable)?.iter().any(|a| a == account_id) {
            return Ok(None);
        }
        // The swarm's session starts with the server (or its takeover), never on a request.
        if account_id == SWARM_ACCOUNT {
            return Err(elsewhere(account_id));
        }
        if !self.store.claim_account(account_id).await.map_err(unavailable)? {
            return Err(elsewhere(account_id));
        }
        let spec = self.spec(account_id, None);
        let (handle, task) =
            session::start(spec, self.store.clone(), &self.board.last_quotes()).await.map_err(unavailable)?;
        self.hold(task);
        self.sessions.insert(handle.clone());
        Ok(Some(handle))
    }

    /// `live` for the swarm's account in live mode (its orders go to Coinbase), else `paper`.
    pub fn execution_mode(&self, account_id: &str) -> &'static str {
        let live = self.config.live.exchange == crate::config::ExchangeMode::CoinbaseLive;
        if live && account_id == SWARM_ACCOUNT { "live" } else { "paper" }
    }

    pub fn swarm_session(&self) -> Option<SessionHandle> {
        self.sessions.get(SWARM_ACCOUNT)
    }

    /// The refusal while the swarm's session is not running here: on a shared database
    /// another process runs it, and this one tries to take it over every
    /// `store.claim_retry_ms`.
    pub fn swarm_not_running(&self) -> Failure {
        Failure::unavailable("the swarm is not running", RetryAfter::millis(self.config.store.claim_retry_ms))
    }

    /// Wall-clock milliseconds between the feed's bars: `feed.bar_interval_ms` in a replay,
    /// the bar granularity on Coinbase's live feed. A warm-up of n bars takes n of these.
    pub fn bar_interval_ms(&self) -> u64 {
        match self.config.feed.source {
            FeedSource::Replay => self.config.feed.bar_interval_ms,
            FeedSource::Coinbase => self.board.granularity().millis().max(1) as u64,
        }
    }

    /// The session of `account_id` as this desk runs it (the swarm passed for its own).
    pub fn spec(&self, account_id: &str, swarm: Option<Swarm>) -> SessionSpec {
        let products = self.board.products().to_vec();
        SessionSpec {
            account_id: account_id.to_string(),
            exchange: ExchangeConfig {
                id_seed: crate::adapters::order_ids::account_seed(self.order_id_salt, account_id),
                ..ExchangeConfig::default()
            },
            quote_currency: products[0].quote(),
            products,
            initial_capital: self.config.accounts.initial_capital,
            swarm,
            max_batch: self.config.accounts.max_commit_batch,
            hub: self.hub.clone(),
            guard: self.config.guard,
            live: None,
            clock: self.clock.clone(),
            learning: None,
        }
    }
}

/// The refusal of an account whose session another process on the same database runs.
fn elsewhere(account_id: &str) -> Failure {
    Failure::unavailable(
        format!(
            "account {account_id} is served by another coinswarm process on this database: send its requests there, \
         or retry (a stopped process's accounts pass to the others within seconds)"
        ),
        RetryAfter::BUSY,
    )
}
