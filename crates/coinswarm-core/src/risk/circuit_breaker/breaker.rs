//! The circuit breaker's state machine.

use super::config::CircuitBreakerConfig;
use super::history::{Transition, TransitionCause};
use super::state::BreakerState;
use super::trip::TripReason;
use crate::market::ProductId;
use crate::risk::trailing_extreme::{Extreme, TrailingExtreme};
use crate::time::Timestamp;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use std::collections::VecDeque;

/// Stops trading on violent moves. Fed with [`CircuitBreaker::observe_equity`],
/// [`CircuitBreaker::observe_price`] and [`CircuitBreaker::record_trade_result`], in
/// non-decreasing time order; each returns the [`TripReason`] when that event tripped it.
///
/// Rules:
/// - CLOSED trips to OPEN when a condition is met (see [`CircuitBreakerConfig`]). A trip
///   consumes its evidence: the equity and price windows and the losing streak restart
///   empty, so a reset does not re-trip on the same moves.
/// - OPEN blocks. Conditions met while OPEN are not new trips, and the cool-down runs from
///   the first trip. When it ends the breaker is HALF_OPEN (the transition is dated at the
///   cool-down's exact end, however late the next event arrives).
/// - HALF_OPEN blocks until [`CircuitBreaker::reset`] unless `auto_close` is on; then it
///   trades as a probe: a winning trade (pnl > 0) closes, a losing one re-opens, a
///   break-even one leaves it HALF_OPEN. In either mode a condition met while HALF_OPEN
///   re-opens it with a fresh cool-down.
/// - An operator reset closes the breaker from OPEN or HALF_OPEN.
#[derive(Debug, Clone)]
pub struct CircuitBreaker {
    config: CircuitBreakerConfig,
    /// The state as of the last event; an OPEN whose cool-down has since ended reads HALF_OPEN.
    state: BreakerState,
    /// When the breaker last tripped (meaningful while OPEN).
    tripped_at: Timestamp,
    equity_high: TrailingExtreme<Decimal>,
    prices: FxHashMap<ProductId, PriceWindow>,
    consecutive_losses: u32,
    trip_count: u64,
    history: VecDeque<Transition>,
}

/// One product's highest and lowest price within the price window.
#[derive(Debug, Clone)]
struct PriceWindow {
    high: TrailingExtreme<f64>,
    low: TrailingExtreme<f64>,
}

impl CircuitBreaker {
    pub fn new(config: CircuitBreakerConfig) -> Self {
        Self {
            config,
            state: BreakerState::Closed,
            tripped_at: Timestamp::default(),
            equity_high: TrailingExtreme::new(Extreme::Max, config.equity_loss_window_ms),
            prices: FxHashMap::default(),
            consecutive_losses: 0,
            trip_count: 0,
            history: VecDeque::new(),
        }
    }

    pub fn config(&self) -> &CircuitBreakerConfig {
        &self.config
    }

    /// The state at `time`.
    pub fn state(&self, time: Timestamp) -> BreakerState {
        match self.state {
            BreakerState::Open if time >= self.cooldown_end() => BreakerState::HalfOpen,
            state => state,
        }
    }

    /// Whether new orders may be sent at `time`: CLOSED, or HALF_OPEN with auto-close.
    pub fn allows_trading(&self, time: Timestamp) -> bool {
        match self.state(time) {
            BreakerState::Closed => true,
            BreakerState::Open => false,
            BreakerState::HalfOpen => self.config.auto_close,
        }
    }

    /// When the current cool-down ends, while OPEN (as of the last event).
    pub fn cooldown_ends_at(&self) -> Option<Timestamp> {
        (self.state == BreakerState::Open).then(|| self.cooldown_end())
    }

    /// Losing trades in a row since the last win, break-even or trip.
    pub fn consecutive_losses(&self) -> u32 {
        self.consecutive_losses
    }

    /// Trips since creation (not bounded by the history limit).
    pub fn trip_count(&self) -> u64 {
        self.trip_count
    }

    /// The most recent state changes, oldest first, at most `history_limit` of them.
    pub fn history(&self) -> impl ExactSizeIterator<Item = &Transition> + DoubleEndedIterator {
        self.history.iter()
    }

    /// The trips within the history, oldest first.
    pub fn trips(&self) -> impl DoubleEndedIterator<Item = (Timestamp, &TripReason)> {
        self.history.iter().filter_map(|transition| Some((transition.time, transition.trip_reason()?)))
    }

    /// Folds in the account's equity; trips when it sits `equity_loss_fraction` or more
    /// below the highest equity of the trailing window (this observation included).
    pub fn observe_equity(&mut self, time: Timestamp, equity: Decimal) -> Option<TripReason> {
        self.advance(time);
        let high = self.equity_high.push(time, equity);
        if high <= Decimal::ZERO {
            return None;
        }
        let loss_fraction = (high - equity).checked_div(high)?;
        if loss_fraction >= self.config.equity_loss_fraction {
            let window_ms = self.config.equity_loss_window_ms;
            return self.trip(time, TripReason::EquityLoss { high, equity, loss_fraction, window_ms });
        }
        None
    }

    /// Folds in a product's price (a non-finite or non-positive price is ignored); trips
    /// when it is `price_move_fraction` or more above the window's lowest price or below
    /// its highest (the larger move is reported).
    pub fn observe_price(&mut self, time: Timestamp, product_id: ProductId, price: f64) -> Option<TripReason> {
        self.advance(time);
        if !(price.is_finite() && price > 0.0) {
            return None;
        }
        let window_ms = self.config.price_move_window_ms;
        let window = self.prices.entry(product_id).or_insert_with(|| PriceWindow {
            high: TrailingExtreme::new(Extreme::Max, window_ms),
            low: TrailingExtreme::new(Extreme::Min, window_ms),
        });
        let (high, low) = (window.high.push(time, price), window.low.push(time, price));
        let (rise, fall) = ((price - low) / low, (high - price) / high);
        let (from, change) = if rise >= fall { (low, rise) } else { (high, -fall) };
        if change.abs() >= self.config.price_move_fraction {
            return self.trip(time, TripReason::PriceMove { product_id, from, to: price, change, window_ms });
        }
        None
    }

    /// Folds in a closed trade's realised pnl (quote currency): a loss extends the losing
    /// streak, a win or break-even (pnl == 0) restarts it. Trips on the streak reaching
    /// `max_consecutive_losses`; with auto-close, also drives the HALF_OPEN probe.
    pub fn record_trade_result(&mut self, time: Timestamp, pnl: Decimal) -> Option<TripReason> {
        self.advance(time);
        let losing = pnl < Decimal::ZERO;
        self.consecutive_losses = if losing { self.consecutive_losses.saturating_add(1) } else { 0 };
        if self.state == BreakerState::HalfOpen && self.config.auto_close {
            if losing {
                return self.trip(time, TripReason::HalfOpenLoss { pnl });
            }
            if pnl > Decimal::ZERO {
                self.transition(time, BreakerState::Closed, TransitionCause::ProbeTradeWon { pnl });
            }
            return None;
        }
        if losing && self.consecutive_losses >= self.config.max_consecutive_losses {
            let losses = self.consecutive_losses;
            return self.trip(time, TripReason::LosingStreak { losses, last_pnl: pnl });
        }
        None
    }

    /// An operator closes the breaker (from OPEN or HALF_OPEN; nothing happens when CLOSED).
    pub fn reset(&mut self, time: Timestamp) {
        self.advance(time);
        if self.state != BreakerState::Closed {
            self.transition(time, BreakerState::Closed, TransitionCause::OperatorReset);
        }
    }

    /// Starts the cool-down of the trip that opened the breaker at `time` when that trip came
    /// earlier: a trip found on a bar's path is only known at the bar's close, and its
    /// cool-down runs from when the account can act on it (on hourly bars a 15-minute
    /// cool-down would otherwise be over before anyone saw the trip). Nothing happens unless
    /// the breaker is OPEN.
    pub fn start_cooldown_no_earlier_than(&mut self, time: Timestamp) {
        if self.state == BreakerState::Open && self.tripped_at < time {
            self.tripped_at = time;
        }
    }

    fn cooldown_end(&self) -> Timestamp {
        self.tripped_at.plus_millis(self.config.cooldown_ms)
    }

    /// Records an elapsed cool-down at the moment it ended.
    fn advance(&mut self, time: Timestamp) {
        if self.state == BreakerState::Open && self.state(time) == BreakerState::HalfOpen {
            self.transition(self.cooldown_end(), BreakerState::HalfOpen, TransitionCause::CooldownElapsed);
        }
    }

    /// Opens the breaker unless it already is; returns the reason when it tripped.
    fn trip(&mut self, time: Timestamp, reason: TripReason) -> Option<TripReason> {
        if self.state == BreakerState::Open {
            return None;
        }
        self.transition(time, BreakerState::Open, TransitionCause::Tripped { reason });
        self.tripped_at = time;
        self.trip_count = self.trip_count.saturating_add(1);
        self.equity_high.clear();
        self.prices.clear();
        self.consecutive_losses = 0;
        Some(reason)
    }

    fn transition(&mut self, time: Timestamp, to: BreakerState, cause: TransitionCause) {
        let from = std::mem::replace(&mut self.state, to);
        if self.config.history_limit == 0 {
            return;
        }
        if self.history.len() >= self.config.history_limit {
            self.history.pop_front();
        }
        self.history.push_back(Transition { time, from, to, cause });
    }
}

impl Default for CircuitBreaker {
    fn default() -> Self {
        Self::new(CircuitBreakerConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{MINUTE_MS, SECOND_MS};
    use rust_decimal_macros::dec;

    /// 2024-01-01T00:00:00Z.
    const T0: Timestamp = Timestamp::from_millis(1_704_067_200_000);
    const COOLDOWN_MS: i64 = 15 * MINUTE_MS;

    fn btc() -> ProductId {
        ProductId::parse("BTC-USD").unwrap()
    }

    fn at_seconds(seconds: i64) -> Timestamp {
        T0.plus_millis(seconds * SECOND_MS)
    }

    fn losses(breaker: &mut CircuitBreaker, count: i64) -> Option<TripReason> {
        (0..count).map(|i| breaker.record_trade_result(at_seconds(i), dec!(-10))).last().flatten()
    }

    fn tripped_on_losing_streak() -> CircuitBreaker {
        let mut breaker = CircuitBreaker::default();
        assert!(losses(&mut breaker, 5).is_some());
        breaker
    }

    #[test]
    fn the_5th_consecutive_loss_trips_and_the_4th_does_not() {
        let mut breaker = CircuitBreaker::default();
        assert_eq!(losses(&mut breaker, 4), None);
        assert_eq!(breaker.consecutive_losses(), 4);
        assert!(breaker.allows_trading(at_seconds(4)));
        let reason = breaker.record_trade_result(at_seconds(5), dec!(-2.5));
        assert_eq!(reason, Some(TripReason::LosingStreak { losses: 5, last_pnl: dec!(-2.5) }));
        assert_eq!(breaker.state(at_seconds(5)), BreakerState::Open);
        assert!(!breaker.allows_trading(at_seconds(5)));
    }

    #[test]
    fn a_break_even_or_winning_trade_restarts_the_losing_streak() {
        for reset_pnl in [dec!(0), dec!(0.01)] {
            let mut breaker = CircuitBreaker::default();
            losses(&mut breaker, 4);
            breaker.record_trade_result(at_seconds(10), reset_pnl);
            assert_eq!(breaker.consecutive_losses(), 0);
            assert_eq!(losses(&mut breaker, 4), None, "pnl {reset_pnl}");
            assert_eq!(breaker.state(at_seconds(20)), BreakerState::Closed);
        }
    }

    #[test]
    fn a_3_percent_equity_loss_within_5_minutes_trips() {
        let mut breaker = CircuitBreaker::default();
        assert_eq!(breaker.observe_equity(T0, dec!(10000)), None);
        let reason = breaker.observe_equity(T0.plus_millis(5 * MINUTE_MS), dec!(9700));
        let window_ms = 5 * MINUTE_MS;
        let expected =
            TripReason::EquityLoss { high: dec!(10000), equity: dec!(9700), loss_fraction: dec!(0.03), window_ms };
        assert_eq!(reason, Some(expected));

        let mut shallower = CircuitBreaker::default();
        shallower.observe_equity(T0, dec!(10000));
        assert_eq!(shallower.observe_equity(T0.plus_millis(5 * MINUTE_MS), dec!(9701)), None, "2.99%");
    }

    #[test]
    fn the_same_3_percent_loss_spread_over_6_minutes_does_not_trip() {
        // Observed every minute, the high of 6 minutes ago has aged out.
        let mut breaker = CircuitBreaker::default();
        breaker.observe_equity(T0, dec!(10000));
        for minute in 1..=5 {
            assert_eq!(breaker.observe_equity(T0.plus_millis(minute * MINUTE_MS), dec!(9950)), None);
        }
        assert_eq!(breaker.observe_equity(T0.plus_millis(6 * MINUTE_MS), dec!(9700)), None, "the high aged out");

        // A steady decline of 25 every 30 s: 2.5% in any 5 minutes, 3% over the 6.
        let mut steady = CircuitBreaker::default();
        for step in 0..=12 {
            let equity = dec!(10000) - Decimal::from(25 * step);
            assert_eq!(steady.observe_equity(at_seconds(30 * step), equity), None, "step {step}");
        }
        assert_eq!(steady.state(at_seconds(360)), BreakerState::Closed);
    }

    #[test]
    fn observations_further_apart_than_a_window_still_compare_with_the_previous_one() {
        // Hourly bars: the 5-minute loss window and the 60-second move window each span at
        // least one bar, so a one-bar loss or crash trips.
        let hour = 60 * MINUTE_MS;
        let mut equity = CircuitBreaker::default();
        equity.observe_equity(T0, dec!(10000));
        assert!(equity.observe_equity(T0.plus_millis(hour), dec!(9700)).is_some());
        let mut price = CircuitBreaker::default();
        price.observe_price(T0, btc(), 100.0);
        assert!(price.observe_price(T0.plus_millis(24 * hour), btc(), 85.0).is_some(), "a daily bar");
    }

    #[test]
    fn a_10_percent_price_move_within_60_seconds_trips_up_or_down_and_9_9_percent_does_not() {
        for (to, change) in [(110.0, 0.1), (90.0, -0.1)] {
            let mut breaker = CircuitBreaker::default();
            assert_eq!(breaker.observe_price(T0, btc(), 100.0), None);
            let reason = breaker.observe_price(at_seconds(60), btc(), to);
            let expected = TripReason::PriceMove { product_id: btc(), from: 100.0, to, change, window_ms: 60_000 };
            assert_eq!(reason, Some(expected), "to {to}");
        }
        for to in [109.9, 90.1] {
            let mut breaker = CircuitBreaker::default();
            breaker.observe_price(T0, btc(), 100.0);
            assert_eq!(breaker.observe_price(at_seconds(60), btc(), to), None, "to {to}");
        }
        let mut slow = CircuitBreaker::default();
        slow.observe_price(T0, btc(), 100.0);
        slow.observe_price(at_seconds(30), btc(), 104.0);
        assert_eq!(
            slow.observe_price(at_seconds(61), btc(), 110.0),
            None,
            "over 61 s: 100 aged out, 104 is 5.8% below"
        );
    }

    #[test]
    fn price_moves_are_measured_per_product() {
        let mut breaker = CircuitBreaker::default();
        breaker.observe_price(T0, btc(), 100.0);
        assert_eq!(breaker.observe_price(at_seconds(1), ProductId::parse("ETH-USD").unwrap(), 200.0), None);
        assert_eq!(breaker.observe_price(at_seconds(2), btc(), 105.0), None);
    }

    #[test]
    fn after_the_cooldown_the_breaker_is_half_open_and_still_blocks_until_an_operator_resets() {
        let mut breaker = tripped_on_losing_streak();
        let tripped = at_seconds(4);
        assert_eq!(breaker.cooldown_ends_at(), Some(tripped.plus_millis(COOLDOWN_MS)));
        assert_eq!(breaker.state(tripped.plus_millis(COOLDOWN_MS - 1)), BreakerState::Open);
        let half_open = tripped.plus_millis(COOLDOWN_MS);
        assert_eq!(breaker.state(half_open), BreakerState::HalfOpen);
        assert!(!breaker.allows_trading(half_open));
        breaker.record_trade_result(half_open.plus_millis(MINUTE_MS), dec!(50));
        assert!(!breaker.allows_trading(half_open.plus_millis(MINUTE_MS)), "a win does not close it");

        let reset_at = half_open.plus_millis(5 * MINUTE_MS);
        breaker.reset(reset_at);
        assert!(breaker.allows_trading(reset_at));
        let path: Vec<_> = breaker.history().map(|t| (t.time, t.from, t.to)).collect();
        assert_eq!(
            path,
            [
                (tripped, BreakerState::Closed, BreakerState::Open),
                (half_open, BreakerState::Open, BreakerState::HalfOpen),
                (reset_at, BreakerState::HalfOpen, BreakerState::Closed),
            ]
        );
        assert_eq!(breaker.history().last().map(|t| t.cause), Some(TransitionCause::OperatorReset));
    }

    #[test]
    fn conditions_met_while_open_neither_trip_again_nor_extend_the_cooldown() {
        let mut breaker = tripped_on_losing_streak();
        let ends = breaker.cooldown_ends_at();
        assert_eq!(losses(&mut breaker, 5), None);
        assert_eq!((breaker.cooldown_ends_at(), breaker.trip_count()), (ends, 1));
    }

    #[test]
    fn with_auto_close_a_half_open_breaker_trades_a_loss_reopens_and_a_win_closes() {
        let config = CircuitBreakerConfig { auto_close: true, ..CircuitBreakerConfig::default() };
        let mut breaker = CircuitBreaker::new(config);
        breaker.observe_equity(T0, dec!(10000));
        assert!(breaker.observe_equity(at_seconds(60), dec!(9000)).is_some());
        let half_open = at_seconds(60).plus_millis(COOLDOWN_MS);
        assert!(breaker.allows_trading(half_open));

        let reason = breaker.record_trade_result(half_open, dec!(-1));
        assert_eq!(reason, Some(TripReason::HalfOpenLoss { pnl: dec!(-1) }));
        assert!(!breaker.allows_trading(half_open), "re-opened with a fresh cool-down");
        let half_open_again = half_open.plus_millis(COOLDOWN_MS);
        assert_eq!(breaker.state(half_open_again), BreakerState::HalfOpen);

        breaker.record_trade_result(half_open_again, dec!(0));
        assert_eq!(breaker.state(half_open_again), BreakerState::HalfOpen, "break-even decides nothing");
        breaker.record_trade_result(half_open_again, dec!(3));
        assert_eq!(breaker.state(half_open_again), BreakerState::Closed);
        let cause = breaker.history().last().map(|t| t.cause);
        assert_eq!(cause, Some(TransitionCause::ProbeTradeWon { pnl: dec!(3) }));
    }

    #[test]
    fn the_history_records_trip_reasons_and_keeps_only_the_most_recent_transitions() {
        let config = CircuitBreakerConfig { history_limit: 4, ..CircuitBreakerConfig::default() };
        let mut breaker = CircuitBreaker::new(config);
        for round in 0..3 {
            let start = at_seconds(round * 100);
            breaker.observe_price(start, btc(), 100.0);
            breaker.observe_price(start.plus_millis(SECOND_MS), btc(), 80.0);
            breaker.reset(start.plus_millis(2 * SECOND_MS));
        }
        assert_eq!((breaker.trip_count(), breaker.history().len()), (3, 4));
        let reasons: Vec<_> = breaker.trips().map(|(_, reason)| reason.to_string()).collect();
        assert_eq!(reasons, ["BTC-USD fell 20% from 100 to 80 within 60 s"; 2]);
        let json = serde_json::to_value(breaker.history().last()).unwrap();
        assert_eq!(json["to"], "CLOSED");
        assert_eq!(json["cause"], "operator_reset");
    }

    #[test]
    fn a_reset_starts_measuring_afresh_instead_of_re_tripping_on_the_same_move() {
        let mut breaker = CircuitBreaker::default();
        breaker.observe_price(T0, btc(), 100.0);
        assert!(breaker.observe_price(at_seconds(1), btc(), 89.0).is_some());
        breaker.reset(at_seconds(2));
        assert_eq!(breaker.observe_price(at_seconds(3), btc(), 89.0), None);
        assert_eq!(breaker.state(at_seconds(3)), BreakerState::Closed);
    }
}
