//! The market moment an order is matched against, and the market just before it.

use crate::market::Side;
use rust_decimal::Decimal;

/// The market moment an order is matched against.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Touch {
    /// Top of book; the last price for stops is the mid. `since`: the last price before this
    /// quote, when there was one: stops see the move from it to the mid as one continuous
    /// leg, exactly as on a candle's path, so a stop crossed between two quotes triggers at
    /// its stop price, not at the second quote.
    Quote { bid: Decimal, ask: Decimal, since: Option<Decimal> },
    /// A print on the tape.
    Print { price: Decimal },
    /// A continuous move of the price from `from` to `to`: one leg of a candle's path.
    /// `bar_low` and `bar_high` are the whole bar's, for the bracket's conservative rule.
    Leg { from: Decimal, to: Decimal, bar_low: Decimal, bar_high: Decimal },
}

impl Touch {
    /// The leg of the last price this event covers, for stops: a candle's leg, or a quote's
    /// move from the last price to its mid.
    pub(super) fn stop_leg(self) -> Option<Touch> {
        match self {
            Touch::Quote { bid, ask, since: Some(from) } => {
                let to = (bid + ask) / Decimal::TWO;
                Some(Touch::Leg { from, to, bar_low: from.min(to), bar_high: from.max(to) })
            }
            Touch::Leg { .. } => Some(self),
            _ => None,
        }
    }

    /// The price an order entering the book now meets: ask (buy) / bid (sell), the print,
    /// or the start of the leg.
    pub(super) fn entry(self, side: Side) -> Decimal {
        match (self, side) {
            (Touch::Quote { ask, .. }, Side::Buy) => ask,
            (Touch::Quote { bid, .. }, Side::Sell) => bid,
            (Touch::Print { price }, _) => price,
            (Touch::Leg { from, .. }, _) => from,
        }
    }

    /// Whether a plain limit at `limit` is reached: only then can it fill (as taker, when
    /// the entry price crosses it, or as maker).
    pub(super) fn reaches(self, side: Side, limit: Decimal) -> bool {
        match (self, side) {
            (Touch::Quote { ask, .. }, Side::Buy) => ask <= limit,
            (Touch::Quote { bid, .. }, Side::Sell) => bid >= limit,
            (Touch::Print { price }, Side::Buy) => price <= limit,
            (Touch::Print { price }, Side::Sell) => price >= limit,
            (Touch::Leg { from, to, .. }, Side::Buy) => from.min(to) <= limit,
            (Touch::Leg { from, to, .. }, Side::Sell) => from.max(to) >= limit,
        }
    }
}

/// The market just before the event being matched: what a seller and a buyer met then
/// ((bid, ask), or the last price twice), `None` before any data. A limit that already
/// crossed it (or never met any market) is still taking liquidity, so it fills as taker at
/// the event's price; one that did not is resting, and fills as maker at its limit.
pub(crate) type PriorTouch = Option<(Decimal, Decimal)>;
