//! The paper matching engine: Coinbase Advanced Trade order shapes filled against market
//! quotes, trade prints or candles, with maker/taker fees, slippage and an optional volume
//! participation cap. It owns one account's [`Ledger`](crate::ledger::Account) and records
//! every change as an [`AccountEvent`](crate::ledger::AccountEvent).
//!
//! Fill rules (the same in backtests, paper sessions and at the edge):
//! - **Market orders** (`market_market_ioc`) fill as taker at the ask (buy) or bid (sell) of
//!   the current quote, moved against the trader by `slippage_bps`. Without a current quote
//!   (candles only) they wait as `PENDING` and fill at the next bar's open (± slippage), or
//!   at the next quote or trade print, whichever comes first. Never at a price already seen.
//! - **Limit orders** that are marketable on arrival fill at once as taker at the quote
//!   (± slippage, never beyond the limit). Otherwise they rest and fill as maker at exactly
//!   their limit price when the market touches it: ask ≤ limit (buy) / bid ≥ limit (sell)
//!   for quotes, print price for trades, the bar's range for candles. Post-only orders that
//!   would cross are rejected. GTD orders expire once market time reaches `end_time`.
//! - **Stop-limit orders** trigger when the last price reaches `stop_price`
//!   (`STOP_DIRECTION_STOP_UP`: price ≥ stop; `STOP_DIRECTION_STOP_DOWN`: price ≤ stop) and then
//!   behave as a limit order entering the book at that moment. The last price is the trade
//!   print, the quote mid, or the candle path.
//! - **Candles** are walked along [`Candle::path`](crate::market::Candle::path):
//!   open → first extreme → second extreme → close, each leg continuous.
//! - **Prices** moved by slippage are rounded to the quote increment against the trader (buy
//!   up, sell down); sizes computed from a quote amount are rounded down to the base increment.
//! - **Fees** are charged in quote currency on every fill: maker or taker basis points of the
//!   fill's notional (price × size), exact, never rounded.

mod config;
mod engine;
mod fill;
mod limits;
mod market_state;
mod matching;
mod order;
mod pricing;
mod rejection;
mod request;
mod validation;

pub use config::{ConfigError, ExchangeConfig, MAX_RATE_BPS};
pub use engine::{MarketDataError, MatchingEngine};
pub use fill::{Fill, Liquidity, TradeId};
pub use limits::{MAX_AMOUNT, MAX_PRICE, MAX_SIZE};
pub use order::{Order, OrderId, OrderStatus, TriggerStatus};
pub(crate) use pricing::is_positive;
pub use rejection::Rejection;
pub use request::{LimitGtc, LimitGtd, MarketIoc, OrderConfiguration, OrderRequest, StopDirection, StopLimitGtc};
pub use validation::Admission;
