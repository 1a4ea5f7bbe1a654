//! An untried healthy deployment of the group is tried at once: after the first member fails,
//! the second is asked without the wait (`retry_after`, backoff) that retrying the same
//! deployment would take.

use crate::support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::{Gateway, Mode, config_file, mock};

const KEY: &str = "sk-retry-at-once-test";

#[tokio::test(flavor = "multi_thread")]
async fn an_untried_member_is_asked_without_waiting() {
    let mock = mock().await;
    // `order` puts the failing member first; a retry of the same one would wait >= 5 s.
    let (_dir, file) = config_file(&format!(
        "auth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\n\
         router_settings: {{ num_retries: 1, retry_after: 5, retry_backoff: 5 }}\n\
         providers:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up-0123456789 }}\n\
         model_list:\n\
         \x20 - model_name: pair\n    litellm_params: {{ model: mock/fail-1000-503-at-once, order: 1 }}\n\
         \x20 - model_name: pair\n    litellm_params: {{ model: mock/text, order: 2 }}\n",
        mock.base_url()
    ));
    let gw = Gateway::start(Mode::Serve, &file, &[]).await;
    let started = Instant::now();
    let resp = reqwest::Client::new()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(KEY)
        .json(&json!({"model": "pair", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .expect("answers");
    let elapsed = started.elapsed();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-modelgate-attempts"], "2");
    let models: Vec<String> = mock
        .requests()
        .iter()
        .filter_map(|r| r.body["model"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(models, ["fail-1000-503-at-once", "text"]);
    assert!(
        elapsed < Duration::from_secs(2),
        "the untried member was asked after a wait: {elapsed:?}"
    );
}
