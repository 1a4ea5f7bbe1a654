//! `/v1/models` marks `enabled: true` only on the models the operator named — aliases and a
//! provider's `models:` list — so LobeChat's picker offers those; models a provider's own list
//! reports are listed without `enabled`. An alias's `model_info` may still say `false`.

use crate::support;

use std::collections::BTreeMap;

use serde_json::Value;
use support::{Gateway, Mode, config_file, mock};

const KEY: &str = "sk-models-enabled";

/// The ids the mock's `/v1/models` recording lists.
fn discovered_ids() -> Vec<String> {
    let path =
        mock_upstream::default_fixtures_dir().join("openai-compatible/cerebras-models-list.json");
    let body: Value =
        serde_json::from_slice(&std::fs::read(path).expect("recording")).expect("JSON");
    body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|m| m["id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn only_named_models_are_enabled() {
    let mock = mock().await;
    let discovered = discovered_ids();
    assert!(discovered.len() >= 2, "{discovered:?}");
    let (_dir, file) = config_file(&format!(
        "auth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\n\
         providers:\n\
         \x20 found: {{ kind: openai, api_base: \"{base}\", api_key: sk-up }}\n\
         \x20 fixed: {{ kind: openai, api_base: \"{base}\", api_key: sk-up, models: [text, tools] }}\n\
         model_list:\n\
         \x20 - model_name: chat\n\
         \x20   litellm_params: {{ model: found/{first} }}\n\
         \x20 - model_name: hidden\n\
         \x20   litellm_params: {{ model: fixed/text }}\n\
         \x20   model_info: {{ enabled: false }}\n",
        base = mock.base_url(),
        first = discovered[0],
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
        .expect("JSON");
    // id -> `enabled` as listed (`None`: the key is absent).
    let got: BTreeMap<String, Option<Value>> = list["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|m| {
            (
                m["id"].as_str().expect("id").to_owned(),
                m.get("enabled").cloned(),
            )
        })
        .collect();
    let mut want: BTreeMap<String, Option<Value>> = BTreeMap::from([
        ("chat".to_owned(), Some(Value::Bool(true))),
        ("hidden".to_owned(), Some(Value::Bool(false))),
        ("fixed/text".to_owned(), Some(Value::Bool(true))),
        ("fixed/tools".to_owned(), Some(Value::Bool(true))),
    ]);
    for id in &discovered {
        want.insert(format!("found/{id}"), None);
    }
    assert_eq!(got, want, "{list}");
}
