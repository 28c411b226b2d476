//! The spread of one metric over many runs: min, quartiles, median, max and mean.

use serde::Serialize;

/// Five-number summary and mean of a sample. Quartiles interpolate linearly between order
/// statistics (the `(n − 1)·p` rule, as NumPy's default and Excel's `QUARTILE.INC`), so the
/// median of an even sample is the mean of its two middle values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Distribution {
    /// Values summarised (undefined values are left out before, and counted by the caller).
    pub count: usize,
    pub min: f64,
    /// 25th percentile.
    pub q1: f64,
    pub median: f64,
    /// 75th percentile.
    pub q3: f64,
    pub max: f64,
    pub mean: f64,
}

impl Distribution {
    /// The summary of the finite values; `None` when there are none.
    pub fn of(values: impl IntoIterator<Item = f64>) -> Option<Self> {
        let mut sorted: Vec<f64> = values.into_iter().filter(|v| v.is_finite()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        let mean = sorted.iter().sum::<f64>() / sorted.len() as f64;
        Some(Self {
            count: sorted.len(),
            min: sorted[0],
            q1: quantile(&sorted, 0.25),
            median: quantile(&sorted, 0.5),
            q3: quantile(&sorted, 0.75),
            max: sorted[sorted.len() - 1],
            mean,
        })
    }
}

/// The `p` quantile of a non-empty ascending sample, interpolating at rank `(n − 1)·p`.
fn quantile(sorted: &[f64], p: f64) -> f64 {
    let rank = (sorted.len() - 1) as f64 * p;
    let below = rank.floor() as usize;
    let above = rank.ceil() as usize;
    sorted[below] + (sorted[above] - sorted[below]) * (rank - below as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quartiles_interpolate_between_order_statistics() {
        // Sorted 1, 2, 3, 4, 10: ranks 1, 2, 3 for q1, median, q3.
        let d = Distribution::of([10.0, 3.0, 1.0, 4.0, 2.0]).unwrap();
        assert_eq!((d.count, d.min, d.q1, d.median, d.q3, d.max, d.mean), (5, 1.0, 2.0, 3.0, 4.0, 10.0, 4.0));
        // 1, 2, 3, 4: ranks 0.75, 1.5, 2.25.
        let d = Distribution::of([4.0, 1.0, 3.0, 2.0]).unwrap();
        assert_eq!((d.q1, d.median, d.q3), (1.75, 2.5, 3.25));
    }

    #[test]
    fn non_finite_values_are_left_out_and_an_empty_sample_has_no_summary() {
        let d = Distribution::of([f64::NAN, 2.0, f64::INFINITY]).unwrap();
        assert_eq!((d.count, d.min, d.median, d.max), (1, 2.0, 2.0, 2.0));
        assert_eq!(Distribution::of([]), None);
    }
}
