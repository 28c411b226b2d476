//! The state builder: a fixed-length embedding of a product's market state at the close of
//! each bar, for pattern memory (similar states are recalled by vector similarity).
//!
//! A state is built from the bars seen so far, never a later one: every feature is a
//! streaming indicator over past closes, highs, lows and volumes, normalised against its
//! own past (below). The dimensions, in order:
//!
//! - **Core (18):** log returns over 1, 4 and 24 bars; volatility of 1-bar log returns over
//!   24 bars; RSI(14); MACD(12, 26, 9) histogram over the close; Bollinger(20, 2) %B;
//!   ATR(14) over the close; log of volume over its 24-bar mean; the bar's high−low range over
//!   its close; the spread in basis points (quoted, or when no quote is given the
//!   Corwin–Schultz estimate from the last two bars' highs and lows); hour of day and day of
//!   week of the bar's start (UTC) as sine and cosine; and the position: exposure (position value over equity, signed,
//!   within ±1), unrealised return, and bars held.
//! - **Extensions, up to the configured dimension:** taken in turn from five families with
//!   windows growing by about 1.3× — log returns over more horizons (2, 8, 12, 48, …),
//!   volatility over more windows (6, 12, 48, …), the close over its SMA (10, 20, 50, …),
//!   volume over its mean (6, 12, 48, …), and RSI over more periods (7, 21, 28, …).
//!
//! Normalisation, per dimension: market features are turned into z-scores against an
//! exponentially weighted mean and variance (half-life [`StateConfig::half_life_bars`]) of
//! their own earlier values — the current value is scored against the statistics before it
//! joins them — then clipped to ±[`StateConfig::clip`] and divided by it, so every value lies
//! in [−1, 1]. Time features are sine and cosine already; exposure is clamped to ±1,
//! unrealised return mapped by `tanh(10 r)`, bars held by `tanh(ln(1 + bars) / 5)`.
//! No dimension is padding: `StateBuilder::dimensions` names and documents each one.

use crate::indicators::{Atr, Bollinger, Macd, RealisedVolatility, Rsi, Sma};
use crate::market::{Candle, decimal_to_f64};
use crate::time::Timestamp;

/// Fewest dimensions (the core features).
pub const MIN_DIMENSIONS: usize = 18;
/// Most dimensions (beyond, the extension families' windows would outgrow the data: at 96
/// the longest return horizon is about 1,800 bars).
pub const MAX_DIMENSIONS: usize = 96;

/// How states are built.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StateConfig {
    /// Length of each state vector, [`MIN_DIMENSIONS`] to [`MAX_DIMENSIONS`]. Default 64.
    pub dimensions: usize,
    /// Half-life, in bars, of the running mean and variance each market feature is scored
    /// against. Default 500.
    pub half_life_bars: f64,
    /// Bars of a feature's history before its z-score is trusted; until then the state is
    /// not ready. Default 50.
    pub warm_up_bars: usize,
    /// z-scores are clipped to ± this, then divided by it. Default 4.
    pub clip: f64,
}

impl Default for StateConfig {
    fn default() -> Self {
        Self { dimensions: 64, half_life_bars: 500.0, warm_up_bars: 50, clip: 4.0 }
    }
}

/// Why a state builder cannot be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StateError {
    #[error("a state has {MIN_DIMENSIONS} to {MAX_DIMENSIONS} dimensions, not {0}")]
    Dimensions(usize),
    #[error("{0} must be a positive finite number")]
    NotPositive(&'static str),
}

/// A closed bar's start, prices and volume in `f64`: what a state is built from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BarValues {
    pub start: Timestamp,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
}

impl From<&Candle> for BarValues {
    fn from(candle: &Candle) -> Self {
        Self {
            start: candle.start,
            open: decimal_to_f64(candle.open),
            high: decimal_to_f64(candle.high),
            low: decimal_to_f64(candle.low),
            close: decimal_to_f64(candle.close),
            volume: decimal_to_f64(candle.volume),
        }
    }
}

/// The position part of a state.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PositionState {
    /// Position value over equity, signed (long positive).
    pub exposure: f64,
    /// Unrealised return of the open position (0.02 = +2%).
    pub unrealised_return: f64,
    /// Bars since the position was opened (0 when flat).
    pub bars_held: u32,
}

/// One dimension of the state: its name and what it measures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dimension {
    pub name: String,
    pub doc: String,
}

/// What one dimension is computed from.
#[derive(Debug, Clone)]
enum Feature {
    Return(usize),
    Volatility(RealisedVolatility),
    Rsi(Rsi),
    MacdHistogram(Macd),
    PercentB(Bollinger),
    Atr(Atr),
    VolumeRatio(Sma),
    Range,
    Spread,
    HourSin,
    HourCos,
    WeekdaySin,
    WeekdayCos,
    Exposure,
    UnrealisedReturn,
    BarsHeld,
    CloseOverSma(Sma),
}

impl Feature {
    /// Whether the value is scored against its own past (market features) or already bounded.
    fn normalised(&self) -> bool {
        !matches!(
            self,
            Feature::HourSin
                | Feature::HourCos
                | Feature::WeekdaySin
                | Feature::WeekdayCos
                | Feature::Exposure
                | Feature::UnrealisedReturn
                | Feature::BarsHeld
        )
    }

    /// The bar that brings its first value, counting from 1 (the indicators' own warm-up).
    fn first_value_bar(&self) -> usize {
        match self {
            Feature::Return(horizon) => horizon + 1,
            Feature::Volatility(v) => v.inputs_to_first_value(),
            Feature::Rsi(r) => r.inputs_to_first_value(),
            Feature::MacdHistogram(m) => m.inputs_to_first_value(),
            Feature::PercentB(b) => b.inputs_to_first_value(),
            Feature::Atr(a) => a.inputs_to_first_value(),
            Feature::VolumeRatio(mean) | Feature::CloseOverSma(mean) => mean.inputs_to_first_value(),
            // The estimate needs the bar before; a quoted spread does with one, so 2 is the most.
            Feature::Spread => 2,
            Feature::Range
            | Feature::HourSin
            | Feature::HourCos
            | Feature::WeekdaySin
            | Feature::WeekdayCos
            | Feature::Exposure
            | Feature::UnrealisedReturn
            | Feature::BarsHeld => 1,
        }
    }
}

/// Exponentially weighted mean and variance of each feature's past values, one array per
/// statistic.
#[derive(Debug, Clone)]
struct RunningScores {
    mean: [f64; MAX_DIMENSIONS],
    variance: [f64; MAX_DIMENSIONS],
    seen: [usize; MAX_DIMENSIONS],
}

impl RunningScores {
    fn new() -> Self {
        Self { mean: [0.0; MAX_DIMENSIONS], variance: [0.0; MAX_DIMENSIONS], seen: [0; MAX_DIMENSIONS] }
    }

    /// `(raws[i] − mean) / √variance` for every feature, before any joins its statistics:
    /// a plain loop over the arrays, so the square roots and divisions run two at a time.
    /// Only meaningful where [`RunningScores::score`] uses it.
    fn quotients(&self, raws: &[f64], out: &mut [f64]) {
        let n = raws.len();
        for (((q, &x), &mean), &variance) in out[..n].iter_mut().zip(raws).zip(&self.mean[..n]).zip(&self.variance[..n])
        {
            *q = (x - mean) / variance.sqrt();
        }
    }

    /// The z-score of `x` (feature `i`) against the values before it, then `x` joins them;
    /// `quotient` is its entry from [`RunningScores::quotients`].
    fn score(&mut self, i: usize, x: f64, quotient: f64, alpha: f64) -> f64 {
        let (mean, variance, seen) = (&mut self.mean[i], &mut self.variance[i], &mut self.seen[i]);
        let z = if *seen == 0 || *variance <= 0.0 { 0.0 } else { quotient };
        if *seen == 0 {
            *mean = x;
        } else {
            let delta = x - *mean;
            *mean += alpha * delta;
            *variance = (1.0 - alpha) * (*variance + alpha * delta * delta);
        }
        *seen += 1;
        z
    }

    fn seen(&self, i: usize) -> usize {
        self.seen[i]
    }
}

/// Builds a product's state at each bar close (see the module documentation).
#[derive(Debug, Clone)]
pub struct StateBuilder {
    config: StateConfig,
    features: Vec<Feature>,
    dimensions: Vec<Dimension>,
    scores: RunningScores,
    /// Logarithms of past closes, newest last, as many as the longest return horizon needs:
    /// a return over any horizon is then one subtraction.
    log_closes: std::collections::VecDeque<f64>,
    previous_close: Option<f64>,
    longest_horizon: usize,
    /// The previous bar's high, low and squared log range (for the spread estimate).
    previous_bar: Option<(f64, f64, f64)>,
    /// The last position seen and its three features (a flat position repeats bar after bar).
    position_features: (PositionState, [f64; 3]),
    alpha: f64,
    /// 1 / clip when the clip is a power of two (the default 4), so scaling each dimension
    /// is a multiplication with the same result as the division.
    inverse_clip: Option<f64>,
    /// sin and cos of each hour of the day and day of the week (computed once).
    hours: [(f64, f64); 24],
    weekdays: [(f64, f64); 7],
    /// Bars folded in (those with valid prices).
    bars: usize,
    /// Bars it takes to give the first state: the latest any feature is ready, its first
    /// value's bar plus, for a scored feature, [`StateConfig::warm_up_bars`] more.
    ready_after: usize,
}

/// Windows of the extension families: the listed ones, then each about 1.3× the last.
fn windows(start: &[usize], count: usize) -> Vec<usize> {
    let mut all: Vec<usize> = start.to_vec();
    while all.len() < count {
        let last = *all.last().unwrap_or(&2);
        all.push(((last as f64) * 1.3).round() as usize);
    }
    all.truncate(count);
    all
}

impl StateBuilder {
    pub fn new(config: StateConfig) -> Result<Self, StateError> {
        if !(MIN_DIMENSIONS..=MAX_DIMENSIONS).contains(&config.dimensions) {
            return Err(StateError::Dimensions(config.dimensions));
        }
        if !(config.half_life_bars.is_finite() && config.half_life_bars > 0.0) {
            return Err(StateError::NotPositive("half_life_bars"));
        }
        if !(config.clip.is_finite() && config.clip > 0.0) {
            return Err(StateError::NotPositive("clip"));
        }
        let mut features: Vec<(Feature, String, String)> = vec![
            (Feature::Return(1), "return_1".into(), "log return of the close over the last bar".into()),
            (Feature::Return(4), "return_4".into(), "log return of the close over 4 bars".into()),
            (Feature::Return(24), "return_24".into(), "log return of the close over 24 bars".into()),
            (
                Feature::Volatility(RealisedVolatility::new(24)),
                "volatility_24".into(),
                "standard deviation of 1-bar log returns over 24 bars".into(),
            ),
            (Feature::Rsi(Rsi::new(14)), "rsi_14".into(), "Wilder's RSI over 14 bars".into()),
            (
                Feature::MacdHistogram(Macd::new(12, 26, 9)),
                "macd_histogram".into(),
                "MACD(12, 26, 9) histogram over the close".into(),
            ),
            (
                Feature::PercentB(Bollinger::new(20, 2.0)),
                "bollinger_percent_b".into(),
                "where the close sits in its Bollinger(20, 2) bands: 0 lower, 1 upper".into(),
            ),
            (Feature::Atr(Atr::new(14)), "atr_14".into(), "ATR over 14 bars over the close".into()),
            (
                Feature::VolumeRatio(Sma::new(24)),
                "volume_ratio_24".into(),
                "log of the bar's volume over its 24-bar mean".into(),
            ),
            (Feature::Range, "range".into(), "the bar's high minus low over its close".into()),
            (
                Feature::Spread,
                "spread_bps".into(),
                "bid-ask spread in basis points: quoted, or the Corwin-Schultz estimate from two bars".into(),
            ),
            (Feature::HourSin, "hour_sin".into(), "sine of the hour of day (UTC) of the bar's start".into()),
            (Feature::HourCos, "hour_cos".into(), "cosine of the hour of day (UTC) of the bar's start".into()),
            (Feature::WeekdaySin, "weekday_sin".into(), "sine of the day of week (UTC) of the bar's start".into()),
            (Feature::WeekdayCos, "weekday_cos".into(), "cosine of the day of week (UTC) of the bar's start".into()),
            (Feature::Exposure, "exposure".into(), "position value over equity, signed, clamped to ±1".into()),
            (
                Feature::UnrealisedReturn,
                "unrealised_return".into(),
                "unrealised return of the open position, as tanh(10 r)".into(),
            ),
            (Feature::BarsHeld, "bars_held".into(), "bars since the position opened, as tanh(ln(1 + bars) / 5)".into()),
        ];
        let extra = config.dimensions - MIN_DIMENSIONS;
        let per_family = extra.div_ceil(5);
        let returns = windows(&[2, 8, 12, 48, 72, 96, 168], per_family);
        let volatility = windows(&[6, 12, 48, 96, 168], per_family);
        let sma = windows(&[10, 20, 50, 100, 200], per_family);
        let volume = windows(&[6, 12, 48, 96, 168], per_family);
        let rsi = windows(&[7, 21, 28, 42], per_family);
        for i in 0..per_family {
            if features.len() == config.dimensions {
                break;
            }
            let candidates: [(Feature, String, String); 5] = [
                (
                    Feature::Return(returns[i]),
                    format!("return_{}", returns[i]),
                    format!("log return of the close over {} bars", returns[i]),
                ),
                (
                    Feature::Volatility(RealisedVolatility::new(volatility[i])),
                    format!("volatility_{}", volatility[i]),
                    format!("standard deviation of 1-bar log returns over {} bars", volatility[i]),
                ),
                (
                    Feature::CloseOverSma(Sma::new(sma[i])),
                    format!("close_over_sma_{}", sma[i]),
                    format!("log of the close over its {}-bar SMA", sma[i]),
                ),
                (
                    Feature::VolumeRatio(Sma::new(volume[i])),
                    format!("volume_ratio_{}", volume[i]),
                    format!("log of the bar's volume over its {}-bar mean", volume[i]),
                ),
                (
                    Feature::Rsi(Rsi::new(rsi[i])),
                    format!("rsi_{}", rsi[i]),
                    format!("Wilder's RSI over {} bars", rsi[i]),
                ),
            ];
            for candidate in candidates {
                if features.len() < config.dimensions {
                    features.push(candidate);
                }
            }
        }
        let longest_horizon = features
            .iter()
            .filter_map(|(f, _, _)| if let Feature::Return(h) = f { Some(*h) } else { None })
            .max()
            .unwrap_or(1);
        let dimensions =
            features.iter().map(|(_, name, doc)| Dimension { name: name.clone(), doc: doc.clone() }).collect();
        let features: Vec<Feature> = features.into_iter().map(|(f, _, _)| f).collect();
        // A scored feature's state is ready once its z-score has seen more than
        // `warm_up_bars` earlier values: `warm_up_bars` bars after its first value.
        let ready_after = features
            .iter()
            .map(|f| f.first_value_bar() + if f.normalised() { config.warm_up_bars } else { 0 })
            .max()
            .unwrap_or(1);
        Ok(Self {
            bars: 0,
            ready_after,
            scores: RunningScores::new(),
            features,
            dimensions,
            log_closes: std::collections::VecDeque::with_capacity(longest_horizon + 1),
            previous_close: None,
            longest_horizon,
            previous_bar: None,
            position_features: (PositionState::default(), position_features(&PositionState::default())),
            hours: std::array::from_fn(|h| cycle(h as f64, 24.0)),
            weekdays: std::array::from_fn(|d| cycle(d as f64, 7.0)),
            alpha: 1.0 - libm::exp(-std::f64::consts::LN_2 / config.half_life_bars),
            // A power of two's inverse is exact: dividing by it is multiplying by its inverse.
            inverse_clip: (libm::frexp(config.clip).0 == 0.5).then(|| 1.0 / config.clip),
            config,
        })
    }

    /// Every dimension's name and meaning, in vector order.
    pub fn dimensions(&self) -> &[Dimension] {
        &self.dimensions
    }

    /// Bars still to fold in before [`StateBuilder::update`] returns a state: 0 once it does
    /// (and ever after). A bar with a non-positive price is skipped and does not count. With
    /// the default settings the first state comes with bar 621 (the 571-bar SMA's first
    /// value, then 50 bars of warm-up).
    pub fn bars_until_ready(&self) -> usize {
        self.ready_after.saturating_sub(self.bars)
    }

    /// Folds in a closed bar (with the quoted spread at its close, if known, and the
    /// position then); returns the state once every feature has enough history.
    pub fn update(&mut self, candle: &Candle, spread_bps: Option<f64>, position: &PositionState) -> Option<Vec<f32>> {
        self.update_bar(&BarValues::from(candle), spread_bps, position, 0)
    }

    /// The same from the bar's values already in `f64`, the returned vector with room for
    /// `extra` more values (the learned agent's returns follow the state in one allocation).
    pub fn update_bar(
        &mut self,
        bar: &BarValues,
        spread_bps: Option<f64>,
        position: &PositionState,
        extra: usize,
    ) -> Option<Vec<f32>> {
        let BarValues { start, open, high, low, close, volume } = *bar;
        if !(close > 0.0 && high >= low && low > 0.0 && open > 0.0 && volume >= 0.0) {
            return None;
        }
        self.bars = self.bars.saturating_add(1);
        if self.log_closes.len() == self.longest_horizon + 1 {
            self.log_closes.pop_front();
        }
        self.log_closes.push_back(libm::log(close));
        // The one-bar log return every volatility window folds in, taken once.
        let one_bar_return = self.previous_close.replace(close).map(|previous| libm::log(close / previous));
        // The bar's start in UTC: hour of the day, and day of the week from Monday (1 January
        // 1970 was a Thursday).
        let ms = start.millis();
        let hour = ms.div_euclid(3_600_000).rem_euclid(24) as usize;
        let weekday = (ms.div_euclid(86_400_000) + 3).rem_euclid(7) as usize;
        let ((hour_sin, hour_cos), (weekday_sin, weekday_cos)) = (self.hours[hour], self.weekdays[weekday]);
        let range_squared = squared_log_range(high, low);
        let estimated_spread = self
            .previous_bar
            .map(|(h, l, previous_range)| corwin_schultz(h, l, previous_range, high, low, range_squared));
        self.previous_bar = Some((high, low, range_squared));
        if self.position_features.0 != *position {
            self.position_features = (*position, position_features(position));
        }
        let [exposure, unrealised_return, bars_held] = self.position_features.1;
        let alpha = self.alpha;
        let clip = self.config.clip;
        let warm_up = self.config.warm_up_bars;
        // First every feature's raw value (NaN when it has none yet), then the scoring in a
        // tight loop of its own, where the square roots and divisions of independent
        // features overlap.
        let mut raws = [f64::NAN; MAX_DIMENSIONS];
        for (slot, feature) in raws.iter_mut().zip(self.features.iter_mut()) {
            let raw: Option<f64> = match feature {
                Feature::Return(h) => {
                    let n = self.log_closes.len();
                    (n > *h).then(|| self.log_closes[n - 1] - self.log_closes[n - 1 - *h])
                }
                Feature::Volatility(v) => match one_bar_return {
                    Some(r) => v.update_with_log_return(r),
                    None => v.value(),
                },
                Feature::Rsi(r) => r.update(close),
                Feature::MacdHistogram(m) => m.update(close).map(|v| v.histogram / close),
                Feature::PercentB(b) => b.update(close).map(|bands| {
                    let width = bands.upper - bands.lower;
                    if width > 0.0 { (close - bands.lower) / width } else { 0.5 }
                }),
                Feature::Atr(a) => a.update(high, low, close).map(|atr| atr / close),
                Feature::VolumeRatio(mean) => mean.update(volume).map(|m| libm::log((volume + 1e-12) / (m + 1e-12))),
                Feature::Range => Some((high - low) / close),
                Feature::Spread => spread_bps.filter(|s| s.is_finite()).or(estimated_spread),
                Feature::HourSin => Some(hour_sin),
                Feature::HourCos => Some(hour_cos),
                Feature::WeekdaySin => Some(weekday_sin),
                Feature::WeekdayCos => Some(weekday_cos),
                Feature::Exposure => Some(exposure),
                Feature::UnrealisedReturn => Some(unrealised_return),
                Feature::BarsHeld => Some(bars_held),
                Feature::CloseOverSma(s) => s.update(close).map(|m| libm::log(close / m)),
            };
            *slot = raw.unwrap_or(f64::NAN);
        }
        let dimensions = self.features.len();
        let mut quotients = [0.0; MAX_DIMENSIONS];
        self.scores.quotients(&raws[..dimensions], &mut quotients);
        let mut state = Vec::with_capacity(dimensions + extra);
        let mut ready = true;
        for (i, feature) in self.features.iter().enumerate() {
            let x = raws[i];
            if !x.is_finite() {
                ready = false;
            } else if feature.normalised() {
                let z = self.scores.score(i, x, quotients[i], alpha);
                ready &= self.scores.seen(i) > warm_up;
                let clipped = z.clamp(-clip, clip);
                let unit = match self.inverse_clip {
                    Some(inverse) => clipped * inverse,
                    None => clipped / clip,
                };
                state.push(unit as f32);
            } else {
                state.push(x as f32);
            }
        }
        ready.then_some(state)
    }
}

/// sin and cos of `at` on a cycle of `period`.
fn cycle(at: f64, period: f64) -> (f64, f64) {
    (libm::sin(std::f64::consts::TAU * at / period), libm::cos(std::f64::consts::TAU * at / period))
}

/// The position's features: exposure clamped to ±1, unrealised return as tanh(10 r), bars
/// held as tanh(ln(1 + bars) / 5).
fn position_features(position: &PositionState) -> [f64; 3] {
    [
        position.exposure.clamp(-1.0, 1.0),
        libm::tanh(10.0 * position.unrealised_return),
        libm::tanh(libm::log(1.0 + f64::from(position.bars_held)) / 5.0),
    ]
}

/// ln(high / low)², a bar's part of the Corwin–Schultz β.
fn squared_log_range(high: f64, low: f64) -> f64 {
    libm::log(high / low).powi(2)
}

/// Corwin and Schultz's (2012) bid-ask spread estimate from two consecutive bars' highs and
/// lows, in basis points (0 when the estimate comes out negative, as they advise).
#[cfg(test)]
fn corwin_schultz_bps(high_1: f64, low_1: f64, high_2: f64, low_2: f64) -> f64 {
    corwin_schultz(high_1, low_1, squared_log_range(high_1, low_1), high_2, low_2, squared_log_range(high_2, low_2))
}

/// [`corwin_schultz_bps`] with each bar's squared log range already known (each bar's is
/// taken once and used again as the next bar's previous one).
fn corwin_schultz(high_1: f64, low_1: f64, range_1: f64, high_2: f64, low_2: f64, range_2: f64) -> f64 {
    let beta = range_1 + range_2;
    let gamma = libm::log(high_1.max(high_2) / low_1.min(low_2)).powi(2);
    let denominator = 3.0 - 2.0 * std::f64::consts::SQRT_2;
    let alpha = ((2.0 * beta).sqrt() - beta.sqrt()) / denominator - (gamma / denominator).sqrt();
    let e = libm::exp(alpha);
    let spread = 2.0 * (e - 1.0) / (1.0 + e);
    (spread * 10_000.0).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{RegimeKind, SyntheticConfig, generate};

    fn candles(bars: usize) -> Vec<Candle> {
        generate(&SyntheticConfig::new(RegimeKind::HighVolatility).with_bars(bars)).unwrap().candles
    }

    fn states(builder: &mut StateBuilder, candles: &[Candle]) -> Vec<Option<Vec<f32>>> {
        candles
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let position = PositionState {
                    exposure: if i % 50 < 25 { 0.5 } else { 0.0 },
                    unrealised_return: (i % 50) as f64 * 0.001,
                    bars_held: (i % 50) as u32,
                };
                builder.update(c, None, &position)
            })
            .collect()
    }

    #[test]
    fn every_dimension_is_named_documented_bounded_and_informative() {
        let series = candles(8_000);
        for dimensions in [MIN_DIMENSIONS, 64, MAX_DIMENSIONS] {
            let mut builder = StateBuilder::new(StateConfig { dimensions, ..StateConfig::default() }).unwrap();
            let names: std::collections::BTreeSet<&str> =
                builder.dimensions().iter().map(|d| d.name.as_str()).collect();
            assert_eq!(names.len(), dimensions, "names are unique");
            assert!(builder.dimensions().iter().all(|d| d.doc.len() > 10));
            let ready: Vec<Vec<f32>> = states(&mut builder, &series).into_iter().flatten().collect();
            assert!(ready.len() > 1_000, "{dimensions}: {} ready states", ready.len());
            for (d, dimension) in builder.dimensions().iter().enumerate() {
                let values: Vec<f32> = ready.iter().map(|s| s[d]).collect();
                assert!(values.iter().all(|v| (-1.0..=1.0).contains(v)), "{} leaves [-1, 1]", dimension.name);
                let mean = values.iter().sum::<f32>() / values.len() as f32;
                let spread = values.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / values.len() as f32;
                assert!(spread > 1e-6, "{} carries no information (variance {spread})", dimension.name);
            }
        }
    }

    #[test]
    fn a_state_depends_only_on_bars_up_to_its_own() {
        let series = candles(1_500);
        let mut full = StateBuilder::new(StateConfig::default()).unwrap();
        let all = states(&mut full, &series);
        for cut in [700, 1_000, 1_499] {
            let mut prefix = StateBuilder::new(StateConfig::default()).unwrap();
            let partial = states(&mut prefix, &series[..=cut]);
            assert_eq!(partial[cut], all[cut], "the state at bar {cut} changed when later bars existed");
            assert!(all[cut].is_some());
        }
        // Changing a later bar changes nothing before it.
        let mut altered = series.clone();
        altered[1_200].close *= rust_decimal::Decimal::TWO;
        altered[1_200].high *= rust_decimal::Decimal::TWO;
        let mut other = StateBuilder::new(StateConfig::default()).unwrap();
        let changed = states(&mut other, &altered);
        assert_eq!(changed[..1_200], all[..1_200]);
        assert_ne!(changed[1_200], all[1_200]);
    }

    #[test]
    fn bars_until_ready_counts_down_to_the_first_state_exactly() {
        // The widest state's longest window is about 3,600 bars.
        let series = candles(4_000);
        for (dimensions, warm_up_bars) in [(MIN_DIMENSIONS, 50), (64, 50), (64, 0), (MAX_DIMENSIONS, 50), (40, 7)] {
            let config = StateConfig { dimensions, warm_up_bars, ..StateConfig::default() };
            let mut builder = StateBuilder::new(config).unwrap();
            let needed = builder.bars_until_ready();
            assert!(needed > warm_up_bars, "{dimensions}/{warm_up_bars}: {needed}");
            for (i, candle) in series.iter().enumerate() {
                let before = builder.bars_until_ready();
                let state = builder.update(candle, None, &PositionState::default());
                let after = builder.bars_until_ready();
                assert_eq!(after, before.saturating_sub(1), "{dimensions}/{warm_up_bars} at bar {i}");
                assert_eq!(state.is_some(), after == 0, "{dimensions}/{warm_up_bars} at bar {i}: {after} to go");
            }
            assert_eq!(builder.bars_until_ready(), 0, "{dimensions}/{warm_up_bars}: never ready in {needed}");
        }
        assert_eq!(StateBuilder::new(StateConfig::default()).unwrap().bars_until_ready(), 621);
    }

    #[test]
    fn a_skipped_bar_does_not_bring_the_first_state_closer() {
        let series = candles(3);
        let mut builder = StateBuilder::new(StateConfig::default()).unwrap();
        builder.update(&series[0], Some(2.0), &PositionState::default());
        let needed = builder.bars_until_ready();
        let mut bad = series[1];
        bad.low = rust_decimal::Decimal::ZERO;
        assert_eq!(builder.update(&bad, None, &PositionState::default()), None);
        assert_eq!(builder.bars_until_ready(), needed);
        builder.update(&series[2], Some(2.0), &PositionState::default());
        assert_eq!(builder.bars_until_ready(), needed - 1);
    }

    #[test]
    fn bad_settings_are_refused() {
        let bad = |config: StateConfig| StateBuilder::new(config).unwrap_err();
        assert_eq!(bad(StateConfig { dimensions: 17, ..StateConfig::default() }), StateError::Dimensions(17));
        assert_eq!(bad(StateConfig { dimensions: 97, ..StateConfig::default() }), StateError::Dimensions(97));
        assert_eq!(
            bad(StateConfig { half_life_bars: 0.0, ..StateConfig::default() }),
            StateError::NotPositive("half_life_bars")
        );
        assert_eq!(bad(StateConfig { clip: f64::NAN, ..StateConfig::default() }), StateError::NotPositive("clip"));
    }

    #[test]
    fn the_spread_estimate_reads_bounce_within_overlapping_bars_and_none_in_a_trend() {
        // Two identical bars: all of the range is bid-ask bounce, so the estimate is ~ln(H/L).
        let bounce = corwin_schultz_bps(101.0, 100.0, 101.0, 100.0);
        assert!((bounce - libm::log(1.01) * 10_000.0).abs() < 1.0, "{bounce}");
        // Bars that do not overlap (a trend): the two-bar range is movement, not spread.
        assert_eq!(corwin_schultz_bps(101.0, 100.0, 103.0, 102.0), 0.0);
    }
}
