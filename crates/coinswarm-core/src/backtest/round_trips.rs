//! Round trips from fills: a trade opens when a flat product is bought and closes when the
//! position is back to flat (below the product's minimum size).

use super::metrics::{ClosedTrade, TradeStats, TradeTally};
use crate::exchange::Fill;
use crate::market::{Product, ProductId, Side};
use crate::time::Timestamp;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::collections::BTreeMap;

/// An open round trip of one product.
#[derive(Debug, Clone)]
struct OpenTrip {
    entry_time: Timestamp,
    bought: Decimal,
    cost: Decimal,
    sold: Decimal,
    proceeds: Decimal,
    fees: Decimal,
}

/// Folds fills into closed round trips (long-only spot: buys open or add, sells reduce).
///
/// Every closed trip counts in the statistics; the list keeps the first `kept` of them, so a
/// run of any length holds a bounded number in memory.
#[derive(Debug, Clone)]
pub struct RoundTrips {
    open: BTreeMap<ProductId, OpenTrip>,
    closed: Vec<ClosedTrade>,
    kept: usize,
    tally: TradeTally,
    traded_notional: Decimal,
}

impl Default for RoundTrips {
    fn default() -> Self {
        Self::keeping(usize::MAX)
    }
}

impl RoundTrips {
    /// Round trips that list at most `kept` closed trades (the earliest).
    pub fn keeping(kept: usize) -> Self {
        Self {
            open: BTreeMap::new(),
            closed: Vec::new(),
            kept,
            tally: TradeTally::default(),
            traded_notional: Decimal::ZERO,
        }
    }

    /// Folds one fill of `product` in; a sell that brings the position back below the
    /// product's minimum size closes the trip.
    pub fn record(&mut self, fill: &Fill, product: &Product) {
        let notional = fill.price * fill.size;
        self.traded_notional += notional;
        let trip = self.open.entry(fill.product_id).or_insert_with(|| OpenTrip {
            entry_time: fill.time,
            bought: Decimal::ZERO,
            cost: Decimal::ZERO,
            sold: Decimal::ZERO,
            proceeds: Decimal::ZERO,
            fees: Decimal::ZERO,
        });
        trip.fees += fill.fee;
        match fill.side {
            Side::Buy => {
                trip.bought += fill.size;
                trip.cost += notional;
            }
            Side::Sell => {
                trip.sold += fill.size;
                trip.proceeds += notional;
            }
        }
        let held = trip.bought - trip.sold;
        if fill.side == Side::Sell && held < product.base_min_size.max(product.base_increment) {
            let trip = self.open.remove(&fill.product_id).expect("the trip was just updated");
            let trade = close(fill.product_id, trip, fill.time);
            self.tally.record(&trade);
            if self.closed.len() < self.kept {
                self.closed.push(trade);
            }
        }
    }

    /// Closed round trips so far, in closing order: the first `kept` of them.
    pub fn closed(&self) -> &[ClosedTrade] {
        &self.closed
    }

    /// Round trips closed so far, listed or not.
    pub fn closed_count(&self) -> u64 {
        self.tally.count()
    }

    /// Statistics of every closed trip plus `open` (trips still open, valued by the caller).
    pub fn stats_with(&self, open: &[ClosedTrade]) -> TradeStats {
        let mut tally = self.tally.clone();
        open.iter().for_each(|trade| tally.record(trade));
        tally.finish()
    }

    /// Σ price × size over every fill, in quote currency.
    pub fn traded_notional(&self) -> Decimal {
        self.traded_notional
    }

    /// Trips still open, valued as if closed at `marks` (each product's last close), without
    /// fees: how `close_at_end` would have ended them.
    pub fn open_at(&self, marks: &BTreeMap<ProductId, Decimal>, time: Timestamp) -> Vec<ClosedTrade> {
        self.open
            .iter()
            .filter_map(|(product_id, trip)| {
                let mark = *marks.get(product_id)?;
                let held = trip.bought - trip.sold;
                let mut marked = trip.clone();
                marked.sold += held;
                marked.proceeds += held * mark;
                Some(close(*product_id, marked, time))
            })
            .collect()
    }
}

fn close(product_id: ProductId, trip: OpenTrip, exit_time: Timestamp) -> ClosedTrade {
    let pnl = trip.proceeds - trip.cost - trip.fees;
    let average = |value: Decimal, size: Decimal| if size.is_zero() { Decimal::ZERO } else { value / size };
    ClosedTrade {
        product_id,
        entry_time: trip.entry_time,
        exit_time,
        entry_price: average(trip.cost, trip.bought),
        exit_price: average(trip.proceeds, trip.sold),
        size: trip.sold,
        pnl,
        fees: trip.fees,
        return_fraction: if trip.cost.is_zero() { 0.0 } else { (pnl / trip.cost).to_f64().unwrap_or(0.0) },
    }
}
