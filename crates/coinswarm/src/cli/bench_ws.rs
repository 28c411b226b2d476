//! `coinswarm bench ws`: many WebSocket clients on a running server's `/stream`, each
//! subscribed to the ticker; reports delivered updates, delivery lag (from the server's
//! publish time) and clients dropped.

use anyhow::{Context, bail};
use clap::Args;
use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use std::io::Write;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

#[derive(Debug, Args)]
pub struct WsBenchArgs {
    /// The server's stream, e.g. ws://127.0.0.1:8080/stream
    #[arg(long, default_value = "ws://127.0.0.1:8080/stream")]
    url: String,
    /// Concurrent clients.
    #[arg(long, default_value_t = 1000)]
    clients: usize,
    /// Seconds to measure (after every client has connected and subscribed).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    #[arg(long, default_value = "BTC-USD")]
    product: String,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct WsBenchReport {
    clients: usize,
    connected: usize,
    dropped: usize,
    seconds: f64,
    updates: u64,
    updates_per_client_per_second: f64,
    lag_p50_ms: f64,
    lag_p99_ms: f64,
    lag_max_ms: f64,
}

/// The `published_ms` of a ticker message, read without parsing the whole message (the load
/// generator shares the machine with the server and must stay cheap).
fn published_ms(text: &str) -> Option<f64> {
    let rest = &text[text.find("\"published_ms\":")? + 15..];
    rest[..rest.find(|c: char| !c.is_ascii_digit())?].parse().ok()
}

fn now_ms() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

pub fn run(args: &WsBenchArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    if args.clients == 0 || args.seconds == 0 {
        bail!("--clients and --seconds must be at least 1");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let report = runtime.block_on(drive(args))?;
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &report)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "{} of {} clients connected, {} dropped, over {:.1} s",
            report.connected, report.clients, report.dropped, report.seconds
        )?;
        writeln!(
            out,
            "updates    {} = {:.1} per client per second",
            report.updates, report.updates_per_client_per_second
        )?;
        writeln!(
            out,
            "lag        p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            report.lag_p50_ms, report.lag_p99_ms, report.lag_max_ms
        )?;
    }
    Ok(())
}

async fn drive(args: &WsBenchArgs) -> anyhow::Result<WsBenchReport> {
    let subscribe =
        serde_json::json!({"type": "subscribe", "channels": ["ticker"], "product_ids": [args.product]}).to_string();
    let mut sockets = Vec::with_capacity(args.clients);
    for _ in 0..args.clients {
        let (mut socket, _) = tokio_tungstenite::connect_async(args.url.as_str())
            .await
            .with_context(|| format!("cannot connect to {} (raise `ulimit -n` for many clients)", args.url))?;
        socket.send(Message::text(subscribe.clone())).await?;
        sockets.push(socket);
    }
    let start = Instant::now();
    let end = start + Duration::from_secs(args.seconds);
    let mut tasks = Vec::with_capacity(sockets.len());
    for mut socket in sockets {
        tasks.push(tokio::spawn(async move {
            let mut lags = Vec::new();
            let mut dropped = false;
            while Instant::now() < end {
                let remaining = end.saturating_duration_since(Instant::now());
                match tokio::time::timeout(remaining, socket.next()).await {
                    Err(_) => break,
                    Ok(Some(Ok(Message::Text(text)))) => {
                        let received = now_ms();
                        if let Some(published) = published_ms(&text) {
                            lags.push(received - published);
                        }
                    }
                    Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => {
                        dropped = true;
                        break;
                    }
                    Ok(Some(Ok(_))) => {}
                }
            }
            let _ = socket.close(None).await;
            (lags, dropped)
        }));
    }
    let mut lags = Vec::new();
    let mut dropped = 0;
    for task in tasks {
        let (mut l, d) = task.await?;
        lags.append(&mut l);
        dropped += usize::from(d);
    }
    lags.sort_by(f64::total_cmp);
    let percentile =
        |p: f64| lags.get(((lags.len() as f64 * p) as usize).min(lags.len().saturating_sub(1))).copied().unwrap_or(0.0);
    let seconds = args.seconds as f64;
    Ok(WsBenchReport {
        clients: args.clients,
        connected: args.clients,
        dropped,
        seconds,
        updates: lags.len() as u64,
        updates_per_client_per_second: lags.len() as f64 / args.clients as f64 / seconds,
        lag_p50_ms: percentile(0.50),
        lag_p99_ms: percentile(0.99),
        lag_max_ms: lags.last().copied().unwrap_or(0.0),
    })
}
