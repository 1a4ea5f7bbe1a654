//! The core's gRPC surface: the gateway service, `grpc.health.v1.Health`,
//! and server reflection (v1 and v1alpha), served on a bound listener until
//! a shutdown future resolves.

use std::future::Future;
use std::sync::Arc;

use arc_swap::ArcSwap;
use modelgate::connections::{ConnectionLimits, Listener, Refusal};
use modelgate::drain::Drain;
use modelgate::v1::gateway_server::GatewayServer;
use tokio::net::TcpListener;
use tonic::service::Routes;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::config::Config;
use crate::service::{CoreState, GatewayService};

/// Largest gRPC response message sent (a whole non-streamed answer, or many
/// embedding vectors). Request messages are bounded by `server.body_limit_mb`.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// The core's services, ready to serve on a socket or in process.
#[derive(Clone)]
pub struct Core {
    /// Gateway, health and reflection services.
    pub routes: Routes,
    /// Health status control (serving / not serving).
    pub health: HealthReporter,
    /// Shared request state, swapped whole by [`Core::reload`].
    pub state: Arc<ArcSwap<CoreState>>,
    /// Admits RPCs until shutdown begins (see [`Core::stop_serving`]).
    pub drain: Drain,
    /// Kept to build the state again on reload.
    pub(crate) client: reqwest::Client,
    /// The gateway service itself, for [`Core::local`].
    service: GatewayService,
}

/// Why the core could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The upstream HTTP client could not be created.
    #[error("cannot create the upstream HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    /// The reflection descriptors are unusable.
    #[error("cannot build gRPC reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
}

impl Core {
    /// Builds every service for `config`.
    pub async fn new(config: &Config) -> Result<Self, BuildError> {
        let client = crate::providers::http::client()?;
        let state = Arc::new(ArcSwap::from_pointee(CoreState::new(config, &client)));
        let drain = Drain::new();
        let service = GatewayService::new(state.clone(), drain.clone());
        // The same bound on a request as the HTTP facade's body limit: chat
        // requests carry inline images, and anything larger is refused before
        // it is buffered. Keys are checked before that (see `auth_first`).
        let gateway = GatewayServer::new(service.clone())
            .max_decoding_message_size(config.server.body_limit_bytes)
            .max_encoding_message_size(MAX_RESPONSE_BYTES);
        let gateway = crate::auth_first::AuthFirst::new(gateway, state.clone());
        let (health, health_service) = tonic_health::server::health_reporter();
        health.set_serving::<GatewayServer<GatewayService>>().await;
        health.set_service_status("", ServingStatus::Serving).await;
        let reflection = || {
            tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(modelgate::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        };
        let routes = Routes::new(crate::rpc_span::Traced::new(gateway))
            .add_service(health_service)
            .add_service(reflection().build_v1()?)
            .add_service(reflection().build_v1alpha()?);
        Ok(Self {
            routes,
            health,
            state,
            drain,
            client,
            service,
        })
    }

    /// The gateway as a direct call, for a facade in this process.
    pub fn local(&self) -> std::sync::Arc<dyn modelgate::local::LocalGateway> {
        std::sync::Arc::new(crate::local::Local(self.service.clone()))
    }
}

/// Serves `routes` on `listener` until `shutdown` resolves, with the default
/// connection limits.
pub async fn serve(
    listener: TcpListener,
    routes: Routes,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    serve_with(
        listener,
        routes,
        ConnectionLimits::default(),
        None,
        shutdown,
    )
    .await
}

/// Serves `routes` (HTTP/2 only) on `listener`, over TLS when `tls` is given, until
/// `shutdown` resolves. hyper serves the connections rather than tonic's server, which has no
/// handshake or idle timeout: a peer that connects and stays silent, or keeps a connection
/// with no stream open, is closed like on the HTTP port.
pub async fn serve_with(
    listener: TcpListener,
    routes: Routes,
    limits: ConnectionLimits,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let options = Listener {
        what: "grpc",
        limits,
        tls,
        http2_only: true,
        connection_window: Some(modelgate::GRPC_CONNECTION_WINDOW),
        // gRPC clients have no use for an HTTP answer: over the cap they see the connection
        // close and retry (UNAVAILABLE).
        refusal: Refusal::Close,
    };
    modelgate::connections::serve(listener, options, routes.prepare(), shutdown).await
}
