//! `GET /model/info` (and `/v1/model/info`): an `api_base` password or query shows as
//! `REDACTED`, the key never shows, and `model_info` keys modelgate does not act on (LiteLLM's
//! `adaptive_router_preferences`) are shown as written.

use crate::support;

use serde_json::{Value, json};
use support::{Gateway, Mode, config_file, mock};

const KEY: &str = "sk-model-info-client";
const PASSWORD: &str = "pa55-in-the-url";
const QUERY_SECRET: &str = "secret-in-the-query";
const DEPLOYMENT_KEY: &str = "sk-deployment-secret-key";

#[tokio::test(flavor = "multi_thread")]
async fn model_info_hides_api_base_credentials_and_shows_extra_model_info() {
    let mock = mock().await;
    let port = mock.addr().port();
    let (_dir, file) = config_file(&format!(
        "auth:
  keys:
    - {{ name: main, key: {KEY} }}
model_list:
  - model_name: guarded
    litellm_params:
      model: openai/guarded-model
      api_base: \"http://gw-user:{PASSWORD}@127.0.0.1:{port}/v1?token={QUERY_SECRET}\"
      api_key: {DEPLOYMENT_KEY}
    model_info:
      adaptive_router_preferences: {{ quality: 0.8, cost: 0.2 }}
  - model_name: plain
    litellm_params: {{ model: openai/plain-model, api_base: \"{}\", api_key: {DEPLOYMENT_KEY} }}
",
        mock.base_url()
    ));
    let gw = Gateway::start(Mode::Serve, &file, &[]).await;

    for path in ["/model/info", "/v1/model/info"] {
        let response = reqwest::Client::new()
            .get(gw.url(path))
            .bearer_auth(KEY)
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), 200, "{path}");
        let text = response.text().await.expect("body");
        for secret in [PASSWORD, QUERY_SECRET, DEPLOYMENT_KEY] {
            assert!(!text.contains(secret), "{path} shows {secret}: {text}");
        }
        let body: Value = serde_json::from_str(&text).expect("json");
        let data = body["data"].as_array().expect("data");
        let entry = |name: &str| {
            data.iter()
                .find(|d| d["model_name"] == name)
                .unwrap_or_else(|| panic!("{path}: no {name}: {body}"))
        };
        let guarded = entry("guarded");
        assert_eq!(
            guarded["litellm_params"]["api_base"],
            format!("http://gw-user:REDACTED@127.0.0.1:{port}/v1?REDACTED"),
            "{path}: {guarded}"
        );
        assert_eq!(
            guarded["model_info"]["adaptive_router_preferences"],
            json!({"quality": 0.8, "cost": 0.2}),
            "{path}: {guarded}"
        );
        // A base URL without credentials is shown as written.
        assert_eq!(
            entry("plain")["litellm_params"]["api_base"],
            mock.base_url(),
            "{path}"
        );
    }
}
