//! What readers see of an account and its swarm: snapshots built after each committed batch.

use crate::order_snapshot::OrderSnapshot;
use coinswarm_core::exchange::{Fill, MatchingEngine};
use coinswarm_core::market::{Currency, ProductId};
use coinswarm_core::risk::valuation::{last_prices, value_account};
use coinswarm_core::swarm::Swarm;
use coinswarm_core::time::Timestamp;
use rust_decimal::Decimal;
use serde::Serialize;

/// An account as readers see it after the latest committed batch.
#[derive(Debug, Clone, Serialize)]
pub struct AccountView {
    pub account_id: String,
    /// Engine time of the latest event or market data.
    pub time: Timestamp,
    pub balances: Vec<BalanceView>,
    pub positions: Vec<PositionView>,
    /// Cash plus positions at their latest prices, in the quote currency.
    pub equity: Decimal,
    #[serde(skip)]
    pub orders: OrderSnapshot,
    /// Recent fills, newest first.
    #[serde(skip)]
    pub fills: imbl::Vector<Fill>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BalanceView {
    pub currency: Currency,
    pub available: Decimal,
    pub hold: Decimal,
    pub total: Decimal,
}

#[derive(Debug, Clone, Serialize)]
pub struct PositionView {
    pub product_id: ProductId,
    pub size: Decimal,
    pub average_entry_price: Decimal,
    pub mark_price: Option<Decimal>,
    pub unrealised_pnl: Option<Decimal>,
    pub realised_pnl: Decimal,
    pub fees_paid: Decimal,
}

/// The swarm's state for `GET /api/swarm` and predictions.
#[derive(Debug, Clone, Serialize)]
pub struct SwarmView {
    pub product_id: ProductId,
    pub halted: bool,
    /// The circuit breaker: `CLOSED`, `OPEN` or `HALF_OPEN`.
    pub breaker: &'static str,
    pub decisions: u64,
    pub weights: Vec<(String, f64)>,
    /// The latest decision record (JSON), if any.
    pub latest_decision: Option<serde_json::Value>,
}

pub(super) fn view_of(
    account_id: &str,
    engine: &MatchingEngine,
    orders: &OrderSnapshot,
    fills: &imbl::Vector<Fill>,
) -> AccountView {
    let account = engine.account();
    let balances: Vec<BalanceView> = account
        .balances()
        .iter()
        .map(|(currency, b)| BalanceView {
            currency: *currency,
            available: b.available,
            hold: b.hold,
            total: b.total(),
        })
        .collect();
    let mut positions = Vec::new();
    for (product_id, position) in account.positions() {
        let mark = engine.last_price(*product_id);
        positions.push(PositionView {
            product_id: *product_id,
            size: position.size,
            average_entry_price: position.average_entry_price(),
            mark_price: mark,
            unrealised_pnl: mark.map(|m| position.unrealised_pnl(m)),
            realised_pnl: position.realised_pnl,
            fees_paid: position.fees_paid,
        });
    }
    AccountView {
        account_id: account_id.to_string(),
        time: engine.now(),
        balances,
        positions,
        equity: engine
            .products()
            .first()
            .map_or(Decimal::ZERO, |product| value_account(engine, product.quote(), last_prices(engine)).equity),
        orders: orders.clone(),
        fills: fills.clone(),
    }
}

pub(super) fn swarm_view(swarm: &Swarm, now: Timestamp, latest_decision: Option<serde_json::Value>) -> SwarmView {
    let weights = coinswarm_core::swarm::AgentKind::ALL
        .iter()
        .zip(swarm.effective_weights())
        .map(|(kind, weight)| (kind.as_str().to_string(), weight))
        .collect();
    SwarmView {
        product_id: swarm.product().product_id,
        halted: swarm.is_halted(),
        breaker: swarm.breaker().state(now).as_str(),
        decisions: swarm.summary().decisions,
        weights,
        latest_decision,
    }
}
