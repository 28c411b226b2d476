//! The trading desk: what a caller may read and do, whatever the transport. The REST
//! handlers and the MCP tools are thin layers over these functions, so both answer the same
//! question the same way, check the same scopes and send orders down the same guarded path.

pub mod backtest;
pub mod permit;
mod services;

pub use permit::{Admin, Permit, Read, Trade};
pub use services::Desk;

use crate::adapters::keys::{ApiKey, Scope};
use crate::adapters::store::{EpisodeStore, Kv};
use crate::session::{
    OrderOrigin, OrderPreview, OrderRefusal, RecallNow, SWARM_ACCOUNT, SessionError, SessionHandle,
    hide_account_figures,
};
use bytes::Bytes;
use coinswarm_api::{ErrorCode, Failure, RetryAfter, validation, views};
use coinswarm_core::exchange::{Order, OrderRequest};
use coinswarm_core::market::ProductId;
use coinswarm_core::risk::RiskEvent;
use coinswarm_core::time::Timestamp;
use serde_json::Value;
use std::time::Duration;

/// Most candles one request returns (Coinbase's page size).
pub const MAX_CANDLES: usize = 350;

pub use coinswarm_api::access::{may_see, require};
pub use coinswarm_api::validation::{ACCOUNT_PAGE, DECISIONS_PAGE};

/// Every listed product with its trading rules.
pub fn products(parts: &Desk) -> views::Products {
    views::Products { products: parts.board.products().iter().map(views::ProductRules::from).collect() }
}

/// One listed product with its rules (404 when not listed).
pub fn product(parts: &Desk, text: &str) -> Result<views::ProductRules, Failure> {
    let product_id = listed_product(parts, text)?;
    let product = parts.board.products().iter().find(|p| p.product_id == product_id).map(views::ProductRules::from);
    product.ok_or_else(|| Failure::not_found(format!("product {product_id} is not listed")))
}

/// Parses a product id and checks it is listed.
pub fn listed_product(parts: &Desk, text: &str) -> Result<ProductId, Failure> {
    ensure_listed(parts, validation::product_id(text)?)
}

/// An optional product filter: `None`, or a listed product.
pub fn product_filter(parts: &Desk, text: Option<&str>) -> Result<Option<ProductId>, Failure> {
    text.map(|p| listed_product(parts, p)).transpose()
}

/// The product, if the feed lists it; 404 otherwise.
pub fn ensure_listed(parts: &Desk, product_id: ProductId) -> Result<ProductId, Failure> {
    if !parts.board.products().iter().any(|p| p.product_id == product_id) {
        return Err(Failure::not_found(format!("product {product_id} is not listed")));
    }
    Ok(product_id)
}

/// Best bid and ask, last trade and 24 h statistics, as JSON, through the `Kv` cache.
pub fn market_data(parts: &Desk, product: &str) -> Result<Bytes, Failure> {
    let product_id = listed_product(parts, product)?;
    let key = format!("market-data:{product_id}");
    if let Some(body) = parts.kv.get(&key) {
        return Ok(body);
    }
    let data = parts.board.market_data(product_id).ok_or_else(|| {
        let due = RetryAfter::millis(parts.bar_interval_ms());
        Failure::unavailable(format!("no market data yet: the feed's first is due within a bar (about {due})"), due)
    })?;
    let body =
        Bytes::from(serde_json::to_vec(&data).map_err(|e| Failure::unavailable(e.to_string(), RetryAfter::FAULT))?);
    parts.kv.put(&key, body.clone(), Duration::from_millis(parts.config.cache.market_data_ttl_ms));
    Ok(body)
}

/// Candles of a product between two times (RFC 3339 or plain dates; `end` inclusive), at
/// most [`MAX_CANDLES`], oldest first.
pub fn candles(
    parts: &Desk,
    product: &str,
    granularity: Option<&str>,
    start: Option<&str>,
    end: Option<&str>,
) -> Result<views::Candles, Failure> {
    let product_id = listed_product(parts, product)?;
    let replayed = parts.board.granularity();
    if granularity.map(validation::granularity).transpose()?.is_some_and(|asked| asked != replayed) {
        return Err(Failure::new(
            ErrorCode::UnsupportedGranularity,
            format!("the feed replays {replayed} bars; ask for that granularity"),
        ));
    }
    let start = validation::time(start, "start", false)?.unwrap_or(i64::MIN);
    let end = validation::time(end, "end", true)?.unwrap_or(i64::MAX);
    if start > end {
        return Err(Failure::new(ErrorCode::InvalidTime, "start is after end"));
    }
    let candles = parts.board.candles(product_id, start, end, MAX_CANDLES).unwrap_or_default();
    Ok(views::Candles { candles, granularity: replayed, product_id })
}

/// The session of an account `key` may see, or 404 (an account the caller may not see is
/// answered exactly like one that does not exist).
pub async fn visible_session(parts: &Desk, key: &ApiKey, account_id: &str) -> Result<SessionHandle, Failure> {
    if !may_see(key, account_id) {
        return Err(Failure::not_found(format!("no account {account_id}")));
    }
    parts.session(account_id).await?.ok_or_else(|| Failure::not_found(format!("no account {account_id}")))
}

/// The accounts `key` may see: balances, positions, equity.
pub async fn accounts(parts: &Desk, permit: Permit<'_, Read>) -> Result<views::Accounts, Failure> {
    let key = permit.key();
    let ids = if key.allows(Scope::Admin) {
        parts.store.accounts().await.map_err(|e| Failure::unavailable(format!("{e:#}"), RetryAfter::FAULT))?
    } else {
        vec![key.account_id.clone()]
    };
    let mut accounts = Vec::new();
    for id in ids {
        // On a database shared with other processes, an admin's list holds the accounts this
        // process serves (each process lists its own); it takes none of the others.
        if key.allows(Scope::Admin) && parts.sessions.get(&id).is_none() && !parts.store.serves_alone() {
            continue;
        }
        if let Some(session) = parts.session(&id).await? {
            accounts.push(session.view().account(None));
        }
    }
    Ok(views::Accounts { accounts })
}

/// One account's balances, positions and equity (the key's own when `account_id` is `None`).
pub async fn account(
    parts: &Desk,
    permit: Permit<'_, Read>,
    account_id: Option<&str>,
) -> Result<views::Account, Failure> {
    let key = permit.key();
    let session = visible_session(parts, key, account_id.unwrap_or(&key.account_id)).await?;
    Ok(session.view().account(Some(parts.execution_mode(&session.account_id))))
}

/// Recent fills of the key's account, newest first (default 100, at most 1000).
pub async fn trades(
    parts: &Desk,
    permit: Permit<'_, Read>,
    product: Option<&str>,
    limit: Option<usize>,
) -> Result<views::Trades, Failure> {
    let key = permit.key();
    let limit = ACCOUNT_PAGE.limit(limit)?;
    let product = product_filter(parts, product)?;
    let session = visible_session(parts, key, &key.account_id).await?;
    let view = session.view();
    let trades = view.fills.iter().filter(|f| product.is_none_or(|p| f.product_id == p)).take(limit).cloned().collect();
    Ok(views::Trades { trades })
}

/// Orders of the key's account, newest first, optionally by status and product.
pub async fn orders(
    parts: &Desk,
    permit: Permit<'_, Read>,
    status: Option<&str>,
    product: Option<&str>,
    limit: Option<usize>,
) -> Result<views::Orders, Failure> {
    let key = permit.key();
    let limit = ACCOUNT_PAGE.limit(limit)?;
    let status = status.map(validation::order_status).transpose()?;
    let product = product_filter(parts, product)?;
    let session = visible_session(parts, key, &key.account_id).await?;
    let view = session.view();
    let orders = view
        .orders
        .iter()
        .filter(|o| status.is_none_or(|s| o.status == s) && product.is_none_or(|p| o.product_id == p))
        .take(limit)
        .cloned()
        .collect();
    Ok(views::Orders { orders })
}

/// Who placed and cancelled the key's account's orders through the API or MCP (channel,
/// key, MCP client and tool) and what came of it, newest first (default 100, at most 1000).
pub async fn order_audit(
    parts: &Desk,
    permit: Permit<'_, Read>,
    limit: Option<usize>,
) -> Result<views::OrderAudit, Failure> {
    let key = permit.key();
    let limit = ACCOUNT_PAGE.limit(limit)?;
    let lines = parts
        .store
        .order_audit(&key.account_id, limit as u32)
        .await
        .map_err(|e| Failure::unavailable(format!("{e:#}"), RetryAfter::FAULT))?;
    let records = lines.iter().filter_map(|line| serde_json::from_str(line).ok()).collect();
    Ok(views::OrderAudit { account_id: key.account_id.clone(), records })
}

/// One order of the key's account.
pub async fn order(parts: &Desk, permit: Permit<'_, Read>, id: &str) -> Result<Order, Failure> {
    let key = permit.key();
    let id = validation::order_id(id)?;
    let session = visible_session(parts, key, &key.account_id).await?;
    let view = session.view();
    view.orders.iter().find(|o| o.order_id == id).cloned().ok_or_else(|| Failure::not_found(format!("no order {id}")))
}

/// What only a key with the `live` scope may do on a live account: each adds exposure with
/// real money.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveAction {
    PlaceOrder,
    /// Restarting a halted swarm, which then sends its own orders.
    ResumeSwarm,
    /// Ending a drawdown breach, after which the swarm may buy again.
    ResetDrawdown,
}

/// Refuses with 403 `LIVE_SCOPE_REQUIRED` `action` on `account_id` when that account trades
/// real money (live mode's swarm account) and `key` lacks the `live` scope. The one check of
/// that permission, whatever the channel (REST, MCP over HTTP or stdio). Cancelling,
/// previewing, halting and reading need no `live`: none of them can add exposure.
pub fn require_live(parts: &Desk, key: &ApiKey, account_id: &str, action: LiveAction) -> Result<(), Failure> {
    if parts.execution_mode(account_id) != "live" || key.allows(Scope::Live) {
        return Ok(());
    }
    let (doing, scope) = match action {
        LiveAction::PlaceOrder => ("placing orders on it", "trade"),
        LiveAction::ResumeSwarm => ("resuming its swarm", "admin"),
        LiveAction::ResetDrawdown => ("resetting its drawdown peak", "admin"),
    };
    Err(Failure::new(
        ErrorCode::LiveScopeRequired,
        format!(
            "account {account_id} trades real money on Coinbase: {doing} needs an API key with the \
             'live' scope (coinswarm keys create --account {account_id} --scope {scope} --scope live \
             --i-understand-this-trades-real-money)"
        ),
    ))
}

/// Places an order on the key's account: the `live` scope on a live account, then the
/// account's session checks it once (halted? the exchange's rules, then the pre-trade gate),
/// acknowledged once durably stored, recorded with `origin` (a refusal for want of `live` too, with its code).
pub async fn place(
    parts: &Desk,
    permit: Permit<'_, Trade>,
    request: OrderRequest,
    origin: OrderOrigin,
) -> Result<Order, Failure> {
    let key = permit.key();
    ensure_listed(parts, request.product_id)?;
    let session = visible_session(parts, key, &key.account_id).await?;
    if let Err(refused) = require_live(parts, key, &key.account_id, LiveAction::PlaceOrder) {
        let refusal = OrderRefusal { code: refused.code.as_str(), message: refused.message.clone() };
        session.record_refusal(request, origin, refusal).await.map_err(session_error)?;
        return Err(refused);
    }
    let started = std::time::Instant::now();
    let order = session.submit(request, origin).await.map_err(session_error)?;
    let ack_ms = started.elapsed().as_secs_f64() * 1000.0;
    parts.analytics.record("order_ack_ms", &key.account_id, "", parts.clock.now().millis(), ack_ms);
    Ok(order)
}

/// What placing `request` would do now, placing nothing.
pub async fn preview(parts: &Desk, permit: Permit<'_, Trade>, request: OrderRequest) -> Result<OrderPreview, Failure> {
    let key = permit.key();
    ensure_listed(parts, request.product_id)?;
    let session = visible_session(parts, key, &key.account_id).await?;
    session.preview(request).await.map_err(session_error)
}

/// Cancels an order of the key's account; answered once the cancellation is stored, and
/// recorded with `origin`.
pub async fn cancel(parts: &Desk, permit: Permit<'_, Trade>, id: &str, origin: OrderOrigin) -> Result<Order, Failure> {
    let key = permit.key();
    let id = validation::order_id(id)?;
    let session = visible_session(parts, key, &key.account_id).await?;
    if session.view().orders.get(id).is_none() {
        return Err(Failure::not_found(format!("no order {id}")));
    }
    session.cancel(id, origin).await.map_err(session_error)
}

/// Halts the swarm (admin: halting only lowers the risk) or resumes it (admin, and on a live
/// account the `live` scope too: a resumed live swarm trades real money). Each attempt is
/// recorded in the swarm account's audit log (`GET /api/orders/audit`) with `origin`, a
/// refused resume too; on a live account each is also logged at WARN with the key's id.
pub async fn set_swarm_halted(
    parts: &Desk,
    permit: Permit<'_, Admin>,
    halted: bool,
    origin: OrderOrigin,
) -> Result<views::SwarmHalted, Failure> {
    let key = permit.key();
    let session = parts.swarm_session().ok_or_else(|| parts.swarm_not_running())?;
    let live = parts.execution_mode(&session.account_id) == "live";
    let stopped = |e: SessionError| Failure::unavailable(e.to_string(), RetryAfter::FAULT);
    if !halted && let Err(refused) = require_live(parts, key, &session.account_id, LiveAction::ResumeSwarm) {
        tracing::warn!(key_id = %key.id, "refused to resume the live swarm: the key lacks the 'live' scope");
        let refusal = OrderRefusal { code: refused.code.as_str(), message: refused.message.clone() };
        session.record_resume_refusal(origin, refusal).await.map_err(stopped)?;
        return Err(refused);
    }
    session.halt(halted, origin).await.map_err(stopped)?;
    if live {
        let what = if halted { "halted" } else { "resumed: it trades real money again" };
        tracing::warn!(key_id = %key.id, "the live swarm was {what}");
    }
    Ok(views::SwarmHalted { halted, success: true })
}

/// Restarts the swarm's drawdown peak at its account's equity now (admin, and on a live
/// account the `live` scope too: the swarm may then buy again). Recorded in the swarm
/// account's audit log with `origin`, and as a `peak_reset` event in its next decision.
pub async fn reset_drawdown_peak(
    parts: &Desk,
    permit: Permit<'_, Admin>,
    origin: OrderOrigin,
) -> Result<views::DrawdownReset, Failure> {
    let key = permit.key();
    let session = parts.swarm_session().ok_or_else(|| parts.swarm_not_running())?;
    require_live(parts, key, &session.account_id, LiveAction::ResetDrawdown)?;
    let event =
        session.reset_drawdown(origin).await.map_err(|e| Failure::unavailable(e.to_string(), RetryAfter::FAULT))?;
    match event {
        Some(RiskEvent::PeakReset { previous_peak, peak }) => {
            tracing::warn!(key_id = %key.id, "the swarm's drawdown peak was reset to {peak}");
            Ok(views::DrawdownReset { previous_peak, peak, success: true })
        }
        _ => Err(Failure::unavailable("the swarm's account has no swarm to reset", RetryAfter::FAULT)),
    }
}

/// A session's refusal as a failure: the exchange's and the pre-trade gate's reasons are 422
/// (404 for an unknown order) with their stable code.
pub fn session_error(error: SessionError) -> Failure {
    match error {
        SessionError::Rejected(rejection) => Failure::rejected(&rejection),
        SessionError::Blocked(refusal) => Failure::refused(&refusal),
        venue @ SessionError::Venue { .. } => Failure::new(ErrorCode::VenueRejected, venue.to_string()),
        other => Failure::unavailable(other.to_string(), RetryAfter::FAULT),
    }
}

/// The swarm's latest decision for a product, with every vote and reason, as JSON (cached
/// for each of the two views: whole, and without the account's figures for a `caller` who
/// may not read a live swarm's account).
pub fn prediction(parts: &Desk, caller: Option<&ApiKey>, product: &str) -> Result<Bytes, Failure> {
    let product_id = listed_product(parts, product)?;
    let may_read_account = may_read_swarm_account(parts, caller);
    let key = format!("prediction:{product_id}:{}", if may_read_account { "account" } else { "public" });
    if let Some(body) = parts.kv.get(&key) {
        return Ok(body);
    }
    let session = parts.swarm_session().ok_or_else(|| parts.swarm_not_running())?;
    let swarm = session.swarm().ok_or_else(|| parts.swarm_not_running())?;
    if swarm.product_id != product_id {
        return Err(Failure::not_found(format!("the swarm trades {}, not {product_id}", swarm.product_id)));
    }
    let decision = swarm.latest_decision.clone().ok_or_else(|| {
        let due = RetryAfter::millis(parts.bar_interval_ms());
        Failure::unavailable(format!("no decision yet: the swarm decides at the next bar close (about {due})"), due)
    })?;
    let decision = decision_for(parts, caller, decision);
    let body = serde_json::to_vec(&views::to_json(&views::Prediction::fresh(decision, product_id)))
        .map(Bytes::from)
        .map_err(|e| Failure::unavailable(e.to_string(), RetryAfter::FAULT))?;
    parts.kv.put(&key, body.clone(), Duration::from_millis(parts.config.cache.predictions_ttl_ms));
    Ok(body)
}

/// The swarm's latest decision records, newest first, as `caller` may see them
/// ([`decision_for`]).
pub async fn decisions(parts: &Desk, caller: Option<&ApiKey>, limit: usize) -> Result<views::Decisions, Failure> {
    let lines = parts
        .store
        .recent_decisions(SWARM_ACCOUNT, limit as u32)
        .await
        .map_err(|e| Failure::unavailable(format!("{e:#}"), RetryAfter::FAULT))?;
    let decisions = lines
        .iter()
        .filter_map(|line| serde_json::from_str(line).ok())
        .map(|decision| decision_for(parts, caller, decision))
        .collect();
    Ok(views::Decisions { decisions })
}

/// The swarm: agents and weights, regime, breaker and oversight state, its execution mode
/// (`paper` or `live`), and its account, shown (with the figures of its latest decision) only
/// to a `caller` who may read it ([`may_read_swarm_account`]).
pub fn swarm_state(parts: &Desk, caller: Option<&ApiKey>) -> Result<views::SwarmState, Failure> {
    let session = parts.swarm_session().ok_or_else(|| parts.swarm_not_running())?;
    let swarm = session.swarm().ok_or_else(|| parts.swarm_not_running())?;
    let mode = parts.execution_mode(&session.account_id);
    let mut state = views::SwarmState { account: None, mode, swarm: (*swarm).clone(), agent_link: None };
    if may_read_swarm_account(parts, caller) {
        state.account = Some(session.view().account(None));
    } else if let Some(decision) = &mut state.swarm.latest_decision {
        hide_account_figures(decision);
    }
    Ok(state)
}

/// Whether `caller` may see the swarm account's figures: anyone while the swarm trades paper
/// (its account is the dashboard's public demo); while it trades real money on Coinbase,
/// only a key that may read the swarm's account (its own, or admin), since its balances,
/// equity and order sizes say what the operator holds.
pub fn may_read_swarm_account(parts: &Desk, caller: Option<&ApiKey>) -> bool {
    let account_id = SWARM_ACCOUNT;
    parts.execution_mode(account_id) == "paper"
        || caller.is_some_and(|key| key.allows(Scope::Read) && may_see(key, account_id))
}

/// A swarm decision record (JSON) as `caller` may see it: whole, or with the account's
/// figures hidden ([`hide_account_figures`]) when `caller` may not read a live swarm's account.
/// The one rule for every path a decision leaves by: predictions, the decision log, the
/// swarm state, over REST and MCP alike.
pub fn decision_for(parts: &Desk, caller: Option<&ApiKey>, mut decision: Value) -> Value {
    if !may_read_swarm_account(parts, caller) {
        hide_account_figures(&mut decision);
    }
    decision
}

/// The past episodes most similar to the market state at the last bar close (or, with
/// `at`, at the last decision at or before that time), among those whose outcome was known
/// then, nearest first (`top_k` 1 to 100).
pub async fn similar(
    parts: &Desk,
    product: Option<&str>,
    at: Option<&str>,
    top_k: Option<usize>,
) -> Result<views::Similar, Failure> {
    let top_k = validation::top_k(top_k)?;
    let product = product.map(|p| listed_product(parts, p)).transpose()?;
    let at = validation::time(at, "at", false)?;
    if !parts.config.memory.enabled {
        return Err(Failure::unavailable("pattern memory is off (memory.enabled = false)", RetryAfter::TURNED_OFF));
    }
    let session = parts.swarm_session().ok_or_else(|| parts.swarm_not_running())?;
    if let (Some(asked), Some(swarm)) = (product, session.swarm())
        && swarm.product_id != asked
    {
        return Err(Failure::not_found(format!("pattern memory holds {}, not {asked}", swarm.product_id)));
    }
    let memory_error = |e: SessionError| Failure::unavailable(e.to_string(), RetryAfter::FAULT);
    let found = match at {
        None => match session.similar_now(top_k).await.map_err(memory_error)? {
            RecallNow::Found(found) => found,
            RecallNow::WarmingUp { bars } => {
                return Err(Failure::warming_up("pattern memory", bars as u64, parts.bar_interval_ms()));
            }
            RecallNow::Off => return Err(Failure::unavailable("pattern memory is off", RetryAfter::TURNED_OFF)),
        },
        Some(at_ms) => {
            let swarm_product = session.swarm().map(|s| s.product_id.to_string()).unwrap_or_default();
            let episode = parts
                .store
                .episode_at_or_before(&swarm_product, at_ms)
                .await
                .map_err(|e| Failure::unavailable(format!("{e:#}"), RetryAfter::FAULT))?
                .ok_or_else(|| {
                    Failure::not_found(format!(
                        "no market state remembered at or before {}",
                        Timestamp::from_millis(at_ms).to_rfc3339()
                    ))
                })?;
            session
                .similar_to(episode.state, episode.time_ms, top_k)
                .await
                .map_err(memory_error)?
                .ok_or_else(|| Failure::unavailable("pattern memory is off", RetryAfter::TURNED_OFF))?
        }
    };
    let state_at = Timestamp::from_millis(found.decided_ms).to_rfc3339();
    Ok(views::Similar { matches: found.matches, state_at })
}

#[cfg(test)]
mod tests {
    use super::*;
    use coinswarm_core::market::Side;
    use coinswarm_core::risk::{Breach, BreakerState, RiskEvent, TripReason};
    use coinswarm_core::swarm::{
        Action, AgentKind, BreakerVerdict, CommitteeDecision, DecisionRecord, OrderRecord, OrderStyle, Reason, Regime,
        Vote,
    };
    use rust_decimal::Decimal;
    use serde_json::json;

    fn amount(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    /// A decision that names the account's money in every place a record can: the equity,
    /// an order, breaker trips, oversight breaches, a risk veto's reason (the risk agent's
    /// drawdown template) and a skip below the product minimum (the orchestrator's text).
    fn decision_naming_every_amount() -> Value {
        let record = DecisionRecord {
            seq: 7,
            time: Timestamp::from_millis(1_700_000_000_000),
            product_id: "ETH-USD".parse().unwrap(),
            price: 2200.5,
            regime: Regime::Trending,
            proposal: None,
            weights: [0.2; AgentKind::COUNT],
            votes: vec![
                Vote::veto(
                    AgentKind::Risk,
                    Reason::new("drawdown {}% from peak equity {} exceeds the limit {}%", [12.5, 13579.5, 10.0]),
                ),
                Vote::new(
                    AgentKind::Trend,
                    Action::Buy,
                    0.8,
                    0.25,
                    Reason::new("fast SMA {} above slow SMA {}", [2210.0, 2190.0]),
                ),
            ],
            committee: CommitteeDecision {
                action: Action::Buy,
                score: 0.8,
                scores: [0.8, 0.0, 0.2],
                size: 0.25,
                vetoed_by: None,
            },
            action: Action::Buy,
            protective_exit: false,
            breaker: BreakerVerdict {
                state: BreakerState::Open,
                allows_trading: false,
                tripped: vec![
                    TripReason::EquityLoss {
                        high: amount("13579.5"),
                        equity: amount("12345.67"),
                        loss_fraction: amount("0.0909"),
                        window_ms: 300_000,
                    },
                    TripReason::LosingStreak { losses: 5, last_pnl: amount("-42.5") },
                    TripReason::HalfOpenLoss { pnl: amount("-17.25") },
                ],
            },
            oversight: vec![
                Breach::NonPositiveEquity { equity: amount("-3.75") },
                Breach::OrderNotional { notional: amount("271.6"), limit: amount("25000") },
                Breach::NonPositiveNotional { notional: amount("-9.5") },
            ],
            order: Some(OrderRecord {
                side: Side::Buy,
                style: OrderStyle::Limit { price_offset_bps: 5.0 },
                base_size: amount("0.1234"),
                notional: amount("271.6"),
                limit_price: Some(amount("2199.4")),
                slices: 2,
                results: vec!["FILLED".into()],
            }),
            skipped: Some("order of 0.00042 ETH is below the product minimum".into()),
            equity: amount("12345.67"),
            halted: false,
            risk_events: vec![
                RiskEvent::DrawdownBreached {
                    peak: amount("13579.5"),
                    equity: amount("12345.67"),
                    drawdown: amount("0.0909"),
                    limit: amount("0.1"),
                },
                RiskEvent::PeakReset { previous_peak: Some(amount("13579.5")), peak: amount("12345.67") },
                RiskEvent::BuysCancelled {
                    orders: 2,
                    reason: "circuit breaker OPEN: 5 consecutive losing trades (last pnl -42.5)".into(),
                },
            ],
            recall: None,
            learned: None,
        };
        serde_json::to_value(record).unwrap()
    }

    #[test]
    fn a_decision_without_the_account_figures_names_no_amount_of_its_money_but_keeps_prices_and_reasons() {
        let mut decision = decision_naming_every_amount();
        let whole = decision.to_string();
        let amounts = ["12345.67", "13579.5", "0.1234", "271.6", "-42.5", "-17.25", "-3.75", "-9.5", "0.00042"];
        for figure in amounts {
            assert!(whole.contains(figure), "the whole record names {figure}: {whole}");
        }
        hide_account_figures(&mut decision);
        let public = decision.to_string();
        for figure in amounts {
            assert!(!public.contains(figure), "{figure} hidden: {public}");
        }
        assert_eq!(decision["votes"][0]["reason"], "drawdown 12.5% from peak equity (hidden) exceeds the limit 10%");
        assert_eq!(decision["votes"][1]["reason"], "fast SMA 2210 above slow SMA 2190");
        assert_eq!(decision["skipped"], "order of (hidden) ETH is below the product minimum");
        assert_eq!(
            (decision["price"].clone(), decision["order"]["limit_price"].clone()),
            (json!(2200.5), json!("2199.4"))
        );
        assert_eq!(decision["order"]["side"], "BUY");
        assert_eq!(decision["breaker"]["tripped"][0]["loss_fraction"], "0.0909", "fractions stay");
        assert_eq!(decision["breaker"]["tripped"][1]["losses"], 5);
        assert_eq!(decision["oversight"][1]["limit"], "25000", "limits are configuration, not the account");
        assert_eq!(decision["committee"]["size"], 0.25);
    }
}
