//! Routing promises through the real binary, counting what reaches the mock upstream: a 408 is
//! retried, a deployment's `max_retries` replaces the group's `num_retries`, fallbacks the key
//! may not use are skipped (one warning per request), configured fallback lists are cut to
//! `router_settings.max_fallbacks`, and `max_fallbacks` above 50 is a config error.

use crate::support;

use mock_upstream::MockUpstream;
use serde_json::{Value, json};
use support::{BIN, Gateway, Mode, config_file, mock};

const KEY: &str = "sk-retries-open";
/// Allowed only what its `models` list names.
const NARROW_KEY: &str = "sk-retries-narrow";

/// Group default of one retry, short backoff; a deployment with more retries and one with
/// none; a configured fallback list naming a model the narrow key may not use; and a
/// configured list of seven, cut to `max_fallbacks: 2`.
async fn setup() -> (MockUpstream, tempfile::TempDir, Gateway) {
    let mock = mock().await;
    let seven: Vec<String> = ('a'..='g')
        .map(|c| format!("mock/fail-9-500-{c}"))
        .collect();
    let (dir, file) = config_file(&format!(
        "auth:\n  keys:\n    - {{ name: open, key: {KEY} }}\n    - {{ name: narrow, key: {NARROW_KEY}, models: [mock/error-500, mock/text, mock/fail-9-500-configured] }}\n\
         providers:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up }}\n\
         model_list:\n\
         \x20 - model_name: more-retries\n    litellm_params: {{ model: mock/fail-2-500-more, max_retries: 3 }}\n\
         \x20 - model_name: no-retries\n    litellm_params: {{ model: mock/fail-1-500-none, max_retries: 0 }}\n\
         router_settings:\n  num_retries: 1\n  retry_backoff: 0.01\n  max_fallbacks: 2\n  fallbacks:\n\
         \x20   - {{ mock/fail-9-500-configured: [mock/tools, mock/text] }}\n\
         \x20   - {{ mock/fail-9-500-cut: [{}] }}\n",
        mock.base_url(),
        seven.join(", ")
    ));
    let gw = Gateway::start(Mode::Serve, &file, &[]).await;
    (mock, dir, gw)
}

/// A non-streamed chat: status, `x-modelgate-attempts`, body.
async fn chat(gw: &Gateway, key: &str, body: Value) -> (u16, String, Value) {
    let resp = reqwest::Client::new()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .expect("answers");
    let status = resp.status().as_u16();
    let attempts = resp
        .headers()
        .get("x-modelgate-attempts")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, attempts, resp.json().await.expect("json"))
}

fn ask(model: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "hi"}]})
}

/// The upstream model of every chat call the mock got, in order.
fn upstream_models(mock: &MockUpstream) -> Vec<String> {
    mock.requests()
        .iter()
        .filter(|r| r.path.ends_with("/chat/completions"))
        .filter_map(|r| r.body["model"].as_str().map(str::to_owned))
        .collect()
}

fn calls_for(mock: &MockUpstream, model: &str) -> usize {
    upstream_models(mock).iter().filter(|m| *m == model).count()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_408_from_the_upstream_is_retried_and_a_400_is_not() {
    let (mock, _dir, gw) = setup().await;
    let (status, attempts, body) = chat(&gw, KEY, ask("mock/fail-1-408-t11")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(attempts, "2", "{body}");
    assert_eq!(calls_for(&mock, "fail-1-408-t11"), 2);
    // Other 4xx answers are not: the same retry budget, one call.
    let (status, attempts, body) = chat(&gw, KEY, ask("mock/error-400")).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(attempts, "1", "{body}");
    assert_eq!(calls_for(&mock, "error-400"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deployments_max_retries_replaces_the_group_default() {
    let (mock, _dir, gw) = setup().await;
    // Two failures, then success: needs 2 retries where the group default allows 1.
    let (status, attempts, body) = chat(&gw, KEY, ask("more-retries")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(attempts, "3", "{body}");
    assert_eq!(calls_for(&mock, "fail-2-500-more"), 3);
    // One failure, then success: the group default would retry it, `max_retries: 0` does not.
    let (status, attempts, body) = chat(&gw, KEY, ask("no-retries")).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(attempts, "1", "{body}");
    assert_eq!(calls_for(&mock, "fail-1-500-none"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn fallbacks_the_key_may_not_use_are_skipped_with_one_warning_per_request() {
    let (mock, _dir, gw) = setup().await;
    // The request's own fallbacks: `mock/tools` is not on the narrow key's list.
    let mut own = ask("mock/error-500");
    own["fallbacks"] = json!(["mock/tools", "mock/text"]);
    own["num_retries"] = json!(0);
    let (status, attempts, body) = chat(&gw, NARROW_KEY, own.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(attempts, "2", "{body}");
    // The configured fallbacks of a model the key may use: skipped the same way.
    let mut configured = ask("mock/fail-9-500-configured");
    configured["num_retries"] = json!(0);
    let (status, _, body) = chat(&gw, NARROW_KEY, configured).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        upstream_models(&mock),
        ["error-500", "text", "fail-9-500-configured", "text"],
        "a forbidden fallback reached the upstream"
    );
    let log = gw.log();
    let warnings: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("WARN") && l.contains("fallbacks skipped"))
        .collect();
    assert_eq!(warnings.len(), 2, "one warning per request:\n{log}");
    for warning in &warnings {
        assert!(
            warning.contains("not_allowed_for_key") && warning.contains("mock/tools"),
            "{warning}"
        );
    }
    // A key allowed every model does get that fallback: the list above is the key's doing.
    let (status, _, body) = chat(&gw, KEY, own).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(upstream_models(&mock)[4..], ["error-500", "tools"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_configured_fallback_list_is_cut_to_max_fallbacks() {
    let (mock, _dir, gw) = setup().await;
    let mut body = ask("mock/fail-9-500-cut");
    body["num_retries"] = json!(0);
    let (status, attempts, answer) = chat(&gw, KEY, body).await;
    assert_eq!(status, 502, "{answer}");
    assert_eq!(attempts, "3", "{answer}");
    assert_eq!(
        upstream_models(&mock),
        ["fail-9-500-cut", "fail-9-500-a", "fail-9-500-b"],
        "seven configured fallbacks, max_fallbacks 2"
    );
}

/// `modelgate check-config` on a config with `router_settings.max_fallbacks: N`.
fn check_config(max_fallbacks: u32) -> (Option<i32>, String) {
    let (_dir, file) = config_file(&format!(
        "auth:\n  keys:\n    - {{ name: open, key: {KEY} }}\nproviders:\n  mock: {{ kind: openai, api_base: \"http://127.0.0.1:9/v1\", api_key: sk-up }}\nrouter_settings:\n  max_fallbacks: {max_fallbacks}\n"
    ));
    let out = std::process::Command::new(BIN)
        .arg("check-config")
        .arg(&file)
        .env_clear()
        .output()
        .expect("check-config runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

#[test]
fn max_fallbacks_above_50_is_a_config_error_naming_the_key() {
    let (code, out) = check_config(50);
    assert_eq!(code, Some(0), "50 is allowed: {out}");
    let (code, out) = check_config(51);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("router_settings.max_fallbacks"), "{out}");
    assert!(out.contains("51 is more than 50"), "{out}");
}
