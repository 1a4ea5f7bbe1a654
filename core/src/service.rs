//! The `modelgate.v1.Gateway` service: authenticate, route, call the
//! provider, and relay its chunks without a channel in between, so a caller
//! that goes away drops the upstream request at once.

use std::sync::Arc;

use arc_swap::ArcSwap;
use modelgate::drain::{Drain, InFlight};
use modelgate::error::GatewayError;
use modelgate::v1::gateway_server::Gateway;
use modelgate::v1::{
    AuthenticateRequest, AuthenticateResponse, ChatCompletionChunk, ChatCompletionRequest,
    CheckHealthRequest, CheckHealthResponse, EmbedRequest, EmbedResponse, ListDeploymentsRequest,
    ListDeploymentsResponse, ListModelsRequest, ListModelsResponse, ResponseEvent, ResponseRequest,
};
use tonic::{Request, Response, Status};

use crate::auth::{self, Auth, Caller};
use crate::config::Config;
use crate::discovery::Discovery;
use crate::providers::Operation;
use crate::relay::{Answer, relay};
use crate::request_log::RequestLog;
use crate::resilience::process_state::ProcessState;
use crate::router::Router;
use crate::secrets::Secrets;
use crate::streamed_rpc::StreamedRpc;

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

    type ChatCompletionStream = Answer<ChatCompletionChunk>;

    async fn chat_completion(
        &self,
        request: Request<ChatCompletionRequest>,
    ) -> Result<Response<Self::ChatCompletionStream>, Status> {
        self.streamed(request).await
    }

    type CreateResponseStream = Answer<ResponseEvent>;

    async fn create_response(
        &self,
        request: Request<ResponseRequest>,
    ) -> Result<Response<Self::CreateResponseStream>, Status> {
        self.streamed(request).await
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
            crate::streamed_rpc::check_model(&req.model)?;
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
    /// Every streamed RPC: admitted and authenticated, one request log line, the request's own
    /// checks and the key's allow-list, the pipeline until the first item (so failures before
    /// any output are the RPC's status), then the relay under the drain guard.
    async fn streamed<R: StreamedRpc>(
        &self,
        request: Request<R>,
    ) -> Result<Response<Answer<R::Item>>, Status> {
        let (in_flight, state, caller) = self.admit(&request)?;
        let request_id = request_id(&request);
        let surface = crate::metrics::Surface::of(request.metadata());
        let deadline = crate::resilience::deadline(request.metadata());
        let req = request.into_inner();
        let mut log = RequestLog::start(
            request_id,
            caller.name.clone(),
            modelgate::model_name::bounded(req.model()).to_owned(),
            req.stream(),
            state.secrets.clone(),
        );
        log.observe(state.metrics.clone(), surface, R::OPERATION);
        let started = async {
            req.validate()?;
            if !caller.may_use(req.model()) {
                return Err(auth::not_allowed(&caller, req.model()));
            }
            // Retries, fallbacks and balancing happen in here, before the first item is sent.
            crate::resilience::streamed(&state.router, &caller, req, deadline, &mut log).await
        }
        .await;
        match started {
            Ok(started) => {
                let answer = relay(started.first, started.rest, &mut log, &state.secrets);
                let mut response = Response::new(Box::pin(self.drain.guard(
                    in_flight,
                    answer,
                    || Err(crate::lifecycle::shutting_down()),
                )) as Answer<R::Item>);
                crate::resilience::set_metadata(response.metadata_mut(), &started.headers);
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
