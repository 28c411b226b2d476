//! The pre-trade gate: the one place that decides whether an order may add risk. The swarm's
//! intents and every order from outside (REST, MCP, live) pass it before the matching engine
//! accepts them, in the backtest, in `coinswarm up` and at the edge alike.
//!
//! - [`PreTradeGate`]: an account's [`TradingState`] (active, reducing only, halted), its
//!   [`Oversight`] limits and its [`CircuitBreaker`]; [`PreTradeGate::check`] answers a
//!   [`ProposedOrder`] on an [`AccountSnapshot`], [`PreTradeGate::check_request`] an
//!   [`OrderRequest`](crate::order::OrderRequest) on the account in a matching engine.
//! - [`Refusal`]: why the gate said no, with a stable code (`SWARM_HALTED`, `BREAKER_OPEN`,
//!   `OVERSIGHT_BREACH`).
//! - [`valuation`]: the one equity function and the one account snapshot, at marks the caller
//!   chooses; [`fees`]: the one taker fee estimate.
//! - [`oversight`](Oversight) and the [`circuit breaker`](CircuitBreaker) themselves.

mod circuit_breaker;
pub mod fees;
mod gate;
mod order_value;
mod oversight;
mod refusal;
mod risk_event;
mod trading_state;
mod trailing_extreme;
pub mod valuation;

pub use circuit_breaker::{
    BreakerState, CircuitBreaker, CircuitBreakerConfig, Transition, TransitionCause, TripReason,
};
pub use gate::{GateConfig, PreTradeGate};
pub use order_value::{base_size, notional};
pub use oversight::{AccountSnapshot, Breach, Oversight, OversightConfig, OversightRejection, ProposedOrder};
pub use refusal::Refusal;
pub use risk_event::RiskEvent;
pub use trading_state::TradingState;
