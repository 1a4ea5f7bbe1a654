//! The `server` keys about client connections: how long one may stay silent, how many streams
//! it may run at once, and how many may be open on a port.

use std::time::Duration;

use modelgate::connections::ConnectionLimits;

use super::error::ConfigError;
use super::raw::Scalar;

/// `server.header_timeout_seconds`, `idle_timeout_seconds`, `max_concurrent_streams` and
/// `max_connections`, each defaulting to [`ConnectionLimits::default`].
pub(super) fn limits(
    header_timeout: &Option<Scalar>,
    idle_timeout: &Option<Scalar>,
    max_concurrent_streams: &Option<Scalar>,
    max_connections: &Option<Scalar>,
) -> Result<ConnectionLimits, ConfigError> {
    let mut limits = ConnectionLimits::default();
    if let Some(Scalar(text)) = header_timeout {
        let seconds = whole("server.header_timeout_seconds", text, 1, 3_600, "e.g. 30")?;
        limits.header_timeout = Duration::from_secs(seconds);
    }
    if let Some(Scalar(text)) = idle_timeout {
        let seconds = whole("server.idle_timeout_seconds", text, 1, 86_400, "e.g. 60")?;
        limits.idle_timeout = Duration::from_secs(seconds);
    }
    if let Some(Scalar(text)) = max_concurrent_streams {
        let streams = whole(
            "server.max_concurrent_streams",
            text,
            1,
            100_000,
            "e.g. 200",
        )?;
        limits.max_concurrent_streams = u32::try_from(streams).unwrap_or(u32::MAX);
    }
    if let Some(Scalar(text)) = max_connections {
        let connections = whole("server.max_connections", text, 1, 1_000_000, "e.g. 10000")?;
        limits.max_connections = usize::try_from(connections).unwrap_or(usize::MAX);
    }
    Ok(limits)
}

/// `server.body_timeout_seconds`: from the end of a request's headers to the end of its body,
/// in total (not per read, so a client trickling one byte at a time cannot hold a connection).
pub(super) fn body_timeout(text: &str) -> Result<Duration, ConfigError> {
    let seconds = whole("server.body_timeout_seconds", text, 1, 3_600, "e.g. 120")?;
    Ok(Duration::from_secs(seconds))
}

fn whole(path: &str, text: &str, min: u64, max: u64, example: &str) -> Result<u64, ConfigError> {
    let fix = format!("give a whole number between {min} and {max}, {example}");
    let value: u64 = text
        .trim()
        .parse()
        .map_err(|_| ConfigError::at(path, format!("`{text}` is not a whole number"), &fix))?;
    if !(min..=max).contains(&value) {
        return Err(ConfigError::at(
            path,
            format!("{value} is out of range"),
            fix,
        ));
    }
    Ok(value)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::config::{Config, MapEnv};

    fn load(yaml: &str) -> Result<Config, ConfigError> {
        Config::from_yaml_str(yaml, "test.yaml", &MapEnv::default())
    }

    #[test]
    fn defaults_and_overrides() {
        let config = load("{}\n").unwrap();
        assert_eq!(config.server.connections, ConnectionLimits::default());
        assert_eq!(
            ConnectionLimits::default().header_timeout,
            Duration::from_secs(30)
        );
        assert_eq!(
            load("{}\n").unwrap().server.body_timeout,
            Duration::from_secs(120)
        );
        let config = load(
            "server: { header_timeout_seconds: 3, idle_timeout_seconds: 4, max_concurrent_streams: 5, max_connections: 6, body_timeout_seconds: 7 }\n",
        )
        .unwrap();
        assert_eq!(config.server.body_timeout, Duration::from_secs(7));
        let limits = config.server.connections;
        assert_eq!(limits.header_timeout, Duration::from_secs(3));
        assert_eq!(limits.idle_timeout, Duration::from_secs(4));
        assert_eq!(limits.max_concurrent_streams, 5);
        assert_eq!(limits.max_connections, 6);
    }

    #[test]
    fn bad_values_name_their_key() {
        for (yaml, path) in [
            (
                "server: { header_timeout_seconds: 0 }\n",
                "server.header_timeout_seconds",
            ),
            (
                "server: { body_timeout_seconds: 0 }\n",
                "server.body_timeout_seconds",
            ),
            (
                "server: { body_timeout_seconds: 3601 }\n",
                "server.body_timeout_seconds",
            ),
            (
                "server: { idle_timeout_seconds: soon }\n",
                "server.idle_timeout_seconds",
            ),
            (
                "server: { max_concurrent_streams: 0 }\n",
                "server.max_concurrent_streams",
            ),
            (
                "server: { max_connections: -1 }\n",
                "server.max_connections",
            ),
        ] {
            assert_eq!(load(yaml).unwrap_err().path, path, "{yaml}");
        }
    }
}
