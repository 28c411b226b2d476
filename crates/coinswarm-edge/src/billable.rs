//! What one request costs on Cloudflare: the billable operations it made, counted by the
//! Worker and its Durable Objects as they make them, and sent back in the
//! `x-coinswarm-billable` header (`worker=1,do=2,kv_read=1,…`) so tests and benchmarks can
//! price each route. The Worker request itself is always one.

use serde::{Deserialize, Serialize};
use std::ops::AddAssign;

/// The response header carrying a request's [`Billable`].
pub const HEADER: &str = "x-coinswarm-billable";

/// Billable operations, as Cloudflare prices them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Billable {
    /// Durable Object requests (each call to an object, from the Worker or another object).
    pub do_requests: u64,
    pub kv_reads: u64,
    pub kv_writes: u64,
    pub d1_rows_read: u64,
    pub d1_rows_written: u64,
    /// Rows read and written in Durable Objects' SQLite storage.
    pub sql_rows_read: u64,
    pub sql_rows_written: u64,
    pub queue_messages: u64,
    /// R2 Class A (writes, lists) and Class B (reads) operations.
    pub r2_class_a: u64,
    pub r2_class_b: u64,
    /// Analytics Engine data points written.
    pub analytics_points: u64,
}

const NAMES: [&str; 11] =
    ["do", "kv_read", "kv_write", "d1_read", "d1_written", "sql_read", "sql_written", "queue", "r2_a", "r2_b", "ae"];

impl Billable {
    fn fields(&self) -> [u64; 11] {
        [
            self.do_requests,
            self.kv_reads,
            self.kv_writes,
            self.d1_rows_read,
            self.d1_rows_written,
            self.sql_rows_read,
            self.sql_rows_written,
            self.queue_messages,
            self.r2_class_a,
            self.r2_class_b,
            self.analytics_points,
        ]
    }

    fn fields_mut(&mut self) -> [&mut u64; 11] {
        [
            &mut self.do_requests,
            &mut self.kv_reads,
            &mut self.kv_writes,
            &mut self.d1_rows_read,
            &mut self.d1_rows_written,
            &mut self.sql_rows_read,
            &mut self.sql_rows_written,
            &mut self.queue_messages,
            &mut self.r2_class_a,
            &mut self.r2_class_b,
            &mut self.analytics_points,
        ]
    }

    /// The header's value: every count, by name.
    pub fn header(&self) -> String {
        NAMES.iter().zip(self.fields()).map(|(name, n)| format!("{name}={n}")).collect::<Vec<_>>().join(",")
    }

    /// Reads a header written by [`Billable::header`] (unknown names are ignored).
    pub fn parse(text: &str) -> Billable {
        let mut billable = Billable::default();
        for part in text.split(',') {
            if let Some((name, count)) = part.trim().split_once('=')
                && let (Some(i), Ok(count)) = (NAMES.iter().position(|n| *n == name), count.parse::<u64>())
            {
                *billable.fields_mut()[i] = count;
            }
        }
        billable
    }
}

impl AddAssign for Billable {
    fn add_assign(&mut self, other: Billable) {
        for (mine, theirs) in self.fields_mut().into_iter().zip(other.fields()) {
            *mine += theirs;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_reads_back_and_counts_add_up() {
        let mut a = Billable { do_requests: 2, kv_reads: 1, sql_rows_written: 7, ..Billable::default() };
        assert_eq!(Billable::parse(&a.header()), a);
        a += Billable { do_requests: 1, queue_messages: 3, ..Billable::default() };
        assert_eq!((a.do_requests, a.queue_messages, a.kv_reads), (3, 3, 1));
        assert_eq!(Billable::parse("do=4,unknown=9,kv_read=x"), Billable { do_requests: 4, ..Billable::default() });
    }
}
