//! A month of the edge on Cloudflare's Workers Paid plan, priced from the billable
//! operations each request makes ([`crate::billable`]): Cloudflare's published prices and
//! monthly inclusions (developers.cloudflare.com, pricing pages of Workers, Durable Objects,
//! KV, D1, Queues, R2 and Analytics Engine, as of late 2026). Durable Object duration is
//! priced from the wall time an object is awake per request.

use crate::billable::Billable;

/// One billable kind: what a month includes, and the price per million beyond it (USD).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub included_per_month: f64,
    pub usd_per_million: f64,
}

impl Rate {
    fn cost(self, used: f64) -> f64 {
        (used - self.included_per_month).max(0.0) / 1e6 * self.usd_per_million
    }
}

/// Cloudflare's prices (Workers Paid).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prices {
    /// The Workers Paid plan's monthly minimum.
    pub base_usd: f64,
    /// Worker requests: 10 M included, $0.30 per million.
    pub worker_requests: Rate,
    /// Durable Object requests: 1 M included, $0.15 per million.
    pub do_requests: Rate,
    /// Durable Object duration: 400,000 GB-s included, $12.50 per million GB-s (an awake
    /// object is billed at 128 MB).
    pub do_gb_seconds: Rate,
    /// KV reads: 10 M included, $0.50 per million.
    pub kv_reads: Rate,
    /// KV writes: 1 M included, $5.00 per million.
    pub kv_writes: Rate,
    /// D1 and Durable Object SQLite rows read: 25 billion included, $0.001 per million.
    pub rows_read: Rate,
    /// D1 and Durable Object SQLite rows written: 50 M included, $1.00 per million.
    pub rows_written: Rate,
    /// Queue operations (a message is written, read and deleted: 3): 1 M included, $0.40 per million.
    pub queue_operations: Rate,
    /// R2 Class A: 1 M included, $4.50 per million; Class B: 10 M included, $0.36 per million.
    pub r2_class_a: Rate,
    pub r2_class_b: Rate,
    /// Analytics Engine data points: 10 M included, $0.25 per million.
    pub analytics_points: Rate,
}

impl Default for Prices {
    fn default() -> Self {
        let rate = |included_per_month, usd_per_million| Rate { included_per_month, usd_per_million };
        Self {
            base_usd: 5.0,
            worker_requests: rate(10e6, 0.30),
            do_requests: rate(1e6, 0.15),
            do_gb_seconds: rate(400_000.0, 12.50),
            kv_reads: rate(10e6, 0.50),
            kv_writes: rate(1e6, 5.00),
            rows_read: rate(25e9, 0.001),
            rows_written: rate(50e6, 1.00),
            queue_operations: rate(1e6, 0.40),
            r2_class_a: rate(1e6, 4.50),
            r2_class_b: rate(10e6, 0.36),
            analytics_points: rate(10e6, 0.25),
        }
    }
}

/// A share of the traffic: what one such request costs, and how often it comes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Share {
    pub billable: Billable,
    /// Fraction of all requests (the shares of a mix add up to 1).
    pub fraction: f64,
}

/// Days in a billing month.
pub const DAYS_PER_MONTH: f64 = 30.0;
/// Wall time a Durable Object is awake per request it serves, in seconds (the objects
/// answer within milliseconds; hibernating WebSockets cost nothing while idle).
pub const DO_AWAKE_SECONDS_PER_REQUEST: f64 = 0.010;
/// Memory an awake object is billed at, in GB.
pub const DO_BILLED_GB: f64 = 0.128;

impl Prices {
    /// The monthly bill (USD) of `requests_per_day` requests in the proportions of `mix`.
    pub fn monthly_usd(&self, mix: &[Share], requests_per_day: f64) -> f64 {
        let month = requests_per_day * DAYS_PER_MONTH;
        let total =
            |f: fn(&Billable) -> u64| mix.iter().map(|s| f(&s.billable) as f64 * s.fraction).sum::<f64>() * month;
        let do_requests = total(|b| b.do_requests);
        self.base_usd
            + self.worker_requests.cost(month)
            + self.do_requests.cost(do_requests)
            + self.do_gb_seconds.cost(do_requests * DO_AWAKE_SECONDS_PER_REQUEST * DO_BILLED_GB)
            + self.kv_reads.cost(total(|b| b.kv_reads))
            + self.kv_writes.cost(total(|b| b.kv_writes))
            + self.rows_read.cost(total(|b| b.d1_rows_read + b.sql_rows_read))
            + self.rows_written.cost(total(|b| b.d1_rows_written + b.sql_rows_written))
            + self.queue_operations.cost(total(|b| b.queue_messages) * 3.0)
            + self.r2_class_a.cost(total(|b| b.r2_class_a))
            + self.r2_class_b.cost(total(|b| b.r2_class_b))
            + self.analytics_points.cost(total(|b| b.analytics_points))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_inside_every_inclusion_costs_the_plans_minimum_and_more_traffic_costs_more() {
        let read = Share { billable: Billable { kv_reads: 1, ..Billable::default() }, fraction: 1.0 };
        let prices = Prices::default();
        assert_eq!(prices.monthly_usd(&[read], 1_000.0), 5.0);
        // 100 M requests a month: 90 M Worker requests and 90 M KV reads beyond the inclusions.
        let heavy = prices.monthly_usd(&[read], 100e6 / DAYS_PER_MONTH);
        assert!((heavy - (5.0 + 90.0 * 0.30 + 90.0 * 0.50)).abs() < 1e-6, "{heavy}");
    }
}
