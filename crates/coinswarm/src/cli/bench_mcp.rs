//! `coinswarm bench mcp`: tool-call latency of a running server's MCP endpoint over
//! Streamable HTTP, measured with rmcp's own client as an LLM client would call it: one
//! session, calls one after another (each answered before the next is sent).

use anyhow::{Context, bail};
use clap::Args;
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde::Serialize;
use std::io::Write;
use std::time::{Duration, Instant};

#[derive(Debug, Args)]
pub struct McpBenchArgs {
    /// The MCP endpoint, e.g. http://127.0.0.1:8080/mcp
    #[arg(long, default_value = "http://127.0.0.1:8080/mcp")]
    url: String,
    /// An API key of the server (any scope: the tool is read-only).
    #[arg(long, env = "COINSWARM_MCP_KEY", hide_env_values = true)]
    key: String,
    /// The tool's product.
    #[arg(long, default_value = "BTC-USD")]
    product: String,
    /// Timed calls (after 200 untimed warm-up calls).
    #[arg(long, default_value_t = 5_000)]
    calls: usize,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct McpBenchReport {
    url: String,
    tool: &'static str,
    calls: usize,
    calls_per_second: f64,
    p50_ms: f64,
    p90_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

pub fn run(args: &McpBenchArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    if args.calls == 0 {
        bail!("--calls must be at least 1");
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let report = runtime.block_on(measure(args))?;
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        writeln!(
            out,
            "{} × {} over Streamable HTTP ({}): {:.0} calls/s, p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            report.calls,
            report.tool,
            report.url,
            report.calls_per_second,
            report.p50_ms,
            report.p90_ms,
            report.p99_ms,
            report.max_ms
        )?;
    }
    Ok(())
}

async fn measure(args: &McpBenchArgs) -> anyhow::Result<McpBenchReport> {
    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(args.url.as_str()).auth_header(args.key.clone()),
    );
    let client = ().serve(transport).await.with_context(|| format!("cannot open an MCP session at {}", args.url))?;
    let arguments = serde_json::json!({"product_id": args.product});
    let arguments = arguments.as_object().cloned().unwrap_or_default();
    let call = || client.call_tool(CallToolRequestParams::new("get_market_data").with_arguments(arguments.clone()));
    for _ in 0..200 {
        call().await.context("get_market_data failed")?;
    }
    let mut latencies = Vec::with_capacity(args.calls);
    let started = Instant::now();
    for _ in 0..args.calls {
        let sent = Instant::now();
        call().await.context("get_market_data failed")?;
        latencies.push(sent.elapsed());
    }
    let elapsed = started.elapsed();
    let _ = client.cancel().await;
    latencies.sort_unstable();
    let at = |q: f64| -> f64 {
        let index = ((latencies.len() as f64 * q).ceil() as usize).clamp(1, latencies.len()) - 1;
        ms(latencies[index])
    };
    Ok(McpBenchReport {
        url: args.url.clone(),
        tool: "get_market_data",
        calls: args.calls,
        calls_per_second: args.calls as f64 / elapsed.as_secs_f64(),
        p50_ms: at(0.50),
        p90_ms: at(0.90),
        p99_ms: at(0.99),
        max_ms: latencies.last().copied().map_or(0.0, ms),
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
