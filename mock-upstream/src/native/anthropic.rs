//! The Anthropic Messages API (served under `/anthropic`), replaying
//! `fixtures/providers/anthropic/` byte for byte.
//!
//! Every `POST /anthropic/v1/messages` is first checked against the
//! documented request schema (headers `x-api-key` and `anthropic-version`;
//! body `model`, positive `max_tokens`, non-empty alternating
//! `messages` of known content blocks, known top-level fields, tool and
//! tool_choice shapes); a request that breaks it gets Anthropic's 400/401
//! envelope naming the fault, so adapters cannot pass by sending OpenAI's
//! dialect. Then the request's `model` picks the answer:
//!
//! | model | `stream: true` | `stream: false` |
//! |---|---|---|
//! | `text` (and any other name) | `messages-stream-text.sse` | `messages-text.json` |
//! | `tools` | `messages-stream-tool-use.sse` | `messages-parallel-tool-use.json` |
//! | `parallel-tools` | — (text) | `messages-parallel-tool-use.json` |
//! | `tool-no-args` | `messages-stream-tool-no-args.chunks.jsonl` (framed as `event:`/`data:`) | — |
//! | `server-tool` | `messages-stream-server-tool-then-tool-use.sse` | — |
//! | `thinking` | `messages-stream-thinking.sse` | — |
//! | `redacted-thinking` | `messages-stream-redacted-thinking.sse` | — |
//! | `refusal` | `messages-stream-refusal-no-content.sse` | — |
//! | `overloaded` | HTTP 200 + `messages-stream-error-event.docs.sse` | 529 `overloaded_error` ¹ |
//! | `error-400` | 400 `error-400-invalid-request.json` | same |
//! | `error-404` | 404 `error-404-not-found.json` | same |
//! | `error-401` / `error-429` / `error-500` / `error-529` | 401 / 429 (+`retry-after: 1` ³) / 500 / 529 ¹ | same |
//! | `context-too-long` | 400 "prompt is too long" ² | same |
//! | `garbage` | bytes that are not SSE | same bytes |
//! | `slow` | the text stream, 200 ms between events | — |
//! | `reset` | three text events, then the connection is reset | — |
//! | `hang` | never answers | same |
//!
//! ¹ No capture exists (fixtures README, "Not found"): bodies follow the
//! documented error shape and status ↔ type table of docs.claude.com
//! `/en/api/errors`, with the messages the docs give where they give one.
//! ² Body quoted in boldsoftware/exe.dev issue #62 (a live 400 from
//! api.anthropic.com).
//! ³ Not recorded: Anthropic documents `retry-after` on its 429s
//! (https://docs.claude.com/en/api/rate-limits).
//!
//! A fixture missing from the folder is a 500 naming it. Where each answer comes from:
//! `mock-upstream/SOURCES.md`.
//!
//! `GET /anthropic/v1/models` answers the documented List Models shape
//! (`data[]` of `{type, id, display_name, created_at}`, `has_more`,
//! `first_id`, `last_id`); no capture of it exists either.

use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Map, Value};

use crate::canned;
use crate::content_types;
use crate::fixtures::{read_or_500, split_sse_events};
use crate::scenarios::{JSON, Plan, SSE};
use crate::server::{AppState, hang};

const SLOW_INTERVAL: Duration = Duration::from_millis(200);
const RESET_AFTER_EVENTS: usize = 3;

const ERROR_401: &str = r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"},"request_id":"req_mock_401"}"#;
const ERROR_429: &str = r#"{"type":"error","error":{"type":"rate_limit_error","message":"Your account has hit a rate limit."},"request_id":"req_mock_429"}"#;
const ERROR_500: &str = r#"{"type":"error","error":{"type":"api_error","message":"An unexpected error has occurred internal to Anthropic's systems."},"request_id":"req_mock_500"}"#;
const ERROR_529: &str = r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_mock_529"}"#;
const CONTEXT_TOO_LONG: &str = r#"{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 200251 tokens > 200000 maximum"},"request_id":"req_011CWdepJvA2D819tdYYq4h7"}"#;
const MODELS: &str = r#"{"data":[{"type":"model","id":"claude-sonnet-4-5-20250929","display_name":"Claude Sonnet 4.5","created_at":"2025-09-29T00:00:00Z"},{"type":"model","id":"claude-3-opus-20240229","display_name":"Claude Opus 3","created_at":"2024-02-29T00:00:00Z"}],"has_more":false,"first_id":"claude-sonnet-4-5-20250929","last_id":"claude-3-opus-20240229"}"#;

/// Top-level fields of the documented Messages request.
const REQUEST_FIELDS: &[&str] = &[
    "model",
    "messages",
    "max_tokens",
    "system",
    "metadata",
    "stop_sequences",
    "stream",
    "temperature",
    "top_p",
    "top_k",
    "tools",
    "tool_choice",
    "thinking",
    "service_tier",
    "container",
    "mcp_servers",
    "context_management",
];

/// Content block types a request may carry.
const BLOCK_TYPES: &[&str] = &[
    "text",
    "image",
    "document",
    "search_result",
    "tool_use",
    "tool_result",
    "thinking",
    "redacted_thinking",
];

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/messages", post(messages))
        .route("/v1/models", get(models))
}

async fn messages(
    State(st): State<AppState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // The full path (with `/anthropic`) goes into the log, as the client sent it.
    let json = st.record(&method, &uri, &headers, &body);
    if let Err((status, message)) = check_headers(&headers) {
        return st.reply(error(status, message));
    }
    let json = match json {
        Some(Value::Object(obj)) => obj,
        _ => {
            return st.reply(error(
                StatusCode::BAD_REQUEST,
                "The request body is not valid JSON.".into(),
            ));
        }
    };
    if let Err(message) = check_body(&json) {
        return st.reply(error(StatusCode::BAD_REQUEST, message));
    }
    let model = json.get("model").and_then(Value::as_str).unwrap_or("text");
    let stream = json.get("stream").and_then(Value::as_bool).unwrap_or(false);
    if model == "hang" {
        return hang(st).await;
    }
    let plan = plan(&st, model, stream).await;
    st.reply(plan)
}

async fn models(
    State(st): State<AppState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    st.record(&method, &uri, &headers, &body);
    if let Err((status, message)) = check_headers(&headers) {
        return st.reply(error(status, message));
    }
    st.reply(Plan::json(
        StatusCode::OK,
        Bytes::from_static(MODELS.as_bytes()),
    ))
}

async fn plan(st: &AppState, model: &str, stream: bool) -> Plan {
    let canned =
        |status, body: &'static str| Plan::json(status, Bytes::from_static(body.as_bytes()));
    match (model, stream) {
        ("tools", true) => sse(st, "messages-stream-tool-use.sse").await,
        ("tools" | "parallel-tools", false) => {
            json(st, StatusCode::OK, "messages-parallel-tool-use.json").await
        }
        ("tool-no-args", true) => sse(st, "messages-stream-tool-no-args.chunks.jsonl").await,
        ("server-tool", true) => sse(st, "messages-stream-server-tool-then-tool-use.sse").await,
        ("thinking", true) => sse(st, "messages-stream-thinking.sse").await,
        ("redacted-thinking", true) => sse(st, "messages-stream-redacted-thinking.sse").await,
        ("refusal", true) => sse(st, "messages-stream-refusal-no-content.sse").await,
        ("overloaded", true) => sse(st, "messages-stream-error-event.docs.sse").await,
        ("overloaded" | "error-529", _) => canned(status(529), ERROR_529),
        ("error-400", _) => {
            json(
                st,
                StatusCode::BAD_REQUEST,
                "error-400-invalid-request.json",
            )
            .await
        }
        ("error-404", _) => json(st, StatusCode::NOT_FOUND, "error-404-not-found.json").await,
        ("error-401", _) => canned(StatusCode::UNAUTHORIZED, ERROR_401),
        ("error-429", _) => Plan {
            headers: &[("retry-after", "1")],
            ..canned(StatusCode::TOO_MANY_REQUESTS, ERROR_429)
        },
        ("error-500", _) => canned(StatusCode::INTERNAL_SERVER_ERROR, ERROR_500),
        ("context-too-long", _) => canned(StatusCode::BAD_REQUEST, CONTEXT_TOO_LONG),
        ("garbage", _) => Plan {
            content_type: if stream { SSE } else { JSON },
            ..Plan::json(StatusCode::OK, Bytes::from_static(canned::GARBAGE))
        },
        ("slow", true) => Plan {
            interval: SLOW_INTERVAL,
            ..sse(st, "messages-stream-text.sse").await
        },
        ("reset", true) => {
            let mut plan = sse(st, "messages-stream-text.sse").await;
            plan.chunks.truncate(RESET_AFTER_EVENTS);
            plan.reset = true;
            plan
        }
        (_, true) => sse(st, "messages-stream-text.sse").await,
        (_, false) => json(st, StatusCode::OK, "messages-text.json").await,
    }
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::SERVICE_UNAVAILABLE)
}

async fn json(st: &AppState, status: StatusCode, name: &str) -> Plan {
    let path = format!("anthropic/{name}");
    match read_or_500(&st.fixtures_dir, &path) {
        Ok(body) => Plan::recorded(status, &path, body),
        Err(missing) => missing,
    }
}

/// An SSE answer, one body chunk per event, with the recording's `Content-Type`. vercel/ai's
/// `.chunks.jsonl` keeps only the `data:` payloads: each gets back its `event: <type>` line.
/// The docs' error event is stored without the blank line that ends it on the wire.
async fn sse(st: &AppState, name: &str) -> Plan {
    let path = format!("anthropic/{name}");
    let raw = match read_or_500(&st.fixtures_dir, &path) {
        Ok(raw) => raw,
        Err(missing) => return missing,
    };
    let body = if name.ends_with(".chunks.jsonl") {
        frame_events(&raw)
    } else if name.ends_with(".docs.sse") && !raw.ends_with(b"\n\n") {
        Bytes::from([&raw[..], b"\n"].concat())
    } else {
        raw
    };
    Plan {
        status: StatusCode::OK,
        content_type: content_types::of(&path),
        headers: &[],
        chunks: split_sse_events(&body),
        streaming: true,
        interval: Duration::ZERO,
        reset: false,
    }
}

/// Also OpenAI's Responses API framing (`responses.rs`).
pub(crate) fn frame_events(jsonl: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(jsonl.len() * 2);
    for line in jsonl.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let kind = serde_json::from_slice::<Value>(line)
            .ok()
            .and_then(|v| v.get("type").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_default();
        out.extend_from_slice(format!("event: {kind}\ndata: ").as_bytes());
        out.extend_from_slice(line);
        out.extend_from_slice(b"\n\n");
    }
    Bytes::from(out)
}

/// Anthropic's error envelope.
fn error(status: StatusCode, message: String) -> Plan {
    let kind = match status {
        StatusCode::UNAUTHORIZED => "authentication_error",
        _ => "invalid_request_error",
    };
    let body = serde_json::json!({"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_mock_check"});
    Plan::json(status, Bytes::from(body.to_string()))
}

fn check_headers(headers: &HeaderMap) -> Result<(), (StatusCode, String)> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    };
    if text("x-api-key").is_empty() {
        return Err((
            StatusCode::UNAUTHORIZED,
            "x-api-key header is required".into(),
        ));
    }
    if headers.contains_key("authorization") {
        return Err((
            StatusCode::BAD_REQUEST,
            "mock: send the key as x-api-key, not authorization".into(),
        ));
    }
    if text("anthropic-version").is_empty() {
        return Err((
            StatusCode::BAD_REQUEST,
            "anthropic-version: header is required".into(),
        ));
    }
    Ok(())
}

/// The documented request schema, as far as an adapter can get it wrong.
fn check_body(body: &Map<String, Value>) -> Result<(), String> {
    if let Some(extra) = body.keys().find(|k| !REQUEST_FIELDS.contains(&k.as_str())) {
        return Err(format!("{extra}: Extra inputs are not permitted"));
    }
    if !body.get("model").is_some_and(Value::is_string) {
        return Err("model: Field required".into());
    }
    if body
        .get("max_tokens")
        .and_then(Value::as_u64)
        .is_none_or(|m| m == 0)
    {
        return Err("max_tokens: Field required (a positive integer)".into());
    }
    if let Some(system) = body.get("system")
        && !(system.is_string() || system.is_array())
    {
        return Err("system: Input should be a string or a list of text blocks".into());
    }
    let Some(messages) = body
        .get("messages")
        .and_then(Value::as_array)
        .filter(|m| !m.is_empty())
    else {
        return Err("messages: at least one message is required".into());
    };
    let mut previous = "";
    for (i, msg) in messages.iter().enumerate() {
        let role = msg.get("role").and_then(Value::as_str).unwrap_or_default();
        if role != "user" && role != "assistant" {
            return Err(format!(
                "messages.{i}.role: Input should be 'user' or 'assistant'"
            ));
        }
        if role == previous {
            return Err(format!(
                "messages.{i}: roles must alternate between \"user\" and \"assistant\""
            ));
        }
        previous = role;
        match msg.get("content") {
            Some(Value::String(s)) if !s.is_empty() => {}
            Some(Value::Array(blocks)) if !blocks.is_empty() => {
                for (j, block) in blocks.iter().enumerate() {
                    check_block(block).map_err(|why| format!("messages.{i}.content.{j}: {why}"))?;
                }
            }
            _ => {
                return Err(format!(
                    "messages.{i}: all messages must have non-empty content"
                ));
            }
        }
    }
    if let Some(tools) = body.get("tools") {
        for (i, tool) in tools.as_array().into_iter().flatten().enumerate() {
            let custom = tool.get("type").is_none_or(|t| t == "custom");
            if custom
                && (!tool.get("name").is_some_and(Value::is_string)
                    || tool.pointer("/input_schema/type").and_then(Value::as_str) != Some("object"))
            {
                return Err(format!(
                    "tools.{i}: a tool needs `name` and an object `input_schema`"
                ));
            }
        }
    }
    if let Some(choice) = body.get("tool_choice") {
        let kind = choice
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !["auto", "any", "tool", "none"].contains(&kind)
            || (kind == "tool" && !choice.get("name").is_some_and(Value::is_string))
        {
            return Err("tool_choice: Input should be an object of type auto, any, tool (with name) or none".into());
        }
    }
    Ok(())
}

fn check_block(block: &Value) -> Result<(), &'static str> {
    let kind = block
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !BLOCK_TYPES.contains(&kind) {
        return Err("unknown content block type");
    }
    let has = |key: &str| block.get(key).is_some_and(|v| !v.is_null());
    let ok = match kind {
        "text" => block
            .get("text")
            .and_then(Value::as_str)
            .is_some_and(|t| !t.is_empty()),
        "image" => match block.pointer("/source/type").and_then(Value::as_str) {
            Some("base64") => {
                block
                    .pointer("/source/media_type")
                    .is_some_and(Value::is_string)
                    && block.pointer("/source/data").is_some_and(Value::is_string)
            }
            Some("url") => block.pointer("/source/url").is_some_and(Value::is_string),
            _ => false,
        },
        "tool_use" => has("id") && has("name") && block.get("input").is_some_and(Value::is_object),
        "tool_result" => has("tool_use_id"),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err("content block is missing required fields or has empty text")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn schema_check_rejects_openai_dialect() {
        let good = serde_json::json!({"model": "text", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]});
        assert_eq!(check_body(&obj(good.clone())), Ok(()));
        let mut no_max = good.clone();
        no_max.as_object_mut().map(|o| o.remove("max_tokens"));
        assert!(check_body(&obj(no_max)).is_err());
        let mut openai = good.clone();
        openai["stream_options"] = serde_json::json!({"include_usage": true});
        assert!(check_body(&obj(openai)).is_err());
        let mut system_role = good.clone();
        system_role["messages"] = serde_json::json!([{"role": "system", "content": "x"}]);
        assert!(check_body(&obj(system_role)).is_err());
        let mut repeated = good.clone();
        repeated["messages"] =
            serde_json::json!([{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]);
        assert!(check_body(&obj(repeated)).is_err());
        let mut image_url = good;
        image_url["messages"][0]["content"] =
            serde_json::json!([{"type": "image_url", "image_url": {"url": "x"}}]);
        assert!(check_body(&obj(image_url)).is_err());
    }

    #[test]
    fn jsonl_payloads_get_their_event_names() {
        let framed = frame_events(b"{\"type\":\"ping\"}\n\n{\"type\":\"message_stop\"}\n");
        assert_eq!(
            &framed[..],
            b"event: ping\ndata: {\"type\":\"ping\"}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
        );
    }
}
