//! `coinswarm keys create|list|revoke`: API keys in the data directory's store.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use coinswarm_core::time::Clock;
use coinswarm_server::adapters::keys::{Scope, create_key};
use coinswarm_server::adapters::store::{Database, KeyStore, SqlStore};
use coinswarm_server::clock::SystemClock;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key bound to an account (a new account is created, funded on first use);
    /// the secret is printed once.
    Create(CreateArgs),
    /// List keys (never their secrets).
    List(DirArgs),
    /// Revoke a key by id.
    Revoke(RevokeArgs),
}

#[derive(Debug, Args)]
pub struct DirArgs {
    /// The server's data directory (default ./.coinswarm; env COINSWARM_DATA_DIR).
    #[arg(long, env = "COINSWARM_DATA_DIR", default_value = ".coinswarm")]
    pub data_dir: PathBuf,
    /// The server's PostgreSQL database, when it keeps its store there
    /// (`postgres://user:password@host:port/db`; env COINSWARM_DATABASE_URL).
    #[arg(long, env = "COINSWARM_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

impl DirArgs {
    /// The server's store: PostgreSQL at `--database-url`, else SQLite in `--data-dir`.
    pub async fn open_store(&self) -> anyhow::Result<SqlStore> {
        let database = Database::choose(&self.data_dir, self.database_url.as_deref().unwrap_or(""))?;
        SqlStore::connect(&database, SystemClock::shared()).await
    }
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    #[command(flatten)]
    dir: DirArgs,
    /// The account the key acts for: letters, digits, '-' and '_'.
    #[arg(long)]
    account: String,
    /// read, trade, admin or live (repeatable or comma-separated: `--scope trade,live`).
    /// Trade implies read, admin implies both; live (placing orders that spend real money on
    /// a live Coinbase account) is implied by none, needs trade or admin with it, and
    /// `--i-understand-this-trades-real-money`.
    #[arg(long = "scope", required = true, value_delimiter = ',')]
    scopes: Vec<String>,
    /// Confirms that a key with the `live` scope places orders that spend real money.
    #[arg(long)]
    i_understand_this_trades_real_money: bool,
    /// A note to recognise the key by.
    #[arg(long, default_value = "")]
    label: String,
    /// Create the key at the edge Worker at this URL instead of in the data directory
    /// (env COINSWARM_EDGE_URL); needs `--edge-token`.
    #[arg(long, env = "COINSWARM_EDGE_URL")]
    edge_url: Option<String>,
    /// The edge's operator token (its EDGE_TOKEN secret; env COINSWARM_EDGE_TOKEN).
    #[arg(long, env = "COINSWARM_EDGE_TOKEN", hide_env_values = true)]
    edge_token: Option<String>,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    #[command(flatten)]
    dir: DirArgs,
    /// The key's id (as `keys list` prints it).
    id: String,
}

pub fn run(command: KeysCommand, out: &mut dyn Write) -> anyhow::Result<()> {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start the runtime")?;
    runtime.block_on(async {
        match command {
            KeysCommand::Create(args) => {
                if !coinswarm_api::access::valid_account_id(&args.account) {
                    bail!("account '{}': use 1-64 letters, digits, '-' or '_'", args.account);
                }
                let scopes = args.scopes.iter().map(|s| Scope::parse(s)).collect::<Result<Vec<_>, _>>()?;
                if scopes.contains(&Scope::Live) && !args.i_understand_this_trades_real_money {
                    bail!(
                        "the 'live' scope lets this key place orders that spend real money on Coinbase; \
                         add --i-understand-this-trades-real-money to create it"
                    );
                }
                if let Some(url) = &args.edge_url {
                    let token = args.edge_token.as_deref().filter(|t| !t.is_empty()).context(
                        "--edge-url needs --edge-token (or COINSWARM_EDGE_TOKEN): the edge's EDGE_TOKEN secret",
                    )?;
                    let new = coinswarm_api::edge::NewEdgeKey {
                        account_id: args.account.clone(),
                        scopes: scopes.iter().map(|s| s.as_str().to_string()).collect(),
                        label: args.label.clone(),
                    };
                    let key = coinswarm_server::adapters::edge_link::create_edge_key(url, token, &new).await?;
                    writeln!(out, "id       {}", key.id)?;
                    writeln!(out, "account  {}", key.account_id)?;
                    writeln!(out, "scopes   {}", key.scopes.join(","))?;
                    writeln!(out, "secret   {}   (shown once)", key.secret)?;
                    writeln!(out, "edge     {url}")?;
                    return Ok(());
                }
                let store = args.dir.open_store().await?;
                let now = SystemClock.now().millis();
                store.create_account(&args.account, now).await?;
                let key = create_key(&store, &args.account, &scopes, &args.label, now).await?;
                store.close().await;
                let scopes: Vec<&str> = key.scopes.iter().map(|s| s.as_str()).collect();
                writeln!(out, "id       {}", key.id)?;
                writeln!(out, "account  {}", key.account_id)?;
                writeln!(out, "scopes   {}", scopes.join(","))?;
                writeln!(out, "secret   {}   (shown once)", key.secret)?;
            }
            KeysCommand::List(args) => {
                let store = args.open_store().await?;
                writeln!(out, "{:<18} {:<16} {:<18} {:<8} label", "id", "account", "scopes", "state")?;
                for key in store.keys().await? {
                    let state = if key.revoked_at.is_some() { "revoked" } else { "live" };
                    writeln!(
                        out,
                        "{:<18} {:<16} {:<18} {:<8} {}",
                        key.id, key.account_id, key.scopes, state, key.label
                    )?;
                }
                store.close().await;
            }
            KeysCommand::Revoke(args) => {
                let store = args.dir.open_store().await?;
                let revoked = store.revoke_key(&args.id, SystemClock.now().millis()).await?;
                store.close().await;
                if !revoked {
                    bail!("no live key {}", args.id);
                }
                writeln!(out, "revoked {} (servers stop accepting it within 5 s)", args.id)?;
            }
        }
        Ok(())
    })
}
