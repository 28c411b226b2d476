//! Client-side rate limits: a token bucket per Coinbase bucket (public and private), so the
//! client waits its turn instead of being answered 429.

use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// A token bucket: `rate` requests per second, bursts of up to `burst`.
#[derive(Debug)]
pub struct TokenBucket {
    rate: f64,
    burst: f64,
    state: Mutex<(f64, Instant)>,
}

impl TokenBucket {
    pub fn new(rate_per_sec: f64, burst: f64) -> Self {
        let rate = rate_per_sec.max(0.001);
        let burst = burst.max(1.0);
        Self { rate, burst, state: Mutex::new((burst, Instant::now())) }
    }

    /// Waits until a request may go, then takes its token.
    pub async fn acquire(&self) {
        loop {
            let wait = {
                let mut state = self.state.lock().await;
                let now = Instant::now();
                let (tokens, last) = *state;
                let tokens = (tokens + now.duration_since(last).as_secs_f64() * self.rate).min(self.burst);
                if tokens >= 1.0 {
                    *state = (tokens - 1.0, now);
                    return;
                }
                *state = (tokens, now);
                Duration::from_secs_f64((1.0 - tokens) / self.rate)
            };
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_burst_goes_at_once_and_the_rest_at_the_rate() {
        let bucket = TokenBucket::new(10.0, 5.0);
        let started = Instant::now();
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
}
