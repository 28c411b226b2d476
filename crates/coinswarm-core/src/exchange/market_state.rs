//! What the engine knows of one product's market between events.

use super::validation::MarketView;
use crate::market::{Product, Quote, Side};
use crate::time::Timestamp;
use rust_decimal::Decimal;

/// One listed product and the latest market data seen for it.
#[derive(Debug, Clone)]
pub(crate) struct MarketState {
    pub product: Product,
    /// The current top of book; cleared when a candle arrives (the bar supersedes it).
    pub quote: Option<Quote>,
    /// Quote mid, print price or candle close, whichever came last.
    pub last_price: Option<Decimal>,
    pub last_data_time: Option<Timestamp>,
    pub last_candle_start: Option<Timestamp>,
    /// Base volume this account may still take in the current market event under the
    /// participation cap (`None`: no cap, or the venue did not say how much there was).
    pub budget: Budget,
}

/// Liquidity left in the current market event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Budget {
    /// A quote: the size shown at the ask for buys, at the bid for sells.
    PerSide { buy: Option<Decimal>, sell: Option<Decimal> },
    /// A print or a candle: one volume, shared by both sides.
    Shared(Option<Decimal>),
}

impl Budget {
    pub fn available(&self, side: Side) -> Option<Decimal> {
        match (self, side) {
            (Budget::PerSide { buy, .. }, Side::Buy) => *buy,
            (Budget::PerSide { sell, .. }, Side::Sell) => *sell,
            (Budget::Shared(volume), _) => *volume,
        }
    }

    pub fn consume(&mut self, side: Side, size: Decimal) {
        let left = match (self, side) {
            (Budget::PerSide { buy, .. }, Side::Buy) => buy,
            (Budget::PerSide { sell, .. }, Side::Sell) => sell,
            (Budget::Shared(volume), _) => volume,
        };
        if let Some(left) = left {
            *left -= size;
        }
    }
}

impl MarketState {
    pub fn new(product: Product) -> Self {
        Self {
            product,
            quote: None,
            last_price: None,
            last_data_time: None,
            last_candle_start: None,
            budget: Budget::Shared(None),
        }
    }

    pub fn view(&self) -> MarketView<'_> {
        MarketView { product: &self.product, quote: self.quote.as_ref(), last_price: self.last_price }
    }

    /// The prices a seller and a buyer would meet right now — (bid, ask) of the quote, or the
    /// last price for both — or `None` before any market data.
    pub fn touch_prices(&self) -> Option<(Decimal, Decimal)> {
        match (&self.quote, self.last_price) {
            (Some(quote), _) => Some((quote.bid, quote.ask)),
            (None, Some(price)) => Some((price, price)),
            (None, None) => None,
        }
    }
}
