//! The time limits of one request: the caller's gRPC deadline (`grpc-timeout`), and per
//! attempt the connect, time-to-first-token, idle-gap and total limits of the deployment.

use std::time::Duration;

use tokio::time::Instant;
use tonic::metadata::MetadataMap;

use crate::config::RouterSettings;
use crate::router::Target;

/// Taken off the caller's deadline so that our own DEADLINE_EXCEEDED (with its message) gets
/// out before the transport gives up on the call.
const DEADLINE_MARGIN: Duration = Duration::from_millis(50);

/// The caller's deadline from `grpc-timeout` (`<digits><H|M|S|m|u|n>`), if it sent one.
pub fn deadline(meta: &MetadataMap) -> Option<Instant> {
    let text = meta.get("grpc-timeout")?.to_str().ok()?;
    let budget = parse_grpc_timeout(text)?;
    let margin = DEADLINE_MARGIN.min(budget / 10);
    Some(Instant::now() + budget.saturating_sub(margin))
}

fn parse_grpc_timeout(text: &str) -> Option<Duration> {
    let (digits, unit) = text.split_at(text.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 8 {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.saturating_mul(3600)),
        "M" => Duration::from_secs(n.saturating_mul(60)),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// An upstream client like the shared one (redirects never followed), with another connect
/// limit.
pub fn client_with_connect_timeout(limit: Duration) -> Result<reqwest::Client, reqwest::Error> {
    crate::providers::http::client_builder()
        .connect_timeout(limit)
        .build()
}

/// One attempt's limits, as instants.
#[derive(Debug, Clone, Copy)]
pub struct AttemptLimits {
    /// By when the first chunk must have arrived.
    pub first_token: Option<Instant>,
    /// Longest silence between two chunks of a stream.
    pub idle: Option<Duration>,
    /// By when the whole answer must be done (the caller's deadline included).
    pub total: Option<Instant>,
}

impl AttemptLimits {
    /// `timeout` caps the whole attempt; for streams `stream_timeout` caps the time to first
    /// token and each gap between chunks. The deployment's values win over `router_settings`.
    pub fn new(
        target: &Target,
        settings: &RouterSettings,
        stream: bool,
        start: Instant,
        deadline: Option<Instant>,
    ) -> Self {
        let total = target
            .routing
            .timeout
            .or(settings.timeout)
            .map(|t| start + t);
        let total = earliest(total, deadline);
        let stream_timeout = stream
            .then(|| target.routing.stream_timeout.or(settings.stream_timeout))
            .flatten();
        AttemptLimits {
            first_token: earliest(stream_timeout.map(|t| start + t), total),
            idle: stream_timeout,
            total,
        }
    }
}

pub fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_grpc_timeouts() {
        assert_eq!(parse_grpc_timeout("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse_grpc_timeout("2S"), Some(Duration::from_secs(2)));
        assert_eq!(parse_grpc_timeout("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_grpc_timeout("m"), None);
        assert_eq!(parse_grpc_timeout("123456789S"), None);
        assert_eq!(parse_grpc_timeout("5x"), None);
    }
}
