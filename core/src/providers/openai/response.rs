//! OpenAI-dialect responses → proto: stream chunks, whole completions,
//! embeddings, model lists and error envelopes. Pure functions over text.

use modelgate::error::{ErrorKind, GatewayError};
use modelgate::json::struct_from_map;
use modelgate::v1::{
    ChatCompletionChunk, Choice, Delta, EmbedResponse, EmbedUsage, Embedding, Model, Role,
    ToolCall, Usage,
};
use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Deserialize)]
struct WireChunk {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    created: Option<i64>,
    #[serde(default)]
    system_fingerprint: Option<String>,
    #[serde(default)]
    service_tier: Option<String>,
    #[serde(default)]
    choices: Vec<WireChoice>,
    #[serde(default)]
    usage: Option<WireUsage>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
struct WireChoice {
    #[serde(default)]
    index: u32,
    #[serde(default, alias = "message")]
    delta: Option<WireDelta>,
    #[serde(default)]
    finish_reason: Option<String>,
    #[serde(default)]
    logprobs: Option<Map<String, Value>>,
}

#[derive(Deserialize)]
struct WireDelta {
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    reasoning_content: Option<String>,
    /// OpenRouter, Ollama and vLLM name it `reasoning`.
    #[serde(default)]
    reasoning: Option<String>,
    #[serde(default)]
    refusal: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<WireToolCall>>,
}

#[derive(Deserialize)]
struct WireToolCall {
    #[serde(default)]
    index: Option<u32>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    function: Option<WireFunction>,
}

#[derive(Deserialize)]
struct WireFunction {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<String>,
}

#[derive(Deserialize)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
    #[serde(default)]
    total_tokens: u64,
    #[serde(default)]
    prompt_tokens_details: Option<TokenDetails>,
    #[serde(default)]
    completion_tokens_details: Option<TokenDetails>,
}

#[derive(Deserialize)]
struct TokenDetails {
    #[serde(default)]
    cached_tokens: Option<u64>,
    #[serde(default)]
    reasoning_tokens: Option<u64>,
}

/// What one `data:` payload of a stream means.
#[derive(Debug, PartialEq)]
pub enum StreamItem {
    /// A chunk to forward.
    Chunk(ChatCompletionChunk),
    /// Nothing to forward (keep-alive, filter results without choices).
    Skip,
    /// `[DONE]`: the stream is complete.
    Done,
}

/// Parses one SSE `data:` payload of a chat completions stream.
pub fn parse_stream_data(provider: &str, data: &str) -> Result<StreamItem, GatewayError> {
    let data = data.trim();
    if data == "[DONE]" {
        return Ok(StreamItem::Done);
    }
    if data.is_empty() {
        return Ok(StreamItem::Skip);
    }
    let wire: WireChunk = serde_json::from_str(data).map_err(|e| malformed(provider, &e))?;
    if let Some(error) = &wire.error {
        return Err(envelope_error(provider, None, error));
    }
    let chunk = to_chunk(wire);
    if chunk.choices.is_empty() && chunk.usage.is_none() {
        return Ok(StreamItem::Skip);
    }
    Ok(StreamItem::Chunk(chunk))
}

/// Parses a non-streamed `chat.completion` body into the one chunk that
/// carries the whole answer.
pub fn parse_completion(provider: &str, body: &[u8]) -> Result<ChatCompletionChunk, GatewayError> {
    let wire: WireChunk = serde_json::from_slice(body).map_err(|e| malformed(provider, &e))?;
    if let Some(error) = &wire.error {
        return Err(envelope_error(provider, None, error));
    }
    let mut chunk = to_chunk(wire);
    // History-style tool calls carry no index: their position is it.
    for choice in &mut chunk.choices {
        if let Some(delta) = &mut choice.delta {
            for (i, call) in delta.tool_calls.iter_mut().enumerate() {
                call.index = u32::try_from(i).unwrap_or(u32::MAX);
            }
            if delta.role.is_none() {
                delta.role = Some(Role::Assistant as i32);
            }
        }
    }
    Ok(chunk)
}

fn to_chunk(wire: WireChunk) -> ChatCompletionChunk {
    ChatCompletionChunk {
        id: wire.id.unwrap_or_default(),
        model: wire.model.unwrap_or_default(),
        created: wire.created.unwrap_or_default(),
        system_fingerprint: wire.system_fingerprint,
        service_tier: wire.service_tier,
        choices: wire.choices.into_iter().map(to_choice).collect(),
        usage: wire.usage.map(to_usage),
    }
}

fn to_choice(wire: WireChoice) -> Choice {
    let delta = wire.delta.map(|d| Delta {
        role: d.role.as_deref().and_then(role_from_name).map(|r| r as i32),
        content: d.content,
        reasoning_content: d.reasoning_content.or(d.reasoning),
        refusal: d.refusal,
        tool_calls: d
            .tool_calls
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(pos, call)| {
                let function = call.function.unwrap_or(WireFunction {
                    name: None,
                    arguments: None,
                });
                ToolCall {
                    index: call.index.unwrap_or(u32::try_from(pos).unwrap_or(u32::MAX)),
                    id: call.id,
                    r#type: call.kind,
                    name: function.name,
                    arguments: function.arguments.unwrap_or_default(),
                }
            })
            .collect(),
    });
    Choice {
        index: wire.index,
        delta: Some(delta.unwrap_or_default()),
        finish_reason: wire.finish_reason,
        logprobs: wire.logprobs.map(struct_from_map),
    }
}

fn to_usage(wire: WireUsage) -> Usage {
    Usage {
        prompt_tokens: wire.prompt_tokens,
        completion_tokens: wire.completion_tokens,
        total_tokens: wire.total_tokens,
        cached_tokens: wire.prompt_tokens_details.and_then(|d| d.cached_tokens),
        reasoning_tokens: wire
            .completion_tokens_details
            .and_then(|d| d.reasoning_tokens),
    }
}

fn role_from_name(name: &str) -> Option<Role> {
    Some(match name {
        "assistant" => Role::Assistant,
        "system" => Role::System,
        "developer" => Role::Developer,
        "user" => Role::User,
        "tool" => Role::Tool,
        _ => return None,
    })
}

pub(crate) fn malformed(provider: &str, err: &serde_json::Error) -> GatewayError {
    GatewayError::new(
        ErrorKind::Unavailable,
        format!("upstream `{provider}` sent malformed JSON: {err}"),
    )
    .with_http_status(502)
}

/// The error an upstream's non-success response stands for, its message kept.
pub fn upstream_error(provider: &str, status: u16, body: &[u8]) -> GatewayError {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    match parsed.as_ref().and_then(|v| v.get("error")) {
        Some(error) => envelope_error(provider, Some(status), error),
        None => from_status(
            provider,
            status,
            crate::providers::http::bare_error_text(provider, status, body),
            None,
            None,
        ),
    }
}

/// The error an upstream's in-stream error object stands for (no HTTP status: its `type` or
/// `code` decides the kind), its message kept.
pub(crate) fn stream_error(provider: &str, error: &Value) -> GatewayError {
    envelope_error(provider, None, error)
}

/// An `{"error": …}` envelope, at top level or inside a stream.
fn envelope_error(provider: &str, status: Option<u16>, error: &Value) -> GatewayError {
    let (message, code, param, kind_text) = match error {
        Value::String(s) => (s.clone(), None, None, None),
        Value::Object(obj) => {
            let text = |k: &str| obj.get(k).and_then(Value::as_str).map(str::to_owned);
            let code = match obj.get("code") {
                Some(Value::String(s)) => Some(s.clone()),
                _ => None,
            };
            let numeric = obj
                .get("code")
                .and_then(Value::as_u64)
                .and_then(|c| u16::try_from(c).ok());
            let msg = text("message").unwrap_or_else(|| error.to_string());
            (
                msg,
                code,
                text("param"),
                text("type").or(numeric.map(|n| n.to_string())),
            )
        }
        other => (other.to_string(), None, None, None),
    };
    let numeric_status = match error.get("code") {
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|c| u16::try_from(c).ok())
            .filter(|c| (400..600).contains(c)),
        _ => None,
    };
    let status = status.or(numeric_status);
    let upstream_type = error
        .get("type")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty());
    match status {
        Some(status) => {
            let mut err = from_status(provider, status, message, code, param);
            // The upstream's own error type is the most faithful one to relay.
            err.openai_type = upstream_type.map(str::to_owned);
            err
        }
        None => {
            let kind = match kind_text.as_deref() {
                Some("invalid_request_error") => ErrorKind::InvalidRequest,
                Some("rate_limit_error" | "rate_limit_exceeded" | "insufficient_quota") => {
                    ErrorKind::RateLimited
                }
                _ => ErrorKind::Unavailable,
            };
            let mut err = GatewayError::new(kind, message);
            err.code = code;
            err.param = param;
            err
        }
    }
}

fn from_status(
    _provider: &str,
    status: u16,
    message: String,
    code: Option<String>,
    param: Option<String>,
) -> GatewayError {
    let kind = ErrorKind::from_upstream_http(status);
    let mut err = GatewayError::new(kind, message);
    if kind == ErrorKind::Unavailable && status != 503 {
        // A failing upstream is a bad gateway; only its own 503 stays 503.
        err = err.with_http_status(502);
    }
    err.code = code.or_else(|| kind.default_code().map(str::to_owned));
    err.param = param;
    err
}

#[derive(Deserialize)]
struct WireEmbeddings {
    #[serde(default)]
    model: String,
    data: Vec<WireEmbedding>,
    #[serde(default)]
    usage: Option<WireEmbedUsage>,
}

#[derive(Deserialize)]
struct WireEmbedding {
    #[serde(default)]
    index: u32,
    embedding: Vec<f32>,
}

#[derive(Deserialize)]
struct WireEmbedUsage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    total_tokens: u64,
}

/// Parses an embeddings response asked for with `encoding_format: float`.
pub fn parse_embeddings(provider: &str, body: &[u8]) -> Result<EmbedResponse, GatewayError> {
    let wire: WireEmbeddings = serde_json::from_slice(body).map_err(|e| malformed(provider, &e))?;
    Ok(EmbedResponse {
        model: wire.model,
        data: wire
            .data
            .into_iter()
            .map(|e| Embedding {
                index: e.index,
                embedding: e.embedding,
            })
            .collect(),
        usage: wire.usage.map(|u| EmbedUsage {
            prompt_tokens: u.prompt_tokens,
            total_tokens: u.total_tokens,
        }),
    })
}

#[derive(Deserialize)]
struct WireModels {
    data: Vec<WireModel>,
}

#[derive(Deserialize)]
struct WireModel {
    id: String,
    #[serde(default)]
    created: Option<i64>,
    #[serde(default)]
    owned_by: Option<String>,
}

/// Parses `GET /models`.
pub fn parse_models(provider: &str, body: &[u8]) -> Result<Vec<Model>, GatewayError> {
    let wire: WireModels = serde_json::from_slice(body).map_err(|e| malformed(provider, &e))?;
    Ok(wire
        .data
        .into_iter()
        .map(|m| Model {
            id: m.id,
            created: m.created.unwrap_or_default(),
            owned_by: m.owned_by.unwrap_or_default(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sse::SseDecoder;

    fn fixture(path: &str) -> Vec<u8> {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/fixtures/providers/"
        );
        std::fs::read(format!("{dir}{path}")).expect("fixture present")
    }

    fn items(path: &str) -> Vec<Result<StreamItem, GatewayError>> {
        let bytes = fixture(path);
        let mut dec = SseDecoder::new();
        let mut events = dec.push(&bytes).expect("framing");
        events.extend(dec.finish().expect("framing"));
        events
            .iter()
            .map(|e| parse_stream_data("p", &e.data))
            .collect()
    }

    fn chunks(path: &str) -> Vec<ChatCompletionChunk> {
        items(path)
            .into_iter()
            .filter_map(|i| match i.expect("parses") {
                StreamItem::Chunk(c) => Some(c),
                _ => None,
            })
            .collect()
    }

    fn text_of(chunks: &[ChatCompletionChunk]) -> String {
        chunks
            .iter()
            .flat_map(|c| &c.choices)
            .filter_map(|c| c.delta.as_ref()?.content.clone())
            .collect()
    }

    #[test]
    fn text_stream_with_usage() {
        let all = items("openai/chat-stream-text-include-usage.sse");
        assert!(matches!(all.last(), Some(Ok(StreamItem::Done))));
        let chunks = chunks("openai/chat-stream-text-include-usage.sse");
        let text = text_of(&chunks);
        assert!(text.contains('1') && text.contains('5'), "{text}");
        let usage = chunks
            .last()
            .and_then(|c| c.usage)
            .expect("usage chunk last");
        assert_eq!(
            usage.total_tokens,
            usage.prompt_tokens + usage.completion_tokens
        );
        assert!(chunks.last().is_some_and(|c| c.choices.is_empty()));
    }

    #[test]
    fn tool_call_fragments_reassemble() {
        let chunks = chunks("openai/chat-stream-tool-call-args-usage.sse");
        let calls: Vec<&ToolCall> = chunks
            .iter()
            .flat_map(|c| &c.choices)
            .flat_map(|c| &c.delta.as_ref().expect("delta").tool_calls)
            .collect();
        assert!(calls[0].id.is_some() && calls[0].name.is_some());
        let args: String = calls.iter().map(|c| c.arguments.as_str()).collect();
        let parsed: Value = serde_json::from_str(&args).expect("valid JSON");
        assert_eq!(parsed["city"], "Mexico City");
        assert!(
            chunks
                .iter()
                .flat_map(|c| &c.choices)
                .any(|c| c.finish_reason.as_deref() == Some("tool_calls"))
        );
    }

    #[test]
    fn reasoning_named_reasoning_becomes_reasoning_content() {
        let chunks = chunks("openai-compatible/openrouter-chat-stream-processing-comment.sse");
        assert!(!chunks.is_empty());
        let body = fixture("openai-compatible/ollama-v1-chat-completion-reasoning.json");
        let chunk = parse_completion("p", &body).expect("parses");
        let delta = chunk.choices[0].delta.as_ref().expect("delta");
        assert!(
            delta
                .reasoning_content
                .as_deref()
                .is_some_and(|r| r.starts_with("We need"))
        );
        assert_eq!(delta.content.as_deref(), Some("Paris."));
    }

    #[test]
    fn deepseek_reasoning_stream() {
        let chunks = chunks("openai-compatible/deepseek-chat-stream-reasoning-content.sse");
        let reasoning: String = chunks
            .iter()
            .flat_map(|c| &c.choices)
            .filter_map(|c| c.delta.as_ref()?.reasoning_content.clone())
            .collect();
        assert!(!reasoning.is_empty());
        assert!(!text_of(&chunks).is_empty());
    }

    #[test]
    fn midstream_error_chunk_is_an_error() {
        let all = items("openai-compatible/openrouter-chat-stream-comments-midstream-error.sse");
        let err = all
            .into_iter()
            .find_map(Result::err)
            .expect("an error item");
        assert!(
            err.message.contains("Token limit reached"),
            "{}",
            err.message
        );
        assert_eq!(err.kind, ErrorKind::InvalidRequest);
    }

    #[test]
    fn azure_filter_only_chunk_is_skipped() {
        let bytes = fixture("azure/chat-stream-model-router.chunks.jsonl");
        let text = String::from_utf8(bytes).expect("utf8");
        let first = text.lines().next().expect("a line");
        assert_eq!(
            parse_stream_data("p", first).expect("parses"),
            StreamItem::Skip
        );
    }

    #[test]
    fn completion_with_tool_calls() {
        let chunk = parse_completion("p", &fixture("openai/chat-completion-tool-calls.json"))
            .expect("parses");
        let choice = &chunk.choices[0];
        assert_eq!(choice.finish_reason.as_deref(), Some("tool_calls"));
        let delta = choice.delta.as_ref().expect("delta");
        assert_eq!(delta.content, None);
        assert_eq!(delta.tool_calls.len(), 1);
        assert!(serde_json::from_str::<Value>(&delta.tool_calls[0].arguments).is_ok());
        assert!(chunk.usage.is_some());
    }

    #[test]
    fn upstream_errors_keep_message_and_code() {
        let err = upstream_error(
            "openai",
            404,
            &fixture("openai/error-404-model-not-found.json"),
        );
        assert_eq!(err.kind, ErrorKind::NotFound);
        assert_eq!(err.code.as_deref(), Some("model_not_found"));
        assert!(err.message.contains("does not exist"), "{}", err.message);
        let err = upstream_error(
            "openai",
            400,
            &fixture("openai/error-400-unsupported-parameter.json"),
        );
        assert_eq!(
            (err.kind, err.param.as_deref()),
            (ErrorKind::InvalidRequest, Some("max_tokens"))
        );
        let err = upstream_error(
            "openrouter",
            429,
            &fixture("openai-compatible/openrouter-error-429.json"),
        );
        assert_eq!(err.http_status(), 429);
        let err = upstream_error("x", 500, b"<html>oops</html>");
        assert_eq!(err.http_status(), 502);
        let err = upstream_error("x", 503, b"");
        assert_eq!(err.http_status(), 503);
    }

    #[test]
    fn embeddings_and_models() {
        let resp = parse_embeddings("p", &fixture("openai/embeddings.json")).expect("parses");
        assert!(!resp.data.is_empty() && !resp.data[0].embedding.is_empty());
        let models = parse_models("p", &fixture("openai-compatible/cerebras-models-list.json"))
            .expect("parses");
        assert!(!models.is_empty());
    }
}
