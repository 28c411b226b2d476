//! Accounts as a fold over an append-only event log.
//!
//! Every change to an account — a deposit, an order accepted, filled, cancelled, expired or
//! failed — is an [`AccountEvent`]. [`Account::apply`] folds one event into the state;
//! [`Account::replay`] rebuilds the state from a log, so a log can be stored, shipped and
//! replayed to an identical account.

mod account;
mod balance;
mod event;
mod live_book;
mod position;

pub use account::{Account, DEFAULT_RETAINED_ORDERS};
pub use balance::Balance;
pub use event::{AccountEvent, EventKind, EventLogError};
pub use live_book::LiveBook;
pub use position::Position;
