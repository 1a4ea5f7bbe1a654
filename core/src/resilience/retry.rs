//! Which failures are worth another attempt, which count against a deployment, and how long
//! to wait before retrying the same deployment.

use std::time::Duration;

use modelgate::error::{ErrorKind, GatewayError};

/// Longest exponential backoff step.
const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// Upstream `Retry-After` values past this are not waited for inside one request.
pub const MAX_HONOURED_RETRY_AFTER: Duration = Duration::from_secs(60);

/// What a failed attempt means for the rest of the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Connect errors, 408/429/5xx, timeouts: try again (another deployment, or later).
    Transient,
    /// The prompt does not fit: `context_window_fallbacks`.
    ContextWindow,
    /// The provider's content policy refused: `content_policy_fallbacks`.
    ContentPolicy,
    /// Anything else the upstream refused: only `fallbacks` may help.
    Other,
}

pub fn classify(err: &GatewayError) -> Failure {
    let code = err.code.as_deref().unwrap_or_default();
    let message = err.message.to_ascii_lowercase();
    if code == "context_length_exceeded"
        || message.contains("maximum context length")
        || message.contains("context window")
        || message.contains("prompt is too long")
    {
        return Failure::ContextWindow;
    }
    if matches!(
        code,
        "content_policy_violation" | "content_filter" | "ResponsibleAIPolicyViolation"
    ) {
        return Failure::ContentPolicy;
    }
    match err.kind {
        ErrorKind::Unavailable | ErrorKind::Timeout | ErrorKind::RateLimited => Failure::Transient,
        _ => Failure::Other,
    }
}

/// Failures that say the deployment (not the request) is in trouble: they count towards its
/// cooldown. A bad provider key (401/403) does too: every request would fail the same way.
pub fn counts_against_deployment(err: &GatewayError) -> bool {
    classify(err) == Failure::Transient
        || matches!(
            err.kind,
            ErrorKind::Unauthenticated | ErrorKind::PermissionDenied
        )
}

/// The wait before retry number `retry` (0-based) of the same deployment: exponential from
/// `base` with jitter (half to full step), at least `minimum` and at least what the upstream
/// asked for in `Retry-After` (up to [`MAX_HONOURED_RETRY_AFTER`]).
pub fn backoff(retry: u32, base: Duration, minimum: Duration, asked: Option<Duration>) -> Duration {
    let step = base
        .saturating_mul(1u32 << retry.min(16))
        .min(MAX_BACKOFF.max(base));
    let jittered = step.mul_f64(0.5 + rand::random::<f64>() * 0.5);
    let asked = asked
        .filter(|a| *a <= MAX_HONOURED_RETRY_AFTER)
        .unwrap_or_default();
    jittered.max(minimum).max(asked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_openai_errors() {
        let e = GatewayError::new(
            ErrorKind::InvalidRequest,
            "This model's maximum context length is 8192 tokens.",
        )
        .with_code("context_length_exceeded");
        assert_eq!(classify(&e), Failure::ContextWindow);
        let e = GatewayError::new(ErrorKind::InvalidRequest, "refused")
            .with_code("content_policy_violation");
        assert_eq!(classify(&e), Failure::ContentPolicy);
        assert_eq!(
            classify(&GatewayError::new(ErrorKind::RateLimited, "x")),
            Failure::Transient
        );
        assert_eq!(
            classify(&GatewayError::new(ErrorKind::Timeout, "x")),
            Failure::Transient
        );
        assert_eq!(
            classify(&GatewayError::new(ErrorKind::Unavailable, "x")),
            Failure::Transient
        );
        assert_eq!(
            classify(&GatewayError::invalid("model", "bad")),
            Failure::Other
        );
        assert!(counts_against_deployment(&GatewayError::new(
            ErrorKind::Unauthenticated,
            "key"
        )));
        assert!(!counts_against_deployment(&GatewayError::invalid(
            "x", "bad"
        )));
    }

    #[test]
    fn backoff_grows_with_jitter_and_honours_retry_after() {
        let base = Duration::from_millis(100);
        for retry in 0..4 {
            let full = base * (1 << retry);
            let got = backoff(retry, base, Duration::ZERO, None);
            assert!(got >= full / 2 && got <= full, "{retry}: {got:?}");
        }
        assert_eq!(
            backoff(0, base, Duration::ZERO, Some(Duration::from_secs(1))),
            Duration::from_secs(1)
        );
        assert_eq!(
            backoff(0, base, Duration::from_secs(2), None),
            Duration::from_secs(2)
        );
        // An absurd Retry-After is not waited for inside the request.
        assert!(backoff(0, base, Duration::ZERO, Some(Duration::from_secs(3600))) <= base);
        assert!(backoff(30, base, Duration::ZERO, None) <= MAX_BACKOFF);
    }

    #[test]
    fn upstream_retry_after_is_honoured_up_to_exactly_60_seconds() {
        let base = Duration::from_millis(100);
        let asked = |secs: u64| backoff(0, base, Duration::ZERO, Some(Duration::from_secs(secs)));
        assert_eq!(asked(60), Duration::from_secs(60));
        // Past the cap the ask is not waited for at all (not cut to 60 s): the backoff stands.
        assert!(asked(61) <= base, "{:?}", asked(61));
        // A configured `retry_after` still holds when the upstream's ask is ignored.
        assert_eq!(
            backoff(
                0,
                base,
                Duration::from_secs(2),
                Some(Duration::from_secs(61))
            ),
            Duration::from_secs(2)
        );
    }
}
