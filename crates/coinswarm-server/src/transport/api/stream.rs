//! `GET /stream`: a WebSocket of channels per product — `ticker` (latest quote, coalesced),
//! `candles` (each closed bar), `decisions` (the swarm's), `heartbeats` (every second) and
//! `fills` (the caller's own; the subscribe message carries an API key). Market updates come
//! in the hub's batches, at most one per coalescing window (default 50 ms); each batch is
//! filtered by the connection's subscriptions and written with one flush. Ticker and
//! heartbeat messages carry `published_ms`, the server's wall clock at publication, so
//! clients can measure delivery lag.
//!
//! A client that cannot keep up is closed with a reason (close code 1008): when a write
//! waits longer than `stream.send_timeout_ms` or it falls `stream.max_batches_behind`
//! batches behind. Each connection is its own task, so a slow one never delays the others.
//! A connection that holds no subscription for `stream.subscribe_timeout_ms` (from its
//! start, or since it unsubscribed from everything) is closed too. The server pings every
//! `stream.ping_interval_ms`, so a quiet subscription is never closed as idle, and closes a
//! client that answers none of three pings in a row (gone without closing). A `fills`
//! subscription's key is checked again every `stream.key_recheck_ms`: once the key is
//! revoked the subscription ends, with an error message.
//!
//! Subscribe: `{"type":"subscribe","channels":["ticker","fills"],"product_ids":["BTC-USD"],"api_key":"csk_…"}`;
//! `unsubscribe` takes the same shape. Messages: `{"channel","product_id","data"}`.

use super::AppState;
use super::auth::PeerIp;
use super::key_guard::Refusal;
use crate::adapters::keys::Scope;
use crate::session::hub::{Batch, Channel};
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use coinswarm_api::stream::{ChannelMessage, StreamError, Subscriptions as StreamSubscriptions};
use coinswarm_api::subscription::{self, SubscriptionSet};
use coinswarm_api::views::to_json;
use coinswarm_core::exchange::Fill;
use coinswarm_core::market::ProductId;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{FutureExt, SinkExt, StreamExt};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::{broadcast, mpsc};

pub async fn upgrade(State(state): State<AppState>, PeerIp(peer): PeerIp, ws: WebSocketUpgrade) -> Response {
    // Small buffers: thousands of connections each hold their own (the 128 KiB read buffer
    // by default would cost 640 MB for 5,000 clients); client messages are small.
    ws.read_buffer_size(4 * 1024)
        .write_buffer_size(16 * 1024)
        .max_message_size(64 * 1024)
        .max_frame_size(64 * 1024)
        .on_upgrade(move |socket| serve(state, socket, peer))
}

/// What one connection is subscribed to.
#[derive(Debug, Default)]
struct Subscriptions {
    set: SubscriptionSet,
    fills: Option<FillsSubscription>,
}

/// The caller's own fills, and the secret that opened them (checked again periodically).
#[derive(Debug)]
struct FillsSubscription {
    fills: broadcast::Receiver<Fill>,
    secret: String,
}

impl Subscriptions {
    fn wants(&self, channel: Channel, product: Option<ProductId>) -> bool {
        self.set.wants(channel, product)
    }
}

type Sink = SplitSink<WebSocket, Message>;

/// Aborts the connection's reader when the writer ends.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn serve(state: AppState, socket: WebSocket, peer: Option<IpAddr>) {
    let mut batches = state.hub.subscribe();
    let (mut sink, stream) = socket.split();
    // Client messages are rare: a reader task forwards them, so the writer's loop is woken
    // by market batches without polling the socket for input each time.
    let (client_tx, mut client_rx) = mpsc::channel(16);
    let _reader = AbortOnDrop(tokio::spawn(read_client(stream, client_tx)).abort_handle());
    let config = &state.config.stream;
    let send_timeout = Duration::from_millis(config.send_timeout_ms);
    let subscribe_timeout = Duration::from_millis(config.subscribe_timeout_ms);
    // Closes a connection without subscriptions; moved forward whenever it has some.
    let unsubscribed_deadline = tokio::time::sleep(subscribe_timeout);
    tokio::pin!(unsubscribed_deadline);
    let mut was_subscribed = false;
    let mut unanswered_pings = 0;
    let mut pings = every(Duration::from_millis(config.ping_interval_ms));
    let mut key_checks = every(Duration::from_millis(config.key_recheck_ms));
    let mut subscriptions = Subscriptions::default();
    let mut outgoing: Vec<Message> = Vec::new();
    loop {
        tokio::select! {
            biased;
            batch = batches.recv() => match batch {
                Ok(batch) if batch.closing => return close(sink, batches, "server shutting down").await,
                Ok(batch) => {
                    select_updates(&subscriptions, &batch, &mut outgoing);
                    // Batches that queued while this connection was busy go in the same write.
                    loop {
                        match batches.try_recv() {
                            Ok(batch) if batch.closing => return close(sink, batches, "server shutting down").await,
                            Ok(batch) => select_updates(&subscriptions, &batch, &mut outgoing),
                            Err(TryRecvError::Lagged(_)) => {
                                return close(sink, batches, "slow consumer: fell behind the market stream").await;
                            }
                            Err(TryRecvError::Empty | TryRecvError::Closed) => break,
                        }
                    }
                }
                Err(RecvError::Lagged(_)) => return close(sink, batches, "slow consumer: fell behind the market stream").await,
                Err(RecvError::Closed) => return close(sink, batches, "server shutting down").await,
            },
            message = client_rx.recv() => match message {
                Some(ClientInput::Pong) => unanswered_pings = 0,
                Some(ClientInput::Text(text)) => {
                    unanswered_pings = 0;
                    let reply = match on_client_message(&state, &mut subscriptions, &text, peer).await {
                        Ok(listed) => text_message(&listed),
                        Err(refused) => text_message(&refused),
                    };
                    outgoing.push(reply);
                }
                Some(ClientInput::Binary) => {
                    outgoing.push(text_message(&StreamError::new("send JSON text messages")));
                }
                // The client closed (or its connection ended): answer its close frame.
                None => {
                    let _ = tokio::time::timeout(CLOSE_GRACE, sink.close()).await;
                    return;
                }
            },
            fill = next_fill(&mut subscriptions.fills) => match fill {
                Ok(fill) => outgoing.push(text_message(&ChannelMessage::fill(&fill))),
                Err(RecvError::Lagged(_)) => return close(sink, batches, "slow consumer: fell behind its fills").await,
                Err(RecvError::Closed) => subscriptions.fills = None,
            },
            _ = &mut unsubscribed_deadline, if subscriptions.set.entries.is_empty() => {
                let reason = format!("no subscription within {} ms", subscribe_timeout.as_millis());
                return close(sink, batches, &reason).await;
            },
            _ = pings.tick() => {
                // A peer that is gone (not closed) answers nothing; its socket would take the
                // pings into its buffer for a long time.
                if unanswered_pings >= UNANSWERED_PINGS {
                    return close(sink, batches, "no answer to the server's pings").await;
                }
                unanswered_pings += 1;
                outgoing.push(Message::Ping(Default::default()));
            },
            _ = key_checks.tick(), if subscriptions.fills.is_some() => {
                if let Some(reply) = recheck_fills_key(&state, &mut subscriptions).await {
                    outgoing.push(text_message(&reply));
                }
            },
        }
        let subscribed = !subscriptions.set.entries.is_empty();
        if was_subscribed && !subscribed {
            unsubscribed_deadline.as_mut().reset(tokio::time::Instant::now() + subscribe_timeout);
        }
        was_subscribed = subscribed;
        if outgoing.is_empty() {
            continue;
        }
        // Most writes complete at once; only one that waits gets a timer.
        let sent = {
            let send = send_all(&mut sink, &mut outgoing);
            tokio::pin!(send);
            match (&mut send).now_or_never() {
                Some(sent) => Ok(sent),
                None => tokio::time::timeout(send_timeout, send).await,
            }
        };
        match sent {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return,
            Err(_) => return close(sink, batches, "slow consumer: not reading").await,
        }
    }
}

/// A timer that first fires one `period` from now.
fn every(period: Duration) -> tokio::time::Interval {
    let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    interval
}

/// A server message as a text frame, its keys sorted (see [`to_json`]).
fn text_message<T: serde::Serialize>(message: &T) -> Message {
    Message::Text(to_json(message).to_string().into())
}

/// Ends the `fills` subscription once its key no longer verifies (revoked), with the
/// message to tell the client; `None` while the key is still good (or the store cannot say).
async fn recheck_fills_key(state: &AppState, subscriptions: &mut Subscriptions) -> Option<StreamError> {
    let secret = &subscriptions.fills.as_ref()?.secret;
    // Checked as the server's own question, not the client's attempt: no address budget,
    // which a client could spend on purpose to keep a revoked key's subscription alive.
    match state.guard.identify(&state.store, secret, None).await {
        Ok(key) if key.allows(Scope::Read) => None,
        Err(Refusal::Unavailable(_)) => None,
        Ok(_) | Err(Refusal::UnknownKey | Refusal::TooManyFailures { .. } | Refusal::RateLimited { .. }) => {
            subscriptions.fills = None;
            subscriptions.set.entries.retain(|(channel, _)| *channel != Channel::Fills);
            Some(StreamError::new("the API key was revoked: the fills subscription has ended"))
        }
    }
}

/// Queues every message, then one flush: one write for many messages.
async fn send_all(sink: &mut Sink, outgoing: &mut Vec<Message>) -> Result<(), axum::Error> {
    for message in outgoing.drain(..) {
        sink.feed(message).await?;
    }
    sink.flush().await
}

/// The batch's messages this connection subscribed to.
fn select_updates(subscriptions: &Subscriptions, batch: &Batch, outgoing: &mut Vec<Message>) {
    for event in &batch.events {
        if subscriptions.wants(event.channel, event.product_id) {
            outgoing.push(Message::Text(event.message.clone()));
        }
    }
}

enum ClientInput {
    Text(Utf8Bytes),
    Binary,
    /// The answer to one of the server's pings.
    Pong,
}

async fn read_client(mut stream: SplitStream<WebSocket>, to_writer: mpsc::Sender<ClientInput>) {
    while let Some(Ok(message)) = stream.next().await {
        let input = match message {
            Message::Text(text) => ClientInput::Text(text),
            Message::Binary(_) => ClientInput::Binary,
            Message::Close(_) => return,
            Message::Pong(_) => ClientInput::Pong,
            Message::Ping(_) => continue,
        };
        if to_writer.send(input).await.is_err() {
            return;
        }
    }
}

async fn next_fill(fills: &mut Option<FillsSubscription>) -> Result<Fill, RecvError> {
    match fills {
        Some(subscription) => subscription.fills.recv().await,
        None => std::future::pending().await,
    }
}

/// Pings in a row a client may leave unanswered before it is taken for gone.
const UNANSWERED_PINGS: u32 = 3;

/// How long a closed connection keeps trying to hand its close frame (with the reason) to
/// a client that is not reading, before the socket is dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// Leaves the stream at once (the connection no longer counts as a client or holds
/// batches), then sends the close frame with its reason, waiting at most `CLOSE_GRACE`.
async fn close(mut sink: Sink, batches: broadcast::Receiver<Arc<Batch>>, reason: &str) {
    drop(batches);
    let frame = CloseFrame { code: 1008, reason: Utf8Bytes::from(reason.to_string()) };
    let _ = tokio::time::timeout(CLOSE_GRACE, sink.send(Message::Close(Some(frame)))).await;
}

async fn on_client_message(
    state: &AppState,
    subscriptions: &mut Subscriptions,
    text: &str,
    peer: Option<IpAddr>,
) -> Result<StreamSubscriptions, StreamError> {
    let listed = |product: ProductId| state.board.products().iter().any(|l| l.product_id == product);
    let request = subscription::parse(text, listed)?;
    if request.opens_fills() {
        let secret = request.api_key.clone().unwrap_or_default();
        let key = match state.guard.authenticate(&state.store, &secret, peer).await {
            Ok(key) if key.allows(Scope::Read) => key,
            Ok(_) | Err(Refusal::UnknownKey) => {
                return Err(StreamError::new("unknown or revoked API key"));
            }
            Err(refusal) => {
                let failure = super::auth::refusal_error(refusal);
                return Err(StreamError::new(failure.message).with_code(failure.code));
            }
        };
        match state.session(&key.account_id).await {
            Ok(Some(session)) => {
                subscriptions.fills = Some(FillsSubscription { fills: session.subscribe_fills(), secret });
            }
            _ => return Err(StreamError::new("the key's account is not available")),
        }
    }
    if request.closes_fills() {
        subscriptions.fills = None;
    }
    subscriptions.set.apply(&request);
    Ok(subscriptions.set.listed())
}
