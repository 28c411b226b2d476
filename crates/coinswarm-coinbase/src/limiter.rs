//! Client-side rate limits: a token bucket per Coinbase bucket (public and private), so the
//! client waits its turn instead of being answered 429. The bucket is governor's GCRA limiter
//! timed by tokio's clock, so a paused test runtime drives it.

use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

/// A token bucket: `rate` requests per second, bursts of up to `burst`.
#[derive(Debug)]
pub struct TokenBucket {
    limiter: RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<Instant>>,
}

impl TokenBucket {
    /// `rate_per_sec` is raised to 0.001 and `burst` to 1 at least; a fractional burst is
    /// rounded down.
    pub fn new(rate_per_sec: f64, burst: f64) -> Self {
        let period = Duration::from_secs_f64(1.0 / rate_per_sec.max(0.001));
        let burst = NonZeroU32::new(burst.max(1.0).min(f64::from(u32::MAX)) as u32).unwrap_or(NonZeroU32::MIN);
        let quota =
            Quota::with_period(period).map_or_else(|| Quota::per_second(NonZeroU32::MAX), |q| q.allow_burst(burst));
        Self { limiter: RateLimiter::direct_with_clock(quota, TokioClock) }
    }

    /// Waits until a request may go, then takes its token.
    pub async fn acquire(&self) {
        while let Err(not_until) = self.limiter.check() {
            tokio::time::sleep(not_until.wait_time_from(TokioClock.now())).await;
        }
    }
}

/// Tokio's clock as governor's time source (it stands still while a test runtime is paused).
#[derive(Debug, Clone, Copy, Default)]
struct TokioClock;

impl Clock for TokioClock {
    type Instant = Instant;

    fn now(&self) -> Instant {
        tokio::time::Instant::now().into_std()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_burst_goes_at_once_and_the_rest_at_the_rate() {
        let bucket = TokenBucket::new(10.0, 5.0);
        let started = tokio::time::Instant::now();
        for _ in 0..5 {
            bucket.acquire().await;
        }
        assert!(started.elapsed() < Duration::from_millis(1));
        for _ in 0..10 {
            bucket.acquire().await;
        }
        let elapsed = started.elapsed().as_secs_f64();
        assert!((0.99..1.01).contains(&elapsed), "ten more at 10/s take a second: {elapsed}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_bucket_waits_its_period() {
        let bucket = TokenBucket::new(0.5, 1.0);
        let started = tokio::time::Instant::now();
        bucket.acquire().await;
        bucket.acquire().await;
        let elapsed = started.elapsed().as_secs_f64();
        assert!((1.99..2.01).contains(&elapsed), "one every two seconds: {elapsed}");
    }
}
