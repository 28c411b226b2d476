//! A product's level-2 order book as the `level2` channel builds it: a snapshot, then
//! updates that set a price level's quantity (zero removes it). A book rebuilt from REST
//! after a gap is as of the REST answer's time: updates from before it (buffered while the
//! REST request ran) are already in it and are skipped.

use coinswarm_core::time::Timestamp;
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrderBook {
    bids: BTreeMap<Decimal, Decimal>,
    asks: BTreeMap<Decimal, Decimal>,
    /// The REST snapshot's time, when the book came from one.
    as_of: Option<Timestamp>,
}

impl OrderBook {
    /// Sets one level: `side` is Coinbase's "bid" or "offer"/"ask".
    pub fn set(&mut self, side: &str, price: Decimal, quantity: Decimal) {
        let levels = if side.eq_ignore_ascii_case("bid") { &mut self.bids } else { &mut self.asks };
        if quantity.is_zero() {
            levels.remove(&price);
        } else {
            levels.insert(price, quantity);
        }
    }

    /// Sets one level from a stream update made at `event_time`; an update from before the
    /// book's REST snapshot is skipped. Whether it was applied.
    pub fn update(&mut self, side: &str, price: Decimal, quantity: Decimal, event_time: Option<Timestamp>) -> bool {
        if let (Some(as_of), Some(time)) = (self.as_of, event_time)
            && time < as_of
        {
            return false;
        }
        self.set(side, price, quantity);
        true
    }

    pub fn clear(&mut self) {
        self.bids.clear();
        self.asks.clear();
        self.as_of = None;
    }

    /// The REST snapshot's time, for a book rebuilt from one.
    pub fn as_of(&self) -> Option<Timestamp> {
        self.as_of
    }

    pub fn best_bid(&self) -> Option<(Decimal, Decimal)> {
        self.bids.iter().next_back().map(|(p, q)| (*p, *q))
    }

    pub fn best_ask(&self) -> Option<(Decimal, Decimal)> {
        self.asks.iter().next().map(|(p, q)| (*p, *q))
    }

    pub fn depth(&self) -> (usize, usize) {
        (self.bids.len(), self.asks.len())
    }

    /// The book from REST `product_book`'s `pricebook` (`bids`/`asks` of `{price, size}`,
    /// and its `time`).
    pub fn from_rest(pricebook: &Value) -> Option<OrderBook> {
        let mut book = OrderBook {
            as_of: pricebook.get("time").and_then(Value::as_str).and_then(|t| Timestamp::parse(t).ok()),
            ..OrderBook::default()
        };
        for (side, key) in [("bid", "bids"), ("offer", "asks")] {
            for level in pricebook.get(key)?.as_array()? {
                let price = level.get("price")?.as_str()?.parse().ok()?;
                let size = level.get("size")?.as_str()?.parse().ok()?;
                book.set(side, price, size);
            }
        }
        Some(book)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_set_levels_and_zero_removes_them() {
        let mut book = OrderBook::default();
        book.set("bid", Decimal::from(100), Decimal::ONE);
        book.set("bid", Decimal::from(101), Decimal::TWO);
        book.set("offer", Decimal::from(103), Decimal::ONE);
        book.set("offer", Decimal::from(102), Decimal::ONE);
        assert_eq!(book.best_bid(), Some((Decimal::from(101), Decimal::TWO)));
        assert_eq!(book.best_ask(), Some((Decimal::from(102), Decimal::ONE)));
        book.set("bid", Decimal::from(101), Decimal::ZERO);
        assert_eq!(book.best_bid().unwrap().0, Decimal::from(100));
        let rest = serde_json::json!({"bids": [{"price": "99", "size": "3"}], "asks": [{"price": "104", "size": "1"}]});
        let fresh = OrderBook::from_rest(&rest).unwrap();
        assert_eq!((fresh.best_bid().unwrap().0, fresh.best_ask().unwrap().0), (Decimal::from(99), Decimal::from(104)));
    }

    #[test]
    fn updates_older_than_the_rest_snapshot_are_skipped() {
        let at = |s: &str| Timestamp::parse(s).ok();
        let rest = serde_json::json!({"bids": [{"price": "99", "size": "3"}], "asks": [{"price": "104", "size": "1"}],
            "time": "2026-11-27T12:00:05Z"});
        let mut book = OrderBook::from_rest(&rest).unwrap();
        assert!(!book.update("bid", Decimal::from(99), Decimal::ZERO, at("2026-11-27T12:00:04Z")), "buffered before");
        assert_eq!(book.best_bid().unwrap().0, Decimal::from(99));
        assert!(book.update("bid", Decimal::from(100), Decimal::ONE, at("2026-11-27T12:00:06Z")));
        assert_eq!(book.best_bid().unwrap().0, Decimal::from(100));
        book.clear();
        assert!(book.update("bid", Decimal::from(98), Decimal::ONE, at("2026-11-27T12:00:00Z")), "a new snapshot");
    }
}
