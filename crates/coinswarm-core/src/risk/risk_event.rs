//! What the pre-trade gate did on its own, for the decision log and the account's record.

use rust_decimal::Decimal;
use serde::Serialize;
use std::fmt;

/// A change the gate saw or made outside any one order: a drawdown limit crossed or left, an
/// operator's reset of the peak, working buys cancelled on a breach. Fractions are plain
/// (0.1 = 10%), money is in the account's quote currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum RiskEvent {
    /// The drawdown from the look-back peak went past the limit: no new risk until it ends.
    DrawdownBreached { peak: Decimal, equity: Decimal, drawdown: Decimal, limit: Decimal },
    /// The drawdown came back within the limit: equity recovered, or the peak it was measured
    /// from left the look-back window.
    DrawdownEnded { peak: Decimal, equity: Decimal, drawdown: Decimal },
    /// An operator restarted the peak at the current equity.
    PeakReset { previous_peak: Option<Decimal>, peak: Decimal },
    /// Working buys cancelled because a limit was breached (the reason says which).
    BuysCancelled { orders: usize, reason: String },
}

impl fmt::Display for RiskEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let percent = |d: &Decimal| (d * Decimal::ONE_HUNDRED).round_dp(2).normalize();
        match self {
            Self::DrawdownBreached { peak, equity, drawdown, limit } => write!(
                f,
                "drawdown {}% from peak {} (equity {}) exceeds {}%: no new risk",
                percent(drawdown),
                peak.round_dp(2),
                equity.round_dp(2),
                percent(limit)
            ),
            Self::DrawdownEnded { peak, equity, drawdown } => write!(
                f,
                "drawdown back to {}% from peak {} (equity {})",
                percent(drawdown),
                peak.round_dp(2),
                equity.round_dp(2)
            ),
            Self::PeakReset { previous_peak, peak } => match previous_peak {
                Some(previous) => {
                    write!(f, "peak reset by an operator from {} to {}", previous.round_dp(2), peak.round_dp(2))
                }
                None => write!(f, "peak reset by an operator to {}", peak.round_dp(2)),
            },
            Self::BuysCancelled { orders, reason } => write!(f, "{orders} working buys cancelled: {reason}"),
        }
    }
}
