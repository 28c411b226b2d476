//! `MarketHub`: the market at the edge, one Durable Object. It applies the agent tier's
//! batches once each (by run and sequence number), keeps the venue, every product's latest
//! quote (with when it arrived), the bars and the swarm's decisions in its SQLite storage,
//! answers the market routes from `coinswarm_api`'s market board, forwards quotes to the
//! accounts that have resting orders, and serves `/stream` (see `hub_stream`).

use super::account_object::AccountEnvelope;
use super::archive;
use super::http::{self, Answer, now_ms};
use super::hub_stream::{self, Outgoing};
use super::meter::Meter;
use super::objects;
use super::replicas;
use crate::calls::{AccountCall, HubCall, LatestQuote, MarketApplied};
use coinswarm_api::edge::{
    EdgeBatch, IngestAck, StreamEvent, StreamPosition, StreamPositions, VenueSpec, next_in_order, streams,
};
use coinswarm_api::market_board::MarketBoard;
use coinswarm_api::validation::{self, DECISIONS_PAGE};
use coinswarm_api::{ErrorCode, Failure, RetryAfter, views};
use coinswarm_core::market::{Candle, ProductId, Quote};
use coinswarm_data::columnar::archive_month;
use serde::Deserialize;
use serde_json::Value;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use worker::{
    DurableObject, Env, Request, Response, SqlStorageValue, State, WebSocket, WebSocketIncomingMessage, durable_object,
};

/// Most candles one request returns (Coinbase's page size, as in `coinswarm up`).
const MAX_CANDLES: usize = 350;
/// Decision records kept for `GET /api/decisions`.
const KEPT_DECISIONS: i64 = 1_000;

#[durable_object]
pub struct MarketHub {
    state: State,
    env: Env,
    market: RefCell<Option<Market>>,
}

/// What the hub holds, rebuilt from its storage when it wakes.
struct Market {
    venue: VenueSpec,
    board: MarketBoard,
    received_ms: HashMap<ProductId, i64>,
    last_heartbeat_ms: i64,
}

#[derive(Deserialize)]
struct TextRow {
    text: String,
}

/// Each stream's last applied seq (or first wanted, in a resend request).
type Positions = BTreeMap<String, u64>;

#[derive(Deserialize)]
struct PositionRow {
    stream: String,
    last_seq: f64,
    applied: f64,
    duplicates: f64,
    gaps: f64,
}

#[derive(Deserialize)]
struct BarRow {
    product_id: String,
    text: String,
}

#[derive(Deserialize)]
struct QuoteRow {
    text: String,
    received_ms: f64,
}

impl DurableObject for MarketHub {
    fn new(state: State, env: Env) -> Self {
        let sql = state.storage().sql();
        for statement in [
            "CREATE TABLE IF NOT EXISTS venue (id INTEGER PRIMARY KEY CHECK (id = 1), text TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS quotes (product_id TEXT PRIMARY KEY, text TEXT NOT NULL, received_ms INTEGER NOT NULL)",
            "CREATE TABLE IF NOT EXISTS candles (product_id TEXT NOT NULL, start_ms INTEGER NOT NULL, month TEXT NOT NULL, \
             text TEXT NOT NULL, PRIMARY KEY (product_id, start_ms))",
            "CREATE TABLE IF NOT EXISTS archived (product_id TEXT NOT NULL, month TEXT NOT NULL, PRIMARY KEY (product_id, month))",
            "CREATE TABLE IF NOT EXISTS decisions (seq INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS swarm (id INTEGER PRIMARY KEY CHECK (id = 1), text TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS runs (run TEXT PRIMARY KEY, last_seq INTEGER NOT NULL)",
            "CREATE TABLE IF NOT EXISTS streams (stream TEXT PRIMARY KEY, last_seq INTEGER NOT NULL, \
             applied INTEGER NOT NULL, duplicates INTEGER NOT NULL, gaps INTEGER NOT NULL)",
            "CREATE TABLE IF NOT EXISTS resting (account_id TEXT PRIMARY KEY)",
        ] {
            if let Err(error) = sql.exec(statement, None) {
                worker::console_error!("market hub schema: {error}");
            }
        }
        Self { state, env, market: RefCell::new(None) }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        if req.path() == "/stream" {
            return Ok(hub_stream::accept(&self.state).unwrap_or_else(|failure| http::failure(&failure)));
        }
        let meter = Meter::default();
        let answer = match http::read_json::<HubCall>(&mut req).await {
            Ok(call) => self.answer(call, &meter).await,
            Err(error) => {
                Err(Failure::unavailable(format!("a malformed call reached the hub: {error}"), RetryAfter::FAULT))
            }
        };
        Ok(meter.stamp(answer.unwrap_or_else(|failure| http::failure(&failure))))
    }

    async fn websocket_message(&self, ws: WebSocket, message: WebSocketIncomingMessage) -> worker::Result<()> {
        let listed: Vec<ProductId> = self
            .loaded(&Meter::default())
            .map(|venue| venue.products.iter().map(|p| p.product_id).collect())
            .unwrap_or_default();
        hub_stream::on_message(&self.env, &ws, message, &listed).await;
        Ok(())
    }

    async fn websocket_close(&self, _ws: WebSocket, _code: usize, _reason: String, _clean: bool) -> worker::Result<()> {
        Ok(())
    }
}

impl MarketHub {
    async fn answer(&self, call: HubCall, meter: &Meter) -> Answer {
        match call {
            HubCall::Ingest { batch } => self.ingest(*batch, meter).await,
            HubCall::Venue => http::json(200, &self.with_market(meter, |m| Ok(m.venue.clone()))?),
            HubCall::Quote { product_id } => {
                let latest = self.with_market(meter, |m| {
                    let quote = m.board.last_quotes().into_iter().find(|q| q.product_id == product_id);
                    let received_ms = m.received_ms.get(&product_id).copied().unwrap_or_default();
                    quote
                        .map(|quote| LatestQuote { quote, received_ms })
                        .ok_or_else(|| Failure::unavailable("no market data yet", RetryAfter::LINK))
                })?;
                http::json(200, &latest)
            }
            HubCall::AccountChanged { account_id, fills, resting } => {
                let sql = self.state.storage().sql();
                let statement = if resting {
                    "INSERT OR IGNORE INTO resting (account_id) VALUES (?)"
                } else {
                    "DELETE FROM resting WHERE account_id = ?"
                };
                meter.exec(&sql, statement, vec![account_id.clone().into()]).map_err(http::unavailable)?;
                hub_stream::broadcast(&self.state, &Outgoing::fills(&account_id, &fills));
                http::json(200, &serde_json::json!({"success": true}))
            }
            HubCall::Products => self.with_market(meter, |m| {
                http::json(
                    200,
                    &views::Products { products: m.venue.products.iter().map(views::ProductRules::from).collect() },
                )
            }),
            HubCall::MarketData { product_id } => self.with_market(meter, |m| {
                listed(m, product_id)?;
                let data = m
                    .board
                    .market_data(product_id)
                    .ok_or_else(|| Failure::unavailable("no market data yet", RetryAfter::LINK))?;
                http::json(200, &data)
            }),
            HubCall::Candles { product_id, granularity, start, end } => {
                let (replayed, venue, start, end, held) = self.with_market(meter, |m| {
                    listed(m, product_id)?;
                    let replayed = m.board.granularity();
                    let asked = granularity.as_deref().map(validation::granularity).transpose()?;
                    if asked.is_some_and(|asked| asked != replayed) {
                        return Err(Failure::new(
                            ErrorCode::UnsupportedGranularity,
                            format!("the feed replays {replayed} bars; ask for that granularity"),
                        ));
                    }
                    let start = validation::time(start.as_deref(), "start", false)?.unwrap_or(i64::MIN);
                    let end = validation::time(end.as_deref(), "end", true)?.unwrap_or(i64::MAX);
                    if start > end {
                        return Err(Failure::new(ErrorCode::InvalidTime, "start is after end"));
                    }
                    let held = m.board.candles(product_id, start, end, MAX_CANDLES).unwrap_or_default();
                    let oldest = m.board.candles(product_id, i64::MIN, i64::MAX, 1).unwrap_or_default();
                    Ok((replayed, m.venue.venue.clone(), start, end, (held, oldest.first().map(|c| c.start.millis()))))
                })?;
                let (held, oldest_held) = held;
                // Bars older than the hub holds come from the archive.
                let mut candles = Vec::new();
                let archived_end = oldest_held.map_or(end, |oldest| end.min(oldest - 1));
                if start <= archived_end {
                    let shelf = archive::Shelf { venue: &venue, product_id, granularity: replayed };
                    candles = shelf.read(&self.env, meter, start, archived_end, MAX_CANDLES).await?;
                }
                candles.extend(held.into_iter().take(MAX_CANDLES - candles.len()));
                http::json(200, &views::Candles { candles, granularity: replayed, product_id })
            }
            HubCall::Decisions { limit } => {
                let limit = DECISIONS_PAGE.limit(Some(limit))?;
                let rows = self.rows(
                    meter,
                    "SELECT text FROM decisions ORDER BY seq DESC LIMIT ?",
                    vec![(limit as i64).into()],
                )?;
                let decisions = rows.iter().filter_map(|r: &TextRow| serde_json::from_str(&r.text).ok()).collect();
                http::json(200, &views::Decisions { decisions })
            }
            HubCall::Swarm => http::json(200, &self.swarm_state(meter)?),
            HubCall::Streams => {
                let streams = self.positions(meter)?.into_values().collect();
                http::json(200, &StreamPositions { streams })
            }
            HubCall::Housekeeping => {
                let quotes = self.with_market(meter, |m| Ok(m.board.last_quotes()))?;
                self.forward(meter, &quotes).await?;
                http::json(200, &serde_json::json!({"success": true}))
            }
            HubCall::Ready => self.with_market(meter, |m| {
                if m.board.last_quotes().is_empty() {
                    return Err(Failure::unavailable("waiting for the first market data", RetryAfter::LINK));
                }
                http::json(200, &views::Health { status: "ready" })
            }),
        }
    }

    /// Applies a batch once: stored in one synchronous step, then streamed and forwarded to
    /// the accounts with resting orders (before it is acknowledged, so the next batch's
    /// quotes never overtake this one's).
    async fn ingest(&self, mut batch: EdgeBatch, meter: &Meter) -> Answer {
        // The durable streams first, each event once by its own number, whether or not the
        // batch's market part was applied before.
        let (streams, resend_from) = self.apply_streams(std::mem::take(&mut batch.events), meter).await?;
        let sql = self.state.storage().sql();
        let last: Vec<TextRow> = self.rows(
            meter,
            "SELECT CAST(last_seq AS TEXT) AS text FROM runs WHERE run = ?",
            vec![batch.run.clone().into()],
        )?;
        if last.first().and_then(|r| r.text.parse::<u64>().ok()).is_some_and(|last| batch.seq <= last) {
            return http::json(200, &IngestAck { applied: false, seq: batch.seq, streams, resend_from });
        }
        if batch.venue.is_none() && self.loaded(meter).is_none() {
            return Err(Failure::new(
                ErrorCode::InvalidBody,
                "the edge has no venue yet: send it with the run's first batch",
            )
            .with_status(422));
        }
        let now = now_ms();
        let stored = (|| -> worker::Result<()> {
            if let Some(venue) = &batch.venue {
                meter.exec(
                    &sql,
                    "INSERT OR REPLACE INTO venue (id, text) VALUES (1, ?)",
                    vec![to_text(venue)?.into()],
                )?;
            }
            // One row per product holds its latest quote: only each product's last quote in
            // the batch is written (the earlier ones would be replaced in this same step).
            let mut latest: Vec<&Quote> = Vec::new();
            for quote in &batch.quotes {
                match latest.iter_mut().find(|held| held.product_id == quote.product_id) {
                    Some(held) => *held = quote,
                    None => latest.push(quote),
                }
            }
            for quote in latest {
                meter.exec(
                    &sql,
                    "INSERT OR REPLACE INTO quotes (product_id, text, received_ms) VALUES (?, ?, ?)",
                    vec![quote.product_id.to_string().into(), to_text(quote)?.into(), now.into()],
                )?;
            }
            for bar in &batch.candles {
                meter.exec(
                    &sql,
                    "INSERT OR REPLACE INTO candles (product_id, start_ms, month, text) VALUES (?, ?, ?, ?)",
                    vec![
                        bar.product_id.to_string().into(),
                        bar.candle.start.millis().into(),
                        archive_month(&bar.candle).into(),
                        to_text(&bar.candle)?.into(),
                    ],
                )?;
            }
            if let Some(swarm) = &batch.swarm {
                meter.exec(
                    &sql,
                    "INSERT OR REPLACE INTO swarm (id, text) VALUES (1, ?)",
                    vec![swarm.to_string().into()],
                )?;
            }
            meter.exec(
                &sql,
                "INSERT OR REPLACE INTO runs (run, last_seq) VALUES (?, ?)",
                vec![batch.run.clone().into(), SqlStorageValue::Integer(batch.seq as i64)],
            )?;
            Ok(())
        })();
        stored.map_err(|e| {
            Failure::unavailable_as(
                ErrorCode::StorageFailed,
                format!("the hub could not store the batch: {e}"),
                RetryAfter::FAULT,
            )
        })?;
        if batch.venue.is_some() {
            *self.market.borrow_mut() = None;
        }
        let heartbeat = self.with_market(meter, |m| {
            for quote in &batch.quotes {
                m.board.on_quote(quote);
                m.received_ms.insert(quote.product_id, now);
            }
            for bar in &batch.candles {
                m.board.on_bar(bar.product_id, bar.candle);
            }
            let due = now - m.last_heartbeat_ms >= 1_000;
            if due {
                m.last_heartbeat_ms = now;
            }
            Ok(due.then(|| m.board.last_quotes().iter().map(|q| q.time).max()))
        })?;
        hub_stream::broadcast(&self.state, &Outgoing::market(&batch, heartbeat, now));
        self.archive_closed_months(&batch, meter).await?;
        if !batch.quotes.is_empty() {
            self.forward(meter, &batch.quotes).await?;
        }
        http::json(200, &IngestAck { applied: true, seq: batch.seq, streams, resend_from })
    }

    /// Applies the durable streams' events: each stream's next events in order, once (see
    /// `next_in_order`). The replicas in D1 are written first (a second write of a row changes
    /// nothing), then, in one synchronous step of the hub's storage (no other call runs in
    /// between), the decisions and the streams' new positions, decided again against the
    /// positions as they are then. Returns each stream's last applied, and where a gap asks
    /// for a resend.
    async fn apply_streams(&self, events: Vec<StreamEvent>, meter: &Meter) -> Result<(Positions, Positions), Failure> {
        let mut by_stream: BTreeMap<String, Vec<StreamEvent>> = BTreeMap::new();
        for event in events {
            replicas::check_stream(&event.stream)?;
            by_stream.entry(event.stream.clone()).or_default().push(event);
        }
        if by_stream.is_empty() {
            return Ok(Default::default());
        }
        let before = self.positions(meter)?;
        let mut replicated = Vec::new();
        for (stream, delivered) in &by_stream {
            if stream != streams::DECISIONS {
                let last = before.get(stream).map_or(0, |p| p.last_seq);
                replicated.extend(next_in_order(last, delivered.clone()).0);
            }
        }
        let replicated = replicas::statements(&self.env, &replicated)?;
        let stale_predictions = replicated.stale_predictions.clone();
        replicas::write(&self.env, meter, replicated).await?;
        // Before the new positions show, so that a reader who sees a pattern applied never
        // reads the prediction it made stale.
        replicas::invalidate_predictions(&self.env, meter, &stale_predictions).await;
        let mut positions = self.positions(meter)?;
        let (mut applied, mut resend_from) = (Positions::new(), Positions::new());
        let mut decisions = Vec::new();
        let sql = self.state.storage().sql();
        let stored = (|| -> worker::Result<()> {
            for (stream, delivered) in by_stream {
                let position = positions
                    .entry(stream.clone())
                    .or_insert_with(|| StreamPosition { stream: stream.clone(), ..StreamPosition::default() });
                let (apply, duplicates, gap) = next_in_order(position.last_seq, delivered);
                if stream == streams::DECISIONS {
                    for event in &apply {
                        meter.exec(
                            &sql,
                            "INSERT INTO decisions (text) VALUES (?)",
                            vec![event.payload.to_string().into()],
                        )?;
                    }
                    decisions.extend(apply.iter().map(|event| event.payload.clone()));
                    if !apply.is_empty() {
                        meter.exec(
                            &sql,
                            "DELETE FROM decisions WHERE seq <= (SELECT MAX(seq) FROM decisions) - ?",
                            vec![KEPT_DECISIONS.into()],
                        )?;
                    }
                }
                position.last_seq += apply.len() as u64;
                position.applied += apply.len() as u64;
                position.duplicates += duplicates;
                if let Some(from) = gap {
                    position.gaps += 1;
                    resend_from.insert(stream.clone(), from);
                }
                applied.insert(stream.clone(), position.last_seq);
                meter.exec(
                    &sql,
                    "INSERT OR REPLACE INTO streams (stream, last_seq, applied, duplicates, gaps) VALUES (?, ?, ?, ?, ?)",
                    vec![
                        stream.into(),
                        SqlStorageValue::Integer(position.last_seq as i64),
                        SqlStorageValue::Integer(position.applied as i64),
                        SqlStorageValue::Integer(position.duplicates as i64),
                        SqlStorageValue::Integer(position.gaps as i64),
                    ],
                )?;
            }
            Ok(())
        })();
        stored.map_err(|e| {
            Failure::unavailable_as(
                ErrorCode::StorageFailed,
                format!("the hub could not apply the streams: {e}"),
                RetryAfter::FAULT,
            )
        })?;
        if !decisions.is_empty() {
            hub_stream::broadcast(&self.state, &Outgoing::decisions(&decisions));
        }
        Ok((applied, resend_from))
    }

    /// Each durable stream's position.
    fn positions(&self, meter: &Meter) -> Result<BTreeMap<String, StreamPosition>, Failure> {
        let rows: Vec<PositionRow> = self.rows(
            meter,
            "SELECT stream, last_seq, applied, duplicates, gaps FROM streams ORDER BY stream",
            vec![],
        )?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let position = StreamPosition {
                    stream: r.stream.clone(),
                    last_seq: r.last_seq as u64,
                    applied: r.applied as u64,
                    duplicates: r.duplicates as u64,
                    gaps: r.gaps as u64,
                };
                (r.stream, position)
            })
            .collect())
    }

    /// Writes each month the batch's bars have closed to the R2 archive, once, then keeps
    /// only its last two days in SQLite (for the 24-hour statistics after a wake). A month
    /// whose write fails stays here and is tried again with the next batch.
    async fn archive_closed_months(&self, batch: &EdgeBatch, meter: &Meter) -> Result<(), Failure> {
        let mut latest: HashMap<ProductId, &coinswarm_core::market::Candle> = HashMap::new();
        for bar in &batch.candles {
            latest.insert(bar.product_id, &bar.candle);
        }
        if latest.is_empty() {
            return Ok(());
        }
        let (venue, granularity) = self.with_market(meter, |m| Ok((m.venue.venue.clone(), m.board.granularity())))?;
        for (product_id, candle) in latest {
            let product = product_id.to_string();
            let month = archive_month(candle);
            let closed: Vec<TextRow> = self.rows(
                meter,
                "SELECT DISTINCT month AS text FROM candles WHERE product_id = ? AND month < ? \
                 AND month NOT IN (SELECT month FROM archived WHERE product_id = ?) ORDER BY month",
                vec![product.clone().into(), month.clone().into(), product.clone().into()],
            )?;
            for closed in closed {
                let rows: Vec<TextRow> = self.rows(
                    meter,
                    "SELECT text FROM candles WHERE product_id = ? AND month = ? ORDER BY start_ms",
                    vec![product.clone().into(), closed.text.clone().into()],
                )?;
                let bars: Vec<_> = rows.iter().filter_map(|r| serde_json::from_str(&r.text).ok()).collect();
                let shelf = archive::Shelf { venue: &venue, product_id, granularity };
                shelf.write_month(&self.env, meter, &closed.text, &bars).await?;
                let sql = self.state.storage().sql();
                meter
                    .exec(
                        &sql,
                        "INSERT OR IGNORE INTO archived (product_id, month) VALUES (?, ?)",
                        vec![product.clone().into(), closed.text.clone().into()],
                    )
                    .map_err(http::unavailable)?;
            }
            let keep_from = candle.start.millis() - 2 * 86_400_000;
            let sql = self.state.storage().sql();
            meter
                .exec(
                    &sql,
                    "DELETE FROM candles WHERE product_id = ? AND start_ms < ? \
                     AND month IN (SELECT month FROM archived WHERE product_id = ?)",
                    vec![product.clone().into(), keep_from.into(), product.into()],
                )
                .map_err(http::unavailable)?;
        }
        Ok(())
    }

    /// Sends the batch's quotes to every account with resting orders, and streams their fills.
    async fn forward(&self, meter: &Meter, quotes: &[Quote]) -> Result<(), Failure> {
        let accounts: Vec<TextRow> = self.rows(meter, "SELECT account_id AS text FROM resting", vec![])?;
        for account in accounts {
            let stub = objects::account(&self.env, &account.text)?;
            let call = AccountEnvelope {
                account_id: account.text.clone(),
                call: AccountCall::Market { quotes: quotes.to_vec() },
            };
            match http::call_json::<_, MarketApplied>(&stub, &call, meter).await {
                Ok(applied) => {
                    if !applied.fills.is_empty() {
                        hub_stream::broadcast(&self.state, &Outgoing::fills(&account.text, &applied.fills));
                    }
                    if !applied.resting {
                        let sql = self.state.storage().sql();
                        meter
                            .exec(&sql, "DELETE FROM resting WHERE account_id = ?", vec![account.text.clone().into()])
                            .map_err(http::unavailable)?;
                    }
                }
                Err(failure) => worker::console_warn!("account {}: market events not applied: {failure}", account.text),
            }
        }
        Ok(())
    }

    fn swarm_state(&self, meter: &Meter) -> Result<Value, Failure> {
        let rows = self.rows(meter, "SELECT text FROM swarm WHERE id = 1", vec![])?;
        let row: &TextRow =
            rows.first().ok_or_else(|| Failure::unavailable("the swarm is not running", RetryAfter::LINK))?;
        serde_json::from_str(&row.text).map_err(|e| Failure::unavailable(e.to_string(), RetryAfter::FAULT))
    }

    fn rows<R: serde::de::DeserializeOwned>(
        &self,
        meter: &Meter,
        query: &str,
        bindings: Vec<SqlStorageValue>,
    ) -> Result<Vec<R>, Failure> {
        let cursor = self.state.storage().sql().exec(query, bindings).map_err(http::unavailable)?;
        let rows = cursor.to_array().map_err(http::unavailable)?;
        meter.sql(&cursor);
        Ok(rows)
    }

    /// Whether the hub has a venue (loading it from storage if needed), and its products.
    fn loaded(&self, meter: &Meter) -> Option<VenueSpec> {
        self.with_market(meter, |m| Ok(m.venue.clone())).ok()
    }

    fn with_market<T>(&self, meter: &Meter, f: impl FnOnce(&mut Market) -> Result<T, Failure>) -> Result<T, Failure> {
        if self.market.borrow().is_none() {
            let market = self.load(meter)?;
            *self.market.borrow_mut() = Some(market);
        }
        let mut guard = self.market.borrow_mut();
        let market = guard
            .as_mut()
            .ok_or_else(|| Failure::unavailable("the agent tier has not published its venue yet", RetryAfter::LINK))?;
        f(market)
    }

    fn load(&self, meter: &Meter) -> Result<Market, Failure> {
        let venue: Vec<TextRow> = self.rows(meter, "SELECT text FROM venue WHERE id = 1", vec![])?;
        let venue: VenueSpec = match venue.first() {
            Some(row) => {
                serde_json::from_str(&row.text).map_err(|e| Failure::unavailable(e.to_string(), RetryAfter::FAULT))?
            }
            None => {
                return Err(Failure::unavailable("the agent tier has not published its venue yet", RetryAfter::LINK));
            }
        };
        let board = MarketBoard::new(venue.products.clone(), venue.granularity);
        let bars: Vec<BarRow> =
            self.rows(meter, "SELECT product_id, text FROM candles ORDER BY product_id, start_ms", vec![])?;
        for bar in bars {
            if let (Ok(candle), Ok(product_id)) = (serde_json::from_str::<Candle>(&bar.text), bar.product_id.parse()) {
                board.on_bar(product_id, candle);
            }
        }
        let quotes: Vec<QuoteRow> = self.rows(meter, "SELECT text, received_ms FROM quotes", vec![])?;
        let mut received_ms = HashMap::new();
        for row in quotes {
            if let Ok(quote) = serde_json::from_str::<Quote>(&row.text) {
                board.on_quote(&quote);
                received_ms.insert(quote.product_id, row.received_ms as i64);
            }
        }
        Ok(Market { venue, board, received_ms, last_heartbeat_ms: 0 })
    }
}

fn listed(market: &Market, product_id: ProductId) -> Result<(), Failure> {
    if market.venue.products.iter().any(|p| p.product_id == product_id) {
        Ok(())
    } else {
        Err(Failure::not_found(format!("product {product_id} is not listed")))
    }
}

fn to_text<T: serde::Serialize>(value: &T) -> worker::Result<String> {
    serde_json::to_string(value).map_err(|e| worker::Error::RustError(e.to_string()))
}
