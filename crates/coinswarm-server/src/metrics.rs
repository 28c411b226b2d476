//! Prometheus metrics: request counts and latency histograms per route, plus gauges and
//! counters the server reads from its parts when scraped (`GET /metrics`).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0];

/// A latency histogram over `BUCKETS` (cumulative, as Prometheus counts them).
#[derive(Debug, Default, Clone)]
pub struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    pub fn observe(&mut self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        for (bound, count) in BUCKETS.iter().zip(self.counts.iter_mut()) {
            if seconds <= *bound {
                *count += 1;
            }
        }
        self.count += 1;
        self.sum += seconds;
    }

    /// The histogram's bucket, sum and count lines; `labels` is empty or `key="value",`.
    pub fn render_lines(&self, out: &mut String, name: &str, labels: &str) {
        for (bound, count) in BUCKETS.iter().zip(self.counts) {
            let _ = writeln!(out, "{name}_bucket{{{labels}le=\"{bound}\"}} {count}");
        }
        let _ = writeln!(out, "{name}_bucket{{{labels}le=\"+Inf\"}} {}", self.count);
        let labels = labels.trim_end_matches(',');
        let _ = writeln!(out, "{name}_sum{{{labels}}} {}", self.sum);
        let _ = writeln!(out, "{name}_count{{{labels}}} {}", self.count);
    }
}

/// Request metrics, keyed by route template (`/api/orders/{id}`), never by raw path.
#[derive(Debug, Default)]
pub struct HttpMetrics {
    routes: Mutex<HashMap<String, RouteStats>>,
}

#[derive(Debug, Default)]
struct RouteStats {
    /// (method, status) → requests.
    requests: BTreeMap<(String, u16), u64>,
    latency: Histogram,
}

impl HttpMetrics {
    /// Counts one request (one lock; allocates only the first time a route or status is seen).
    pub fn record(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        let mut routes = self.routes.lock().unwrap_or_else(|p| p.into_inner());
        let stats = match routes.get_mut(route) {
            Some(stats) => stats,
            None => routes.entry(route.to_string()).or_default(),
        };
        match stats.requests.iter_mut().find(|((m, s), _)| m == method && *s == status) {
            Some((_, count)) => *count += 1,
            None => {
                stats.requests.insert((method.to_string(), status), 1);
            }
        }
        stats.latency.observe(elapsed);
    }

    /// The request metrics in Prometheus' text format.
    pub fn render(&self, out: &mut String) {
        let routes = self.routes.lock().unwrap_or_else(|p| p.into_inner());
        let mut names: Vec<&String> = routes.keys().collect();
        names.sort();
        let _ = writeln!(out, "# HELP coinswarm_http_requests_total HTTP requests by route, method and status.");
        let _ = writeln!(out, "# TYPE coinswarm_http_requests_total counter");
        for route in &names {
            for ((method, status), count) in &routes[*route].requests {
                let _ = writeln!(
                    out,
                    "coinswarm_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {count}"
                );
            }
        }
        let name = "coinswarm_http_request_duration_seconds";
        let _ = writeln!(out, "# HELP {name} Time to answer a request, by route.");
        let _ = writeln!(out, "# TYPE {name} histogram");
        for route in &names {
            routes[*route].latency.render_lines(out, name, &format!("route=\"{route}\","));
        }
    }
}

/// One gauge or counter line with its help and type.
pub fn render_value(out: &mut String, name: &str, kind: &str, help: &str, value: f64) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
    let _ = writeln!(out, "{name} {value}");
}
