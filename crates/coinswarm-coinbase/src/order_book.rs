//! A product's level-2 order book as the `level2` channel builds it: a snapshot, then
//! updates that set a price level's quantity (zero removes it).

use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrderBook {
    bids: BTreeMap<Decimal, Decimal>,
    asks: BTreeMap<Decimal, Decimal>,
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

    pub fn clear(&mut self) {
        self.bids.clear();
        self.asks.clear();
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

    /// The book from REST `product_book`'s `pricebook` (`bids`/`asks` of `{price, size}`).
    pub fn from_rest(pricebook: &Value) -> Option<OrderBook> {
        let mut book = OrderBook::default();
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
}
