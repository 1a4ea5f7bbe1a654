//! Scenarios that change over time or wait, for the routing and failure-handling tests:
//!
//! - `fail-<N>-<status>[-tag]`: the first N requests for this exact model fail with `status`
//!   (429: the recorded OpenRouter 429, no `Retry-After`; 500; 503 HTML; 408), later ones get
//!   the `text` answer. The tag keeps counters of different tests apart.
//! - `fail-<N>-429-retry-after[-tag]`: as `fail-<N>-429`, with the documented `retry-after: 1`
//!   of the `error-429-retry-after` scenario (not recorded; see SOURCES.md).
//! - `slow-first-<ms>[-tag]`: the `text` answer after `ms` milliseconds of silence.
//! - `context-too-long`: OpenAI's 400 `context_length_exceeded`.
//! - `content-filter`: Azure OpenAI's 400 `content_filter` (`ResponsibleAIPolicyViolation`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::Response;
use bytes::Bytes;

use crate::canned;
use crate::fixtures::Fixture;
use crate::scenarios::{Action, Plan};
use crate::server::AppState;

/// OpenAI's 400 for a prompt over the context window: `code` as OpenAI's API reference lists it
/// (`context_length_exceeded`, param `messages`), message in the wording OpenAI sends, as quoted
/// in many clients' error handling (e.g. LiteLLM's exception mapping matches "maximum context
/// length").
const CONTEXT_TOO_LONG: &str = r#"{"error":{"message":"This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens. Please reduce the length of the messages.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}"#;

/// Azure OpenAI's 400 when the prompt trips its content filter, in the shape Microsoft documents
/// (MicrosoftDocs/azure-ai-docs, `articles/ai-services/openai/concepts/content-filter.md`).
const CONTENT_FILTER: &str = r#"{"error":{"message":"The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry.","type":null,"param":"prompt","code":"content_filter","status":400,"innererror":{"code":"ResponsibleAIPolicyViolation","content_filter_result":{"hate":{"filtered":true,"severity":"high"},"self_harm":{"filtered":false,"severity":"safe"},"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":false,"severity":"safe"}}}}}"#;

/// Requests seen per model name.
#[derive(Clone, Default)]
pub(crate) struct Counters(Arc<Mutex<HashMap<String, u64>>>);

impl Counters {
    pub(crate) fn bump(&self, model: &str) -> u64 {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let n = map.entry(model.to_owned()).or_default();
        *n += 1;
        *n
    }
}

/// The answer for `model` when it names one of these scenarios.
pub(crate) async fn respond(st: &AppState, model: &str, stream: bool) -> Option<Response> {
    let text = |st: &AppState| match crate::scenarios::chat("text", stream, &st.fixtures) {
        Action::Reply(plan) => plan,
        Action::Hang => Plan::json(StatusCode::OK, st.fixtures.get(Fixture::ChatText)),
    };
    if let Some(rest) = model.strip_prefix("fail-") {
        let mut parts = rest.split('-');
        let times: u64 = parts.next()?.parse().ok()?;
        let status: u16 = parts.next()?.parse().ok()?;
        let retry_after =
            status == 429 && parts.next() == Some("retry") && parts.next() == Some("after");
        let seen = st.counters.bump(model);
        let plan = if seen <= times && retry_after {
            crate::scenarios::rate_limited_with_retry_after(&st.fixtures)
        } else if seen <= times {
            failure(st, status)?
        } else {
            text(st)
        };
        return Some(st.reply(plan));
    }
    if let Some(rest) = model.strip_prefix("slow-first-") {
        let ms: u64 = rest.split('-').next()?.parse().ok()?;
        tokio::time::sleep(Duration::from_millis(ms)).await;
        return Some(st.reply(text(st)));
    }
    let body = match model {
        "context-too-long" => CONTEXT_TOO_LONG,
        "content-filter" => CONTENT_FILTER,
        _ => return None,
    };
    Some(st.reply(Plan::json(
        StatusCode::BAD_REQUEST,
        Bytes::from_static(body.as_bytes()),
    )))
}

fn failure(st: &AppState, status: u16) -> Option<Plan> {
    Some(match status {
        429 => Plan::recorded(
            StatusCode::TOO_MANY_REQUESTS,
            Fixture::Error429.path(),
            st.fixtures.get(Fixture::Error429),
        ),
        500 => Plan::json(
            StatusCode::INTERNAL_SERVER_ERROR,
            Bytes::from_static(canned::ERROR_500.as_bytes()),
        ),
        503 => Plan {
            content_type: "text/html",
            ..Plan::json(
                StatusCode::SERVICE_UNAVAILABLE,
                Bytes::from_static(canned::ERROR_503_HTML.as_bytes()),
            )
        },
        408 => Plan::json(
            StatusCode::REQUEST_TIMEOUT,
            Bytes::from_static(canned::ERROR_500.as_bytes()),
        ),
        _ => return None,
    })
}
