//! `coinswarm bench ws`: many WebSocket clients on a running server's `/stream`, each
//! subscribed to the ticker; reports delivered updates, delivery lag (receive time − the
//! server's `published_ms`) and clients dropped.
//!
//! The clients speak the WebSocket protocol directly over TCP (handshake, one masked
//! subscribe frame, then unmasked server frames read in bulk): the load generator shares
//! the machine with the server, so it must cost as little per message as it can, or it
//! measures itself. Each read is stamped once; every message it holds gets that time.

use anyhow::{Context, bail};
use clap::Args;
use serde::Serialize;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Debug, Args)]
pub struct WsBenchArgs {
    /// The server's stream, e.g. ws://127.0.0.1:8080/stream
    #[arg(long, default_value = "ws://127.0.0.1:8080/stream")]
    url: String,
    /// Concurrent clients.
    #[arg(long, default_value_t = 1000)]
    clients: usize,
    /// Seconds to measure (after every client has connected and subscribed, and a one-second
    /// warm-up).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    #[arg(long, default_value = "BTC-USD")]
    product: String,
    /// Threads of the load generator.
    #[arg(long, default_value_t = 1)]
    threads: usize,
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
    lag_p90_ms: f64,
    lag_p99_ms: f64,
    lag_max_ms: f64,
}

/// What one client saw while measuring.
#[derive(Debug, Default)]
struct ClientLog {
    lags_ms: Vec<f64>,
    /// The server closed the connection (or it failed) during the run.
    dropped: bool,
    measuring: bool,
}

/// The `published_ms` of a message, read without parsing the whole message.
fn published_ms(text: &[u8]) -> Option<f64> {
    const KEY: &[u8] = b"\"published_ms\":";
    let at = text.windows(KEY.len()).position(|w| w == KEY)? + KEY.len();
    let digits = text[at..].iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&text[at..at + digits]).ok()?.parse().ok()
}

fn now_ms() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

pub fn run(args: &WsBenchArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    if args.clients == 0 || args.seconds == 0 || args.threads == 0 {
        bail!("--clients, --seconds and --threads must be at least 1");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(args.threads).enable_all().build()?;
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
            "lag        p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            report.lag_p50_ms, report.lag_p90_ms, report.lag_p99_ms, report.lag_max_ms
        )?;
    }
    Ok(())
}

/// `ws://host:port/path` → (host:port, path).
fn split_url(url: &str) -> anyhow::Result<(String, String)> {
    let rest = url.strip_prefix("ws://").with_context(|| format!("{url}: only ws:// URLs are supported"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.is_empty() {
        bail!("{url}: no host");
    }
    Ok((authority.to_string(), path.to_string()))
}

/// Connects, upgrades to WebSocket and sends `subscribe` as a masked text frame.
async fn connect(authority: &str, path: &str, subscribe: &[u8]) -> anyhow::Result<TcpStream> {
    let mut stream = TcpStream::connect(authority)
        .await
        .with_context(|| format!("cannot connect to {authority} (raise `ulimit -n` for many clients)"))?;
    stream.set_nodelay(true)?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).await? == 0 || head.len() > 8192 {
            bail!("the server closed the connection during the WebSocket handshake");
        }
        head.push(byte[0]);
    }
    if !head.starts_with(b"HTTP/1.1 101") {
        bail!(
            "the server refused the WebSocket upgrade: {}",
            String::from_utf8_lossy(&head).lines().next().unwrap_or("")
        );
    }
    stream.write_all(&masked_text_frame(subscribe)).await?;
    Ok(stream)
}

/// A client-to-server text frame (clients must mask).
fn masked_text_frame(payload: &[u8]) -> Vec<u8> {
    let mask = [0x37, 0xfa, 0x21, 0x3d];
    let mut frame = vec![0x81];
    match payload.len() {
        n if n < 126 => frame.push(0x80 | n as u8),
        n => {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(n as u16).to_be_bytes());
        }
    }
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    frame
}

/// One complete server frame at the start of `buffer`: (opcode, payload range, frame length).
fn parse_frame(buffer: &[u8]) -> Option<(u8, std::ops::Range<usize>, usize)> {
    let (&first, &second) = (buffer.first()?, buffer.get(1)?);
    let (length, header) = match second & 0x7f {
        126 => (u16::from_be_bytes(buffer.get(2..4)?.try_into().ok()?) as usize, 4),
        127 => (u64::from_be_bytes(buffer.get(2..10)?.try_into().ok()?) as usize, 10),
        n => (n as usize, 2),
    };
    (buffer.len() >= header + length).then_some((first & 0x0f, header..header + length, header + length))
}

/// Reads frames until the connection ends, logging the lag of every ticker while measuring.
async fn listen(mut stream: TcpStream, log: Arc<Mutex<ClientLog>>) {
    let mut buffer = Vec::with_capacity(8192);
    let mut chunk = vec![0u8; 8192];
    loop {
        let read = match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let received = now_ms();
        buffer.extend_from_slice(&chunk[..read]);
        let mut consumed = 0;
        let mut log = log.lock().unwrap_or_else(|p| p.into_inner());
        while let Some((opcode, payload, length)) = parse_frame(&buffer[consumed..]) {
            let payload = &buffer[consumed + payload.start..consumed + payload.end];
            match opcode {
                0x1 if log.measuring => {
                    if let Some(published) = published_ms(payload) {
                        log.lags_ms.push(received - published);
                    }
                }
                0x8 => {
                    log.dropped |= log.measuring;
                    return;
                }
                _ => {}
            }
            consumed += length;
        }
        buffer.drain(..consumed);
    }
    let mut log = log.lock().unwrap_or_else(|p| p.into_inner());
    log.dropped |= log.measuring;
}

async fn drive(args: &WsBenchArgs) -> anyhow::Result<WsBenchReport> {
    let (authority, path) = split_url(&args.url)?;
    let subscribe =
        serde_json::json!({"type": "subscribe", "channels": ["ticker"], "product_ids": [args.product]}).to_string();
    let mut logs = Vec::with_capacity(args.clients);
    let mut tasks = Vec::with_capacity(args.clients);
    for _ in 0..args.clients {
        let stream = connect(&authority, &path, subscribe.as_bytes()).await?;
        let log = Arc::new(Mutex::new(ClientLog::default()));
        tasks.push(tokio::spawn(listen(stream, log.clone())));
        logs.push(log);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    for log in &logs {
        log.lock().unwrap_or_else(|p| p.into_inner()).measuring = true;
    }
    let start = Instant::now();
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    for log in &logs {
        log.lock().unwrap_or_else(|p| p.into_inner()).measuring = false;
    }
    let seconds = start.elapsed().as_secs_f64();
    for task in &tasks {
        task.abort();
    }
    let mut lags = Vec::new();
    let mut dropped = 0;
    for log in &logs {
        let mut log = log.lock().unwrap_or_else(|p| p.into_inner());
        lags.append(&mut log.lags_ms);
        dropped += usize::from(log.dropped);
    }
    lags.sort_by(f64::total_cmp);
    let percentile =
        |p: f64| lags.get(((lags.len() as f64 * p) as usize).min(lags.len().saturating_sub(1))).copied().unwrap_or(0.0);
    Ok(WsBenchReport {
        clients: args.clients,
        connected: args.clients,
        dropped,
        seconds,
        updates: lags.len() as u64,
        updates_per_client_per_second: lags.len() as f64 / args.clients as f64 / seconds,
        lag_p50_ms: percentile(0.50),
        lag_p90_ms: percentile(0.90),
        lag_p99_ms: percentile(0.99),
        lag_max_ms: lags.last().copied().unwrap_or(0.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_parsed_across_lengths_and_partial_reads() {
        let mut buffer = vec![0x81, 5];
        buffer.extend_from_slice(b"hello");
        let long = vec![b'x'; 300];
        buffer.extend_from_slice(&[0x81, 126, 1, 44]);
        buffer.extend_from_slice(&long);
        assert_eq!(parse_frame(&buffer), Some((1, 2..7, 7)));
        assert_eq!(parse_frame(&buffer[7..]), Some((1, 4..304, 304)));
        assert_eq!(parse_frame(&buffer[7..100]), None, "an incomplete frame waits for more bytes");
    }

    #[test]
    fn published_ms_is_read_from_a_ticker_message() {
        let message = br#"{"channel":"ticker","product_id":"BTC-USD","published_ms":1764200000123,"data":{}}"#;
        assert_eq!(published_ms(message), Some(1_764_200_000_123.0));
        assert_eq!(published_ms(b"{}"), None);
    }

    #[test]
    fn a_client_frame_is_masked() {
        let frame = masked_text_frame(b"hi");
        assert_eq!(frame[..2], [0x81, 0x82]);
        let mask = &frame[2..6];
        assert_eq!([frame[6] ^ mask[0], frame[7] ^ mask[1]], *b"hi");
    }
}
