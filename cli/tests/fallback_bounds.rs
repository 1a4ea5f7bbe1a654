//! A request's own routing fields cannot make it fan out: `fallbacks` is bounded by
//! `router_settings.max_fallbacks` (LiteLLM's, default 5) and de-duplicated, `num_retries`
//! by 10, every upstream attempt counts against the key's `rpm`, and skipped fallbacks are
//! reported in one warning per request. Through the real binary and the mock upstream.

use crate::support;

use mock_upstream::MockUpstream;
use serde_json::{Value, json};
use support::{Gateway, Mode, config_file, mock};

const KEY: &str = "sk-fanout-test";
const LIMITED_KEY: &str = "sk-fanout-rpm2";

async fn setup(router: &str) -> (MockUpstream, tempfile::TempDir, Gateway) {
    let mock = mock().await;
    let (dir, file) = config_file(&format!(
        "auth:\n  keys:\n    - {{ name: open, key: {KEY} }}\n    - {{ name: limited, key: {LIMITED_KEY}, rpm: 2 }}\n\
         providers:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up }}\n{router}",
        mock.base_url()
    ));
    let gw = Gateway::start(Mode::Serve, &file, &[]).await;
    (mock, dir, gw)
}

async fn chat(gw: &Gateway, key: &str, body: Value) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .expect("answers");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("json"))
}

fn ask(model: &str, fallbacks: Value) -> Value {
    json!({
        "model": model,
        "messages": [{"role": "user", "content": "hi"}],
        "fallbacks": fallbacks,
    })
}

fn chat_calls(mock: &MockUpstream) -> usize {
    mock.requests()
        .iter()
        .filter(|r| r.path.ends_with("/chat/completions"))
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn too_many_fallbacks_are_refused_before_any_upstream_call() {
    let (mock, _dir, gw) = setup("").await;
    let many: Vec<String> = (0..300).map(|i| format!("mock/fail-9-500-{i}")).collect();
    let (status, body) = chat(&gw, KEY, ask("mock/error-500", json!(many))).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["type"], "invalid_request_error", "{body}");
    assert_eq!(body["error"]["param"], "fallbacks", "{body}");
    assert_eq!(
        chat_calls(&mock),
        0,
        "upstream called for a refused request"
    );

    // Six distinct names are one more than LiteLLM's default of 5.
    let six: Vec<String> = (0..6).map(|i| format!("mock/fail-9-500-{i}")).collect();
    let (status, body) = chat(&gw, KEY, ask("mock/error-500", json!(six))).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(chat_calls(&mock), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn duplicate_fallbacks_count_once_and_max_fallbacks_is_read() {
    let (mock, _dir, gw) = setup("router_settings:\n  max_fallbacks: 2\n").await;
    // Seven entries, two distinct besides the requested model: within a maximum of 2.
    let fallbacks = json!([
        "mock/fail-9-500-a",
        "mock/fail-9-500-a",
        {"model": "mock/fail-9-500-a"},
        "mock/error-500",
        "mock/fail-9-500-b",
        "mock/fail-9-500-b",
        "mock/fail-9-500-b"
    ]);
    let (status, body) = chat(&gw, KEY, ask("mock/error-500", fallbacks)).await;
    assert_eq!(status, 502, "{body}");
    let models: Vec<String> = mock
        .requests()
        .iter()
        .filter_map(|r| r.body["model"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        models,
        ["error-500", "fail-9-500-a", "fail-9-500-b"],
        "each distinct model once, in order"
    );
    // A third distinct name is past `max_fallbacks: 2`.
    let three = json!([
        "mock/fail-9-500-a",
        "mock/fail-9-500-b",
        "mock/fail-9-500-c"
    ]);
    let (status, body) = chat(&gw, KEY, ask("mock/error-500", three)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["param"], "fallbacks", "{body}");
    assert_eq!(chat_calls(&mock), 3, "no call for the refused request");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_attempt_counts_against_the_keys_rpm() {
    let (mock, _dir, gw) = setup("").await;
    let fallbacks = json!([
        "mock/fail-9-500-a",
        "mock/fail-9-500-b",
        "mock/fail-9-500-c"
    ]);
    let (status, body) = chat(&gw, LIMITED_KEY, ask("mock/error-500", fallbacks)).await;
    // The key allows 2 requests a minute: the first call and one fallback, then no more;
    // the answer is the last upstream failure (a 500 upstream is a 502 here).
    assert_eq!(status, 502, "{body}");
    assert_eq!(chat_calls(&mock), 2, "{:?}", mock.requests());
    let (status, body) = chat(&gw, LIMITED_KEY, ask("mock/text", json!([]))).await;
    assert_eq!(status, 429, "the key's minute is used up: {body}");
    assert_eq!(chat_calls(&mock), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn request_retries_are_capped() {
    let (mock, _dir, gw) = setup("").await;
    let mut body = ask("mock/error-500", json!([]));
    body["num_retries"] = json!(11);
    let (status, answer) = chat(&gw, KEY, body).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["error"]["param"], "num_retries", "{answer}");
    assert_eq!(chat_calls(&mock), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn skipped_fallbacks_make_one_warning_per_request() {
    let (mock, _dir, gw) = setup("").await;
    let unknown: Vec<String> = (0..5).map(|i| format!("no-such-model-{i}")).collect();
    let (status, body) = chat(&gw, KEY, ask("mock/error-500", json!(unknown))).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(chat_calls(&mock), 1);
    let log = gw.log();
    let warnings: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("WARN") && l.contains("no-such-model-"))
        .collect();
    assert_eq!(warnings.len(), 1, "{log}");
    for i in 0..5 {
        assert!(warnings[0].contains(&format!("no-such-model-{i}")), "{log}");
    }
}
