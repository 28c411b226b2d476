//! What a walk-forward search tries: named parameter grids, searched whole or by a seeded
//! random sample, and the objective that ranks the results.

use super::RunSummary;
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// One point of the search: a value per parameter name (e.g. `fast = 10`, `slow = 30`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Parameters(pub BTreeMap<String, f64>);

impl Parameters {
    pub fn get(&self, name: &str) -> Option<f64> {
        self.0.get(name).copied()
    }
}

impl fmt::Display for Parameters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pairs: Vec<String> = self.0.iter().map(|(name, value)| format!("{name}={value}")).collect();
        f.write_str(&pairs.join(" "))
    }
}

/// Every value to try for each named parameter.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SearchSpace {
    pub axes: Vec<(String, Vec<f64>)>,
}

impl SearchSpace {
    /// Every combination, the first axis varying slowest.
    pub fn grid(&self) -> Vec<Parameters> {
        self.axes.iter().fold(vec![Parameters::default()], |points, (name, values)| {
            points
                .iter()
                .flat_map(|point| {
                    values.iter().map(move |value| {
                        let mut next = point.clone();
                        next.0.insert(name.clone(), *value);
                        next
                    })
                })
                .collect()
        })
    }
}

/// How the candidates are picked from the space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Search {
    /// Every grid point.
    Grid,
    /// `samples` distinct grid points drawn without replacement from a ChaCha8 stream seeded
    /// with `seed` (the whole grid when it has no more points than that), in grid order.
    Random { samples: usize, seed: u64 },
}

impl Search {
    pub fn candidates(self, space: &SearchSpace) -> Vec<Parameters> {
        let grid = space.grid();
        let Search::Random { samples, seed } = self else { return grid };
        if samples >= grid.len() {
            return grid;
        }
        // A partial Fisher–Yates shuffle of the indices, then back into grid order.
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut indices: Vec<usize> = (0..grid.len()).collect();
        for i in 0..samples {
            let j = i + (rng.next_u64() % (grid.len() - i) as u64) as usize;
            indices.swap(i, j);
        }
        let mut picked = indices[..samples].to_vec();
        picked.sort_unstable();
        picked.into_iter().map(|i| grid[i].clone()).collect()
    }
}

/// What the search maximises on each train segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Objective {
    /// Annualised Sharpe ratio.
    #[default]
    Sharpe,
    /// Total return, as a fraction.
    TotalReturn,
}

impl Objective {
    /// The run's score; `None` when its metric is undefined (such a run is never chosen).
    pub fn score(self, run: &RunSummary) -> Option<f64> {
        match self {
            Objective::Sharpe => run.sharpe,
            Objective::TotalReturn => run.total_return,
        }
        .filter(|v| v.is_finite())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn space() -> SearchSpace {
        SearchSpace { axes: vec![("fast".into(), vec![5.0, 10.0]), ("slow".into(), vec![30.0, 50.0, 100.0])] }
    }

    #[test]
    fn the_grid_holds_every_combination_first_axis_slowest() {
        let grid = space().grid();
        let shown: Vec<String> = grid.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "fast=5 slow=30",
                "fast=5 slow=50",
                "fast=5 slow=100",
                "fast=10 slow=30",
                "fast=10 slow=50",
                "fast=10 slow=100"
            ]
        );
    }

    #[test]
    fn a_random_search_picks_distinct_grid_points_the_same_for_the_same_seed() {
        let pick = |seed| Search::Random { samples: 3, seed }.candidates(&space());
        let picked = pick(9);
        assert_eq!(picked.len(), 3);
        assert_eq!(picked, pick(9));
        let grid = space().grid();
        let positions: Vec<usize> = picked.iter().map(|p| grid.iter().position(|g| g == p).unwrap()).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "distinct, in grid order: {positions:?}");
        assert_eq!(Search::Random { samples: 10, seed: 0 }.candidates(&space()), grid);
    }
}
