//! `coinswarm data backfill`: Coinbase candles into the data directory's candle archive,
//! paged at 350 bars, resumable, with the gaps reported. Without a key it uses Coinbase's
//! public market endpoints.

use crate::cli::progress::{Output, WorkBar};
use anyhow::Context;
use clap::Args;
use coinswarm_coinbase::{CdpKey, CoinbaseRest, RestConfig};
use coinswarm_core::market::{Granularity, ProductId};
use coinswarm_core::time::{Clock, Timestamp};
use coinswarm_server::adapters::archive::open_archive;
use coinswarm_server::adapters::backfill::{VENUE, backfill};
use coinswarm_server::clock::SystemClock;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct BackfillArgs {
    /// The product, e.g. BTC-USD.
    #[arg(long)]
    product: ProductId,
    /// Coinbase's granularity name, e.g. ONE_HOUR.
    #[arg(long)]
    granularity: Granularity,
    /// First bar (RFC 3339 or a plain date).
    #[arg(long)]
    from: String,
    /// Last bar (a plain date includes the whole day).
    #[arg(long)]
    to: String,
    /// The server's data directory (default ./.coinswarm; env COINSWARM_DATA_DIR).
    #[arg(long, env = "COINSWARM_DATA_DIR", default_value = ".coinswarm")]
    data_dir: PathBuf,
    /// An S3-compatible bucket to archive into instead, `s3://bucket/prefix` (env
    /// COINSWARM_ARCHIVE_URL; the usual AWS variables, with AWS_ENDPOINT_URL for R2 or a
    /// local server).
    #[arg(long, env = "COINSWARM_ARCHIVE_URL", default_value = "")]
    archive_url: String,
    /// Coinbase's REST base URL.
    #[arg(long, env = "COINSWARM_COINBASE_REST_URL", default_value = "https://api.coinbase.com")]
    rest_url: String,
    /// A CDP API key's name (with --private-key: the keyed endpoints).
    #[arg(long, env = "COINSWARM_COINBASE_KEY_NAME", requires = "private_key")]
    key_name: Option<String>,
    /// Its private key: SEC1 PEM (ECDSA) or base64 (Ed25519).
    #[arg(long, env = "COINSWARM_COINBASE_PRIVATE_KEY", hide_env_values = true, requires = "key_name")]
    private_key: Option<String>,
    /// Requests per second (default 9: 10% under Coinbase's public limit).
    #[arg(long, default_value_t = 9.0)]
    rate: f64,
    /// Retries of a failed page before giving up (default 5).
    #[arg(long, default_value_t = 5)]
    retries: u32,
}

pub fn run(args: &BackfillArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let from = Timestamp::parse(&args.from).map_err(|e| anyhow::anyhow!("--from '{}': {e}", args.from))?;
    let to = Timestamp::parse_inclusive_end(&args.to).map_err(|e| anyhow::anyhow!("--to '{}': {e}", args.to))?;
    if from > to {
        anyhow::bail!("--from {} is after --to {}", args.from, args.to);
    }
    if !(args.rate.is_finite() && args.rate > 0.0) {
        anyhow::bail!("--rate must be a positive number of requests per second");
    }
    let key = match (&args.key_name, &args.private_key) {
        (Some(name), Some(private)) => Some(CdpKey::new(name, private).context("the CDP key")?),
        _ => None,
    };
    let config = RestConfig {
        base_url: args.rest_url.clone(),
        public_per_second: args.rate,
        private_per_second: args.rate,
        max_retries: args.retries,
        ..RestConfig::default()
    };
    let client = CoinbaseRest::new(config, key)?;
    let store = open_archive(&args.data_dir, &args.archive_url)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let progress = WorkBar::new("bars archived", Output::Text);
    let report = runtime.block_on(backfill(
        &client,
        store.as_ref(),
        args.product,
        args.granularity,
        from..=to,
        SystemClock.now(),
        &progress,
    ))?;
    progress.finish();
    writeln!(
        out,
        "{} {} from {} to {}: {} pages fetched, {} already archived, {} candles received; {} candles in the range",
        args.product,
        args.granularity,
        args.from,
        args.to,
        report.pages_fetched,
        report.pages_skipped,
        report.candles_fetched,
        report.candles_in_range
    )?;
    if report.gaps.is_empty() {
        writeln!(out, "no gaps")?;
    } else {
        writeln!(out, "{} gaps (bar times Coinbase has no candle for):", report.gaps.len())?;
        for (first, last) in &report.gaps {
            writeln!(out, "  gap {} to {}", first.to_rfc3339(), last.to_rfc3339())?;
        }
    }
    writeln!(out, "archive:{VENUE}/{}/{} in {}", args.product, args.granularity, args.data_dir.display())?;
    Ok(())
}
