//! modelgate's configuration: a YAML file (modelgate's own sections, or a LiteLLM proxy
//! `config.yaml` unchanged), or, with no file, the usual provider environment variables.
//!
//! Loading is pure: every environment variable is read through an [`Env`], and the result is a
//! validated [`Config`] or a [`ConfigError`] naming the file, the key path and the fix.

mod connections;
mod env;
mod error;
mod from_env;
mod image_fetch;
mod lifecycle;
mod model_list;
mod providers;
mod raw;
mod routing;
mod validate;
mod yaml11;

// Tests unwrap: a panic there is a failed test, which is the point.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod litellm_forms_tests;
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod yaml_and_routing_tests;

use std::collections::BTreeMap;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::Path;
use std::time::Duration;

use secrecy::SecretString;

pub use env::{Env, MapEnv, ProcessEnv};
pub use error::ConfigError;
pub use image_fetch::{AllowEntry, AllowTarget, ImageFetchConfig, IpNet};
pub use providers::ProviderKind;
pub use routing::{
    DeploymentRouting, KeyLimits, RouterSettings, RoutingStrategy, alternatives_for,
};

/// Everything the gateway needs to start, validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file path as given, or `environment`.
    pub source: String,
    pub server: ServerConfig,
    pub auth: AuthConfig,
    pub cors: CorsConfig,
    /// Providers reachable as `name/model`, by name.
    pub providers: BTreeMap<String, ProviderConfig>,
    /// Aliases (`model_name`) and their deployments, in file order; one alias may repeat.
    pub model_list: Vec<Deployment>,
    /// `router_settings`: retries, timeouts, fallbacks, balancing, cooldowns.
    pub router: RouterSettings,
    /// `image_fetch`: fetching the http(s) image URLs clients send.
    pub image_fetch: ImageFetchConfig,
    /// One line each: sections or keys accepted but not acted on yet, or ignored.
    pub notices: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    pub http: SocketAddr,
    pub grpc: SocketAddr,
    pub body_limit_bytes: usize,
    /// How long in-flight requests get to finish after SIGTERM/SIGINT.
    pub shutdown_grace: Duration,
    /// Serve HTTP and gRPC over TLS with these PEM files.
    pub tls: Option<TlsFiles>,
    /// Timeouts, stream and connection caps of both listeners (each has its own cap).
    pub connections: modelgate::connections::ConnectionLimits,
    /// How long an HTTP client may take to send a request's body, from the end of its headers.
    pub body_timeout: Duration,
}

/// PEM certificate chain and private key files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: std::path::PathBuf,
    pub key: std::path::PathBuf,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            http: SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 8001)),
            grpc: SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 50051)),
            body_limit_bytes: 32 * 1024 * 1024,
            shutdown_grace: Duration::from_secs(30),
            tls: None,
            connections: modelgate::connections::ConnectionLimits::default(),
            body_timeout: Duration::from_secs(120),
        }
    }
}

/// Client keys; empty means no authentication is configured.
#[derive(Debug, Clone, Default)]
pub struct AuthConfig {
    pub keys: Vec<ClientKey>,
}

#[derive(Debug, Clone)]
pub struct ClientKey {
    /// Logged instead of the key.
    pub name: String,
    pub key: SecretString,
    /// `None` or `["*"]`: every model. An entry ending in `*` is a prefix pattern (`openai/*`).
    pub models: Option<Vec<String>>,
    /// `rpm`, `tpm`, `max_parallel_requests`.
    pub limits: KeyLimits,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CorsConfig {
    /// `*` or origins as browsers send them (`scheme://host[:port]`, no trailing slash).
    pub allow_origins: Vec<String>,
}

#[derive(Clone)]
pub struct ProviderConfig {
    pub name: String,
    pub kind: ProviderKind,
    /// An http(s) URL without trailing '/'.
    pub api_base: String,
    pub api_key: Option<SecretString>,
    /// Azure's `api-version` query parameter.
    pub api_version: Option<String>,
    /// An explicit list means no upstream discovery.
    pub models: Option<Vec<String>>,
    /// Whole-request timeout.
    pub timeout: Option<Duration>,
    /// Extra headers sent upstream, in file order.
    pub headers: Vec<(String, String)>,
    /// Whether `/v1/responses` goes to the upstream's own Responses API (OpenAI, Azure, and
    /// `kind: openai` servers by default) or through its chat API, translated.
    pub responses_api: bool,
}

// Header values often carry credentials, and an api_base may hold a password or a `?key=`:
// Debug shows header names and a redacted URL only.
impl fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("ProviderConfig")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("api_base", &redacted_url(&self.api_base))
            .field("api_key", &self.api_key)
            .field("api_version", &self.api_version)
            .field("models", &self.models)
            .field("timeout", &self.timeout)
            .field("headers", &header_names)
            .field("responses_api", &self.responses_api)
            .finish()
    }
}

pub(crate) fn redacted_url(text: &str) -> String {
    match reqwest::Url::parse(text) {
        Ok(mut url) if url.password().is_some() || url.query().is_some() => {
            if url.password().is_some() {
                // Fails only for URLs that cannot hold credentials, which this one does.
                let _ = url.set_password(Some("REDACTED"));
            }
            if url.query().is_some() {
                url.set_query(Some("REDACTED"));
            }
            url.to_string()
        }
        _ => text.to_owned(),
    }
}

/// One `model_list` entry: an alias served by a provider.
#[derive(Debug, Clone)]
pub struct Deployment {
    /// The name clients send; may contain `*` wildcards (`openai/*`, `*`).
    pub model_name: String,
    /// The provider with this entry's `litellm_params` overrides applied.
    pub provider: ProviderConfig,
    /// The model sent upstream (after the provider prefix); `*` passes the requested one through.
    pub upstream_model: String,
    pub model_info: Option<serde_json::Value>,
    /// Timeouts, weights and retries of this entry.
    pub routing: DeploymentRouting,
}

/// What `source` says when there is no file.
const ENVIRONMENT: &str = "environment";

impl Config {
    /// Reads and validates a YAML file; `os.environ/NAME` values are read from `env`.
    pub fn load_file(path: &Path, env: &dyn Env) -> Result<Config, ConfigError> {
        let source = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError::at(
                "",
                format!("cannot read the file ({e})"),
                "check the path given with --config or MODELGATE_CONFIG",
            )
            .in_file(&source)
        })?;
        Self::from_yaml_str(&text, &source, env)
    }

    /// Validates YAML text; `source` names it in errors and in [`Config::source`].
    pub fn from_yaml_str(text: &str, source: &str, env: &dyn Env) -> Result<Config, ConfigError> {
        let mut config = validate::from_yaml(text, env).map_err(|e| e.in_file(source))?;
        source.clone_into(&mut config.source);
        Ok(config)
    }

    /// The configuration without a file: providers and client keys from the usual variables.
    pub fn from_env(env: &dyn Env) -> Result<Config, ConfigError> {
        from_env::build(env).map_err(|e| e.in_file(ENVIRONMENT))
    }
}
