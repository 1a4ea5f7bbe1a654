//! `/v1/models` entries carry LobeChat's metadata keys (from the built-in
//! catalogue and `model_info`) beside OpenAI's own, across the gRPC hop.

use serde_json::{Value, json};

use crate::harness::{Gateway, Mode};

fn yaml(base: &str) -> String {
    format!(
        r#"auth:
  keys:
    - {{ name: tests, key: os.environ/TEST_CLIENT_KEY, models: ["*"] }}
providers:
  mock: {{ kind: openai, api_base: "{base}", api_key: sk-x, models: [gpt-4o-mini, text-embedding-3-small, house-model] }}
model_list:
  - model_name: chat-default
    litellm_params: {{ model: mock/gpt-4o-mini }}
    model_info: {{ displayName: "Default chat", max_output_tokens: 1024, input_cost_per_token: 0.000001 }}
"#
    )
}

fn entry<'a>(list: &'a Value, id: &str) -> &'a Value {
    list["data"]
        .as_array()
        .expect("data")
        .iter()
        .find(|m| m["id"] == id)
        .unwrap_or_else(|| panic!("{id} not listed: {list}"))
}

async fn check(mode: Mode) {
    let gw = Gateway::start_config(mode, yaml).await;
    let list: Value = gw.get("/v1/models").await.json().await.expect("JSON");

    let mini = entry(&list, "mock/gpt-4o-mini");
    assert_eq!(
        *mini,
        json!({
            "id": "mock/gpt-4o-mini", "object": "model", "created": 0, "owned_by": "mock",
            "contextWindowTokens": 128000, "maxOutput": 16384,
            "functionCall": true, "vision": true, "type": "chat",
            "pricing": {"input": 0.15, "output": 0.6, "cachedInput": 0.075},
            "enabled": true
        })
    );
    assert_eq!(
        entry(&list, "mock/text-embedding-3-small")["type"],
        "embedding"
    );
    // Unknown to the catalogue: OpenAI's keys and `enabled` only.
    assert_eq!(
        *entry(&list, "mock/house-model"),
        json!({"id": "mock/house-model", "object": "model", "created": 0, "owned_by": "mock", "enabled": true})
    );

    let alias = entry(&list, "chat-default");
    assert_eq!(alias["owned_by"], "modelgate");
    assert_eq!(alias["displayName"], "Default chat");
    assert_eq!(alias["maxOutput"], 1024, "model_info overrides");
    assert_eq!(
        alias["contextWindowTokens"], 128000,
        "catalogue fills the rest"
    );
    assert_eq!(alias["pricing"]["input"], 1.0);
    assert_eq!(alias["pricing"]["output"], 0.6);

    let one: Value = gw
        .get("/v1/models/chat-default")
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(one, *alias);
}

#[tokio::test]
async fn models_carry_lobechat_metadata_serve() {
    check(Mode::Serve).await;
}

#[tokio::test]
async fn models_carry_lobechat_metadata_split() {
    check(Mode::Split).await;
}
