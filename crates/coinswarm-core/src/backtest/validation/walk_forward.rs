//! The walk-forward validator: on each fold, search the parameters on the train bars, then
//! score the winner on the test bars that follow. The gap between the two is what the search
//! fitted to noise.

use super::{
    BuildStrategy, Distribution, Fold, FoldError, Objective, Parameters, RunSummary, Search, SearchSpace, run_trial,
    walk_forward_folds,
};
use crate::backtest::{BacktestConfig, Strategy};
use crate::data::CandleSeries;
use crate::learned::{SharedModel, TrainingInfo};
use crate::market::{Candle, Granularity};
use serde::{Deserialize, Serialize};

/// Builds a fresh strategy with the given parameters (and the fold's learned model, when
/// the run trains one), or says why they make no sense.
pub type BuildWithParameters<'a> =
    dyn Fn(&Parameters, Granularity, Option<&SharedModel>) -> Result<Box<dyn Strategy>, String> + Sync + 'a;

/// Trains the learned agent's model on one fold's train bars — given only those bars, so
/// nothing of the test segment can reach it — or says why it could not.
pub type FitModel<'a> = dyn Fn(&[Candle]) -> Result<SharedModel, String> + Sync + 'a;

/// The model a fold trained on its train bars.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FoldModel {
    /// Its version (SHA-256 of its file).
    pub hash: String,
    pub training: TrainingInfo,
}

/// One candidate's run on a segment, or why it could not run.
pub type Trial = Result<RunSummary, String>;

/// Evaluates the candidates of one train segment. Implementations may spread the calls over
/// threads but must return one trial per candidate, in candidate order, so the outcome never
/// depends on scheduling.
pub trait TrialRunner {
    fn run_all(&self, candidates: &[Parameters], trial: &(dyn Fn(&Parameters) -> Trial + Sync)) -> Vec<Trial>;
}

/// Runs the candidates one after the other on the calling thread.
#[derive(Debug, Clone, Copy, Default)]
pub struct InOrder;

impl TrialRunner for InOrder {
    fn run_all(&self, candidates: &[Parameters], trial: &(dyn Fn(&Parameters) -> Trial + Sync)) -> Vec<Trial> {
        candidates.iter().map(trial).collect()
    }
}

/// How the walk-forward validator runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WalkForwardConfig {
    /// Train/test folds; the data is cut into `folds + 1` segments. Default 5.
    pub folds: usize,
    /// Train on all bars before each test segment instead of only the segment before it.
    /// Default false (rolling).
    pub anchored: bool,
    /// What the search maximises. Default Sharpe.
    pub objective: Objective,
    /// Whole grid or a seeded random sample of it. Default the whole grid.
    pub search: Search,
    /// The parameter values to search.
    pub space: SearchSpace,
}

/// A candidate's score on a train segment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CandidateScore {
    pub parameters: Parameters,
    /// The objective on the train bars; `None` when undefined or the run failed.
    pub score: Option<f64>,
    /// Why the run failed, if it did.
    pub failure: Option<String>,
}

/// One fold: the search on its train bars and the chosen parameters out of sample.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FoldReport {
    pub fold: Fold,
    pub candidates: Vec<CandidateScore>,
    /// The best-scoring candidate (the first one on ties); `None` when none scored.
    pub chosen: Option<Parameters>,
    pub in_sample: Option<RunSummary>,
    pub out_of_sample: Option<RunSummary>,
    pub in_sample_score: Option<f64>,
    pub out_of_sample_score: Option<f64>,
    /// `in_sample_score − out_of_sample_score`: positive when the chosen parameters did worse on
    /// unseen bars than on the bars they were picked on.
    pub overfitting_gap: Option<f64>,
    /// Why the fold has no out-of-sample score, if it has none.
    pub failure: Option<String>,
    /// The learned model trained on this fold's train bars, when the run trains one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<FoldModel>,
}

/// Everything the walk-forward validator found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WalkForwardReport {
    pub strategy: String,
    pub config: WalkForwardConfig,
    pub folds: Vec<FoldReport>,
    /// Spreads over the folds that scored.
    pub in_sample_score: Option<Distribution>,
    pub out_of_sample_score: Option<Distribution>,
    pub overfitting_gap: Option<Distribution>,
    /// The test segments' returns compounded: what trading each fold's choice on the following
    /// bars would have made, as a fraction. `None` when a fold has no out-of-sample run.
    pub out_of_sample_return: Option<f64>,
}

/// Splits the series, searches each train segment with `runner`, scores the winner on the test
/// segment. Each run starts flat with a fresh strategy, so indicators warm up inside the
/// segment and nothing from the test bars reaches the choice. With `fit`, each fold first
/// trains a model on its train bars alone, and every strategy of the fold is built with it.
pub fn run_walk_forward(
    series: &CandleSeries,
    strategy: &str,
    build: &BuildWithParameters<'_>,
    fit: Option<&FitModel<'_>>,
    backtest: &BacktestConfig,
    config: &WalkForwardConfig,
    runner: &dyn TrialRunner,
) -> Result<WalkForwardReport, FoldError> {
    let candidates = config.search.candidates(&config.space);
    let folds: Vec<FoldReport> = walk_forward_folds(series.len(), config.folds, config.anchored)?
        .into_iter()
        .map(|fold| {
            let model = fit.map(|fit| fit(&series.candles()[fold.train.clone()]));
            run_fold(series, fold, model, &candidates, build, backtest, config.objective, runner)
        })
        .collect();
    let spread = |score: fn(&FoldReport) -> Option<f64>| Distribution::of(folds.iter().filter_map(score));
    let out_of_sample_return = folds
        .iter()
        .map(|f| f.out_of_sample.as_ref().and_then(|run| run.total_return))
        .try_fold(1.0, |growth, r| r.map(|r| growth * (1.0 + r)))
        .map(|growth| growth - 1.0);
    Ok(WalkForwardReport {
        strategy: strategy.to_string(),
        config: config.clone(),
        in_sample_score: spread(|f| f.in_sample_score),
        out_of_sample_score: spread(|f| f.out_of_sample_score),
        overfitting_gap: spread(|f| f.overfitting_gap),
        out_of_sample_return,
        folds,
    })
}

#[allow(clippy::too_many_arguments)]
fn run_fold(
    series: &CandleSeries,
    fold: Fold,
    model: Option<Result<SharedModel, String>>,
    candidates: &[Parameters],
    build: &BuildWithParameters<'_>,
    backtest: &BacktestConfig,
    objective: Objective,
    runner: &dyn TrialRunner,
) -> FoldReport {
    let mut report = FoldReport {
        fold: fold.clone(),
        candidates: Vec::new(),
        chosen: None,
        in_sample: None,
        out_of_sample: None,
        in_sample_score: None,
        out_of_sample_score: None,
        overfitting_gap: None,
        failure: None,
        model: None,
    };
    let model = match model.transpose() {
        Ok(model) => model,
        Err(reason) => {
            report.failure = Some(format!("training the fold's model failed: {reason}"));
            return report;
        }
    };
    report.model = model.as_ref().map(|m| FoldModel { hash: m.hash().to_string(), training: m.training().clone() });
    let trial = |range: std::ops::Range<usize>, parameters: &Parameters| {
        let build_one: &BuildStrategy<'_> = &|granularity| build(parameters, granularity, model.as_ref());
        run_trial(series, range, build_one, backtest)
    };
    let train = fold.train.clone();
    let trials = runner.run_all(candidates, &|parameters| trial(train.clone(), parameters));
    let scored: Vec<CandidateScore> = candidates
        .iter()
        .zip(&trials)
        .map(|(parameters, run)| CandidateScore {
            parameters: parameters.clone(),
            score: run.as_ref().ok().and_then(|run| objective.score(run)),
            failure: run.as_ref().err().cloned(),
        })
        .collect();
    // The first candidate with the highest score: later ones replace it only when strictly better.
    let mut best: Option<(usize, f64)> = None;
    for (i, candidate) in scored.iter().enumerate() {
        if let Some(score) = candidate.score
            && best.is_none_or(|(_, top)| score > top)
        {
            best = Some((i, score));
        }
    }
    report.candidates = scored;
    let Some((index, in_sample_score)) = best else {
        report.failure = Some("no candidate had a defined objective on the train bars".to_string());
        return report;
    };
    report.chosen = Some(candidates[index].clone());
    report.in_sample = trials[index].as_ref().ok().cloned();
    report.in_sample_score = Some(in_sample_score);
    match trial(fold.test.clone(), &candidates[index]) {
        Ok(run) => {
            report.out_of_sample_score = objective.score(&run);
            report.overfitting_gap = report.out_of_sample_score.map(|oos| in_sample_score - oos);
            if report.out_of_sample_score.is_none() {
                report.failure = Some("the objective is undefined on the test bars".to_string());
            }
            report.out_of_sample = Some(run);
        }
        Err(reason) => report.failure = Some(reason),
    }
    report
}

#[cfg(test)]
mod tests {
    use super::super::test_series::wavy;
    use super::*;
    use crate::backtest::strategies::SmaCross;

    fn sma(parameters: &Parameters, _: Granularity, _: Option<&SharedModel>) -> Result<Box<dyn Strategy>, String> {
        let (fast, slow) = (parameters.get("fast").unwrap_or(0.0), parameters.get("slow").unwrap_or(0.0));
        if fast >= slow {
            return Err(format!("fast {fast} ≥ slow {slow}"));
        }
        Ok(Box::new(SmaCross::new(fast as usize, slow as usize)))
    }

    fn config(anchored: bool) -> WalkForwardConfig {
        let space =
            SearchSpace { axes: vec![("fast".into(), vec![2.0, 4.0, 40.0]), ("slow".into(), vec![10.0, 20.0])] };
        WalkForwardConfig { folds: 3, anchored, objective: Objective::Sharpe, search: Search::Grid, space }
    }

    /// Evaluates the candidates last to first, then puts the trials back in candidate order.
    struct Backwards;

    impl TrialRunner for Backwards {
        fn run_all(&self, candidates: &[Parameters], trial: &(dyn Fn(&Parameters) -> Trial + Sync)) -> Vec<Trial> {
            let mut trials: Vec<Trial> = candidates.iter().rev().map(trial).collect();
            trials.reverse();
            trials
        }
    }

    #[test]
    fn each_fold_picks_the_best_train_score_and_scores_it_on_the_following_bars() {
        let series = wavy(Granularity::OneHour, 800, 0.0002);
        let report =
            run_walk_forward(&series, "sma", &sma, None, &BacktestConfig::default(), &config(false), &InOrder).unwrap();
        assert_eq!(report.folds.len(), 3);
        for fold in &report.folds {
            assert_eq!(fold.candidates.len(), 6);
            let invalid = fold.candidates.iter().filter(|c| c.failure.is_some()).count();
            assert_eq!(invalid, 2, "fast 40 is never below slow");
            let best = fold.candidates.iter().filter_map(|c| c.score).fold(f64::NEG_INFINITY, f64::max);
            assert_eq!(fold.in_sample_score, Some(best));
            let (train, test) = (fold.in_sample.as_ref().unwrap(), fold.out_of_sample.as_ref().unwrap());
            assert_eq!(train.bars as usize, fold.fold.train.len());
            assert_eq!(test.bars as usize, fold.fold.test.len());
            assert!(train.to <= test.from, "the test bars start after the train bars end");
            assert_eq!(fold.overfitting_gap, Some(best - fold.out_of_sample_score.unwrap()));
        }
        assert_eq!(report.overfitting_gap.unwrap().count, 3);
        assert!(report.out_of_sample_return.is_some());
    }

    #[test]
    fn each_fold_trains_its_model_on_its_train_bars_alone_and_builds_with_it() {
        let series = wavy(Granularity::OneHour, 800, 0.0002);
        let seen = std::sync::Mutex::new(Vec::new());
        let fit = |bars: &[Candle]| -> Result<SharedModel, String> {
            seen.lock().unwrap().push((bars[0].start, bars[bars.len() - 1].start, bars.len()));
            Ok(std::sync::Arc::new(crate::learned::tests_support::seeded_model(bars.len() as u64)))
        };
        let with_model = |parameters: &Parameters, granularity: Granularity, model: Option<&SharedModel>| {
            model.ok_or("no model")?;
            sma(parameters, granularity, None)
        };
        let report = run_walk_forward(
            &series,
            "sma",
            &with_model,
            Some(&fit),
            &BacktestConfig::default(),
            &config(false),
            &InOrder,
        )
        .unwrap();
        let seen = seen.into_inner().unwrap();
        for (fold, (first, last, len)) in report.folds.iter().zip(&seen) {
            let train = &fold.fold.train;
            assert_eq!(*len, train.len());
            assert_eq!((*first, *last), (series.candles()[train.start].start, series.candles()[train.end - 1].start));
            assert!(*last < series.candles()[fold.fold.test.start].start, "the model saw a test bar");
            assert!(fold.out_of_sample.is_some(), "{:?}", fold.failure);
            assert_eq!(fold.model.as_ref().unwrap().training.seed, *len as u64);
        }
        let failing = |_: &[Candle]| -> Result<SharedModel, String> { Err("too few samples".into()) };
        let report = run_walk_forward(
            &series,
            "sma",
            &with_model,
            Some(&failing),
            &BacktestConfig::default(),
            &config(false),
            &InOrder,
        )
        .unwrap();
        assert!(
            report
                .folds
                .iter()
                .all(|f| f.failure.as_deref() == Some("training the fold's model failed: too few samples"))
        );
    }

    #[test]
    fn the_report_does_not_depend_on_the_order_candidates_are_evaluated_in() {
        let series = wavy(Granularity::OneHour, 600, 0.0);
        for anchored in [false, true] {
            let run = |runner: &dyn TrialRunner| {
                run_walk_forward(&series, "sma", &sma, None, &BacktestConfig::default(), &config(anchored), runner)
                    .unwrap()
            };
            assert_eq!(run(&InOrder), run(&Backwards));
        }
    }

    #[test]
    fn a_fold_where_no_candidate_scores_reports_why() {
        let series = wavy(Granularity::OneHour, 100, 0.0);
        let mut config = config(false);
        config.space.axes[0].1 = vec![40.0];
        let report =
            run_walk_forward(&series, "sma", &sma, None, &BacktestConfig::default(), &config, &InOrder).unwrap();
        assert!(report.folds.iter().all(|f| f.chosen.is_none() && f.failure.is_some()));
        assert_eq!((report.out_of_sample_score, report.out_of_sample_return), (None, None));
    }
}
