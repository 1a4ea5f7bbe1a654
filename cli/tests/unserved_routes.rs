//! What modelgate does not serve: OpenAI's legacy `/completions`, and
//! LiteLLM's key, team, spend and UI management routes. Each answers 404 in OpenAI's shape
//! with code `unknown_url`, even to a valid key, and nothing reaches an upstream.

use crate::support;

use reqwest::Method;
use serde_json::{Value, json};
use support::{Gateway, Mode, config_file, mock};

const KEY: &str = "sk-unserved-routes-client";

const UNSERVED: &[(&str, &str)] = &[
    ("POST", "/v1/completions"),
    ("POST", "/completions"),
    ("POST", "/key/generate"),
    ("GET", "/key/info"),
    ("POST", "/team/new"),
    ("GET", "/spend/logs"),
    ("GET", "/ui"),
    ("GET", "/ui/"),
];

#[tokio::test(flavor = "multi_thread")]
async fn unserved_routes_are_404_unknown_url_and_reach_no_upstream() {
    let mock = mock().await;
    let (_dir, file) = config_file(&format!(
        "auth:\n  keys:\n    - {{ name: main, key: {KEY} }}\nproviders:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up, models: [text] }}\n",
        mock.base_url()
    ));
    let gw = Gateway::start(Mode::Serve, &file, &[]).await;
    let client = reqwest::Client::new();
    // A body each of these would accept: a model the key may use, a prompt and an input.
    let body = json!({"model": "mock/text", "prompt": "hi", "input": "hi", "key_alias": "x"});
    mock.clear();
    for (method, path) in UNSERVED {
        let method = Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = client
            .request(method.clone(), gw.url(path))
            .bearer_auth(KEY);
        if method == Method::POST {
            request = request.json(&body);
        }
        let response = request.send().await.expect("answers");
        assert_eq!(response.status(), 404, "{method} {path}");
        let error: Value = response.json().await.expect("OpenAI-shaped JSON");
        assert_eq!(
            error["error"]["code"], "unknown_url",
            "{method} {path}: {error}"
        );
        assert_eq!(
            error["error"]["type"], "invalid_request_error",
            "{method} {path}: {error}"
        );
        let message = error["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(path), "{method} {path}: {error}");
    }
    assert!(
        mock.requests().is_empty(),
        "an unserved route reached the upstream: {:?}",
        mock.requests()
    );

    // The upstream is reachable and recorded: a served route does reach it.
    let response = client
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(KEY)
        .json(&json!({"model": "mock/text", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 200);
    assert_eq!(mock.requests().len(), 1, "{:?}", mock.requests());
}
