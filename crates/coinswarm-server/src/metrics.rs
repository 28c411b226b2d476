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

/// The methods a metric label may name; any other method is counted as `OTHER`, so a
/// client inventing method names cannot create series.
const METHODS: [&str; 9] = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"];

/// The label a request's method is counted under: one of [`METHODS`], else `OTHER`.
pub fn method_label(method: &axum::http::Method) -> &'static str {
    METHODS.iter().find(|m| **m == method.as_str()).copied().unwrap_or("OTHER")
}

/// Most (route, method, status) series kept. Routes are the router's templates (plus
/// `unmatched`), methods a fixed set and statuses the server's own, so real traffic stays far
/// below this; anything beyond it is counted under route `overflow`, so memory stays bounded
/// whatever a client sends.
pub const MAX_SERIES: usize = 2_000;

/// The route label for requests past [`MAX_SERIES`].
const OVERFLOW_ROUTE: &str = "overflow";

/// Request metrics, keyed by route template (`/api/orders/{id}`), never by raw path.
#[derive(Debug, Default)]
pub struct HttpMetrics {
    routes: Mutex<Routes>,
}

#[derive(Debug, Default)]
struct Routes {
    by_route: HashMap<String, RouteStats>,
    series: usize,
}

#[derive(Debug, Default)]
struct RouteStats {
    /// (method, status) → requests.
    requests: BTreeMap<(&'static str, u16), u64>,
    latency: Histogram,
}

impl HttpMetrics {
    /// Counts one request (one lock; allocates only the first time a series is seen).
    /// `route` must be a route template or a fixed name, never a raw path.
    pub fn record(&self, route: &str, method: &'static str, status: u16, elapsed: Duration) {
        let mut routes = self.routes.lock().unwrap_or_else(|p| p.into_inner());
        let known = routes.by_route.get(route).is_some_and(|stats| stats.requests.contains_key(&(method, status)));
        let route = if known || routes.series < MAX_SERIES { route } else { OVERFLOW_ROUTE };
        let Routes { by_route, series } = &mut *routes;
        let stats = match by_route.get_mut(route) {
            Some(stats) => stats,
            None => by_route.entry(route.to_string()).or_default(),
        };
        let count = stats.requests.entry((method, status)).or_insert_with(|| {
            *series += 1;
            0
        });
        *count += 1;
        stats.latency.observe(elapsed);
    }

    /// The (route, method, status) series held.
    pub fn series(&self) -> usize {
        self.routes.lock().unwrap_or_else(|p| p.into_inner()).series
    }

    /// The request metrics in Prometheus' text format.
    pub fn render(&self, out: &mut String) {
        let routes = self.routes.lock().unwrap_or_else(|p| p.into_inner());
        let routes = &routes.by_route;
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Method;

    #[test]
    fn invented_method_names_share_one_label() {
        let metrics = HttpMetrics::default();
        for i in 0..1_000 {
            let method = Method::from_bytes(format!("INVENTED{i}").as_bytes()).unwrap();
            metrics.record("unmatched", method_label(&method), 404, Duration::from_micros(5));
        }
        metrics.record("unmatched", method_label(&Method::GET), 404, Duration::from_micros(5));
        assert_eq!(metrics.series(), 2, "OTHER and GET");
        let mut out = String::new();
        metrics.render(&mut out);
        assert!(out.contains("route=\"unmatched\",method=\"OTHER\",status=\"404\"} 1000"), "{out}");
        assert!(!out.contains("INVENTED"));
    }

    #[test]
    fn series_past_the_cap_are_counted_under_overflow() {
        let metrics = HttpMetrics::default();
        for i in 0..(MAX_SERIES + 500) {
            metrics.record(&format!("/route/{i}"), "GET", 200, Duration::from_micros(5));
        }
        assert_eq!(metrics.series(), MAX_SERIES + 1, "the cap, plus the overflow series");
        metrics.record("/route/0", "GET", 200, Duration::from_micros(5));
        let mut out = String::new();
        metrics.render(&mut out);
        assert!(out.contains("route=\"overflow\",method=\"GET\",status=\"200\"} 500"), "{out}");
        assert!(out.contains("route=\"/route/0\",method=\"GET\",status=\"200\"} 2"), "a known series still counts");
    }
}
