//! Cooldowns apply only to deployments of a group with more than one member: a lone
//! deployment failing again and again is still asked every time (there is nothing else to
//! send the request to), while the members of a pair cool down after more than
//! `allowed_fails` failures and the group then answers 503 `no_healthy_deployment`.

use crate::support;

use mock_upstream::MockUpstream;
use serde_json::{Value, json};
use support::{Gateway, Mode, config_file, mock};

const KEY: &str = "sk-cooldown-groups-test";
const REQUESTS: usize = 6;

async fn chat(gw: &Gateway, model: &str) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(KEY)
        .json(&json!({"model": model, "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .expect("answers");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("json"))
}

fn upstream_calls(mock: &MockUpstream, prefix: &str) -> usize {
    mock.requests()
        .iter()
        .filter(|r| {
            r.body["model"]
                .as_str()
                .is_some_and(|m| m.starts_with(prefix))
        })
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn only_deployments_of_groups_of_more_than_one_cool_down() {
    let mock = mock().await;
    // Every deployment always answers 500; no retries, so one upstream call per request.
    let (_dir, file) = config_file(&format!(
        "auth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\n\
         router_settings: {{ allowed_fails: 1, cooldown_time: 60, num_retries: 0 }}\n\
         providers:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up-0123456789 }}\n\
         model_list:\n\
         \x20 - model_name: solo\n    litellm_params: {{ model: mock/fail-1000-500-solo }}\n\
         \x20 - model_name: pair\n    litellm_params: {{ model: mock/fail-1000-500-pair-a }}\n\
         \x20 - model_name: pair\n    litellm_params: {{ model: mock/fail-1000-500-pair-b }}\n",
        mock.base_url()
    ));
    let gw = Gateway::start(Mode::Serve, &file, &[]).await;

    let mut pair = Vec::new();
    for _ in 0..REQUESTS {
        pair.push(chat(&gw, "pair").await);
    }
    // Each member cools after its second failure (more than allowed_fails = 1): four calls,
    // then the group has no healthy deployment.
    assert_eq!(upstream_calls(&mock, "fail-1000-500-pair-"), 4, "{pair:?}");
    let (status, body) = &pair[REQUESTS - 1];
    assert_eq!(*status, 503, "{body}");
    assert_eq!(body["error"]["code"], "no_healthy_deployment", "{body}");

    let mut solo = Vec::new();
    for _ in 0..REQUESTS {
        solo.push(chat(&gw, "solo").await);
    }
    assert_eq!(
        upstream_calls(&mock, "fail-1000-500-solo"),
        REQUESTS,
        "the lone deployment was skipped: {solo:?}"
    );
    for (status, body) in &solo {
        assert_ne!(body["error"]["code"], "no_healthy_deployment", "{body}");
        assert_eq!(*status, solo[0].0, "{body}");
    }
    assert_ne!(solo[0].0, 503, "{:?}", solo[0]);
}
