//! The batch commit: a session takes the commands waiting, applies them in order, stores
//! the batch's events and records in one durable transaction, and only then publishes and
//! answers.

use super::protocol::{Command, SessionError};
use super::view::{swarm_view, view_of};
use super::{Later, Reply, Session, remember_fill};
use crate::adapters::store::{AccountLog, EpisodeStore};
use coinswarm_core::ledger::{AccountEvent, EventKind};
use coinswarm_core::swarm::{LoggedRecord, Swarm};
use std::sync::Arc;
use tokio::sync::mpsc;

impl<L: AccountLog + EpisodeStore> Session<L> {
    pub(super) async fn run(mut self, mut receiver: mpsc::Receiver<Command>) {
        if let Some(link) = self.live_link.take() {
            let now = self.clock.now();
            self.resume_live(&link, now);
            if !self.finish_batch(Vec::new(), Later::default()).await {
                return;
            }
        }
        let mut batch = Vec::with_capacity(self.max_batch);
        while receiver.recv_many(&mut batch, self.max_batch).await > 0 {
            let mut replies: Vec<Reply> = Vec::new();
            let mut later = Later::default();
            for command in batch.drain(..) {
                self.apply(command, &mut replies, &mut later);
            }
            if !self.finish_batch(replies, later).await {
                return;
            }
        }
        self.flush_memory();
    }

    /// Stores the batch's events and records, then publishes and answers; `false` when
    /// storage failed (nothing is acknowledged and the session stops).
    pub(super) async fn finish_batch(&mut self, replies: Vec<Reply>, later: Later) -> bool {
        {
            // The gate acts before the batch is stored, so what it cancels is stored with it.
            self.guard_own_account();
            let events: Vec<AccountEvent> = self.engine.drain_events().collect();
            // Each decision comes with its line (to storage) and its value (to the stream).
            let decisions = self.swarm.as_mut().map(Swarm::take_log_records).unwrap_or_default();
            let mut rows: Vec<(i64, &str)> =
                decisions.iter().map(|logged| (logged.time_ms().unwrap_or(0), logged.line.as_str())).collect();
            rows.extend(self.origins.iter().map(|(time, line)| (*time, line.as_str())));
            // With an edge, the decisions as the public may see them go to its stream in the
            // same commit.
            let published: Vec<String> = if self.hub.publishes() {
                decisions.iter().map(|logged| self.public_line(logged)).collect()
            } else {
                Vec::new()
            };
            let stored = self.store.commit(&self.account_id, &events, &rows, &published).await;
            if let Err(err) = stored {
                // The engine has applied events that are not durable: acknowledge nothing and
                // stop; a restart rebuilds the account from what was committed.
                tracing::error!(account = %self.account_id, "storage failed, session stopped: {err:#}");
                for (reply, _) in replies {
                    let _ = reply.send(Err(SessionError::Storage(format!("{err:#}"))));
                }
                return false;
            }
            self.origins.clear();
            self.send_venue_calls();
            // A promotion's audit records are stored with this batch's memory changes.
            self.learn_online();
            self.persist_memory().await;
            for event in &events {
                if let EventKind::OrderFilled { fill } | EventKind::OrderPartiallyFilled { fill } = &event.kind {
                    let _ = self.fill_tx.send(fill.clone());
                }
                remember_fill(&mut self.fills, event);
                if let Some(order_id) = event.kind.order_id()
                    && let Some(order) = self.engine.account().order(order_id)
                {
                    self.orders.upsert(order);
                }
            }
            if let Some(swarm) = &self.swarm {
                for LoggedRecord { record: decision, .. } in decisions {
                    // One message for every subscriber of the public `decisions` channel: a
                    // live account's figures are hidden there (a key that may read the
                    // account gets them whole from `GET /api/decisions`).
                    if self.live.is_some() {
                        let mut public = decision.clone();
                        super::hide_account_figures(&mut public);
                        self.hub.decision(swarm.product().product_id, &public);
                    } else {
                        self.hub.decision(swarm.product().product_id, &decision);
                    }
                    self.latest_decision = Some(decision);
                }
            }
            self.view.send_replace(Arc::new(view_of(&self.account_id, &self.engine, &self.orders, &self.fills)));
            if let Some(swarm) = &self.swarm {
                let view = swarm_view(swarm, self.engine.now(), self.latest_decision.clone());
                self.hub.swarm_state(|| self.public_swarm_state(&view));
                self.swarm_tx.send_replace(Some(Arc::new(view)));
            }
            for (reply, result) in replies {
                let _ = reply.send(result);
            }
            for reply in later.halts.into_iter().chain(later.refusals) {
                let _ = reply.send(());
            }
            for (reply, event) in later.drawdown_resets {
                let _ = reply.send(event);
            }
            // Answered once the change is stored, so a reader sees it at once.
            for (reply, outcome) in later.pattern_changes {
                let _ = reply.send(outcome);
            }
        }
        true
    }
}

impl<L: AccountLog> Session<L> {
    /// A decision record as the public may see it: without a live account's figures.
    fn public_line(&self, logged: &LoggedRecord) -> String {
        if self.live.is_some() {
            let mut public = logged.record.clone();
            super::hide_account_figures(&mut public);
            public.to_string()
        } else {
            logged.record.to_string()
        }
    }

    /// The swarm's state as `GET /api/swarm` shows it to anyone: with its account in paper
    /// mode, without the account's figures when it trades real money (for the edge tier).
    fn public_swarm_state(&self, view: &super::SwarmView) -> serde_json::Value {
        let mut swarm = view.clone();
        let live = self.live.is_some();
        let account = if live {
            if let Some(decision) = &mut swarm.latest_decision {
                super::hide_account_figures(decision);
            }
            None
        } else {
            Some(coinswarm_api::order_path::account_view(&self.account_id, &self.engine))
        };
        let mode = if live { "live" } else { "paper" };
        coinswarm_api::views::to_json(&coinswarm_api::views::SwarmState { account, mode, swarm, agent_link: None })
    }
}
