//! Prometheus metrics (prometheus-client): request counts and latency histograms per route,
//! plus gauges and counters the server reads from its parts when scraped (`GET /metrics`),
//! all written in Prometheus' text format 0.0.4.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;
use std::sync::Mutex;
use std::time::Duration;

pub use prometheus_client::metrics::histogram::Histogram;

/// The `Content-Type` of `GET /metrics`: the Prometheus text format, version 0.0.4.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0];

/// A latency histogram over the server's buckets (100 µs to 1 s), observed in seconds.
pub fn latency_histogram() -> Histogram {
    Histogram::new(BUCKETS)
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

/// One series of `coinswarm_http_requests_total`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: &'static str,
    status: u16,
}

/// One series of `coinswarm_http_request_duration_seconds`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

/// Request metrics, keyed by route template (`/api/orders/{id}`), never by raw path.
#[derive(Debug)]
pub struct HttpMetrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    /// The request series created; a new series is admitted under this lock.
    series: Mutex<usize>,
}

impl Default for HttpMetrics {
    fn default() -> Self {
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(latency_histogram as fn() -> Histogram);
        let mut registry = Registry::default();
        registry.register("coinswarm_http_requests", "HTTP requests by route, method and status", requests.clone());
        registry.register(
            "coinswarm_http_request_duration_seconds",
            "Time to answer a request, by route",
            latency.clone(),
        );
        Self { registry, requests, latency, series: Mutex::new(0) }
    }
}

impl HttpMetrics {
    /// Counts one request. `route` must be a route template or a fixed name, never a raw path.
    pub fn record(&self, route: &str, method: &'static str, status: u16, elapsed: Duration) {
        let route = self.count_request(RequestLabels { route: route.to_string(), method, status });
        self.latency.get_or_create(&RouteLabels { route }).observe(elapsed.as_secs_f64());
    }

    /// Counts a request under its series, or under route `overflow` when its series is new and
    /// [`MAX_SERIES`] are held; answers the route it was counted under.
    fn count_request(&self, mut labels: RequestLabels) -> String {
        if let Some(requests) = self.requests.get(&labels) {
            requests.inc();
            return labels.route;
        }
        // New series are created one at a time, so the count stays exact.
        let mut series = self.series.lock().unwrap_or_else(|p| p.into_inner());
        if *series >= MAX_SERIES && self.requests.get(&labels).is_none() {
            labels.route = OVERFLOW_ROUTE.to_string();
        }
        if self.requests.get(&labels).is_none() {
            *series += 1;
        }
        self.requests.get_or_create(&labels).inc();
        labels.route
    }

    /// The (route, method, status) series held.
    pub fn series(&self) -> usize {
        *self.series.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The request metrics in Prometheus' text format.
    pub fn render(&self, out: &mut String) {
        // Writing to a String cannot fail.
        let _ = prometheus_text::encode(out, &self.registry);
    }
}

/// The values the server reads from its parts when scraped, written after the request
/// metrics: counters (`_total` is appended to their names) and gauges, each with its help.
#[derive(Debug, Default)]
pub struct Snapshot {
    registry: Registry,
}

impl Snapshot {
    /// A counter; `name` without its `_total`, `help` without its final full stop.
    pub fn counter(&mut self, name: &str, help: &str, value: u64) {
        self.registry.register(name, help, ConstCounter::new(value));
    }

    /// A gauge; `help` without its final full stop.
    pub fn gauge(&mut self, name: &str, help: &str, value: i64) {
        self.registry.register(name, help, ConstGauge::new(value));
    }

    /// A histogram; `help` without its final full stop.
    pub fn histogram(&mut self, name: &str, help: &str, histogram: Histogram) {
        self.registry.register(name, help, histogram);
    }

    /// The values in Prometheus' text format.
    pub fn render(&self, out: &mut String) {
        // Writing to a String cannot fail.
        let _ = prometheus_text::encode(out, &self.registry);
    }
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

    #[test]
    fn the_exposition_keeps_the_names_types_and_help_scrapers_know() {
        let metrics = HttpMetrics::default();
        metrics.record("/api/orders/{id}", "GET", 404, Duration::from_micros(300));
        let mut out = String::new();
        metrics.render(&mut out);
        let mut snapshot = Snapshot::default();
        snapshot.counter("coinswarm_cache_hits", "Kv cache hits", 3);
        snapshot.gauge("coinswarm_queue_depth", "Post-trade jobs waiting", -1);
        let commits = latency_histogram();
        commits.observe(0.002);
        snapshot.histogram("coinswarm_store_commit_duration_seconds", "Group commits", commits);
        snapshot.render(&mut out);
        for line in [
            "# HELP coinswarm_http_requests_total HTTP requests by route, method and status.",
            "# TYPE coinswarm_http_requests_total counter",
            "coinswarm_http_requests_total{route=\"/api/orders/{id}\",method=\"GET\",status=\"404\"} 1",
            "# HELP coinswarm_http_request_duration_seconds Time to answer a request, by route.",
            "# TYPE coinswarm_http_request_duration_seconds histogram",
            "coinswarm_http_request_duration_seconds_bucket{route=\"/api/orders/{id}\",le=\"0.00025\"} 0",
            "coinswarm_http_request_duration_seconds_bucket{route=\"/api/orders/{id}\",le=\"0.0005\"} 1",
            "coinswarm_http_request_duration_seconds_bucket{route=\"/api/orders/{id}\",le=\"+Inf\"} 1",
            "coinswarm_http_request_duration_seconds_count{route=\"/api/orders/{id}\"} 1",
            "# HELP coinswarm_cache_hits_total Kv cache hits.",
            "# TYPE coinswarm_cache_hits_total counter",
            "coinswarm_cache_hits_total 3",
            "# TYPE coinswarm_queue_depth gauge",
            "coinswarm_queue_depth -1",
            "coinswarm_store_commit_duration_seconds_bucket{le=\"0.0025\"} 1",
            "coinswarm_store_commit_duration_seconds_count 1",
        ] {
            assert!(out.lines().any(|l| l == line), "missing {line:?} in\n{out}");
        }
    }
}
