//! `coinswarm mcp`: the MCP server on stdio for desktop clients, over the same services as
//! `up` (the swarm, the paper accounts, the replay feed, pattern memory) in this process.
//! Standard output carries only MCP messages; everything else goes to standard error, except
//! the first admin key, which goes to a private file (`first-admin-key` in the data directory).

use super::up::{UpArgs, effective_config, server_runtime, shutdown_signal};
use anyhow::Context;
use clap::Args;
use coinswarm_server::adapters::keys::{self, ApiKey, Scope};

/// Where, in the data directory, a first start writes the admin key it created.
const FIRST_ADMIN_KEY_FILE: &str = "first-admin-key";

#[derive(Debug, Args)]
pub struct McpArgs {
    #[command(flatten)]
    server: UpArgs,
    /// Act as this API key (its account and scopes) instead of the local operator.
    #[arg(long, env = "COINSWARM_MCP_KEY", hide_env_values = true)]
    key: Option<String>,
    /// The paper account the local operator trades (created with the initial capital).
    #[arg(long, default_value = "mcp", conflicts_with = "key")]
    account: String,
    /// Offer only the read-only tools (no order placement or cancellation).
    #[arg(long, conflicts_with = "key")]
    read_only: bool,
}

pub fn run(args: &McpArgs) -> anyhow::Result<()> {
    let mut config = effective_config(&args.server)?;
    if args.server.print_config {
        print!("{}", config.to_toml());
        return Ok(());
    }
    // The HTTP side listens on a free loopback port unless asked for one: `up` may hold 8080.
    if args.server.listen.is_none() && std::env::var_os("COINSWARM_LISTEN").is_none() {
        config.listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    }
    config.validate()?;
    if args.account.trim().is_empty() || args.account.len() > 64 {
        anyhow::bail!("--account must be 1 to 64 characters");
    }
    let runtime = server_runtime("warn")?;
    runtime.block_on(async {
        let server = coinswarm_server::start(config.clone()).await?;
        let desk = server.desk();
        let caller = match &args.key {
            Some(secret) => keys::verify(&desk.store, secret)
                .await?
                .context("unknown or revoked API key (--key / COINSWARM_MCP_KEY)")?,
            None => {
                desk.store.create_account(&args.account, desk.clock.now().millis()).await?;
                let scopes = if args.read_only { vec![Scope::Read] } else { vec![Scope::Read, Scope::Trade] };
                ApiKey { id: "local".into(), account_id: args.account.clone(), scopes }
            }
        };
        let trading = match desk.execution_mode(&caller.account_id) {
            "live" => "LIVE trading: real money on Coinbase",
            _ => "paper trading",
        };
        eprintln!(
            "Coinswarm MCP on stdio: account {} ({}), {trading}; dashboard http://{}/ (data in {})",
            caller.account_id,
            caller.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
            server.addr,
            config.data_dir.display()
        );
        // Desktop MCP clients write a server's stderr to their log files: the first admin
        // key goes to a file only its owner may read, never to stderr.
        if let Some(key) = &server.first_admin_key {
            let path = config.data_dir.join(FIRST_ADMIN_KEY_FILE);
            coinswarm_server::adapters::private_files::write(&path, format!("{}\n", key.secret).as_bytes())?;
            eprintln!(
                "the first admin API key is in {} (readable by you only; move it somewhere safe, or create keys with `coinswarm keys create`)",
                path.display()
            );
        }
        let mcp = tokio::spawn(coinswarm_server::transport::mcp::serve_stdio(desk, caller));
        let mcp_done = async {
            match mcp.await {
                Ok(Ok(())) => {}
                Ok(Err(err)) => eprintln!("{err:#}"),
                Err(err) => eprintln!("the MCP server failed: {err}"),
            }
        };
        server
            .run_until(async {
                tokio::select! {
                    _ = mcp_done => {}
                    _ = shutdown_signal() => {}
                }
            })
            .await?;
        Ok(())
    })
}
