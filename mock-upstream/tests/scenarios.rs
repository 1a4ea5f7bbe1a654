//! Starts the mock and hits it with a plain HTTP client.

use std::path::PathBuf;
use std::time::Duration;

use futures::StreamExt;
use mock_upstream::{MockUpstream, Stats, default_fixtures_dir};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(10);

async fn mock() -> MockUpstream {
    MockUpstream::start(default_fixtures_dir())
        .await
        .expect("mock starts")
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
}

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(default_fixtures_dir().join(path)).expect("fixture readable")
}

async fn chat(mock: &MockUpstream, body: Value) -> reqwest::Response {
    client()
        .post(format!("{}/chat/completions", mock.base_url()))
        .json(&body)
        .send()
        .await
        .expect("request sent")
}

#[tokio::test]
async fn text_stream_is_the_fixture_byte_for_byte() {
    let mock = mock().await;
    let resp = chat(&mock, json!({"model": "text", "stream": true})).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"],
        "text/event-stream; charset=utf-8"
    );
    let body = resp.bytes().await.expect("body");
    assert_eq!(
        body.to_vec(),
        fixture("openai/chat-stream-text-include-usage.sse")
    );
    let stats = mock
        .wait_for(|s| s.completed_streams == 1 && s.open_streams == 0, WAIT)
        .await
        .expect("stream completed");
    assert_eq!(stats.dropped_streams, 0);
}

#[tokio::test]
async fn unlisted_model_without_stream_gets_the_text_completion() {
    let mock = mock().await;
    let resp = chat(&mock, json!({"model": "gpt-4o-mini", "messages": []})).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/json");
    let expected = fixture("openai/chat-completion-text.json");
    assert_eq!(resp.content_length(), Some(expected.len() as u64));
    assert_eq!(resp.bytes().await.expect("body").to_vec(), expected);
}

#[tokio::test]
async fn scenarios_replay_their_fixtures() {
    let mock = mock().await;
    let cases = [
        ("tools", false, "openai/chat-completion-tool-calls.json"),
        ("tools", true, "openai/chat-stream-tool-call-args-usage.sse"),
        (
            "parallel-tools",
            true,
            "openai/chat-stream-parallel-tool-calls.sse",
        ),
        (
            "moderation",
            true,
            "openai/chat-stream-text-usage-then-moderation.sse",
        ),
        (
            "deepseek-reasoner",
            true,
            "openai-compatible/deepseek-chat-stream-reasoning-content.sse",
        ),
        (
            "ollama-reasoning",
            false,
            "openai-compatible/ollama-v1-chat-completion-reasoning.json",
        ),
        (
            "openrouter-midstream-error",
            true,
            "openai-compatible/openrouter-chat-stream-comments-midstream-error.sse",
        ),
        (
            "error-in-200",
            false,
            "openai/error-400-unsupported-parameter.json",
        ),
    ];
    for (model, stream, path) in cases {
        let resp = chat(&mock, json!({"model": model, "stream": stream})).await;
        assert_eq!(resp.status(), 200, "{model}");
        let body = resp.bytes().await.expect("body");
        assert_eq!(body.to_vec(), fixture(path), "{model} stream={stream}");
    }
}

#[tokio::test]
async fn xai_chunks_are_framed_as_sse() {
    let mock = mock().await;
    let resp = chat(&mock, json!({"model": "xai-tool", "stream": true})).await;
    let body = resp.text().await.expect("body");
    let lines = fixture("openai-compatible/xai-chat-stream-tool-call.chunks.jsonl");
    let lines = String::from_utf8(lines).expect("utf-8");
    let expected: String = lines
        .lines()
        .map(|line| format!("data: {line}\n\n"))
        .chain(["data: [DONE]\n\n".to_owned()])
        .collect();
    assert_eq!(body, expected);
}

#[tokio::test]
async fn error_429_is_the_capture_without_a_retry_after() {
    let mock = mock().await;
    let resp = chat(&mock, json!({"model": "error-429", "stream": true})).await;
    assert_eq!(resp.status(), 429);
    // The OpenRouter capture carried no Retry-After; the mock adds none.
    assert!(resp.headers().get("retry-after").is_none(), "{resp:?}");
    assert_eq!(resp.headers()["content-type"], "application/json");
    assert_eq!(
        resp.bytes().await.expect("body").to_vec(),
        fixture("openai-compatible/openrouter-error-429.json")
    );
}

#[tokio::test]
async fn the_documented_429_scenarios_carry_retry_after() {
    let mock = mock().await;
    let resp = chat(&mock, json!({"model": "error-429-retry-after"})).await;
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "1");
    assert_eq!(
        resp.bytes().await.expect("body").to_vec(),
        fixture("openai-compatible/openrouter-error-429.json")
    );
    let model = "fail-1-429-retry-after-t";
    let first = chat(&mock, json!({"model": model})).await;
    assert_eq!(first.status(), 429);
    assert_eq!(first.headers()["retry-after"], "1");
    let second = chat(&mock, json!({"model": model})).await;
    assert_eq!(second.status(), 200);
    let plain = chat(&mock, json!({"model": "fail-1-429-t"})).await;
    assert_eq!(plain.status(), 429);
    assert!(plain.headers().get("retry-after").is_none(), "{plain:?}");
}

#[tokio::test]
async fn canned_errors() {
    let mock = mock().await;
    let resp = chat(&mock, json!({"model": "error-401"})).await;
    assert_eq!(resp.status(), 401);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["error"]["code"], "invalid_api_key");

    let resp = chat(&mock, json!({"model": "error-500", "stream": true})).await;
    assert_eq!(resp.status(), 500);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["error"]["type"], "server_error");

    let resp = chat(&mock, json!({"model": "error-503-html"})).await;
    assert_eq!(resp.status(), 503);
    assert_eq!(resp.headers()["content-type"], "text/html");
    assert!(resp.text().await.expect("body").starts_with("<html>"));
}

#[tokio::test]
async fn body_that_is_not_json_is_a_400_and_recorded_as_a_string() {
    let mock = mock().await;
    let resp = client()
        .post(format!("{}/chat/completions", mock.base_url()))
        .body("not json")
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert_eq!(mock.requests()[0].body, Value::String("not json".into()));
}

#[tokio::test]
async fn requests_are_recorded_and_cleared() {
    let mock = mock().await;
    let url = format!("http://{}/chat/completions?x=1", mock.addr());
    let sent = json!({"model": "text", "messages": [{"role": "user", "content": "hi"}]});
    let resp = client()
        .post(url)
        .bearer_auth("sk-test")
        .json(&sent)
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 200);

    let requests = mock.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/chat/completions");
    assert_eq!(request.query.as_deref(), Some("x=1"));
    assert_eq!(request.body, sent);
    assert!(
        request
            .headers
            .contains(&("authorization".into(), "Bearer sk-test".into()))
    );

    let over_http: Value = client()
        .get(format!("http://{}/__mock/requests", mock.addr()))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(over_http[0]["body"], sent);
    assert_eq!(over_http[0]["path"], "/chat/completions");

    let resp = client()
        .delete(format!("http://{}/__mock/requests", mock.addr()))
        .send()
        .await
        .expect("sent");
    assert!(resp.status().is_success());
    assert!(mock.requests().is_empty());
}

#[tokio::test]
async fn models_embeddings_and_stats_routes() {
    let mock = mock().await;
    let resp = client()
        .get(format!("{}/models", mock.base_url()))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.bytes().await.expect("body").to_vec(),
        fixture("openai-compatible/cerebras-models-list.json")
    );

    let embed = |model: &str| {
        client()
            .post(format!("{}/embeddings", mock.base_url()))
            .json(&json!({"model": model, "input": "hi"}))
            .send()
    };
    let resp = embed("text-embedding-3-small").await.expect("sent");
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.bytes().await.expect("body").to_vec(),
        fixture("openai/embeddings.json")
    );
    let resp = embed("missing").await.expect("sent");
    assert_eq!(resp.status(), 404);
    assert_eq!(
        resp.bytes().await.expect("body").to_vec(),
        fixture("openai/error-404-embeddings-model-not-found.json")
    );

    let expected = mock
        .wait_for(|s| s.completed_streams == 3 && s.open_streams == 0, WAIT)
        .await
        .expect("three bodies sent");
    let stats: Value = client()
        .get(format!("http://{}/__mock/stats", mock.addr()))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(stats, serde_json::to_value(expected).expect("serialize"));
}

#[tokio::test]
async fn slow_stream_dropped_midway_counts_as_dropped() {
    let mock = mock().await;
    let resp = chat(&mock, json!({"model": "slow", "stream": true})).await;
    let mut body = resp.bytes_stream();
    let first = body.next().await.expect("an event").expect("bytes");
    assert!(first.starts_with(b"data: "));
    assert_eq!(mock.stats().open_streams, 1);
    drop(body);
    let stats = mock
        .wait_for(|s| s.dropped_streams == 1, WAIT)
        .await
        .expect("dropped counted");
    assert_eq!(
        stats,
        Stats {
            open_streams: 0,
            dropped_streams: 1,
            completed_streams: 0
        }
    );
}

#[tokio::test]
async fn slow_stream_paces_events() {
    let mock = mock().await;
    let started = std::time::Instant::now();
    let resp = chat(&mock, json!({"model": "slow", "stream": true})).await;
    let mut body = resp.bytes_stream();
    let mut received = Vec::new();
    for _ in 0..3 {
        received.extend_from_slice(&body.next().await.expect("event").expect("bytes"));
    }
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert!(received.ends_with(b"\n\n"));
}

#[tokio::test]
async fn reset_gives_the_client_a_body_error() {
    let mock = mock().await;
    let resp = chat(&mock, json!({"model": "reset", "stream": true})).await;
    assert_eq!(resp.status(), 200);
    let mut body = resp.bytes_stream();
    let mut received = Vec::new();
    let error = loop {
        match body.next().await {
            Some(Ok(bytes)) => received.extend_from_slice(&bytes),
            Some(Err(err)) => break err,
            None => panic!("clean end after {} bytes", received.len()),
        }
    };
    assert!(error.is_body() || error.is_decode(), "{error:?}");
    let text = fixture("openai/chat-stream-text-include-usage.sse");
    assert!(text.starts_with(&received));
    assert_eq!(
        String::from_utf8_lossy(&received).matches("\n\n").count(),
        3
    );
    mock.wait_for(|s| s.dropped_streams == 1 && s.open_streams == 0, WAIT)
        .await
        .expect("reset counted as dropped");
}

#[tokio::test]
async fn garbage_is_an_sse_200_with_non_sse_bytes() {
    let mock = mock().await;
    let resp = chat(&mock, json!({"model": "garbage", "stream": true})).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"],
        "text/event-stream; charset=utf-8"
    );
    let body = resp.bytes().await.expect("body");
    assert!(body.starts_with(b"\x00\xff not sse"));
}

#[tokio::test]
async fn hang_counts_open_then_dropped_when_the_client_leaves() {
    let mock = mock().await;
    let url = format!("{}/chat/completions", mock.base_url());
    let request = tokio::spawn(async move {
        client()
            .post(url)
            .json(&json!({"model": "hang", "stream": true}))
            .send()
            .await
    });
    mock.wait_for(|s| s.open_streams == 1, WAIT)
        .await
        .expect("hang is open");
    assert!(!request.is_finished());
    request.abort();
    let stats = mock
        .wait_for(|s| s.dropped_streams == 1, WAIT)
        .await
        .expect("hang dropped");
    assert_eq!(stats.open_streams, 0);
    assert_eq!(stats.completed_streams, 0);
}

#[tokio::test]
async fn wait_for_times_out_with_current_stats() {
    let mock = mock().await;
    let err = mock
        .wait_for(|s| s.completed_streams == 1, Duration::from_millis(50))
        .await
        .expect_err("nothing happens");
    assert_eq!(err, Stats::default());
}

#[tokio::test]
async fn missing_fixtures_dir_is_an_error_naming_it() {
    let dir = PathBuf::from("/nonexistent/modelgate-fixtures");
    let err = match MockUpstream::start(&dir).await {
        Ok(_) => panic!("started without fixtures"),
        Err(err) => err,
    };
    assert!(err.to_string().contains("/nonexistent/modelgate-fixtures"));
}

#[tokio::test]
async fn shutdown_ends_hanging_requests_and_stops_serving() {
    let mock = mock().await;
    let addr = mock.addr();
    let url = format!("{}/chat/completions", mock.base_url());
    let request = tokio::spawn(async move {
        client()
            .post(url)
            .json(&json!({"model": "hang"}))
            .send()
            .await
    });
    mock.wait_for(|s| s.open_streams == 1, WAIT)
        .await
        .expect("hang is open");
    tokio::time::timeout(WAIT, mock.shutdown())
        .await
        .expect("shutdown in time")
        .expect("shutdown ok");
    let _ = request.await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}
