//! When a group fails, each fallback group is tried with its own retries: not what is left of
//! the failed group's, and by its own `max_retries` when its deployment sets one.

use crate::support;

use mock_upstream::MockUpstream;
use serde_json::json;
use support::{Gateway, Mode, config_file, mock};

const KEY: &str = "sk-fallback-retries-test";

/// The upstream model of every chat call the mock got, in order.
fn upstream_models(mock: &MockUpstream) -> Vec<String> {
    mock.requests()
        .iter()
        .filter(|r| r.path.ends_with("/chat/completions"))
        .filter_map(|r| r.body["model"].as_str().map(str::to_owned))
        .collect()
}

async fn chat(gw: &Gateway, model: &str) -> (u16, String) {
    let resp = reqwest::Client::new()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(KEY)
        .json(&json!({"model": model, "messages": [{"role": "user", "content": "hi"}]}))
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
    (status, attempts)
}

#[tokio::test(flavor = "multi_thread")]
async fn each_fallback_group_gets_its_own_retries() {
    let mock = mock().await;
    // `first` and `again` never answer; `second` answers on its third call, `third` (with
    // max_retries 3) on its fourth.
    let (_dir, file) = config_file(&format!(
        "auth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\n\
         providers:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up-0123456789 }}\n\
         model_list:\n\
         \x20 - model_name: first\n    litellm_params: {{ model: mock/fail-99-500-first }}\n\
         \x20 - model_name: second\n    litellm_params: {{ model: mock/fail-2-500-second }}\n\
         \x20 - model_name: again\n    litellm_params: {{ model: mock/fail-99-500-again }}\n\
         \x20 - model_name: third\n    litellm_params: {{ model: mock/fail-3-500-third, max_retries: 3 }}\n\
         router_settings:\n  num_retries: 2\n  retry_backoff: 0.01\n  fallbacks:\n\
         \x20   - {{ first: [second] }}\n\
         \x20   - {{ again: [third] }}\n",
        mock.base_url()
    ));
    let gw = Gateway::start(Mode::Serve, &file, &[]).await;

    let (status, attempts) = chat(&gw, "first").await;
    assert_eq!(status, 200);
    assert_eq!(attempts, "6");
    // Three calls each: one plus num_retries (2) for the failed group, and again for its fallback.
    assert_eq!(
        upstream_models(&mock),
        [
            "fail-99-500-first",
            "fail-99-500-first",
            "fail-99-500-first",
            "fail-2-500-second",
            "fail-2-500-second",
            "fail-2-500-second",
        ]
    );

    let (status, attempts) = chat(&gw, "again").await;
    assert_eq!(status, 200);
    assert_eq!(attempts, "7");
    // The fallback's own max_retries (3) holds for it, not the failed group's two.
    let calls = upstream_models(&mock);
    assert_eq!(
        calls[6..],
        [
            "fail-99-500-again",
            "fail-99-500-again",
            "fail-99-500-again",
            "fail-3-500-third",
            "fail-3-500-third",
            "fail-3-500-third",
            "fail-3-500-third",
        ]
    );
}
