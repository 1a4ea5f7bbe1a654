//! A model name that would not stay one segment of an upstream URL path (Azure puts the
//! deployment there) is a 400 naming `model`, and nothing is sent upstream.

use crate::support;

use serde_json::{Value, json};
use support::{Gateway, Mode, config_file, mock};

const KEY: &str = "sk-model-path";

#[tokio::test(flavor = "multi_thread")]
async fn azure_deployment_names_that_leave_the_path_are_refused() {
    let mock = mock().await;
    let (_dir, file) = config_file(&format!(
        "auth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\nproviders:\n  az: {{ kind: azure, api_base: \"{}\", api_key: sk-up, api_version: 2024-10-21 }}\n",
        mock.native_url("azure")
    ));
    let gw = Gateway::start(Mode::Serve, &file, &[]).await;
    let client = reqwest::Client::new();
    for name in [
        ".\t.", "..", "%2e%2e", "a?b", "a#b", ".", "a%2Fb", "a\\b", "x\ny",
    ] {
        let resp = client
            .post(gw.url("/v1/chat/completions"))
            .bearer_auth(KEY)
            .json(&json!({"model": format!("az/{name}"), "messages": [{"role": "user", "content": "hi"}]}))
            .send()
            .await
            .expect("answers");
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.expect("json");
        assert_eq!(status, 400, "{name:?}: {body}");
        assert_eq!(
            body["error"]["type"], "invalid_request_error",
            "{name:?}: {body}"
        );
        assert_eq!(body["error"]["param"], "model", "{name:?}: {body}");
        assert!(
            mock.requests().is_empty(),
            "{name:?} reached the upstream: {:?}",
            mock.requests()
        );
    }
    // A legal name still works, so the refusals above are about the names.
    let resp = client
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(KEY)
        .json(&json!({"model": "az/gpt-4o", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .expect("answers");
    assert_eq!(resp.status(), 200);
    let sent = mock.requests();
    assert_eq!(sent.len(), 1);
    // The mock records the path below its `/azure` prefix.
    assert_eq!(sent[0].path, "/openai/deployments/gpt-4o/chat/completions");
}

#[tokio::test(flavor = "multi_thread")]
async fn overlong_model_names_are_refused_before_lookup() {
    let mock = mock().await;
    let (_dir, file) = config_file(&format!(
        "auth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\nproviders:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up }}\n",
        mock.base_url()
    ));
    let gw = Gateway::start(Mode::Serve, &file, &[]).await;
    let long = format!("mock/{}", "a".repeat(300));
    let resp = reqwest::Client::new()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(KEY)
        .json(&json!({"model": long, "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .expect("answers");
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.expect("json");
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["param"], "model", "{body}");
    assert!(mock.requests().is_empty());
    assert!(
        !gw.log().contains(&"a".repeat(300)),
        "the whole name was logged"
    );
}
