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
mod tests;
