//! Validators: defences against a backtest that only looks good by luck or by fitting.
//!
//! - [`run_random_window`]: many backtests over seeded random stretches of history, each judged
//!   by [`PassCriteria`]; robust when nearly all pass.
//! - [`run_multi_timescale`]: the strategy judged as an HFT, day, swing and long-term strategy
//!   ([`TimescaleProfile`]), each on its own bar length via [`resample`].
//! - [`run_walk_forward`]: parameters searched on train bars ([`SearchSpace`], [`Objective`]),
//!   then scored on the unseen bars that follow ([`walk_forward_folds`]); a [`TrialRunner`]
//!   lets the caller spread the search over threads.
//!
//! Everything here is deterministic: the same data, strategy, config and seed give the same
//! report. Every run backtests the real strategy through [`run_backtest`](super::run_backtest);
//! a run that cannot be measured is a failure with its reason, never a panic.

mod criteria;
mod distribution;
mod folds;
mod multi_timescale;
mod parameter_search;
mod random_window;
mod resample;
mod run_summary;
#[cfg(test)]
mod test_series;
mod trial;
mod walk_forward;
mod windows;

pub use criteria::PassCriteria;
pub use distribution::Distribution;
pub use folds::{Fold, FoldError, walk_forward_folds};
pub use multi_timescale::{MultiTimescaleReport, ProfileOutcome, TimescaleProfile, run_multi_timescale};
pub use parameter_search::{Objective, Parameters, Search, SearchSpace};
pub use random_window::{RandomWindowConfig, RandomWindowReport, WindowOutcome, run_random_window};
pub use resample::{ResampleError, resample};
pub use run_summary::{RunSummary, restricted_runs_notice};
pub use trial::{BuildStrategy, run_trial};
pub use walk_forward::{
    BuildWithParameters, CandidateScore, FitModel, FoldModel, FoldReport, InOrder, Trial, TrialRunner,
    WalkForwardConfig, WalkForwardReport, run_walk_forward,
};
pub use windows::{Window, WindowError, random_windows};
