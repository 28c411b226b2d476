//! Round trips from fills: a trade opens when a flat product is bought and closes when the
//! position is back to flat (below the product's minimum size).

use super::metrics::ClosedTrade;
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
#[derive(Debug, Clone, Default)]
pub struct RoundTrips {
    open: BTreeMap<ProductId, OpenTrip>,
    closed: Vec<ClosedTrade>,
    traded_notional: Decimal,
}

impl RoundTrips {
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
            self.closed.push(close(fill.product_id, trip, fill.time));
        }
    }

    /// Closed round trips so far, in closing order.
    pub fn closed(&self) -> &[ClosedTrade] {
        &self.closed
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
