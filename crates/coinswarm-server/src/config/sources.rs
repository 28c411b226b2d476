//! Where `coinswarm up`'s settings come from after the typed defaults: the TOML file
//! (`--config`) and the `COINSWARM_*` environment variables, each naming the setting it sets.

use super::{FeedSource, LiveKey, ServerConfig};
use anyhow::{Context, bail};
use std::path::PathBuf;

/// The `COINSWARM_*` variables read, each naming the setting it overrides.
pub const ENV_VARS: [(&str, &str); 25] = [
    ("COINSWARM_MODEL", "learned.model"),
    ("COINSWARM_LISTEN", "listen"),
    ("COINSWARM_ALLOW_REMOTE", "allow_remote"),
    ("COINSWARM_DATA_DIR", "data_dir"),
    ("COINSWARM_DATABASE_URL", "store.database_url"),
    ("COINSWARM_ARCHIVE_URL", "store.archive_url"),
    ("COINSWARM_FEED_DATA", "feed.data"),
    ("COINSWARM_FEED_BAR_INTERVAL_MS", "feed.bar_interval_ms"),
    ("COINSWARM_INITIAL_CAPITAL", "accounts.initial_capital"),
    ("COINSWARM_REQUESTS_PER_SECOND", "limits.requests_per_second"),
    ("COINSWARM_BURST", "limits.burst"),
    ("COINSWARM_MAX_CONNECTIONS", "connections.max"),
    ("COINSWARM_MAX_CONNECTIONS_PER_IP", "connections.max_per_ip"),
    ("COINSWARM_MCP_ALLOWED_HOSTS", "mcp.allowed_hosts"),
    ("COINSWARM_STREAM_SEND_TIMEOUT_MS", "stream.send_timeout_ms"),
    ("COINSWARM_STREAM_SEND_BUFFER_BYTES", "stream.send_buffer_bytes"),
    ("COINSWARM_MEMORY_ENABLED", "memory.enabled"),
    ("COINSWARM_GUARD_ENABLED", "guard.enabled"),
    ("COINSWARM_FEED_SOURCE", "feed.source"),
    ("COINSWARM_FEED_PRODUCTS", "feed.products"),
    ("COINSWARM_EDGE_URL", "edge.url"),
    ("COINSWARM_EDGE_TOKEN", "edge.token"),
    ("COINSWARM_COINBASE_REST_URL", "coinbase.rest_url"),
    ("COINSWARM_COINBASE_WS_URL", "coinbase.ws_url"),
    ("COINSWARM_COINBASE_USER_WS_URL", "coinbase.user_ws_url"),
];

impl ServerConfig {
    /// Defaults, then the TOML file at `path` (if any), then the environment `env`.
    pub fn load(path: Option<&std::path::Path>, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let mut config = match path {
            Some(path) => {
                let text =
                    std::fs::read_to_string(path).with_context(|| format!("cannot read config {}", path.display()))?;
                toml::from_str(&text).map_err(|e| {
                    let mut error = anyhow::Error::new(e).context(format!("invalid config {}", path.display()));
                    if text.contains("mcp_orders") {
                        error = error.context(
                            "[live] mcp_orders was removed: live orders need a key with the live scope on every channel (coinswarm keys create --scope trade --scope live --i-understand-this-trades-real-money)",
                        );
                    }
                    error
                })?
            }
            None => Self::default(),
        };
        for (var, setting) in ENV_VARS {
            let Some(value) = env(var) else { continue };
            config.set(setting, &value).with_context(|| format!("{var}={value}"))?;
        }
        if let (Some(name), Some(private_key)) =
            (env("COINSWARM_COINBASE_KEY_NAME"), env("COINSWARM_COINBASE_PRIVATE_KEY"))
        {
            config.live.key = Some(LiveKey { name, private_key });
        }
        Ok(config)
    }

    /// Sets one setting from text, as the environment gives it.
    fn set(&mut self, setting: &str, value: &str) -> anyhow::Result<()> {
        let parse_error = |e: &dyn std::fmt::Display| anyhow::anyhow!("not a valid {setting}: {e}");
        match setting {
            "listen" => self.listen = value.parse().map_err(|e| parse_error(&e))?,
            "allow_remote" => self.allow_remote = value.parse().map_err(|e| parse_error(&e))?,
            "data_dir" => self.data_dir = PathBuf::from(value),
            "learned.model" => self.learned.model = Some(PathBuf::from(value)),
            "store.database_url" => self.store.database_url = value.trim().to_string(),
            "store.archive_url" => self.store.archive_url = value.trim().to_string(),
            "feed.data" => self.feed.data = value.to_string(),
            "feed.bar_interval_ms" => self.feed.bar_interval_ms = value.parse().map_err(|e| parse_error(&e))?,
            "accounts.initial_capital" => {
                self.accounts.initial_capital = value.parse().map_err(|e| parse_error(&e))?;
            }
            "limits.requests_per_second" => {
                self.limits.requests_per_second = value.parse().map_err(|e| parse_error(&e))?;
            }
            "limits.burst" => self.limits.burst = value.parse().map_err(|e| parse_error(&e))?,
            "connections.max" => self.connections.max = value.parse().map_err(|e| parse_error(&e))?,
            "connections.max_per_ip" => self.connections.max_per_ip = value.parse().map_err(|e| parse_error(&e))?,
            "stream.send_timeout_ms" => self.stream.send_timeout_ms = value.parse().map_err(|e| parse_error(&e))?,
            "memory.enabled" => self.memory.enabled = value.parse().map_err(|e| parse_error(&e))?,
            "guard.enabled" => self.guard.enabled = value.parse().map_err(|e| parse_error(&e))?,
            "feed.source" => {
                self.feed.source = match value.trim() {
                    "replay" => FeedSource::Replay,
                    "coinbase" => FeedSource::Coinbase,
                    other => bail!("not a valid feed.source: '{other}' (replay or coinbase)"),
                }
            }
            "mcp.allowed_hosts" => {
                self.mcp.allowed_hosts =
                    value.split(',').map(|h| h.trim().to_string()).filter(|h| !h.is_empty()).collect();
            }
            "feed.products" => {
                self.feed.products = value.split(',').map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect();
            }
            "edge.url" => self.edge.url = value.to_string(),
            "edge.token" => self.edge.token = value.to_string(),
            "coinbase.rest_url" => self.coinbase.rest_url = value.to_string(),
            "coinbase.ws_url" => self.coinbase.ws_url = value.to_string(),
            "coinbase.user_ws_url" => self.coinbase.user_ws_url = value.to_string(),
            "stream.send_buffer_bytes" => {
                self.stream.send_buffer_bytes = value.parse().map_err(|e| parse_error(&e))?;
            }
            other => bail!("unknown setting {other}"),
        }
        Ok(())
    }
}
