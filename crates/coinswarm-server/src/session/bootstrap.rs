//! Starting a session: the account rebuilt from its stored log (a new one funded with its
//! initial capital), its products listed, live orders resumed, then the task spawned.

use super::live::{self, LiveLink};
use super::protocol::SessionHandle;
use super::view::{swarm_view, view_of};
use super::{Session, remember_fill};
use crate::adapters::store::{AccountLog, EpisodeStore};
use crate::clock::SharedClock;
use crate::session::hub::Hub;
use crate::session::order_snapshot::OrderSnapshot;
use coinswarm_core::exchange::{ExchangeConfig, MatchingEngine, Order};
use coinswarm_core::ledger::{Account, AccountEvent};
use coinswarm_core::market::{Currency, Product, Quote};
use coinswarm_core::risk::{GateConfig, PreTradeGate};
use coinswarm_core::swarm::Swarm;
use coinswarm_core::time::Timestamp;
use rust_decimal::Decimal;
use std::sync::Arc;
use tokio::sync::{broadcast, mpsc, watch};

/// Everything a session starts from.
pub struct SessionSpec {
    pub account_id: String,
    pub exchange: ExchangeConfig,
    pub products: Vec<Product>,
    pub quote_currency: Currency,
    pub initial_capital: Decimal,
    pub swarm: Option<Swarm>,
    pub max_batch: usize,
    /// Where the swarm's committed decisions are published for streaming.
    pub hub: Arc<Hub>,
    /// The account's pre-trade gate, which every order passes: the swarm's and those from
    /// outside alike (a swarm trades through it).
    pub guard: GateConfig,
    /// Live execution: the venue task's link (`None`: paper).
    pub live: Option<LiveLink>,
    /// The wall clock: the account's creation, and the time of venue reports and resumes.
    pub clock: SharedClock,
    /// Online learning of the swarm's learned model (`None`: off).
    pub learning: Option<super::OnlineLearning>,
}

impl std::fmt::Debug for SessionSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionSpec").field("account_id", &self.account_id).finish_non_exhaustive()
    }
}

/// Starts an account's session: rebuilds the account from its stored log (funding a new one
/// with the initial capital), then serves commands until every handle is dropped.
pub async fn start(
    spec: SessionSpec,
    store: impl AccountLog + EpisodeStore,
    last_quotes: &[Quote],
) -> anyhow::Result<(SessionHandle, tokio::task::JoinHandle<()>)> {
    store.create_account(&spec.account_id, spec.clock.now().millis()).await?;
    let log = store.load_events(&spec.account_id).await?;
    let account = Account::replay(&log)?;
    let fresh = log.is_empty();
    let mut engine = MatchingEngine::resume(spec.exchange.clone(), account)?;
    if spec.live.is_some() {
        engine.set_execution(coinswarm_core::exchange::VenueExecution::default());
    }
    for product in &spec.products {
        engine.list_product(product.clone()).map_err(|r| anyhow::anyhow!("cannot list {}: {r}", product.product_id))?;
    }
    if fresh && spec.live.is_none() {
        engine
            .deposit(
                spec.quote_currency,
                spec.initial_capital,
                last_quotes.first().map_or(Timestamp::default(), |q| q.time),
            )
            .map_err(|r| anyhow::anyhow!("cannot fund {}: {r}", spec.account_id))?;
    }
    for quote in last_quotes {
        engine.on_quote(quote)?;
    }
    let events: Vec<AccountEvent> = engine.drain_events().collect();
    store.commit(&spec.account_id, &events, &[], &[]).await?;

    let mut fills = imbl::Vector::new();
    for event in &log {
        remember_fill(&mut fills, event);
    }
    let mut orders = OrderSnapshot::new(spec.exchange.retained_orders);
    let mut known: Vec<&Order> = engine.account().orders().collect();
    known.sort_by_key(|o| o.created_time);
    for order in known {
        orders.upsert(order);
    }
    let (commands, receiver) = mpsc::channel(4096);
    let (view_tx, view) = watch::channel(Arc::new(view_of(&spec.account_id, &engine, &orders, &fills)));
    let (fill_tx, _) = broadcast::channel(1024);
    let (swarm_tx, swarm_state) =
        watch::channel(spec.swarm.as_ref().map(|s| Arc::new(swarm_view(s, engine.now(), None))));
    let handle =
        SessionHandle { account_id: spec.account_id.clone(), commands, view, fills: fill_tx.clone(), swarm_state };
    let session = Session {
        account_id: spec.account_id,
        engine,
        swarm: spec.swarm.map(|swarm| swarm.with_gate(PreTradeGate::new(&spec.guard))),
        own_gate: PreTradeGate::new(&spec.guard),
        quote_currency: spec.quote_currency,
        store,
        max_batch: spec.max_batch,
        fills,
        orders,
        view: view_tx,
        fill_tx,
        swarm_tx,
        latest_decision: None,
        hub: spec.hub,
        clock: spec.clock,
        origins: Vec::new(),
        live: spec.live.as_ref().map(live::Live::new),
        live_link: spec.live,
        learning: spec.learning,
    };
    let task = tokio::spawn(session.run(receiver));
    Ok((handle, task))
}
