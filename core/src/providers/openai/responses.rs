//! OpenAI's Responses API answers → `ResponseEvent`s, for the adapters that pass a Responses
//! request through to an upstream's own Responses API (OpenAI, Azure OpenAI). Pure functions:
//! the bytes come from `responses_stream.rs`. The JSON codec itself is `modelgate::responses`.

use modelgate::error::GatewayError;
use modelgate::responses::{event_from_json, response_from_json};
use modelgate::v1::ResponseEvent;
use serde_json::{Value, json};

use super::response::{malformed, stream_error};

/// What one upstream SSE `data:` stands for.
#[derive(Debug, PartialEq)]
pub(crate) enum EventItem {
    /// An event, as the upstream sent it.
    Event(Box<ResponseEvent>),
    /// `[DONE]`: not sent by OpenAI's Responses API, but ends a stream from servers that add it.
    Done,
}

/// Event types after which the upstream sends nothing more.
pub(crate) fn is_terminal(event: &ResponseEvent) -> bool {
    matches!(
        event.r#type.as_str(),
        "response.completed" | "response.incomplete" | "response.failed"
    )
}

/// One SSE `data:` of a Responses stream. An `error` event is the upstream's error (its code
/// and message kept); data that is not an event is the malformed-answer error chat uses.
pub(crate) fn parse_event(provider: &str, data: &str) -> Result<EventItem, GatewayError> {
    if data.trim() == "[DONE]" {
        return Ok(EventItem::Done);
    }
    let event = event_from_json(data.as_bytes()).map_err(|e| malformed(provider, &e))?;
    if event.r#type == "error" {
        return Err(error_event(provider, data));
    }
    Ok(EventItem::Event(Box::new(event)))
}

/// An `error` event: OpenAI documents `code`, `message` and `param` on the event itself;
/// recorded streams also carry them in an `error` object (with a `type`). Either is read.
fn error_event(provider: &str, data: &str) -> GatewayError {
    let value: Value = serde_json::from_str(data).unwrap_or(Value::Null);
    match value.get("error").filter(|e| e.is_object()) {
        Some(error) => stream_error(provider, error),
        None => {
            let field = |k: &str| value.get(k).cloned().unwrap_or(Value::Null);
            let error = json!({"code": field("code"), "message": field("message"), "param": field("param")});
            stream_error(provider, &error)
        }
    }
}

/// A non-streamed answer: the response object, as the one event of type `response.completed`
/// (`response.incomplete` / `response.failed` by its status), sequence number 0. A body that is
/// an `{"error": …}` envelope (some servers send one with a 200) is that error.
pub(crate) fn parse_response(provider: &str, body: &[u8]) -> Result<ResponseEvent, GatewayError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| malformed(provider, &e))?;
    let is_response = value.get("object").and_then(Value::as_str) == Some("response");
    if let Some(error) = value.get("error").filter(|e| e.is_object() && !is_response) {
        return Err(stream_error(provider, error));
    }
    let response = response_from_json(body).map_err(|e| malformed(provider, &e))?;
    let kind = match response.status.as_str() {
        "incomplete" => "response.incomplete",
        "failed" => "response.failed",
        _ => "response.completed",
    };
    Ok(ResponseEvent {
        r#type: kind.to_owned(),
        sequence_number: 0,
        response: Some(response),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use modelgate::error::ErrorKind;

    /// A recording of the mock (`mock-upstream/recordings/`): one `data:` payload per line.
    fn recording(path: &str) -> String {
        let file = format!(
            "{}/../mock-upstream/recordings/{path}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"))
    }

    fn events(path: &str) -> Vec<Result<EventItem, GatewayError>> {
        recording(path)
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| parse_event("openai", l))
            .collect()
    }

    fn event(item: &Result<EventItem, GatewayError>) -> &ResponseEvent {
        match item {
            Ok(EventItem::Event(e)) => e,
            other => panic!("not an event: {other:?}"),
        }
    }

    #[test]
    fn text_stream_keeps_every_event_in_order() {
        let items = events("openai/responses-stream-text.chunks.jsonl");
        let seqs: Vec<u64> = items.iter().map(|i| event(i).sequence_number).collect();
        assert_eq!(seqs, (0..seqs.len() as u64).collect::<Vec<_>>());
        let deltas: String = items
            .iter()
            .map(event)
            .filter(|e| e.r#type == "response.output_text.delta")
            .filter_map(|e| e.delta.clone())
            .collect();
        assert_eq!(deltas, "`arm64` (Apple Silicon).");
        let last = event(items.last().expect("events"));
        assert!(is_terminal(last));
        assert_eq!(
            last.response.as_ref().map(|r| r.status.as_str()),
            Some("completed")
        );
    }

    #[test]
    fn function_call_arguments_stream_through() {
        let items = events("openai/responses-stream-function-call.chunks.jsonl");
        let done = items
            .iter()
            .map(event)
            .find(|e| e.r#type == "response.function_call_arguments.done")
            .expect("arguments.done");
        let args: Value =
            serde_json::from_str(done.arguments.as_deref().expect("arguments")).expect("json");
        assert!(args.is_object(), "{args}");
        let added = items
            .iter()
            .map(event)
            .find(|e| e.r#type == "response.output_item.added")
            .and_then(|e| e.item.clone())
            .expect("item");
        assert_eq!(added.r#type, "function_call");
        assert_eq!(added.name.as_deref(), Some("get_weather"));
    }

    #[test]
    fn reasoning_keeps_summary_and_encrypted_content() {
        let items = events("openai/responses-stream-reasoning-encrypted.chunks.jsonl");
        let summary: String = items
            .iter()
            .map(event)
            .filter(|e| e.r#type == "response.reasoning_summary_text.delta")
            .filter_map(|e| e.delta.clone())
            .collect();
        assert!(
            summary.starts_with("**Calculating step-by-step"),
            "{summary}"
        );
        let done = items
            .iter()
            .map(event)
            .find(|e| {
                e.r#type == "response.output_item.done"
                    && e.item.as_ref().is_some_and(|i| i.r#type == "reasoning")
            })
            .and_then(|e| e.item.clone())
            .expect("reasoning item");
        let encrypted = done
            .encrypted_content
            .as_deref()
            .expect("encrypted_content");
        assert!(encrypted.starts_with("gAAAAABpPDIV"), "{encrypted}");
    }

    #[test]
    fn error_event_is_the_upstreams_error() {
        let items = events("openai/responses-stream-error-then-failed.chunks.jsonl");
        assert_eq!(event(&items[0]).r#type, "response.created");
        let err = items[2].as_ref().expect_err("an error");
        assert_eq!(err.kind, ErrorKind::RateLimited);
        assert_eq!(err.code.as_deref(), Some("insufficient_quota"));
        assert!(err.message.starts_with("You exceeded your current quota"));
        // The documented form: the fields on the event itself.
        let documented = r#"{"type":"error","code":"ERR_SOMETHING","message":"Something went wrong","param":null,"sequence_number":1}"#;
        let err = parse_event("openai", documented).expect_err("an error");
        assert_eq!(
            (err.code.as_deref(), err.message.as_str()),
            (Some("ERR_SOMETHING"), "Something went wrong")
        );
        // response.failed that follows is an event like any other.
        assert!(is_terminal(event(&items[3])));
    }

    #[test]
    fn malformed_data_is_the_chat_paths_error() {
        let err =
            parse_event("up", r#"{"type":"response.in_progress","respo"#).expect_err("an error");
        assert_eq!((err.kind, err.http_status()), (ErrorKind::Unavailable, 502));
        assert!(err.message.contains("upstream `up` sent malformed JSON"));
        assert_eq!(parse_event("up", "[DONE]").ok(), Some(EventItem::Done));
    }

    #[test]
    fn non_streamed_answers_become_one_terminal_event() {
        let event = parse_response(
            "openai",
            recording("openai/responses-function-call.json").as_bytes(),
        )
        .expect("parses");
        assert_eq!(
            (event.r#type.as_str(), event.sequence_number),
            ("response.completed", 0)
        );
        let response = event.response.expect("response");
        assert_eq!(response.output[0].r#type, "function_call");
        let mut body: Value =
            serde_json::from_str(&recording("openai/responses-text.json")).expect("json");
        body["status"] = json!("incomplete");
        body["incomplete_details"] = json!({"reason": "max_output_tokens"});
        let event = parse_response("openai", body.to_string().as_bytes()).expect("parses");
        assert_eq!(event.r#type, "response.incomplete");
        let err = parse_response(
            "openai",
            recording("openai/responses-error-429-insufficient-quota.json").as_bytes(),
        )
        .expect_err("an error");
        assert_eq!(err.code.as_deref(), Some("insufficient_quota"));
    }
}
