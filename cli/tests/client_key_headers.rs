//! Clients that send their key the Azure or Anthropic way, in `api-key` / `x-api-key` (bare, or
//! written `Bearer KEY`), are authenticated like `Authorization: Bearer`; a wrong key there is
//! 401 `invalid_api_key` and reaches no upstream. In split mode the facade forwards the header
//! to the core as gRPC metadata, so both ways of running are checked.

use crate::support;

use serde_json::{Value, json};
use support::{Gateway, Mode, config_file, mock};

const KEY: &str = "sk-client-key-headers-test";
const WRONG: &str = "sk-client-key-headers-wrong";

fn chat(model: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "hi"}]})
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_in_api_key_and_x_api_key_headers_authenticate_in_both_modes() {
    let mock = mock().await;
    let (_dir, file) = config_file(&format!(
        "auth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\n\
         providers:\n  mock: {{ kind: openai, api_base: \"{base}\", api_key: sk-up-0123456789, models: [text] }}\n\
         model_list:\n  - model_name: fast\n    litellm_params: {{ model: mock/text }}\n",
        base = mock.base_url()
    ));
    let client = reqwest::Client::new();
    // Every accepted form is tried before failing, so one run names all that were refused.
    let mut failures = Vec::new();
    for mode in [Mode::Serve, Mode::Split] {
        let gw = Gateway::start(mode, &file, &[]).await;
        for header in ["api-key", "x-api-key"] {
            for value in [KEY.to_owned(), format!("Bearer {KEY}")] {
                mock.clear();
                let what = format!("{mode:?} {header}: {value}");
                let resp = client
                    .post(gw.url("/v1/chat/completions"))
                    .header(header, &value)
                    .json(&chat("mock/text"))
                    .send()
                    .await
                    .expect("answers");
                let status = resp.status();
                let body: Value = resp.json().await.expect("json");
                if status != 200 {
                    failures.push(format!("{what}: chat {status} {body}"));
                    continue;
                }
                let text = body["choices"][0]["message"]["content"].as_str();
                assert!(text.is_some_and(|t| !t.is_empty()), "{what}: {body}");
                assert_eq!(mock.requests().len(), 1, "{what}");

                let resp = client
                    .get(gw.url("/v1/models"))
                    .header(header, &value)
                    .send()
                    .await
                    .expect("answers");
                if resp.status() != 200 {
                    failures.push(format!("{what}: /v1/models {}", resp.status()));
                    continue;
                }
                let models: Value = resp.json().await.expect("json");
                let ids: Vec<&str> = models["data"]
                    .as_array()
                    .map(|d| d.iter().filter_map(|m| m["id"].as_str()).collect())
                    .unwrap_or_default();
                assert!(ids.contains(&"mock/text"), "{what}: {models}");
            }
            for value in [WRONG.to_owned(), format!("Bearer {WRONG}")] {
                mock.clear();
                let what = format!("{mode:?} {header}: {value}");
                let resp = client
                    .post(gw.url("/v1/chat/completions"))
                    .header(header, &value)
                    .json(&chat("mock/text"))
                    .send()
                    .await
                    .expect("answers");
                assert_eq!(resp.status(), 401, "{what}");
                let body: Value = resp.json().await.expect("json");
                assert_eq!(body["error"]["code"], "invalid_api_key", "{what}: {body}");
                assert!(mock.requests().is_empty(), "{what}: reached the upstream");
                let resp = client
                    .get(gw.url("/v1/models"))
                    .header(header, &value)
                    .send()
                    .await
                    .expect("answers");
                assert_eq!(resp.status(), 401, "{what}");
            }
        }
        // The AzureOpenAI SDK's own path and header.
        mock.clear();
        let resp = client
            .post(gw.url("/openai/deployments/fast/chat/completions?api-version=2024-10-21"))
            .header("api-key", KEY)
            .json(&json!({"messages": [{"role": "user", "content": "hi"}]}))
            .send()
            .await
            .expect("answers");
        if resp.status() == 200 {
            assert_eq!(mock.requests().len(), 1, "{mode:?} azure path");
        } else {
            failures.push(format!("{mode:?} azure path: {}", resp.status()));
        }
        let resp = client
            .post(gw.url("/openai/deployments/fast/chat/completions?api-version=2024-10-21"))
            .header("api-key", WRONG)
            .json(&json!({"messages": [{"role": "user", "content": "hi"}]}))
            .send()
            .await
            .expect("answers");
        assert_eq!(resp.status(), 401, "{mode:?} azure path, wrong key");
    }
    assert!(failures.is_empty(), "refused:\n{}", failures.join("\n"));
}
