//! Both ways users run the gateway, through the binary: `serve`, and `core` + `facade` as two
//! processes, answer the same chat request from the same config.

use crate::support;

use serde_json::{Value, json};
use support::{Gateway, Mode, config_file, mock};

const KEY: &str = "sk-modes-test";

#[tokio::test(flavor = "multi_thread")]
async fn serve_and_split_answer_the_same_chat() {
    let mock = mock().await;
    let (_dir, file) = config_file(&format!(
        "auth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\nproviders:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up, models: [text] }}\n",
        mock.base_url()
    ));
    for mode in [Mode::Serve, Mode::Split] {
        let gw = Gateway::start(mode, &file, &[]).await;
        let client = reqwest::Client::new();
        let unauth = client
            .post(gw.url("/v1/chat/completions"))
            .json(&json!({"model": "mock/text", "messages": [{"role": "user", "content": "hi"}]}))
            .send()
            .await
            .expect("answers");
        assert_eq!(unauth.status(), 401, "{mode:?}");
        let body: Value = client
            .post(gw.url("/v1/chat/completions"))
            .bearer_auth(KEY)
            .json(&json!({"model": "mock/text", "messages": [{"role": "user", "content": "hi"}]}))
            .send()
            .await
            .expect("answers")
            .json()
            .await
            .expect("json");
        let text = body["choices"][0]["message"]["content"]
            .as_str()
            .unwrap_or_default();
        assert!(!text.is_empty(), "{mode:?}: {body}");
    }
}
