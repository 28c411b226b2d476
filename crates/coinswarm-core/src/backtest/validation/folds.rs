//! Walk-forward folds: train on one stretch of history, test on the stretch right after it.

use serde::Serialize;
use std::ops::Range;

/// One train/test split, in bar indices (end exclusive). The test bars come strictly after the
/// train bars: `train.end == test.start`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fold {
    pub train: Range<usize>,
    pub test: Range<usize>,
}

/// Why a series cannot be split.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FoldError {
    #[error("walk-forward needs at least one fold")]
    NoFolds,
    #[error("{bars} bars cannot be cut into {segments} non-empty segments for {folds} folds")]
    TooFewBars { bars: usize, folds: usize, segments: usize },
}

/// Cuts `bars` bars into `folds + 1` consecutive segments of equal length (the remainder spread
/// one bar at a time, so lengths differ by at most one). Fold `i` tests on segment `i + 1` and
/// trains on segment `i` (rolling) or on segments `0..=i` (anchored). The test segments are
/// disjoint and together cover every bar after the first segment.
pub fn walk_forward_folds(bars: usize, folds: usize, anchored: bool) -> Result<Vec<Fold>, FoldError> {
    if folds == 0 {
        return Err(FoldError::NoFolds);
    }
    // folds ≥ bars also guards `folds + 1` against overflow.
    if folds >= bars {
        return Err(FoldError::TooFewBars { bars, folds, segments: folds.saturating_add(1) });
    }
    let segments = folds + 1;
    let boundary = |i: usize| i * bars / segments;
    Ok((0..folds)
        .map(|i| Fold {
            train: if anchored { 0 } else { boundary(i) }..boundary(i + 1),
            test: boundary(i + 1)..boundary(i + 2),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rolling_folds_train_on_one_segment_and_test_on_the_next() {
        let folds = walk_forward_folds(100, 4, false).unwrap();
        let expected = [(0..20, 20..40), (20..40, 40..60), (40..60, 60..80), (60..80, 80..100)];
        assert_eq!(folds, expected.map(|(train, test)| Fold { train, test }));
    }

    #[test]
    fn anchored_folds_train_on_everything_before_the_test_segment() {
        let folds = walk_forward_folds(10, 2, true).unwrap();
        assert_eq!(folds, [Fold { train: 0..3, test: 3..6 }, Fold { train: 0..6, test: 6..10 }]);
    }

    #[test]
    fn tests_follow_their_training_never_overlap_and_cover_the_rest_of_the_data() {
        for bars in [7, 100, 17_583] {
            for folds in 1..=6 {
                for anchored in [false, true] {
                    let split = walk_forward_folds(bars, folds, anchored).unwrap();
                    let first_test = split[0].test.start;
                    for (i, fold) in split.iter().enumerate() {
                        assert!(!fold.train.is_empty() && !fold.test.is_empty(), "{fold:?}");
                        assert_eq!(fold.train.end, fold.test.start, "no look-ahead and no gap");
                        if i > 0 {
                            assert_eq!(split[i - 1].test.end, fold.test.start, "disjoint and contiguous");
                        }
                    }
                    assert_eq!(split.last().unwrap().test.end, bars);
                    assert_eq!(first_test, bars / (folds + 1));
                }
            }
        }
    }

    #[test]
    fn too_few_bars_or_no_folds_are_refused() {
        assert_eq!(walk_forward_folds(10, 0, false), Err(FoldError::NoFolds));
        assert_eq!(walk_forward_folds(3, 3, false), Err(FoldError::TooFewBars { bars: 3, folds: 3, segments: 4 }));
    }
}
