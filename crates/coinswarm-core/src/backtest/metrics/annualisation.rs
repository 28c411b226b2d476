//! From per-bar figures to annual ones: bars per year and the per-bar risk-free rate.

use super::finite;
use crate::time::DAY_MS;

/// Bars in one year: `year_days · 86 400 000 / bar_ms` (365 for daily bars and 8760 for hourly
/// bars in a 365-day year). `None` when `bar_ms` is not positive or `year_days` is not a finite
/// positive number.
pub fn periods_per_year(bar_ms: i64, year_days: f64) -> Option<f64> {
    if bar_ms <= 0 || !(year_days.is_finite() && year_days > 0.0) {
        return None;
    }
    finite(year_days * DAY_MS as f64 / bar_ms as f64)
}

/// The annual risk-free rate compounded down to one bar: `(1 + annual)^(1 / periods) − 1`, so that
/// `periods` bars at this rate compound to exactly `annual`. `None` when `annual` is not finite or
/// is -100 % or less, or when `periods` is not finite and positive.
pub fn per_bar_risk_free(annual: f64, periods: f64) -> Option<f64> {
    if !(annual.is_finite() && annual > -1.0 && periods.is_finite() && periods > 0.0) {
        return None;
    }
    // libm, not the platform's `powf`, so native and wasm32 agree to the bit.
    finite(libm::pow(1.0 + annual, 1.0 / periods) - 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{HOUR_MS, MINUTE_MS};

    #[test]
    fn daily_bars_annualise_by_365_and_hourly_bars_by_8760() {
        // 365 · 86 400 000 / 86 400 000 = 365; 365 · 86 400 000 / 3 600 000 = 365 · 24 = 8760.
        assert_eq!(periods_per_year(DAY_MS, 365.0), Some(365.0));
        assert_eq!(periods_per_year(HOUR_MS, 365.0), Some(8760.0));
        // 8760 · 60 = 525 600 one-minute bars.
        assert_eq!(periods_per_year(MINUTE_MS, 365.0), Some(525_600.0));
        // A 252-day equity year, for comparison with stock-market figures.
        assert_eq!(periods_per_year(DAY_MS, 252.0), Some(252.0));
    }

    #[test]
    fn a_bar_without_length_has_no_annualisation() {
        assert_eq!(periods_per_year(0, 365.0), None);
        assert_eq!(periods_per_year(-DAY_MS, 365.0), None);
        assert_eq!(periods_per_year(DAY_MS, 0.0), None);
        assert_eq!(periods_per_year(DAY_MS, f64::INFINITY), None);
    }

    #[test]
    fn per_bar_risk_free_compounds_back_to_the_annual_rate() {
        assert_eq!(per_bar_risk_free(0.0, 365.0), Some(0.0));
        // One bar a year: the per-bar rate is the annual rate (up to the rounding of 1.05 − 1).
        assert!((per_bar_risk_free(0.05, 1.0).unwrap() - 0.05).abs() < 1e-15);
        // Two bars a year at 21 %: 1.21^(1/2) − 1 = 1.1 − 1 = 0.1 a bar.
        let half_yearly = per_bar_risk_free(0.21, 2.0).unwrap();
        assert!((half_yearly - 0.1).abs() < 1e-15, "{half_yearly}");
        let daily = per_bar_risk_free(0.04, 365.0).unwrap();
        assert!((libm::pow(1.0 + daily, 365.0) - 1.04).abs() < 1e-12, "{daily}");
    }

    #[test]
    fn a_rate_of_minus_100_percent_has_no_per_bar_equivalent() {
        assert_eq!(per_bar_risk_free(-1.0, 365.0), None);
        assert_eq!(per_bar_risk_free(f64::NAN, 365.0), None);
        assert_eq!(per_bar_risk_free(0.04, 0.0), None);
    }
}
