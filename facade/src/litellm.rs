//! LiteLLM proxy routes beyond OpenAI's, for clients, probes and scripts written against
//! LiteLLM: its health probes, `GET /health?model=`, `GET /model/info`, and Azure OpenAI's
//! `/openai/deployments/{model}/…` paths. Registered in [`crate::routes::router`], so the key
//! check before a body is read covers them as it covers every route.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use modelgate::error::{ErrorKind, GatewayError};
use modelgate::v1::{CheckHealthRequest, DeploymentHealth, ListDeploymentsRequest};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::core_client::CoreClient;
use crate::error::ApiError;
use crate::request::{chat_request_for_model, embed_request_for_model};
use crate::routes::{ApiResult, body, chat, embed, json, rpc};

#[derive(Deserialize)]
pub(crate) struct HealthQuery {
    model: Option<String>,
}

#[utoipa::path(get, path = "/health", tag = "Operations", security((), ("bearer" = [])),
    params(("model" = Option<String>, Query, description = "Check each deployment of this model (needs a key allowed it; one check per key every 10 s)")),
    responses((status = 200, description = "Without `model`: the process is up. With it: LiteLLM's per-deployment report",
            content((crate::openapi::schema::Status = "application/json"), (crate::openapi::schema::HealthReport = "application/json"))),
        (status = 401, body = crate::openapi::schema::ErrorResponse), (status = 403, body = crate::openapi::schema::ErrorResponse),
        (status = 429, description = "Another check by this key within 10 s", body = crate::openapi::schema::ErrorResponse)))]
/// `GET /health`: without `?model=` the cheap liveness answer (no key needed, no upstream
/// called); with it, LiteLLM's per-deployment report for that one model, which needs a key
/// and is limited per key by the core.
pub(crate) async fn health(
    State(core): State<CoreClient>,
    headers: HeaderMap,
    query: Result<Query<HealthQuery>, QueryRejection>,
) -> ApiResult {
    let Query(query) = query.map_err(|e| {
        ApiError(GatewayError::new(
            ErrorKind::InvalidRequest,
            format!("Invalid query string: {e}"),
        ))
    })?;
    let Some(model) = query.model else {
        return Ok(crate::routes::health().await);
    };
    let report = core
        .gateway
        .clone()
        .check_health(rpc(&headers, CheckHealthRequest { model }))
        .await?
        .into_inner();
    let (healthy, unhealthy): (Vec<_>, Vec<_>) =
        report.deployments.into_iter().partition(|d| d.healthy);
    let body = json!({
        "healthy_endpoints": healthy.iter().map(endpoint).collect::<Vec<_>>(),
        "unhealthy_endpoints": unhealthy.iter().map(endpoint).collect::<Vec<_>>(),
        "healthy_count": healthy.len(),
        "unhealthy_count": unhealthy.len(),
    });
    Ok(json(body.to_string().into_bytes()))
}

/// One endpoint as LiteLLM reports it: its `litellm_params` (no secrets), and the error.
fn endpoint(d: &DeploymentHealth) -> Value {
    let mut entry = object(&d.litellm_params_json);
    entry.insert("model_name".into(), json!(d.model_name));
    if !d.healthy {
        entry.insert("error".into(), json!(d.error));
    }
    Value::Object(entry)
}

fn object(text: &str) -> Map<String, Value> {
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

#[utoipa::path(get, path = "/model/info", tag = "LiteLLM",
    responses((status = 200, description = "The deployments this key may use (also at `/v1/model/info`)", body = crate::openapi::schema::ModelInfoList),
        (status = 401, body = crate::openapi::schema::ErrorResponse)))]
/// `GET /model/info`, `GET /v1/model/info`: the deployments this key may use.
pub(crate) async fn model_info(State(core): State<CoreClient>, headers: HeaderMap) -> ApiResult {
    let list = core
        .gateway
        .clone()
        .list_deployments(rpc(&headers, ListDeploymentsRequest {}))
        .await?
        .into_inner();
    let data: Vec<Value> = list
        .deployments
        .iter()
        .map(|d| {
            json!({
                "model_name": d.model_name,
                "litellm_params": object(&d.litellm_params_json),
                "model_info": object(&d.model_info_json),
            })
        })
        .collect();
    Ok(json(json!({ "data": data }).to_string().into_bytes()))
}

#[utoipa::path(post, path = "/openai/deployments/{model}/chat/completions", tag = "LiteLLM",
    params(("model" = String, Path, description = "The model (alias or provider model); wins over the body's"),
        ("api-version" = Option<String>, Query, description = "Accepted, not needed")),
    request_body = crate::openapi::schema::ChatCompletionRequest,
    responses((status = 200, description = "As `POST /v1/chat/completions`", body = crate::openapi::schema::ChatCompletion),
        (status = "4XX", body = crate::openapi::schema::ErrorResponse), (status = "5XX", body = crate::openapi::schema::ErrorResponse)))]
/// `POST /openai/deployments/{model}/chat/completions` (Azure OpenAI's path; `api-version`
/// is accepted and not needed).
pub(crate) async fn azure_chat(
    State(core): State<CoreClient>,
    headers: HeaderMap,
    model: Result<Path<String>, PathRejection>,
    raw: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let model = path_model(model)?;
    let request = chat_request_for_model(&body(raw)?, Some(&model))?;
    chat(core, headers, request).await
}

#[utoipa::path(post, path = "/openai/deployments/{model}/embeddings", tag = "LiteLLM",
    params(("model" = String, Path, description = "The model (alias or provider model); wins over the body's"),
        ("api-version" = Option<String>, Query, description = "Accepted, not needed")),
    request_body = crate::openapi::schema::EmbeddingsRequest,
    responses((status = 200, body = crate::openapi::schema::EmbeddingsResponse),
        (status = "4XX", body = crate::openapi::schema::ErrorResponse), (status = "5XX", body = crate::openapi::schema::ErrorResponse)))]
/// `POST /openai/deployments/{model}/embeddings`.
pub(crate) async fn azure_embeddings(
    State(core): State<CoreClient>,
    headers: HeaderMap,
    model: Result<Path<String>, PathRejection>,
    raw: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let model = path_model(model)?;
    let (request, format) = embed_request_for_model(&body(raw)?, Some(&model))?;
    embed(core, headers, request, format).await
}

/// The deployment name from the path, or an OpenAI-shaped 400 (for example when its
/// percent-encoding is not UTF-8).
fn path_model(model: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    model.map(|Path(model)| model).map_err(|e| {
        ApiError(GatewayError::invalid(
            "model",
            format!("The deployment name in the path cannot be read: {e}"),
        ))
    })
}
