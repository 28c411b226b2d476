//! The link to the edge tier: `up`, as the agent tier, publishes every quote, closed bar,
//! swarm decision and swarm state to the edge Worker's ingest route
//! (`coinswarm_api::edge::INGEST_PATH`), in batches (one request per `edge.batch_ms` window
//! at most, never two in flight), each retried with back-off until the edge takes it. A run
//! has a random id and numbers its batches, so a batch the edge took but whose answer was
//! lost is applied once. The venue (products, exchange rules, guard, capital) goes with the
//! run's first batch.

use crate::config::EdgeConfig;
use coinswarm_api::edge::{EdgeBatch, INGEST_PATH, IngestAck, ProductCandle, VenueSpec};
use coinswarm_core::market::{Candle, ProductId, Quote};
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

/// Where the market events the stream hub publishes are also sent, whole and uncoalesced:
/// the link to the edge tier ([`EdgeLink`]), when `up` runs as the agent tier.
pub trait MarketTap: Send + Sync + std::fmt::Debug {
    fn quote(&self, quote: &Quote);
    fn bar(&self, product_id: ProductId, candle: &Candle);
    /// A decision record as the public may see it.
    fn decision(&self, decision: &Value);
    /// The swarm's state, a `GET /api/swarm` body.
    fn swarm(&self, state: Value);
    /// Events dropped so far because too many were waiting to be sent.
    fn dropped(&self) -> u64;
}

/// What the link carries.
#[derive(Debug)]
enum Item {
    Quote(Quote),
    Bar(ProductCandle),
    Decision(Value),
    Swarm(Value),
}

/// The sending half, handed to the market hub as its tap.
#[derive(Debug)]
pub struct EdgeLink {
    items: mpsc::Sender<Item>,
    /// Events dropped because `edge.max_pending` were waiting (the edge was down for long).
    pub dropped: AtomicU64,
}

impl EdgeLink {
    /// Starts the link's task: it runs until `shutdown`, then sends what is left once.
    pub fn start(
        config: EdgeConfig,
        venue: VenueSpec,
        shutdown: watch::Receiver<bool>,
    ) -> anyhow::Result<(Arc<Self>, tokio::task::JoinHandle<()>)> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?;
        let (items, receiver) = mpsc::channel(config.max_pending);
        let link = Arc::new(Self { items, dropped: AtomicU64::new(0) });
        let sender = Sender { client, config, venue: Some(venue), run: run_id(), seq: 0 };
        let task = tokio::spawn(sender.run(receiver, shutdown));
        Ok((link, task))
    }

    fn push(&self, item: Item) {
        if self.items.try_send(item).is_err() {
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if dropped.is_power_of_two() {
                tracing::warn!(dropped, "the edge is not taking batches: events dropped");
            }
        }
    }
}

impl MarketTap for EdgeLink {
    fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    fn quote(&self, quote: &Quote) {
        self.push(Item::Quote(*quote));
    }

    fn bar(&self, product_id: ProductId, candle: &Candle) {
        self.push(Item::Bar(ProductCandle { product_id, candle: *candle }));
    }

    fn decision(&self, decision: &Value) {
        self.push(Item::Decision(decision.clone()));
    }

    fn swarm(&self, state: Value) {
        self.push(Item::Swarm(state));
    }
}

struct Sender {
    client: reqwest::Client,
    config: EdgeConfig,
    /// Sent with the next batch (the run's first).
    venue: Option<VenueSpec>,
    run: String,
    seq: u64,
}

impl Sender {
    async fn run(mut self, mut items: mpsc::Receiver<Item>, mut shutdown: watch::Receiver<bool>) {
        let window = Duration::from_millis(self.config.batch_ms);
        loop {
            let first = tokio::select! {
                item = items.recv() => item,
                _ = shutdown.changed() => None,
            };
            let mut batch = self.next_batch();
            match first {
                Some(item) => add(&mut batch, item),
                None => {
                    while let Ok(item) = items.try_recv() {
                        add(&mut batch, item);
                    }
                    if !batch.is_empty() {
                        self.send(batch, &mut shutdown, true).await;
                    }
                    return;
                }
            }
            let deadline = Instant::now() + window;
            while let Ok(Some(item)) = tokio::time::timeout_at(deadline, items.recv()).await {
                add(&mut batch, item);
            }
            if !self.send(batch, &mut shutdown, false).await {
                return;
            }
        }
    }

    fn next_batch(&mut self) -> EdgeBatch {
        self.seq += 1;
        EdgeBatch { run: self.run.clone(), seq: self.seq, venue: self.venue.clone(), ..EdgeBatch::default() }
    }

    /// Sends `batch` until the edge takes it; false when shut down meanwhile (a last send is
    /// tried once).
    async fn send(&mut self, batch: EdgeBatch, shutdown: &mut watch::Receiver<bool>, last: bool) -> bool {
        let url = format!("{}{INGEST_PATH}", self.config.url.trim_end_matches('/'));
        let mut backoff = Duration::from_millis(100);
        let mut failures = 0u32;
        loop {
            let sent = self.client.post(&url).bearer_auth(&self.config.token).json(&batch).send().await;
            let problem = match sent {
                Ok(response) if response.status().is_success() => {
                    if let Ok(ack) = response.json::<IngestAck>().await
                        && !ack.applied
                    {
                        tracing::debug!(seq = ack.seq, "the edge had this batch already");
                    }
                    self.venue = None;
                    return true;
                }
                Ok(response) => {
                    let status = response.status();
                    format!("{status}: {}", response.text().await.unwrap_or_default())
                }
                Err(error) => error.to_string(),
            };
            failures += 1;
            if failures == 1 || failures.is_power_of_two() {
                tracing::warn!(seq = batch.seq, failures, "the edge did not take a batch: {problem}");
            }
            if last {
                return false;
            }
            tokio::select! {
                _ = tokio::time::sleep(backoff) => {}
                _ = shutdown.changed() => return false,
            }
            backoff = (backoff * 2).min(Duration::from_millis(self.config.max_retry_ms.max(100)));
        }
    }
}

fn add(batch: &mut EdgeBatch, item: Item) {
    match item {
        Item::Quote(quote) => batch.quotes.push(quote),
        Item::Bar(bar) => batch.candles.push(bar),
        Item::Decision(decision) => batch.decisions.push(decision),
        Item::Swarm(state) => batch.swarm = Some(state),
    }
}

/// A run's id: the start time and process id (unique per `up` run on one machine; a retried
/// batch keeps its run and sequence number).
fn run_id() -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    format!("run-{}-{}", now.as_millis(), std::process::id())
}

/// Creates a key at the edge (`POST /edge/keys` with the edge token): the account is
/// registered there if new. The secret is in the answer only.
pub async fn create_edge_key(
    url: &str,
    token: &str,
    new: &coinswarm_api::edge::NewEdgeKey,
) -> anyhow::Result<coinswarm_api::edge::EdgeKeyCreated> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build()?;
    let url = format!("{}{}", url.trim_end_matches('/'), coinswarm_api::edge::KEYS_PATH);
    let response = client.post(&url).bearer_auth(token).json(new).send().await?;
    let status = response.status();
    if !status.is_success() {
        let body = response.text().await.unwrap_or_default();
        let message = serde_json::from_str::<coinswarm_api::ErrorEnvelope>(&body)
            .map(|e| format!("{}: {}", e.error.code, e.error.message))
            .unwrap_or(body);
        anyhow::bail!("the edge refused the key ({status}): {message}");
    }
    Ok(response.json().await?)
}
