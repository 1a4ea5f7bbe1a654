//! Per-client-key limits (`rpm`, `tpm`, `max_parallel_requests`) behind [`RateLimiter`], so a
//! shared store can back them later; [`InMemoryLimiter`] counts on one instance in one-minute
//! windows. Answers carry OpenAI's `x-ratelimit-*` headers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use modelgate::error::{ErrorKind, GatewayError};

use crate::config::KeyLimits;

const WINDOW: Duration = Duration::from_secs(60);
/// What a caller over `max_parallel_requests` is told to wait.
const PARALLEL_RETRY: Duration = Duration::from_secs(1);

/// Where a key stands after an admission: OpenAI's `x-ratelimit-*` values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    pub limits: KeyLimits,
    pub remaining_requests: u64,
    pub remaining_tokens: u64,
    /// Time until the request and token counts start over.
    pub reset: Duration,
}

impl Usage {
    /// `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` for the limits that are set.
    pub fn headers(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let reset = duration_text(self.reset);
        if let Some(rpm) = self.limits.rpm {
            out.push(("x-ratelimit-limit-requests".into(), rpm.to_string()));
            out.push((
                "x-ratelimit-remaining-requests".into(),
                self.remaining_requests.to_string(),
            ));
            out.push(("x-ratelimit-reset-requests".into(), reset.clone()));
        }
        if let Some(tpm) = self.limits.tpm {
            out.push(("x-ratelimit-limit-tokens".into(), tpm.to_string()));
            out.push((
                "x-ratelimit-remaining-tokens".into(),
                self.remaining_tokens.to_string(),
            ));
            out.push(("x-ratelimit-reset-tokens".into(), reset));
        }
        out
    }
}

/// OpenAI writes resets as Go durations: `20ms`, `1s`, `6m0s`.
pub fn duration_text(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        return format!("{}ms", d.as_millis());
    }
    let secs = d.as_millis().div_ceil(1000);
    if secs < 60 {
        format!("{secs}s")
    } else {
        format!("{}m{}s", secs / 60, secs % 60)
    }
}

/// A held admission: releases the parallel slot and books the tokens used when dropped.
pub struct Permit {
    limiter: Arc<dyn RateLimiter>,
    key: String,
    tokens: u64,
    pub usage: Usage,
}

impl Permit {
    /// The tokens this request has used so far (the latest usage report).
    pub fn set_tokens(&mut self, tokens: u64) {
        self.tokens = tokens;
    }

    /// Counts one more upstream attempt (a retry or a fallback) of this request against the
    /// key's `rpm` and `tpm`, or refuses it; the headers then show what is left.
    pub async fn count_attempt(&mut self) -> Result<(), GatewayError> {
        let usage = self
            .limiter
            .admit_attempt(&self.key, self.usage.limits)
            .await?;
        self.usage = usage;
        Ok(())
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.limiter.finish(&self.key, self.tokens);
    }
}

/// Admits requests of client keys within their limits.
pub trait RateLimiter: Send + Sync {
    /// Counts one request of `key`, or refuses it with 429 `rate_limit_exceeded`, the
    /// `Retry-After` and the `x-ratelimit-*` headers.
    fn admit(&self, key: &str, limits: KeyLimits) -> BoxFuture<'_, Result<Usage, GatewayError>>;

    /// Counts one more upstream attempt of an admitted request (a retry or a fallback) as a
    /// request of `key`, so that one client request cannot make more upstream calls than the
    /// key's `rpm` allows. It takes no parallel slot (the request holds one already).
    fn admit_attempt(
        &self,
        key: &str,
        limits: KeyLimits,
    ) -> BoxFuture<'_, Result<Usage, GatewayError>>;

    /// Ends an admitted request: frees its parallel slot and adds the tokens it used. Runs on
    /// drop, so it must not block; a shared store would send its update in the background.
    fn finish(&self, key: &str, tokens: u64);

    /// Forgets the counters of every key not in `keys` (after a reload removed a key or its
    /// limits), so what is held stays bounded by the configuration.
    fn retain(&self, keys: &std::collections::HashSet<String>);
}

/// Admits one request and returns the permit that ends it.
pub async fn acquire(
    limiter: &Arc<dyn RateLimiter>,
    key: &str,
    limits: KeyLimits,
) -> Result<Permit, GatewayError> {
    let usage = limiter.admit(key, limits).await?;
    Ok(Permit {
        limiter: limiter.clone(),
        key: key.to_owned(),
        tokens: 0,
        usage,
    })
}

/// Counts per key in fixed one-minute windows, in this process only.
#[derive(Default)]
pub struct InMemoryLimiter {
    keys: Mutex<HashMap<String, KeyState>>,
}

#[derive(Default)]
struct KeyState {
    window_start: Option<Instant>,
    requests: u64,
    tokens: u64,
    parallel: u64,
}

impl InMemoryLimiter {
    fn admit_at(&self, key: &str, limits: KeyLimits, now: Instant) -> Result<Usage, GatewayError> {
        self.count_at(key, limits, now, true)
    }

    /// One request of `key`; `new_request` also takes a parallel slot (an attempt of an
    /// admitted request has one).
    fn count_at(
        &self,
        key: &str,
        limits: KeyLimits,
        now: Instant,
        new_request: bool,
    ) -> Result<Usage, GatewayError> {
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        let st = keys.entry(key.to_owned()).or_default();
        let start = match st.window_start {
            Some(start) if now.duration_since(start) < WINDOW => start,
            _ => {
                st.window_start = Some(now);
                st.requests = 0;
                st.tokens = 0;
                now
            }
        };
        let reset = (start + WINDOW).saturating_duration_since(now);
        let usage = |st: &KeyState| Usage {
            limits,
            remaining_requests: limits.rpm.map_or(0, |l| l.saturating_sub(st.requests)),
            remaining_tokens: limits.tpm.map_or(0, |l| l.saturating_sub(st.tokens)),
            reset,
        };
        let refuse = |st: &KeyState, what: String, wait: Duration| {
            let mut err = GatewayError::new(
                ErrorKind::RateLimited,
                format!(
                    "Rate limit reached for key `{key}`: {what}. Please try again in {}.",
                    duration_text(wait)
                ),
            )
            .with_code("rate_limit_exceeded")
            .with_retry_after(wait);
            err.add_headers(usage(st).headers());
            err
        };
        if let Some(rpm) = limits.rpm
            && st.requests >= rpm
        {
            return Err(refuse(
                st,
                format!("limit {rpm} requests per minute"),
                reset,
            ));
        }
        if let Some(tpm) = limits.tpm
            && st.tokens >= tpm
        {
            return Err(refuse(
                st,
                format!("limit {tpm} tokens per minute, used {}", st.tokens),
                reset,
            ));
        }
        if let Some(max) = limits.max_parallel_requests
            && new_request
            && st.parallel >= max
        {
            return Err(refuse(
                st,
                format!("limit {max} requests in parallel"),
                PARALLEL_RETRY,
            ));
        }
        st.requests += 1;
        if new_request {
            st.parallel += 1;
        }
        Ok(usage(st))
    }
}

impl RateLimiter for InMemoryLimiter {
    fn admit(&self, key: &str, limits: KeyLimits) -> BoxFuture<'_, Result<Usage, GatewayError>> {
        let result = self.admit_at(key, limits, Instant::now());
        Box::pin(async move { result })
    }

    fn admit_attempt(
        &self,
        key: &str,
        limits: KeyLimits,
    ) -> BoxFuture<'_, Result<Usage, GatewayError>> {
        let result = self.count_at(key, limits, Instant::now(), false);
        Box::pin(async move { result })
    }

    fn finish(&self, key: &str, tokens: u64) {
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(st) = keys.get_mut(key) {
            st.parallel = st.parallel.saturating_sub(1);
            st.tokens = st.tokens.saturating_add(tokens);
        }
    }

    fn retain(&self, keep: &std::collections::HashSet<String>) {
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        keys.retain(|name, _| keep.contains(name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(rpm: Option<u64>, tpm: Option<u64>, parallel: Option<u64>) -> KeyLimits {
        KeyLimits {
            rpm,
            tpm,
            max_parallel_requests: parallel,
        }
    }

    #[test]
    fn rpm_refuses_until_the_window_ends() {
        let l = InMemoryLimiter::default();
        let t0 = Instant::now();
        let lim = limits(Some(2), None, None);
        let u = l.admit_at("k", lim, t0).expect("first");
        assert_eq!(u.remaining_requests, 1);
        assert!(l.admit_at("k", lim, t0).is_ok());
        let err = l
            .admit_at("k", lim, t0 + Duration::from_secs(10))
            .expect_err("third");
        assert_eq!(err.http_status(), 429);
        assert_eq!(err.code.as_deref(), Some("rate_limit_exceeded"));
        assert_eq!(err.retry_after(), Some(Duration::from_secs(50)));
        assert!(
            err.headers()
                .contains(&("x-ratelimit-remaining-requests".into(), "0".into()))
        );
        assert!(l.admit_at("k", lim, t0 + WINDOW).is_ok());
        // Other keys are counted apart.
        assert!(l.admit_at("other", lim, t0).is_ok());
    }

    #[test]
    fn tpm_counts_finished_requests_and_parallel_slots_free_on_finish() {
        let l = InMemoryLimiter::default();
        let t0 = Instant::now();
        let lim = limits(None, Some(100), Some(1));
        assert!(l.admit_at("k", lim, t0).is_ok());
        assert!(l.admit_at("k", lim, t0).is_err(), "second parallel request");
        l.finish("k", 150);
        let err = l.admit_at("k", lim, t0).expect_err("tokens used up");
        assert!(err.message.contains("tokens per minute"), "{}", err.message);
        assert!(l.admit_at("k", lim, t0 + WINDOW).is_ok());
    }

    #[test]
    fn attempts_count_against_rpm_but_take_no_parallel_slot() {
        let l = InMemoryLimiter::default();
        let t0 = Instant::now();
        let lim = limits(Some(2), None, Some(1));
        assert!(l.admit_at("k", lim, t0).is_ok());
        let u = l.count_at("k", lim, t0, false).expect("second attempt");
        assert_eq!(u.remaining_requests, 0);
        let err = l.count_at("k", lim, t0, false).expect_err("third attempt");
        assert_eq!(err.http_status(), 429);
    }

    #[test]
    fn retain_forgets_removed_keys_only() {
        let l = InMemoryLimiter::default();
        let t0 = Instant::now();
        let lim = limits(Some(1), None, None);
        assert!(l.admit_at("kept", lim, t0).is_ok());
        assert!(l.admit_at("removed", lim, t0).is_ok());
        l.retain(&["kept".to_owned()].into_iter().collect());
        assert!(l.admit_at("kept", lim, t0).is_err(), "still counted");
        assert!(l.admit_at("removed", lim, t0).is_ok(), "counted afresh");
    }

    #[test]
    fn durations_read_like_openai() {
        assert_eq!(duration_text(Duration::from_millis(20)), "20ms");
        assert_eq!(duration_text(Duration::from_millis(1000)), "1s");
        assert_eq!(duration_text(Duration::from_secs(360)), "6m0s");
    }
}
