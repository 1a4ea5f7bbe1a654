//! Command-line interface. Every flag also reads a `MODELGATE_*` variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// modelgate: one OpenAI-compatible endpoint and one key for every model.
#[derive(Debug, Parser)]
#[command(name = "modelgate", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub log: crate::log_args::LogArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the core and the HTTP facade in one process (the facade calls the
    /// core in process, without a socket).
    Serve {
        #[command(flatten)]
        config: ConfigArgs,
        /// HTTP (OpenAI REST/SSE) listen address [default: 0.0.0.0:8001].
        #[arg(long, env = "MODELGATE_HTTP_ADDR")]
        http: Option<SocketAddr>,
        /// gRPC listen address [default: 0.0.0.0:50051].
        #[arg(long, env = "MODELGATE_GRPC_ADDR")]
        grpc: Option<SocketAddr>,
        #[command(flatten)]
        unauth: UnauthArgs,
    },
    /// Run only the gRPC core.
    Core {
        #[command(flatten)]
        config: ConfigArgs,
        /// gRPC listen address [default: 0.0.0.0:50051].
        #[arg(long, env = "MODELGATE_GRPC_ADDR")]
        grpc: Option<SocketAddr>,
        /// Serve Prometheus `GET /metrics` on this address (the core's
        /// request metrics live in this process when run apart).
        #[arg(long, env = "MODELGATE_METRICS_ADDR")]
        metrics: Option<SocketAddr>,
        #[command(flatten)]
        unauth: UnauthArgs,
    },
    /// Run only the HTTP facade, calling a core over gRPC.
    Facade {
        /// The core's URL, e.g. http://127.0.0.1:50051.
        #[arg(long, env = "MODELGATE_CORE_URL")]
        core_url: String,
        /// HTTP listen address [default: 0.0.0.0:8001].
        #[arg(long, env = "MODELGATE_HTTP_ADDR")]
        http: Option<SocketAddr>,
        /// Config file (its `server` and `cors` sections are used here).
        #[arg(long, env = "MODELGATE_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Validate a config file and print what it resolves to.
    CheckConfig {
        /// The YAML file to check.
        file: PathBuf,
    },
    /// GET a health URL and exit 0 if it answers 200, 1 otherwise (container
    /// health checks in images without curl).
    Healthcheck {
        /// The URL to check.
        #[arg(
            long,
            env = "MODELGATE_HEALTHCHECK_URL",
            default_value = "http://127.0.0.1:8001/health"
        )]
        url: String,
    },
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// YAML config file; without one, providers and keys come from the
    /// environment (OPENAI_API_KEY, …, MODELGATE_API_KEYS).
    #[arg(long, env = "MODELGATE_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct UnauthArgs {
    /// Start without client keys even on a non-loopback address.
    #[arg(long, env = "MODELGATE_ALLOW_UNAUTHENTICATED")]
    pub allow_unauthenticated: bool,
}
