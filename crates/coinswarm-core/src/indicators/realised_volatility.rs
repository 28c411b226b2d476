//! Realised volatility of log returns.

use super::effective_period;
use super::rolling_moments::RollingMoments;

/// Realised volatility: the population standard deviation of the last `period` log returns
/// `ln(pₜ / pₜ₋₁)`, per bar — not annualised (multiply by √(bars per year) for that, e.g.
/// √8760 for hourly bars).
///
/// The first value comes with price `period + 1`. Non-finite and non-positive prices (which
/// have no logarithm) are ignored.
#[derive(Debug, Clone)]
pub struct RealisedVolatility {
    previous_price: Option<f64>,
    returns: RollingMoments,
    value: Option<f64>,
}

impl RealisedVolatility {
    /// Volatility over `period` log returns (0 is treated as 1, which is always 0).
    pub fn new(period: usize) -> Self {
        Self { previous_price: None, returns: RollingMoments::new(effective_period(period)), value: None }
    }

    pub fn update(&mut self, price: f64) -> Option<f64> {
        if !(price.is_finite() && price > 0.0) {
            return self.value;
        }
        let Some(previous) = self.previous_price.replace(price) else {
            return self.value;
        };
        // libm, not f64::ln, so native and wasm32 agree to the bit.
        self.update_with_log_return(libm::log(price / previous))
    }

    /// Folds in the latest log return `ln(pₜ / pₜ₋₁)` when the caller already has it (several
    /// windows over the same prices then take one logarithm between them). A non-finite
    /// return is ignored.
    pub fn update_with_log_return(&mut self, log_return: f64) -> Option<f64> {
        if !log_return.is_finite() {
            return self.value;
        }
        self.returns.push(log_return);
        if self.returns.is_full() {
            self.value = Some(self.returns.std_dev());
        }
        self.value
    }

    /// Inputs it takes to give its first value (the first value comes with this price: one more than
    /// its period, the first price having no return).
    pub fn inputs_to_first_value(&self) -> usize {
        self.returns.capacity() + 1
    }

    pub fn value(&self) -> Option<f64> {
        self.value
    }

    pub fn reset(&mut self) {
        self.previous_price = None;
        self.returns.clear();
        self.value = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_deviation_of_log_returns() {
        let mut vol = RealisedVolatility::new(2);
        let e = std::f64::consts::E;
        // Log returns +1, −1: mean 0, population σ = 1.
        let out: Vec<_> = [1.0, e, 1.0].into_iter().map(|p| vol.update(p)).collect();
        assert_eq!(out[..2], [None, None]);
        assert!((out[2].unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn constant_growth_has_zero_volatility_and_bad_prices_are_ignored() {
        let mut vol = RealisedVolatility::new(3);
        for p in [100.0, 0.0, 200.0, -5.0, f64::NAN, 400.0, 800.0] {
            vol.update(p);
        }
        assert_eq!(vol.value(), Some(0.0));
        vol.reset();
        assert_eq!(vol.value(), None);
    }
}
