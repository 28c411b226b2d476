//! Who executes the orders the engine accepts. The engine always checks an order, holds its
//! funds and keeps the account; what happens next is the [`Execution`]'s: [`PaperExecution`]
//! has the engine match it against market data (backtests, paper trading), and
//! [`VenueExecution`] hands it to an outside venue (live trading) through an outbox of
//! [`VenueRequest`]s, the venue's reports coming back as account events. A host with another
//! way to execute (a Worker forwarding to an exchange, a simulator) implements the trait.

use crate::order::OrderId;
use std::fmt::Debug;

/// What the engine's owner must ask the venue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VenueRequest {
    /// Place this accepted order (its `order_id` is the venue's client order id, so a
    /// repeated request cannot place it twice).
    Place(OrderId),
    /// Cancel this order; it stays live until the venue reports it ended.
    Cancel(OrderId),
}

/// Who does what the engine does not: see the [module docs](self).
pub trait Execution: Debug + Send + Sync {
    /// A name for logs and views: `paper`, `venue`.
    fn name(&self) -> &'static str;

    /// Whether the engine matches live orders against market data itself. When `false`,
    /// market data only moves prices and the clock, and orders end as the venue reports.
    fn matches_market_data(&self) -> bool;

    /// The engine accepted `order_id` and holds its funds. Returns whether the engine should
    /// now match it against the current quote; an outside venue records it to place instead.
    fn on_accepted(&mut self, order_id: OrderId) -> bool;

    /// A cancellation of the live order `order_id` was asked. Returns whether the engine
    /// cancels it now; an outside venue records the request, and the order stays live until
    /// the venue reports it ended.
    fn on_cancel(&mut self, order_id: OrderId) -> bool;

    /// What the venue must be asked, oldest first (always empty on paper).
    fn drain_requests(&mut self) -> Vec<VenueRequest>;

    /// A copy, for engines that are cloned (what-if runs, snapshots).
    fn boxed_clone(&self) -> Box<dyn Execution>;
}

impl Clone for Box<dyn Execution> {
    fn clone(&self) -> Self {
        self.boxed_clone()
    }
}

/// The engine matches every order itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PaperExecution;

impl Execution for PaperExecution {
    fn name(&self) -> &'static str {
        "paper"
    }

    fn matches_market_data(&self) -> bool {
        true
    }

    fn on_accepted(&mut self, _order_id: OrderId) -> bool {
        true
    }

    fn on_cancel(&mut self, _order_id: OrderId) -> bool {
        true
    }

    fn drain_requests(&mut self) -> Vec<VenueRequest> {
        Vec::new()
    }

    fn boxed_clone(&self) -> Box<dyn Execution> {
        Box::new(*self)
    }
}

/// An outside venue executes the orders: accepted orders and cancellations wait in an
/// outbox for the engine's owner to send.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VenueExecution {
    outbox: Vec<VenueRequest>,
}

impl Execution for VenueExecution {
    fn name(&self) -> &'static str {
        "venue"
    }

    fn matches_market_data(&self) -> bool {
        false
    }

    fn on_accepted(&mut self, order_id: OrderId) -> bool {
        self.outbox.push(VenueRequest::Place(order_id));
        false
    }

    fn on_cancel(&mut self, order_id: OrderId) -> bool {
        self.outbox.push(VenueRequest::Cancel(order_id));
        false
    }

    fn drain_requests(&mut self) -> Vec<VenueRequest> {
        std::mem::take(&mut self.outbox)
    }

    fn boxed_clone(&self) -> Box<dyn Execution> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_venue_holds_what_it_must_ask_in_order_and_hands_it_over_once() {
        let order = OrderId(uuid::Uuid::from_u128(1));
        let mut venue: Box<dyn Execution> = Box::new(VenueExecution::default());
        assert!(!venue.matches_market_data());
        assert!(!venue.on_accepted(order), "the engine does not match a venue's order");
        assert!(!venue.on_cancel(order), "the venue ends it, not the engine");
        let copy = venue.clone();
        assert_eq!(venue.drain_requests(), [VenueRequest::Place(order), VenueRequest::Cancel(order)]);
        assert!(venue.drain_requests().is_empty(), "handed over once");
        assert_eq!(copy.clone().drain_requests().len(), 2, "a clone keeps its own outbox");
    }

    #[test]
    fn paper_matches_and_cancels_itself_and_asks_no_one() {
        let order = OrderId(uuid::Uuid::from_u128(7));
        let mut paper = PaperExecution;
        assert!(paper.matches_market_data());
        assert!(paper.on_accepted(order));
        assert!(paper.on_cancel(order));
        assert!(paper.drain_requests().is_empty());
    }
}
