//! One check per capability, the same for every adapter.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use serde_json::{Value, json};

use crate::adapters::Spec;
use crate::gateway::{CLIENT_KEY, Gateway, PROVIDER_KEY};

/// A capability an adapter may declare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cap {
    TextStream,
    NonStream,
    ImageInput,
    ToolDefinitions,
    ToolCallStream,
    ToolResult,
    Reasoning,
    Usage,
    Errors,
    MalformedUpstream,
    Disconnect,
    Grpc,
    Embeddings,
    KeysStayPut,
    Responses,
}

impl Cap {
    pub const ALL: &'static [Cap] = &[
        Cap::TextStream,
        Cap::NonStream,
        Cap::ImageInput,
        Cap::ToolDefinitions,
        Cap::ToolCallStream,
        Cap::ToolResult,
        Cap::Reasoning,
        Cap::Usage,
        Cap::Errors,
        Cap::MalformedUpstream,
        Cap::Disconnect,
        Cap::Grpc,
        Cap::Embeddings,
        Cap::KeysStayPut,
        Cap::Responses,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Cap::TextStream => "text stream",
            Cap::NonStream => "non-stream",
            Cap::ImageInput => "image input",
            Cap::ToolDefinitions => "tool definitions",
            Cap::ToolCallStream => "streamed tool call",
            Cap::ToolResult => "tool result round trip",
            Cap::Reasoning => "reasoning",
            Cap::Usage => "usage (with/without)",
            Cap::Errors => "error classes",
            Cap::MalformedUpstream => "malformed upstream",
            Cap::Disconnect => "disconnect cancels",
            Cap::Grpc => "gRPC stream",
            Cap::Embeddings => "embeddings",
            Cap::KeysStayPut => "keys stay put",
            Cap::Responses => "responses",
        }
    }
}

type Check = Result<(), String>;

/// The mock answers a check consumes: (request, model, stream) on the adapter's route.
fn scenarios(cap: Cap, spec: &Spec) -> Vec<(&'static str, &'static str, bool)> {
    let chat = |m: &'static str, stream| ("chat", m, stream);
    match cap {
        Cap::TextStream | Cap::Grpc => vec![chat(spec.text_stream.0, true)],
        Cap::NonStream | Cap::ImageInput | Cap::ToolResult | Cap::KeysStayPut => {
            vec![chat(spec.non_stream.0, false)]
        }
        Cap::ToolDefinitions | Cap::ToolCallStream => vec![chat(spec.tool_stream.0, true)],
        Cap::Reasoning => vec![chat(spec.reasoning_model, true)],
        Cap::Usage => vec![chat(spec.usage.0, true)],
        Cap::Errors => spec
            .errors
            .iter()
            .flat_map(|f| [chat(f.model, false), chat(f.model, true)])
            .collect(),
        Cap::MalformedUpstream => vec![
            chat(spec.malformed_model, true),
            chat(spec.text_stream.0, true),
        ],
        Cap::Disconnect => vec![chat(spec.slow_model, true)],
        Cap::Embeddings => spec
            .embeddings
            .map(|(m, _)| ("embeddings", m, false))
            .into_iter()
            .collect(),
        Cap::Responses => vec![(spec.responses_upstream, spec.text_stream.0, true)],
    }
}

/// What a cell rests on, from the mock's source table: `recorded`, `documented`, `quoted`,
/// `borrowed (from …)`, `synthetic`, joined by `+` when the check uses several answers; and
/// one line per answer that is not the provider's own recording.
pub fn source_of(cap: Cap, spec: &Spec) -> Result<(String, Vec<String>), String> {
    use mock_upstream::sources::{Kind, lookup};
    let mut kinds: Vec<String> = Vec::new();
    let mut notes = Vec::new();
    for (request, m, stream) in scenarios(cap, spec) {
        let route = crate::responses::route(spec, request);
        let source = lookup(&route, request, m, stream).ok_or_else(|| {
            format!("the mock's source table has no row for {request} {m} stream={stream}")
        })?;
        let label = match source.kind {
            Kind::Borrowed => format!(
                "borrowed (from {})",
                source
                    .from
                    .split([' ', ',', '('])
                    .next()
                    .unwrap_or_default()
            ),
            kind => kind.name().to_owned(),
        };
        if source.kind != Kind::Recorded {
            let when = match source.stream {
                Some(true) => " (streamed)",
                Some(false) => " (not streamed)",
                None => "",
            };
            let files = if source.files.is_empty() {
                String::new()
            } else {
                format!("{} ", source.files.join(" + "))
            };
            notes.push(format!(
                "{m}{when}: {} {files}{}",
                source.kind.name(),
                source.from
            ));
        }
        if !kinds.contains(&label) {
            kinds.push(label);
        }
    }
    Ok((kinds.join("+"), notes))
}

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

pub async fn run(cap: Cap, spec: Spec, gw: Arc<Gateway>) -> Check {
    let check = async {
        match cap {
            Cap::TextStream => text_stream(&spec, &gw).await,
            Cap::NonStream => non_stream(&spec, &gw).await,
            Cap::ImageInput => image_input(&spec, &gw).await,
            Cap::ToolDefinitions => tool_definitions(&spec, &gw).await,
            Cap::ToolCallStream => tool_call_stream(&spec, &gw).await,
            Cap::ToolResult => tool_result(&spec, &gw).await,
            Cap::Reasoning => reasoning(&spec, &gw).await,
            Cap::Usage => usage(&spec, &gw).await,
            Cap::Errors => errors(&spec, &gw).await,
            Cap::MalformedUpstream => malformed(&spec, &gw).await,
            Cap::Disconnect => disconnect(&spec, &gw).await,
            Cap::Grpc => grpc(&spec, &gw).await,
            Cap::Embeddings => embeddings(&spec, &gw).await,
            Cap::KeysStayPut => keys_stay_put(&spec, &gw).await,
            Cap::Responses => crate::responses::streamed_text(&spec, &gw).await,
        }
    };
    tokio::time::timeout(Duration::from_secs(20), check)
        .await
        .map_err(|_| "timed out".to_owned())?
}

fn model(spec: &Spec, m: &str) -> String {
    format!("{}/{m}", spec.name)
}

fn user(text: &str) -> Value {
    json!([{"role": "user", "content": text}])
}

fn weather_tool() -> Value {
    json!([{"type": "function", "function": {
        "name": "get_weather", "description": "Current weather in a city",
        "parameters": {"type": "object", "$schema": "http://json-schema.org/draft-07/schema#",
                       "properties": {"city": {"type": "string", "description": "City name", "default": "Paris"}},
                       "required": ["city"], "additionalProperties": false}}}])
}

/// Posts a chat request; returns (status, body text).
async fn chat(gw: &Gateway, body: Value) -> Result<(u16, String), String> {
    let resp = gw.post("/v1/chat/completions", &body).await?;
    let status = resp.status().as_u16();
    let text = resp.text().await.map_err(|e| format!("body: {e}"))?;
    Ok((status, text))
}

/// Chunks of an SSE body, and whether it ended with `[DONE]`.
fn sse_chunks(body: &str) -> Result<(Vec<Value>, bool), String> {
    let mut chunks = Vec::new();
    let mut done = false;
    for event in body.split("\n\n").filter(|e| !e.is_empty()) {
        let data = event
            .strip_prefix("data: ")
            .ok_or_else(|| format!("not an unnamed data event: {event:?}"))?;
        if data == "[DONE]" {
            done = true;
            continue;
        }
        let value: Value =
            serde_json::from_str(data).map_err(|e| format!("chunk is not JSON ({e}): {data}"))?;
        if value.get("error").is_some() {
            return Err(format!("stream carried an error: {data}"));
        }
        chunks.push(value);
    }
    Ok((chunks, done))
}

fn nonempty(v: &Value) -> bool {
    v.as_str().is_some_and(|s| !s.is_empty())
}

fn joined(chunks: &[Value], field: &str) -> String {
    chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"][field].as_str())
        .collect()
}

async fn stream_ok(gw: &Gateway, body: Value) -> Result<Vec<Value>, String> {
    let (status, text) = chat(gw, body).await?;
    ensure!(status == 200, "status {status}: {text}");
    let (chunks, done) = sse_chunks(&text)?;
    ensure!(done, "stream did not end with [DONE]");
    for c in &chunks {
        let d = &c["choices"][0]["delta"];
        ensure!(
            !(nonempty(&d["content"]) && nonempty(&d["reasoning_content"])),
            "a delta mixes content and reasoning: {c}"
        );
        ensure!(c["object"] == "chat.completion.chunk", "wrong object: {c}");
    }
    Ok(chunks)
}

async fn text_stream(spec: &Spec, gw: &Gateway) -> Check {
    let (m, want) = &spec.text_stream;
    let chunks = stream_ok(
        gw,
        json!({"model": model(spec, m), "stream": true, "messages": user("hi")}),
    )
    .await?;
    let text = joined(&chunks, "content");
    ensure!(
        text == *want,
        "streamed text differs:\n got {text:?}\nwant {want:?}"
    );
    ensure!(
        chunks
            .iter()
            .any(|c| nonempty(&c["choices"][0]["finish_reason"])),
        "no finish_reason"
    );
    ensure!(
        chunks
            .first()
            .is_some_and(|c| c["choices"][0]["delta"]["role"] == "assistant"),
        "first delta lacks role"
    );
    Ok(())
}

async fn non_stream(spec: &Spec, gw: &Gateway) -> Check {
    let (m, want) = &spec.non_stream;
    ensure!(!want.is_empty(), "no expected values declared");
    let (status, text) = chat(gw, json!({"model": model(spec, m), "messages": user("hi")})).await?;
    ensure!(status == 200, "status {status}: {text}");
    let body: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    ensure!(body["object"] == "chat.completion", "wrong object: {body}");
    let msg = &body["choices"][0]["message"];
    ensure!(msg["role"] == "assistant", "role {}", msg["role"]);
    for (pointer, value) in want {
        let got = body.pointer(pointer).unwrap_or(&Value::Null);
        ensure!(got == value, "{pointer}: {got} != recorded {value}");
    }
    Ok(())
}

fn last_chat_call(spec: &Spec, gw: &Gateway) -> Result<Value, String> {
    gw.mock
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.path.contains(spec.chat_path))
        .map(|r| r.body)
        .ok_or_else(|| "the upstream was never called".to_owned())
}

async fn image_input(spec: &Spec, gw: &Gateway) -> Check {
    let messages = json!([{"role": "user", "content": [
        {"type": "text", "text": "What is in this image?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"}}]}]);
    let (status, text) = chat(
        gw,
        json!({"model": model(spec, spec.non_stream.0), "messages": messages}),
    )
    .await?;
    ensure!(status == 200, "status {status}: {text}");
    let body = last_chat_call(spec, gw)?;
    ensure!(
        (spec.image_sent)(&body),
        "image not translated into the upstream request: {body}"
    );
    Ok(())
}

async fn tool_definitions(spec: &Spec, gw: &Gateway) -> Check {
    let (status, text) = chat(
        gw,
        json!({"model": model(spec, spec.tool_stream.0), "stream": true, "tools": weather_tool(), "tool_choice": "auto", "messages": user("weather?")}),
    )
    .await?;
    ensure!(status == 200, "status {status}: {text}");
    let body = last_chat_call(spec, gw)?;
    ensure!(
        (spec.tool_definition_sent)(&body),
        "tool definition not translated: {body}"
    );
    Ok(())
}

async fn tool_call_stream(spec: &Spec, gw: &Gateway) -> Check {
    let (m, name, args) = &spec.tool_stream;
    let chunks = stream_ok(gw, json!({"model": model(spec, m), "stream": true, "tools": weather_tool(), "messages": user("weather?")})).await?;
    let calls: Vec<&Value> = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["tool_calls"].as_array())
        .flatten()
        .collect();
    ensure!(!calls.is_empty(), "no tool call deltas");
    ensure!(
        calls
            .iter()
            .all(|c| c["function"].is_object() && c["index"].is_u64()),
        "a tool call delta lacks function or index"
    );
    let first = calls
        .iter()
        .find(|c| nonempty(&c["id"]))
        .ok_or("no tool call id")?;
    ensure!(
        first["function"]["name"] == *name,
        "name {} != {name}",
        first["function"]["name"]
    );
    ensure!(first["type"] == "function", "type {}", first["type"]);
    let index = &first["index"];
    let names = calls
        .iter()
        .filter(|c| c["index"] == *index && c["function"]["name"].is_string())
        .count();
    ensure!(names == 1, "the name was sent {names} times");
    let joined: String = calls
        .iter()
        .filter(|c| c["index"] == *index)
        .filter_map(|c| c["function"]["arguments"].as_str())
        .collect();
    let parsed: Value = serde_json::from_str(&joined)
        .map_err(|e| format!("arguments {joined:?} are not JSON: {e}"))?;
    ensure!(parsed == *args, "arguments {parsed} != {args}");
    ensure!(
        chunks
            .iter()
            .any(|c| c["choices"][0]["finish_reason"] == "tool_calls"),
        "finish_reason is not tool_calls"
    );
    Ok(())
}

async fn tool_result(spec: &Spec, gw: &Gateway) -> Check {
    let messages = json!([
        {"role": "user", "content": "What's the weather in Mexico City?"},
        {"role": "assistant", "content": null, "tool_calls": [{"id": "call_abc123", "type": "function",
            "function": {"name": "get_weather", "arguments": "{\"city\":\"Mexico City\"}"}}]},
        {"role": "tool", "tool_call_id": "call_abc123", "content": "24°C and sunny"},
    ]);
    let (status, text) = chat(gw, json!({"model": model(spec, spec.non_stream.0), "tools": weather_tool(), "messages": messages})).await?;
    ensure!(status == 200, "status {status}: {text}");
    let body = last_chat_call(spec, gw)?;
    ensure!(
        (spec.tool_result_sent)(&body),
        "tool call / result not translated: {body}"
    );
    Ok(())
}

async fn reasoning(spec: &Spec, gw: &Gateway) -> Check {
    let chunks = stream_ok(gw, json!({"model": model(spec, spec.reasoning_model), "stream": true, "messages": user("think")})).await?;
    ensure!(
        !joined(&chunks, "reasoning_content").is_empty(),
        "no reasoning_content"
    );
    ensure!(
        !joined(&chunks, "content").is_empty(),
        "no content after the reasoning"
    );
    Ok(())
}

async fn usage(spec: &Spec, gw: &Gateway) -> Check {
    let (m, prompt, completion) = spec.usage;
    let with = stream_ok(
        gw,
        json!({"model": model(spec, m), "stream": true, "stream_options": {"include_usage": true}, "messages": user("hi")}),
    )
    .await?;
    ensure!(
        with.len() >= 2,
        "{} chunk(s): want content chunks, then the usage chunk",
        with.len()
    );
    let last = with.last().ok_or("no chunks")?;
    ensure!(
        last["choices"] == json!([]),
        "last chunk is not usage-only: {last}"
    );
    ensure!(
        last["usage"]["prompt_tokens"] == prompt
            && last["usage"]["completion_tokens"] == completion,
        "usage {} != {prompt}/{completion}",
        last["usage"]
    );
    ensure!(
        with[..with.len() - 1].iter().all(|c| c["usage"].is_null()),
        "usage before the last chunk"
    );
    let without = stream_ok(
        gw,
        json!({"model": model(spec, m), "stream": true, "messages": user("hi")}),
    )
    .await?;
    ensure!(
        !joined(&without, "content").is_empty(),
        "no content without include_usage"
    );
    ensure!(
        without.iter().all(|c| c.get("usage").is_none()),
        "usage sent without include_usage"
    );
    Ok(())
}

/// Posts a chat request that must fail; returns (status, the `error` object, the
/// `x-modelgate-provider` header).
async fn failure(gw: &Gateway, body: Value) -> Result<(u16, Value, String), String> {
    let resp = gw.post("/v1/chat/completions", &body).await?;
    let status = resp.status().as_u16();
    let provider = resp
        .headers()
        .get("x-modelgate-provider")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = resp.text().await.map_err(|e| format!("body: {e}"))?;
    let body: Value = serde_json::from_str(&text)
        .map_err(|e| format!("status {status}: error body not JSON ({e}): {text}"))?;
    let mut keys: Vec<&str> = body
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    ensure!(
        keys == ["error"],
        "status {status}: not an error body: {body}"
    );
    keys = body["error"]
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    keys.sort_unstable();
    ensure!(
        keys == ["code", "message", "param", "type"],
        "status {status}: error fields {keys:?} are not OpenAI's four: {body}"
    );
    ensure!(
        nonempty(&body["error"]["message"]),
        "status {status}: empty message: {body}"
    );
    Ok((status, body["error"].clone(), provider))
}

async fn errors(spec: &Spec, gw: &Gateway) -> Check {
    for want in &spec.errors {
        let m = want.model;
        for stream in [false, true] {
            let (status, err, provider) = failure(
                gw,
                json!({"model": model(spec, m), "stream": stream, "messages": user("hi")}),
            )
            .await?;
            ensure!(
                status == want.status,
                "{m} stream={stream}: status {status} != {}: {err}",
                want.status
            );
            let got = (&err["type"], &err["code"], &err["param"]);
            let expected = (json!(want.kind), json!(want.code), json!(want.param));
            ensure!(
                got == (&expected.0, &expected.1, &expected.2),
                "{m} stream={stream}: (type, code, param) {got:?} != {expected:?}: {err}"
            );
            // The upstream's words are kept; who said them is in the header.
            ensure!(
                provider == spec.name,
                "{m} stream={stream}: x-modelgate-provider {provider:?} != {:?}",
                spec.name
            );
        }
    }
    Ok(())
}

/// Bytes that are not the provider's format, before any chunk: a real status (README: failures
/// before the first token are real statuses), 502 as for any failing upstream, in a message
/// modelgate writes that names the upstream; then the next request is served.
async fn malformed(spec: &Spec, gw: &Gateway) -> Check {
    let (status, err, provider) = failure(
        gw,
        json!({"model": model(spec, spec.malformed_model), "stream": true, "messages": user("hi")}),
    )
    .await?;
    ensure!(status == 502, "status {status} != 502: {err}");
    ensure!(
        err == json!({"message": spec.malformed_message, "type": "api_error", "code": null, "param": null}),
        "error {err} != message {:?}, type api_error, code and param null",
        spec.malformed_message
    );
    ensure!(
        provider == spec.name,
        "x-modelgate-provider {provider:?} != {:?}",
        spec.name
    );
    let (m, _) = &spec.text_stream;
    stream_ok(
        gw,
        json!({"model": model(spec, m), "stream": true, "messages": user("hi")}),
    )
    .await
    .map_err(|e| format!("not serving afterwards: {e}"))?;
    Ok(())
}

async fn disconnect(spec: &Spec, gw: &Gateway) -> Check {
    let before = gw.mock.stats().dropped_streams;
    let resp = gw
        .post(
            "/v1/chat/completions",
            &json!({"model": model(spec, spec.slow_model), "stream": true, "messages": user("hi")}),
        )
        .await?;
    ensure!(resp.status() == 200, "status {}", resp.status());
    let mut body = resp.bytes_stream();
    let first = body
        .next()
        .await
        .ok_or("no first event")?
        .map_err(|e| e.to_string())?;
    ensure!(first.starts_with(b"data: "), "first bytes are not an event");
    drop(body);
    gw.mock
        .wait_for(|s| s.dropped_streams > before, Duration::from_secs(1))
        .await
        .map_err(|s| format!("upstream still open 1 s after the client left: {s:?}"))?;
    Ok(())
}

async fn grpc(spec: &Spec, gw: &Gateway) -> Check {
    use modelgate::v1::gateway_client::GatewayClient;
    use modelgate::v1::message::Content;
    use modelgate::v1::{ChatCompletionRequest, Message, Role};
    let mut client = GatewayClient::connect(format!("http://{}", gw.grpc))
        .await
        .map_err(|e| e.to_string())?;
    let (m, want) = &spec.text_stream;
    let mut req = tonic::Request::new(ChatCompletionRequest {
        model: model(spec, m),
        stream: true,
        messages: vec![Message {
            role: Role::User as i32,
            content: Some(Content::Text("hi".into())),
            ..Default::default()
        }],
        ..Default::default()
    });
    req.metadata_mut().insert(
        "authorization",
        format!("Bearer {CLIENT_KEY}")
            .parse()
            .map_err(|_| "metadata")?,
    );
    let mut stream = client
        .chat_completion(req)
        .await
        .map_err(|s| format!("status {s:?}"))?
        .into_inner();
    let mut text = String::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|s| format!("mid-stream status {s:?}"))?;
        for c in chunk.choices {
            text.push_str(
                c.delta
                    .and_then(|d| d.content)
                    .as_deref()
                    .unwrap_or_default(),
            );
        }
    }
    ensure!(text == *want, "gRPC text {text:?} != {want:?}");
    Ok(())
}

async fn embeddings(spec: &Spec, gw: &Gateway) -> Check {
    let (m, first) = spec
        .embeddings
        .ok_or("declared but no embeddings model given")?;
    let resp = gw.post("/v1/embeddings", &json!({"model": model(spec, m), "input": ["hello", "world"], "encoding_format": "float"})).await?;
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.map_err(|e| e.to_string())?;
    ensure!(status == 200, "status {status}: {body}");
    let got = body["data"][0]["embedding"][0]
        .as_f64()
        .ok_or_else(|| format!("no vector: {body}"))? as f32;
    let close = (got - first).abs() <= 1e-6;
    ensure!(close, "first value {got} != {first}");
    ensure!(
        body["data"][0]["object"] == "embedding" && body["object"] == "list",
        "shape: {body}"
    );
    Ok(())
}

async fn keys_stay_put(spec: &Spec, gw: &Gateway) -> Check {
    let (status, text) = chat(
        gw,
        json!({"model": model(spec, spec.non_stream.0), "messages": user("hi")}),
    )
    .await?;
    ensure!(status == 200, "status {status}");
    ensure!(!text.contains(PROVIDER_KEY), "provider key in the answer");
    let call = gw
        .mock
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.path.contains(spec.chat_path))
        .ok_or("no upstream call")?;
    // The query string too: a key in `?key=` is as leaked as one in a header.
    let dump = format!(
        "{} {:?} {:?} {}",
        call.path, call.query, call.headers, call.body
    );
    ensure!(
        !dump.contains(CLIENT_KEY),
        "client key reached the upstream"
    );
    ensure!(
        dump.contains(PROVIDER_KEY),
        "provider key not sent upstream: {dump}"
    );
    Ok(())
}
