//! Ollama responses → proto: NDJSON stream lines, whole `/api/chat`
//! answers, `/api/embed`, `/api/tags` and `{"error": "…"}` bodies. Pure
//! functions over text.

use modelgate::error::{ErrorKind, GatewayError};
use modelgate::v1::{
    ChatCompletionChunk, Choice, Delta, EmbedResponse, EmbedUsage, Embedding, Model, Role,
    ToolCall, Usage,
};
use serde::Deserialize;
use serde_json::Value;

/// One `/api/chat` object: a stream line, or the whole non-streamed answer.
#[derive(Deserialize, Default)]
struct WireResponse {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    message: Option<WireMessage>,
    #[serde(default)]
    done: bool,
    #[serde(default)]
    done_reason: Option<String>,
    #[serde(default)]
    prompt_eval_count: Option<u64>,
    #[serde(default)]
    eval_count: Option<u64>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize, Default)]
struct WireMessage {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    thinking: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<WireToolCall>>,
}

#[derive(Deserialize)]
struct WireToolCall {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<WireFunction>,
}

#[derive(Deserialize)]
struct WireFunction {
    #[serde(default)]
    name: Option<String>,
    /// An object on Ollama's wire; anything else is passed on as JSON text.
    #[serde(default)]
    arguments: Option<Value>,
}

/// Turns the stream's lines into chunks, remembering what the OpenAI
/// dialect needs across lines: the role sent once, tool call positions, and
/// whether the answer finished.
#[derive(Debug)]
pub struct StreamState {
    provider: String,
    id: String,
    created: i64,
    model: String,
    role_sent: bool,
    tool_calls: u32,
    finished: bool,
}

impl StreamState {
    /// State for one answer; `id` and `created` go on every chunk.
    pub fn new(provider: &str, id: String, created: i64, model: &str) -> Self {
        Self {
            provider: provider.to_owned(),
            id,
            created,
            model: model.to_owned(),
            role_sent: false,
            tool_calls: 0,
            finished: false,
        }
    }

    /// Whether the final `done: true` line was seen.
    pub fn finished(&self) -> bool {
        self.finished
    }

    /// The chunks one NDJSON line stands for (none for an empty delta).
    /// Thinking, content and tool calls go in separate chunks, in that order.
    pub fn line(&mut self, line: &[u8]) -> Result<Vec<ChatCompletionChunk>, GatewayError> {
        if self.finished {
            return Ok(Vec::new());
        }
        let wire: WireResponse =
            serde_json::from_slice(line).map_err(|e| malformed(&self.provider, &e))?;
        if let Some(error) = &wire.error {
            return Err(stream_error(error));
        }
        if let Some(model) = wire.model.as_ref().filter(|m| !m.is_empty()) {
            model.clone_into(&mut self.model);
        }
        let message = wire.message.unwrap_or_default();
        let mut out = Vec::new();
        if let Some(thinking) = message.thinking.filter(|t| !t.is_empty()) {
            let delta = Delta {
                reasoning_content: Some(thinking),
                ..Default::default()
            };
            out.push(self.chunk(delta, None));
        }
        if let Some(content) = message.content.filter(|c| !c.is_empty()) {
            let delta = Delta {
                content: Some(content),
                ..Default::default()
            };
            out.push(self.chunk(delta, None));
        }
        let calls = message.tool_calls.unwrap_or_default();
        if !calls.is_empty() {
            let first = self.tool_calls;
            let calls = tool_calls(calls, first);
            self.tool_calls = self
                .tool_calls
                .saturating_add(u32::try_from(calls.len()).unwrap_or(u32::MAX));
            let delta = Delta {
                tool_calls: calls,
                ..Default::default()
            };
            out.push(self.chunk(delta, None));
        }
        if wire.done {
            self.finished = true;
            let reason = finish_reason(wire.done_reason.as_deref(), self.tool_calls > 0);
            out.push(self.chunk(Delta::default(), Some(reason)));
            // OpenAI's separate usage chunk: the gateway shows or hides it.
            out.push(ChatCompletionChunk {
                choices: Vec::new(),
                usage: Some(usage(wire.prompt_eval_count, wire.eval_count)),
                ..self.base()
            });
        }
        Ok(out)
    }

    fn base(&self) -> ChatCompletionChunk {
        ChatCompletionChunk {
            id: self.id.clone(),
            model: self.model.clone(),
            created: self.created,
            ..Default::default()
        }
    }

    fn chunk(&mut self, mut delta: Delta, finish_reason: Option<String>) -> ChatCompletionChunk {
        if !self.role_sent {
            self.role_sent = true;
            delta.role = Some(Role::Assistant as i32);
        }
        ChatCompletionChunk {
            choices: vec![Choice {
                index: 0,
                delta: Some(delta),
                finish_reason,
                logprobs: None,
            }],
            ..self.base()
        }
    }
}

/// A non-streamed `/api/chat` body as the one chunk holding the whole answer.
pub fn parse_completion(
    provider: &str,
    id: String,
    created: i64,
    body: &[u8],
) -> Result<ChatCompletionChunk, GatewayError> {
    let wire: WireResponse = serde_json::from_slice(body).map_err(|e| malformed(provider, &e))?;
    if let Some(error) = &wire.error {
        return Err(stream_error(error));
    }
    let message = wire.message.unwrap_or_default();
    let calls = tool_calls(message.tool_calls.unwrap_or_default(), 0);
    let content = message.content.unwrap_or_default();
    let delta = Delta {
        role: Some(Role::Assistant as i32),
        // OpenAI sends `null` content next to tool calls, not "".
        content: (!content.is_empty() || calls.is_empty()).then_some(content),
        reasoning_content: message.thinking.filter(|t| !t.is_empty()),
        refusal: None,
        tool_calls: calls,
    };
    let reason = finish_reason(wire.done_reason.as_deref(), !delta.tool_calls.is_empty());
    Ok(ChatCompletionChunk {
        id,
        model: wire.model.unwrap_or_default(),
        created,
        choices: vec![Choice {
            index: 0,
            delta: Some(delta),
            finish_reason: Some(reason),
            logprobs: None,
        }],
        usage: Some(usage(wire.prompt_eval_count, wire.eval_count)),
        ..Default::default()
    })
}

/// Whole tool calls (Ollama never splits one) as OpenAI deltas, numbered
/// from `first`, arguments as JSON text.
fn tool_calls(calls: Vec<WireToolCall>, first: u32) -> Vec<ToolCall> {
    calls
        .into_iter()
        .zip(first..)
        .map(|(call, index)| {
            let function = call.function.unwrap_or(WireFunction {
                name: None,
                arguments: None,
            });
            let arguments = match function.arguments {
                None | Some(Value::Null) => "{}".to_owned(),
                Some(Value::String(text)) if text.trim().is_empty() => "{}".to_owned(),
                Some(Value::String(text)) => text,
                Some(other) => other.to_string(),
            };
            ToolCall {
                index,
                id: Some(call.id.filter(|id| !id.is_empty()).unwrap_or_else(call_id)),
                r#type: Some("function".into()),
                name: Some(function.name.unwrap_or_default()),
                arguments,
            }
        })
        .collect()
}

/// A fresh OpenAI-style tool call id (older Ollama versions send none).
fn call_id() -> String {
    use rand::Rng as _;
    let suffix: String = rand::rng()
        .sample_iter(&rand::distr::Alphanumeric)
        .take(24)
        .map(char::from)
        .collect();
    format!("call_{suffix}")
}

/// `done_reason` → OpenAI's `finish_reason`. A tool call ends the turn with
/// `stop` on Ollama's side; OpenAI clients need `tool_calls` to run it.
fn finish_reason(done_reason: Option<&str>, had_tool_calls: bool) -> String {
    match done_reason {
        Some("length") => "length",
        _ if had_tool_calls => "tool_calls",
        _ => "stop",
    }
    .to_owned()
}

fn usage(prompt: Option<u64>, completion: Option<u64>) -> Usage {
    let (prompt, completion) = (prompt.unwrap_or(0), completion.unwrap_or(0));
    Usage {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: prompt.saturating_add(completion),
        cached_tokens: None,
        reasoning_tokens: None,
    }
}

fn malformed(provider: &str, err: &serde_json::Error) -> GatewayError {
    GatewayError::new(
        ErrorKind::Unavailable,
        format!("upstream `{provider}` sent malformed JSON: {err}"),
    )
    .with_http_status(502)
}

/// The text of an `{"error": …}` value (a string on Ollama's wire).
fn error_text(error: &Value) -> String {
    match error {
        Value::String(s) => s.clone(),
        Value::Object(obj) => obj
            .get("message")
            .and_then(Value::as_str)
            .map_or_else(|| error.to_string(), str::to_owned),
        other => other.to_string(),
    }
}

/// An `{"error": …}` line after a 200: the model failed mid-answer.
fn stream_error(error: &Value) -> GatewayError {
    GatewayError::new(ErrorKind::Unavailable, error_text(error)).with_http_status(502)
}

/// The error a non-success response stands for, its message kept.
pub fn upstream_error(provider: &str, status: u16, body: &[u8]) -> GatewayError {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let text = match parsed.as_ref().and_then(|v| v.get("error")) {
        Some(error) => error_text(error),
        None => crate::providers::http::bare_error_text(provider, status, body),
    };
    let kind = ErrorKind::from_upstream_http(status);
    let lower = text.to_ascii_lowercase();
    let mut message = text;
    let mut err = GatewayError::new(kind, String::new());
    match kind {
        ErrorKind::NotFound => err = err.with_code("model_not_found"),
        ErrorKind::RateLimited => err = err.with_code("rate_limit_exceeded"),
        ErrorKind::Unauthenticated => err = err.with_code("invalid_api_key"),
        ErrorKind::Unavailable if status != 503 => err = err.with_http_status(502),
        ErrorKind::InvalidRequest
            if lower.contains("think value") || lower.contains("does not support thinking") =>
        {
            message.push_str(
                " (reasoning_effort maps to Ollama's `think`: GPT-OSS takes low/medium/high, other thinking \
                 models only on/off; this model refused the value sent)",
            );
            err = err
                .with_param("reasoning_effort")
                .with_code("unsupported_value");
        }
        ErrorKind::InvalidRequest if lower.contains("does not support tools") => {
            err = err.with_param("tools").with_code("unsupported_parameter");
        }
        _ => {}
    }
    err.message = message;
    err
}

#[derive(Deserialize)]
struct WireEmbed {
    #[serde(default)]
    model: String,
    embeddings: Vec<Vec<f32>>,
    #[serde(default)]
    prompt_eval_count: Option<u64>,
}

/// Parses an `/api/embed` answer.
pub fn parse_embed(provider: &str, body: &[u8]) -> Result<EmbedResponse, GatewayError> {
    let wire: WireEmbed = serde_json::from_slice(body).map_err(|e| malformed(provider, &e))?;
    let tokens = wire.prompt_eval_count.unwrap_or(0);
    Ok(EmbedResponse {
        model: wire.model,
        data: wire
            .embeddings
            .into_iter()
            .zip(0u32..)
            .map(|(embedding, index)| Embedding { index, embedding })
            .collect(),
        usage: Some(EmbedUsage {
            prompt_tokens: tokens,
            total_tokens: tokens,
        }),
    })
}

#[derive(Deserialize)]
struct WireTags {
    #[serde(default)]
    models: Vec<WireTag>,
}

#[derive(Deserialize)]
struct WireTag {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    model: Option<String>,
}

/// Parses `GET /api/tags`: the installed models by the names `/api/chat` takes.
pub fn parse_tags(provider: &str, body: &[u8]) -> Result<Vec<Model>, GatewayError> {
    let wire: WireTags = serde_json::from_slice(body).map_err(|e| malformed(provider, &e))?;
    Ok(wire
        .models
        .into_iter()
        .filter_map(|m| m.name.or(m.model).filter(|n| !n.is_empty()))
        .map(|id| Model {
            id,
            created: 0,
            owned_by: String::new(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::ollama::ndjson::NdjsonDecoder;

    fn fixture(name: &str) -> Vec<u8> {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/fixtures/providers/ollama/"
        );
        std::fs::read(format!("{dir}{name}")).expect("fixture present")
    }

    fn lines(bytes: &[u8]) -> Vec<Vec<u8>> {
        let mut dec = NdjsonDecoder::new();
        let mut out = dec.push(bytes).expect("framing");
        out.extend(dec.finish());
        out
    }

    /// A pretty-printed docs example as the one line it is on the wire.
    fn one_line(name: &str) -> Vec<u8> {
        let value: Value = serde_json::from_slice(&fixture(name)).expect("JSON");
        value.to_string().into_bytes()
    }

    fn run(lines: &[Vec<u8>]) -> (Vec<ChatCompletionChunk>, Option<GatewayError>, StreamState) {
        let mut st = StreamState::new("ollama", "chatcmpl-1".into(), 1, "m");
        let mut chunks = Vec::new();
        for line in lines {
            match st.line(line) {
                Ok(c) => chunks.extend(c),
                Err(e) => return (chunks, Some(e), st),
            }
        }
        (chunks, None, st)
    }

    fn deltas(chunks: &[ChatCompletionChunk]) -> impl Iterator<Item = &Delta> {
        chunks
            .iter()
            .flat_map(|c| &c.choices)
            .filter_map(|c| c.delta.as_ref())
    }

    #[test]
    fn text_stream_with_final_counts() {
        let body = fixture("chat-stream.ndjson");
        let lines = lines(&body);
        let (chunks, err, st) = run(&lines);
        assert!(err.is_none() && st.finished());
        let want: String = lines
            .iter()
            .filter_map(|l| serde_json::from_slice::<Value>(l).ok())
            .filter_map(|v| v["message"]["content"].as_str().map(str::to_owned))
            .collect();
        let text: String = deltas(&chunks).filter_map(|d| d.content.clone()).collect();
        assert_eq!(text, want);
        assert_eq!(
            chunks[0].choices[0].delta.as_ref().and_then(|d| d.role),
            Some(Role::Assistant as i32)
        );
        assert_eq!(deltas(&chunks).filter(|d| d.role.is_some()).count(), 1);
        assert_eq!(chunks[0].model, "gemma3:1b");
        let finish: Vec<_> = chunks
            .iter()
            .flat_map(|c| &c.choices)
            .filter_map(|c| c.finish_reason.as_deref())
            .collect();
        assert_eq!(finish, vec!["stop"]);
        let last = chunks.last().expect("chunks");
        assert!(last.choices.is_empty());
        let usage = last.usage.expect("usage");
        assert_eq!(
            (
                usage.prompt_tokens,
                usage.completion_tokens,
                usage.total_tokens
            ),
            (16, 22, 38)
        );
        assert!(chunks[..chunks.len() - 1].iter().all(|c| c.usage.is_none()));
    }

    #[test]
    fn streamed_tool_call_is_one_whole_delta() {
        let lines = vec![
            one_line("chat-stream-tool-calls.docs.chunk.json"),
            one_line("chat-stream-tool-calls.docs.final.json"),
        ];
        let (chunks, err, _) = run(&lines);
        assert!(err.is_none());
        let calls: Vec<&ToolCall> = deltas(&chunks).flat_map(|d| &d.tool_calls).collect();
        assert_eq!(calls.len(), 1);
        let call = calls[0];
        assert_eq!(
            (call.index, call.name.as_deref(), call.r#type.as_deref()),
            (0, Some("get_weather"), Some("function"))
        );
        assert!(
            call.id
                .as_deref()
                .is_some_and(|id| id.starts_with("call_") && id.len() > 5)
        );
        assert_eq!(
            serde_json::from_str::<Value>(&call.arguments).expect("JSON"),
            serde_json::json!({"city": "Tokyo"})
        );
        assert_eq!(
            chunks[0].choices[0].delta.as_ref().and_then(|d| d.role),
            Some(Role::Assistant as i32)
        );
        let finish: Vec<_> = chunks
            .iter()
            .flat_map(|c| &c.choices)
            .filter_map(|c| c.finish_reason.as_deref())
            .collect();
        assert_eq!(finish, vec!["tool_calls"]);
        let usage = chunks.last().and_then(|c| c.usage).expect("usage");
        assert_eq!((usage.prompt_tokens, usage.completion_tokens), (169, 15));
    }

    #[test]
    fn thinking_and_tool_calls_in_a_final_line() {
        // Some models put everything in the done:true line; as a stream line
        // it still splits into reasoning, then tool calls, then the finish.
        let (chunks, err, _) = run(&lines(&fixture("chat-tool-calls-thinking.json")));
        assert!(err.is_none());
        let d: Vec<&Delta> = deltas(&chunks).collect();
        assert!(
            d[0].reasoning_content
                .as_deref()
                .is_some_and(|r| r.starts_with("User asks"))
        );
        assert_eq!(d[0].content, None);
        assert_eq!(d[1].tool_calls[0].id.as_deref(), Some("call_mo1wm122"));
        assert_eq!(
            d[1].tool_calls[0].arguments,
            r#"{"location":"San Francisco, CA"}"#
        );
    }

    #[test]
    fn non_stream_answer_with_thinking_and_tool_calls() {
        let chunk = parse_completion(
            "ollama",
            "chatcmpl-1".into(),
            1,
            &fixture("chat-tool-calls-thinking.json"),
        )
        .expect("parses");
        let choice = &chunk.choices[0];
        assert_eq!(choice.finish_reason.as_deref(), Some("tool_calls"));
        let delta = choice.delta.as_ref().expect("delta");
        assert_eq!(delta.role, Some(Role::Assistant as i32));
        assert_eq!(delta.content, None);
        assert!(
            delta
                .reasoning_content
                .as_deref()
                .is_some_and(|r| r.contains("getWeather"))
        );
        assert_eq!(delta.tool_calls.len(), 1);
        assert_eq!(delta.tool_calls[0].name.as_deref(), Some("getWeather"));
        assert_eq!(chunk.model, "gpt-oss:120b");
        let usage = chunk.usage.expect("usage");
        assert_eq!(
            (
                usage.prompt_tokens,
                usage.completion_tokens,
                usage.total_tokens
            ),
            (145, 44, 189)
        );
    }

    #[test]
    fn midstream_error_line_is_an_error() {
        let body = fixture("generate-stream-midstream-error.docs.ndjson");
        let lines = lines(&body);
        let last = lines.last().expect("lines");
        let mut st = StreamState::new("ollama", "id".into(), 1, "m");
        let err = st.line(last).expect_err("error line");
        assert!(
            err.message
                .contains("an error was encountered while running the model"),
            "{}",
            err.message
        );
        assert_eq!(err.http_status(), 502);
    }

    #[test]
    fn garbage_and_unfinished_streams() {
        let mut st = StreamState::new("ollama", "id".into(), 1, "m");
        assert_eq!(
            st.line(b"\x00\xff not ndjson {{{")
                .expect_err("garbage")
                .http_status(),
            502
        );
        let body = fixture("chat-stream.ndjson");
        let lines = lines(&body);
        let (_, err, st) = run(&lines[..3]);
        assert!(err.is_none() && !st.finished());
    }

    #[test]
    fn error_bodies_map_to_statuses() {
        let err = upstream_error("ollama", 404, &fixture("error-404-model-not-found.json"));
        assert_eq!(
            (err.kind, err.code.as_deref()),
            (ErrorKind::NotFound, Some("model_not_found"))
        );
        assert!(
            err.message
                .contains("model 'nonexistent-model-12345' not found"),
            "{}",
            err.message
        );
        let err = upstream_error(
            "ollama",
            400,
            &fixture("error-400-model-does-not-support-tools.json"),
        );
        assert_eq!(
            (err.http_status(), err.param.as_deref()),
            (400, Some("tools"))
        );
        assert!(err.message.contains("does not support tools"));
        let err = upstream_error(
            "ollama",
            400,
            &fixture("error-400-think-value-unsupported.json"),
        );
        assert_eq!(
            (err.http_status(), err.param.as_deref()),
            (400, Some("reasoning_effort"))
        );
        assert!(
            err.message
                .contains(r#"think value "low" is not supported"#)
                && err.message.contains("GPT-OSS")
        );
        let err = upstream_error(
            "ollama",
            500,
            br#"{"error":"the model failed to generate a response"}"#,
        );
        assert_eq!(err.http_status(), 502);
        assert_eq!(upstream_error("ollama", 503, b"").http_status(), 503);
        assert_eq!(
            upstream_error("ollama", 401, b"unauthorized")
                .code
                .as_deref(),
            Some("invalid_api_key")
        );
        assert_eq!(upstream_error("ollama", 429, b"{}").http_status(), 429);
    }

    #[test]
    fn embed_and_tags() {
        let body = fixture("embed.json");
        let resp = parse_embed("ollama", &body).expect("parses");
        let want: Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(resp.data.len(), 1);
        assert_eq!(resp.model, "nomic-embed-text");
        #[allow(clippy::cast_possible_truncation)]
        let first = want["embeddings"][0][0].as_f64().expect("number") as f32;
        assert!((resp.data[0].embedding[0] - first).abs() < 1e-9);
        assert_eq!(
            resp.usage.map(|u| u.prompt_tokens),
            want["prompt_eval_count"].as_u64()
        );
        let models = parse_tags("ollama", &fixture("tags.docs.json")).expect("parses");
        let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, vec!["deepseek-r1:latest", "llama3.2:latest"]);
    }
}
