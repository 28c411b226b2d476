//! What `coinswarm up` runs with: typed defaults that need no file, overridden in order by a
//! TOML file (`--config`), `COINSWARM_*` environment variables and command-line flags.

use coinswarm_core::risk::GateConfig;
pub use connections::{ConnectionsConfig, SSE_KEEP_ALIVE};

mod connections;
mod edge;
mod sources;
mod store;
use anyhow::bail;
pub use edge::EdgeConfig;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
pub use sources::ENV_VARS;
use std::net::SocketAddr;
use std::path::PathBuf;
pub use store::{Database, StoreConfig, redact_password};

/// The effective configuration of a server (`coinswarm up --print-config` shows it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address the HTTP server binds. Default 127.0.0.1:8080 (loopback only).
    pub listen: SocketAddr,
    /// Must be true to bind an address other than loopback: the server holds accounts.
    pub allow_remote: bool,
    /// Where the SQLite database (event logs, keys, decisions) and the candle archive live.
    /// Default `./.coinswarm`.
    pub data_dir: PathBuf,
    /// The store's engine: SQLite in `data_dir` unless `store.database_url` names PostgreSQL.
    pub store: StoreConfig,
    pub feed: FeedConfig,
    pub accounts: AccountsConfig,
    pub cache: CacheConfig,
    pub limits: LimitsConfig,
    pub connections: ConnectionsConfig,
    pub stream: StreamConfig,
    pub memory: MemoryConfig,
    pub learned: LearnedSettings,
    /// Every account's pre-trade gate: oversight limits and circuit breaker for the swarm's
    /// orders and those placed through the API and MCP alike.
    pub guard: GateConfig,
    pub mcp: McpConfig,
    pub coinbase: CoinbaseConfig,
    /// Live trading on Coinbase (`--exchange coinbase-live`); paper by default.
    pub live: LiveConfig,
    /// Publishing to the edge tier (`--edge-url`); off by default.
    pub edge: EdgeConfig,
}

/// Who executes the swarm account's orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ExchangeMode {
    /// Coinswarm's paper matching engine (every account).
    #[default]
    #[serde(rename = "paper")]
    Paper,
    /// Coinbase Advanced Trade, with real money: the swarm's account only; other accounts
    /// stay paper.
    #[serde(rename = "coinbase-live")]
    CoinbaseLive,
}

/// Live trading (`[live]`). It starts only with a key, the live feed and the explicit
/// confirmation flag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LiveConfig {
    /// `paper` (default) or `coinbase-live` (`--exchange`).
    pub exchange: ExchangeMode,
    /// The operator's confirmation that live mode trades real money: only the flag
    /// `--i-understand-this-trades-real-money` sets it, never a file or the environment.
    #[serde(skip)]
    pub confirmed: bool,
    /// A CDP API key file as Coinbase downloads it (`{"name": …, "privateKey": …}`,
    /// `--coinbase-key-file`); without it, `COINSWARM_COINBASE_KEY_NAME` and
    /// `COINSWARM_COINBASE_PRIVATE_KEY` are read.
    pub key_file: Option<PathBuf>,
    /// The key from the environment (never written out by `--print-config`).
    #[serde(skip)]
    pub key: Option<LiveKey>,
    /// How often each live order's state is asked of Coinbase, in ms. Default 1000.
    pub order_poll_ms: u64,
    /// How often the account's balances are set to Coinbase's, in ms, when it has no live
    /// order (a fill in flight would be counted twice). Default 15,000.
    pub balance_poll_ms: u64,
    /// A live order Coinbase never confirmed (unreachable, or the process stopped first) is
    /// sent again with the same client order id (so placed at most once) while younger
    /// than this, in ms; after it, the order is marked failed. Default 30,000.
    pub resend_window_ms: u64,
}

impl Default for LiveConfig {
    fn default() -> Self {
        Self {
            exchange: ExchangeMode::Paper,
            confirmed: false,
            key_file: None,
            key: None,
            order_poll_ms: 1_000,
            balance_poll_ms: 15_000,
            resend_window_ms: 30_000,
        }
    }
}

/// A CDP API key's name and private key (the secret is never shown).
#[derive(Clone, PartialEq)]
pub struct LiveKey {
    pub name: String,
    pub private_key: String,
}

impl std::fmt::Debug for LiveKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveKey").field("name", &self.name).field("private_key", &"[redacted]").finish()
    }
}

/// The MCP server: Streamable HTTP at `/mcp` on `up`, and `coinswarm mcp` on stdio.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct McpConfig {
    /// Serve MCP over Streamable HTTP at `/mcp` (bearer API key). Default true.
    pub enabled: bool,
    /// Most bars one `run_backtest` call may replay. Default 20,000 (over two years hourly).
    pub max_backtest_bars: usize,
    /// Longest a `run_backtest` call may take, in ms, before it is refused. Default 30,000.
    pub backtest_timeout_ms: u64,
    /// `run_backtest` calls running at once; one more is refused as busy. Default 1 (one of
    /// the two cores stays with trading).
    pub max_concurrent_backtests: usize,
    /// MCP sessions open at once over HTTP, all keys together; one more `initialize` is
    /// refused with 503 until one ends. Default 256.
    pub max_sessions: usize,
    /// MCP sessions one API key may hold open; one more `initialize` is refused with 429.
    /// Default 16.
    pub max_sessions_per_key: usize,
    /// An MCP session that sees no request for this long is ended (the client initializes
    /// again), in ms. Default 120,000 (rmcp's own is 5 minutes: sessions cost memory).
    pub session_idle_ms: u64,
    /// Host names (optionally `name:port`) `/mcp` answers to: its defence against DNS
    /// rebinding. Default the loopback names. With `--allow-remote`, add the names clients
    /// use to reach the server; `["*"]` turns the check off.
    pub allowed_hosts: Vec<String>,
}

impl Default for McpConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            max_backtest_bars: 20_000,
            backtest_timeout_ms: 30_000,
            max_concurrent_backtests: 1,
            max_sessions: 256,
            max_sessions_per_key: 16,
            session_idle_ms: 120_000,
            allowed_hosts: vec!["localhost".into(), "127.0.0.1".into(), "::1".into()],
        }
    }
}

/// Pattern memory in the swarm: the recall agent, its episodes and learned patterns, and
/// the HNSW index under `<data_dir>/memory-index`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MemoryConfig {
    /// Run the recall agent in the swarm and remember every decision. Default true.
    pub enabled: bool,
    /// Candidates the index explores per query (recall against speed). Default 48.
    pub expansion_search: usize,
}

impl Default for MemoryConfig {
    fn default() -> Self {
        Self { enabled: true, expansion_search: 48 }
    }
}

/// The learned agent in the swarm.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LearnedSettings {
    /// A trained model (`coinswarm model train`): the learned agent joins the committee and
    /// every decision records the model's hash. At a later start with the same file, the
    /// latest version online learning promoted from it (`<data_dir>/models`) is used. Default
    /// none (env COINSWARM_MODEL, `up --model`).
    pub model: Option<PathBuf>,
    /// Fine-tuning on resolved samples, off the decision path, promoted through the quorum.
    pub online: coinswarm_core::swarm::OnlineLearningConfig,
}

/// Where market data comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeedSource {
    /// The bundled (or archived) bars, replayed as live quotes.
    #[default]
    Replay,
    /// Coinbase's live ticker stream (orders still go to the paper engine).
    Coinbase,
}

/// Coinbase's endpoints (`--feed coinbase`, `data backfill`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CoinbaseConfig {
    /// REST base URL (`COINSWARM_COINBASE_REST_URL`). Default `https://api.coinbase.com`.
    pub rest_url: String,
    /// WebSocket URL (`COINSWARM_COINBASE_WS_URL`). Default `wss://advanced-trade-ws.coinbase.com`.
    pub ws_url: String,
    /// WebSocket URL of the `user` channel, which live mode listens to for its orders'
    /// changes (`COINSWARM_COINBASE_USER_WS_URL`). Default
    /// `wss://advanced-trade-ws-user.coinbase.com`.
    pub user_ws_url: String,
}

impl Default for CoinbaseConfig {
    fn default() -> Self {
        Self {
            rest_url: coinswarm_coinbase::RestConfig::default().base_url,
            ws_url: coinswarm_coinbase::WsConfig::default().url,
            user_ws_url: "wss://advanced-trade-ws-user.coinbase.com".into(),
        }
    }
}

/// The market feed: a replay (default) or Coinbase live.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeedConfig {
    /// `replay` or `coinbase` (`--feed`, `COINSWARM_FEED_SOURCE`).
    pub source: FeedSource,
    /// Products of the live feed (`--products BTC-USD,ETH-USD`); the swarm trades the first.
    pub products: Vec<String>,
    /// Bars built from live tickers (the swarm decides at each close). Default ONE_MINUTE.
    pub bar_granularity: coinswarm_core::market::Granularity,
    /// What the feed replays: a bundled data set, or `archive:VENUE/PRODUCT/GRANULARITY` from
    /// the data directory's candle archive (`coinswarm data archive` fills it).
    pub data: String,
    /// Product of the data set to replay (default: its first).
    pub product: Option<String>,
    /// Wall-clock milliseconds per replayed bar. Default 1000 (an hour of history per second).
    pub bar_interval_ms: u64,
    /// Quotes walked inside each bar along its candle path (open → extremes → close).
    pub quotes_per_bar: usize,
    /// Quoted spread around the path's mid, in basis points.
    pub spread_bps: Decimal,
    /// Start again from the first bar at the end (times shifted forward), or stop.
    pub loop_at_end: bool,
}

/// Paper accounts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AccountsConfig {
    /// Quote currency deposited into a new paper account (the swarm's and each key's).
    pub initial_capital: Decimal,
    /// Most commands one account session applies before one durable commit.
    pub max_commit_batch: usize,
}

/// Time-to-live and size of the cache of reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CacheConfig {
    /// `GET /api/market-data` entries, in ms. Default 1000.
    pub market_data_ttl_ms: u64,
    /// `GET /api/predictions` entries, in ms. Default 5000.
    pub predictions_ttl_ms: u64,
    /// Most entries the cache holds; past it the least recently used is evicted. Default
    /// 10,000.
    pub max_entries: u64,
}

/// Request limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest request body accepted, in bytes. Default 64 KiB.
    pub max_body_bytes: usize,
    /// Requests per second each API key may make (token bucket refill rate). Default 200.
    pub requests_per_second: u32,
    /// Burst each API key may make at once (token bucket size). Default 400.
    pub burst: u32,
    /// Failed authentications (unknown or revoked keys) each client address (an IPv6 /64)
    /// may make per second once its burst is spent; past it, 429 with `Retry-After` before
    /// any key is looked up (a key verified in the last 5 s still passes). Default 2.
    pub auth_failures_per_second: u32,
    /// Failed authentications each client address may make at once. Default 20.
    pub auth_failure_burst: u32,
    /// How long a secret found to be unknown is answered 401 from memory, without a store
    /// lookup, in ms. Default 5,000.
    pub unknown_key_cache_ms: u64,
}

/// The `/stream` WebSocket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StreamConfig {
    /// Coalescing window in ms: at most one batch of updates per window, holding only the
    /// latest quote of each product. Default 50.
    pub coalesce_ms: u64,
    /// A client whose socket takes no write for this long (ms) is closed as a slow consumer.
    /// Default 2000.
    pub send_timeout_ms: u64,
    /// Batches a client may fall behind before it is closed as a slow consumer. Default 128
    /// (6.4 s of 50 ms windows).
    pub max_batches_behind: usize,
    /// Kernel send buffer of each accepted connection (SO_SNDBUF), in bytes: bounds the
    /// memory a client that stops reading can pin and makes it show as slow within
    /// `send_timeout_ms`. Default 256 KiB.
    pub send_buffer_bytes: usize,
    /// A connection that has not subscribed to a channel this long after it opened is
    /// closed (code 1008), in ms. Default 5,000.
    pub subscribe_timeout_ms: u64,
    /// The server pings every connection this often, in ms, so a quiet subscription is not
    /// taken for an idle connection (`connections.idle_timeout_ms`). Default 20,000.
    pub ping_interval_ms: u64,
    /// A `fills` subscription's API key is checked again this often, in ms: a revoked key's
    /// subscription ends within this time (plus the key cache's 5 s). Default 5,000.
    pub key_recheck_ms: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            allow_remote: false,
            data_dir: PathBuf::from(".coinswarm"),
            store: StoreConfig::default(),
            feed: FeedConfig::default(),
            accounts: AccountsConfig::default(),
            cache: CacheConfig::default(),
            limits: LimitsConfig::default(),
            connections: ConnectionsConfig::default(),
            stream: StreamConfig::default(),
            memory: MemoryConfig::default(),
            learned: LearnedSettings::default(),
            guard: GateConfig::default(),
            mcp: McpConfig::default(),
            coinbase: CoinbaseConfig::default(),
            live: LiveConfig::default(),
            edge: EdgeConfig::default(),
        }
    }
}

impl Default for FeedConfig {
    fn default() -> Self {
        Self {
            source: FeedSource::Replay,
            products: vec!["BTC-USD".into()],
            bar_granularity: coinswarm_core::market::Granularity::OneMinute,
            data: "bitfinex-btcusd-1h".into(),
            product: None,
            bar_interval_ms: 1000,
            quotes_per_bar: 4,
            spread_bps: Decimal::from(2),
            loop_at_end: true,
        }
    }
}

impl Default for AccountsConfig {
    fn default() -> Self {
        Self { initial_capital: Decimal::from(100_000), max_commit_batch: 256 }
    }
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self { market_data_ttl_ms: 1000, predictions_ttl_ms: 5000, max_entries: 10_000 }
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 64 * 1024,
            requests_per_second: 200,
            burst: 400,
            auth_failures_per_second: 2,
            auth_failure_burst: 20,
            unknown_key_cache_ms: 5_000,
        }
    }
}

impl Default for StreamConfig {
    fn default() -> Self {
        Self {
            coalesce_ms: 50,
            send_timeout_ms: 2000,
            max_batches_behind: 128,
            send_buffer_bytes: 256 * 1024,
            subscribe_timeout_ms: 5_000,
            ping_interval_ms: 20_000,
            key_recheck_ms: 5_000,
        }
    }
}

impl ServerConfig {
    /// Refuses settings the server cannot run with, naming them.
    pub fn validate(&self) -> anyhow::Result<()> {
        self.validate_live()?;
        self.edge.validate()?;
        self.store.validate(&self.data_dir)?;
        if !self.listen.ip().is_loopback() && !self.allow_remote {
            bail!(
                "refusing to listen on {}: it is not a loopback address; pass --allow-remote to accept connections from other machines",
                self.listen
            );
        }
        if self.feed.bar_interval_ms == 0 {
            bail!("feed.bar_interval_ms must be at least 1");
        }
        if !(1..=1000).contains(&self.feed.quotes_per_bar) {
            bail!("feed.quotes_per_bar must be between 1 and 1000");
        }
        if self.accounts.initial_capital <= Decimal::ZERO {
            bail!("accounts.initial_capital must be positive");
        }
        if self.accounts.max_commit_batch == 0 {
            bail!("accounts.max_commit_batch must be at least 1");
        }
        if self.cache.max_entries == 0 {
            bail!("cache.max_entries must be at least 1");
        }
        if self.limits.max_body_bytes < 1024 {
            bail!("limits.max_body_bytes must be at least 1024");
        }
        if self.limits.requests_per_second == 0 || self.limits.burst == 0 {
            bail!("limits.requests_per_second and limits.burst must be at least 1");
        }
        if self.limits.auth_failures_per_second == 0 || self.limits.auth_failure_burst == 0 {
            bail!("limits.auth_failures_per_second and limits.auth_failure_burst must be at least 1");
        }
        let connections = &self.connections;
        if connections.max == 0 {
            bail!("connections.max must be at least 1");
        }
        if connections.header_read_timeout_ms == 0
            || connections.body_read_timeout_ms == 0
            || connections.idle_timeout_ms == 0
        {
            bail!(
                "connections.header_read_timeout_ms, connections.body_read_timeout_ms and connections.idle_timeout_ms must be at least 1"
            );
        }
        if connections.idle_timeout_ms <= SSE_KEEP_ALIVE.as_millis() as u64 {
            bail!(
                "connections.idle_timeout_ms must be above {} ms, MCP's keep-alive on its event streams, or they are closed as idle",
                SSE_KEEP_ALIVE.as_millis()
            );
        }
        if self.stream.subscribe_timeout_ms == 0 || self.stream.key_recheck_ms == 0 {
            bail!("stream.subscribe_timeout_ms and stream.key_recheck_ms must be at least 1");
        }
        if self.stream.ping_interval_ms == 0 || self.stream.ping_interval_ms >= connections.idle_timeout_ms {
            bail!(
                "stream.ping_interval_ms must be at least 1 and below connections.idle_timeout_ms, or quiet subscriptions are closed as idle"
            );
        }
        if self.mcp.max_sessions == 0 || self.mcp.max_sessions_per_key == 0 || self.mcp.session_idle_ms == 0 {
            bail!("mcp.max_sessions, mcp.max_sessions_per_key and mcp.session_idle_ms must be at least 1");
        }
        if self.mcp.allowed_hosts.is_empty() {
            bail!("mcp.allowed_hosts must name at least one host (or \"*\" to turn the check off)");
        }
        if self.stream.coalesce_ms == 0 || self.stream.send_timeout_ms == 0 || self.stream.max_batches_behind == 0 {
            bail!("stream.coalesce_ms, stream.send_timeout_ms and stream.max_batches_behind must be at least 1");
        }
        if !(1..=10_000).contains(&self.memory.expansion_search) {
            bail!("memory.expansion_search must be between 1 and 10000");
        }
        if self.mcp.max_backtest_bars == 0
            || self.mcp.backtest_timeout_ms == 0
            || self.mcp.max_concurrent_backtests == 0
        {
            bail!("mcp.max_backtest_bars, mcp.backtest_timeout_ms and mcp.max_concurrent_backtests must be at least 1");
        }
        if self.feed.source == FeedSource::Coinbase {
            for (name, url) in
                [("coinbase.ws_url", &self.coinbase.ws_url), ("coinbase.user_ws_url", &self.coinbase.user_ws_url)]
            {
                if !(url.starts_with("ws://") || url.starts_with("wss://")) {
                    bail!("{name} must be a ws:// or wss:// URL, not '{url}'");
                }
            }
            if !(self.coinbase.rest_url.starts_with("http://") || self.coinbase.rest_url.starts_with("https://")) {
                bail!("coinbase.rest_url must be an http:// or https:// URL, not '{}'", self.coinbase.rest_url);
            }
            if self.feed.products.is_empty() {
                bail!("feed.products must name at least one product for the coinbase feed");
            }
            for product in &self.feed.products {
                product
                    .parse::<coinswarm_core::market::ProductId>()
                    .map_err(|e| anyhow::anyhow!("feed.products: '{product}': {e}"))?;
            }
        }
        if self.stream.send_buffer_bytes < 4096 {
            bail!("stream.send_buffer_bytes must be at least 4096");
        }
        Ok(())
    }

    /// The effective configuration as TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("the config serialises")
    }
}

impl ServerConfig {
    /// Live mode starts only with every safeguard in place; otherwise every missing one is
    /// named at once.
    fn validate_live(&self) -> anyhow::Result<()> {
        if self.live.exchange != ExchangeMode::CoinbaseLive {
            return Ok(());
        }
        let mut reasons = Vec::new();
        if !self.live.confirmed {
            reasons.push(
                "it sends real orders with real money: add --i-understand-this-trades-real-money to confirm"
                    .to_string(),
            );
        }
        if self.live.key.is_none() && self.live.key_file.is_none() {
            reasons.push(
                "it needs a Coinbase CDP API key: set COINSWARM_COINBASE_KEY_NAME and COINSWARM_COINBASE_PRIVATE_KEY, or pass --coinbase-key-file KEY.json"
                    .to_string(),
            );
        }
        if self.feed.source != FeedSource::Coinbase {
            reasons.push("it trades on live prices only: add --feed coinbase --products …".to_string());
        }
        if !self.guard.enabled {
            reasons.push(
                "the order guard is off ([guard] enabled = false or COINSWARM_GUARD_ENABLED=false): every live order must pass it"
                    .to_string(),
            );
        }
        if self.live.order_poll_ms == 0 || self.live.balance_poll_ms == 0 {
            reasons.push("live.order_poll_ms and live.balance_poll_ms must be at least 1".to_string());
        }
        if !reasons.is_empty() {
            bail!("refusing to start --exchange coinbase-live: {}", reasons.join("; "));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_need_no_file_and_bind_loopback() {
        let config = ServerConfig::load(None, |_| None).unwrap();
        assert_eq!(config, ServerConfig::default());
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        config.validate().unwrap();
    }

    #[test]
    fn the_environment_overrides_the_file_and_the_file_the_defaults() {
        let dir = std::env::temp_dir().join(format!("coinswarm-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("up.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:9000\"\n[feed]\nbar_interval_ms = 250\n").unwrap();
        let env = |var: &str| (var == "COINSWARM_FEED_BAR_INTERVAL_MS").then(|| "50".to_string());
        let config = ServerConfig::load(Some(&path), env).unwrap();
        assert_eq!((config.listen.port(), config.feed.bar_interval_ms), (9000, 50));
        std::fs::write(&path, "[feed]\nbar_intervl_ms = 250\n").unwrap();
        let err = ServerConfig::load(Some(&path), |_| None).unwrap_err();
        assert!(format!("{err:#}").contains("unknown field `bar_intervl_ms`"), "{err:#}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_remote_address_needs_the_explicit_flag_and_bad_values_are_named() {
        let mut config = ServerConfig { listen: "0.0.0.0:8080".parse().unwrap(), ..ServerConfig::default() };
        assert!(config.validate().unwrap_err().to_string().contains("--allow-remote"));
        config.allow_remote = true;
        config.validate().unwrap();
        let slow =
            ServerConfig { stream: StreamConfig { send_timeout_ms: 0, ..StreamConfig::default() }, ..config.clone() };
        assert!(slow.validate().unwrap_err().to_string().contains("stream.send_timeout_ms"));
        let no_cache =
            ServerConfig { cache: CacheConfig { max_entries: 0, ..CacheConfig::default() }, ..config.clone() };
        assert!(no_cache.validate().unwrap_err().to_string().contains("cache.max_entries"));
        let tiny =
            ServerConfig { stream: StreamConfig { send_buffer_bytes: 100, ..StreamConfig::default() }, ..config };
        assert!(tiny.validate().unwrap_err().to_string().contains("stream.send_buffer_bytes"));
        let env = |v: &str| (v == "COINSWARM_STREAM_SEND_TIMEOUT_MS").then(|| "250".to_string());
        assert_eq!(ServerConfig::load(None, env).unwrap().stream.send_timeout_ms, 250);
        let err = ServerConfig::load(None, |v| (v == "COINSWARM_LISTEN").then(|| "nowhere".into())).unwrap_err();
        assert!(format!("{err:#}").contains("COINSWARM_LISTEN=nowhere"), "{err:#}");
    }
}
