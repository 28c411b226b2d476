//! The wall clock, the server's one [`Clock`]: services are handed it (tests hand them a
//! [`coinswarm_core::time::ManualClock`]) rather than reading the system time themselves.

use coinswarm_core::time::{Clock, Timestamp};
use std::sync::Arc;

/// The clock services are handed: any [`Clock`], shared.
pub type SharedClock = Arc<dyn Clock>;

/// UTC milliseconds by the operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl SystemClock {
    /// The wall clock, to hand to services.
    pub fn shared() -> SharedClock {
        Arc::new(SystemClock)
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX));
        Timestamp(millis)
    }
}
