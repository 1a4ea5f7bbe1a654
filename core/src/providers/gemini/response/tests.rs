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
    let first = r#"{"candidates": [{"content": {"parts": [{"text": "The"}],"role": "model"}}]}"#;
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
    let text = parse_completion("gemini", "m", &fixture("generate-content-text.json")).expect("ok");
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
