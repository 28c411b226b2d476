//! `coinswarm up`: the whole system in one process until SIGINT or SIGTERM.

use super::progress::{Output, WorkBar};
use anyhow::Context;
use clap::Args;
use coinswarm_server::ServerConfig;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct UpArgs {
    /// Address to listen on (default 127.0.0.1:8080; env COINSWARM_LISTEN).
    #[arg(long)]
    pub(crate) listen: Option<SocketAddr>,
    /// Accept a non-loopback `--listen` address (the server holds accounts).
    #[arg(long)]
    allow_remote: bool,
    /// Where state is kept (default ./.coinswarm; env COINSWARM_DATA_DIR).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Keep the store in PostgreSQL at this URL (`postgres://user:password@host:port/db`)
    /// instead of SQLite in the data directory (env COINSWARM_DATABASE_URL; `[store]
    /// database_url`). Several processes may share one database: each account is served by
    /// exactly one of them.
    #[arg(long)]
    database_url: Option<String>,
    /// Keep the candle archive (`feed.data = "archive:…"`) in an S3-compatible bucket,
    /// `s3://bucket/prefix`, instead of the data directory (env COINSWARM_ARCHIVE_URL; the
    /// usual AWS variables, with AWS_ENDPOINT_URL for R2 or a local server).
    #[arg(long)]
    archive_url: Option<String>,
    /// A TOML file overriding the defaults (see --print-config for every setting).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Wall-clock milliseconds per replayed bar (default 1000).
    #[arg(long)]
    bar_interval_ms: Option<u64>,
    /// Market data: `replay` (the bundled data, default) or `coinbase` (live tickers from
    /// Coinbase; orders still go to the paper exchange).
    #[arg(long, value_parser = ["replay", "coinbase"])]
    feed: Option<String>,
    /// Products of the live feed, e.g. BTC-USD,ETH-USD (the swarm trades the first).
    #[arg(long, value_delimiter = ',')]
    products: Vec<String>,
    /// Who executes the swarm's orders: `paper` (default) or `coinbase-live` (real orders
    /// on Coinbase: needs a CDP key, `--feed coinbase` and
    /// `--i-understand-this-trades-real-money`).
    #[arg(long, value_parser = ["paper", "coinbase-live"])]
    exchange: Option<String>,
    /// Confirms that `--exchange coinbase-live` trades real money.
    #[arg(long)]
    i_understand_this_trades_real_money: bool,
    /// A CDP API key file as Coinbase downloads it (`{"name": …, "privateKey": …}`).
    #[arg(long)]
    coinbase_key_file: Option<PathBuf>,
    /// Publish market events, bars, decisions and the swarm's state to the edge Worker at
    /// this URL (the agent tier of a deployment; `[edge]` in the config).
    #[arg(long)]
    edge_url: Option<String>,
    /// The edge's operator token (its EDGE_TOKEN secret; env COINSWARM_EDGE_TOKEN).
    #[arg(long)]
    edge_token: Option<String>,
    /// A trained model (`coinswarm model train`) for the learned agent, which then votes in
    /// the committee and fine-tunes online (env COINSWARM_MODEL; `[learned] model`).
    #[arg(long, value_name = "FILE.safetensors")]
    model: Option<PathBuf>,
    /// Print the effective configuration as TOML and exit.
    #[arg(long)]
    pub(crate) print_config: bool,
}

/// The effective config: defaults, then `--config`, then `COINSWARM_*`, then flags.
pub fn effective_config(args: &UpArgs) -> anyhow::Result<ServerConfig> {
    let mut config = ServerConfig::load(args.config.as_deref(), |var| std::env::var(var).ok())?;
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    if args.allow_remote {
        config.allow_remote = true;
    }
    if let Some(model) = &args.model {
        config.learned.model = Some(model.clone());
    }
    if let Some(dir) = &args.data_dir {
        config.data_dir = dir.clone();
    }
    if let Some(url) = &args.database_url {
        config.store.database_url = url.trim().to_string();
    }
    if let Some(url) = &args.archive_url {
        config.store.archive_url = url.trim().to_string();
    }
    if let Some(ms) = args.bar_interval_ms {
        config.feed.bar_interval_ms = ms;
    }
    if let Some(feed) = &args.feed {
        config.feed.source = match feed.as_str() {
            "coinbase" => coinswarm_server::config::FeedSource::Coinbase,
            _ => coinswarm_server::config::FeedSource::Replay,
        };
    }
    if !args.products.is_empty() {
        config.feed.products = args.products.clone();
    }
    if let Some(exchange) = &args.exchange {
        config.live.exchange = match exchange.as_str() {
            "coinbase-live" => coinswarm_server::config::ExchangeMode::CoinbaseLive,
            _ => coinswarm_server::config::ExchangeMode::Paper,
        };
    }
    if let Some(file) = &args.coinbase_key_file {
        config.live.key_file = Some(file.clone());
    }
    config.live.confirmed = args.i_understand_this_trades_real_money;
    if let Some(url) = &args.edge_url {
        config.edge.url = url.clone();
    }
    if let Some(token) = &args.edge_token {
        config.edge.token = token.clone();
    }
    Ok(config)
}

pub fn run(args: &UpArgs) -> anyhow::Result<()> {
    let config = effective_config(args)?;
    if args.print_config {
        print!("{}", config.to_toml());
        return Ok(());
    }
    config.validate()?;
    let runtime = server_runtime("info")?;
    runtime.block_on(async {
        // A bar while pattern memory's index is rebuilt from the store; it clears itself
        // when the last episode is in, before the start is logged on.
        let progress = WorkBar::new("episodes indexed", Output::Text);
        let server = coinswarm_server::start_watched(config.clone(), &progress).await?;
        progress.finish();
        let mut out = std::io::stdout().lock();
        let database = config.store.database(&config.data_dir)?;
        writeln!(out, "Coinswarm is up: API at http://{}/api (data in {})", server.addr, database.describe())?;
        writeln!(out, "dashboard: http://{}/", server.addr)?;
        if config.edge.enabled() {
            writeln!(out, "publishing to the edge tier at {}", config.edge.url)?;
        }
        if config.live.exchange == coinswarm_server::config::ExchangeMode::CoinbaseLive {
            writeln!(out, "LIVE TRADING on Coinbase: the swarm account's orders spend real money")?;
            writeln!(
                out,
                "orders on it need a key with the live scope, which the admin key has not: coinswarm keys create \
                 --account swarm --scope trade --scope live --i-understand-this-trades-real-money"
            )?;
        }
        if let Some(key) = &server.first_admin_key {
            writeln!(out, "admin API key (shown once, keep it): {}", key.secret)?;
        }
        out.flush()?;
        drop(out);
        server.run_until(shutdown_signal()).await?;
        eprintln!("Coinswarm stopped cleanly");
        Ok(())
    })
}

/// The trace log on standard error (`RUST_LOG`, else `default_level`) and the runtime a
/// server process runs on (`up`, `mcp`).
pub(crate) fn server_runtime(default_level: &str) -> anyhow::Result<tokio::runtime::Runtime> {
    // rmcp logs every MCP session's id at INFO: a session id is its bearer's handle, so it
    // stays out of the log unless RUST_LOG names rmcp itself.
    let from_env = std::env::var("RUST_LOG").ok().filter(|v| !v.trim().is_empty());
    let directives = match &from_env {
        Some(value) if value.contains("rmcp") => value.clone(),
        Some(value) => format!("{value},rmcp=warn"),
        None => format!("{default_level},sqlx=warn,rmcp=warn"),
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_new(&directives).context("RUST_LOG is not a valid filter")?)
        .with_writer(std::io::stderr)
        .init();
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the runtime")
}

/// SIGINT (Ctrl-C) or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
}
