//! Per-deployment state shared by every request: requests in flight (least-busy), a moving
//! average of time to first token (latency-based routing), and failures in the last minute,
//! which put the deployment in a cooldown once they pass `allowed_fails`.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// LiteLLM counts `allowed_fails` per minute.
const FAIL_WINDOW: Duration = Duration::from_secs(60);
/// Weight of the newest sample in the time-to-first-token average.
const TTFT_ALPHA: f64 = 0.3;

#[derive(Default)]
pub struct Health {
    in_flight: AtomicUsize,
    ttft: Mutex<Option<Duration>>,
    failures: Mutex<Failures>,
}

#[derive(Default)]
struct Failures {
    window_start: Option<Instant>,
    count: u32,
    cooling_until: Option<Instant>,
}

impl Health {
    /// Requests to this deployment that have started and not ended.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Counts a request as in flight until the guard drops.
    pub fn start(self: &std::sync::Arc<Self>) -> InFlightGuard {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlightGuard(self.clone())
    }

    /// Moving average of time to first token; `None` before the first answer.
    pub fn ttft(&self) -> Option<Duration> {
        *self.ttft.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn record_ttft(&self, sample: Duration) {
        let mut avg = self.ttft.lock().unwrap_or_else(|e| e.into_inner());
        *avg = Some(match *avg {
            None => sample,
            Some(old) => old.mul_f64(1.0 - TTFT_ALPHA) + sample.mul_f64(TTFT_ALPHA),
        });
    }

    /// Counts a failure; returns whether the deployment has just been cooled down.
    pub fn record_failure(&self, now: Instant, allowed_fails: u32, cooldown: Duration) -> bool {
        let mut f = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if f.window_start
            .is_none_or(|start| now.duration_since(start) >= FAIL_WINDOW)
        {
            f.window_start = Some(now);
            f.count = 0;
        }
        f.count += 1;
        if f.count > allowed_fails && !cooldown.is_zero() {
            f.cooling_until = Some(now + cooldown);
            f.window_start = None;
            f.count = 0;
            return true;
        }
        false
    }

    /// How long the deployment is still cooling down, if it is.
    pub fn cooling(&self, now: Instant) -> Option<Duration> {
        let f = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        f.cooling_until
            .and_then(|until| until.checked_duration_since(now))
            .filter(|left| !left.is_zero())
    }
}

/// Holds one in-flight slot of a deployment.
pub struct InFlightGuard(std::sync::Arc<Health>);

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cools_down_after_more_than_allowed_fails_in_a_minute() {
        let h = Health::default();
        let t0 = Instant::now();
        assert!(!h.record_failure(t0, 1, Duration::from_secs(5)));
        assert!(h.cooling(t0).is_none());
        assert!(h.record_failure(t0 + Duration::from_secs(1), 1, Duration::from_secs(5)));
        let left = h.cooling(t0 + Duration::from_secs(2)).expect("cooling");
        assert_eq!(left, Duration::from_secs(4));
        assert!(h.cooling(t0 + Duration::from_secs(6)).is_none());
    }

    #[test]
    fn failures_older_than_the_window_are_forgotten() {
        let h = Health::default();
        let t0 = Instant::now();
        assert!(!h.record_failure(t0, 1, Duration::from_secs(5)));
        assert!(!h.record_failure(t0 + FAIL_WINDOW, 1, Duration::from_secs(5)));
    }

    #[test]
    fn ttft_is_a_moving_average() {
        let h = Health::default();
        h.record_ttft(Duration::from_millis(100));
        h.record_ttft(Duration::from_millis(200));
        assert_eq!(h.ttft(), Some(Duration::from_millis(130)));
    }

    #[test]
    fn in_flight_guard_counts() {
        let h = std::sync::Arc::new(Health::default());
        let g = h.start();
        assert_eq!(h.in_flight(), 1);
        drop(g);
        assert_eq!(h.in_flight(), 0);
    }
}
