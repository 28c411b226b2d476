//! Wiring `coinswarm up`: the store, the swarm's and every other account's session, the
//! replay feed and the HTTP server, started together and shut down in order (stop intake,
//! drain the sessions' last batches, flush the store).

use crate::adapters::keys::{self, NewKey, Scope};
use crate::adapters::store::SqlStore;
use crate::clock::SystemClock;
use crate::config::ServerConfig;
use crate::desk::Desk;
use crate::feeds::replay::ReplayFeed;
use crate::metrics::HttpMetrics;
use crate::progress::{Progress, Unwatched};
use crate::session::hub::Hub;
use crate::session::market::MarketBoard;
use crate::session::{self, SWARM_ACCOUNT};
use crate::transport::Transport;
use crate::transport::api::{self, AppState, KeyGuard};
use anyhow::Context;
use coinswarm_core::market::{Product, ProductId};
use coinswarm_core::swarm::{DecisionLog, Swarm, SwarmConfig};
use coinswarm_core::synthetic::IntrabarConfig;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A started server.
#[derive(Debug)]
pub struct RunningServer {
    /// The bound address (the port is real even when 0 was asked for).
    pub addr: SocketAddr,
    /// The admin key created on the first start, shown once.
    pub first_admin_key: Option<NewKey>,
    desk: Arc<Desk>,
    shutdown: watch::Sender<bool>,
    http: JoinHandle<anyhow::Result<()>>,
    feed: JoinHandle<anyhow::Result<()>>,
    /// Held for the process's life: one server per data directory (single writer per account).
    _owner: std::fs::File,
}

/// Starts everything `config` describes.
pub async fn start(config: ServerConfig) -> anyhow::Result<RunningServer> {
    start_watched(config, &Unwatched).await
}

/// [`start`], telling `progress` how its long work goes: the pattern memory index, when it
/// is rebuilt from the store, counts the episodes it indexes.
pub async fn start_watched(config: ServerConfig, progress: &dyn Progress) -> anyhow::Result<RunningServer> {
    config.validate()?;
    let owner = own_data_dir(&config.data_dir)?;
    let clock = SystemClock::shared();
    let database = config.store.database(&config.data_dir)?;
    let store = SqlStore::connect(&database, clock.clone()).await?;
    tracing::info!(database = %database.describe(), "store open");
    let live_feed = config.feed.source == crate::config::FeedSource::Coinbase;
    let series = if live_feed {
        None
    } else {
        Some(match crate::adapters::archive::parse_source(&config.feed.data) {
            Some(source) => {
                let (venue, product_id, granularity) = source?;
                let archive = crate::adapters::archive::open_archive(&config.data_dir, &config.store.archive_url)?;
                crate::adapters::archive::load_series(archive.as_ref(), &venue, product_id, granularity)?
            }
            None => {
                let dataset = coinswarm_data::load(&config.feed.data)
                    .with_context(|| format!("feed data '{}'", config.feed.data))?;
                let entry = match &config.feed.product {
                    Some(text) => {
                        let product: ProductId =
                            text.parse().map_err(|e| anyhow::anyhow!("feed.product '{text}': {e}"))?;
                        dataset.entry(product)?
                    }
                    None => dataset.entries.first().context("the feed's data set holds no product")?,
                };
                entry.series.clone()
            }
        })
    };
    let live_mode = config.live.exchange == crate::config::ExchangeMode::CoinbaseLive;
    let swarm_history = !store.load_events(SWARM_ACCOUNT).await?.is_empty();
    // Paper and live never mix: the data directory records the mode, or on a database shared
    // by several processes (the swarm's account may move between them) the database does.
    let shared = !store.serves_alone();
    let new_mode = if shared {
        check_shared_exchange_mode(&store, config.live.exchange, swarm_history).await?
    } else {
        check_exchange_mode(&config.data_dir, config.live.exchange, swarm_history)?
    };
    // Live: the key is checked with Coinbase, and its balances read, before anything starts.
    let live_rest = if live_mode {
        let key = crate::feeds::coinbase_venue::load_key(&config.live)?;
        let rest = coinswarm_coinbase::CoinbaseRest::new(
            coinswarm_coinbase::RestConfig { base_url: config.coinbase.rest_url.clone(), ..Default::default() },
            Some(key),
        )?;
        let balances = crate::feeds::coinbase_venue::connect(&rest).await?;
        Some((Arc::new(rest), balances))
    } else {
        None
    };
    // Coinbase's REST API for the live feed: keyed when live, the public endpoints otherwise.
    let coinbase_rest = match (&live_rest, live_feed) {
        (Some((rest, _)), _) => Some(rest.clone()),
        (None, true) => Some(Arc::new(coinswarm_coinbase::CoinbaseRest::new(
            coinswarm_coinbase::RestConfig { base_url: config.coinbase.rest_url.clone(), ..Default::default() },
            None,
        )?)),
        (None, false) => None,
    };
    let (products, granularity) = match &series {
        Some(series) => (vec![Product::spot(series.product_id())], series.granularity()),
        None => {
            let mut products = Vec::new();
            for text in &config.feed.products {
                let product_id: ProductId = text.parse().map_err(|e| anyhow::anyhow!("feed.products '{text}': {e}"))?;
                if !products.iter().any(|p: &Product| p.product_id == product_id) {
                    products.push(coinbase_product(coinbase_rest.as_deref(), product_id, live_mode).await?);
                }
            }
            anyhow::ensure!(!products.is_empty(), "feed.products names no product");
            (products, config.feed.bar_granularity)
        }
    };
    // Recorded once the start can no longer be refused for a live reason (key, products),
    // and before any session stores an event: a directory never holds events of a mode it
    // has not recorded.
    if new_mode && shared {
        record_shared_exchange_mode(&store, config.live.exchange).await?;
    } else if new_mode {
        record_exchange_mode(&config.data_dir, config.live.exchange)?;
    }
    let product = products[0].clone();
    let board = Arc::new(MarketBoard::new(products.clone(), granularity));
    let hub = Arc::new(Hub::new(config.stream.max_batches_behind, clock.clone()));
    let (shutdown, shutdown_rx) = watch::channel(false);
    if config.edge.enabled() {
        // Before any session commits: every event of the durable streams goes to the outbox.
        store.publish_to_edge();
        hub.publish_to_edge();
    }
    let desk = Arc::new(
        Desk::open(config.clone(), store.clone(), board.clone(), hub.clone(), shutdown_rx.clone(), clock.clone())
            .await?,
    );
    if config.edge.enabled() {
        let spec = desk.spec(SWARM_ACCOUNT, None);
        let venue = coinswarm_api::edge::VenueSpec {
            venue: venue_name(&config),
            products: spec.products,
            granularity,
            exchange: spec.exchange,
            guard: spec.guard,
            quote_currency: spec.quote_currency,
            initial_capital: spec.initial_capital,
        };
        let (link, task) = crate::adapters::edge_link::EdgeLink::start(
            config.edge.clone(),
            venue,
            store.clone(),
            shutdown_rx.clone(),
        )?;
        hub.set_tap(link);
        desk.hold(task);
        tracing::info!(url = %config.edge.url, "publishing to the edge tier");
    }
    let transport = Arc::new(Transport {
        desk: desk.clone(),
        guard: KeyGuard::new(&config.limits, clock.clone()),
        http_metrics: HttpMetrics::default(),
        connections: crate::transport::serve::admission::Admission::new(
            crate::transport::serve::fit_to_descriptor_limit(config.connections.max),
            config.connections.max_per_ip,
        ),
    });

    let first_start = store.create_account(SWARM_ACCOUNT, clock.now().millis()).await?;
    let first_admin_key = if first_start {
        let now = clock.now().millis();
        Some(keys::create_key(&store, SWARM_ACCOUNT, &[Scope::Admin], "first admin key", now).await?)
    } else {
        None
    };
    // On a database shared with other processes, the swarm's account runs in one of them.
    let owns_swarm = store.claim_account(SWARM_ACCOUNT).await?;
    anyhow::ensure!(
        owns_swarm || !live_mode,
        "refusing to start --exchange coinbase-live: another coinswarm process on this database runs the swarm's account"
    );
    let mut venue_calls = None;
    if owns_swarm {
        let mut spec = swarm_spec(&desk, &store, &config, &product, granularity, progress).await?;
        if let Some((_, balances)) = &live_rest {
            let (calls, receiver) = tokio::sync::mpsc::unbounded_channel();
            spec.live = Some(session::LiveLink { calls, balances: balances.clone() });
            venue_calls = Some(receiver);
        }
        let (handle, task) = session::start(spec, store.clone(), &[]).await?;
        desk.sessions.insert(handle);
        desk.hold(task);
    } else {
        tracing::warn!(
            "the swarm's account is run by another coinswarm process on this database: this one serves the \
             accounts it can take and takes the swarm over if that process stops"
        );
        let takeover = take_over_swarm(desk.clone(), product.clone(), granularity, shutdown_rx.clone());
        desk.hold(tokio::spawn(takeover));
    }
    if let (Some((rest, _)), Some(calls)) = (&live_rest, venue_calls) {
        // The user channel (orders' changes), signed with the same key.
        let user_stream = coinswarm_coinbase::WsClient::new(
            coinswarm_coinbase::WsConfig { url: config.coinbase.user_ws_url.clone(), ..Default::default() },
            Some(Arc::new(crate::feeds::coinbase_venue::load_key(&config.live)?)),
            None,
            vec![coinswarm_coinbase::Subscription {
                channel: "user".into(),
                product_ids: products.iter().map(|p| p.product_id).collect(),
            }],
        );
        let venue = crate::feeds::coinbase_venue::LiveVenue {
            rest: rest.clone(),
            user_stream: Some(user_stream),
            order_poll: Duration::from_millis(config.live.order_poll_ms),
            balance_poll: Duration::from_millis(config.live.balance_poll_ms),
            resend_window: Duration::from_millis(config.live.resend_window_ms),
            clock: clock.clone(),
        };
        tracing::warn!("LIVE TRADING: the swarm's orders go to Coinbase with real money");
        let handle = desk.swarm_session().context("the live swarm session is running")?;
        let venue_task = tokio::spawn(crate::feeds::coinbase_venue::run(venue, calls, handle, shutdown_rx.clone()));
        desk.hold(venue_task);
    }
    for account in store.accounts().await? {
        // On a shared database, the accounts another process runs stay with it.
        if account == SWARM_ACCOUNT || !store.claim_account(&account).await? {
            continue;
        }
        desk.session(&account).await.map_err(|e| anyhow::anyhow!("{}", e.message))?;
    }

    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let router = api::router(AppState(transport.clone()));
    let policy = crate::transport::serve::ConnectionPolicy {
        admission: transport.connections.clone(),
        header_read_timeout: Duration::from_millis(config.connections.header_read_timeout_ms),
        idle_timeout: Duration::from_millis(config.connections.idle_timeout_ms),
        send_buffer_bytes: config.stream.send_buffer_bytes,
        shutdown_grace: Duration::from_millis(config.connections.shutdown_grace_ms),
    };
    let mut http_shutdown = shutdown_rx.clone();
    let http = tokio::spawn(async move {
        crate::transport::serve::serve(listener, router, policy, async move {
            let _ = http_shutdown.wait_for(|stop| *stop).await;
        })
        .await;
        Ok(())
    });
    let post_trade = tokio::spawn(crate::adapters::post_trade::run(
        store.clone(),
        desk.analytics.clone(),
        clock.clone(),
        shutdown_rx.clone(),
    ));
    desk.hold(post_trade);
    let coalesce = Duration::from_millis(config.stream.coalesce_ms);
    let fan_out = tokio::spawn(hub.clone().run(coalesce, shutdown_rx.clone()));
    desk.hold(fan_out);
    let feed = match series {
        Some(series) => {
            let intrabar = IntrabarConfig {
                quotes_per_bar: config.feed.quotes_per_bar,
                spread_bps: config.feed.spread_bps,
                ..IntrabarConfig::default()
            };
            let replay = ReplayFeed {
                series,
                product,
                intrabar,
                bar_interval: Duration::from_millis(config.feed.bar_interval_ms),
                loop_at_end: config.feed.loop_at_end,
                clock: clock.clone(),
            };
            tokio::spawn(crate::feeds::replay::run(replay, board, hub, desk.sessions.clone(), store, shutdown_rx))
        }
        None => {
            let rest = coinbase_rest.context("the live feed has a Coinbase client")?;
            let live = crate::feeds::coinbase_market::LiveFeed {
                products,
                swarm_product: product.product_id,
                granularity,
                ws: coinswarm_coinbase::WsConfig { url: config.coinbase.ws_url.clone(), ..Default::default() },
                rest: Some(rest),
                clock,
            };
            tokio::spawn(crate::feeds::coinbase_market::run(live, board, hub, desk.sessions.clone(), shutdown_rx))
        }
    };
    Ok(RunningServer { addr, first_admin_key, desk, shutdown, http, feed, _owner: owner })
}

/// The swarm's session as this desk runs it: the swarm (with pattern memory when enabled)
/// trading `product`; `progress` hears of a pattern memory index rebuild.
async fn swarm_spec(
    desk: &Desk,
    store: &SqlStore,
    config: &ServerConfig,
    product: &Product,
    granularity: coinswarm_core::market::Granularity,
    progress: &dyn Progress,
) -> anyhow::Result<session::SessionSpec> {
    let mut swarm_config = SwarmConfig::default();
    swarm_config.recall.enabled = config.memory.enabled;
    let mut learning = None;
    if let Some(path) = &config.learned.model {
        let store = crate::adapters::model_store::ModelStore::new(&config.data_dir);
        let (model, root, origin) = store.open(path)?;
        tracing::info!(model = %model.hash(), ?origin, "the learned agent joins the committee");
        swarm_config.learned.enabled = true;
        swarm_config.learned.model = Some(model);
        swarm_config.learned.online = config.learned.online.clone();
        let fee = coinswarm_core::risk::fees::round_trip_taker_rate(swarm_config.exchange.taker_fee_bps);
        learning = config.learned.online.enabled.then(|| {
            session::OnlineLearning::new(store, root, config.learned.online.clone(), granularity.millis(), fee)
        });
    }
    let mut swarm =
        Swarm::new(swarm_config.clone(), product.clone(), granularity, Some(DecisionLog::handing_out_records()))?;
    if config.memory.enabled {
        let (agent, origin) = crate::adapters::memory_index::open_recall_agent(
            &config.data_dir,
            store,
            &swarm_config,
            &product.product_id.to_string(),
            granularity,
            config.memory.expansion_search,
            progress,
        )
        .await?;
        tracing::info!(?origin, episodes = agent.memory().index().len(), "pattern memory ready");
        swarm.set_recall(agent);
    }
    let mut spec = desk.spec(SWARM_ACCOUNT, Some(swarm));
    spec.learning = learning;
    Ok(spec)
}

/// On a shared database: tries every `store.claim_retry_ms` to take the swarm's account, and
/// starts the swarm's session (from its stored log) once its owner has stopped.
async fn take_over_swarm(
    desk: Arc<Desk>,
    product: Product,
    granularity: coinswarm_core::market::Granularity,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut every = tokio::time::interval(Duration::from_millis(desk.config.store.claim_retry_ms));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
        match desk.store.claim_account(SWARM_ACCOUNT).await {
            Ok(true) => {}
            Ok(false) => continue,
            Err(err) => {
                tracing::warn!("cannot claim the swarm's account: {err:#}");
                continue;
            }
        }
        let started = async {
            let spec = swarm_spec(&desk, &desk.store, &desk.config, &product, granularity, &Unwatched).await?;
            session::start(spec, desk.store.clone(), &desk.board.last_quotes()).await
        };
        match started.await {
            Ok((handle, task)) => {
                desk.sessions.insert(handle);
                desk.hold(task);
                tracing::warn!("took over the swarm's account: its owner on this database stopped");
            }
            // Owned but not started: the account stays with this process, unserved, which
            // the log says; another process cannot take it while this one lives.
            Err(err) => tracing::error!("took the swarm's account but cannot start its session: {err:#}"),
        }
        return;
    }
}

/// Resolves with an error once this process may no longer own its accounts (on PostgreSQL,
/// the connection holding them was lost); never on SQLite.
async fn ownership_lost(store: SqlStore) -> anyhow::Error {
    let mut every = tokio::time::interval(OWNERSHIP_CHECK);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(err) = store.check_ownership().await {
            return err;
        }
    }
}

/// How often a process checks that it still holds its accounts on a shared database.
const OWNERSHIP_CHECK: Duration = Duration::from_secs(1);

/// A product's trading rules from Coinbase, so orders are sized and priced as Coinbase
/// accepts them. Live trading cannot start without them; paper trading on the live feed
/// falls back to Coinbase's usual USD-pair rules with a warning.
async fn coinbase_product(
    rest: Option<&coinswarm_coinbase::CoinbaseRest>,
    product_id: ProductId,
    live: bool,
) -> anyhow::Result<Product> {
    let Some(rest) = rest else { return Ok(Product::spot(product_id)) };
    match rest.product_rules(product_id).await {
        Ok(product) => Ok(product),
        Err(err) if live => {
            anyhow::bail!("refusing to start --exchange coinbase-live: no trading rules for {product_id}: {err}")
        }
        Err(err) => {
            tracing::warn!(%product_id, "Coinbase's trading rules not read, the usual USD-pair rules are used: {err}");
            Ok(Product::spot(product_id))
        }
    }
}

/// Keeps paper and live apart: a data directory remembers (in `exchange.mode`) whether its
/// swarm account trades on paper or live, and refuses the other, so paper fills and
/// balances never mix with real ones. A directory from before the file counts as paper
/// when its swarm account has history. Answers whether the mode is new to the directory
/// (recorded with [`record_exchange_mode`] once the start can no longer be refused).
fn check_exchange_mode(
    data_dir: &std::path::Path,
    mode: crate::config::ExchangeMode,
    swarm_history: bool,
) -> anyhow::Result<bool> {
    let path = data_dir.join(EXCHANGE_MODE_FILE);
    let recorded = match std::fs::read_to_string(&path) {
        Ok(text) => {
            crate::adapters::private_files::restrict(&path)?;
            Some(text.trim().to_string())
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => swarm_history.then(|| "paper".to_string()),
        Err(err) => return Err(err).with_context(|| format!("cannot read {}", path.display())),
    };
    match recorded {
        Some(recorded) if recorded != mode_name(mode) => anyhow::bail!(
            "refusing to start with --exchange {}: the swarm account in {} has traded {recorded}; give {} its own --data-dir so paper and live accounts never mix",
            mode_name(mode),
            data_dir.display(),
            mode_name(mode)
        ),
        Some(_) => Ok(false),
        None => Ok(true),
    }
}

/// The exchange mode a shared database's swarm account trades in (`server_state`), as
/// [`check_exchange_mode`] does for a data directory; answers whether it is new.
async fn check_shared_exchange_mode(
    store: &SqlStore,
    mode: crate::config::ExchangeMode,
    swarm_history: bool,
) -> anyhow::Result<bool> {
    use crate::adapters::store::StateStore;
    let recorded = store.state(EXCHANGE_MODE_STATE).await?.or_else(|| swarm_history.then(|| "paper".to_string()));
    match recorded {
        Some(recorded) if recorded != mode_name(mode) => anyhow::bail!(
            "refusing to start with --exchange {}: the swarm account in this database has traded {recorded}; \
             give this process its own database so paper and live accounts never mix",
            mode_name(mode)
        ),
        Some(_) => Ok(false),
        None => Ok(true),
    }
}

/// Records the shared database's exchange mode; refuses when another process recorded the
/// other one first.
async fn record_shared_exchange_mode(store: &SqlStore, mode: crate::config::ExchangeMode) -> anyhow::Result<()> {
    use crate::adapters::store::StateStore;
    let recorded = store.init_state(EXCHANGE_MODE_STATE, mode_name(mode)).await?;
    anyhow::ensure!(
        recorded == mode_name(mode),
        "refusing to start with --exchange {}: another process has just started this database's swarm account \
         in {recorded}",
        mode_name(mode)
    );
    Ok(())
}

/// The name of a shared database's exchange mode in `server_state`.
const EXCHANGE_MODE_STATE: &str = "exchange_mode";

/// Where a data directory records its exchange mode.
const EXCHANGE_MODE_FILE: &str = "exchange.mode";

fn mode_name(mode: crate::config::ExchangeMode) -> &'static str {
    match mode {
        crate::config::ExchangeMode::Paper => "paper",
        crate::config::ExchangeMode::CoinbaseLive => "coinbase-live",
    }
}

fn record_exchange_mode(data_dir: &std::path::Path, mode: crate::config::ExchangeMode) -> anyhow::Result<()> {
    let path = data_dir.join(EXCHANGE_MODE_FILE);
    crate::adapters::private_files::write(&path, mode_name(mode).as_bytes())
}

/// Takes the data directory's owner lock (`server.lock`), released when the process ends
/// however it ends: a second `up` or `mcp` on the same directory would run a second session
/// per account and break the single writer. The directory and the lock are private to the
/// owner ([`crate::adapters::private_files`]).
fn own_data_dir(data_dir: &std::path::Path) -> anyhow::Result<std::fs::File> {
    crate::adapters::private_files::create_dir(data_dir)?;
    let path = data_dir.join("server.lock");
    let file = crate::adapters::private_files::open_options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    crate::adapters::private_files::restrict(&path)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "another coinswarm server (up or mcp) is running on {}: stop it, or give this one its own --data-dir",
            data_dir.display()
        ),
        Err(std::fs::TryLockError::Error(err)) => Err(err).with_context(|| format!("cannot lock {}", path.display())),
    }
}

impl RunningServer {
    /// The running desk, for another front end on it (the stdio MCP server).
    pub fn desk(&self) -> Arc<Desk> {
        self.desk.clone()
    }

    /// Waits until the feed or the HTTP server stops on its own (an error), or `stop` fires.
    pub async fn run_until(self, stop: impl std::future::Future<Output = ()>) -> anyhow::Result<()> {
        tokio::pin!(stop);
        let mut feed = self.feed;
        let mut http = self.http;
        let mut feed_done = None;
        let lost = ownership_lost(self.desk.store.clone());
        tokio::pin!(lost);
        let mut lost_ownership = None;
        tokio::select! {
            _ = &mut stop => {}
            err = &mut lost => {
                tracing::error!("stopping: {err:#}");
                lost_ownership = Some(err);
            }
            result = &mut feed => feed_done = Some(result),
            result = &mut http => {
                result.context("the HTTP task panicked")??;
            }
        }
        if let Some(result) = feed_done {
            // The data ended without looping: keep serving until asked to stop (or until this
            // process may no longer own its accounts).
            result.context("the feed task panicked")??;
            tokio::select! {
                _ = &mut stop => {}
                err = &mut lost => {
                    tracing::error!("stopping: {err:#}");
                    lost_ownership = Some(err);
                }
            }
        }
        let _ = self.shutdown.send(true);
        let http_result = http.await;
        if !feed.is_finished() {
            let _ = feed.await;
        }
        // Dropping every session handle lets each session finish its last batch and end.
        self.desk.sessions.clear();
        let tasks = self.desk.take_tasks();
        for task in tasks {
            let _ = task.await;
        }
        self.desk.store.close().await;
        http_result.context("the HTTP task panicked")??;
        match lost_ownership {
            Some(err) => Err(err.context("another process may now own this process's accounts")),
            None => Ok(()),
        }
    }
}

/// The feed's venue, as the candle archive names it: `coinbase` for the live feed, the
/// archive's venue for `archive:VENUE/…`, else the bundled data set's exchange (the name
/// before its first `-`, e.g. `bitfinex` of `bitfinex-btcusd-1h`).
fn venue_name(config: &ServerConfig) -> String {
    if config.feed.source == crate::config::FeedSource::Coinbase {
        return "coinbase".into();
    }
    let data = config.feed.data.strip_prefix("archive:").unwrap_or(&config.feed.data);
    let name = data.split(['/', '-']).next().unwrap_or("replay");
    if name.is_empty() { "replay".into() } else { name.to_ascii_lowercase() }
}

#[cfg(test)]
mod tests {
    use super::{check_exchange_mode, record_exchange_mode};
    use crate::config::ExchangeMode;

    #[test]
    fn a_data_directory_trades_paper_or_live_never_both() {
        let dir = std::env::temp_dir().join(format!("coinswarm-mode-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        // A directory from before the marker whose swarm traded: paper.
        let refused = check_exchange_mode(&dir, ExchangeMode::CoinbaseLive, true).unwrap_err().to_string();
        assert!(refused.contains("has traded paper") && refused.contains("--data-dir"), "{refused}");
        // A new directory takes the mode it first runs with, and keeps it.
        assert!(check_exchange_mode(&dir, ExchangeMode::CoinbaseLive, false).unwrap(), "new to the directory");
        assert!(!dir.join("exchange.mode").exists(), "nothing recorded before the start succeeded");
        record_exchange_mode(&dir, ExchangeMode::CoinbaseLive).unwrap();
        assert!(!check_exchange_mode(&dir, ExchangeMode::CoinbaseLive, true).unwrap());
        let refused = check_exchange_mode(&dir, ExchangeMode::Paper, true).unwrap_err().to_string();
        assert!(refused.contains("has traded coinbase-live"), "{refused}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
