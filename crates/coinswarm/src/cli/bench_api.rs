//! `coinswarm bench api`: drives a running server over loopback with keep-alive HTTP/1.1
//! connections and reports throughput and latency percentiles.
//!
//! Two kinds of load: closed (default: each connection sends its next request as soon as
//! the last one is answered, which finds the most the server can take) and open
//! (`--rate R`: requests are due at a fixed total rate, spread evenly over the connections,
//! and a request delayed because the previous answer came late is timed from when it was
//! due, so a stall counts against every request it delays instead of hiding them, as wrk2
//! does).
//!
//! The server names its own share of each request's time in a `Server-Timing` header; the
//! report gives its percentiles too, so a tail can be told apart: the server's handling,
//! or waiting on the connection and in the network stack.

use anyhow::{Context, bail};
use clap::Args;
use serde::Serialize;
use std::io::Write;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

#[derive(Debug, Args)]
pub struct ApiBenchArgs {
    /// The server, e.g. http://127.0.0.1:8080
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Path and query to GET (ignored with --orders).
    #[arg(long, default_value = "/api/market-data?product_id=BTC-USD")]
    path: String,
    /// POST limit orders (resting far below the market) instead: needs --key (repeat it to
    /// spread the load over several accounts; connections take the keys in turn).
    #[arg(long)]
    orders: bool,
    #[arg(long = "key")]
    keys: Vec<String>,
    /// Concurrent connections.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Open load: requests per second in total, due at fixed times (latency counted from
    /// the due time). Without it, the load is closed: requests back to back.
    #[arg(long)]
    rate: Option<f64>,
    /// Seconds to run (after a one-second warm-up).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Threads of the load generator (it shares the machine with the server: each thread is
    /// one more to schedule on the same cores).
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct ApiBenchReport {
    target: String,
    connections: usize,
    /// The open load's target rate, when one was set.
    target_rate: Option<f64>,
    seconds: f64,
    requests: u64,
    errors: u64,
    requests_per_second: f64,
    p50_ms: f64,
    p90_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    /// The server's own time (its `Server-Timing` header), when it sent one.
    server_p50_ms: Option<f64>,
    server_p99_ms: Option<f64>,
}

pub fn run(args: &ApiBenchArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    if args.connections == 0 || args.seconds == 0 || args.threads == 0 {
        bail!("--connections, --seconds and --threads must be at least 1");
    }
    if args.rate.is_some_and(|r| !(r.is_finite() && r > 0.0)) {
        bail!("--rate must be a positive number of requests per second");
    }
    if args.orders && args.keys.is_empty() {
        bail!("--orders needs at least one --key with the trade scope");
    }
    let host = http_host(&args.url)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(args.threads).enable_all().build()?;
    let report = runtime.block_on(drive(args, host))?;
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &report)?;
        writeln!(out)?;
    } else {
        let load = report.target_rate.map_or("closed load".to_string(), |r| format!("open load at {r} requests/s"));
        writeln!(out, "{} over {} connections for {:.1} s, {load}", report.target, report.connections, report.seconds)?;
        writeln!(
            out,
            "requests   {} ({} errors) = {:.0} requests/s",
            report.requests, report.errors, report.requests_per_second
        )?;
        writeln!(
            out,
            "latency    p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            report.p50_ms, report.p90_ms, report.p99_ms, report.max_ms
        )?;
        if let (Some(p50), Some(p99)) = (report.server_p50_ms, report.server_p99_ms) {
            writeln!(out, "server     p50 {p50:.3} ms, p99 {p99:.3} ms (its own handling, from Server-Timing)")?;
        }
    }
    Ok(())
}

async fn drive(args: &ApiBenchArgs, host: String) -> anyhow::Result<ApiBenchReport> {
    let warm_up = Instant::now() + Duration::from_secs(1);
    let end = warm_up + Duration::from_secs(args.seconds);
    let mut tasks = Vec::new();
    for connection in 0..args.connections {
        let host = host.clone();
        let key = (!args.keys.is_empty()).then(|| args.keys[connection % args.keys.len()].clone());
        let (orders, path) = (args.orders, args.path.clone());
        // Open load: this connection's requests are due every `connections / rate` seconds,
        // staggered so the connections' due times interleave evenly.
        let schedule = args.rate.map(|rate| {
            let every = Duration::from_secs_f64(args.connections as f64 / rate);
            (Instant::now() + every.mul_f64(connection as f64 / args.connections as f64), every)
        });
        let spec = Connection { host, path, orders, key, connection, schedule, warm_up, end };
        tasks.push(tokio::spawn(connection_loop(spec)));
    }
    let mut latencies: Vec<f64> = Vec::new();
    let mut server_times: Vec<f64> = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let answered = task.await??;
        latencies.extend(answered.latencies);
        server_times.extend(answered.server_times);
        errors += answered.errors;
    }
    latencies.sort_by(f64::total_cmp);
    server_times.sort_by(f64::total_cmp);
    let percentile = |p: f64| percentile_of(&latencies, p).unwrap_or(0.0);
    let seconds = args.seconds as f64;
    Ok(ApiBenchReport {
        target: if args.orders { "POST /api/orders".into() } else { format!("GET {}", args.path) },
        connections: args.connections,
        target_rate: args.rate,
        seconds,
        requests: latencies.len() as u64,
        errors,
        requests_per_second: latencies.len() as f64 / seconds,
        p50_ms: percentile(0.50),
        p90_ms: percentile(0.90),
        p99_ms: percentile(0.99),
        max_ms: latencies.last().copied().unwrap_or(0.0),
        server_p50_ms: percentile_of(&server_times, 0.50),
        server_p99_ms: percentile_of(&server_times, 0.99),
    })
}

/// The `p` quantile of sorted values (`None` when there are none).
pub(super) fn percentile_of(sorted: &[f64], p: f64) -> Option<f64> {
    sorted.get(((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1))).copied()
}

/// What one connection measured after the warm-up.
struct Answered {
    /// Latency of each request (ms).
    latencies: Vec<f64>,
    /// The server's own time of each request that reported one (ms).
    server_times: Vec<f64>,
    errors: u64,
}

/// The `app` duration (ms) of a `Server-Timing` header value such as `app;dur=0.512`.
fn server_timing_ms(value: &str) -> Option<f64> {
    value.split(',').find_map(|metric| {
        let mut parts = metric.trim().split(';');
        (parts.next()? == "app").then_some(())?;
        parts.find_map(|param| param.trim().strip_prefix("dur=")?.parse().ok())
    })
}

/// What a server answered a request on a keep-alive connection.
pub(super) struct Reply {
    pub status: u16,
    /// Its own time, from `Server-Timing` (ms).
    pub server_ms: Option<f64>,
    /// How the edge served a cached read (`x-coinswarm-cache`: hit, miss, stale, degraded).
    pub cache: Option<String>,
}

/// Reads one HTTP/1.1 answer (status line, headers, a `Content-Length` body into `body`).
pub(super) async fn read_reply(
    stream: &mut BufReader<TcpStream>,
    line: &mut String,
    body: &mut Vec<u8>,
) -> anyhow::Result<Reply> {
    line.clear();
    stream.read_line(line).await?;
    let status: u16 = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let (mut length, mut server_ms, mut cache) = (0usize, None, None);
    loop {
        line.clear();
        if stream.read_line(line).await? == 0 {
            bail!("the server closed the connection");
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            } else if name.eq_ignore_ascii_case("server-timing") {
                server_ms = server_timing_ms(value);
            } else if name.eq_ignore_ascii_case("x-coinswarm-cache") {
                cache = Some(value.trim().to_string());
            }
        }
    }
    body.resize(length, 0);
    stream.read_exact(body).await?;
    Ok(Reply { status, server_ms, cache })
}

/// One keep-alive connection of the load.
struct Connection {
    host: String,
    path: String,
    orders: bool,
    key: Option<String>,
    connection: usize,
    /// Open load: (first due time, interval); closed load: `None`.
    schedule: Option<(Instant, Duration)>,
    warm_up: Instant,
    end: Instant,
}

/// Requests back to back (closed) or when due (open); latencies (ms) after the warm-up.
async fn connection_loop(spec: Connection) -> anyhow::Result<Answered> {
    let Connection { host, path, orders, key, connection, mut schedule, warm_up, end } = spec;
    let stream = TcpStream::connect(&host).await.with_context(|| format!("cannot connect to {host}"))?;
    stream.set_nodelay(true)?;
    let mut stream = BufReader::new(stream);
    let mut latencies = Vec::new();
    let mut server_times = Vec::new();
    let mut errors = 0;
    let mut sequence = 0u64;
    let mut last_answered = Instant::now();
    let auth = key.map(|k| format!("Authorization: Bearer {k}\r\n")).unwrap_or_default();
    let mut line = String::new();
    let mut body = Vec::new();
    while Instant::now() < end {
        let request = if orders {
            sequence += 1;
            let payload = format!(
                r#"{{"client_order_id":"bench-{connection}-{sequence}-{}","product_id":"BTC-USD","side":"BUY","order_configuration":{{"limit_limit_gtc":{{"base_size":"0.011","limit_price":"100"}}}}}}"#,
                std::process::id()
            );
            format!(
                "POST /api/orders HTTP/1.1\r\nHost: {host}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{payload}",
                payload.len()
            )
        } else {
            format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n{auth}\r\n")
        };
        let started = match &mut schedule {
            Some((due, every)) => {
                let this = *due;
                *due += *every;
                tokio::time::sleep_until(this.into()).await;
                // Late because the server had not answered the previous request by now: that
                // wait counts (from the due time). Late only by the timer's 1 ms resolution
                // on an idle connection: it does not (from the actual send).
                if last_answered > this { this } else { Instant::now() }
            }
            None => Instant::now(),
        };
        if started >= end {
            break;
        }
        stream.get_mut().write_all(request.as_bytes()).await?;
        let Reply { status, server_ms, .. } = read_reply(&mut stream, &mut line, &mut body).await?;
        last_answered = Instant::now();
        if started >= warm_up {
            latencies.push(started.elapsed().as_secs_f64() * 1000.0);
            server_times.extend(server_ms);
            if !(200..300).contains(&status) {
                errors += 1;
            }
        }
    }
    Ok(Answered { latencies, server_times, errors })
}

/// The `host:port` of a plain-HTTP `--url` (the benchmarks speak HTTP/1.1 without TLS).
pub(super) fn http_host(url: &str) -> anyhow::Result<String> {
    Ok(url.trim_end_matches('/').strip_prefix("http://").context("--url must start with http://")?.to_string())
}

#[cfg(test)]
mod tests {
    use super::server_timing_ms;

    #[test]
    fn the_servers_own_time_is_read_from_its_server_timing_header() {
        assert_eq!(server_timing_ms(" app;dur=0.512"), Some(0.512));
        assert_eq!(server_timing_ms("db;dur=3, app;desc=\"handler\";dur=1.5"), Some(1.5));
        assert_eq!(server_timing_ms("db;dur=3"), None);
        assert_eq!(server_timing_ms("app;dur=fast"), None);
    }
}
