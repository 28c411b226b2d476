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
//!   would cross are rejected. GTD orders expire at the first command or market event at
//!   or after `end_time`; a bar is not split in time, so an order whose end time falls
//!   inside a bar can still fill anywhere in that bar.
//! - **Stop-limit orders** trigger when the last price reaches `stop_price`
//!   (`STOP_DIRECTION_STOP_UP`: price ≥ stop; `STOP_DIRECTION_STOP_DOWN`: price ≤ stop) and then
//!   behave as a limit order entering the book at that moment. The last price is the trade
//!   print, the quote mid, or the candle path.
//! - **Bracket orders** (`trigger_bracket_gtc`: `base_size`, `limit_price`,
//!   `stop_trigger_price`) close a long: they must be SELLs (a BUY bracket is rejected with
//!   `UNSUPPORTED_ORDER_CONFIGURATION`) with `stop_trigger_price` < `limit_price`, and hold
//!   the base size. One order carries both exits, so only one can fill (one-cancels-the-other
//!   by construction). The take-profit fills as a limit sell: as maker at exactly
//!   `limit_price` when the market reaches it (bid ≥ limit for quotes, the print, the bar's
//!   range), as taker at the market (never below the limit) when it was already marketable.
//!   The stop fills as taker when the last price reaches `stop_trigger_price` (bid ≤ stop for
//!   quotes, print ≤ stop, bar low ≤ stop), at the stop price, or at the bid, print or bar
//!   open when that is worse (a gap through the stop), moved down by slippage: never better
//!   than the market. **Conservative rule:** when one market event or bar reaches both
//!   levels (a bar whose range covers both, whichever way it moved or gapped), the stop
//!   fills, never the target. A stop that partly filled (participation cap) keeps selling
//!   the rest as a stop at the next events.
//! - **Taking or resting.** A limit that already crossed the market before an event (it
//!   arrived when there was no quote to trade with, or the participation cap left part of it
//!   unfilled) is still taking liquidity: it fills as taker at the event's price (never
//!   beyond its limit). A limit that did not cross rests, and fills as maker at its limit.
//! - **Candles** are walked along [`Candle::path`](crate::market::Candle::path):
//!   open → first extreme → second extreme → close, each leg continuous. Each bar must start
//!   after the previous one, and an order created after a bar's start sits that bar out.
//! - **Participation cap**: per market event, this account's fills may take at most
//!   `participation_cap` × the volume shown: per side for a quote (its bid and ask sizes),
//!   shared by both sides for a trade print or a candle.
//! - **Prices** moved by slippage are rounded to the quote increment against the trader (buy
//!   up, sell down); sizes computed from a quote amount are rounded down to the base increment.
//! - **Venue execution** ([`VenueExecution`], for live trading): orders are checked and
//!   their funds held exactly as above, but the engine matches nothing; it asks an outside
//!   venue to place or cancel them ([`VenueRequest`]) and records what the venue reports
//!   ([`MatchingEngine::venue_update`]).
//! - **Fees** are charged in quote currency on every fill: maker or taker basis points of the
//!   fill's notional (price × size), exact, never rounded.

mod config;
mod engine;
mod execution;
mod limits;
mod market_state;
mod matching;
mod pricing;
mod touch;
mod validation;
mod venue;

pub use crate::order::{
    Fill, LimitGtc, LimitGtd, Liquidity, MarketIoc, Order, OrderConfiguration, OrderId, OrderRequest, OrderStatus,
    Rejection, StopDirection, StopLimitGtc, TradeId, TriggerBracketGtc, TriggerStatus,
};
pub use config::{ConfigError, ExchangeConfig, MAX_RATE_BPS};
pub use engine::{MarketDataError, MatchingEngine, Submitted};
pub use execution::{Execution, PaperExecution, VenueExecution, VenueRequest};
pub use limits::{MAX_AMOUNT, MAX_PRICE, MAX_SIZE};
pub use validation::Admission;
pub use venue::{VenueOrderState, VenueStatus, VenueUpdate};
