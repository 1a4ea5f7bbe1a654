//! The `modelgate.v1.Gateway` service: authenticate, route, call the
//! provider, and relay its chunks without a channel in between, so a caller
//! that goes away drops the upstream request at once.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::{Stream, StreamExt};
use modelgate::error::GatewayError;
use modelgate::v1::gateway_server::Gateway;
use modelgate::v1::{
    ChatCompletionChunk, ChatCompletionRequest, EmbedRequest, EmbedResponse, ListModelsRequest,
    ListModelsResponse, Role,
};
use tonic::{Request, Response, Status};

use crate::auth::{self, Auth, Caller};
use crate::config::Config;
use crate::discovery::Discovery;
use crate::providers::ChunkStream;
use crate::request_log::RequestLog;
use crate::router::Router;

/// Everything a request needs, built once from the config.
pub struct CoreState {
    pub auth: Auth,
    pub router: Router,
    pub discovery: Discovery,
}

impl CoreState {
    /// Builds adapters, routes and the catalogue for `config`.
    pub fn new(config: &Config, client: &reqwest::Client) -> Self {
        let router = Router::new(config, client);
        let discovery = Discovery::new(config, &router);
        Self {
            auth: Auth::new(&config.auth.keys),
            router,
            discovery,
        }
    }
}

/// The gRPC service.
#[derive(Clone)]
pub struct GatewayService {
    state: Arc<CoreState>,
}

impl GatewayService {
    /// A service over `state`.
    pub fn new(state: Arc<CoreState>) -> Self {
        Self { state }
    }

    fn caller<T>(&self, request: &Request<T>) -> Result<Caller, Status> {
        self.state
            .auth
            .authenticate(request.metadata())
            .map_err(Status::from)
    }
}

type ChunkResult = Result<ChatCompletionChunk, Status>;

#[tonic::async_trait]
impl Gateway for GatewayService {
    async fn list_models(
        &self,
        request: Request<ListModelsRequest>,
    ) -> Result<Response<ListModelsResponse>, Status> {
        let caller = self.caller(&request)?;
        let models = self
            .state
            .discovery
            .list()
            .await
            .into_iter()
            .filter(|m| caller.may_use(&m.id))
            .collect();
        Ok(Response::new(ListModelsResponse { models }))
    }

    type ChatCompletionStream = Pin<Box<dyn Stream<Item = ChunkResult> + Send>>;

    async fn chat_completion(
        &self,
        request: Request<ChatCompletionRequest>,
    ) -> Result<Response<Self::ChatCompletionStream>, Status> {
        let caller = self.caller(&request)?;
        let request_id = request_id(&request);
        let mut req = request.into_inner();
        let mut log = RequestLog::start(
            request_id,
            caller.name.clone(),
            req.model.clone(),
            req.stream,
        );
        match self.start_chat(&caller, &mut req, &mut log).await {
            Ok(stream) => Ok(Response::new(stream)),
            Err(err) => {
                log.fail(&err);
                Err(err.into())
            }
        }
    }

    async fn embed(
        &self,
        request: Request<EmbedRequest>,
    ) -> Result<Response<EmbedResponse>, Status> {
        let caller = self.caller(&request)?;
        let request_id = request_id(&request);
        let mut req = request.into_inner();
        let mut log = RequestLog::start(request_id, caller.name.clone(), req.model.clone(), false);
        let result = async {
            if req.model.is_empty() {
                return Err(GatewayError::invalid(
                    "model",
                    "Missing required parameter: 'model'.",
                ));
            }
            if req.input.is_empty() && req.token_input.is_empty() {
                return Err(GatewayError::invalid("input", "'input' must not be empty."));
            }
            if !caller.may_use(&req.model) {
                return Err(auth::not_allowed(&caller, &req.model));
            }
            let target = self.state.router.resolve(&req.model)?;
            log.provider.clone_from(&target.provider_name);
            log.upstream_model.clone_from(&target.upstream_model);
            req.model = target.upstream_model;
            target.provider.embed(req).await
        }
        .await;
        match result {
            Ok(resp) => {
                if let Some(usage) = resp.usage {
                    log.usage(modelgate::v1::Usage {
                        prompt_tokens: usage.prompt_tokens,
                        total_tokens: usage.total_tokens,
                        ..Default::default()
                    });
                }
                log.finish();
                Ok(Response::new(resp))
            }
            Err(err) => {
                log.fail(&err);
                Err(err.into())
            }
        }
    }
}

impl GatewayService {
    /// Routes and calls the provider, then waits for the first chunk so that
    /// failures before any output are returned as the RPC's status.
    async fn start_chat(
        &self,
        caller: &Caller,
        req: &mut ChatCompletionRequest,
        log: &mut RequestLog,
    ) -> Result<<Self as Gateway>::ChatCompletionStream, GatewayError> {
        validate(req)?;
        if !caller.may_use(&req.model) {
            return Err(auth::not_allowed(caller, &req.model));
        }
        let target = self.state.router.resolve(&req.model)?;
        log.provider.clone_from(&target.provider_name);
        log.upstream_model.clone_from(&target.upstream_model);
        let upstream_req = ChatCompletionRequest {
            model: target.upstream_model.clone(),
            ..std::mem::take(req)
        };
        let mut upstream = target.provider.chat(upstream_req).await?;
        let first = match upstream.next().await {
            Some(Ok(chunk)) => chunk,
            Some(Err(err)) => return Err(err),
            None => {
                return Err(GatewayError::new(
                    modelgate::error::ErrorKind::Unavailable,
                    format!(
                        "upstream `{}` returned an empty answer",
                        target.provider_name
                    ),
                )
                .with_http_status(502));
            }
        };
        log.first_chunk();
        if let Some(usage) = first.usage {
            log.usage(usage);
        }
        let log = std::mem::replace(log, RequestLog::detached());
        let relay = Relay { upstream, log };
        Ok(Box::pin(
            futures::stream::once(async move { Ok(first) }).chain(relay),
        ))
    }
}

/// Relays the provider's chunks to the caller, keeping the request log up to
/// date; dropping it (caller gone) drops the upstream response.
struct Relay {
    upstream: ChunkStream,
    log: RequestLog,
}

impl Stream for Relay {
    type Item = ChunkResult;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<ChunkResult>> {
        let item = std::task::ready!(self.upstream.poll_next_unpin(cx));
        Poll::Ready(match item {
            Some(Ok(chunk)) => {
                if let Some(usage) = chunk.usage {
                    self.log.usage(usage);
                }
                Some(Ok(chunk))
            }
            Some(Err(err)) => {
                self.log.fail(&err);
                Some(Err(err.into()))
            }
            None => {
                self.log.finish();
                None
            }
        })
    }
}

fn validate(req: &ChatCompletionRequest) -> Result<(), GatewayError> {
    if req.model.is_empty() {
        return Err(GatewayError::invalid(
            "model",
            "Missing required parameter: 'model'.",
        ));
    }
    if req.messages.is_empty() {
        return Err(GatewayError::invalid(
            "messages",
            "'messages' must contain at least one message.",
        ));
    }
    for (i, msg) in req.messages.iter().enumerate() {
        if Role::try_from(msg.role).map_or(true, |r| r == Role::Unspecified) {
            return Err(GatewayError::invalid(
                format!("messages[{i}].role"),
                "Every message needs a role.",
            ));
        }
    }
    Ok(())
}

fn request_id<T>(request: &Request<T>) -> String {
    request_id_of(
        request
            .metadata()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
    )
}

fn request_id_of(given: Option<&str>) -> String {
    match given {
        Some(id) if !id.is_empty() && id.len() <= 128 => id.to_owned(),
        _ => format!("req_{:016x}", rand::random::<u64>()),
    }
}
