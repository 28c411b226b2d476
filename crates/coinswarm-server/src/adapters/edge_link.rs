//! The link to the edge tier: `up`, as the agent tier, publishes to the edge Worker's ingest
//! route (`coinswarm_api::edge::INGEST_PATH`), in batches (one request per `edge.batch_ms`
//! window at most, never two in flight), each retried with back-off until the edge takes it.
//!
//! A batch carries two kinds of thing:
//! - **The durable streams** (decisions, trades, patterns, episodes), read from the store's
//!   edge outbox, where each event was written in the commit of what it records. The edge
//!   applies each stream's events once, in order, and answers how far it has applied each;
//!   the outbox forgets them only then. So a restart of either side, a lost answer or a
//!   SIGKILL mid-batch loses nothing and duplicates nothing: what was not acknowledged is sent
//!   again, and what the edge already holds is ignored there.
//! - **The market** (quotes, closed bars) and the swarm's state, which the agent tier does not
//!   store: sent from memory, at most `edge.max_pending` waiting (beyond, dropped and
//!   counted). A run has a random id and numbers its batches, so a batch the edge took but
//!   whose answer was lost is applied once. The venue (products, exchange rules, guard,
//!   capital) goes with the run's first batch.

use crate::adapters::store::SqlStore;
use crate::config::EdgeConfig;
use coinswarm_api::edge::{EdgeBatch, INGEST_PATH, IngestAck, ProductCandle, VenueSpec};
use coinswarm_core::market::{Candle, ProductId, Quote};
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{Notify, mpsc, watch};
use tokio::time::Instant;

/// Where the market events the stream hub publishes are also sent, whole and uncoalesced:
/// the link to the edge tier ([`EdgeLink`]), when `up` runs as the agent tier.
pub trait MarketTap: Send + Sync + std::fmt::Debug {
    fn quote(&self, quote: &Quote);
    fn bar(&self, product_id: ProductId, candle: &Candle);
    /// A decision record was committed (it is in the edge outbox already).
    fn decision(&self, decision: &Value);
    /// The swarm's state, a `GET /api/swarm` body.
    fn swarm(&self, state: Value);
    /// Events dropped so far because too many were waiting to be sent.
    fn dropped(&self) -> u64;
}

/// What the link carries from memory.
#[derive(Debug)]
enum Item {
    Quote(Quote),
    Bar(ProductCandle),
    Swarm(Value),
}

/// The sending half, handed to the market hub as its tap.
#[derive(Debug)]
pub struct EdgeLink {
    items: mpsc::Sender<Item>,
    /// Wakes the sender when the outbox has new events.
    outbox: Arc<Notify>,
    /// Events dropped because `edge.max_pending` were waiting (the edge was down for long).
    pub dropped: AtomicU64,
}

impl EdgeLink {
    /// Starts the link's task: it runs until `shutdown`, then sends what is left once.
    pub fn start(
        config: EdgeConfig,
        venue: VenueSpec,
        store: SqlStore,
        shutdown: watch::Receiver<bool>,
    ) -> anyhow::Result<(Arc<Self>, tokio::task::JoinHandle<()>)> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?;
        let (items, receiver) = mpsc::channel(config.max_pending);
        let outbox = Arc::new(Notify::new());
        let link = Arc::new(Self { items, outbox: outbox.clone(), dropped: AtomicU64::new(0) });
        let sender = Sender { client, config, store, outbox, venue: Some(venue), run: run_id(), seq: 0 };
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

    fn decision(&self, _decision: &Value) {
        self.outbox.notify_one();
    }

    fn swarm(&self, state: Value) {
        self.push(Item::Swarm(state));
    }
}

/// How often the outbox is looked at when nothing else wakes the sender (trades, patterns
/// and episodes are committed without a nudge).
const OUTBOX_POLL: Duration = Duration::from_millis(200);

struct Sender {
    client: reqwest::Client,
    config: EdgeConfig,
    store: SqlStore,
    outbox: Arc<Notify>,
    /// Sent with the next batch (the run's first).
    venue: Option<VenueSpec>,
    run: String,
    seq: u64,
}

impl Sender {
    async fn run(mut self, mut items: mpsc::Receiver<Item>, mut shutdown: watch::Receiver<bool>) {
        let window = Duration::from_millis(self.config.batch_ms);
        loop {
            let mut batch = EdgeBatch::default();
            let stopping = tokio::select! {
                item = items.recv() => match item {
                    Some(item) => { add(&mut batch, item); false }
                    None => true,
                },
                _ = self.outbox.notified() => false,
                _ = tokio::time::sleep(OUTBOX_POLL) => false,
                _ = shutdown.changed() => true,
            };
            if stopping {
                while let Ok(item) = items.try_recv() {
                    add(&mut batch, item);
                }
                self.fill_from_outbox(&mut batch).await;
                if !batch.is_empty() || self.venue.is_some() {
                    self.send(batch, &mut shutdown, true).await;
                }
                return;
            }
            let deadline = Instant::now() + window;
            while let Ok(Some(item)) = tokio::time::timeout_at(deadline, items.recv()).await {
                add(&mut batch, item);
            }
            self.fill_from_outbox(&mut batch).await;
            if batch.is_empty() && self.venue.is_none() {
                continue;
            }
            if !self.send(batch, &mut shutdown, false).await {
                return;
            }
        }
    }

    async fn fill_from_outbox(&self, batch: &mut EdgeBatch) {
        match self.store.edge_outbox(self.config.max_stream_events).await {
            Ok(events) => batch.events = events,
            Err(error) => tracing::warn!("cannot read the edge outbox: {error:#}"),
        }
    }

    /// Sends `batch` until the edge takes it, then forgets the outbox events it has applied;
    /// false when shut down meanwhile (a last send is tried once).
    async fn send(&mut self, mut batch: EdgeBatch, shutdown: &mut watch::Receiver<bool>, last: bool) -> bool {
        self.seq += 1;
        batch.run = self.run.clone();
        batch.seq = self.seq;
        batch.venue = self.venue.clone();
        let url = format!("{}{INGEST_PATH}", self.config.url.trim_end_matches('/'));
        let mut backoff = Duration::from_millis(100);
        let mut failures = 0u32;
        loop {
            let sent = self.client.post(&url).bearer_auth(&self.config.token).json(&batch).send().await;
            let problem = match sent {
                Ok(response) if response.status().is_success() => match response.json::<IngestAck>().await {
                    Ok(ack) => {
                        self.venue = None;
                        self.acknowledged(ack).await;
                        return true;
                    }
                    Err(error) => format!("an unreadable answer: {error}"),
                },
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

    async fn acknowledged(&self, ack: IngestAck) {
        if !ack.applied {
            tracing::debug!(seq = ack.seq, "the edge had this batch's market part already");
        }
        for (stream, from) in &ack.resend_from {
            tracing::warn!(stream, from, "the edge is missing events of a stream: sending them again");
        }
        // The edge cannot have applied more of a stream than this store numbered: if it says
        // so, its positions belong to another database (this one was reset). Forgetting our
        // events then would lose them silently; they are kept, and the stream waits for an
        // operator.
        let heads = self.store.edge_outbox_heads().await.unwrap_or_default();
        let mut applied = ack.streams;
        applied.retain(|stream, last| {
            let ours = heads.iter().find(|h| &h.stream == stream).map_or(0, |h| h.last_seq);
            let foreign = *last > ours;
            if foreign {
                tracing::error!(
                    stream,
                    edge = *last,
                    ours,
                    "the edge has applied more of this stream than this store ever numbered: its state \
                     belongs to another database; the stream's events are kept, not forgotten"
                );
            }
            !foreign
        });
        if let Err(error) = self.store.ack_edge_outbox(applied).await {
            // They stay in the outbox and are sent again: the edge ignores what it holds.
            tracing::warn!("cannot record what the edge has applied: {error:#}");
        }
    }
}

fn add(batch: &mut EdgeBatch, item: Item) {
    match item {
        Item::Quote(quote) => batch.quotes.push(quote),
        Item::Bar(bar) => batch.candles.push(bar),
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

#[cfg(test)]
mod tests {
    use super::*;
    use coinswarm_api::edge::streams;

    #[tokio::test]
    async fn an_edge_ahead_of_this_store_makes_it_keep_its_events_and_a_true_ack_forgets_them() {
        let dir = std::env::temp_dir().join(format!("coinswarm-edge-link-ack-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = SqlStore::open(&dir, crate::clock::SystemClock::shared()).await.unwrap();
        store.create_account("swarm", 0).await.unwrap();
        store.publish_to_edge();
        let published: Vec<String> = (1..=3).map(|n| format!("{{\"n\":{n}}}")).collect();
        store.commit("swarm", &[], &[(1, "{\"n\":1}")], &published).await.unwrap();
        let _ = rustls::crypto::ring::default_provider().install_default();
        let sender = Sender {
            client: reqwest::Client::new(),
            config: EdgeConfig::default(),
            store: store.clone(),
            outbox: Arc::new(Notify::new()),
            venue: None,
            run: run_id(),
            seq: 0,
        };
        let ack = |last: u64| IngestAck {
            applied: true,
            seq: 1,
            streams: [(streams::DECISIONS.to_string(), last)].into(),
            resend_from: Default::default(),
        };
        // The edge says it applied 100 of a stream this store numbered to 3: another
        // database's positions. Nothing is forgotten.
        sender.acknowledged(ack(100)).await;
        assert_eq!(store.edge_outbox(100).await.unwrap().len(), 3);
        // A true acknowledgement forgets up to it.
        sender.acknowledged(ack(2)).await;
        let waiting = store.edge_outbox(100).await.unwrap();
        assert_eq!(waiting.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![3]);
        store.close().await;
        std::fs::remove_dir_all(dir).unwrap();
    }
}
