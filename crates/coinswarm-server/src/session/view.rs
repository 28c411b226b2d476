//! What readers see of an account and its swarm: snapshots built after each committed batch.

use crate::session::order_snapshot::OrderSnapshot;
use coinswarm_api::order_path;
use coinswarm_api::views::Account;
pub use coinswarm_api::views::{Balance as BalanceView, Position as PositionView, Swarm as SwarmView};
use coinswarm_core::exchange::{Fill, MatchingEngine};
use coinswarm_core::swarm::Swarm;
use coinswarm_core::time::Timestamp;
use rust_decimal::Decimal;

/// An account as readers see it after the latest committed batch.
#[derive(Debug, Clone)]
pub struct AccountView {
    pub account_id: String,
    /// Engine time of the latest event or market data.
    pub time: Timestamp,
    pub balances: Vec<BalanceView>,
    pub positions: Vec<PositionView>,
    /// Cash plus positions at their latest prices, in the quote currency.
    pub equity: Decimal,
    pub orders: OrderSnapshot,
    /// Recent fills, newest first.
    pub fills: imbl::Vector<Fill>,
}

impl AccountView {
    /// What the API answers of it: balances, positions, equity (and the execution mode, for
    /// an answer about one account).
    pub fn account(&self, mode: Option<&'static str>) -> Account {
        Account {
            account_id: self.account_id.clone(),
            balances: self.balances.clone(),
            equity: self.equity,
            mode,
            positions: self.positions.clone(),
            time: self.time,
        }
    }
}

pub(super) fn view_of(
    account_id: &str,
    engine: &MatchingEngine,
    orders: &OrderSnapshot,
    fills: &imbl::Vector<Fill>,
) -> AccountView {
    let Account { time, balances, positions, equity, .. } = order_path::account_view(account_id, engine);
    AccountView {
        account_id: account_id.to_string(),
        time,
        balances,
        positions,
        equity,
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
