//! The check that a gateway reachable from other machines has client keys: applied at
//! start-up and, with the same addresses and flag, to every reload, so that removing the
//! keys and sending SIGHUP cannot open a gateway that start-up would have refused.

use std::net::SocketAddr;

use modelgate_core::config::Config;

/// The addresses the process listens on and whether `--allow-unauthenticated` was given.
#[derive(Debug, Clone)]
pub struct OpenAccess {
    pub binds: Vec<SocketAddr>,
    pub allowed: bool,
}

impl OpenAccess {
    /// No client keys is fine on loopback (with a warning), refused elsewhere
    /// unless asked for explicitly.
    pub fn check(&self, config: &Config) -> Result<(), String> {
        if !config.auth.keys.is_empty() {
            return Ok(());
        }
        let binds = &self.binds;
        let exposed: Vec<String> = binds
            .iter()
            .filter(|a| !a.ip().is_loopback())
            .map(ToString::to_string)
            .collect();
        if exposed.is_empty() || self.allowed {
            tracing::warn!(
                "NO CLIENT KEYS CONFIGURED: anyone who can reach {binds:?} can use every model. \
                 Set MODELGATE_API_KEYS or `auth.keys` in the config."
            );
            return Ok(());
        }
        Err(format!(
            "no client keys are configured and {} is not a loopback address: anyone could spend your provider \
             credits. Set MODELGATE_API_KEYS (comma-separated) or `auth.keys` in the config, bind to 127.0.0.1, \
             or pass --allow-unauthenticated if this is really wanted",
            exposed.join(", ")
        ))
    }
}
