//! The Gemini API's routes (served under `/gemini`): `POST
//! /v1beta/models/{model}:generateContent`, `…:streamGenerateContent?alt=sse`,
//! `…:batchEmbedContents` and `GET /v1beta/models`, replaying
//! `fixtures/providers/gemini/` byte for byte (read per request).
//!
//! Scenario by the model named in the path:
//!
//! | model | `:generateContent` | `:streamGenerateContent` |
//! |---|---|---|
//! | `text` (default, any other name) | generate-content-text.json | stream-text.sse |
//! | `tools` | generate-content-function-call.json | stream-function-call-single-chunk.sse |
//! | `tools-signature` | generate-content-function-call.json | stream-function-call-thought-signature.sse |
//! | `thinking` | generate-content-text.json | stream-thinking.sse |
//! | `safety` | generate-content-finish-safety.json | stream-text.sse |
//! | `max-tokens` | generate-content-max-tokens-no-parts.json | stream-text.sse |
//! | `error-401` | 400 `API_KEY_INVALID` (canned) | same |
//! | `error-403` | 403 error-403-permission-denied.json | same |
//! | `error-404` | 404 error-404-model-not-found.json | same |
//! | `error-429` | 429 error-429-resource-exhausted.json | same |
//! | `error-503` | 503 `UNAVAILABLE` (canned) | same |
//! | `context-too-long` | 400 token-count `INVALID_ARGUMENT` (canned) | same |
//! | `garbage` | 200, a body that is not JSON | 200, bytes that are not SSE |
//! | `slow` | generate-content-text.json | stream-thinking.sse, 200 ms between events |
//! | `reset` | generate-content-text.json | first event of stream-text.sse, then the connection is cut |
//! | `hang` | never answers | never answers |
//!
//! `:batchEmbedContents` answers embed-batch.json (`error-404`: the 404
//! fixture); `GET /v1beta/models` answers models-list.json whatever the page
//! token. The canned bodies are Google's error envelope as quoted verbatim in
//! public bug reports (google-gemini/gemini-cli #4231, #7227;
//! cequence-io/openai-scala-client #109): the fixtures hold no 400/503.

use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};

use crate::content_types;
use crate::fixtures::{read_or_500, split_sse_events};
use crate::scenarios::Plan;
use crate::server::{AppState, hang};

const JSON: &str = "application/json; charset=UTF-8";
const SSE: &str = "text/event-stream";
const SLOW_INTERVAL: Duration = Duration::from_millis(200);

const ERROR_API_KEY_INVALID: &str = r#"{
  "error": {
    "code": 400,
    "message": "API key not valid. Please pass a valid API key.",
    "status": "INVALID_ARGUMENT",
    "details": [
      {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "API_KEY_INVALID",
        "domain": "googleapis.com",
        "metadata": {
          "service": "generativelanguage.googleapis.com"
        }
      },
      {
        "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
        "locale": "en-US",
        "message": "API key not valid. Please pass a valid API key."
      }
    ]
  }
}
"#;

const ERROR_OVERLOADED: &str = r#"{
  "error": {
    "code": 503,
    "message": "The model is overloaded. Please try again later.",
    "status": "UNAVAILABLE"
  }
}
"#;

const ERROR_TOO_MANY_TOKENS: &str = r#"{
  "error": {
    "code": 400,
    "message": "The input token count (3475108) exceeds the maximum number of tokens allowed (1048576).",
    "status": "INVALID_ARGUMENT"
  }
}
"#;

const GARBAGE_JSON: &[u8] = b"<<not json>>";
const GARBAGE_SSE: &[u8] = b"\x00\xff not sse at all {{{\r\n\r\n";

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1beta/models", get(models))
        .route("/v1beta/models/{target}", post(call))
}

/// A recording of `gemini/`, with its recorded `Content-Type`; a missing file is a 500
/// naming it.
fn replay_json(st: &AppState, status: StatusCode, name: &str) -> Plan {
    let path = format!("gemini/{name}");
    match read_or_500(&st.fixtures_dir, &path) {
        Ok(body) => Plan::recorded(status, &path, body),
        Err(missing) => missing,
    }
}

/// A recorded stream of `gemini/`, one body chunk per event.
fn replay_sse(st: &AppState, name: &str) -> Plan {
    let path = format!("gemini/{name}");
    match read_or_500(&st.fixtures_dir, &path) {
        Ok(body) => Plan {
            content_type: content_types::of(&path),
            ..sse(&body)
        },
        Err(missing) => missing,
    }
}

fn json(status: StatusCode, body: Bytes) -> Plan {
    Plan {
        content_type: JSON,
        ..Plan::json(status, body)
    }
}

fn sse(body: &Bytes) -> Plan {
    Plan {
        content_type: SSE,
        chunks: split_sse_events(body),
        streaming: true,
        ..Plan::json(StatusCode::OK, Bytes::new())
    }
}

async fn models(
    State(st): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    st.record(&method, &uri, &headers, &body);
    st.reply(replay_json(&st, StatusCode::OK, "models-list.json"))
}

async fn call(
    State(st): State<AppState>,
    Path(target): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    st.record(&method, &uri, &headers, &body);
    let (model, action) = target.split_once(':').unwrap_or((target.as_str(), ""));
    if model == "hang" && action.ends_with("enerateContent") {
        return hang(st).await;
    }
    let plan = match action {
        "generateContent" => chat(&st, model, false),
        "streamGenerateContent" => chat(&st, model, true),
        "batchEmbedContents" => match model {
            "error-404" => {
                replay_json(&st, StatusCode::NOT_FOUND, "error-404-model-not-found.json")
            }
            _ => replay_json(&st, StatusCode::OK, "embed-batch.json"),
        },
        _ => replay_json(&st, StatusCode::NOT_FOUND, "error-404-model-not-found.json"),
    };
    st.reply(plan)
}

fn chat(st: &AppState, model: &str, stream: bool) -> Plan {
    let error = |status, body: Bytes| json(status, body);
    match (model, stream) {
        ("error-401", _) => error(
            StatusCode::BAD_REQUEST,
            Bytes::from_static(ERROR_API_KEY_INVALID.as_bytes()),
        ),
        ("error-403", _) => replay_json(
            st,
            StatusCode::FORBIDDEN,
            "error-403-permission-denied.json",
        ),
        ("error-404", _) => {
            replay_json(st, StatusCode::NOT_FOUND, "error-404-model-not-found.json")
        }
        ("error-429", _) => replay_json(
            st,
            StatusCode::TOO_MANY_REQUESTS,
            "error-429-resource-exhausted.json",
        ),
        ("error-503", _) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            Bytes::from_static(ERROR_OVERLOADED.as_bytes()),
        ),
        ("context-too-long", _) => error(
            StatusCode::BAD_REQUEST,
            Bytes::from_static(ERROR_TOO_MANY_TOKENS.as_bytes()),
        ),
        ("garbage", false) => json(StatusCode::OK, Bytes::from_static(GARBAGE_JSON)),
        ("garbage", true) => sse(&Bytes::from_static(GARBAGE_SSE)),
        ("tools" | "tools-signature", false) => {
            replay_json(st, StatusCode::OK, "generate-content-function-call.json")
        }
        ("tools", true) => replay_sse(st, "stream-function-call-single-chunk.sse"),
        ("tools-signature", true) => replay_sse(st, "stream-function-call-thought-signature.sse"),
        ("thinking", true) => replay_sse(st, "stream-thinking.sse"),
        ("safety", false) => replay_json(st, StatusCode::OK, "generate-content-finish-safety.json"),
        ("max-tokens", false) => replay_json(
            st,
            StatusCode::OK,
            "generate-content-max-tokens-no-parts.json",
        ),
        ("slow", true) => Plan {
            interval: SLOW_INTERVAL,
            ..replay_sse(st, "stream-thinking.sse")
        },
        ("reset", true) => {
            let mut plan = replay_sse(st, "stream-text.sse");
            plan.chunks.truncate(1);
            plan.reset = true;
            plan
        }
        (_, false) => replay_json(st, StatusCode::OK, "generate-content-text.json"),
        (_, true) => replay_sse(st, "stream-text.sse"),
    }
}
