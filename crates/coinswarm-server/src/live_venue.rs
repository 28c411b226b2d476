//! Live execution on Coinbase (`--exchange coinbase-live`): the task between the live
//! account's session and Coinbase. The session's engine runs in venue execution: it checks
//! and holds every order, the session passes the order guard and records each request in
//! the account's audit log *before* handing it here, and this task only talks to Coinbase:
//! it places orders (the order id is the client order id, so a resend never places twice),
//! cancels them, polls each live order's cumulative state and the account's balances, and
//! reports all of it back to the session, which records it.

use crate::config::LiveConfig;
use crate::session::SessionHandle;
use coinswarm_coinbase::orders::{create_order_body, created_order_id, venue_state};
use coinswarm_coinbase::{CdpKey, CoinbaseError, CoinbaseRest};
use coinswarm_core::exchange::{Order, OrderId, VenueOrderState, VenueStatus};
use rust_decimal::Decimal;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

/// What the session asks of Coinbase.
#[derive(Debug, Clone)]
pub enum VenueCall {
    /// Place an order the session accepted, passed and recorded.
    Place(Box<Order>),
    Cancel(OrderId),
    /// Follow an order Coinbase already has (after a restart).
    Track {
        order_id: OrderId,
        venue_order_id: String,
    },
}

/// What Coinbase said, for the session to record.
#[derive(Debug, Clone, PartialEq)]
pub enum VenueReport {
    /// Coinbase took the order under this id.
    Routed { order_id: OrderId, venue_order_id: String },
    /// Coinbase refused it, or could not be reached for `resend_window_ms`.
    Refused { order_id: OrderId, code: String, message: String },
    /// The order's cumulative state changed.
    State { order_id: OrderId, state: VenueOrderState },
    /// Coinbase refused a cancellation (the order goes on until its state says otherwise).
    CancelRefused { order_id: OrderId, reason: String },
    /// Available balance per currency.
    Balances(Vec<(String, Decimal)>),
}

/// The CDP key live mode runs with: from `--coinbase-key-file` (Coinbase's download,
/// `{"name", "privateKey"}`) or the environment.
pub fn load_key(config: &LiveConfig) -> anyhow::Result<CdpKey> {
    if let Some(path) = &config.key_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read the Coinbase key file {}: {e}", path.display()))?;
        let json: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("the Coinbase key file {} is not JSON: {e}", path.display()))?;
        let field =
            |names: &[&str]| names.iter().find_map(|n| json.get(*n).and_then(|v| v.as_str())).map(str::to_string);
        let (Some(name), Some(private_key)) = (field(&["name", "id"]), field(&["privateKey", "private_key"])) else {
            anyhow::bail!("the Coinbase key file {} needs \"name\" and \"privateKey\"", path.display());
        };
        return CdpKey::new(&name, &private_key)
            .map_err(|e| anyhow::anyhow!("the Coinbase key in {}: {e}", path.display()));
    }
    let key = config.key.as_ref().ok_or_else(|| anyhow::anyhow!("no Coinbase key configured"))?;
    CdpKey::new(&key.name, &key.private_key).map_err(|e| anyhow::anyhow!("COINSWARM_COINBASE_PRIVATE_KEY: {e}"))
}

/// Checks the key with Coinbase (a refused key stops the start) and reads the balances the
/// live account starts from.
pub async fn connect(rest: &CoinbaseRest) -> anyhow::Result<Vec<(String, Decimal)>> {
    rest.available_balances().await.map_err(|err| match &err {
        CoinbaseError::Api { status: 401 | 403, .. } => {
            anyhow::anyhow!("refusing to start --exchange coinbase-live: Coinbase refused the API key: {err}")
        }
        _ => anyhow::anyhow!("refusing to start --exchange coinbase-live: cannot read the Coinbase accounts: {err}"),
    })
}

/// The task's settings.
#[derive(Debug)]
pub struct LiveVenue {
    pub rest: Arc<CoinbaseRest>,
    pub order_poll: Duration,
    pub balance_poll: Duration,
    pub resend_window: Duration,
}

/// What the task knows of the orders it handles.
#[derive(Debug, Default)]
struct Book {
    /// Coinbase's id and the last state reported, per live order.
    routed: HashMap<OrderId, (String, Option<VenueOrderState>)>,
    /// Orders whose placing got no answer, with when they were first sent.
    unconfirmed: HashMap<OrderId, (Order, Instant)>,
    /// Cancellations asked for before Coinbase confirmed the order.
    cancel_wanted: HashSet<OrderId>,
}

/// Runs until `shutdown` turns true or the session stops.
pub async fn run(
    venue: LiveVenue,
    mut calls: mpsc::UnboundedReceiver<VenueCall>,
    session: SessionHandle,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut book = Book::default();
    let mut orders = tokio::time::interval(venue.order_poll);
    let mut balances = tokio::time::interval(venue.balance_poll);
    orders.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    balances.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    balances.tick().await; // the start's balances came with the key check
    loop {
        tokio::select! {
            call = calls.recv() => match call {
                Some(call) => venue.handle(call, &mut book, &session).await,
                None => return,
            },
            _ = orders.tick() => venue.poll_orders(&mut book, &session).await,
            _ = balances.tick() => match venue.rest.available_balances().await {
                Ok(found) => session.venue_report(VenueReport::Balances(found)).await,
                Err(err) => tracing::warn!("Coinbase balances not read: {err}"),
            },
            changed = shutdown.changed() => if changed.is_err() || *shutdown.borrow() { return },
        }
    }
}

impl LiveVenue {
    async fn handle(&self, call: VenueCall, book: &mut Book, session: &SessionHandle) {
        match call {
            VenueCall::Place(order) => {
                let order_id = order.order_id;
                book.unconfirmed.insert(order_id, (*order.clone(), Instant::now()));
                self.place(*order, book, session).await;
                if book.routed.contains_key(&order_id) && book.cancel_wanted.remove(&order_id) {
                    self.cancel(order_id, book, session).await;
                }
            }
            VenueCall::Cancel(order_id) => {
                if book.routed.contains_key(&order_id) {
                    self.cancel(order_id, book, session).await;
                } else {
                    book.cancel_wanted.insert(order_id);
                }
            }
            VenueCall::Track { order_id, venue_order_id } => {
                book.routed.insert(order_id, (venue_order_id, None));
            }
        }
    }

    /// Sends (or sends again) an order; the answer is reported unless Coinbase could not
    /// be reached, in which case the order waits for the next poll.
    async fn place(&self, order: Order, book: &mut Book, session: &SessionHandle) {
        let order_id = order.order_id;
        let report = match self.rest.create_order(create_order_body(&order)).await {
            Ok(answer) => match created_order_id(&answer) {
                Ok(venue_order_id) => {
                    book.routed.insert(order_id, (venue_order_id.clone(), None));
                    VenueReport::Routed { order_id, venue_order_id }
                }
                Err(refused) => VenueReport::Refused { order_id, code: refused.code, message: refused.message },
            },
            Err(CoinbaseError::Api { status, body, .. }) => VenueReport::Refused {
                order_id,
                code: if body.error.is_empty() { format!("HTTP_{status}") } else { body.error.clone() },
                message: body.message.clone(),
            },
            Err(err) => {
                let sent = book.unconfirmed.get(&order_id).map_or_else(Instant::now, |(_, at)| *at);
                if sent.elapsed() < self.resend_window {
                    tracing::warn!(%order_id, "Coinbase did not answer the order; it is sent again at the next poll: {err}");
                    return;
                }
                VenueReport::Refused { order_id, code: "VENUE_UNREACHABLE".into(), message: err.to_string() }
            }
        };
        book.unconfirmed.remove(&order_id);
        if matches!(report, VenueReport::Refused { .. }) {
            book.cancel_wanted.remove(&order_id);
        }
        session.venue_report(report).await;
    }

    async fn cancel(&self, order_id: OrderId, book: &mut Book, session: &SessionHandle) {
        let Some((venue_order_id, _)) = book.routed.get(&order_id).cloned() else { return };
        let refused = match self.rest.cancel_orders(std::slice::from_ref(&venue_order_id)).await {
            Ok(answer) => {
                let result = answer.get("results").and_then(|r| r.get(0)).cloned().unwrap_or_default();
                (result.get("success").and_then(serde_json::Value::as_bool) != Some(true)).then(|| {
                    result.get("failure_reason").and_then(serde_json::Value::as_str).unwrap_or("no result").to_string()
                })
            }
            Err(err) => Some(err.to_string()),
        };
        if let Some(reason) = refused {
            session.venue_report(VenueReport::CancelRefused { order_id, reason }).await;
        }
        // Its state tells whether it ended (and what filled before).
        self.poll_order(order_id, book, session).await;
    }

    async fn poll_orders(&self, book: &mut Book, session: &SessionHandle) {
        let waiting: Vec<Order> = book.unconfirmed.values().map(|(order, _)| order.clone()).collect();
        for order in waiting {
            self.place(order, book, session).await;
        }
        let routed: Vec<OrderId> = book.routed.keys().copied().collect();
        for order_id in routed {
            self.poll_order(order_id, book, session).await;
        }
    }

    /// Asks Coinbase for one order and reports a change; an ended order is dropped.
    async fn poll_order(&self, order_id: OrderId, book: &mut Book, session: &SessionHandle) {
        let Some((venue_order_id, last)) = book.routed.get(&order_id).cloned() else { return };
        let answer = self.rest.get_order(&venue_order_id).await;
        let state = match answer.as_ref().map_err(Clone::clone).and_then(venue_state) {
            Ok(state) => state,
            Err(err) => {
                tracing::warn!(%order_id, venue_order_id, "Coinbase order state not read: {err}");
                return;
            }
        };
        if state.status != VenueStatus::Working {
            book.routed.remove(&order_id);
        }
        if last.as_ref() != Some(&state) {
            if let Some(entry) = book.routed.get_mut(&order_id) {
                entry.1 = Some(state.clone());
            }
            session.venue_report(VenueReport::State { order_id, state }).await;
        }
    }
}
