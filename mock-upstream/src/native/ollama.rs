//! The Ollama native API's routes (served under `/ollama`), replaying the
//! recorded wire data in `ollama/` of the fixtures folder.
//!
//! `POST /api/chat` picks a scenario by the body's `model`; `stream` is
//! true unless the body says `false`, as on a real Ollama server.
//!
//! | model            | `stream: true` (`application/x-ndjson`, one line per write)            | `stream: false` (`application/json; charset=utf-8`) |
//! |------------------|------------------------------------------------------------------------|------------------------------------------------------|
//! | `text` (default) | `chat-stream.ndjson`                                                   | [`DOCS_CHAT_NO_STREAM`] (docs example, no capture exists) |
//! | `tools`          | `chat-stream-tool-calls.docs.chunk.json` + `….final.json`, each as one line | `chat-tool-calls-thinking.json`                  |
//! | `thinking`       | `chat-tool-calls-thinking.json` as the only (final) line               | `chat-tool-calls-thinking.json`                      |
//! | `slow`           | `chat-stream.ndjson`, 200 ms between lines                             | as `text`                                            |
//! | `reset`          | the first 3 lines of `chat-stream.ndjson`, then a connection reset     | as `text`                                            |
//! | `garbage`        | bytes that are not NDJSON                                              | as `text`                                            |
//! | `hang`           | never answers                                                          | never answers                                        |
//! | `error-400`      | 400 `error-400-model-does-not-support-tools.json`                      | same                                                 |
//! | `error-400-think`| 400 `error-400-think-value-unsupported.json`                           | same                                                 |
//! | `error-404`      | 404 `error-404-model-not-found.json`                                   | same                                                 |
//! | `error-500`      | 500 [`DOCS_ERROR`] (docs example)                                      | same                                                 |
//!
//! `POST /api/embed`: `embed.json`, or 404 `error-404-model-not-found.json`
//! for the model `missing`. `GET /api/tags`: `tags.docs.json`.
//!
//! Documentation examples are pretty-printed; on the wire each is one
//! NDJSON line, so they are sent with the whitespace between tokens removed
//! (string contents untouched).

use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::Value;

use crate::canned;
use crate::fixtures::read_or_500;
use crate::scenarios::Plan;
use crate::server::{AppState, hang};

const NDJSON: &str = "application/x-ndjson";
const JSON: &str = "application/json; charset=utf-8";
const SLOW_INTERVAL: Duration = Duration::from_millis(200);
const RESET_AFTER_LINES: usize = 3;

/// Ollama's "Chat request (No streaming)" response example, copied verbatim
/// from `ollama/ollama` `docs/api.md` @ 01e52d24bc00 (the fixtures hold no
/// captured non-streamed `/api/chat` text answer).
pub(crate) const DOCS_CHAT_NO_STREAM: &str = r#"{
  "model": "llama3.2",
  "created_at": "2023-12-12T14:13:43.416799Z",
  "message": {
    "role": "assistant",
    "content": "Hello! How are you today?"
  },
  "done": true,
  "total_duration": 5191566416,
  "load_duration": 2154458,
  "prompt_eval_count": 26,
  "prompt_eval_duration": 383809000,
  "eval_count": 298,
  "eval_duration": 4799921000
}"#;

/// Ollama's error body example, verbatim from `ollama/ollama`
/// `docs/api/errors.mdx` (no captured 5xx body exists).
pub(crate) const DOCS_ERROR: &str = r#"{
  "error": "the model failed to generate a response"
}"#;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/chat", post(chat))
        .route("/api/embed", post(embed))
        .route("/api/tags", get(tags))
}

/// A recording of `ollama/`, read per request (the files are small, and a test may swap the
/// folder); a missing one is a 500 naming it.
fn fixture(st: &AppState, name: &str) -> Result<Bytes, Plan> {
    read_or_500(&st.fixtures_dir, &format!("ollama/{name}"))
}

/// A recorded JSON answer, with its recorded `Content-Type`.
fn replay_json(st: &AppState, status: StatusCode, name: &str) -> Plan {
    let path = format!("ollama/{name}");
    match read_or_500(&st.fixtures_dir, &path) {
        Ok(body) => Plan::recorded(status, &path, body),
        Err(missing) => missing,
    }
}

fn json(status: StatusCode, body: Bytes) -> Plan {
    Plan {
        content_type: JSON,
        ..Plan::json(status, body)
    }
}

/// One write per line, as Ollama flushes each object.
fn ndjson(lines: Vec<Bytes>) -> Plan {
    Plan {
        status: StatusCode::OK,
        content_type: NDJSON,
        headers: &[],
        chunks: lines,
        streaming: true,
        interval: Duration::ZERO,
        reset: false,
    }
}

/// Splits after each `\n`; the pieces concatenate back to `body`.
fn split_lines(body: &Bytes) -> Vec<Bytes> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, b) in body.iter().enumerate() {
        if *b == b'\n' {
            out.push(body.slice(start..=i));
            start = i + 1;
        }
    }
    if start < body.len() {
        out.push(body.slice(start..));
    }
    out
}

/// A pretty-printed JSON document as one NDJSON line: whitespace between
/// tokens dropped, strings kept byte for byte.
fn one_line(pretty: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(pretty.len() + 1);
    let (mut in_string, mut escaped) = (false, false);
    for &b in pretty {
        if in_string {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if !b.is_ascii_whitespace() {
            in_string = b == b'"';
            out.push(b);
        }
    }
    out.push(b'\n');
    Bytes::from(out)
}

async fn chat(
    State(st): State<AppState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(req) = st.record(&method, &uri, &headers, &body) else {
        return st.reply(json(
            StatusCode::BAD_REQUEST,
            Bytes::from_static(br#"{"error":"mock-upstream: the request body is not JSON"}"#),
        ));
    };
    let model = req
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("text")
        .to_owned();
    let stream = req.get("stream").and_then(Value::as_bool).unwrap_or(true);
    match chat_plan(&st, &model, stream) {
        Some(plan) => st.reply(plan),
        None => hang(st).await,
    }
}

/// The answer for `model`; `None`: never answer. A missing fixture is a 500 naming it.
fn chat_plan(st: &AppState, model: &str, stream: bool) -> Option<Plan> {
    let lines = |name: &str| fixture(st, name).map(|body| ndjson(split_lines(&body)));
    let plan = match (model, stream) {
        ("hang", _) => return None,
        ("error-400", _) => replay_json(
            st,
            StatusCode::BAD_REQUEST,
            "error-400-model-does-not-support-tools.json",
        ),
        ("error-400-think", _) => replay_json(
            st,
            StatusCode::BAD_REQUEST,
            "error-400-think-value-unsupported.json",
        ),
        ("error-404", _) => {
            replay_json(st, StatusCode::NOT_FOUND, "error-404-model-not-found.json")
        }
        ("error-500", _) => json(
            StatusCode::INTERNAL_SERVER_ERROR,
            Bytes::from_static(DOCS_ERROR.as_bytes()),
        ),
        ("tools" | "thinking", false) => {
            replay_json(st, StatusCode::OK, "chat-tool-calls-thinking.json")
        }
        ("tools", true) => fixture(st, "chat-stream-tool-calls.docs.chunk.json")
            .and_then(|chunk| {
                let last = fixture(st, "chat-stream-tool-calls.docs.final.json")?;
                Ok(ndjson(vec![one_line(&chunk), one_line(&last)]))
            })
            .unwrap_or_else(|missing| missing),
        // Borrowed: no streamed capture with `thinking` exists; the recorded non-streamed
        // answer is sent as the only (final) line.
        ("thinking", true) => lines("chat-tool-calls-thinking.json").unwrap_or_else(|m| m),
        ("slow", true) => lines("chat-stream.ndjson")
            .map(|plan| Plan {
                interval: SLOW_INTERVAL,
                ..plan
            })
            .unwrap_or_else(|m| m),
        ("reset", true) => lines("chat-stream.ndjson")
            .map(|mut plan| {
                plan.chunks.truncate(RESET_AFTER_LINES);
                plan.reset = true;
                plan
            })
            .unwrap_or_else(|m| m),
        ("garbage", true) => ndjson(vec![Bytes::from_static(canned::GARBAGE)]),
        (_, true) => lines("chat-stream.ndjson").unwrap_or_else(|m| m),
        (_, false) => json(
            StatusCode::OK,
            Bytes::from_static(DOCS_CHAT_NO_STREAM.as_bytes()),
        ),
    };
    Some(plan)
}

async fn embed(
    State(st): State<AppState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let req = st.record(&method, &uri, &headers, &body);
    let model = req
        .as_ref()
        .and_then(|r| r.get("model"))
        .and_then(Value::as_str)
        .unwrap_or("text");
    let plan = match model {
        "missing" => replay_json(&st, StatusCode::NOT_FOUND, "error-404-model-not-found.json"),
        _ => replay_json(&st, StatusCode::OK, "embed.json"),
    };
    st.reply(plan)
}

async fn tags(
    State(st): State<AppState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    st.record(&method, &uri, &headers, &body);
    st.reply(replay_json(&st, StatusCode::OK, "tags.docs.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_docs_examples_become_one_line() {
        let line = one_line(b"{\n  \"a\": \"x  y\\\" z\",\n  \"b\": [1, 2]\n}\n");
        assert_eq!(&line[..], b"{\"a\":\"x  y\\\" z\",\"b\":[1,2]}\n");
        let dir = crate::default_fixtures_dir().join("ollama");
        for name in [
            "chat-stream-tool-calls.docs.chunk.json",
            "chat-stream-tool-calls.docs.final.json",
            "tags.docs.json",
        ] {
            let pretty = std::fs::read(dir.join(name)).expect("fixture");
            let line = one_line(&pretty);
            assert_eq!(line.iter().filter(|&&b| b == b'\n').count(), 1);
            let a: Value = serde_json::from_slice(&pretty).expect("json");
            let b: Value = serde_json::from_slice(&line).expect("json");
            assert_eq!(a, b);
        }
        assert!(serde_json::from_str::<Value>(DOCS_CHAT_NO_STREAM).is_ok());
        assert!(serde_json::from_str::<Value>(DOCS_ERROR).is_ok());
    }

    #[test]
    fn lines_split_and_rejoin() {
        let body = Bytes::from_static(b"{\"a\":1}\n{\"b\":2}\n{\"c\":3}");
        let lines = split_lines(&body);
        assert_eq!(lines.len(), 3);
        assert_eq!(lines.concat(), body.to_vec());
    }
}
