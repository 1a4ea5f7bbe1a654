//! The OpenAI HTTP routes, each translating to one core RPC.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures::StreamExt;
use modelgate::error::{ErrorKind, GatewayError};
use modelgate::v1::ListModelsRequest;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;

use crate::core_client::CoreClient;
use crate::error::{ApiError, unknown_route};
use crate::request::{chat_request_from_json, embed_request_from_json};
use crate::response::{CompletionBuilder, embeddings_json, model_json, models_json};
use crate::sse::sse_body;

/// Default request body limit: LobeChat sends images inline as base64.
pub const DEFAULT_BODY_LIMIT: usize = 32 * 1024 * 1024;

/// The facade's routes over a core client.
pub fn router(core: CoreClient, body_limit: usize) -> Router {
    Router::new()
        .route("/v1/models", get(list_models))
        .route("/v1/models/{*id}", get(get_model))
        .route("/v1/chat/completions", post(chat_completions))
        .route("/v1/embeddings", post(embeddings))
        .route("/v1/responses", post(crate::responses_route::responses))
        .route("/health", get(crate::litellm::health))
        .route("/health/ready", get(ready))
        // LiteLLM's paths for the same things, so its clients and probes keep working.
        .route("/models", get(list_models))
        .route("/models/{*id}", get(get_model))
        .route("/chat/completions", post(chat_completions))
        .route("/embeddings", post(embeddings))
        .route("/responses", post(crate::responses_route::responses))
        .route("/health/liveliness", get(health))
        .route("/health/liveness", get(health))
        .route("/health/readiness", get(ready))
        .route("/model/info", get(crate::litellm::model_info))
        .route("/v1/model/info", get(crate::litellm::model_info))
        .route(
            "/openai/deployments/{model}/chat/completions",
            post(crate::litellm::azure_chat),
        )
        .route(
            "/openai/deployments/{model}/embeddings",
            post(crate::litellm::azure_embeddings),
        )
        .route(
            "/metrics",
            get(modelgate_telemetry::prometheus::metrics_handler),
        )
        // Every matched route, so a body-carrying route added later is covered too; the
        // fallback reads no body and keeps answering 404.
        .route_layer(axum::middleware::from_fn_with_state(
            core.clone(),
            crate::key_check::before_body,
        ))
        .fallback(fallback)
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(core)
}

pub(crate) type ApiResult = Result<Response, ApiError>;

/// The body, or the OpenAI-shaped error for why it could not be read.
pub(crate) fn body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError(
                GatewayError::new(
                    ErrorKind::PayloadTooLarge,
                    "The request body is larger than this server accepts.",
                )
                .with_code("request_too_large"),
            )
        } else {
            ApiError(GatewayError::new(
                ErrorKind::InvalidRequest,
                format!("Could not read the request body: {rejection}"),
            ))
        }
    })
}

/// Wraps a message in a gRPC request carrying the caller's credentials and
/// request id. Only these headers cross to the core.
pub(crate) fn rpc<T>(headers: &HeaderMap, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    let meta = request.metadata_mut();
    if let Some(value) = crate::key_check::credential(headers) {
        meta.insert("authorization", value);
    }
    if let Some(value) = headers
        .get("x-request-id")
        .and_then(|v| tonic::metadata::MetadataValue::try_from(v.as_bytes()).ok())
    {
        meta.insert("x-request-id", value);
    }
    crate::observe::mark_rpc(meta);
    request
}

pub(crate) fn json(bytes: Vec<u8>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        bytes,
    )
        .into_response()
}

#[utoipa::path(get, path = "/v1/models", tag = "OpenAI",
    responses((status = 200, description = "The models this key may use", body = crate::openapi::schema::ModelList),
        (status = 401, description = "Missing or unknown key", body = crate::openapi::schema::ErrorResponse)))]
async fn list_models(State(core): State<CoreClient>, headers: HeaderMap) -> ApiResult {
    let models = core
        .gateway
        .clone()
        .list_models(rpc(&headers, ListModelsRequest {}))
        .await?
        .into_inner();
    Ok(json(models_json(&models.models, &models.metadata)))
}

#[utoipa::path(get, path = "/v1/models/{id}", tag = "OpenAI",
    params(("id" = String, Path, description = "A model id; may contain `/`")),
    responses((status = 200, body = crate::openapi::schema::Model), (status = 404, body = crate::openapi::schema::ErrorResponse)))]
async fn get_model(
    State(core): State<CoreClient>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let models = core
        .gateway
        .clone()
        .list_models(rpc(&headers, ListModelsRequest {}))
        .await?
        .into_inner();
    match models.models.iter().find(|m| m.id == id) {
        Some(model) => Ok(json(model_json(model, models.metadata.get(&model.id)))),
        None => Err(ApiError(crate::not_found_model(&id))),
    }
}

#[utoipa::path(post, path = "/v1/chat/completions", tag = "OpenAI",
    request_body = crate::openapi::schema::ChatCompletionRequest,
    responses((status = 200, description = "A completion, or with `stream: true` SSE `data: {chunk}` events ending in `data: [DONE]`",
            content((crate::openapi::schema::ChatCompletion = "application/json"),
                (crate::openapi::schema::ChatCompletionChunk = "text/event-stream"))),
        (status = "4XX", body = crate::openapi::schema::ErrorResponse), (status = "5XX", body = crate::openapi::schema::ErrorResponse)))]
async fn chat_completions(
    State(core): State<CoreClient>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let request = chat_request_from_json(&body(raw)?)?;
    chat(core, headers, request).await
}

/// Runs a parsed chat request: SSE when it asked for a stream, else one JSON answer.
pub(crate) async fn chat(
    core: CoreClient,
    headers: HeaderMap,
    request: modelgate::v1::ChatCompletionRequest,
) -> ApiResult {
    let stream = request.stream;
    let include_usage = request.stream_options.is_some_and(|o| o.include_usage);
    let response = core.chat_completion(rpc(&headers, request)).await?;
    let forwarded = crate::forwarded::from_metadata(response.metadata());
    let mut chunks = response.into_inner();
    if stream {
        let body = Body::from_stream(sse_body(chunks, include_usage));
        return Ok((
            forwarded,
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/event-stream"),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
                (
                    header::HeaderName::from_static("x-accel-buffering"),
                    HeaderValue::from_static("no"),
                ),
            ],
            body,
        )
            .into_response());
    }
    let mut builder = CompletionBuilder::default();
    while let Some(chunk) = chunks.next().await {
        builder.push(chunk?);
    }
    Ok((forwarded, json(builder.finish())).into_response())
}

#[utoipa::path(post, path = "/v1/embeddings", tag = "OpenAI",
    request_body = crate::openapi::schema::EmbeddingsRequest,
    responses((status = 200, body = crate::openapi::schema::EmbeddingsResponse),
        (status = "4XX", body = crate::openapi::schema::ErrorResponse), (status = "5XX", body = crate::openapi::schema::ErrorResponse)))]
async fn embeddings(
    State(core): State<CoreClient>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let (request, format) = embed_request_from_json(&body(raw)?)?;
    embed(core, headers, request, format).await
}

/// Runs a parsed embeddings request.
pub(crate) async fn embed(
    core: CoreClient,
    headers: HeaderMap,
    request: modelgate::v1::EmbedRequest,
    format: crate::request::EncodingFormat,
) -> ApiResult {
    let response = core.gateway.clone().embed(rpc(&headers, request)).await?;
    let forwarded = crate::forwarded::from_metadata(response.metadata());
    let response = response.into_inner();
    Ok((forwarded, json(embeddings_json(&response, format))).into_response())
}

/// The cheap liveness answer (also LiteLLM's `/health/liveliness` and `/health/liveness`).
pub(crate) async fn health() -> Response {
    json(br#"{"status":"ok"}"#.to_vec())
}

/// Ready when the core answers its health check with SERVING.
#[utoipa::path(get, path = "/health/ready", tag = "Operations", security(()),
    responses((status = 200, description = "The core is serving", body = crate::openapi::schema::Status),
        (status = 503, description = "Not ready", body = crate::openapi::schema::Status)))]
async fn ready(State(core): State<CoreClient>) -> Response {
    let mut health = core.health.clone();
    let check = health.check(HealthCheckRequest {
        service: String::new(),
    });
    let serving = matches!(
        tokio::time::timeout(std::time::Duration::from_secs(2), check).await,
        Ok(Ok(ref r)) if r.get_ref().status == ServingStatus::Serving as i32
    );
    if serving {
        json(br#"{"status":"ready"}"#.to_vec())
    } else {
        let mut response = json(br#"{"status":"not ready","reason":"core not serving"}"#.to_vec());
        *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        response
    }
}

async fn fallback(method: Method, uri: Uri) -> ApiError {
    unknown_route(&method, uri.path())
}
