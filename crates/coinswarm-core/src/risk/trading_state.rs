//! What an account may do now.

/// The account's trading state, as the gate sees it at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TradingState {
    /// Orders pass when they meet the oversight limits.
    Active,
    /// The circuit breaker is not closed: only orders that reduce a position pass.
    ReducingOnly,
    /// An operator halted the account: nothing passes until it is resumed.
    Halted,
}

impl TradingState {
    /// `ACTIVE`, `REDUCING_ONLY` or `HALTED`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::ReducingOnly => "REDUCING_ONLY",
            Self::Halted => "HALTED",
        }
    }
}
