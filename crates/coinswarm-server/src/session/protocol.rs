//! How the rest of the server talks to a session: the commands it takes, the handle that
//! sends them, and the errors it answers with.

use super::order_origin::{OrderOrigin, OrderPreview, OrderRefusal};
use super::view::{AccountView, SwarmView};
use coinswarm_core::exchange::{Fill, Order, OrderId, OrderRequest, Rejection};
use coinswarm_core::market::{Candle, Quote};
use coinswarm_core::memory::{Mutation, Outcome};
use coinswarm_core::risk::{Refusal, RiskEvent};
use serde::Serialize;
use std::sync::Arc;
use tokio::sync::{broadcast, mpsc, oneshot, watch};

/// Why a command could not be carried out.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Rejected(#[from] Rejection),
    #[error("the account's storage failed, nothing was acknowledged: {0}")]
    Storage(String),
    #[error("the account session has stopped")]
    Stopped,
    #[error("pattern memory failed: {0}")]
    Memory(String),
    /// The account's pre-trade gate (halted, circuit breaker, oversight limits) refused the order.
    #[error(transparent)]
    Blocked(#[from] Refusal),
    /// The live venue (Coinbase) refused the order, or could not be reached.
    #[error("Coinbase refused the order: {code}: {message}")]
    Venue { code: String, message: String },
}

impl From<coinswarm_api::order_path::OrderRefused> for SessionError {
    fn from(refused: coinswarm_api::order_path::OrderRefused) -> Self {
        match refused {
            coinswarm_api::order_path::OrderRefused::Rejected(rejection) => SessionError::Rejected(rejection),
            coinswarm_api::order_path::OrderRefused::Blocked(refusal) => SessionError::Blocked(refusal),
        }
    }
}

/// What a session is told.
#[derive(Debug)]
pub(super) enum Command {
    Submit(OrderRequest, OrderOrigin, oneshot::Sender<Result<Order, SessionError>>),
    /// Every check of a submit, placing nothing.
    Preview(OrderRequest, oneshot::Sender<OrderPreview>),
    /// The `top_k` episodes nearest `state` whose outcome was known at `at_ms`.
    SimilarTo(Vec<f32>, i64, usize, oneshot::Sender<Result<Option<SimilarNow>, String>>),
    Cancel(OrderId, OrderOrigin, oneshot::Sender<Result<Order, SessionError>>),
    /// An order the desk refused before it reached the session (a key without the `live`
    /// scope): recorded with its origin and refusal code, answered once stored.
    Refused(OrderRequest, OrderOrigin, OrderRefusal, oneshot::Sender<()>),
    /// Resuming the swarm, refused by the desk (a live swarm, a key without the `live`
    /// scope): recorded like a refused order, answered once stored.
    ResumeRefused(OrderOrigin, OrderRefusal, oneshot::Sender<()>),
    Quote(Quote),
    /// The bar just ended (its quotes were already sent): the swarm, if any, decides.
    BarClosed(Candle),
    /// Past bars, oldest first, for the swarm to warm up on without trading.
    WarmUp(Vec<Candle>),
    /// Halts (`true`) or resumes the swarm; `origin` is recorded with the outcome.
    Halt(bool, OrderOrigin, oneshot::Sender<()>),
    /// Restarts the swarm's drawdown peak at its equity now; `origin` is recorded with the
    /// outcome. Answers the reset (`None` without a swarm).
    ResetDrawdown(OrderOrigin, oneshot::Sender<Option<RiskEvent>>),
    /// Pattern memory's nearest episodes to the state now.
    Similar(usize, oneshot::Sender<Result<RecallNow, String>>),
    /// An operator's change to a learned pattern, put to the quorum: `None` when memory is
    /// off or the pattern is unknown.
    ChangePattern(String, Mutation, oneshot::Sender<Option<Outcome>>),
    /// What the live venue reported.
    Venue(super::live::VenueReport),
}

/// What pattern memory recalls for the state at the last bar close.
#[derive(Debug, Clone, Serialize)]
pub struct SimilarNow {
    /// The close the state is of, ms since the Unix epoch.
    pub decided_ms: i64,
    pub matches: Vec<coinswarm_core::memory::Match>,
}

/// What pattern memory answers for the market state now.
#[derive(Debug, Clone)]
pub enum RecallNow {
    /// The swarm has no recall agent (memory is off).
    Off,
    /// No market state yet: the state builder needs `bars` more bar closes (0 when it is
    /// ready but the last close gave no usable state: the next close will).
    WarmingUp {
        bars: usize,
    },
    Found(SimilarNow),
}

/// A handle to one account's session: cheap to clone, shared by every request.
#[derive(Debug, Clone)]
pub struct SessionHandle {
    pub account_id: String,
    pub(super) commands: mpsc::Sender<Command>,
    pub(super) view: watch::Receiver<Arc<AccountView>>,
    pub(super) fills: broadcast::Sender<Fill>,
    pub(super) swarm_state: watch::Receiver<Option<Arc<SwarmView>>>,
}

impl SessionHandle {
    /// Whether the session has stopped (its task ended, e.g. after a failed commit): its
    /// commands go nowhere, and the account needs a new session from its stored log.
    pub fn is_stopped(&self) -> bool {
        self.commands.is_closed()
    }

    /// Places an order from outside the swarm and answers once its events are durably stored.
    /// It meets the exchange's rules, then the account's order guard; `origin` is recorded
    /// with the outcome in the account's decision log, in the same commit.
    pub async fn submit(&self, request: OrderRequest, origin: OrderOrigin) -> Result<Order, SessionError> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(Command::Submit(request, origin, reply)).await.map_err(|_| SessionError::Stopped)?;
        answer.await.map_err(|_| SessionError::Stopped)?
    }

    /// What submitting `request` now would do: every exchange and guard check, nothing placed.
    pub async fn preview(&self, request: OrderRequest) -> Result<OrderPreview, SessionError> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(Command::Preview(request, reply)).await.map_err(|_| SessionError::Stopped)?;
        answer.await.map_err(|_| SessionError::Stopped)
    }

    /// The `top_k` remembered episodes nearest `state` among those whose outcome was known at
    /// `at_ms` (`None` with memory off).
    pub async fn similar_to(
        &self,
        state: Vec<f32>,
        at_ms: i64,
        top_k: usize,
    ) -> Result<Option<SimilarNow>, SessionError> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(Command::SimilarTo(state, at_ms, top_k, reply)).await.map_err(|_| SessionError::Stopped)?;
        answer.await.map_err(|_| SessionError::Stopped)?.map_err(SessionError::Memory)
    }

    /// Cancels an order; answers once the cancellation is durably stored.
    /// `origin` is recorded with the outcome in the account's decision log.
    pub async fn cancel(&self, order_id: OrderId, origin: OrderOrigin) -> Result<Order, SessionError> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(Command::Cancel(order_id, origin, reply)).await.map_err(|_| SessionError::Stopped)?;
        answer.await.map_err(|_| SessionError::Stopped)?
    }

    /// Records an order the desk refused before sending it here, with `origin` and the
    /// refusal, in the account's decision log; answers once stored.
    pub async fn record_refusal(
        &self,
        request: OrderRequest,
        origin: OrderOrigin,
        refusal: OrderRefusal,
    ) -> Result<(), SessionError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Refused(request, origin, refusal, reply))
            .await
            .map_err(|_| SessionError::Stopped)?;
        answer.await.map_err(|_| SessionError::Stopped)
    }

    /// Stops (or resumes) the swarm of this account from sending orders; `origin` is recorded
    /// with the outcome in the account's audit log. Answers once stored.
    pub async fn halt(&self, halted: bool, origin: OrderOrigin) -> Result<(), SessionError> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(Command::Halt(halted, origin, reply)).await.map_err(|_| SessionError::Stopped)?;
        answer.await.map_err(|_| SessionError::Stopped)
    }

    /// Restarts the swarm's drawdown peak at the account's equity now (an operator's reset:
    /// a drawdown breach ends); `origin` is recorded with the outcome in the account's audit
    /// log and the event in the swarm's next decision. Answers once stored.
    pub async fn reset_drawdown(&self, origin: OrderOrigin) -> Result<Option<RiskEvent>, SessionError> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(Command::ResetDrawdown(origin, reply)).await.map_err(|_| SessionError::Stopped)?;
        answer.await.map_err(|_| SessionError::Stopped)
    }

    /// Records a resume of the swarm that the desk refused, with `origin` and the refusal, in
    /// the account's audit log; answers once stored.
    pub async fn record_resume_refusal(&self, origin: OrderOrigin, refusal: OrderRefusal) -> Result<(), SessionError> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(Command::ResumeRefused(origin, refusal, reply)).await.map_err(|_| SessionError::Stopped)?;
        answer.await.map_err(|_| SessionError::Stopped)
    }

    /// The `top_k` past episodes most similar to the market state now (their outcome known),
    /// or why there are none yet: memory is off, or still warming up.
    pub async fn similar_now(&self, top_k: usize) -> Result<RecallNow, SessionError> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(Command::Similar(top_k, reply)).await.map_err(|_| SessionError::Stopped)?;
        answer.await.map_err(|_| SessionError::Stopped)?.map_err(SessionError::Memory)
    }

    /// Puts an operator's change of pattern `pattern_id` to the quorum (at the market time
    /// now); the answer is the managers' outcome, `None` for an unknown pattern or with
    /// memory off. A committed change is stored with the batch, like the swarm's own.
    pub async fn change_pattern(&self, pattern_id: &str, mutation: Mutation) -> Result<Option<Outcome>, SessionError> {
        let (reply, answer) = oneshot::channel();
        let command = Command::ChangePattern(pattern_id.to_string(), mutation, reply);
        self.commands.send(command).await.map_err(|_| SessionError::Stopped)?;
        answer.await.map_err(|_| SessionError::Stopped)
    }

    pub async fn quote(&self, quote: Quote) {
        let _ = self.commands.send(Command::Quote(quote)).await;
    }

    pub async fn bar_closed(&self, candle: Candle) {
        let _ = self.commands.send(Command::BarClosed(candle)).await;
    }

    /// Hands the live venue's report to the account (live mode).
    pub async fn venue_report(&self, report: super::live::VenueReport) {
        let _ = self.commands.send(Command::Venue(report)).await;
    }

    /// Warms the swarm, if any, on past bars without trading.
    pub async fn warm_up(&self, candles: Vec<Candle>) {
        let _ = self.commands.send(Command::WarmUp(candles)).await;
    }

    /// The latest committed state.
    pub fn view(&self) -> Arc<AccountView> {
        self.view.borrow().clone()
    }

    /// Fills as they are committed.
    pub fn subscribe_fills(&self) -> broadcast::Receiver<Fill> {
        self.fills.subscribe()
    }

    pub fn swarm(&self) -> Option<Arc<SwarmView>> {
        self.swarm_state.borrow().clone()
    }
}

/// A session error's stable code.
pub fn error_code(error: &SessionError) -> &'static str {
    match error {
        SessionError::Rejected(rejection) => rejection.code(),
        SessionError::Blocked(refusal) => refusal.code(),
        SessionError::Storage(_) => "STORAGE_FAILED",
        SessionError::Stopped => "SESSION_STOPPED",
        SessionError::Memory(_) => "MEMORY_FAILED",
        SessionError::Venue { .. } => "VENUE_REJECTED",
    }
}
