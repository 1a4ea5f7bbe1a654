//! The `modelgate.v1.Gateway` service: authenticate, route, call the
//! provider, and relay its chunks without a channel in between, so a caller
//! that goes away drops the upstream request at once.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use arc_swap::ArcSwap;
use futures::{Stream, StreamExt};
use modelgate::drain::{Drain, InFlight};
use modelgate::error::GatewayError;
use modelgate::v1::gateway_server::Gateway;
use modelgate::v1::{
    AuthenticateRequest, AuthenticateResponse, ChatCompletionChunk, ChatCompletionRequest,
    CheckHealthRequest, CheckHealthResponse, EmbedRequest, EmbedResponse, ListDeploymentsRequest,
    ListDeploymentsResponse, ListModelsRequest, ListModelsResponse, ResponseEvent, ResponseRequest,
    Role,
};
use tonic::{Request, Response, Status};

use crate::auth::{self, Auth, Caller};
use crate::config::Config;
use crate::discovery::Discovery;
use crate::providers::{ChunkStream, Operation};
use crate::request_log::RequestLog;
use crate::resilience::process_state::ProcessState;
use crate::router::Router;
use crate::secrets::Secrets;

/// Everything a request needs, built once from the config.
pub struct CoreState {
    pub auth: Auth,
    pub router: Router,
    pub discovery: Discovery,
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Every credential of the config: no error leaves the core, and no request log line is
    /// written, before these are scrubbed out of it.
    pub secrets: Secrets,
    /// `model_list` as `/model/info` shows it (no secrets).
    pub deployments: Vec<crate::deployment_info::DeploymentRecord>,
    /// Rate-limit counters and deployment health: made with the first state and handed on to
    /// each state a reload builds.
    pub process: Arc<ProcessState>,
}

impl CoreState {
    /// Builds adapters, routes and the catalogue for `config`.
    pub fn new(config: &Config, client: &reqwest::Client) -> Self {
        Self::after(config, client, None)
    }

    /// Like [`CoreState::new`], keeping what `previous` learned for the whole process: model
    /// names given their own metric label, rate-limit counters and deployment health.
    pub fn after(config: &Config, client: &reqwest::Client, previous: Option<&CoreState>) -> Self {
        let secrets = Secrets::of_config(config);
        for place in Secrets::short_keys(config) {
            tracing::warn!(
                key = %place,
                min_len = crate::secrets::MIN_SCRUBBED_LEN,
                "key too short to be scrubbed from upstream errors and logs"
            );
        }
        let process = previous.map_or_else(Arc::default, |p| p.process.clone());
        let router = Router::new(config, client, &secrets, &process);
        let discovery = Discovery::new(config, &router);
        let mut metrics = crate::metrics::Metrics::new(config);
        if let Some(previous) = previous {
            metrics.carry_over(&previous.metrics);
        }
        Self {
            auth: Auth::new(&config.auth.keys),
            router,
            discovery,
            metrics: Arc::new(metrics),
            secrets,
            deployments: crate::deployment_info::records(config),
            process,
        }
    }
}

/// The gRPC service.
#[derive(Clone)]
pub struct GatewayService {
    /// Read once per request: a reload never changes a request already running.
    state: Arc<ArcSwap<CoreState>>,
    drain: Drain,
    /// Per-key health check turns; kept across reloads so a reload does not reset them.
    health_checks: Arc<crate::health_check::CheckTimes>,
}

impl GatewayService {
    /// A service over `state`, admitting requests through `drain`.
    pub fn new(state: Arc<ArcSwap<CoreState>>, drain: Drain) -> Self {
        Self {
            state,
            drain,
            health_checks: Arc::default(),
        }
    }

    /// Admits the request (or refuses it while shutting down) and authenticates its caller
    /// against the state it will run with.
    fn admit<T>(&self, request: &Request<T>) -> Result<(InFlight, Arc<CoreState>, Caller), Status> {
        let token = self
            .drain
            .admit()
            .ok_or_else(crate::lifecycle::shutting_down)?;
        let (state, caller) = self.caller(request)?;
        Ok((token, state, caller))
    }

    /// The caller [`crate::auth_first::AuthFirst`] admitted from the RPC's headers; a direct
    /// in-process call (`modelgate serve`'s chat) has no such check in front of it and is
    /// checked here.
    fn caller<T>(&self, request: &Request<T>) -> Result<(Arc<CoreState>, Caller), Status> {
        if let Some(admitted) = request.extensions().get::<crate::auth_first::Admitted>() {
            return Ok((admitted.state.clone(), admitted.caller.clone()));
        }
        let state = self.state.load_full();
        let caller = state
            .auth
            .authenticate(request.metadata())
            .map_err(Status::from)?;
        Ok((state, caller))
    }

    /// The name of the key in `metadata`, checked against the current config.
    pub(crate) fn key_name(
        &self,
        metadata: &tonic::metadata::MetadataMap,
    ) -> Result<String, Status> {
        Ok(self.state.load().auth.authenticate(metadata)?.name)
    }
}

type ChunkResult = Result<ChatCompletionChunk, Status>;

#[tonic::async_trait]
impl Gateway for GatewayService {
    async fn list_models(
        &self,
        request: Request<ListModelsRequest>,
    ) -> Result<Response<ListModelsResponse>, Status> {
        let (_in_flight, state, caller) = self.admit(&request)?;
        let models = state
            .discovery
            .list()
            .await
            .into_iter()
            .filter(|m| caller.may_use(&m.id))
            .collect::<Vec<_>>();
        let metadata = models
            .iter()
            .map(|m| (m.id.clone(), state.discovery.metadata(&m.id)))
            .collect();
        Ok(Response::new(ListModelsResponse { models, metadata }))
    }

    async fn authenticate(
        &self,
        request: Request<AuthenticateRequest>,
    ) -> Result<Response<AuthenticateResponse>, Status> {
        let (_, caller) = self.caller(&request)?;
        Ok(Response::new(AuthenticateResponse {
            key_name: caller.name,
        }))
    }

    async fn list_deployments(
        &self,
        request: Request<ListDeploymentsRequest>,
    ) -> Result<Response<ListDeploymentsResponse>, Status> {
        let (_in_flight, state, caller) = self.admit(&request)?;
        let deployments = crate::deployment_info::visible(&state.deployments, &caller);
        Ok(Response::new(ListDeploymentsResponse { deployments }))
    }

    async fn check_health(
        &self,
        request: Request<CheckHealthRequest>,
    ) -> Result<Response<CheckHealthResponse>, Status> {
        let (_in_flight, state, caller) = self.admit(&request)?;
        let model = request.into_inner().model;
        match crate::health_check::check(&state, &self.health_checks, &caller, &model).await {
            Ok(deployments) => Ok(Response::new(CheckHealthResponse { deployments })),
            Err(err) => Err(state.secrets.scrub(err).into()),
        }
    }

    type ChatCompletionStream = Pin<Box<dyn Stream<Item = ChunkResult> + Send>>;

    async fn chat_completion(
        &self,
        request: Request<ChatCompletionRequest>,
    ) -> Result<Response<Self::ChatCompletionStream>, Status> {
        let (in_flight, state, caller) = self.admit(&request)?;
        let request_id = request_id(&request);
        let surface = crate::metrics::Surface::of(request.metadata());
        let deadline = crate::resilience::deadline(request.metadata());
        let mut req = request.into_inner();
        let mut log = RequestLog::start(
            request_id,
            caller.name.clone(),
            modelgate::model_name::bounded(&req.model).to_owned(),
            req.stream,
            state.secrets.clone(),
        );
        log.observe(state.metrics.clone(), surface, Operation::Chat);
        match self
            .start_chat(&state, &caller, &mut req, deadline, &mut log)
            .await
        {
            Ok((stream, headers)) => {
                let mut response = Response::new(Box::pin(self.drain.guard(
                    in_flight,
                    stream,
                    || Err(crate::lifecycle::shutting_down()),
                )) as Self::ChatCompletionStream);
                crate::resilience::set_metadata(response.metadata_mut(), &headers);
                Ok(response)
            }
            Err(err) => {
                let err = state.secrets.scrub(err);
                log.fail(&err);
                Err(err.into())
            }
        }
    }

    type CreateResponseStream = Pin<Box<dyn Stream<Item = Result<ResponseEvent, Status>> + Send>>;

    async fn create_response(
        &self,
        request: Request<ResponseRequest>,
    ) -> Result<Response<Self::CreateResponseStream>, Status> {
        let (in_flight, state, caller) = self.admit(&request)?;
        let request_id = request_id(&request);
        let surface = crate::metrics::Surface::of(request.metadata());
        let deadline = crate::resilience::deadline(request.metadata());
        let mut req = request.into_inner();
        let mut log = RequestLog::start(
            request_id,
            caller.name.clone(),
            modelgate::model_name::bounded(&req.model).to_owned(),
            req.stream,
            state.secrets.clone(),
        );
        log.observe(state.metrics.clone(), surface, Operation::Responses);
        match crate::response_rpc::start(&state, &caller, &mut req, deadline, &mut log).await {
            Ok((events, headers)) => {
                let mut response = Response::new(Box::pin(self.drain.guard(
                    in_flight,
                    events,
                    || Err(crate::lifecycle::shutting_down()),
                )) as Self::CreateResponseStream);
                crate::resilience::set_metadata(response.metadata_mut(), &headers);
                Ok(response)
            }
            Err(err) => {
                let err = state.secrets.scrub(err);
                log.fail(&err);
                Err(err.into())
            }
        }
    }

    async fn embed(
        &self,
        request: Request<EmbedRequest>,
    ) -> Result<Response<EmbedResponse>, Status> {
        let (_in_flight, state, caller) = self.admit(&request)?;
        let request_id = request_id(&request);
        let surface = crate::metrics::Surface::of(request.metadata());
        let deadline = crate::resilience::deadline(request.metadata());
        let mut req = request.into_inner();
        let mut log = RequestLog::start(
            request_id,
            caller.name.clone(),
            modelgate::model_name::bounded(&req.model).to_owned(),
            false,
            state.secrets.clone(),
        );
        log.observe(state.metrics.clone(), surface, Operation::Embeddings);
        let result = async {
            if req.model.is_empty() {
                return Err(GatewayError::invalid(
                    "model",
                    "Missing required parameter: 'model'.",
                ));
            }
            modelgate::model_name::check_length(&req.model, "model")?;
            if req.input.is_empty() && req.token_input.is_empty() {
                return Err(GatewayError::invalid("input", "'input' must not be empty."));
            }
            if !caller.may_use(&req.model) {
                return Err(auth::not_allowed(&caller, &req.model));
            }
            let req = std::mem::take(&mut req);
            crate::resilience::embed(&state.router, &caller, req, deadline, &mut log).await
        }
        .await;
        match result {
            Ok(answer) => {
                let resp = answer.response;
                log.response_model(&resp.model);
                if let Some(usage) = resp.usage {
                    log.usage(modelgate::v1::Usage {
                        prompt_tokens: usage.prompt_tokens,
                        total_tokens: usage.total_tokens,
                        ..Default::default()
                    });
                }
                log.finish();
                let mut response = Response::new(resp);
                crate::resilience::set_metadata(response.metadata_mut(), &answer.headers);
                Ok(response)
            }
            Err(err) => {
                let err = state.secrets.scrub(err);
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
        state: &CoreState,
        caller: &Caller,
        req: &mut ChatCompletionRequest,
        deadline: Option<tokio::time::Instant>,
        log: &mut RequestLog,
    ) -> Result<
        (
            <Self as Gateway>::ChatCompletionStream,
            Vec<(String, String)>,
        ),
        GatewayError,
    > {
        validate(req)?;
        if !caller.may_use(&req.model) {
            return Err(auth::not_allowed(caller, &req.model));
        }
        // Retries, fallbacks and balancing happen in here, before the first chunk is sent.
        let answer =
            crate::resilience::chat(&state.router, caller, std::mem::take(req), deadline, log)
                .await?;
        let (first, upstream) = (answer.first, answer.rest);
        log.first_chunk();
        log.response_model(&first.model);
        if let Some(usage) = first.usage {
            log.usage(usage);
        }
        let log = std::mem::replace(log, RequestLog::detached());
        let relay = Relay {
            upstream,
            log,
            secrets: state.secrets.clone(),
        };
        Ok((
            Box::pin(futures::stream::once(async move { Ok(first) }).chain(relay)),
            answer.headers,
        ))
    }
}

/// Relays the provider's chunks to the caller, keeping the request log up to
/// date; dropping it (caller gone) drops the upstream response.
struct Relay {
    upstream: ChunkStream,
    log: RequestLog,
    secrets: Secrets,
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
                let err = self.secrets.scrub(err);
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
    modelgate::model_name::check_length(&req.model, "model")?;
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
