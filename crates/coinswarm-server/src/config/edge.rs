//! `[edge]`: publishing to the edge tier (`coinswarm up --edge-url URL --edge-token T`).

use serde::{Deserialize, Serialize};

/// Where and how `up`, as the agent tier, publishes market events, bars, decisions and the
/// swarm's state to the edge Worker's ingest route. Off unless `url` is set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EdgeConfig {
    /// The Worker's base URL, e.g. `https://coinswarm-edge.example.workers.dev` (env
    /// COINSWARM_EDGE_URL). Empty: no edge.
    pub url: String,
    /// The edge token (the Worker's `EDGE_TOKEN` secret; env COINSWARM_EDGE_TOKEN). Kept out
    /// of `--print-config`.
    #[serde(skip_serializing)]
    pub token: String,
    /// A batch holds what arrived within this many ms of its first event (one request per
    /// window at most). Default 50.
    pub batch_ms: u64,
    /// Longest wait between retries of a batch the edge did not take, in ms (retries back
    /// off from 100 ms). Default 5,000.
    pub max_retry_ms: u64,
    /// Events waiting to be sent at most; past it the newest are dropped and counted (the
    /// edge is down for long). Default 100,000.
    pub max_pending: usize,
    /// Events of each durable stream (decisions, trades, patterns, episodes) one batch
    /// carries at most, from the outbox. The edge writes the replicated ones to D1 in one
    /// batch of as many statements, and D1 allows 1,000 queries per invocation on the paid
    /// plan (50 on the free plan: set 16 there). Default 200.
    pub max_stream_events: u32,
}

/// The most `edge.max_stream_events` may be: trades, patterns and episodes each write one D1
/// row per event in one batch at the edge, and D1 runs at most 1,000 queries per invocation.
pub const MAX_STREAM_EVENTS: u32 = 333;

impl Default for EdgeConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            token: String::new(),
            batch_ms: 50,
            max_retry_ms: 5_000,
            max_pending: 100_000,
            max_stream_events: 200,
        }
    }
}

impl EdgeConfig {
    pub fn enabled(&self) -> bool {
        !self.url.is_empty()
    }

    /// Refuses a URL that is not http(s), a missing token, or a zero window.
    pub fn validate(&self) -> anyhow::Result<()> {
        if !self.enabled() {
            return Ok(());
        }
        if !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
            anyhow::bail!("edge.url must start with http:// or https://: '{}'", self.url);
        }
        if self.token.is_empty() {
            anyhow::bail!("edge.url is set but edge.token is empty: pass --edge-token (or COINSWARM_EDGE_TOKEN)");
        }
        if self.batch_ms == 0 || self.batch_ms > 1_000 {
            anyhow::bail!("edge.batch_ms must be between 1 and 1000");
        }
        if self.max_pending == 0 {
            anyhow::bail!("edge.max_pending must be at least 1");
        }
        if !(1..=MAX_STREAM_EVENTS).contains(&self.max_stream_events) {
            anyhow::bail!(
                "edge.max_stream_events must be between 1 and {MAX_STREAM_EVENTS} (three replicated streams' events \
                 are one D1 batch at the edge, within D1's 1,000 queries per invocation)"
            );
        }
        Ok(())
    }
}
