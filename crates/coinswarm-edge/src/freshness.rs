//! Whether a cached answer may still be served. Workers KV's shortest `expirationTtl` is 60
//! seconds, far longer than market data may be served (1 s) or a prediction (5 s), so each
//! value is stored with the time it was written (in the KV entry's metadata) and its
//! freshness is decided here, on read; the 60 s expiry only clears what nobody reads.

use serde::{Deserialize, Serialize};

/// Workers KV's shortest expiry, in seconds: every cached entry is written with it.
pub const KV_MIN_TTL_SECS: u64 = 60;

/// The metadata stored with a cached value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    /// When the value was written, in ms since the Unix epoch (the Worker's clock).
    pub stored_ms: i64,
    /// The HTTP status the value was answered with: 200, or a refusal that holds for as
    /// long as a value would (e.g. 404 for a product the swarm does not trade).
    #[serde(default = "ok")]
    pub status: u16,
}

fn ok() -> u16 {
    200
}

impl Stamp {
    /// Whether a value written at `self` may be served at `now_ms` when values stay fresh
    /// for `fresh_ms`. A stamp from the future (a clock step) counts as stale.
    pub fn is_fresh(self, now_ms: i64, fresh_ms: i64) -> bool {
        let age = now_ms - self.stored_ms;
        (0..fresh_ms).contains(&age)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_served_for_its_freshness_window_and_not_a_millisecond_more() {
        let stamp = Stamp { stored_ms: 10_000, status: 200 };
        assert!(stamp.is_fresh(10_000, 1_000));
        assert!(stamp.is_fresh(10_999, 1_000));
        assert!(!stamp.is_fresh(11_000, 1_000));
        assert!(!stamp.is_fresh(9_999, 1_000), "written in the future: stale");
    }

    #[test]
    fn a_stamp_written_before_statuses_were_stored_reads_as_a_success() {
        let stamp: Stamp = serde_json::from_str(r#"{"stored_ms": 5}"#).unwrap();
        assert_eq!(stamp, Stamp { stored_ms: 5, status: 200 });
    }
}
