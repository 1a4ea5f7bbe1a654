//! Azure OpenAI's data-plane routes (served under `/azure`, so the adapter's
//! `api_base` is `http://127.0.0.1:PORT/azure`):
//!
//! - `POST /openai/deployments/{deployment}/chat/completions?api-version=…`
//! - `POST /openai/deployments/{deployment}/embeddings?api-version=…`
//!
//! Every request must carry an `api-version` query parameter (else the
//! mock's own 404 "no such route") and an `api-key` or `Authorization` header
//! (else Azure's 401 below), and a JSON body. The scenario is the deployment
//! name in the path (Azure ignores any `model` in the body):
//!
//! | deployment | reply |
//! |---|---|
//! | `text`, anything unlisted | `azure/chat-completion-content-filter-results.json`; streamed: `azure/chat-stream-model-router.chunks.jsonl` as `data: <line>\n\n` + `data: [DONE]\n\n` |
//! | `slow` | the streamed `text` reply, 200 ms between events |
//! | `thinking` | OpenAI scenario `deepseek-reasoner` (DeepSeek's recordings: `reasoning_content` as Azure Foundry's DeepSeek-R1 deployments send it) |
//! | `content-filter` | 400, Microsoft's documented content-filter error (`code: content_filter`, `innererror`) |
//! | `error-401` | 401, Azure's key error (captured) |
//! | `error-404` | 404, Azure's `DeploymentNotFound` (captured) |
//! | `error-429` | 429, Azure's rate-limit error (captured, without headers: no `retry-after` is sent) |
//! | `tools`, `parallel-tools`, `error-400`, `error-500`, `error-503-html`, `garbage`, `reset`, `hang` | the OpenAI scenario of that name |
//!
//! Azure returns OpenAI's format, so scenarios its fixtures lack (tools,
//! reasoning, other errors, malformed data) replay the OpenAI recordings.
//! Embeddings replay `openai/embeddings.json` (Azure's shape is the same);
//! deployment `missing` gets the `DeploymentNotFound` 404. Where each answer comes from
//! (recorded, documented, quoted, or borrowed from OpenAI's recordings): `SOURCES.md`.

use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::post;
use serde_json::Value;

use crate::content_types;
use crate::fixtures::{frame_chunks_as_sse, read_or_500, split_sse_events};
use crate::scenarios::{self, Action, Plan};
use crate::server::{AppState, hang};

const CHAT_JSON: &str = "azure/chat-completion-content-filter-results.json";
const CHAT_STREAM: &str = "azure/chat-stream-model-router.chunks.jsonl";
const SLOW_INTERVAL: Duration = Duration::from_millis(200);

/// Scenarios answered from the OpenAI table.
const OPENAI_SCENARIOS: &[&str] = &[
    "tools",
    "parallel-tools",
    "error-400",
    "error-500",
    "error-503-html",
    "garbage",
    "reset",
    "hang",
];

/// Microsoft Learn, "Azure OpenAI Service content filtering"
/// (MicrosoftDocs azure-ai-docs, concepts/content-filter.md), example for a
/// filtered prompt. The docs wrap the message across lines inside the JSON
/// string; it is joined here so the body is valid JSON.
const CONTENT_FILTER_400: &str = r#"{"error":{"message":"The response was filtered due to the prompt triggering Azure Content management policy. Please modify your prompt and retry. To learn more about our content filtering policies please read our documentation: https://go.microsoft.com/fwlink/?linkid=21298766","type":null,"param":"prompt","code":"content_filter","status":400,"innererror":{"code":"ResponsibleAIPolicyViolation","content_filter_result":{"hate":{"filtered":true,"severity":"high"},"self-harm":{"filtered":true,"severity":"high"},"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":true,"severity":"medium"}}}}}"#;

/// Captured in SciSharp/BotSharp#386 (response body, Content-Length 224).
const KEY_401: &str = r#"{"error":{"code":"401","message":"Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."}}"#;

/// Captured in chatboxai/chatbox#646 and #861.
const DEPLOYMENT_NOT_FOUND_404: &str = r#"{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again."}}"#;

/// Captured in microsoft/copilot-camp#551 (body as logged there).
const RATE_LIMIT_429: &str =
    r#"{"error":{"code":"429","message": "Rate limit is exceeded. Try again in 2 seconds."}}"#;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/openai/deployments/{deployment}/chat/completions",
            post(chat),
        )
        .route(
            "/openai/deployments/{deployment}/embeddings",
            post(embeddings),
        )
        .merge(crate::responses::azure_routes())
}

/// Records the request and checks what every Azure call needs; `Err` is the
/// reply to a request that lacks it.
fn admit(
    st: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Value, Plan> {
    admit_with(st, method, uri, headers, body, true)
}

/// [`admit`], for a route that may take no `api-version` (the v1 API).
pub(crate) fn admit_with(
    st: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    needs_version: bool,
) -> Result<Value, Plan> {
    let json = st.record(method, uri, headers, body);
    let has_version = !needs_version || has_api_version(uri);
    if !has_version {
        return Err(scenarios::unknown_route());
    }
    if !headers.contains_key("api-key") && !headers.contains_key("authorization") {
        return Err(json_plan(StatusCode::UNAUTHORIZED, KEY_401));
    }
    json.ok_or_else(scenarios::invalid_json)
}

/// Azure's `DeploymentNotFound` 404.
pub(crate) fn deployment_not_found() -> Plan {
    json_plan(StatusCode::NOT_FOUND, DEPLOYMENT_NOT_FOUND_404)
}

fn has_api_version(uri: &Uri) -> bool {
    uri.query().is_some_and(|q| {
        q.split('&').any(|p| {
            p.strip_prefix("api-version=")
                .is_some_and(|v| !v.is_empty())
        })
    })
}

async fn chat(
    State(st): State<AppState>,
    Path(deployment): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let json = match admit(&st, &method, &uri, &headers, &body) {
        Ok(json) => json,
        Err(plan) => return st.reply(plan),
    };
    let stream = json.get("stream").and_then(Value::as_bool).unwrap_or(false);
    let openai = match deployment.as_str() {
        "thinking" => Some("deepseek-reasoner"),
        name if OPENAI_SCENARIOS.contains(&name) => Some(name),
        _ => None,
    };
    if let Some(name) = openai {
        return match scenarios::chat(name, stream, &st.fixtures) {
            Action::Reply(plan) => st.reply(plan),
            Action::Hang => hang(st).await,
        };
    }
    let plan = match (deployment.as_str(), stream) {
        ("content-filter", _) => json_plan(StatusCode::BAD_REQUEST, CONTENT_FILTER_400),
        ("error-401", _) => json_plan(StatusCode::UNAUTHORIZED, KEY_401),
        ("error-404", _) => json_plan(StatusCode::NOT_FOUND, DEPLOYMENT_NOT_FOUND_404),
        ("error-429", _) => json_plan(StatusCode::TOO_MANY_REQUESTS, RATE_LIMIT_429),
        ("slow", true) => stream_plan(&st).map_or_else(
            |e| e,
            |p| Plan {
                interval: SLOW_INTERVAL,
                ..p
            },
        ),
        (_, true) => stream_plan(&st).unwrap_or_else(|e| e),
        (_, false) => fixture(&st, CHAT_JSON).map_or_else(
            |missing| missing,
            |body| Plan::recorded(StatusCode::OK, CHAT_JSON, body),
        ),
    };
    st.reply(plan)
}

async fn embeddings(
    State(st): State<AppState>,
    Path(deployment): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(plan) = admit(&st, &method, &uri, &headers, &body) {
        return st.reply(plan);
    }
    match deployment.as_str() {
        "missing" => st.reply(json_plan(StatusCode::NOT_FOUND, DEPLOYMENT_NOT_FOUND_404)),
        _ => st.reply(scenarios::embeddings("text", &st.fixtures)),
    }
}

fn json_plan(status: StatusCode, body: &'static str) -> Plan {
    Plan::json(status, Bytes::from_static(body.as_bytes()))
}

fn stream_plan(st: &AppState) -> Result<Plan, Plan> {
    let body = Bytes::from(frame_chunks_as_sse(&fixture(st, CHAT_STREAM)?));
    Ok(Plan {
        status: StatusCode::OK,
        content_type: content_types::of(CHAT_STREAM),
        headers: &[],
        chunks: split_sse_events(&body),
        streaming: true,
        interval: Duration::ZERO,
        reset: false,
    })
}

/// Small files, read per request so the mock starts without them; a missing one is a 500
/// naming it.
fn fixture(st: &AppState, path: &str) -> Result<Bytes, Plan> {
    read_or_500(&st.fixtures_dir, path)
}
