//! The oversight manager: checks each proposed order against the account limits.

use super::account::AccountSnapshot;
use super::breach::{Breach, OversightRejection};
use super::config::OversightConfig;
use super::order::ProposedOrder;
use super::trading_day::TradingDay;
use crate::market::Side;
use crate::risk::RiskEvent;
use crate::risk::trailing_extreme::{Extreme, TrailingExtreme};
use crate::time::{MINUTE_MS, Timestamp};
use rust_decimal::Decimal;

/// Guards capital with hard limits, whatever the committee decided. It keeps the state the
/// limits need — the look-back peak equity and the UTC day's opening equity and trade
/// count — fed by [`Oversight::observe_equity`] and [`Oversight::record_trade`]; checking
/// never changes it.
///
/// Exemption: an order that reduces risk — against the current position and no larger than
/// it — passes every limit (exposure, order size, trade pace, daily loss, drawdown, even zero
/// or negative equity), so a position can always be exited.
///
/// The drawdown's peak is the highest equity within `drawdown_lookback_ms` (to the minute),
/// or since an operator's [`Oversight::reset_peak`]; crossing the limit and coming back
/// within it are reported as [`RiskEvent`]s.
#[derive(Debug, Clone, PartialEq)]
pub struct Oversight {
    config: OversightConfig,
    /// Highest equity within the look-back window; empty before the first observation.
    peak: TrailingExtreme<Decimal>,
    /// Whether the last observation was beyond the drawdown limit.
    drawdown_breached: bool,
    day: TradingDay,
}

impl Oversight {
    pub fn new(config: OversightConfig) -> Self {
        let lookback = if config.drawdown_lookback_ms > 0 { config.drawdown_lookback_ms } else { i64::MAX };
        Self {
            config,
            peak: TrailingExtreme::new(Extreme::Max, lookback).with_resolution(MINUTE_MS),
            drawdown_breached: false,
            day: TradingDay::default(),
        }
    }

    pub fn config(&self) -> &OversightConfig {
        &self.config
    }

    /// Folds in the account's equity at `time`: it joins the look-back peak, and the first
    /// observation of a UTC day becomes that day's opening equity for the daily-loss limit.
    /// Returns the event when the drawdown crossed its limit, either way.
    pub fn observe_equity(&mut self, time: Timestamp, equity: Decimal) -> Option<RiskEvent> {
        let peak = self.peak.push(time, equity);
        self.day.observe_equity(time, equity);
        let drawdown = ratio(peak - equity, peak).unwrap_or_default();
        let breached = drawdown > self.config.max_drawdown_fraction;
        if breached == self.drawdown_breached {
            return None;
        }
        self.drawdown_breached = breached;
        Some(if breached {
            RiskEvent::DrawdownBreached { peak, equity, drawdown, limit: self.config.max_drawdown_fraction }
        } else {
            RiskEvent::DrawdownEnded { peak, equity, drawdown }
        })
    }

    /// An operator restarts the drawdown's peak at `equity` (the account's equity now): the
    /// drawdown is measured from here on, and a breach ends.
    pub fn reset_peak(&mut self, time: Timestamp, equity: Decimal) -> RiskEvent {
        let previous_peak = self.peak.current();
        self.peak.clear();
        self.peak.push(time, equity);
        self.drawdown_breached = false;
        RiskEvent::PeakReset { previous_peak, peak: equity }
    }

    /// Whether the last observed equity was beyond the drawdown limit.
    pub fn drawdown_breached(&self) -> bool {
        self.drawdown_breached
    }

    /// The limit that makes working buys go at `time` on `account`, if one is breached: the
    /// daily loss or the drawdown (see [`Oversight::check`] for how they are measured).
    pub fn breached_loss_limit(&self, time: Timestamp, account: &AccountSnapshot) -> Option<Breach> {
        let config = &self.config;
        let equity = account.equity;
        let opening = self.day.opening_equity_on(time).unwrap_or(equity);
        if let Some(loss) = ratio(opening - equity, opening).filter(|&loss| loss > config.max_daily_loss_fraction) {
            return Some(Breach::DailyLoss { loss, limit: config.max_daily_loss_fraction });
        }
        let peak = self.peak.current().map_or(equity, |peak| peak.max(equity));
        ratio(peak - equity, peak)
            .filter(|&dd| dd > config.max_drawdown_fraction)
            .map(|drawdown| Breach::Drawdown { drawdown, limit: config.max_drawdown_fraction })
    }

    /// Counts a trade (an order sent) at `time` towards its UTC day's limit.
    pub fn record_trade(&mut self, time: Timestamp) {
        self.day.record_trade(time);
    }

    /// Highest equity within the look-back window (or since a reset), `None` before any.
    pub fn peak_equity(&self) -> Option<Decimal> {
        self.peak.current()
    }

    /// Trades recorded on the UTC day of `time` (0 once that day is later than the last record).
    pub fn trades_on_day_of(&self, time: Timestamp) -> u32 {
        self.day.trades_on(time)
    }

    /// Opening equity of the UTC day of `time`, when observed.
    pub fn day_opening_equity(&self, time: Timestamp) -> Option<Decimal> {
        self.day.opening_equity_on(time)
    }

    /// Passes the order at `time`, or rejects it with every limit it would breach.
    ///
    /// Equity figures come from `account` (the freshest), against the stored peak and day
    /// opening; a day with no equity observation yet opens at `account.equity`. Ratios that
    /// divide by a non-positive equity, peak or opening are skipped (zero equity is its own
    /// breach), and a non-positive notional skips the size-dependent limits.
    pub fn check(
        &self,
        time: Timestamp,
        order: &ProposedOrder,
        account: &AccountSnapshot,
    ) -> Result<(), OversightRejection> {
        let config = &self.config;
        let equity = account.equity;
        let mut breaches = Vec::new();
        if reduces_risk(order.side, order.notional, account.position_value) {
            return Ok(());
        }
        if equity <= Decimal::ZERO {
            breaches.push(Breach::NonPositiveEquity { equity });
        }

        if order.notional <= Decimal::ZERO {
            breaches.push(Breach::NonPositiveNotional { notional: order.notional });
        } else {
            let position_after = account.position_value.saturating_add(order.signed_notional()).abs();
            if let Some(fraction) = ratio(position_after, equity).filter(|&f| f > config.max_position_fraction) {
                let (product_id, limit) = (order.product_id, config.max_position_fraction);
                breaches.push(Breach::PositionConcentration { product_id, fraction, limit });
            }
            if order.notional > config.max_order_notional {
                breaches.push(Breach::OrderNotional { notional: order.notional, limit: config.max_order_notional });
            }
        }

        let trade = self.day.trades_on(time).saturating_add(1);
        if trade > config.max_trades_per_day {
            breaches.push(Breach::DailyTradeCount { trade, limit: config.max_trades_per_day });
        }
        if order.notional > Decimal::ZERO && account.position_value.is_zero() {
            let positions = account.open_positions.saturating_add(1);
            if positions > config.max_open_positions {
                breaches.push(Breach::ConcurrentPositions { positions, limit: config.max_open_positions });
            }
        }

        let opening = self.day.opening_equity_on(time).unwrap_or(equity);
        if let Some(loss) = ratio(opening - equity, opening).filter(|&loss| loss > config.max_daily_loss_fraction) {
            breaches.push(Breach::DailyLoss { loss, limit: config.max_daily_loss_fraction });
        }
        let peak = self.peak.current().map_or(equity, |peak| peak.max(equity));
        if let Some(drawdown) = ratio(peak - equity, peak).filter(|&dd| dd > config.max_drawdown_fraction) {
            breaches.push(Breach::Drawdown { drawdown, limit: config.max_drawdown_fraction });
        }
        rejection(breaches)
    }

    /// The largest notional (quote currency) an order on `side` may have and still pass the
    /// exposure limits: the per-order maximum, the position fraction of equity, and the
    /// number of concurrent positions. Zero when nothing passes, or when equity is not
    /// positive. An order against the position may always close it whole, and beyond that
    /// builds the opposite position under the same limits. Size-independent limits (trade
    /// pace, daily loss, drawdown) are left to [`Oversight::check`].
    pub fn max_order_notional(&self, side: Side, account: &AccountSnapshot) -> Decimal {
        let config = &self.config;
        if account.equity <= Decimal::ZERO {
            return Decimal::ZERO;
        }
        let held = account.position_value.abs();
        let exposure_cap = account.equity.saturating_mul(config.max_position_fraction);
        if opposes(side, account.position_value) {
            return held.max(config.max_order_notional.min(held.saturating_add(exposure_cap)));
        }
        if held.is_zero() && account.open_positions >= config.max_open_positions {
            return Decimal::ZERO;
        }
        config.max_order_notional.min(exposure_cap - held).max(Decimal::ZERO)
    }
}

impl Default for Oversight {
    fn default() -> Self {
        Self::new(OversightConfig::default())
    }
}

/// Whether an order on `side` trades against a non-zero position.
fn opposes(side: Side, position_value: Decimal) -> bool {
    match side {
        Side::Buy => position_value < Decimal::ZERO,
        Side::Sell => position_value > Decimal::ZERO,
    }
}

/// An exit: against the position, positive, and no larger than it.
fn reduces_risk(side: Side, notional: Decimal, position_value: Decimal) -> bool {
    opposes(side, position_value) && notional > Decimal::ZERO && notional <= position_value.abs()
}

/// `part / whole` when `whole` is positive (saturating on overflow), else `None`.
fn ratio(part: Decimal, whole: Decimal) -> Option<Decimal> {
    (whole > Decimal::ZERO).then(|| part.checked_div(whole).unwrap_or(Decimal::MAX))
}

fn rejection(breaches: Vec<Breach>) -> Result<(), OversightRejection> {
    if breaches.is_empty() { Ok(()) } else { Err(OversightRejection { breaches }) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::ProductId;
    use crate::time::DAY_MS;
    use rust_decimal_macros::dec;

    /// 2024-01-01T00:00:00Z.
    const DAY_ONE: Timestamp = Timestamp::from_millis(1_704_067_200_000);

    fn btc() -> ProductId {
        ProductId::parse("BTC-USD").unwrap()
    }

    fn buy(notional: Decimal) -> ProposedOrder {
        ProposedOrder::new(btc(), Side::Buy, notional)
    }

    fn sell(notional: Decimal) -> ProposedOrder {
        ProposedOrder::new(btc(), Side::Sell, notional)
    }

    fn account(equity: Decimal, position_value: Decimal, open_positions: usize) -> AccountSnapshot {
        AccountSnapshot::new(equity, position_value, open_positions)
    }

    fn breaches(result: Result<(), OversightRejection>) -> Vec<Breach> {
        result.err().map(|rejection| rejection.breaches).unwrap_or_default()
    }

    #[test]
    fn a_position_of_25_percent_of_equity_is_allowed_and_25_01_percent_is_blocked() {
        let oversight = Oversight::default();
        let flat = account(dec!(10000), dec!(0), 0);
        assert_eq!(oversight.check(DAY_ONE, &buy(dec!(2500)), &flat), Ok(()));
        let blocked = breaches(oversight.check(DAY_ONE, &buy(dec!(2501)), &flat));
        let limit = dec!(0.25);
        assert_eq!(blocked, [Breach::PositionConcentration { product_id: btc(), fraction: dec!(0.2501), limit }]);
        assert_eq!(blocked[0].to_string(), "BTC-USD position 25.01% of equity exceeds 25%");

        let holding = account(dec!(10000), dec!(2000), 1);
        assert_eq!(oversight.check(DAY_ONE, &buy(dec!(500)), &holding), Ok(()));
        assert!(oversight.check(DAY_ONE, &buy(dec!(501)), &holding).is_err());
    }

    #[test]
    fn an_order_above_the_maximum_notional_is_blocked() {
        let oversight = Oversight::default();
        let rich = account(dec!(1000000), dec!(0), 0);
        assert_eq!(oversight.check(DAY_ONE, &buy(dec!(25000)), &rich), Ok(()));
        let blocked = breaches(oversight.check(DAY_ONE, &buy(dec!(25000.01)), &rich));
        assert_eq!(blocked, [Breach::OrderNotional { notional: dec!(25000.01), limit: dec!(25000) }]);
    }

    #[test]
    fn a_drawdown_of_9_9_percent_is_allowed_and_10_1_percent_is_blocked() {
        let mut oversight = Oversight::default();
        oversight.observe_equity(DAY_ONE, dec!(10000));
        // A later day, so the daily-loss limit (5% from this day's opening) stays quiet.
        let day_two = DAY_ONE.plus_millis(DAY_MS);
        oversight.observe_equity(day_two, dec!(9100));
        assert_eq!(oversight.peak_equity(), Some(dec!(10000)), "the peak stays within the look-back");

        let order = buy(dec!(100));
        assert_eq!(oversight.check(day_two, &order, &account(dec!(9010), dec!(0), 0)), Ok(()));
        let blocked = breaches(oversight.check(day_two, &order, &account(dec!(8990), dec!(0), 0)));
        assert_eq!(blocked, [Breach::Drawdown { drawdown: dec!(0.101), limit: dec!(0.10) }]);
    }

    #[test]
    fn the_50th_trade_of_a_utc_day_is_allowed_the_51st_blocked_and_the_count_restarts_at_midnight() {
        let mut oversight = Oversight::default();
        let flat = account(dec!(10000), dec!(0), 0);
        let order = buy(dec!(100));
        for _ in 0..49 {
            oversight.record_trade(DAY_ONE);
        }
        assert_eq!(oversight.check(DAY_ONE, &order, &flat), Ok(()), "the 50th");
        oversight.record_trade(DAY_ONE);

        let last_ms = DAY_ONE.plus_millis(DAY_MS - 1);
        assert_eq!(
            breaches(oversight.check(last_ms, &order, &flat)),
            [Breach::DailyTradeCount { trade: 51, limit: 50 }]
        );
        let midnight = DAY_ONE.plus_millis(DAY_MS);
        assert_eq!(oversight.check(midnight, &order, &flat), Ok(()));
        oversight.record_trade(midnight);
        assert_eq!(oversight.trades_on_day_of(midnight), 1);
    }

    #[test]
    fn a_daily_loss_of_5_percent_is_allowed_5_01_percent_is_blocked_and_it_restarts_at_midnight() {
        let mut oversight = Oversight::default();
        oversight.observe_equity(DAY_ONE, dec!(10000));
        oversight.observe_equity(DAY_ONE.plus_millis(1), dec!(10200));
        assert_eq!(oversight.day_opening_equity(DAY_ONE), Some(dec!(10000)), "the day's first observation");
        oversight.observe_equity(DAY_ONE.plus_millis(2), dec!(10000));

        let order = buy(dec!(100));
        let later = DAY_ONE.plus_millis(3);
        assert_eq!(breaches(oversight.check(later, &order, &account(dec!(9500), dec!(0), 0))), []);
        let blocked = breaches(oversight.check(later, &order, &account(dec!(9499), dec!(0), 0)));
        assert_eq!(blocked, [Breach::DailyLoss { loss: dec!(0.0501), limit: dec!(0.05) }]);

        let midnight = DAY_ONE.plus_millis(DAY_MS);
        oversight.observe_equity(midnight, dec!(9499));
        assert_eq!(oversight.check(midnight, &order, &account(dec!(9499), dec!(0), 0)), Ok(()));
    }

    #[test]
    fn a_buy_opening_a_6th_concurrent_position_is_blocked_but_adding_to_a_held_one_is_not() {
        let oversight = Oversight::default();
        let order = buy(dec!(100));
        assert_eq!(oversight.check(DAY_ONE, &order, &account(dec!(10000), dec!(0), 4)), Ok(()));
        let blocked = breaches(oversight.check(DAY_ONE, &order, &account(dec!(10000), dec!(0), 5)));
        assert_eq!(blocked, [Breach::ConcurrentPositions { positions: 6, limit: 5 }]);
        assert_eq!(oversight.check(DAY_ONE, &order, &account(dec!(10000), dec!(1000), 5)), Ok(()));
    }

    #[test]
    fn a_rejection_lists_every_breached_limit_not_just_the_first() {
        let mut oversight = Oversight::default();
        oversight.observe_equity(DAY_ONE, dec!(20000));
        for _ in 0..50 {
            oversight.record_trade(DAY_ONE);
        }
        let blocked = breaches(oversight.check(DAY_ONE, &buy(dec!(30000)), &account(dec!(10000), dec!(0), 5)));
        assert_eq!(
            blocked,
            [
                Breach::PositionConcentration { product_id: btc(), fraction: dec!(3), limit: dec!(0.25) },
                Breach::OrderNotional { notional: dec!(30000), limit: dec!(25000) },
                Breach::DailyTradeCount { trade: 51, limit: 50 },
                Breach::ConcurrentPositions { positions: 6, limit: 5 },
                Breach::DailyLoss { loss: dec!(0.5), limit: dec!(0.05) },
                Breach::Drawdown { drawdown: dec!(0.5), limit: dec!(0.10) },
            ]
        );
    }

    #[test]
    fn a_risk_reducing_exit_passes_even_when_every_other_limit_is_breached() {
        let mut oversight = Oversight::default();
        oversight.observe_equity(DAY_ONE, dec!(20000));
        for _ in 0..60 {
            oversight.record_trade(DAY_ONE);
        }
        let overexposed = account(dec!(10000), dec!(30000), 9);
        assert_eq!(oversight.check(DAY_ONE, &sell(dec!(30000)), &overexposed), Ok(()), "closing the whole position");
        assert_eq!(oversight.check(DAY_ONE, &sell(dec!(5000)), &overexposed), Ok(()));
        assert!(oversight.check(DAY_ONE, &sell(dec!(30000.01)), &overexposed).is_err(), "beyond the position");
        assert!(oversight.check(DAY_ONE, &buy(dec!(1)), &overexposed).is_err());
    }

    #[test]
    fn zero_or_negative_equity_blocks_new_risk_but_an_exit_still_passes() {
        let oversight = Oversight::default();
        for equity in [dec!(0), dec!(-5)] {
            let insolvent = account(equity, dec!(100), 1);
            assert_eq!(oversight.check(DAY_ONE, &sell(dec!(50)), &insolvent), Ok(()), "the exit");
            let blocked = breaches(oversight.check(DAY_ONE, &buy(dec!(50)), &insolvent));
            assert_eq!(blocked.first(), Some(&Breach::NonPositiveEquity { equity }));
        }
    }

    #[test]
    fn the_drawdown_peak_ages_out_of_its_look_back_so_a_breach_in_cash_ends() {
        let mut oversight = Oversight::default();
        assert_eq!(oversight.observe_equity(DAY_ONE, dec!(10000)), None);
        let breach = oversight.observe_equity(DAY_ONE.plus_millis(DAY_MS), dec!(8900));
        assert_eq!(
            breach,
            Some(RiskEvent::DrawdownBreached {
                peak: dec!(10000),
                equity: dec!(8900),
                drawdown: dec!(0.11),
                limit: dec!(0.10)
            })
        );
        let flat = account(dec!(8900), dec!(0), 0);
        let day_20 = DAY_ONE.plus_millis(20 * DAY_MS);
        assert_eq!(oversight.observe_equity(day_20, dec!(8900)), None, "still within 30 days of the peak");
        assert!(oversight.check(day_20, &buy(dec!(100)), &flat).is_err());
        let day_31 = DAY_ONE.plus_millis(31 * DAY_MS);
        let ended = oversight.observe_equity(day_31, dec!(8900));
        assert_eq!(ended, Some(RiskEvent::DrawdownEnded { peak: dec!(8900), equity: dec!(8900), drawdown: dec!(0) }));
        assert_eq!(oversight.check(day_31, &buy(dec!(100)), &flat), Ok(()), "the old peak aged out");
    }

    #[test]
    fn an_operator_reset_restarts_the_peak_at_current_equity_and_ends_the_breach() {
        let mut oversight = Oversight::new(OversightConfig { drawdown_lookback_ms: 0, ..OversightConfig::default() });
        oversight.observe_equity(DAY_ONE, dec!(10000));
        let year_later = DAY_ONE.plus_millis(365 * DAY_MS);
        assert!(oversight.observe_equity(year_later, dec!(8000)).is_some());
        assert!(oversight.drawdown_breached(), "the all-time peak never ages out");
        let reset = oversight.reset_peak(year_later, dec!(8000));
        assert_eq!(reset, RiskEvent::PeakReset { previous_peak: Some(dec!(10000)), peak: dec!(8000) });
        assert!(!oversight.drawdown_breached());
        assert_eq!(oversight.check(year_later, &buy(dec!(100)), &account(dec!(8000), dec!(0), 0)), Ok(()));
    }

    #[test]
    fn a_non_positive_notional_is_blocked() {
        let oversight = Oversight::default();
        let blocked = breaches(oversight.check(DAY_ONE, &sell(dec!(0)), &account(dec!(10000), dec!(100), 1)));
        assert_eq!(blocked, [Breach::NonPositiveNotional { notional: dec!(0) }]);
    }

    #[test]
    fn the_size_cap_is_the_largest_notional_that_passes_the_exposure_limits() {
        let oversight = Oversight::default();
        let holding = account(dec!(10000), dec!(1000), 1);
        let cap = oversight.max_order_notional(Side::Buy, &holding);
        assert_eq!(cap, dec!(1500));
        assert_eq!(oversight.check(DAY_ONE, &buy(cap), &holding), Ok(()));
        assert!(oversight.check(DAY_ONE, &buy(cap + dec!(0.01)), &holding).is_err());

        let rich = account(dec!(1000000), dec!(0), 0);
        assert_eq!(oversight.max_order_notional(Side::Buy, &rich), dec!(25000), "the per-order maximum");
        assert_eq!(oversight.max_order_notional(Side::Buy, &account(dec!(10000), dec!(0), 5)), dec!(0));
        assert_eq!(oversight.max_order_notional(Side::Buy, &account(dec!(10000), dec!(3000), 1)), dec!(0));
        assert_eq!(oversight.max_order_notional(Side::Buy, &account(dec!(0), dec!(0), 0)), dec!(0));

        let long = account(dec!(10000), dec!(3000), 1);
        let exit_cap = oversight.max_order_notional(Side::Sell, &long);
        assert_eq!(exit_cap, dec!(5500), "the whole position, then a short of 25% of equity");
        assert_eq!(oversight.check(DAY_ONE, &sell(exit_cap), &long), Ok(()));
        assert!(oversight.check(DAY_ONE, &sell(exit_cap + dec!(0.01)), &long).is_err());
    }
}
