//! The OpenAI and Azure adapters pass a Responses request through to the upstream's own
//! Responses API, over a real socket to the mock upstream (which replays recorded OpenAI and
//! Azure Responses answers): the body the upstream gets is the request as the client wrote it,
//! events come back as the upstream sent them, errors keep the upstream's words and map to
//! the error table's kinds.

use std::sync::Arc;

use futures::StreamExt;
use mock_upstream::MockUpstream;
use modelgate::error::{ErrorKind, GatewayError};
use modelgate::responses::{
    event_from_json, request_from_json, request_to_json, response_from_json,
};
use modelgate::v1::{ResponseEvent, ResponseRequest};
use modelgate_core::config::{Config, MapEnv};
use modelgate_core::providers::{self, Provider, images::Fetcher};
use modelgate_core::secrets::Secrets;
use serde_json::{Value, json};

async fn mock() -> MockUpstream {
    MockUpstream::start(mock_upstream::default_fixtures_dir())
        .await
        .expect("mock starts")
}

fn provider(entry: &str) -> Arc<dyn Provider> {
    let yaml = format!("providers:\n  up: {entry}\n");
    let config = Config::from_yaml_str(&yaml, "t.yaml", &MapEnv::from_pairs(&[])).expect("config");
    let images = Arc::new(Fetcher::new(&config.image_fetch));
    providers::build(
        &config.providers["up"],
        &reqwest::Client::new(),
        &images,
        &Secrets::of_config(&config),
    )
}

fn openai(mock: &MockUpstream) -> Arc<dyn Provider> {
    provider(&format!(
        "{{ kind: openai, api_base: \"{}\", api_key: sk-test-123 }}",
        mock.base_url()
    ))
}

fn azure(mock: &MockUpstream) -> Arc<dyn Provider> {
    provider(&format!(
        "{{ kind: azure, api_base: \"{}\", api_key: az-key-123 }}",
        mock.native_url("azure")
    ))
}

/// A request using what only a Responses API keeps: `store`, `previous_response_id`, a
/// built-in tool, `include`.
fn body(model: &str, stream: bool) -> Value {
    json!({
        "model": model,
        "stream": stream,
        "input": "What is the weather in Berlin?",
        "store": false,
        "previous_response_id": "resp_0b0392bd3bb81302006994e83ac0ac819396f3f5aa5f239e03",
        "include": ["reasoning.encrypted_content"],
        "tools": [
            {"type": "web_search"},
            {"type": "function", "name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}
        ],
    })
}

fn request(model: &str, stream: bool) -> ResponseRequest {
    request_from_json(body(model, stream).to_string().as_bytes()).expect("request parses")
}

fn recording(path: &str) -> String {
    let file = format!(
        "{}/../mock-upstream/recordings/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// The recorded stream's events, as the codec reads each `data:`.
fn recorded_events(path: &str) -> Vec<ResponseEvent> {
    recording(path)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| event_from_json(l.as_bytes()).expect("recorded event"))
        .collect()
}

async fn collect(
    provider: &Arc<dyn Provider>,
    request: ResponseRequest,
) -> Result<Vec<Result<ResponseEvent, GatewayError>>, GatewayError> {
    Ok(provider.responses(request).await?.collect().await)
}

fn header<'a>(req: &'a mock_upstream::RecordedRequest, name: &str) -> Option<&'a str> {
    req.headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// What the upstream got is `request_to_json` of the request, with the Responses-only fields
/// exactly as the client wrote them.
fn assert_passed_through(got: &Value, req: &ResponseRequest, model: &str) {
    assert_eq!(*got, request_to_json(req));
    let sent = body(model, req.stream);
    for field in [
        "model",
        "store",
        "previous_response_id",
        "include",
        "tools",
        "input",
    ] {
        assert_eq!(got[field], sent[field], "{field}");
    }
    assert_eq!(got["stream"].as_bool().unwrap_or(false), req.stream);
}

#[tokio::test]
async fn openai_stream_passes_the_request_and_every_event_through() {
    let mock = mock().await;
    let up = openai(&mock);
    let req = request("text", true);
    let events: Vec<ResponseEvent> = collect(&up, req.clone())
        .await
        .expect("started")
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("every event");
    assert_eq!(
        events,
        recorded_events("openai/responses-stream-text.chunks.jsonl")
    );
    let seen = mock.requests().pop().expect("a request");
    assert_eq!(seen.path, "/v1/responses");
    assert_eq!(header(&seen, "authorization"), Some("Bearer sk-test-123"));
    assert_passed_through(&seen.body, &req, "text");
}

#[tokio::test]
async fn openai_reasoning_and_function_call_streams_keep_what_was_sent() {
    let mock = mock().await;
    let up = openai(&mock);
    for (model, path) in [
        (
            "reasoning",
            "openai/responses-stream-reasoning-encrypted.chunks.jsonl",
        ),
        (
            "tools",
            "openai/responses-stream-function-call.chunks.jsonl",
        ),
    ] {
        let events: Vec<ResponseEvent> = collect(&up, request(model, true))
            .await
            .expect("started")
            .into_iter()
            .collect::<Result<_, _>>()
            .expect("every event");
        assert_eq!(events, recorded_events(path), "{model}");
    }
}

#[tokio::test]
async fn openai_non_streamed_answer_is_one_completed_event() {
    let mock = mock().await;
    let up = openai(&mock);
    let req = request("tools", false);
    let events = collect(&up, req.clone()).await.expect("answered");
    assert_eq!(events.len(), 1);
    let event = events[0].as_ref().expect("an event");
    assert_eq!(
        (event.r#type.as_str(), event.sequence_number),
        ("response.completed", 0)
    );
    let want = response_from_json(recording("openai/responses-function-call.json").as_bytes())
        .expect("recorded response");
    assert_eq!(event.response.as_ref(), Some(&want));
    assert_passed_through(
        &mock.requests().pop().expect("a request").body,
        &req,
        "tools",
    );
}

#[tokio::test]
async fn upstream_http_errors_keep_their_words_and_the_tables_kind() {
    let mock = mock().await;
    let up = openai(&mock);
    for stream in [false, true] {
        let err = up
            .responses(request("error-400", stream))
            .await
            .err()
            .expect("a 400");
        assert_eq!(
            (err.kind, err.http_status()),
            (ErrorKind::InvalidRequest, 400)
        );
        assert_eq!(
            err.message,
            "Unsupported parameter: 'temperature' is not supported with this model."
        );
        let err = up
            .responses(request("error-429", stream))
            .await
            .err()
            .expect("a 429");
        assert_eq!((err.kind, err.http_status()), (ErrorKind::RateLimited, 429));
        assert_eq!(err.code.as_deref(), Some("insufficient_quota"));
        let err = up
            .responses(request("error-500", stream))
            .await
            .err()
            .expect("a 500");
        assert_eq!((err.kind, err.http_status()), (ErrorKind::Unavailable, 502));
    }
}

#[tokio::test]
async fn error_event_mid_stream_ends_the_stream_with_the_upstreams_error() {
    let mock = mock().await;
    let up = openai(&mock);
    let items = collect(&up, request("error-in-stream", true))
        .await
        .expect("started: the first event is response.created");
    let types: Vec<&str> = items
        .iter()
        .map(|i| i.as_ref().map_or("<error>", |e| e.r#type.as_str()))
        .collect();
    assert_eq!(
        types,
        ["response.created", "response.in_progress", "<error>"]
    );
    let err = items[2].as_ref().expect_err("error");
    assert_eq!(err.kind, ErrorKind::RateLimited);
    assert_eq!(err.code.as_deref(), Some("insufficient_quota"));
    assert!(
        err.message.starts_with("You exceeded your current quota"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn malformed_events_are_errors_and_a_broken_first_event_fails_the_call() {
    let mock = mock().await;
    let up = openai(&mock);
    let items = collect(&up, request("malformed", true))
        .await
        .expect("started");
    assert_eq!(items.len(), 2);
    assert!(items[0].is_ok());
    let err = items[1].as_ref().expect_err("error");
    assert_eq!((err.kind, err.http_status()), (ErrorKind::Unavailable, 502));
    assert!(
        err.message.contains("sent malformed JSON"),
        "{}",
        err.message
    );
    // Nothing usable before the first event: the call itself fails.
    let err = up
        .responses(request("garbage", true))
        .await
        .err()
        .expect("no stream");
    assert_eq!(err.kind, ErrorKind::Unavailable);
}

#[tokio::test]
async fn azure_passes_through_to_its_v1_responses_api() {
    let mock = mock().await;
    let up = azure(&mock);
    let req = request("text", true);
    let events: Vec<ResponseEvent> = collect(&up, req.clone())
        .await
        .expect("started")
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("every event");
    assert_eq!(
        events,
        recorded_events("azure/responses-stream-text.chunks.jsonl")
    );
    let seen = mock.requests().pop().expect("a request");
    // The mock records the path below its `/azure` prefix.
    assert_eq!(seen.path, "/openai/v1/responses");
    assert_eq!(seen.query, None);
    assert_eq!(header(&seen, "api-key"), Some("az-key-123"));
    assert_eq!(header(&seen, "authorization"), None);
    // The deployment travels as `model`, as Azure's Responses API takes it.
    assert_passed_through(&seen.body, &req, "text");

    let events = collect(&up, request("tools", false))
        .await
        .expect("answered");
    let want = response_from_json(recording("azure/responses-function-call.json").as_bytes())
        .expect("recorded response");
    let event = events[0].as_ref().expect("an event");
    assert_eq!(event.r#type, "response.completed");
    assert_eq!(event.response.as_ref(), Some(&want));

    let err = up
        .responses(request("error-404", false))
        .await
        .err()
        .expect("a 404");
    assert_eq!((err.kind, err.http_status()), (ErrorKind::NotFound, 404));
    assert_eq!(err.code.as_deref(), Some("model_not_found"));
    assert!(
        err.message
            .starts_with("The API deployment for this resource does not exist")
    );
}
