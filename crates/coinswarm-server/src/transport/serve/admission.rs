//! Admission of connections: at most `max` open at once, and at most `max_per_ip` from one
//! client address, so neither one client nor many can exhaust the process's file
//! descriptors and memory. A [`Ticket`] is one admitted connection's place; it is held by
//! the connection's socket, so a WebSocket keeps its place after the HTTP upgrade and gives
//! it back when the socket closes.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Open connections, in all and by client address.
#[derive(Debug)]
pub struct Admission {
    max: usize,
    /// 0: no cap per address.
    max_per_ip: usize,
    open: Mutex<Open>,
    refused: AtomicU64,
}

#[derive(Debug, Default)]
struct Open {
    total: usize,
    /// Only addresses with an open connection are kept.
    by_ip: HashMap<IpAddr, usize>,
}

/// Why a connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `max` connections are open.
    Full,
    /// The client's address holds `max_per_ip` connections.
    TooManyFromAddress,
}

impl Admission {
    pub fn new(max: usize, max_per_ip: usize) -> Arc<Self> {
        Arc::new(Self { max, max_per_ip, open: Mutex::new(Open::default()), refused: AtomicU64::new(0) })
    }

    /// A place for a connection from `ip`, or why there is none.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Ticket, Refusal> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let from_ip = open.by_ip.get(&ip).copied().unwrap_or(0);
        let refusal = if open.total >= self.max {
            Some(Refusal::Full)
        } else if self.max_per_ip > 0 && from_ip >= self.max_per_ip {
            Some(Refusal::TooManyFromAddress)
        } else {
            None
        };
        if let Some(refusal) = refusal {
            self.refused.fetch_add(1, Ordering::Relaxed);
            return Err(refusal);
        }
        open.total += 1;
        open.by_ip.insert(ip, from_ip + 1);
        Ok(Ticket { admission: self.clone(), ip })
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.open.lock().unwrap_or_else(|p| p.into_inner()).total
    }

    /// Connections refused since the start.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// The most connections admitted at once.
    pub fn max(&self) -> usize {
        self.max
    }

    fn release(&self, ip: IpAddr) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        open.total = open.total.saturating_sub(1);
        if let Some(count) = open.by_ip.get_mut(&ip) {
            *count -= 1;
            if *count == 0 {
                open.by_ip.remove(&ip);
            }
        }
    }
}

/// One admitted connection's place, given back when dropped.
#[derive(Debug)]
pub struct Ticket {
    admission: Arc<Admission>,
    ip: IpAddr,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.admission.release(self.ip);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn one_address_cannot_take_more_than_its_share() {
        let admission = Admission::new(10, 2);
        let first = admission.admit(ip("10.0.0.1")).unwrap();
        let _second = admission.admit(ip("10.0.0.1")).unwrap();
        assert_eq!(admission.admit(ip("10.0.0.1")).unwrap_err(), Refusal::TooManyFromAddress);
        let _other = admission.admit(ip("10.0.0.2")).expect("another address still gets in");
        drop(first);
        admission.admit(ip("10.0.0.1")).expect("a closed connection gives its place back");
        assert_eq!(admission.refused(), 1);
    }

    #[test]
    fn the_total_is_capped_and_places_come_back() {
        let admission = Admission::new(3, 0);
        let tickets: Vec<Ticket> = (1..=3).map(|i| admission.admit(ip(&format!("10.0.0.{i}"))).unwrap()).collect();
        assert_eq!(admission.admit(ip("10.0.0.9")).unwrap_err(), Refusal::Full);
        assert_eq!(admission.open(), 3);
        drop(tickets);
        assert_eq!(admission.open(), 0);
        assert!(admission.open.lock().unwrap().by_ip.is_empty(), "no address is kept once its connections close");
    }
}
