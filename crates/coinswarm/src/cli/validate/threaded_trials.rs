//! Walk-forward candidates evaluated on every core: the one place the validators use threads.

use crate::cli::progress::WorkBar;
use coinswarm_core::backtest::validation::{Parameters, Trial, TrialRunner};

/// Splits the candidates into `threads` contiguous chunks, one scoped thread each, and joins
/// the trials back in candidate order, so the report is the same as on one thread.
#[derive(Debug, Clone, Copy)]
pub struct ThreadedTrials<'a> {
    pub threads: usize,
    /// Advanced by one as each trial ends.
    pub done: &'a WorkBar,
}

impl TrialRunner for ThreadedTrials<'_> {
    fn run_all(&self, candidates: &[Parameters], trial: &(dyn Fn(&Parameters) -> Trial + Sync)) -> Vec<Trial> {
        let chunk = candidates.len().div_ceil(self.threads.max(1)).max(1);
        std::thread::scope(|scope| {
            let workers: Vec<_> = candidates
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        part.iter()
                            .map(|candidate| {
                                let outcome = trial(candidate);
                                self.done.advance(1);
                                outcome
                            })
                            .collect::<Vec<Trial>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|worker| worker.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
                .collect()
        })
    }
}
