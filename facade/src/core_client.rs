//! The facade's handle on the core: the same gRPC client whether the core
//! runs in this process (called directly as a tower service, no socket) or
//! elsewhere (over an HTTP/2 channel). In process, `ChatCompletion` and
//! `CreateResponse` skip even the tower service: it is called as a function (see
//! [`modelgate::local`]).

use std::sync::Arc;

use modelgate::local::{ChunkStream, EventStream, LocalGateway};
use modelgate::v1::gateway_client::GatewayClient;
use modelgate::v1::{AuthenticateRequest, ChatCompletionRequest, ResponseRequest};
use tonic::body::Body;
use tonic::metadata::AsciiMetadataValue;
use tonic_health::pb::health_client::HealthClient;
use tower::util::BoxCloneSyncService;
use tower::{BoxError, ServiceExt};

use crate::key_check::Accepted;

/// Any transport that carries gRPC requests to the core.
pub type CoreTransport =
    BoxCloneSyncService<http::Request<Body>, http::Response<Body>, TransportError>;

/// A failure to carry a request to the core. A concrete type rather than a
/// boxed trait object: tonic's client bounds then hold for every lifetime,
/// which axum's `Send` handler futures need.
#[derive(Debug)]
pub struct TransportError(BoxError);

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// Largest request message sent to the core until [`CoreClient::with_request_limit`] sets
/// the body limit (the body limit's default).
const DEFAULT_REQUEST_BYTES: usize = crate::routes::DEFAULT_BODY_LIMIT;

/// Largest response message accepted from the core (a whole non-streamed
/// answer, or many embedding vectors).
const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// Streams per connection to a core whose limit is not known: its default.
const DEFAULT_STREAMS_PER_CONNECTION: usize = 200;

/// Clients for the core's gateway and health services.
#[derive(Clone)]
pub struct CoreClient {
    /// The gateway service.
    pub gateway: GatewayClient<CoreTransport>,
    /// The standard health service.
    pub health: HealthClient<CoreTransport>,
    /// `ChatCompletion` and `CreateResponse` as direct calls when the core runs in this
    /// process.
    local: Option<Arc<dyn LocalGateway>>,
    /// Credentials the remote core accepted lately (unused in process).
    accepted: Arc<Accepted>,
}

impl CoreClient {
    /// Calls the core's services in process: `routes` is the core's router,
    /// `local` its direct `ChatCompletion` (no protobuf round trip per chunk).
    pub fn in_process(routes: tonic::service::Routes, local: Arc<dyn LocalGateway>) -> Self {
        let svc = ServiceExt::<http::Request<Body>>::map_err(routes, |never| -> TransportError {
            match never {}
        });
        Self {
            local: Some(local),
            ..Self::over(BoxCloneSyncService::new(svc))
        }
    }

    /// The same client with request messages bounded by `bytes` (the HTTP body limit, which
    /// the core's server applies too).
    pub fn with_request_limit(mut self, bytes: usize) -> Self {
        self.gateway = self.gateway.max_encoding_message_size(bytes);
        self
    }

    /// Asks the core whether `credential` (the `authorization` metadata) is a valid key:
    /// directly in process; over gRPC with `Authenticate`, remembering a "yes" for
    /// [`crate::key_check::ACCEPTED_TTL`].
    pub async fn authenticate(
        &self,
        credential: Option<AsciiMetadataValue>,
    ) -> Result<(), tonic::Status> {
        let mut request = tonic::Request::new(AuthenticateRequest {});
        if let Some(value) = &credential {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        if let Some(local) = &self.local {
            return local.authenticate(request.metadata()).map(drop);
        }
        let digest = Accepted::digest(credential.as_ref());
        if self.accepted.holds(&digest) {
            return Ok(());
        }
        self.gateway.clone().authenticate(request).await?;
        self.accepted.insert(digest);
        Ok(())
    }

    /// `modelgate.v1.Gateway/ChatCompletion`, directly or over gRPC.
    pub async fn chat_completion(
        &self,
        request: tonic::Request<ChatCompletionRequest>,
    ) -> Result<tonic::Response<ChunkStream>, tonic::Status> {
        match &self.local {
            Some(local) => local.chat_completion(request).await,
            None => {
                let response = self.gateway.clone().chat_completion(request).await?;
                Ok(response.map(|chunks| Box::pin(chunks) as ChunkStream))
            }
        }
    }

    /// `modelgate.v1.Gateway/CreateResponse`, directly or over gRPC.
    pub async fn create_response(
        &self,
        request: tonic::Request<ResponseRequest>,
    ) -> Result<tonic::Response<EventStream>, tonic::Status> {
        match &self.local {
            Some(local) => local.create_response(request).await,
            None => {
                let response = self.gateway.clone().create_response(request).await?;
                Ok(response.map(|events| Box::pin(events) as EventStream))
            }
        }
    }

    /// Calls a core at `url` (`http://host:50051`). Connects lazily, so the
    /// facade can start before the core and reports readiness when it is up.
    pub fn connect(url: &str) -> Result<Self, tonic::transport::Error> {
        Self::connect_pooled(url, DEFAULT_STREAMS_PER_CONNECTION)
    }

    /// Like [`CoreClient::connect`], opening another connection to the core
    /// for every `streams_per_connection` streams in flight (the core's
    /// `server.max_concurrent_streams`).
    pub fn connect_pooled(
        url: &str,
        streams_per_connection: usize,
    ) -> Result<Self, tonic::transport::Error> {
        let endpoint = tonic::transport::Endpoint::from_shared(url.to_owned())?
            .tcp_nodelay(true)
            .initial_connection_window_size(modelgate::GRPC_CONNECTION_WINDOW)
            .connect_timeout(std::time::Duration::from_secs(5))
            // Finds a core that vanished under an open stream; an idle connection is the
            // core's to close (`server.idle_timeout_seconds`) and is reopened on demand.
            .http2_keep_alive_interval(modelgate::connections::KEEPALIVE_INTERVAL)
            .keep_alive_timeout(modelgate::connections::KEEPALIVE_TIMEOUT);
        let pool = crate::core_pool::Pool::new(endpoint, streams_per_connection);
        Ok(Self::over(BoxCloneSyncService::new(
            pool.map_err(|e| TransportError(e.into())),
        )))
    }

    fn over(transport: CoreTransport) -> Self {
        Self {
            gateway: GatewayClient::new(transport.clone())
                .max_decoding_message_size(MAX_RESPONSE_BYTES)
                .max_encoding_message_size(DEFAULT_REQUEST_BYTES),
            health: HealthClient::new(transport),
            local: None,
            accepted: Arc::default(),
        }
    }
}
