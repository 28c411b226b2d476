//! `coinswarm bench jwt`: the time to sign the JWT every Coinbase request carries, for
//! ECDSA (ES256) and Ed25519 (EdDSA) keys.

use clap::Args;
use coinswarm_coinbase::CdpKey;
use serde::Serialize;
use std::io::Write;
use std::time::Instant;

#[derive(Debug, Args)]
pub struct JwtBenchArgs {
    /// Tokens signed per algorithm (after 1,000 untimed).
    #[arg(long, default_value_t = 20_000)]
    tokens: usize,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct JwtBenchRow {
    algorithm: &'static str,
    tokens: usize,
    tokens_per_second: f64,
    p50_us: f64,
    p99_us: f64,
    max_us: f64,
}

pub fn run(args: &JwtBenchArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    anyhow::ensure!(args.tokens > 0, "--tokens must be at least 1");
    let mut rows = Vec::new();
    for algorithm in ["ES256", "EdDSA"] {
        let key = CdpKey::random("organizations/bench/apiKeys/bench", algorithm)?;
        let sign = || key.rest_token("GET", "api.coinbase.com", "/api/v3/brokerage/accounts", 1_700_000_000);
        for _ in 0..1_000 {
            std::hint::black_box(sign());
        }
        let mut micros = Vec::with_capacity(args.tokens);
        let started = Instant::now();
        for _ in 0..args.tokens {
            let at = Instant::now();
            std::hint::black_box(sign());
            micros.push(at.elapsed().as_secs_f64() * 1e6);
        }
        let elapsed = started.elapsed().as_secs_f64();
        micros.sort_by(f64::total_cmp);
        let at = |q: f64| micros[((micros.len() as f64 * q).ceil() as usize).clamp(1, micros.len()) - 1];
        rows.push(JwtBenchRow {
            algorithm,
            tokens: args.tokens,
            tokens_per_second: args.tokens as f64 / elapsed,
            p50_us: at(0.5),
            p99_us: at(0.99),
            max_us: micros[micros.len() - 1],
        });
    }
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
    } else {
        for r in &rows {
            writeln!(
                out,
                "{:<6} {} tokens: {:.0}/s, p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
                r.algorithm, r.tokens, r.tokens_per_second, r.p50_us, r.p99_us, r.max_us
            )?;
        }
    }
    Ok(())
}
