//! Gemini responses → proto: `GenerateContentResponse` (whole or as SSE
//! events), usage, finish reasons, error envelopes, embeddings and the model
//! list. Pure functions and a small per-stream state.

use std::collections::BTreeMap;

use modelgate::error::{ErrorKind, GatewayError};
use modelgate::v1::{
    ChatCompletionChunk, Choice, Delta, EmbedResponse, Embedding, Model, Role, ToolCall, Usage,
};
use serde::Deserialize;
use serde_json::Value;

use super::call_ids;

/// Candidates tracked per answer; indexes past this are ignored (`n` is small).
const MAX_CANDIDATES: u32 = 64;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireResponse {
    #[serde(default)]
    candidates: Vec<WireCandidate>,
    #[serde(default)]
    prompt_feedback: Option<PromptFeedback>,
    #[serde(default)]
    usage_metadata: Option<WireUsage>,
    #[serde(default)]
    model_version: Option<String>,
    #[serde(default)]
    response_id: Option<String>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireCandidate {
    #[serde(default)]
    content: Option<WireContent>,
    #[serde(default)]
    finish_reason: Option<String>,
    #[serde(default)]
    finish_message: Option<String>,
    #[serde(default)]
    index: Option<u32>,
}

#[derive(Deserialize)]
struct WireContent {
    #[serde(default)]
    parts: Vec<WirePart>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WirePart {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    thought: bool,
    #[serde(default)]
    function_call: Option<WireFunctionCall>,
    #[serde(default)]
    thought_signature: Option<String>,
}

#[derive(Deserialize)]
struct WireFunctionCall {
    #[serde(default)]
    name: String,
    #[serde(default)]
    args: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PromptFeedback {
    #[serde(default)]
    block_reason: Option<String>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "camelCase")]
struct WireUsage {
    #[serde(default)]
    prompt_token_count: u64,
    #[serde(default)]
    candidates_token_count: u64,
    #[serde(default)]
    thoughts_token_count: Option<u64>,
    #[serde(default)]
    tool_use_prompt_token_count: u64,
    #[serde(default)]
    cached_content_token_count: Option<u64>,
    #[serde(default)]
    total_token_count: Option<u64>,
}

impl WireUsage {
    /// Thoughts count as completion tokens, as OpenAI counts reasoning tokens.
    fn to_usage(self) -> Usage {
        let prompt = self
            .prompt_token_count
            .saturating_add(self.tool_use_prompt_token_count);
        let completion = self
            .candidates_token_count
            .saturating_add(self.thoughts_token_count.unwrap_or(0));
        Usage {
            prompt_tokens: prompt,
            completion_tokens: completion,
            total_tokens: self
                .total_token_count
                .unwrap_or(prompt.saturating_add(completion)),
            cached_tokens: self.cached_content_token_count,
            reasoning_tokens: self.thoughts_token_count,
        }
    }
}

#[derive(Default)]
struct CandidateState {
    started: bool,
    next_call: u32,
    finished: bool,
}

/// Turns one answer's Gemini responses into chunks: roles once, tool call
/// indexes counted per candidate, `tool_calls` as the finish reason when the
/// model called tools, usage (repeated by Gemini on every event) kept for the end.
pub struct Translator {
    provider: String,
    id: String,
    model: String,
    created: i64,
    candidates: BTreeMap<u32, CandidateState>,
    usage: Option<Usage>,
}

impl Translator {
    /// State for one answer to a request for `model`.
    pub fn new(provider: &str, model: &str) -> Self {
        let created = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(0))
            .unwrap_or(0);
        Self {
            provider: provider.to_owned(),
            id: String::new(),
            model: model.to_owned(),
            created,
            candidates: BTreeMap::new(),
            usage: None,
        }
    }

    /// One SSE `data:` payload; `None` when it adds nothing to forward.
    pub fn event(&mut self, data: &str) -> Result<Option<ChatCompletionChunk>, GatewayError> {
        let data = data.trim();
        if data.is_empty() {
            return Ok(None);
        }
        let wire: WireResponse =
            serde_json::from_str(data).map_err(|e| malformed(&self.provider, &e))?;
        self.response(wire)
    }

    pub(crate) fn response(
        &mut self,
        wire: WireResponse,
    ) -> Result<Option<ChatCompletionChunk>, GatewayError> {
        if let Some(error) = &wire.error {
            return Err(envelope_error(None, error));
        }
        if let Some(reason) = wire
            .prompt_feedback
            .as_ref()
            .and_then(|f| f.block_reason.as_deref())
        {
            return Err(GatewayError::new(
                ErrorKind::InvalidRequest,
                format!("upstream `{}` blocked the prompt ({reason})", self.provider),
            )
            .with_code("content_filter"));
        }
        if self.id.is_empty() {
            self.id = match &wire.response_id {
                Some(id) if !id.is_empty() => format!("chatcmpl-{id}"),
                _ => format!("chatcmpl-{:016x}", rand::random::<u64>()),
            };
        }
        if let Some(version) = wire.model_version.filter(|v| !v.is_empty()) {
            self.model = version;
        }
        if let Some(usage) = wire.usage_metadata {
            self.usage = Some(usage.to_usage());
        }
        let mut choices = Vec::new();
        for (pos, candidate) in wire.candidates.into_iter().enumerate() {
            let index = candidate
                .index
                .unwrap_or(u32::try_from(pos).unwrap_or(u32::MAX));
            if index >= MAX_CANDIDATES {
                continue;
            }
            if let Some(choice) = self.candidate(index, candidate)? {
                choices.push(choice);
            }
        }
        if choices.is_empty() {
            return Ok(None);
        }
        Ok(Some(self.chunk(choices, None)))
    }

    fn candidate(
        &mut self,
        index: u32,
        candidate: WireCandidate,
    ) -> Result<Option<Choice>, GatewayError> {
        let provider = self.provider.clone();
        let state = self.candidates.entry(index).or_default();
        let mut delta = Delta::default();
        let (mut content, mut reasoning) = (String::new(), String::new());
        for part in candidate.content.map(|c| c.parts).unwrap_or_default() {
            if let Some(call) = part.function_call {
                let arguments = match call.args {
                    Some(Value::Object(map)) => Value::Object(map).to_string(),
                    _ => "{}".to_owned(),
                };
                delta.tool_calls.push(ToolCall {
                    index: state.next_call,
                    id: Some(call_ids::encode(part.thought_signature.as_deref())),
                    r#type: Some("function".into()),
                    name: Some(call.name),
                    arguments,
                });
                state.next_call = state.next_call.saturating_add(1);
            } else if let Some(text) = part.text {
                if part.thought {
                    reasoning.push_str(&text);
                } else {
                    content.push_str(&text);
                }
            }
        }
        delta.content = (!content.is_empty()).then_some(content);
        delta.reasoning_content = (!reasoning.is_empty()).then_some(reasoning);
        let finish_reason = match candidate.finish_reason.as_deref() {
            None | Some("FINISH_REASON_UNSPECIFIED") => None,
            Some(reason) => {
                state.finished = true;
                Some(finish_reason(
                    &provider,
                    reason,
                    state.next_call > 0,
                    candidate.finish_message.as_deref(),
                )?)
            }
        };
        let empty = delta.content.is_none()
            && delta.reasoning_content.is_none()
            && delta.tool_calls.is_empty();
        if empty && finish_reason.is_none() && state.started {
            return Ok(None);
        }
        if !state.started {
            state.started = true;
            delta.role = Some(Role::Assistant as i32);
        }
        Ok(Some(Choice {
            index,
            delta: Some(delta),
            finish_reason,
            logprobs: None,
        }))
    }

    fn chunk(&self, choices: Vec<Choice>, usage: Option<Usage>) -> ChatCompletionChunk {
        ChatCompletionChunk {
            id: self.id.clone(),
            model: self.model.clone(),
            created: self.created,
            system_fingerprint: None,
            choices,
            usage,
            service_tier: None,
        }
    }

    /// The end of the stream: the usage chunk, or an error when no candidate
    /// ever finished (the stream was cut).
    pub fn finish(&mut self) -> Result<Option<ChatCompletionChunk>, GatewayError> {
        if !self.candidates.values().any(|c| c.finished) {
            return Err(GatewayError::new(
                ErrorKind::Unavailable,
                format!(
                    "upstream `{}` ended the stream before finishing the answer",
                    self.provider
                ),
            )
            .with_http_status(502));
        }
        Ok(self
            .usage
            .take()
            .map(|usage| self.chunk(Vec::new(), Some(usage))))
    }
}

/// Gemini's finish reason in OpenAI's words; a malformed tool call is an error.
fn finish_reason(
    provider: &str,
    reason: &str,
    called: bool,
    message: Option<&str>,
) -> Result<String, GatewayError> {
    let mapped = match reason {
        "STOP" if called => "tool_calls",
        "MAX_TOKENS" => "length",
        "SAFETY"
        | "RECITATION"
        | "BLOCKLIST"
        | "PROHIBITED_CONTENT"
        | "SPII"
        | "IMAGE_SAFETY"
        | "IMAGE_PROHIBITED_CONTENT" => "content_filter",
        "MALFORMED_FUNCTION_CALL" | "UNEXPECTED_TOOL_CALL" | "TOO_MANY_TOOL_CALLS" => {
            let detail = message
                .map(|m| format!(": {}", m.chars().take(300).collect::<String>()))
                .unwrap_or_default();
            return Err(GatewayError::new(
                ErrorKind::Unavailable,
                format!("upstream `{provider}` produced an invalid tool call ({reason}){detail}"),
            )
            .with_http_status(502)
            .with_code("invalid_tool_call"));
        }
        _ if called => "tool_calls",
        _ => "stop",
    };
    Ok(mapped.to_owned())
}

/// A non-streamed `generateContent` body as the one chunk holding the answer.
pub fn parse_completion(
    provider: &str,
    model: &str,
    body: &[u8],
) -> Result<ChatCompletionChunk, GatewayError> {
    let wire: WireResponse = serde_json::from_slice(body).map_err(|e| malformed(provider, &e))?;
    let mut translator = Translator::new(provider, model);
    let usage = wire.usage_metadata.map(WireUsage::to_usage);
    let mut chunk = translator.response(wire)?.ok_or_else(|| {
        GatewayError::new(
            ErrorKind::Unavailable,
            format!("upstream `{provider}` answered without any candidate"),
        )
        .with_http_status(502)
    })?;
    chunk.usage = usage;
    Ok(chunk)
}

fn malformed(provider: &str, err: &serde_json::Error) -> GatewayError {
    GatewayError::new(
        ErrorKind::Unavailable,
        format!("upstream `{provider}` sent malformed JSON: {err}"),
    )
    .with_http_status(502)
}

/// The error an upstream non-success response stands for, its message kept.
pub fn upstream_error(provider: &str, status: u16, body: &[u8]) -> GatewayError {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    // Some Google front ends wrap the envelope in a one-element array.
    let envelope = match &parsed {
        Some(Value::Array(items)) => items.first(),
        other => other.as_ref(),
    };
    match envelope.and_then(|v| v.get("error")) {
        Some(error) => envelope_error(Some(status), error),
        None => by_status(
            status,
            crate::providers::http::bare_error_text(provider, status, body),
        ),
    }
}

/// `{"error": {"code", "message", "status", "details"}}`.
fn envelope_error(status: Option<u16>, error: &Value) -> GatewayError {
    let message = error
        .get("message")
        .and_then(Value::as_str)
        .map_or_else(|| error.to_string(), str::to_owned);
    let message: String = message.chars().take(2000).collect();
    let http = status.or_else(|| {
        error
            .get("code")
            .and_then(Value::as_u64)
            .and_then(|c| u16::try_from(c).ok())
    });
    let google_status = error
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let reasons: Vec<&str> = error
        .get("details")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|d| d.get("reason").and_then(Value::as_str))
        .collect();
    let lower = message.to_lowercase();
    let text = message;
    match google_status {
        _ if reasons.iter().any(|r| r.starts_with("API_KEY_"))
            || google_status == "UNAUTHENTICATED" =>
        {
            GatewayError::new(ErrorKind::Unauthenticated, text).with_code("invalid_api_key")
        }
        "INVALID_ARGUMENT" | "FAILED_PRECONDITION" | "OUT_OF_RANGE" => {
            let err = GatewayError::new(ErrorKind::InvalidRequest, text);
            if lower.contains("input token count") || lower.contains("maximum number of tokens") {
                err.with_code("context_length_exceeded")
                    .with_param("messages")
            } else {
                err
            }
        }
        "PERMISSION_DENIED" => GatewayError::new(ErrorKind::PermissionDenied, text),
        "NOT_FOUND" => GatewayError::new(ErrorKind::NotFound, text).with_code("model_not_found"),
        "RESOURCE_EXHAUSTED" => {
            GatewayError::new(ErrorKind::RateLimited, text).with_code("rate_limit_exceeded")
        }
        "UNAVAILABLE" => GatewayError::new(ErrorKind::Unavailable, text),
        "DEADLINE_EXCEEDED" => {
            GatewayError::new(ErrorKind::Timeout, text).with_code("upstream_timeout")
        }
        _ => by_status(http.unwrap_or(502), text),
    }
}

fn by_status(status: u16, message: String) -> GatewayError {
    let kind = ErrorKind::from_upstream_http(status);
    let mut err = GatewayError::new(kind, message);
    if kind == ErrorKind::Unavailable && status != 503 {
        // A failing upstream is a bad gateway; only its own 503 stays 503.
        err = err.with_http_status(502);
    }
    let code = match kind {
        ErrorKind::NotFound => Some("model_not_found"),
        ErrorKind::RateLimited => Some("rate_limit_exceeded"),
        ErrorKind::Unauthenticated => Some("invalid_api_key"),
        _ => None,
    };
    if let Some(code) = code {
        err = err.with_code(code);
    }
    err
}

#[derive(Deserialize)]
struct WireEmbeddings {
    #[serde(default)]
    embeddings: Vec<WireEmbedding>,
}

#[derive(Deserialize)]
struct WireEmbedding {
    #[serde(default)]
    values: Vec<f32>,
}

/// Parses a `batchEmbedContents` response (one embedding per request, in order).
pub fn parse_embeddings(
    provider: &str,
    model: &str,
    body: &[u8],
) -> Result<EmbedResponse, GatewayError> {
    let wire: WireEmbeddings = serde_json::from_slice(body).map_err(|e| malformed(provider, &e))?;
    Ok(EmbedResponse {
        model: model.to_owned(),
        data: wire
            .embeddings
            .into_iter()
            .enumerate()
            .map(|(i, e)| Embedding {
                index: u32::try_from(i).unwrap_or(u32::MAX),
                embedding: e.values,
            })
            .collect(),
        // Gemini reports no token counts for embeddings.
        usage: None,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireModels {
    #[serde(default)]
    models: Vec<WireModel>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireModel {
    name: String,
    #[serde(default)]
    supported_generation_methods: Vec<String>,
}

/// One `GET /models` page: the chat and embedding models (ids without the
/// `models/` prefix) and the next page's token.
pub fn parse_models(
    provider: &str,
    body: &[u8],
) -> Result<(Vec<Model>, Option<String>), GatewayError> {
    let wire: WireModels = serde_json::from_slice(body).map_err(|e| malformed(provider, &e))?;
    let models = wire
        .models
        .into_iter()
        .filter(|m| {
            m.supported_generation_methods
                .iter()
                .any(|g| g == "generateContent" || g == "embedContent")
        })
        .map(|m| Model {
            id: m.name.strip_prefix("models/").unwrap_or(&m.name).to_owned(),
            created: 0,
            owned_by: "google".into(),
        })
        .collect();
    Ok((models, wire.next_page_token.filter(|t| !t.is_empty())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sse::SseDecoder;

    fn fixture(path: &str) -> Vec<u8> {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/fixtures/providers/gemini/"
        );
        std::fs::read(format!("{dir}{path}")).expect("fixture present")
    }

    /// Every chunk a stream fixture produces, the end-of-stream one included.
    fn stream(path: &str) -> Result<Vec<ChatCompletionChunk>, GatewayError> {
        let mut dec = SseDecoder::new();
        let mut events = dec.push(&fixture(path)).expect("framing");
        events.extend(dec.finish().expect("framing"));
        let mut t = Translator::new("gemini", "m");
        let mut out = Vec::new();
        for e in events {
            out.extend(t.event(&e.data)?);
        }
        out.extend(t.finish()?);
        Ok(out)
    }

    fn field(chunks: &[ChatCompletionChunk], f: fn(&Delta) -> Option<&String>) -> String {
        chunks
            .iter()
            .flat_map(|c| c.choices.iter())
            .filter_map(|c| c.delta.as_ref().and_then(f).cloned())
            .collect()
    }

    fn finish(chunks: &[ChatCompletionChunk]) -> Vec<String> {
        chunks
            .iter()
            .flat_map(|c| c.choices.iter())
            .filter_map(|c| c.finish_reason.clone())
            .collect()
    }

    #[test]
    fn text_stream() {
        let chunks = stream("stream-text.sse").expect("ok");
        assert_eq!(
            field(&chunks, |d| d.content.as_ref()),
            "The capital of France is Paris.\n"
        );
        assert_eq!(
            chunks[0].choices[0].delta.as_ref().and_then(|d| d.role),
            Some(Role::Assistant as i32)
        );
        assert!(
            chunks[1..]
                .iter()
                .flat_map(|c| &c.choices)
                .all(|c| c.delta.as_ref().is_some_and(|d| d.role.is_none()))
        );
        assert_eq!(finish(&chunks), ["stop"]);
        assert_eq!(chunks[0].id, "chatcmpl-w1peaMz6INOvnvgPgYfPiQY");
        assert_eq!(chunks[0].model, "gemini-2.0-flash-exp");
        // Usage once, on a last chunk without choices: the final event's counts.
        let last = chunks.last().expect("chunks");
        assert!(last.choices.is_empty());
        assert_eq!(
            last.usage,
            Some(Usage {
                prompt_tokens: 13,
                completion_tokens: 8,
                total_tokens: 21,
                cached_tokens: None,
                reasoning_tokens: None
            })
        );
        assert!(chunks[..chunks.len() - 1].iter().all(|c| c.usage.is_none()));
    }

    #[test]
    fn thinking_stream_separates_thoughts() {
        let chunks = stream("stream-thinking.sse").expect("ok");
        let reasoning = field(&chunks, |d| d.reasoning_content.as_ref());
        let content = field(&chunks, |d| d.content.as_ref());
        assert!(
            reasoning.starts_with("**Clarifying User Goals**"),
            "{reasoning}"
        );
        assert!(
            content.starts_with("This is a great question!"),
            "{content}"
        );
        assert!(!content.contains("Clarifying"));
        let usage = chunks.last().and_then(|c| c.usage).expect("usage");
        assert_eq!(
            (
                usage.prompt_tokens,
                usage.completion_tokens,
                usage.total_tokens
            ),
            (34, 469 + 787, 1290)
        );
        assert_eq!(usage.reasoning_tokens, Some(787));
    }

    #[test]
    fn whole_function_call_in_one_event() {
        let chunks = stream("stream-function-call-single-chunk.sse").expect("ok");
        let calls: Vec<&ToolCall> = chunks
            .iter()
            .flat_map(|c| &c.choices)
            .flat_map(|c| &c.delta.as_ref().expect("delta").tool_calls)
            .collect();
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].index, 0);
        assert_eq!(calls[0].name.as_deref(), Some("get_capital"));
        assert_eq!(calls[0].r#type.as_deref(), Some("function"));
        let args: Value = serde_json::from_str(&calls[0].arguments).expect("json");
        assert_eq!(args, serde_json::json!({"country": "France"}));
        assert!(
            calls[0]
                .id
                .as_deref()
                .is_some_and(|id| call_ids::signature(id).is_none())
        );
        assert_eq!(finish(&chunks), ["tool_calls"]);
    }

    #[test]
    fn thought_signature_goes_into_the_id_and_empty_args_are_an_object() {
        let chunks = stream("stream-function-call-thought-signature.sse").expect("ok");
        let call = chunks
            .iter()
            .flat_map(|c| &c.choices)
            .flat_map(|c| &c.delta.as_ref().expect("delta").tool_calls)
            .next()
            .expect("a call");
        assert_eq!(call.arguments, "{}");
        let sig =
            call_ids::signature(call.id.as_deref().unwrap_or_default()).expect("signature carried");
        let raw =
            String::from_utf8(fixture("stream-function-call-thought-signature.sse")).expect("utf8");
        assert!(
            raw.contains(&format!("\"thoughtSignature\": \"{sig}\"")),
            "signature differs"
        );
        // The later STOP event (empty text) still says tool_calls.
        assert_eq!(finish(&chunks), ["tool_calls"]);
        let usage = chunks.last().and_then(|c| c.usage).expect("usage");
        assert_eq!(
            (
                usage.prompt_tokens,
                usage.completion_tokens,
                usage.total_tokens
            ),
            (29, 212, 241)
        );
    }

    #[test]
    fn cut_stream_is_an_error() {
        let mut t = Translator::new("gemini", "m");
        let first =
            r#"{"candidates": [{"content": {"parts": [{"text": "The"}],"role": "model"}}]}"#;
        assert!(t.event(first).expect("ok").is_some());
        let err = t.finish().expect_err("cut");
        assert_eq!(err.http_status(), 502);
    }

    #[test]
    fn malformed_call_blocked_prompt_and_garbage_are_errors() {
        let mut t = Translator::new("gemini", "m");
        let bad = r#"{"candidates": [{"content": {}, "finishReason": "MALFORMED_FUNCTION_CALL", "finishMessage": "Malformed function call: print(x"}]}"#;
        let err = t.event(bad).expect_err("error");
        assert_eq!(err.code.as_deref(), Some("invalid_tool_call"));
        assert!(err.message.contains("Malformed function call"));
        let blocked = r#"{"promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": {"promptTokenCount": 5}}"#;
        let err = Translator::new("gemini", "m")
            .event(blocked)
            .expect_err("blocked");
        assert_eq!(
            (err.kind, err.code.as_deref()),
            (ErrorKind::InvalidRequest, Some("content_filter"))
        );
        assert!(Translator::new("gemini", "m").event("{not json").is_err());
        let in_stream = r#"{"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}}"#;
        assert_eq!(
            Translator::new("gemini", "m")
                .event(in_stream)
                .expect_err("error")
                .http_status(),
            503
        );
    }

    #[test]
    fn parallel_calls_and_candidates_are_indexed() {
        let mut t = Translator::new("gemini", "m");
        let data = r#"{"candidates": [
            {"index": 0, "content": {"parts": [{"functionCall": {"name": "a", "args": {"x": 1}}}, {"functionCall": {"name": "b"}}]}, "finishReason": "STOP"},
            {"index": 1, "content": {"parts": [{"text": "hi"}]}, "finishReason": "STOP"}]}"#;
        let chunk = t.event(data).expect("ok").expect("chunk");
        let calls = &chunk.choices[0].delta.as_ref().expect("delta").tool_calls;
        assert_eq!(calls.iter().map(|c| c.index).collect::<Vec<_>>(), [0, 1]);
        assert_eq!(calls[1].arguments, "{}");
        assert_eq!(
            chunk.choices[0].finish_reason.as_deref(),
            Some("tool_calls")
        );
        assert_eq!(chunk.choices[1].index, 1);
        assert_eq!(chunk.choices[1].finish_reason.as_deref(), Some("stop"));
    }

    #[test]
    fn whole_answers() {
        let text =
            parse_completion("gemini", "m", &fixture("generate-content-text.json")).expect("ok");
        let choice = &text.choices[0];
        let delta = choice.delta.as_ref().expect("delta");
        assert_eq!(
            delta.content.as_deref(),
            Some("Hello! How can I help you today?")
        );
        assert_eq!(delta.role, Some(Role::Assistant as i32));
        assert_eq!(choice.finish_reason.as_deref(), Some("stop"));
        let usage = text.usage.expect("usage");
        assert_eq!(
            (
                usage.prompt_tokens,
                usage.completion_tokens,
                usage.total_tokens,
                usage.reasoning_tokens
            ),
            (9, 43, 52, Some(34))
        );

        let call = parse_completion(
            "gemini",
            "m",
            &fixture("generate-content-function-call.json"),
        )
        .expect("ok");
        let calls = &call.choices[0].delta.as_ref().expect("delta").tool_calls;
        assert_eq!(calls[0].name.as_deref(), Some("final_result"));
        let args: Value = serde_json::from_str(&calls[0].arguments).expect("json");
        assert_eq!(
            args,
            serde_json::json!({"city": "Mexico City", "country": "Mexico"})
        );
        assert_eq!(call.choices[0].finish_reason.as_deref(), Some("tool_calls"));

        let safety = parse_completion(
            "gemini",
            "m",
            &fixture("generate-content-finish-safety.json"),
        )
        .expect("ok");
        assert_eq!(
            safety.choices[0].finish_reason.as_deref(),
            Some("content_filter")
        );
        assert_eq!(
            safety.choices[0]
                .delta
                .as_ref()
                .and_then(|d| d.content.clone()),
            None
        );
        assert_eq!(
            safety.usage.map(|u| (u.prompt_tokens, u.completion_tokens)),
            Some((14, 0))
        );

        let length = parse_completion(
            "gemini",
            "m",
            &fixture("generate-content-max-tokens-no-parts.json"),
        )
        .expect("ok");
        assert_eq!(length.choices[0].finish_reason.as_deref(), Some("length"));
        assert_eq!(
            length.usage.map(|u| (u.completion_tokens, u.total_tokens)),
            Some((2, 17))
        );
        assert_eq!(length.model, "gemini-2.5-pro");
    }

    #[test]
    fn error_envelopes() {
        let e = upstream_error("gemini", 429, &fixture("error-429-resource-exhausted.json"));
        assert_eq!(
            (e.http_status(), e.code.as_deref()),
            (429, Some("rate_limit_exceeded"))
        );
        assert!(e.message.starts_with("You exceeded your current quota"));
        let e = upstream_error("gemini", 404, &fixture("error-404-model-not-found.json"));
        assert_eq!(
            (e.http_status(), e.code.as_deref()),
            (404, Some("model_not_found"))
        );
        let e = upstream_error("gemini", 403, &fixture("error-403-permission-denied.json"));
        assert_eq!(e.http_status(), 403);
        let key = br#"{"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT",
            "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com"}]}}"#;
        let e = upstream_error("gemini", 400, key);
        assert_eq!(
            (e.http_status(), e.code.as_deref()),
            (401, Some("invalid_api_key"))
        );
        let long = br#"{"error": {"code": 400, "message": "The input token count (3475108) exceeds the maximum number of tokens allowed (1048576).", "status": "INVALID_ARGUMENT"}}"#;
        let e = upstream_error("gemini", 400, long);
        assert_eq!(
            (e.http_status(), e.code.as_deref()),
            (400, Some("context_length_exceeded"))
        );
        let wrapped = br#"[{"error": {"code": 503, "message": "The model is overloaded. Please try again later.", "status": "UNAVAILABLE"}}]"#;
        assert_eq!(upstream_error("gemini", 503, wrapped).http_status(), 503);
        let internal = br#"{"error": {"code": 500, "message": "An internal error has occurred.", "status": "INTERNAL"}}"#;
        assert_eq!(upstream_error("gemini", 500, internal).http_status(), 502);
        assert_eq!(
            upstream_error("gemini", 504, b"<html>").kind,
            ErrorKind::Timeout
        );
    }

    #[test]
    fn embeddings_and_models() {
        let e = parse_embeddings(
            "gemini",
            "gemini-embedding-001",
            &fixture("embed-batch.json"),
        )
        .expect("ok");
        assert_eq!(e.data.len(), 1);
        assert_eq!(e.data[0].embedding.len(), 768);
        assert!((e.data[0].embedding[0] - -0.015_306_08).abs() < 1e-7);
        let (models, next) = parse_models("gemini", &fixture("models-list.json")).expect("ok");
        let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
        assert!(ids.contains(&"gemini-2.5-flash") && ids.contains(&"gemini-embedding-001"));
        assert!(!ids.iter().any(|i| i.starts_with("models/")
            || *i == "aqa"
            || i.starts_with("imagen")
            || *i == "embedding-gecko-001"));
        assert_eq!(
            next.as_deref(),
            Some("Cihtb2RlbHMvaW1hZ2VuLTQuMC1nZW5lcmF0ZS1wcmV2aWV3LTA2LTA2")
        );
    }
}
