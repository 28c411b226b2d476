//! An account's orders as readers see them: a persistent (structurally shared) map, so each
//! committed batch publishes a new snapshot in O(changes · log n) instead of copying every
//! order, and readers keep theirs without locks.

use coinswarm_core::exchange::{Order, OrderId};
use std::cmp::Reverse;
use std::collections::VecDeque;
use std::sync::Arc;

/// Orders newest first, by id, keeping every live order and the latest `retained` ended ones
/// (the same retention as the account's).
#[derive(Debug, Clone)]
pub struct OrderSnapshot {
    by_id: imbl::HashMap<OrderId, (Reverse<u64>, Arc<Order>)>,
    newest_first: imbl::OrdMap<Reverse<u64>, Arc<Order>>,
    ended: VecDeque<OrderId>,
    retained: usize,
    next_rank: u64,
}

impl OrderSnapshot {
    pub fn new(retained: usize) -> Self {
        Self {
            by_id: imbl::HashMap::new(),
            newest_first: imbl::OrdMap::new(),
            ended: VecDeque::new(),
            retained,
            next_rank: 0,
        }
    }

    /// Records the order's current state (a new order becomes the newest).
    pub fn upsert(&mut self, order: &Order) {
        let order = Arc::new(order.clone());
        let ended = !order.status.is_live();
        match self.by_id.get(&order.order_id).cloned() {
            Some((rank, previous)) => {
                if ended && previous.status.is_live() {
                    self.ended.push_back(order.order_id);
                }
                self.newest_first.insert(rank, order.clone());
                self.by_id.insert(order.order_id, (rank, order));
            }
            None => {
                let rank = Reverse(self.next_rank);
                self.next_rank += 1;
                if ended {
                    self.ended.push_back(order.order_id);
                }
                self.newest_first.insert(rank, order.clone());
                self.by_id.insert(order.order_id, (rank, order));
            }
        }
        while self.ended.len() > self.retained {
            let Some(oldest) = self.ended.pop_front() else { break };
            if let Some((rank, _)) = self.by_id.remove(&oldest) {
                self.newest_first.remove(&rank);
            }
        }
    }

    pub fn get(&self, order_id: OrderId) -> Option<&Order> {
        self.by_id.get(&order_id).map(|(_, order)| order.as_ref())
    }

    /// Every kept order, newest first.
    pub fn iter(&self) -> impl Iterator<Item = &Order> {
        self.newest_first.values().map(Arc::as_ref)
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}
