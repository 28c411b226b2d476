//! The current UTC day as oversight tracks it: its opening equity and its trade count.

use crate::time::{DAY_MS, Timestamp};
use rust_decimal::Decimal;

/// Days since the Unix epoch of a UTC time (negative before 1970).
pub(super) fn utc_day(time: Timestamp) -> i64 {
    time.millis().div_euclid(DAY_MS)
}

/// One UTC day. A new day starts at the first equity observation or trade dated on it;
/// times from an earlier day than the current one count towards the current day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct TradingDay {
    /// Days since the epoch; `None` before anything was observed.
    day: Option<i64>,
    /// Equity at the day's first observation; `None` until one arrives.
    opening_equity: Option<Decimal>,
    trades: u32,
}

impl TradingDay {
    /// Starts a new day if `time` falls on a later one.
    fn roll(&mut self, time: Timestamp) {
        let day = utc_day(time);
        if self.day.is_none_or(|current| day > current) {
            *self = Self { day: Some(day), opening_equity: None, trades: 0 };
        }
    }

    pub(super) fn observe_equity(&mut self, time: Timestamp, equity: Decimal) {
        self.roll(time);
        self.opening_equity.get_or_insert(equity);
    }

    pub(super) fn record_trade(&mut self, time: Timestamp) {
        self.roll(time);
        self.trades = self.trades.saturating_add(1);
    }

    /// Whether `time` falls on a later day than the current one (whose figures then no
    /// longer apply).
    fn is_past(&self, time: Timestamp) -> bool {
        self.day.is_none_or(|current| utc_day(time) > current)
    }

    /// Trades so far on the UTC day of `time`.
    pub(super) fn trades_on(&self, time: Timestamp) -> u32 {
        if self.is_past(time) { 0 } else { self.trades }
    }

    /// Opening equity of the UTC day of `time`, when observed.
    pub(super) fn opening_equity_on(&self, time: Timestamp) -> Option<Decimal> {
        if self.is_past(time) { None } else { self.opening_equity }
    }
}
