//! Prometheus metrics: request counts and latency histograms per route, plus gauges and
//! counters the server reads from its parts when scraped (`GET /metrics`).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// Request metrics, keyed by route template (`/api/orders/{id}`), never by raw path.
#[derive(Debug, Default)]
pub struct HttpMetrics {
    /// (route, method, status) → requests.
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
}

impl HttpMetrics {
    pub fn record(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        let mut requests = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        *requests.entry((route.to_string(), method.to_string(), status)).or_default() += 1;
        drop(requests);
        let seconds = elapsed.as_secs_f64();
        let mut latency = self.latency.lock().unwrap_or_else(|p| p.into_inner());
        let histogram = latency.entry(route.to_string()).or_default();
        for (bound, count) in BUCKETS.iter().zip(histogram.counts.iter_mut()) {
            if seconds <= *bound {
                *count += 1;
            }
        }
        histogram.count += 1;
        histogram.sum += seconds;
    }

    /// The request metrics in Prometheus' text format.
    pub fn render(&self, out: &mut String) {
        let _ = writeln!(out, "# HELP coinswarm_http_requests_total HTTP requests by route, method and status.");
        let _ = writeln!(out, "# TYPE coinswarm_http_requests_total counter");
        for ((route, method, status), count) in self.requests.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            let _ = writeln!(
                out,
                "coinswarm_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {count}"
            );
        }
        let _ = writeln!(out, "# HELP coinswarm_http_request_duration_seconds Time to answer a request, by route.");
        let _ = writeln!(out, "# TYPE coinswarm_http_request_duration_seconds histogram");
        for (route, histogram) in self.latency.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            for (bound, count) in BUCKETS.iter().zip(histogram.counts) {
                let _ = writeln!(
                    out,
                    "coinswarm_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {count}"
                );
            }
            let name = "coinswarm_http_request_duration_seconds";
            let _ = writeln!(out, "{name}_bucket{{route=\"{route}\",le=\"+Inf\"}} {}", histogram.count);
            let _ = writeln!(out, "{name}_sum{{route=\"{route}\"}} {}", histogram.sum);
            let _ = writeln!(out, "{name}_count{{route=\"{route}\"}} {}", histogram.count);
        }
    }
}

/// One gauge or counter line with its help and type.
pub fn render_value(out: &mut String, name: &str, kind: &str, help: &str, value: f64) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
    let _ = writeln!(out, "{name} {value}");
}
