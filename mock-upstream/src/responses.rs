//! OpenAI's Responses API (`POST /v1/responses`, `POST /responses`) and Azure OpenAI's
//! (`POST /azure/openai/v1/responses`, `POST /azure/openai/responses?api-version=…`), replaying
//! real recorded Responses answers kept in this crate (`recordings/`, compiled in: the shared
//! fixtures folder holds none). The request's `model` picks the scenario (on Azure: the
//! deployment name, which Azure's Responses API takes in the body):
//!
//! | model | `stream: false` | `stream: true` |
//! |---|---|---|
//! | `text` (and any unlisted model) | 200 `openai/responses-text.json` | `openai/responses-stream-text.chunks.jsonl` |
//! | `tools` | 200 `openai/responses-function-call.json` | `openai/responses-stream-function-call.chunks.jsonl` |
//! | `reasoning` | the `text` answer | `openai/responses-stream-reasoning-encrypted.chunks.jsonl` (summary + `encrypted_content`, then a function call) |
//! | `error-in-stream` | the `text` answer | `openai/responses-stream-error-then-failed.chunks.jsonl`: an `error` event, then `response.failed` |
//! | `error-400` | 400 `openai/responses-error-400-unsupported-parameter.json` | same |
//! | `error-429` | 429 `openai/responses-error-429-insufficient-quota.json` | same |
//! | `error-401` | 401, OpenAI's `invalid_api_key` envelope | same |
//! | `error-500` | 500, OpenAI's `server_error` envelope | same |
//! | `malformed` | — | 200 `text/event-stream` whose second event's `data:` is not JSON |
//! | `garbage` | — | 200 `text/event-stream` with bytes that are not SSE (the chat route's) |
//!
//! Azure's `text` and `tools` replay Azure's own recordings (`azure/…`); its other scenarios
//! are the OpenAI ones (Azure answers in OpenAI's format), `error-404` is Azure's
//! `DeploymentNotFound`. Streams are sent as OpenAI's Responses API sends them: one
//! `event: <type>` + `data: <json>` pair per event, no `[DONE]`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::post;
use serde_json::Value;

use crate::canned;
use crate::fixtures::split_sse_events;
use crate::native::anthropic::frame_events;
use crate::scenarios::{self, Plan, SSE};
use crate::server::AppState;

/// A recording kept in this crate (`recordings/<file>`; `sources.rs` names it
/// `mock-upstream/recordings/<file>`), compiled in.
pub(crate) struct Recording {
    bytes: &'static [u8],
}

macro_rules! recording {
    ($name:ident, $file:literal) => {
        pub(crate) const $name: Recording = Recording {
            bytes: include_bytes!(concat!("../recordings/", $file)),
        };
    };
}

recording!(TEXT_JSON, "openai/responses-text.json");
recording!(TEXT_STREAM, "openai/responses-stream-text.chunks.jsonl");
recording!(TOOLS_JSON, "openai/responses-function-call.json");
recording!(
    TOOLS_STREAM,
    "openai/responses-stream-function-call.chunks.jsonl"
);
recording!(
    REASONING_STREAM,
    "openai/responses-stream-reasoning-encrypted.chunks.jsonl"
);
recording!(
    ERROR_STREAM,
    "openai/responses-stream-error-then-failed.chunks.jsonl"
);
recording!(
    ERROR_400,
    "openai/responses-error-400-unsupported-parameter.json"
);
recording!(
    ERROR_429,
    "openai/responses-error-429-insufficient-quota.json"
);
recording!(AZURE_TEXT_JSON, "azure/responses-text.json");
recording!(
    AZURE_TEXT_STREAM,
    "azure/responses-stream-text.chunks.jsonl"
);
recording!(AZURE_TOOLS_JSON, "azure/responses-function-call.json");
recording!(
    AZURE_TOOLS_STREAM,
    "azure/responses-stream-function-call.chunks.jsonl"
);

/// The `malformed` scenario: a recorded first event, then one whose `data:` is cut off.
const MALFORMED_TAIL: &[u8] = b"event: response.in_progress\ndata: {\"type\":\"response.in_progress\",\"sequence_number\":1,\"response\":{\"id\"\n\n";

/// Which recordings a route replays for `text` and `tools`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Upstream {
    OpenAi,
    Azure,
}

fn json(status: StatusCode, recording: &Recording) -> Plan {
    Plan::json(status, Bytes::from_static(recording.bytes))
}

fn sse(recording: &Recording) -> Plan {
    Plan {
        status: StatusCode::OK,
        content_type: SSE,
        headers: &[],
        chunks: split_sse_events(&frame_events(recording.bytes)),
        streaming: true,
        interval: std::time::Duration::ZERO,
        reset: false,
    }
}

/// The answer to a Responses request for `model`.
pub(crate) fn plan(upstream: Upstream, model: &str, stream: bool) -> Plan {
    let azure = upstream == Upstream::Azure;
    match (model, stream) {
        ("tools", false) if azure => json(StatusCode::OK, &AZURE_TOOLS_JSON),
        ("tools", true) if azure => sse(&AZURE_TOOLS_STREAM),
        ("tools", false) => json(StatusCode::OK, &TOOLS_JSON),
        ("tools", true) => sse(&TOOLS_STREAM),
        ("reasoning", true) => sse(&REASONING_STREAM),
        ("error-in-stream", true) => sse(&ERROR_STREAM),
        ("error-400", _) => json(StatusCode::BAD_REQUEST, &ERROR_400),
        ("error-429", _) => json(StatusCode::TOO_MANY_REQUESTS, &ERROR_429),
        ("error-401", _) => Plan::json(
            StatusCode::UNAUTHORIZED,
            Bytes::from_static(canned::ERROR_401.as_bytes()),
        ),
        ("error-500", _) => Plan::json(
            StatusCode::INTERNAL_SERVER_ERROR,
            Bytes::from_static(canned::ERROR_500.as_bytes()),
        ),
        ("garbage", true) => Plan {
            chunks: vec![Bytes::from_static(canned::GARBAGE)],
            ..sse(&TEXT_STREAM)
        },
        ("malformed", true) => {
            let mut plan = sse(&TEXT_STREAM);
            plan.chunks.truncate(1);
            plan.chunks.push(Bytes::from_static(MALFORMED_TAIL));
            plan
        }
        (_, false) if azure => json(StatusCode::OK, &AZURE_TEXT_JSON),
        (_, true) if azure => sse(&AZURE_TEXT_STREAM),
        (_, false) => json(StatusCode::OK, &TEXT_JSON),
        (_, true) => sse(&TEXT_STREAM),
    }
}

/// `POST /v1/responses` and `POST /responses`.
pub(crate) async fn openai(
    State(st): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match st.record(&method, &uri, &headers, &body) {
        Some(json) => {
            let (model, stream) = model_and_stream(&json);
            st.reply(plan(Upstream::OpenAi, model, stream))
        }
        None => st.reply(scenarios::invalid_json()),
    }
}

/// `(model, stream)` of a request body; `text` when it names no model.
pub(crate) fn model_and_stream(json: &Value) -> (&str, bool) {
    let model = json.get("model").and_then(Value::as_str).unwrap_or("text");
    let stream = json.get("stream").and_then(Value::as_bool).unwrap_or(false);
    (model, stream)
}

/// Azure's Responses routes, merged into the `/azure` router.
pub(crate) fn azure_routes() -> Router<AppState> {
    Router::new()
        .route("/openai/v1/responses", post(azure_v1))
        .route("/openai/responses", post(azure_dated))
}

/// `POST /openai/v1/responses`: the v1 API takes no `api-version`.
async fn azure_v1(
    State(st): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    azure(st, false, method, uri, headers, body)
}

/// `POST /openai/responses?api-version=…`: the dated API needs one.
async fn azure_dated(
    State(st): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    azure(st, true, method, uri, headers, body)
}

fn azure(
    st: AppState,
    needs_version: bool,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let json = match crate::native::azure::admit_with(
        &st,
        &method,
        &uri,
        &headers,
        &body,
        needs_version,
    ) {
        Ok(json) => json,
        Err(plan) => return st.reply(plan),
    };
    let (model, stream) = model_and_stream(&json);
    if model == "error-404" {
        return st.reply(crate::native::azure::deployment_not_found());
    }
    st.reply(plan(Upstream::Azure, model, stream))
}
