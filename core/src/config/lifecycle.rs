//! The `server` keys about running the process rather than routing: the shutdown grace period
//! and the TLS files.

use std::path::PathBuf;
use std::time::Duration;

use super::error::ConfigError;
use super::raw::{RawTls, Scalar};

/// Longest grace period accepted: a day is already more than any orchestrator waits.
const MAX_GRACE_SECONDS: u64 = 86_400;

/// `server.shutdown_grace_seconds`: whole seconds, 0 allowed (cut streams at once).
pub(super) fn grace_seconds(text: &str) -> Result<Duration, ConfigError> {
    const PATH: &str = "server.shutdown_grace_seconds";
    let fix = "give whole seconds between 0 and 86400, e.g. 30";
    let seconds: u64 = super::routing::count(text, PATH)
        .map_err(|_| ConfigError::at(PATH, format!("`{text}` is not a whole number"), fix))?;
    if seconds > MAX_GRACE_SECONDS {
        return Err(ConfigError::at(PATH, format!("{seconds} is too long"), fix));
    }
    Ok(Duration::from_secs(seconds))
}

/// `server.tls`: both files are required; they are read when the servers start.
pub(super) fn tls_files(raw: RawTls) -> Result<super::TlsFiles, ConfigError> {
    let file = |value: Option<Scalar>, key: &str, what: &str| {
        value
            .map(|Scalar(s)| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
            .ok_or_else(|| {
                ConfigError::at(
                    format!("server.tls.{key}"),
                    "missing or empty",
                    format!("give the PEM file holding the {what}, or remove `server.tls`"),
                )
            })
    };
    Ok(super::TlsFiles {
        cert: file(raw.cert, "cert", "certificate chain")?,
        key: file(raw.key, "key", "private key")?,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::Duration;

    use crate::config::{Config, MapEnv, ServerConfig};

    fn load(yaml: &str) -> Result<Config, crate::config::ConfigError> {
        Config::from_yaml_str(yaml, "test.yaml", &MapEnv::default())
    }

    #[test]
    fn grace_period_defaults_to_thirty_seconds() {
        let config = load("providers: {}\n").unwrap();
        assert_eq!(config.server.shutdown_grace, Duration::from_secs(30));
        assert_eq!(
            ServerConfig::default().shutdown_grace,
            Duration::from_secs(30)
        );
    }

    #[test]
    fn grace_period_is_read_and_checked() {
        let config = load("server: { shutdown_grace_seconds: 5 }\n").unwrap();
        assert_eq!(config.server.shutdown_grace, Duration::from_secs(5));
        let config = load("server: { shutdown_grace_seconds: 0 }\n").unwrap();
        assert_eq!(config.server.shutdown_grace, Duration::ZERO);
        let err = load("server: { shutdown_grace_seconds: soon }\n").unwrap_err();
        assert_eq!(err.path, "server.shutdown_grace_seconds");
        let err = load("server: { shutdown_grace_seconds: 100000 }\n").unwrap_err();
        assert_eq!(err.path, "server.shutdown_grace_seconds");
    }

    #[test]
    fn tls_needs_both_files() {
        let config = load("server: { tls: { cert: a.pem, key: b.pem } }\n").unwrap();
        let tls = config.server.tls.unwrap();
        assert_eq!(tls.cert.to_str(), Some("a.pem"));
        assert_eq!(tls.key.to_str(), Some("b.pem"));
        let err = load("server: { tls: { cert: a.pem } }\n").unwrap_err();
        assert_eq!(err.path, "server.tls.key");
        let err = load("server: { tls: { cert: a.pem, key: b.pem, ca: c.pem } }\n").unwrap_err();
        assert_eq!(err.path, "server.tls.ca");
        assert!(load("providers: {}\n").unwrap().server.tls.is_none());
    }
}
