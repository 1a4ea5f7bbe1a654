//! A cached upstream model list holds at most 4,096 models: an upstream that reports 5,000
//! shows 4,096 of them in `GET /v1/models`.

use crate::loopback;
use crate::support;

use std::collections::HashSet;

use loopback::Loopback;
use serde_json::{Value, json};
use support::{Gateway, Mode, config_file};

const KEY: &str = "sk-model-list-cap";
const REPORTED: usize = 5_000;
const KEPT: usize = 4_096;

#[tokio::test(flavor = "multi_thread")]
async fn an_upstream_list_of_5000_models_is_kept_to_4096() {
    // No recording holds a list this long: a test upstream generates it.
    let upstream = Loopback::start(|request| {
        if request.uri.ends_with("/models") {
            let data: Vec<Value> = (0..REPORTED)
                .map(|i| json!({"id": format!("m-{i:05}"), "object": "model", "created": 0, "owned_by": "big"}))
                .collect();
            loopback::json(200, &json!({"object": "list", "data": data}))
        } else {
            loopback::json(404, &json!({"error": {"message": "no such route"}}))
        }
    })
    .await;
    let (_dir, file) = config_file(&format!(
        "auth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\nproviders:\n  big: {{ kind: openai, api_base: \"{}/v1\", api_key: sk-up }}\n",
        upstream.url
    ));
    let gw = Gateway::start(Mode::Serve, &file, &[]).await;
    let list: Value = reqwest::Client::new()
        .get(gw.url("/v1/models"))
        .bearer_auth(KEY)
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    let reported: HashSet<String> = (0..REPORTED).map(|i| format!("big/m-{i:05}")).collect();
    let ids: Vec<&str> = list["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|m| m["id"].as_str())
        .filter(|id| id.starts_with("big/"))
        .collect();
    assert_eq!(ids.len(), KEPT, "models listed of the 5,000 reported");
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), KEPT, "distinct");
    assert!(ids.iter().all(|id| reported.contains(*id)), "{ids:?}");
    assert_eq!(
        upstream
            .requests()
            .iter()
            .filter(|r| r.uri.ends_with("/models"))
            .count(),
        1
    );
}
