//! Anthropic answers → proto: the non-streamed Message, error envelopes and
//! the model list. Pure functions over text.

use modelgate::error::{ErrorKind, GatewayError};
use modelgate::v1::{ChatCompletionChunk, Choice, Delta, Model, Role, ToolCall, Usage};
use serde::Deserialize;
use serde_json::Value;

/// `usage` of a Message, `message_start` or `message_delta`. Anthropic's
/// `input_tokens` leaves out cached tokens; OpenAI's `prompt_tokens`
/// includes them.
#[derive(Deserialize, Default, Clone, Copy, Debug)]
pub struct WireUsage {
    #[serde(default)]
    pub input_tokens: Option<u64>,
    #[serde(default)]
    pub output_tokens: Option<u64>,
    #[serde(default)]
    pub cache_read_input_tokens: Option<u64>,
    #[serde(default)]
    pub cache_creation_input_tokens: Option<u64>,
}

impl WireUsage {
    /// Fields present in `newer` replace ours (message_delta's counts are cumulative).
    pub fn update(&mut self, newer: &WireUsage) {
        self.input_tokens = newer.input_tokens.or(self.input_tokens);
        self.output_tokens = newer.output_tokens.or(self.output_tokens);
        self.cache_read_input_tokens = newer
            .cache_read_input_tokens
            .or(self.cache_read_input_tokens);
        self.cache_creation_input_tokens = newer
            .cache_creation_input_tokens
            .or(self.cache_creation_input_tokens);
    }

    pub fn to_usage(self) -> Usage {
        let cached = self.cache_read_input_tokens.unwrap_or(0);
        let prompt =
            self.input_tokens.unwrap_or(0) + cached + self.cache_creation_input_tokens.unwrap_or(0);
        let completion = self.output_tokens.unwrap_or(0);
        Usage {
            prompt_tokens: prompt,
            completion_tokens: completion,
            total_tokens: prompt + completion,
            cached_tokens: self.cache_read_input_tokens,
            reasoning_tokens: None,
        }
    }
}

/// OpenAI's finish_reason for an Anthropic `stop_reason`.
pub fn finish_reason(stop_reason: &str) -> &'static str {
    match stop_reason {
        "max_tokens" | "model_context_window_exceeded" => "length",
        "tool_use" => "tool_calls",
        "refusal" => "content_filter",
        // end_turn, stop_sequence, pause_turn and reasons added later.
        _ => "stop",
    }
}

#[derive(Deserialize)]
struct WireMessage {
    #[serde(default)]
    id: String,
    #[serde(default)]
    model: String,
    #[serde(default)]
    content: Vec<WireBlock>,
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default)]
    stop_details: Option<StopDetails>,
    #[serde(default)]
    usage: WireUsage,
}

/// `stop_details` of a refusal: why the model declined.
#[derive(Deserialize, Default, Clone, Debug)]
pub struct StopDetails {
    #[serde(default)]
    pub explanation: Option<String>,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum WireBlock {
    Text {
        #[serde(default)]
        text: String,
    },
    Thinking {
        #[serde(default)]
        thinking: String,
    },
    ToolUse {
        #[serde(default)]
        id: String,
        #[serde(default)]
        name: String,
        #[serde(default)]
        input: Value,
    },
    /// redacted_thinking, server_tool_use and server tool results: nothing
    /// an OpenAI client can show.
    #[serde(other)]
    Other,
}

/// Seconds since the epoch: Anthropic messages carry no creation time.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

/// A non-streamed Message as the one chunk holding the whole answer.
pub fn parse_message(provider: &str, body: &[u8]) -> Result<ChatCompletionChunk, GatewayError> {
    let wire: WireMessage = serde_json::from_slice(body).map_err(|e| malformed(provider, &e))?;
    let mut delta = Delta {
        role: Some(Role::Assistant as i32),
        ..Default::default()
    };
    for block in wire.content {
        match block {
            WireBlock::Text { text } => delta
                .content
                .get_or_insert_with(String::new)
                .push_str(&text),
            WireBlock::Thinking { thinking } => delta
                .reasoning_content
                .get_or_insert_with(String::new)
                .push_str(&thinking),
            WireBlock::ToolUse { id, name, input } => {
                let arguments = if input.is_null() {
                    "{}".to_owned()
                } else {
                    input.to_string()
                };
                delta.tool_calls.push(ToolCall {
                    index: u32::try_from(delta.tool_calls.len()).unwrap_or(u32::MAX),
                    id: Some(id),
                    r#type: Some("function".into()),
                    name: Some(name),
                    arguments,
                });
            }
            WireBlock::Other => {}
        }
    }
    let stop = wire.stop_reason.as_deref().unwrap_or("end_turn");
    if stop == "refusal" {
        delta.refusal = wire.stop_details.and_then(|d| d.explanation);
    }
    Ok(ChatCompletionChunk {
        id: wire.id,
        model: wire.model,
        created: now(),
        choices: vec![Choice {
            index: 0,
            delta: Some(delta),
            finish_reason: Some(finish_reason(stop).into()),
            logprobs: None,
        }],
        usage: Some(wire.usage.to_usage()),
        ..Default::default()
    })
}

pub fn malformed(provider: &str, err: &serde_json::Error) -> GatewayError {
    GatewayError::new(
        ErrorKind::Unavailable,
        format!("upstream `{provider}` sent malformed JSON: {err}"),
    )
    .with_http_status(502)
}

/// The `error` object of `{"type":"error","error":{"type","message"}}`.
#[derive(Deserialize, Default, Debug)]
pub struct WireError {
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Deserialize)]
struct WireEnvelope {
    error: WireError,
}

/// The error a non-success HTTP response stands for, its message kept.
pub fn upstream_error(provider: &str, status: u16, body: &[u8]) -> GatewayError {
    match serde_json::from_slice::<WireEnvelope>(body) {
        Ok(env) => classify(Some(status), &env.error),
        Err(_) => {
            let message = crate::providers::http::bare_error_text(provider, status, body);
            classify(
                Some(status),
                &WireError {
                    kind: None,
                    message: Some(message),
                },
            )
        }
    }
}

/// An in-stream `error` event (sent after the HTTP 200).
pub fn stream_error(error: &WireError) -> GatewayError {
    classify(None, error)
}

/// Anthropic's documented status ↔ error type pairs, mapped to the
/// gateway's table. `overloaded_error` (HTTP 529) is a 503.
fn classify(status: Option<u16>, error: &WireError) -> GatewayError {
    let kind_text = error.kind.as_deref().unwrap_or_default();
    let message = error
        .message
        .clone()
        .unwrap_or_else(|| kind_text.to_owned());
    let overloaded = kind_text == "overloaded_error" || status == Some(529);
    let kind = match status {
        _ if overloaded => ErrorKind::Unavailable,
        Some(status) => ErrorKind::from_upstream_http(status),
        None => match kind_text {
            "invalid_request_error" => ErrorKind::InvalidRequest,
            "authentication_error" => ErrorKind::Unauthenticated,
            "permission_error" | "billing_error" => ErrorKind::PermissionDenied,
            "not_found_error" => ErrorKind::NotFound,
            "request_too_large" => ErrorKind::PayloadTooLarge,
            "rate_limit_error" => ErrorKind::RateLimited,
            "timeout_error" => ErrorKind::Timeout,
            _ => ErrorKind::Unavailable,
        },
    };
    // The upstream's own words, as it wrote them: the provider is in `x-modelgate-provider`.
    let mut err = GatewayError::new(kind, message.clone());
    if kind == ErrorKind::Unavailable && !overloaded && status != Some(503) {
        // A failing upstream is a bad gateway; only overload stays 503.
        err = err.with_http_status(502);
    }
    let lower = message.to_ascii_lowercase();
    let code = if lower.contains("prompt is too long") || lower.contains("exceed context limit") {
        Some("context_length_exceeded")
    } else {
        match kind {
            ErrorKind::NotFound => Some("model_not_found"),
            ErrorKind::RateLimited => Some("rate_limit_exceeded"),
            ErrorKind::Unauthenticated => Some("invalid_api_key"),
            _ => None,
        }
    };
    err.code = code.map(str::to_owned);
    if code == Some("context_length_exceeded") {
        // As OpenAI (and the Gemini adapter) name it: the messages are what is too long.
        err.param = Some("messages".to_owned());
    }
    err
}

#[derive(Deserialize)]
pub struct WireModels {
    #[serde(default)]
    pub data: Vec<WireModel>,
    #[serde(default)]
    pub has_more: bool,
    #[serde(default)]
    pub last_id: Option<String>,
}

#[derive(Deserialize)]
pub struct WireModel {
    pub id: String,
    #[serde(default)]
    pub created_at: Option<String>,
}

/// One page of `GET /v1/models` (`data[].id`, `created_at` as RFC 3339,
/// `has_more`, `last_id` as the next page's `after_id`).
pub fn parse_models(
    provider: &str,
    body: &[u8],
) -> Result<(Vec<Model>, Option<String>), GatewayError> {
    let wire: WireModels = serde_json::from_slice(body).map_err(|e| malformed(provider, &e))?;
    let next = if wire.has_more { wire.last_id } else { None };
    let models = wire
        .data
        .into_iter()
        .map(|m| Model {
            created: m.created_at.as_deref().and_then(unix_seconds).unwrap_or(0),
            id: m.id,
            owned_by: String::new(),
        })
        .collect();
    Ok((models, next))
}

/// `YYYY-MM-DDTHH:MM:SS…` (UTC or with an offset) as Unix seconds.
fn unix_seconds(text: &str) -> Option<i64> {
    let num = |range: std::ops::Range<usize>| text.get(range)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (
        num(11..13).unwrap_or(0),
        num(14..16).unwrap_or(0),
        num(17..19).unwrap_or(0),
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let mut secs = days * 86_400 + h * 3600 + mi * 60 + s;
    // An explicit offset (`+02:00`) after the seconds and any fraction.
    let tail = text.get(19..).unwrap_or_default();
    let tail = tail.trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    if let Some(sign) = tail.chars().next().filter(|c| *c == '+' || *c == '-') {
        let oh = tail
            .get(1..3)
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0);
        let om = tail
            .get(4..6)
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0);
        let offset = oh * 3600 + om * 60;
        secs += if sign == '+' { -offset } else { offset };
    }
    Some(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn fixture(name: &str) -> Vec<u8> {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/fixtures/providers/anthropic/"
        );
        std::fs::read(format!("{dir}{name}")).expect("fixture present")
    }

    #[test]
    fn text_message() {
        let chunk = parse_message("a", &fixture("messages-text.json")).expect("parses");
        let choice = &chunk.choices[0];
        let delta = choice.delta.as_ref().expect("delta");
        assert!(
            delta
                .content
                .as_deref()
                .is_some_and(|c| c.starts_with("Hello! As an AI"))
        );
        assert_eq!(delta.role, Some(Role::Assistant as i32));
        assert_eq!(choice.finish_reason.as_deref(), Some("stop"));
        let usage = chunk.usage.expect("usage");
        assert_eq!(
            (
                usage.prompt_tokens,
                usage.completion_tokens,
                usage.total_tokens
            ),
            (13, 35, 48)
        );
        assert_eq!(usage.cached_tokens, Some(0));
        assert_eq!(chunk.id, "msg_014pVpaDLxzAdWjwpuN7rQQX");
    }

    #[test]
    fn parallel_tool_use_message() {
        let chunk =
            parse_message("a", &fixture("messages-parallel-tool-use.json")).expect("parses");
        let choice = &chunk.choices[0];
        assert_eq!(choice.finish_reason.as_deref(), Some("tool_calls"));
        let calls = &choice.delta.as_ref().expect("delta").tool_calls;
        assert_eq!(calls.len(), 4);
        let names: Vec<Value> = calls
            .iter()
            .map(|c| serde_json::from_str::<Value>(&c.arguments).expect("json")["name"].clone())
            .collect();
        assert_eq!(names, ["Alice", "Bob", "Charlie", "Daisy"]);
        assert_eq!(
            calls.iter().map(|c| c.index).collect::<Vec<_>>(),
            [0, 1, 2, 3]
        );
        assert_eq!(
            calls[0].id.as_deref(),
            Some("toolu_0167cfEnoQaPviGdVXA95zcu")
        );
    }

    #[test]
    fn recorded_errors() {
        let err = upstream_error("anthropic", 400, &fixture("error-400-invalid-request.json"));
        assert_eq!(
            (err.kind, err.http_status()),
            (ErrorKind::InvalidRequest, 400)
        );
        assert!(
            err.message.contains("effort level 'xhigh'"),
            "{}",
            err.message
        );
        let err = upstream_error("anthropic", 404, &fixture("error-404-not-found.json"));
        assert_eq!(
            (err.kind, err.code.as_deref()),
            (ErrorKind::NotFound, Some("model_not_found"))
        );
        assert_eq!(err.message, "model: claude-sonet-4-5");
    }

    #[test]
    fn documented_error_classes() {
        let body = |t: &str, m: &str| {
            format!(r#"{{"type":"error","error":{{"type":"{t}","message":"{m}"}}}}"#).into_bytes()
        };
        let err = upstream_error("a", 529, &body("overloaded_error", "Overloaded"));
        assert_eq!((err.kind, err.http_status()), (ErrorKind::Unavailable, 503));
        let err = upstream_error("a", 500, &body("api_error", "Internal server error"));
        assert_eq!(err.http_status(), 502);
        let err = upstream_error("a", 429, &body("rate_limit_error", "slow down"));
        assert_eq!(
            (err.http_status(), err.code.as_deref()),
            (429, Some("rate_limit_exceeded"))
        );
        let err = upstream_error("a", 401, &body("authentication_error", "invalid x-api-key"));
        assert_eq!(
            (err.http_status(), err.code.as_deref()),
            (401, Some("invalid_api_key"))
        );
        let err = upstream_error(
            "a",
            400,
            &body(
                "invalid_request_error",
                "prompt is too long: 200251 tokens > 200000 maximum",
            ),
        );
        assert_eq!(
            (err.http_status(), err.code.as_deref(), err.param.as_deref()),
            (400, Some("context_length_exceeded"), Some("messages"))
        );
        let err = upstream_error("a", 502, b"<html>bad gateway</html>");
        assert_eq!(
            (err.http_status(), err.message.as_str()),
            (502, "upstream `a` returned an error: HTTP 502")
        );
        let err = stream_error(&WireError {
            kind: Some("rate_limit_error".into()),
            message: Some("x".into()),
        });
        assert_eq!(err.http_status(), 429);
    }

    #[test]
    fn model_pages_and_dates() {
        // The documented List Models shape (no capture exists).
        let body = br#"{"data":[{"type":"model","id":"claude-sonnet-4-20250514","display_name":"Claude Sonnet 4","created_at":"2025-05-22T00:00:00Z"}],"has_more":true,"first_id":"claude-sonnet-4-20250514","last_id":"claude-sonnet-4-20250514"}"#;
        let (models, next) = parse_models("a", body).expect("parses");
        assert_eq!(models[0].id, "claude-sonnet-4-20250514");
        assert_eq!(models[0].created, 1_747_872_000);
        assert_eq!(next.as_deref(), Some("claude-sonnet-4-20250514"));
        assert_eq!(unix_seconds("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(unix_seconds("garbage"), None);
    }
}
