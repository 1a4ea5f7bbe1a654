//! `GET /v1/models` lists, for a provider without a `models` list, what its upstream reports,
//! and keeps that list (five minutes): asking again within that time does not call the
//! upstream's `/models` again.

use crate::support;

use mock_upstream::MockUpstream;
use serde_json::Value;
use support::{Gateway, Mode, config_file, mock};

const KEY: &str = "sk-discovery-client";

/// The upstream `/models` calls the mock has seen.
fn model_list_calls(mock: &MockUpstream) -> usize {
    mock.requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/models"))
        .count()
}

async fn listed(gw: &Gateway, path: &str) -> Vec<String> {
    let response = reqwest::Client::new()
        .get(gw.url(path))
        .bearer_auth(KEY)
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 200, "{path}");
    let body: Value = response.json().await.expect("json");
    body["data"]
        .as_array()
        .unwrap_or_else(|| panic!("{path}: no data: {body}"))
        .iter()
        .filter_map(|m| m["id"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_upstream_model_list_is_fetched_once_and_then_reused() {
    let mock = mock().await;
    // No `models:`: the list is discovered from the upstream.
    let (_dir, file) = config_file(&format!(
        "auth:\n  keys:\n    - {{ name: main, key: {KEY} }}\nproviders:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up }}\n",
        mock.base_url()
    ));
    let gw = Gateway::start(Mode::Serve, &file, &[]).await;
    let before = model_list_calls(&mock);

    let first = listed(&gw, "/v1/models").await;
    // The recorded Cerebras list the mock replays.
    for id in ["mock/gemma-4-31b", "mock/gpt-oss-120b", "mock/zai-glm-4.7"] {
        assert!(first.contains(&id.to_owned()), "{id} not in {first:?}");
    }
    assert_eq!(
        model_list_calls(&mock),
        before + 1,
        "the first listing asks the upstream"
    );

    let second = listed(&gw, "/v1/models").await;
    let without_v1 = listed(&gw, "/models").await;
    assert_eq!(second, first);
    assert_eq!(without_v1, first);
    assert_eq!(
        model_list_calls(&mock),
        before + 1,
        "listings within the cache's lifetime reuse the first answer: {:?}",
        mock.requests()
    );
}
