//! A generated market: the candles of one regime and what the generator knows about them.

use super::config::{Regime, RegimeKind, SyntheticConfig};
use super::error::SyntheticError;
use super::range_bound::Band;
use super::{high_volatility, mean_reverting, range_bound, trending};
use crate::market::{Candle, Granularity, ProductId};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What a regime's generator reports beside the candles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RegimeMetadata {
    /// Bar indices (0-based, into `candles`) where the uptrend starts and where the 50-bar
    /// average of closes crosses above the 200-bar one (see [`super::golden_cross_bar`]).
    Trending {
        trend_start_bar: usize,
        golden_cross_bar: usize,
    },
    /// The level, in quote currency, that prices revert to.
    MeanReverting {
        level: Decimal,
    },
    HighVolatility,
    /// The band every price stays in.
    RangeBound(Band),
}

/// A synthetic candle series and the regime that produced it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyntheticMarket {
    pub regime: RegimeKind,
    pub product_id: ProductId,
    pub granularity: Granularity,
    pub seed: u64,
    /// Oldest first, one per granularity step from the config's start time.
    pub candles: Vec<Candle>,
    pub metadata: RegimeMetadata,
}

/// Generates the series `config` describes. The same config (seed included) always gives
/// the same candles; bad settings give a [`SyntheticError`] naming the setting.
pub fn generate(config: &SyntheticConfig) -> Result<SyntheticMarket, SyntheticError> {
    config.validate()?;
    let (candles, metadata) = match &config.regime {
        Regime::Trending(trend) => {
            let (candles, cross) = trending::generate(config, trend)?;
            (candles, RegimeMetadata::Trending { trend_start_bar: trend.lead_in_bars, golden_cross_bar: cross })
        }
        Regime::MeanReverting(reverting) => {
            let (candles, level) = mean_reverting::generate(config, reverting)?;
            (candles, RegimeMetadata::MeanReverting { level })
        }
        Regime::HighVolatility(volatile) => {
            (high_volatility::generate(config, volatile)?, RegimeMetadata::HighVolatility)
        }
        Regime::RangeBound(range) => {
            let (candles, band) = range_bound::generate(config, range)?;
            (candles, RegimeMetadata::RangeBound(band))
        }
    };
    Ok(SyntheticMarket {
        regime: config.regime.kind(),
        product_id: config.product.product_id,
        granularity: config.granularity,
        seed: config.seed,
        candles,
        metadata,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::MAX_PRICE;
    use crate::synthetic::{MAX_BARS, TrendingConfig};
    use crate::time::Timestamp;

    fn is_multiple(value: Decimal, increment: Decimal) -> bool {
        (value % increment).is_zero()
    }

    #[test]
    fn the_same_seed_gives_identical_candles_and_another_seed_different_ones() {
        for kind in RegimeKind::ALL {
            let config = SyntheticConfig::new(kind);
            let first = generate(&config).unwrap();
            assert_eq!(first, generate(&config).unwrap(), "{kind}");
            assert_eq!(
                serde_json::to_string(&first).unwrap(),
                serde_json::to_string(&generate(&config).unwrap()).unwrap(),
                "{kind}: byte-identical once serialised"
            );
            assert_ne!(first.candles, generate(&config.clone().with_seed(43)).unwrap().candles, "{kind}");
            assert_eq!(first.regime, kind);
        }
    }

    #[test]
    fn every_candle_of_every_regime_is_consistent_on_the_grid_and_on_time() {
        for kind in RegimeKind::ALL {
            let config = SyntheticConfig::new(kind).with_seed(7);
            let market = generate(&config).unwrap();
            assert_eq!(market.candles.len(), config.bars);
            for (i, c) in market.candles.iter().enumerate() {
                assert!(c.is_consistent() && c.low > Decimal::ZERO, "{kind} bar {i}: {c:?}");
                assert!(c.volume > Decimal::ZERO, "{kind} bar {i}: volume {}", c.volume);
                for price in [c.open, c.high, c.low, c.close] {
                    assert!(is_multiple(price, config.product.quote_increment), "{kind} bar {i}: {price}");
                }
                assert!(is_multiple(c.volume, config.product.base_increment), "{kind} bar {i}: {}", c.volume);
                assert_eq!(c.start, config.start_time.plus_millis(i as i64 * config.granularity.millis()));
                if i > 0 {
                    assert_eq!(c.open, market.candles[i - 1].close, "{kind} bar {i} opens at the last close");
                }
            }
            assert_eq!(market.candles[0].open, config.start_price);
            // Sub-paths give bars a body-exceeding range: most bars have a wick.
            let wicked = market.candles.iter().filter(|c| c.high > c.open.max(c.close) || c.low < c.open.min(c.close));
            assert!(wicked.count() * 2 > market.candles.len(), "{kind}: too few bars with wicks");
        }
    }

    #[test]
    fn bad_settings_are_refused_with_a_message_naming_them() {
        let base = SyntheticConfig::new(RegimeKind::HighVolatility);
        let err = generate(&base.clone().with_bars(0)).unwrap_err();
        assert_eq!(err, SyntheticError::BarsOutOfRange(0));
        assert_eq!(err.to_string(), "bars must be between 1 and 1000000, got 0");

        for price in [Decimal::ZERO, Decimal::NEGATIVE_ONE] {
            let config = SyntheticConfig { start_price: price, ..base.clone() };
            let err = generate(&config).unwrap_err();
            assert_eq!(err.to_string(), format!("start price must be positive, got {price}"));
        }

        let config = SyntheticConfig { steps_per_bar: 0, ..base.clone() };
        assert!(generate(&config).unwrap_err().to_string().contains("steps per bar"));

        let config = SyntheticConfig {
            regime: Regime::HighVolatility(super::high_volatility::HighVolatilityConfig {
                volatility_bps: -1.0,
                drift_bps: 0.0,
            }),
            ..base.clone()
        };
        assert_eq!(
            generate(&config).unwrap_err().to_string(),
            "invalid volatility (bps) = -1: expected a finite number ≥ 0"
        );

        let mut config = base.clone();
        config.product.quote_increment = Decimal::ZERO;
        assert!(matches!(generate(&config), Err(SyntheticError::NonPositiveIncrement { name: "quote increment", .. })));

        let config = SyntheticConfig { mean_volume: Decimal::ZERO, ..base.clone() };
        assert_eq!(generate(&config).unwrap_err().to_string(), "mean volume must be positive, got 0");
    }

    #[test]
    fn extreme_settings_are_typed_errors_not_panics() {
        let base = SyntheticConfig::new(RegimeKind::HighVolatility).with_bars(10);
        let refused = |config: SyntheticConfig| generate(&config).unwrap_err();

        let huge = Decimal::from_scientific("1e27").unwrap();
        let err = refused(SyntheticConfig { start_price: huge, ..base.clone() });
        assert_eq!(err, SyntheticError::PriceAboveMax { name: "start price", value: huge });
        assert_eq!(
            err.to_string(),
            format!("start price must be at most 1000000000000 (the exchange's price limit), got {huge}")
        );
        let err =
            refused(SyntheticConfig { start_price: Decimal::MAX, ..SyntheticConfig::new(RegimeKind::RangeBound) });
        assert!(matches!(err, SyntheticError::PriceAboveMax { name: "start price", .. }));
        // A band around the largest start price reaches past it.
        let err = refused(SyntheticConfig { start_price: MAX_PRICE, ..SyntheticConfig::new(RegimeKind::RangeBound) });
        assert!(matches!(err, SyntheticError::PriceAboveMax { name: "band upper edge", .. }));

        let mut config = base.clone();
        config.product.quote_increment = Decimal::from_scientific("1e-28").unwrap();
        assert!(matches!(refused(config), SyntheticError::IncrementTooFine { .. }));
        let volume = Decimal::from_scientific("1e22").unwrap();
        let err = refused(SyntheticConfig { mean_volume: volume, ..base.clone() });
        assert!(
            matches!(err, SyntheticError::IncrementTooFine { increment, .. } if increment == base.product.base_increment)
        );

        assert_eq!(refused(base.clone().with_bars(usize::MAX)), SyntheticError::BarsOutOfRange(usize::MAX));
        assert_eq!(refused(base.clone().with_bars(MAX_BARS + 1)), SyntheticError::BarsOutOfRange(MAX_BARS + 1));
        let err = refused(SyntheticConfig { steps_per_bar: usize::MAX, ..base.clone() });
        assert!(err.to_string().contains("steps per bar"), "{err}");

        let trending = Regime::Trending(TrendingConfig { lead_in_bars: usize::MAX, ..TrendingConfig::default() });
        let err = refused(SyntheticConfig { regime: trending, ..SyntheticConfig::new(RegimeKind::Trending) });
        assert!(err.to_string().starts_with("invalid lead-in bars = 18446744073709551615"), "{err}");
    }

    #[test]
    fn a_series_ending_after_the_last_representable_time_is_refused() {
        let hour = Granularity::OneHour.millis();
        let base = SyntheticConfig::new(RegimeKind::MeanReverting).with_bars(10);
        let start = Timestamp(i64::MAX - 10 * hour + 1);
        let err = generate(&SyntheticConfig { start_time: start, ..base.clone() }).unwrap_err();
        assert_eq!(err, SyntheticError::TimeOutOfRange { start, bars: 10, bar_ms: hour });
        // One millisecond earlier the last bar ends exactly at i64::MAX, and every start is distinct.
        let market = generate(&SyntheticConfig { start_time: Timestamp(i64::MAX - 10 * hour), ..base }).unwrap();
        assert_eq!(market.candles[9].start, Timestamp(i64::MAX - hour));
    }

    #[test]
    fn a_runaway_price_is_an_error_not_a_panic() {
        let config = SyntheticConfig {
            regime: Regime::HighVolatility(super::high_volatility::HighVolatilityConfig {
                volatility_bps: 0.0,
                drift_bps: 100_000.0,
            }),
            ..SyntheticConfig::new(RegimeKind::HighVolatility)
        };
        assert!(matches!(generate(&config), Err(SyntheticError::PriceOutOfRange { .. })));
    }
}
