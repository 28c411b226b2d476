//! Annualised volatility: how much the per-bar returns vary.

use super::finite;
use super::return_moments::ReturnMoments;

/// Sample standard deviation (divisor `n − 1`) of `values`. `None` for fewer than two values;
/// exactly `0.0` when every value is the same (so rounding in the mean cannot fake a tiny
/// non-zero spread).
pub fn sample_std_dev(values: &[f64]) -> Option<f64> {
    ReturnMoments::of(values, 0.0).sample_std_dev()
}

/// Sample standard deviation of the per-bar returns times `√periods_per_year`. `None` for fewer
/// than two returns (a curve of one or two points); `0.0` when every return is the same.
pub fn annualised_volatility(returns: &[f64], periods_per_year: f64) -> Option<f64> {
    finite(sample_std_dev(returns)? * periods_per_year.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference returns +0.25, −0.2, +0.25, +0.2: mean 0.5 / 4 = 0.125; deviations 0.125, −0.325,
    // 0.125, 0.075; squares 0.015625 + 0.105625 + 0.015625 + 0.005625 = 0.1425;
    // sample variance 0.1425 / 3 = 0.0475.
    const REFERENCE: [f64; 4] = [0.25, -0.2, 0.25, 0.2];

    #[test]
    fn sample_std_dev_of_the_reference_returns_is_root_0_0475() {
        let std = sample_std_dev(&REFERENCE).unwrap();
        assert!((std - 0.0475f64.sqrt()).abs() < 1e-12, "{std}");
    }

    #[test]
    fn daily_volatility_annualises_by_root_365_and_hourly_by_root_8760() {
        let daily = annualised_volatility(&REFERENCE, 365.0).unwrap();
        assert!((daily - (0.0475f64 * 365.0).sqrt()).abs() < 1e-12, "{daily}");
        let hourly = annualised_volatility(&REFERENCE, 8760.0).unwrap();
        assert!((hourly - (0.0475f64 * 8760.0).sqrt()).abs() < 1e-12, "{hourly}");
    }

    #[test]
    fn fewer_than_two_returns_have_no_volatility_and_constant_returns_have_zero() {
        assert_eq!(annualised_volatility(&[], 365.0), None);
        assert_eq!(annualised_volatility(&[0.1], 365.0), None);
        assert_eq!(annualised_volatility(&[0.1, 0.1, 0.1], 365.0), Some(0.0));
    }
}
