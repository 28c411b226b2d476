//! The order model, below the engines: what a trader asks for ([`OrderRequest`] and its
//! [`OrderConfiguration`]s, in Coinbase Advanced Trade's shapes), the [`Order`] it becomes,
//! the [`Fill`]s it receives, and the [`Rejection`]s the exchange answers with. The matching
//! engine ([`crate::exchange`]), the ledger ([`crate::ledger`]) and the pre-trade gate
//! ([`crate::risk`]) all import it; it imports none of them.

mod fill;
mod placed;
mod rejection;
mod request;

pub use fill::{Fill, Liquidity, TradeId};
pub use placed::{Order, OrderId, OrderStatus, TriggerStatus};
pub use rejection::Rejection;
pub use request::{
    LimitGtc, LimitGtd, MarketIoc, OrderConfiguration, OrderRequest, StopDirection, StopLimitGtc, TriggerBracketGtc,
};
