//! The circuit breaker: stops all trading when the market or the account moves violently,
//! independent of the committee and of oversight.
//!
//! - [`CircuitBreakerConfig`]: trip thresholds, windows, cool-down and close policy.
//! - [`BreakerState`]: CLOSED (trading) → OPEN (tripped, blocking) → HALF_OPEN (cool-down
//!   over, waiting for an operator, or probing when auto-close is on).
//! - [`TripReason`] and [`Transition`]: why it tripped, with the numbers, and the bounded
//!   history of state changes.
//! - [`CircuitBreaker`]: fed equity, prices and trade results; O(1) amortised per event
//!   with memory bounded by its windows.

mod breaker;
mod config;
mod history;
mod state;
mod trip;

pub use breaker::CircuitBreaker;
pub use config::CircuitBreakerConfig;
pub use history::{Transition, TransitionCause};
pub use state::BreakerState;
pub use trip::TripReason;
