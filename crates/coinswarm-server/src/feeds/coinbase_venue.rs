//! Live execution on Coinbase (`--exchange coinbase-live`): the task between the live
//! account's session and Coinbase. The session's engine runs in venue execution: it checks
//! and holds every order, the session passes the order guard and records each request in
//! the account's audit log *before* handing it here, and this task only talks to Coinbase:
//! it places orders (the order id is the client order id, so a resend never places twice),
//! cancels them, polls each live order's cumulative state and the account's balances, and
//! reports all of it back to the session, which records it.
//!
//! An order Coinbase did not answer for is never given up blindly: it is looked up by its
//! client order id first, and only an order Coinbase does not have is marked failed.

use crate::clock::SharedClock;
use crate::config::LiveConfig;
use crate::session::{SessionHandle, VenueCall, VenueReport};
use coinswarm_coinbase::orders::{create_order_body, created_order_id, venue_state};
use coinswarm_coinbase::{CdpKey, CoinbaseError, CoinbaseRest};
use coinswarm_core::exchange::{Order, OrderId, VenueOrderState, VenueStatus};
use rust_decimal::Decimal;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

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

/// Checks the key with Coinbase (a refused key stops the start) and reads the total
/// balances the live account starts from.
pub async fn connect(rest: &CoinbaseRest) -> anyhow::Result<Vec<(String, Decimal)>> {
    rest.balances().await.map(totals).map_err(|err| match &err {
        CoinbaseError::Api { status: 401 | 403, .. } => {
            anyhow::anyhow!("refusing to start --exchange coinbase-live: Coinbase refused the API key: {err}")
        }
        _ => anyhow::anyhow!("refusing to start --exchange coinbase-live: cannot read the Coinbase accounts: {err}"),
    })
}

fn totals(balances: Vec<coinswarm_coinbase::orders::Balance>) -> Vec<(String, Decimal)> {
    balances.into_iter().map(|b| (b.currency, b.available + b.hold)).collect()
}

/// The task's settings.
#[derive(Debug)]
pub struct LiveVenue {
    pub rest: Arc<CoinbaseRest>,
    /// The `user` channel: each change it announces to one of the account's orders is
    /// polled at once (the cumulative REST state stays the one source of what filled).
    pub user_stream: Option<coinswarm_coinbase::WsClient>,
    pub order_poll: Duration,
    pub balance_poll: Duration,
    pub resend_window: Duration,
    /// Ages unconfirmed orders against the resend window.
    pub clock: SharedClock,
}

/// What the task knows of the orders it handles.
#[derive(Debug, Default)]
struct Book {
    /// Coinbase's id and the last state reported, per live order.
    routed: HashMap<OrderId, (String, Option<VenueOrderState>)>,
    /// Orders with no answer yet, with when they were first sent (wall clock, ms).
    unconfirmed: HashMap<OrderId, (Order, i64)>,
    /// Cancellations asked for and not yet accepted by Coinbase.
    cancel_wanted: HashSet<OrderId>,
    /// Cancellations whose refusal was already reported (reported once).
    cancel_refusals: HashSet<OrderId>,
}

/// What polling one order found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Polled {
    Unchanged,
    Changed,
    /// Coinbase could not be read.
    Unread,
}

/// Runs until `shutdown` turns true or the session stops. On shutdown, callers still
/// waiting for an order's answer are told it is unconfirmed (the next start confirms it).
pub async fn run(
    mut venue: LiveVenue,
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
    let (user_tx, mut user_events) = mpsc::channel(1024);
    let user_task = venue.user_stream.take().map(|stream| {
        let stop = shutdown.clone();
        tokio::spawn(async move {
            if let Err(err) = stream.run(user_tx, stop).await {
                tracing::warn!("the Coinbase user channel stopped (orders are still polled): {err}");
            }
        })
    });
    let mut user_open = user_task.is_some();
    loop {
        let work = async {
            // The session's calls first: a cancellation is known before the next poll acts
            // on its order (and never waits behind a run of overdue polls).
            tokio::select! {
                biased;
                call = calls.recv() => match call {
                    Some(call) => {
                        venue.handle(call, &mut book, &session).await;
                        true
                    }
                    None => false,
                },
                event = user_events.recv(), if user_open => {
                    match event {
                        Some(coinswarm_coinbase::WsEvent::User(event)) => venue.on_user_event(&event, &mut book, &session).await,
                        Some(_) => {}
                        None => user_open = false,
                    }
                    true
                }
                _ = orders.tick() => {
                    venue.poll_orders(&mut book, &session).await;
                    true
                }
                _ = balances.tick() => {
                    venue.reconcile(&mut book, &session).await;
                    true
                }
            }
        };
        // Shutdown is seen even in the middle of a request and its retries.
        let go_on = tokio::select! {
            go_on = work => go_on,
            changed = shutdown.changed() => if changed.is_err() || *shutdown.borrow() { false } else { continue },
        };
        if !go_on || *shutdown.borrow() {
            break;
        }
    }
    if let Some(task) = user_task {
        task.abort();
    }
    // No call gets in after this: what is queued is drained, and its callers answered.
    calls.close();
    let mut unanswered: Vec<OrderId> = book.unconfirmed.keys().copied().collect();
    while let Ok(call) = calls.try_recv() {
        if let VenueCall::Place(order) | VenueCall::Confirm(order) = call {
            unanswered.push(order.order_id);
        }
    }
    for order_id in unanswered {
        let reason = "the server stopped before Coinbase answered; it is confirmed at the next start".to_string();
        session.venue_report(VenueReport::Unconfirmed { order_id, reason }).await;
    }
}

impl LiveVenue {
    /// Polls at once each of the account's orders a `user` channel event names.
    async fn on_user_event(&self, event: &serde_json::Value, book: &mut Book, session: &SessionHandle) {
        let named: Vec<&str> = event
            .get("orders")
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|o| o.get("order_id").and_then(serde_json::Value::as_str))
            .collect();
        let ours: Vec<OrderId> = book
            .routed
            .iter()
            .filter(|(_, (venue_order_id, _))| named.contains(&venue_order_id.as_str()))
            .map(|(order_id, _)| *order_id)
            .collect();
        for order_id in ours {
            self.poll_order(order_id, book, session).await;
        }
    }

    async fn handle(&self, call: VenueCall, book: &mut Book, session: &SessionHandle) {
        match call {
            VenueCall::Place(order) => {
                book.unconfirmed.insert(order.order_id, (*order.clone(), self.clock.now().millis()));
                self.place(*order, false, book, session).await;
            }
            VenueCall::Confirm(order) => {
                // Sent before the restart: its age counts from when it was made.
                book.unconfirmed.insert(order.order_id, (*order.clone(), order.created_time.millis()));
                self.confirm(*order, book, session).await;
            }
            VenueCall::Cancel(order_id) => {
                book.cancel_wanted.insert(order_id);
                if book.routed.contains_key(&order_id) {
                    self.cancel(order_id, book, session).await;
                }
            }
            VenueCall::Track { order_id, venue_order_id } => {
                book.routed.insert(order_id, (venue_order_id, None));
            }
        }
    }

    /// Sends (or sends again) an order. A refusal counts only once the order is not found
    /// at Coinbase under its client order id (the HTTP client may have sent it twice, and
    /// Coinbase may refuse the repeat); a refused resend counts only after the resend
    /// window. An answer without an id waits for the next lookup.
    async fn place(&self, order: Order, resend: bool, book: &mut Book, session: &SessionHandle) {
        let order_id = order.order_id;
        let refusal = match self.rest.create_order(create_order_body(&order)).await {
            Ok(answer) => match created_order_id(&answer) {
                Ok(venue_order_id) => return self.routed(order_id, venue_order_id, book, session).await,
                // Success without an id: placed, but under which id? The next poll looks.
                Err(refused) if refused.code == "NO_ORDER_ID" => {
                    if !resend {
                        let reason = "Coinbase answered without an order id; it is looked up".to_string();
                        session.venue_report(VenueReport::Unconfirmed { order_id, reason }).await;
                    }
                    return;
                }
                Err(refused) => (refused.code, refused.message),
            },
            Err(CoinbaseError::Api { status, body, .. }) => {
                let code = if body.error.is_empty() { format!("HTTP_{status}") } else { body.error.clone() };
                (code, body.message.clone())
            }
            Err(err) => {
                if !resend {
                    let reason = format!("no answer from Coinbase yet ({err}); it is looked up, then sent again");
                    session.venue_report(VenueReport::Unconfirmed { order_id, reason }).await;
                }
                tracing::warn!(%order_id, "Coinbase did not answer the order: {err}");
                return;
            }
        };
        let (code, message) = refusal;
        match self.lookup(&order).await {
            Ok(Some(venue_order_id)) => self.routed(order_id, venue_order_id, book, session).await,
            Ok(None) if !resend || self.window_passed(order_id, book) => {
                self.refused(order_id, code, message, book, session).await;
            }
            Ok(None) => {
                tracing::warn!(%order_id, "Coinbase refused a resend ({code}); looked up again at the next poll")
            }
            Err(err) => {
                if !resend {
                    let reason = format!("Coinbase refused it ({code}: {message}) and the lookup failed ({err})");
                    session.venue_report(VenueReport::Unconfirmed { order_id, reason }).await;
                }
            }
        }
    }

    /// Whether an unconfirmed order was first sent longer than the resend window ago.
    fn window_passed(&self, order_id: OrderId, book: &Book) -> bool {
        let first = book.unconfirmed.get(&order_id).map_or(0, |(_, at)| *at);
        self.clock.now().millis() - first >= self.resend_window.as_millis() as i64
    }

    /// An order with no answer: found at Coinbase, it is followed; not found, it is sent
    /// again while young enough (unless its cancellation was asked for: then it ends here
    /// without ever trading) and marked failed after; a failed lookup waits.
    async fn confirm(&self, order: Order, book: &mut Book, session: &SessionHandle) {
        let order_id = order.order_id;
        match self.lookup(&order).await {
            Ok(Some(venue_order_id)) => self.routed(order_id, venue_order_id, book, session).await,
            Ok(None) if book.cancel_wanted.contains(&order_id) => {
                let message = "cancelled before Coinbase had it: it was not sent again".to_string();
                self.refused(order_id, "CANCELLED_BEFORE_PLACED".into(), message, book, session).await;
            }
            Ok(None) if !self.window_passed(order_id, book) => {
                Box::pin(self.place(order, true, book, session)).await;
            }
            Ok(None) => {
                let message = format!(
                    "Coinbase has no order with client order id {order_id} and did not answer within the resend window"
                );
                self.refused(order_id, "VENUE_UNREACHABLE".into(), message, book, session).await;
            }
            Err(err) => tracing::warn!(%order_id, "an unanswered order could not be looked up yet: {err}"),
        }
    }

    /// Coinbase's id for the order with this client order id, if it has one.
    async fn lookup(&self, order: &Order) -> Result<Option<String>, CoinbaseError> {
        let made = order.created_time.millis();
        let since = coinswarm_core::time::Timestamp::from_millis(made - 60_000);
        let until =
            coinswarm_core::time::Timestamp::from_millis(made + self.resend_window.as_millis() as i64 + 300_000);
        self.rest.find_order(order.product_id, &order.order_id.to_string(), since, until).await
    }

    async fn routed(&self, order_id: OrderId, venue_order_id: String, book: &mut Book, session: &SessionHandle) {
        book.unconfirmed.remove(&order_id);
        book.routed.insert(order_id, (venue_order_id.clone(), None));
        session.venue_report(VenueReport::Routed { order_id, venue_order_id }).await;
        if book.cancel_wanted.contains(&order_id) {
            self.cancel(order_id, book, session).await;
        }
    }

    async fn refused(
        &self,
        order_id: OrderId,
        code: String,
        message: String,
        book: &mut Book,
        session: &SessionHandle,
    ) {
        book.unconfirmed.remove(&order_id);
        book.cancel_wanted.remove(&order_id);
        book.cancel_refusals.remove(&order_id);
        session.venue_report(VenueReport::Refused { order_id, code, message }).await;
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
        match refused {
            None => {
                book.cancel_wanted.remove(&order_id);
            }
            Some(reason) => {
                if book.cancel_refusals.insert(order_id) {
                    session.venue_report(VenueReport::CancelRefused { order_id, reason }).await;
                }
            }
        }
        // Its state tells whether it ended (and what filled before).
        self.poll_order(order_id, book, session).await;
    }

    async fn poll_orders(&self, book: &mut Book, session: &SessionHandle) {
        let waiting: Vec<Order> = book.unconfirmed.values().map(|(order, _)| order.clone()).collect();
        for order in waiting {
            self.confirm(order, book, session).await;
        }
        let routed: Vec<OrderId> = book.routed.keys().copied().collect();
        for order_id in routed {
            let working = book
                .routed
                .get(&order_id)
                .is_some_and(|(_, state)| state.as_ref().is_none_or(|s| s.status == VenueStatus::Working));
            if working && book.cancel_wanted.contains(&order_id) {
                self.cancel(order_id, book, session).await;
            } else {
                self.poll_order(order_id, book, session).await;
            }
        }
    }

    /// Asks Coinbase for one order and reports a change; an ended order is dropped.
    async fn poll_order(&self, order_id: OrderId, book: &mut Book, session: &SessionHandle) -> Polled {
        let Some((venue_order_id, last)) = book.routed.get(&order_id).cloned() else { return Polled::Unchanged };
        let answer = self.rest.get_order(&venue_order_id).await;
        let state = match answer.as_ref().map_err(Clone::clone).and_then(venue_state) {
            Ok(state) => state,
            Err(err) => {
                tracing::warn!(%order_id, venue_order_id, "Coinbase order state not read: {err}");
                return Polled::Unread;
            }
        };
        if state.status != VenueStatus::Working {
            book.routed.remove(&order_id);
            book.cancel_wanted.remove(&order_id);
            book.cancel_refusals.remove(&order_id);
        } else if let Some(entry) = book.routed.get_mut(&order_id) {
            entry.1 = Some(state.clone());
        }
        if last.as_ref() == Some(&state) {
            return Polled::Unchanged;
        }
        session.venue_report(VenueReport::State { order_id, state }).await;
        Polled::Changed
    }

    /// Balances are reported only when no fill can be in flight: every live order is polled
    /// (its fills folded in) before they are read, and polled again after; a change in the
    /// second poll means a fill may have raced the read, and the reading waits for the next
    /// tick. Orders not yet confirmed also make it wait.
    async fn reconcile(&self, book: &mut Book, session: &SessionHandle) {
        if !book.unconfirmed.is_empty() {
            return;
        }
        let routed: Vec<OrderId> = book.routed.keys().copied().collect();
        for order_id in &routed {
            if self.poll_order(*order_id, book, session).await == Polled::Unread {
                return;
            }
        }
        let balances = match self.rest.balances().await {
            Ok(balances) => totals(balances),
            Err(err) => {
                tracing::warn!("Coinbase balances not read: {err}");
                return;
            }
        };
        let mut settled = true;
        for order_id in &routed {
            settled &= self.poll_order(*order_id, book, session).await == Polled::Unchanged;
        }
        if settled {
            session.venue_report(VenueReport::Balances(balances)).await;
        }
    }
}
