//! `responses_api` on a provider entry: `kind: openai` servers answer `/v1/responses` from their
//! own Responses API by default, hosted OpenAI-compatible presets (groq, …) and entries with
//! `responses_api: false` through their chat API, translated; a kind without a Responses API
//! cannot be given one.

use crate::support;

use serde_json::{Value, json};
use support::{Gateway, Mode, config_file, mock};

const KEY: &str = "sk-responses-api-key-main";

#[tokio::test(flavor = "multi_thread")]
async fn each_entry_reaches_the_api_its_setting_names() {
    let mock = mock().await;
    let base = mock.base_url();
    let (_dir, file) = config_file(&format!(
        "auth:\n  keys:\n    - {{ name: main, key: {KEY} }}\n\
         providers:\n\
         \x20 native: {{ kind: openai, api_base: \"{base}\", api_key: sk-up-0123456789, models: [text] }}\n\
         \x20 chatonly: {{ kind: openai, api_base: \"{base}\", api_key: sk-up-0123456789, models: [text], responses_api: false }}\n\
         \x20 groq: {{ api_base: \"{base}\", api_key: sk-up-0123456789, models: [text] }}\n\
         \x20 groqnative: {{ kind: openai, api_base: \"{base}\", api_key: sk-up-0123456789, models: [text], responses_api: true }}\n"
    ));
    let gw = Gateway::start(Mode::Serve, &file, &[]).await;
    let client = reqwest::Client::new();
    for (provider, expected_path) in [
        ("native", "/responses"),
        ("chatonly", "/chat/completions"),
        ("groq", "/chat/completions"),
        ("groqnative", "/responses"),
    ] {
        let before = mock.requests().len();
        let resp = client
            .post(gw.url("/v1/responses"))
            .bearer_auth(KEY)
            .json(&json!({"model": format!("{provider}/text"), "input": "hi"}))
            .send()
            .await
            .expect("answers");
        assert_eq!(resp.status(), 200, "{provider}");
        let body: Value = resp.json().await.expect("JSON");
        assert_eq!(body["object"], "response", "{provider}: {body}");
        assert_eq!(body["status"], "completed", "{provider}: {body}");
        let requests = mock.requests();
        let paths: Vec<&str> = requests[before..].iter().map(|r| r.path.as_str()).collect();
        assert_eq!(paths.len(), 1, "{provider}: {paths:?}");
        assert!(
            paths[0].ends_with(expected_path),
            "{provider}: went to {paths:?}, expected …{expected_path}"
        );
    }
}

#[test]
fn a_kind_without_a_responses_api_cannot_be_given_one() {
    let (_dir, file) = config_file(
        "providers:\n  claude: { kind: anthropic, api_base: \"http://127.0.0.1:9\", responses_api: true }\n",
    );
    let out = std::process::Command::new(support::BIN)
        .arg("check-config")
        .arg(&file)
        .env_clear()
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("providers.claude.responses_api")
            && stderr.contains("kind anthropic have no Responses API"),
        "{stderr}"
    );
}
