//! Where a backtest's bars come from: one product's candles, oldest first, pulled one at a
//! time so the source never has to sit in memory.

use crate::data::CandleSeries;
use crate::market::{Candle, Granularity, ProductId};
use std::fmt;

/// One product's bars as they stream from their source (a loaded series, a generator, a file
/// reader). A source that fails mid-stream yields `Err(message)`; the backtest stops with that
/// message rather than trading on partial data silently.
pub struct BarFeed<'a> {
    product_id: ProductId,
    granularity: Granularity,
    source: Source<'a>,
}

/// A loaded series is read in place (the common case, kept free of dynamic calls); anything
/// else is pulled through its iterator.
enum Source<'a> {
    Loaded(std::slice::Iter<'a, Candle>),
    Streamed(Box<dyn Iterator<Item = Result<Candle, String>> + 'a>),
}

impl<'a> BarFeed<'a> {
    /// A feed of `product_id` bars of `granularity`, oldest first.
    pub fn new(
        product_id: ProductId,
        granularity: Granularity,
        bars: impl Iterator<Item = Result<Candle, String>> + 'a,
    ) -> Self {
        Self { product_id, granularity, source: Source::Streamed(Box::new(bars)) }
    }

    /// The bars of a loaded series.
    pub fn from_series(series: &'a CandleSeries) -> Self {
        let source = Source::Loaded(series.candles().iter());
        Self { product_id: series.product_id(), granularity: series.granularity(), source }
    }

    pub fn product_id(&self) -> ProductId {
        self.product_id
    }

    pub fn granularity(&self) -> Granularity {
        self.granularity
    }

    /// The next bar, `None` at the end of the source.
    pub(super) fn next_bar(&mut self) -> Result<Option<Candle>, String> {
        match &mut self.source {
            Source::Loaded(candles) => Ok(candles.next().copied()),
            Source::Streamed(bars) => bars.next().transpose(),
        }
    }
}

impl fmt::Debug for BarFeed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BarFeed").field("product_id", &self.product_id).field("granularity", &self.granularity).finish()
    }
}
