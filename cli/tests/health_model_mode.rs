//! `GET /health?model=NAME` checks each deployment with the smallest request of its kind: a
//! one-token chat, or one embedding when the entry's `model_info.mode` is `embedding`.

use crate::support;

use serde_json::Value;
use support::{Gateway, Mode, config_file, mock};

// One health check per key every 10 s: each check below uses its own key.
const EMBED_KEY: &str = "sk-health-embedding-key";
const CHAT_KEY: &str = "sk-health-chat-key";

async fn health(gw: &Gateway, key: &str, model: &str) -> Value {
    let response = reqwest::Client::new()
        .get(gw.url(&format!("/health?model={model}")))
        .bearer_auth(key)
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 200, "{model}");
    response.json().await.expect("json")
}

#[tokio::test(flavor = "multi_thread")]
async fn mode_embedding_makes_the_health_check_an_embedding() {
    let mock = mock().await;
    // One upstream model the catalogue does not know, behind two aliases: only
    // `model_info.mode` tells them apart.
    let (_dir, file) = config_file(&format!(
        "auth:
  keys:
    - {{ name: embed, key: {EMBED_KEY} }}
    - {{ name: chat, key: {CHAT_KEY} }}
providers:
  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up, models: [house-vectors] }}
model_list:
  - model_name: house-embed
    litellm_params: {{ model: mock/house-vectors }}
    model_info: {{ mode: embedding }}
  - model_name: house-chat
    litellm_params: {{ model: mock/house-vectors }}
",
        mock.base_url()
    ));
    let gw = Gateway::start(Mode::Serve, &file, &[]).await;

    mock.clear();
    let report = health(&gw, EMBED_KEY, "house-embed").await;
    assert_eq!(report["healthy_count"], 1, "{report}");
    let requests = mock.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].path, "/v1/embeddings", "{requests:?}");
    assert_eq!(requests[0].body["model"], "house-vectors");

    // The same upstream model without the mode is checked with a chat.
    mock.clear();
    let report = health(&gw, CHAT_KEY, "house-chat").await;
    assert_eq!(report["healthy_count"], 1, "{report}");
    let requests = mock.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].path, "/v1/chat/completions", "{requests:?}");
    assert_eq!(requests[0].body["model"], "house-vectors");
}
