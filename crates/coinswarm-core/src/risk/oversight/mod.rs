//! The oversight manager: hard account limits every order must pass before it reaches the
//! exchange, independent of how sure the committee is.
//!
//! - [`OversightConfig`]: the limits, each with its default and whether its bound is inclusive.
//! - [`ProposedOrder`] and [`AccountSnapshot`]: what is checked — the order and the account
//!   it would change, in decimal quote currency.
//! - [`Oversight`]: the guard itself. It remembers peak equity, the UTC day's opening equity
//!   and the day's trade count; [`Oversight::check`] returns every [`Breach`] at once in an
//!   [`OversightRejection`], and [`Oversight::max_order_notional`] caps the committee's size.
//!
//! Risk-reducing exits (an order against the current position, no larger than it) are never
//! blocked, whatever the account's state: risk limits stop new risk, never an exit.

mod account;
mod breach;
mod config;
mod guard;
mod order;
mod trading_day;

pub use account::AccountSnapshot;
pub use breach::{Breach, OversightRejection};
pub use config::OversightConfig;
pub use guard::Oversight;
pub use order::ProposedOrder;
