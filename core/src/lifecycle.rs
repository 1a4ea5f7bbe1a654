//! The core's part in the process lifecycle: stop serving on shutdown, and swap in a new
//! configuration without touching requests already running.

use std::path::Path;
use std::sync::Arc;

use modelgate::v1::gateway_server::GatewayServer;
use tonic::Status;
use tonic_health::ServingStatus;

use crate::config::{Config, ConfigError, Env};
use crate::grpc::Core;
use crate::service::{CoreState, GatewayService};

/// The status of an RPC refused or cut during shutdown (503 `shutting_down` over HTTP).
pub fn shutting_down() -> Status {
    modelgate::drain::shutting_down().into()
}

impl Core {
    /// Begins shutdown: gRPC health (and so the facade's readiness) turns NOT_SERVING and new
    /// RPCs are refused; RPCs already running go on until [`modelgate::drain::settle`] ends them.
    pub async fn stop_serving(&self) {
        self.health
            .set_not_serving::<GatewayServer<GatewayService>>()
            .await;
        self.health
            .set_service_status("", ServingStatus::NotServing)
            .await;
        self.drain.begin();
    }

    /// Serves new requests from `config`; requests already running keep the state they started
    /// with. Listen addresses, TLS and the body limit are read only at start-up.
    pub fn reload(&self, config: &Config) {
        let previous = self.state.load();
        self.state.store(Arc::new(CoreState::after(
            config,
            &self.client,
            Some(&previous),
        )));
    }

    /// Reads the configuration again from `file` (or the environment without one) and applies
    /// it; an invalid one is returned as the error and the running one is kept.
    pub fn reload_from(&self, file: Option<&Path>, env: &dyn Env) -> Result<Config, ConfigError> {
        let config = Self::read(file, env)?;
        self.reload(&config);
        Ok(config)
    }

    /// [`Core::reload_from`], applying the new configuration only if `check` (the binary's
    /// start-up checks, e.g. no open access on a public address) accepts it; otherwise the
    /// running one is kept and the refusal is returned.
    pub fn reload_checked(
        &self,
        file: Option<&Path>,
        env: &dyn Env,
        check: impl FnOnce(&Config) -> Result<(), String>,
    ) -> Result<Config, ReloadError> {
        let config = Self::read(file, env)?;
        check(&config).map_err(ReloadError::Refused)?;
        self.reload(&config);
        Ok(config)
    }

    fn read(file: Option<&Path>, env: &dyn Env) -> Result<Config, ConfigError> {
        match file {
            Some(path) => Config::load_file(path, env),
            None => Config::from_env(env),
        }
    }
}

/// Why a reload was not applied.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error(transparent)]
    Invalid(#[from] ConfigError),
    /// Valid, but refused by the same checks as at start-up.
    #[error("{0}")]
    Refused(String),
}
