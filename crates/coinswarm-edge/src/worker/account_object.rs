//! `AccountObject`: one Durable Object per account, its single writer. It keeps the account's
//! event log in the object's SQLite storage, rebuilds the account from it with the core's
//! ledger, and sends every order down `coinswarm_api::order_path` (halted? the exchange's
//! rules, the pre-trade gate) into the core's matching engine. An order is answered only
//! after its events are written: every write of a call happens in one synchronous step (one
//! implicit transaction), and the runtime's output gate holds the answer until it is durable.

use super::http::{self, Answer, call_json, now_ms};
use super::meter::Meter;
use super::objects::{hub, max_quote_age_ms};
use crate::calls::{AccountCall, HubCall, LatestQuote, MarketApplied, Origin};
use coinswarm_api::edge::VenueSpec;
use coinswarm_api::order_path;
use coinswarm_api::order_snapshot::OrderSnapshot;
use coinswarm_api::{ErrorCode, Failure, RetryAfter, views};
use coinswarm_core::exchange::{Fill, MatchingEngine, Order, OrderRequest};
use coinswarm_core::ledger::{Account, AccountEvent, EventKind};
use coinswarm_core::market::Quote;
use coinswarm_core::risk::PreTradeGate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::cell::RefCell;
use std::collections::VecDeque;
use worker::{
    AnalyticsEngineDataPointBuilder, DurableObject, Env, Request, Response, SqlStorageValue, State, durable_object,
};

/// Fills kept for `GET /api/trades` (as in `coinswarm up`).
const RECENT_FILLS: usize = 1000;

/// A call to an account's object, with the account it is for.
#[derive(Debug, Serialize, Deserialize)]
pub struct AccountEnvelope {
    pub account_id: String,
    #[serde(flatten)]
    pub call: AccountCall,
}

#[durable_object]
pub struct AccountObject {
    state: State,
    env: Env,
    book: RefCell<Option<Book>>,
}

/// The account, rebuilt from its log.
struct Book {
    account_id: String,
    engine: MatchingEngine,
    gate: PreTradeGate,
    orders: OrderSnapshot,
    /// Newest first.
    fills: VecDeque<Fill>,
    /// Whether the hub was last told the account has resting orders (`None`: not told since
    /// the object woke).
    told_resting: Option<bool>,
}

impl DurableObject for AccountObject {
    fn new(state: State, env: Env) -> Self {
        let sql = state.storage().sql();
        for statement in [
            "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, event TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY AUTOINCREMENT, time_ms INTEGER NOT NULL, \
             record TEXT NOT NULL)",
        ] {
            if let Err(error) = sql.exec(statement, None) {
                worker::console_error!("account object schema: {error}");
            }
        }
        Self { state, env, book: RefCell::new(None) }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let meter = Meter::default();
        let answer = match http::read_json::<AccountEnvelope>(&mut req).await {
            Ok(envelope) => self.answer(envelope, &meter).await,
            Err(error) => {
                Err(Failure::unavailable(format!("a malformed call reached the account: {error}"), RetryAfter::FAULT))
            }
        };
        Ok(meter.stamp(answer.unwrap_or_else(|failure| http::failure(&failure))))
    }
}

impl AccountObject {
    async fn answer(&self, envelope: AccountEnvelope, meter: &Meter) -> Answer {
        self.open(&envelope.account_id, meter).await?;
        match envelope.call {
            AccountCall::Place { request, origin } => self.place(request, origin, meter).await,
            AccountCall::Cancel { order_id, origin } => {
                let (result, changed) = self.write(meter, |book, now| {
                    if book.orders.get(order_id).is_none() {
                        return Err(Failure::not_found(format!("no order {order_id}")));
                    }
                    let result = book.engine.cancel(order_id, now).cloned();
                    let outcome = match &result {
                        Ok(order) => json!({"status": order.status}),
                        Err(err) => json!({"rejected": err.code(), "message": err.to_string()}),
                    };
                    let audit =
                        audit_record(now.millis(), "external_cancel", &origin, json!({"order_id": order_id}), outcome);
                    Ok((result.map_err(|r| Failure::rejected(&r)), Some(audit)))
                })?;
                self.tell_hub(changed, meter).await;
                http::json(200, &views::OrderChanged { order: result?, success: true })
            }
            AccountCall::Preview { request } => self.read(|book| {
                ensure_listed(book, &request)?;
                let now = book.engine.now();
                let preview = order_path::preview(&book.engine, &book.gate, &request, now);
                http::json(200, &views::Preview { preview })
            }),
            AccountCall::Account { with_mode } => self.read(|book| {
                let mut account = order_path::account_view(&book.account_id, &book.engine);
                account.mode = with_mode.then_some("paper");
                http::json(200, &account)
            }),
            AccountCall::Orders { status, product_id, limit } => self.read(|book| {
                product_id.map(|p| listed(book, p)).transpose()?;
                let orders = book
                    .orders
                    .iter()
                    .filter(|o| status.is_none_or(|s| o.status == s) && product_id.is_none_or(|p| o.product_id == p))
                    .take(limit)
                    .cloned()
                    .collect();
                http::json(200, &views::Orders { orders })
            }),
            AccountCall::Order { order_id } => self.read(|book| {
                let order = book.orders.get(order_id).cloned();
                let order = order.ok_or_else(|| Failure::not_found(format!("no order {order_id}")))?;
                http::json(200, &views::OrderView { order })
            }),
            AccountCall::Trades { product_id, limit } => self.read(|book| {
                product_id.map(|p| listed(book, p)).transpose()?;
                let trades = book
                    .fills
                    .iter()
                    .filter(|f| product_id.is_none_or(|p| f.product_id == p))
                    .take(limit)
                    .cloned()
                    .collect();
                http::json(200, &views::Trades { trades })
            }),
            AccountCall::Audit { limit } => {
                let account_id = envelope.account_id;
                let rows = self.sql_rows(
                    meter,
                    "SELECT record FROM audit ORDER BY id DESC LIMIT ?",
                    vec![(limit as i64).into()],
                )?;
                let records = rows.iter().filter_map(|row| serde_json::from_str::<Value>(row).ok()).collect();
                http::json(200, &views::OrderAudit { account_id, records })
            }
            AccountCall::Market { quotes } => {
                let (fills, changed) = self.write(meter, |book, _| {
                    for quote in &quotes {
                        apply_quote(book, quote);
                    }
                    Ok((Ok::<_, Failure>(()), None))
                })?;
                fills?;
                let account_id = envelope.account_id.clone();
                if let Err(failure) = super::post_trade::enqueue(&self.env, meter, &account_id, &changed.fills).await {
                    worker::console_warn!("post-trade work not queued: {failure}");
                }
                let applied = MarketApplied { fills: changed.fills.clone(), resting: changed.resting };
                self.note_resting(changed.resting);
                http::json(200, &applied)
            }
        }
    }

    /// `POST /api/orders`: listed? then the hub's latest quote (refused `MARKET_STALE` when
    /// older than the configured age), then the one order path; the refusal is recorded too.
    async fn place(&self, request: OrderRequest, origin: Origin, meter: &Meter) -> Answer {
        {
            let book = self.book.borrow();
            let book =
                book.as_ref().ok_or_else(|| Failure::unavailable("the account is not open", RetryAfter::FAULT))?;
            ensure_listed(book, &request)?;
        }
        let latest: LatestQuote =
            call_json(&hub(&self.env)?, &HubCall::Quote { product_id: request.product_id }, meter)
                .await
                .map_err(|f| stale(format!("no quote of {} at the edge yet: {}", request.product_id, f.message)))?;
        let age = now_ms() - latest.received_ms;
        let max_age = max_quote_age_ms(&self.env);
        if age > max_age {
            return Err(stale(format!(
                "the edge's latest quote of {} is {age} ms old (at most {max_age} ms): nothing was placed",
                request.product_id
            )));
        }
        let (result, changed) = self.write(meter, |book, _| {
            apply_quote(book, &latest.quote);
            let now = book.engine.now();
            let placed = order_path::submit(&mut book.engine, &mut book.gate, request.clone(), now);
            let outcome = match &placed {
                Ok(p) => json!({"order_id": p.order.order_id, "status": p.order.status}),
                Err(err) => json!({"rejected": err.code(), "message": err.to_string()}),
            };
            let audit = audit_record(now.millis(), "external_order", &origin, json!(request), outcome);
            Ok((placed.map(|p| p.order).map_err(|e| e.failure()), Some(audit)))
        })?;
        self.tell_hub(changed, meter).await;
        let order = result?;
        self.order_data_point(&order, meter);
        http::json(201, &views::OrderChanged { order, success: true })
    }

    /// An Analytics Engine data point per accepted order: account, product, side, status,
    /// and its size, filled size and fees.
    fn order_data_point(&self, order: &Order, meter: &Meter) {
        let Ok(dataset) = self.env.analytics_engine("ANALYTICS") else { return };
        let account_id = self.book.borrow().as_ref().map(|b| b.account_id.clone()).unwrap_or_default();
        let number = |d: rust_decimal::Decimal| rust_decimal::prelude::ToPrimitive::to_f64(&d).unwrap_or_default();
        let status = serde_json::to_value(order.status).ok().and_then(|v| v.as_str().map(str::to_string));
        let point = AnalyticsEngineDataPointBuilder::new()
            .indexes([account_id.as_str()])
            .blobs([
                "order".to_string(),
                order.product_id.to_string(),
                order.side.as_str().to_string(),
                status.unwrap_or_default(),
            ])
            .doubles([number(order.filled_size), number(order.filled_value), number(order.total_fees)])
            .build();
        match dataset.write_data_point(&point) {
            Ok(()) => meter.add(crate::billable::Billable { analytics_points: 1, ..Default::default() }),
            Err(error) => worker::console_warn!("analytics: {error}"),
        }
    }

    /// Loads the account from its log (funding a new one with the venue's capital) once per
    /// wake of the object.
    async fn open(&self, account_id: &str, meter: &Meter) -> Result<(), Failure> {
        if self.book.borrow().is_some() {
            return Ok(());
        }
        let hub = hub(&self.env)?;
        let venue: VenueSpec = call_json(&hub, &HubCall::Venue, meter).await?;
        let mut quotes = Vec::new();
        for product in &venue.products {
            if let Ok(latest) =
                call_json::<_, LatestQuote>(&hub, &HubCall::Quote { product_id: product.product_id }, meter).await
            {
                quotes.push(latest.quote);
            }
        }
        if self.book.borrow().is_some() {
            return Ok(());
        }
        let book = self.rebuild(account_id, &venue, &quotes, meter)?;
        *self.book.borrow_mut() = Some(book);
        Ok(())
    }

    fn rebuild(&self, account_id: &str, venue: &VenueSpec, quotes: &[Quote], meter: &Meter) -> Result<Book, Failure> {
        let broken = |what: &str, e: &dyn std::fmt::Display| {
            Failure::unavailable(format!("account {account_id}: {what}: {e}"), RetryAfter::FAULT)
        };
        let log: Vec<AccountEvent> = self
            .sql_rows(meter, "SELECT event FROM events ORDER BY seq", vec![])?
            .iter()
            .map(|row| serde_json::from_str(row))
            .collect::<Result<_, _>>()
            .map_err(|e| broken("its event log does not read back", &e))?;
        let account = Account::replay_with_retention(&log, venue.exchange.retained_orders)
            .map_err(|e| broken("its event log does not replay", &e))?;
        let mut engine =
            MatchingEngine::resume(venue.exchange.clone(), account).map_err(|e| broken("the venue's config", &e))?;
        for product in &venue.products {
            engine.list_product(product.clone()).map_err(|e| broken("a product", &e))?;
        }
        if log.is_empty() {
            let at = quotes.first().map(|q| q.time).unwrap_or_default();
            engine.deposit(venue.quote_currency, venue.initial_capital, at).map_err(|e| broken("funding", &e))?;
        }
        let mut fills = VecDeque::new();
        for event in &log {
            remember_fill(&mut fills, event);
        }
        let mut orders = OrderSnapshot::new(venue.exchange.retained_orders);
        let mut known: Vec<&Order> = engine.account().orders().collect();
        known.sort_by_key(|o| o.created_time);
        for order in known {
            orders.upsert(order);
        }
        let mut book = Book {
            account_id: account_id.to_string(),
            engine,
            gate: PreTradeGate::new(&venue.guard),
            orders,
            fills,
            told_resting: None,
        };
        for quote in quotes {
            apply_quote(&mut book, quote);
        }
        self.persist(&mut book, None, meter)?;
        Ok(book)
    }

    fn read(&self, f: impl FnOnce(&Book) -> Answer) -> Answer {
        let book = self.book.borrow();
        let book = book.as_ref().ok_or_else(|| Failure::unavailable("the account is not open", RetryAfter::FAULT))?;
        f(book)
    }

    /// Runs one change of the account and stores its events (and audit record) before
    /// anything is answered: all in one synchronous step.
    fn write<T>(
        &self,
        meter: &Meter,
        f: impl FnOnce(&mut Book, coinswarm_core::time::Timestamp) -> Result<(Result<T, Failure>, Option<String>), Failure>,
    ) -> Result<(Result<T, Failure>, Changed), Failure> {
        let mut guard = self.book.borrow_mut();
        let book = guard.as_mut().ok_or_else(|| Failure::unavailable("the account is not open", RetryAfter::FAULT))?;
        let now = book.engine.now();
        let (result, audit) = f(book, now)?;
        match self.persist(book, audit.map(|a| (now.millis(), a)), meter) {
            Ok(changed) => Ok((result, changed)),
            Err(failure) => {
                // The engine ran ahead of what was stored: forget it, and rebuild from the log.
                *guard = None;
                Err(failure)
            }
        }
    }

    /// Writes the engine's new events (and an audit record) and folds them into the readers'
    /// snapshots. A write that fails leaves the object to be rebuilt from what was stored.
    fn persist(&self, book: &mut Book, audit: Option<(i64, String)>, meter: &Meter) -> Result<Changed, Failure> {
        let events: Vec<AccountEvent> = book.engine.drain_events().collect();
        let sql = self.state.storage().sql();
        let stored = (|| -> worker::Result<()> {
            for event in &events {
                let text = serde_json::to_string(event).map_err(|e| worker::Error::RustError(e.to_string()))?;
                meter.sql(&sql.exec(
                    "INSERT INTO events (seq, event) VALUES (?, ?)",
                    vec![SqlStorageValue::Integer(event.seq as i64), text.into()],
                )?);
            }
            if let Some((time_ms, record)) = &audit {
                meter.sql(&sql.exec(
                    "INSERT INTO audit (time_ms, record) VALUES (?, ?)",
                    vec![(*time_ms).into(), record.clone().into()],
                )?);
            }
            Ok(())
        })();
        if let Err(error) = stored {
            return Err(Failure::unavailable_as(
                ErrorCode::StorageFailed,
                format!("the account's storage failed, nothing was acknowledged: {error}"),
                RetryAfter::FAULT,
            ));
        }
        let mut changed = Changed { fills: Vec::new(), resting: false };
        for event in &events {
            remember_fill(&mut book.fills, event);
            if let EventKind::OrderFilled { fill } | EventKind::OrderPartiallyFilled { fill } = &event.kind {
                changed.fills.push(fill.clone());
            }
        }
        for event in &events {
            if let Some(order) = event.kind.order_id().and_then(|id| book.engine.account().order(id)) {
                book.orders.upsert(order);
            }
        }
        changed.resting = book.engine.account().orders().any(|o| o.status.is_live());
        Ok(changed)
    }

    fn sql_rows(&self, meter: &Meter, query: &str, bindings: Vec<SqlStorageValue>) -> Result<Vec<String>, Failure> {
        #[derive(Deserialize)]
        struct Row {
            #[serde(alias = "event", alias = "record")]
            text: String,
        }
        let cursor = self.state.storage().sql().exec(query, bindings).map_err(http::unavailable)?;
        let rows: Vec<Row> = cursor.to_array().map_err(http::unavailable)?;
        meter.sql(&cursor);
        Ok(rows.into_iter().map(|r| r.text).collect())
    }

    /// Tells the hub about new fills (for the `fills` stream) and whether the account now
    /// has resting orders (the hub forwards market events only to those that do).
    async fn tell_hub(&self, changed: Changed, meter: &Meter) {
        let account_id = self.book.borrow().as_ref().map(|b| b.account_id.clone());
        if let Some(account_id) = account_id
            && let Err(failure) = super::post_trade::enqueue(&self.env, meter, &account_id, &changed.fills).await
        {
            worker::console_warn!("post-trade work not queued: {failure}");
        }
        let told = self.book.borrow().as_ref().and_then(|b| b.told_resting);
        if changed.fills.is_empty() && told == Some(changed.resting) {
            return;
        }
        let Some(account_id) = self.book.borrow().as_ref().map(|b| b.account_id.clone()) else { return };
        let call = HubCall::AccountChanged { account_id, fills: changed.fills, resting: changed.resting };
        match hub(&self.env) {
            Ok(stub) => match http::call(&stub, &call, meter).await {
                Ok(response) if response.status_code() < 400 => self.note_resting(changed.resting),
                Ok(response) => worker::console_warn!("the hub refused an account change: {}", response.status_code()),
                Err(failure) => worker::console_warn!("the hub is unreachable: {failure}"),
            },
            Err(failure) => worker::console_warn!("no hub binding: {failure}"),
        }
    }

    fn note_resting(&self, resting: bool) {
        if let Some(book) = self.book.borrow_mut().as_mut() {
            book.told_resting = Some(resting);
        }
    }
}

/// What a stored change did: its fills, and whether orders still rest.
struct Changed {
    fills: Vec<Fill>,
    resting: bool,
}

fn ensure_listed(book: &Book, request: &OrderRequest) -> Result<(), Failure> {
    listed(book, request.product_id)
}

fn listed(book: &Book, product_id: coinswarm_core::market::ProductId) -> Result<(), Failure> {
    if book.engine.products().iter().any(|p| p.product_id == product_id) {
        Ok(())
    } else {
        Err(Failure::not_found(format!("product {product_id} is not listed")))
    }
}

/// A quote too old to fill at: the agent tier publishes quotes as they come, so a fresh one
/// is due within a second while its feed runs.
fn stale(message: String) -> Failure {
    Failure::unavailable_as(ErrorCode::MarketStale, message, RetryAfter::secs(1))
}

/// Feeds a quote to the engine unless it already saw it (or a later one).
fn apply_quote(book: &mut Book, quote: &Quote) {
    let seen = book.engine.quote(quote.product_id).is_some_and(|q| q.time >= quote.time);
    if !seen && let Err(error) = book.engine.on_quote(quote) {
        worker::console_warn!("account {}: quote refused: {error}", book.account_id);
    }
}

/// The audit log's record of an order or cancellation from outside the swarm (the same as
/// `coinswarm up`'s).
fn audit_record(time_ms: i64, kind: &str, origin: &Origin, request: Value, outcome: Value) -> String {
    json!({"time": time_ms, "kind": kind, "origin": origin, "request": request, "outcome": outcome}).to_string()
}

fn remember_fill(fills: &mut VecDeque<Fill>, event: &AccountEvent) {
    if let EventKind::OrderFilled { fill } | EventKind::OrderPartiallyFilled { fill } = &event.kind {
        fills.push_front(fill.clone());
        fills.truncate(RECENT_FILLS);
    }
}
