//! The JSON log format holds what clients send as values: a model name and a request id full
//! of quotes, backslashes, braces and line breaks leave every log line one JSON object, and
//! the request line gives them back exactly as sent. Both modes.

use crate::support;

use serde_json::{Value, json};
use support::{Gateway, Mode, config_file, eventually, mock};

const KEY: &str = "sk-json-log-injection";
/// A record of its own, were it written raw; the quote and brace first end the field.
const FORGED: &str = "\"},\"forged\":true,\"x\":{\"y\":\"\\\n{\"level\":\"INFO\",\"target\":\"modelgate::request\",\"model\":\"FORGED\"}\r\u{2028}\u{7}";
/// Header values cannot hold line breaks; quotes, backslashes and braces they can.
const HOSTILE_ID: &str = "id\"},\"model\":\"FORGED\",\"x\":\"\\";

async fn chat(gw: &Gateway, model: &str, id: &str) -> u16 {
    reqwest::Client::new()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(KEY)
        .header("x-request-id", id)
        .json(&json!({"model": model, "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .expect("answers")
        .status()
        .as_u16()
}

/// Every non-empty line of `log` parsed as JSON; panics on one that is not.
fn json_lines(log: &str, what: &str) -> Vec<Value> {
    log.lines()
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {l}")))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_values_stay_inside_their_json_fields() {
    let mock = mock().await;
    let (_dir, file) = config_file(&format!(
        "auth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\nproviders:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up }}\n",
        mock.base_url()
    ));
    let passed_on = format!("mock/text{FORGED}");
    let unknown = format!("nope{FORGED}");
    for mode in [Mode::Serve, Mode::Split] {
        let gw = Gateway::start(mode, &file, &[("MODELGATE_LOG_FORMAT", "json")]).await;
        assert_eq!(chat(&gw, &passed_on, HOSTILE_ID).await, 200, "{mode:?}");
        assert_eq!(chat(&gw, &unknown, "second").await, 404, "{mode:?}");
        let request_lines = |log: &str| -> Vec<Value> {
            json_lines(log, "request log")
                .into_iter()
                .filter(|l| l["target"] == "modelgate::request")
                .collect()
        };
        eventually("both request lines", || async {
            request_lines(&gw.core.log()).len() >= 2
        })
        .await;
        let lines = request_lines(&gw.core.log());
        let ok = lines
            .iter()
            .find(|l| l["status"] == 200)
            .unwrap_or_else(|| panic!("{mode:?}: no line for the answered request: {lines:?}"));
        assert_eq!(ok["model"], passed_on.as_str(), "{mode:?}");
        assert_eq!(ok["request_id"], HOSTILE_ID, "{mode:?}");
        let refused = lines
            .iter()
            .find(|l| l["status"] == 404)
            .unwrap_or_else(|| panic!("{mode:?}: no line for the refused request: {lines:?}"));
        assert_eq!(refused["model"], unknown.as_str(), "{mode:?}");
        // Every line of both processes is one JSON object; none was forged.
        for line in json_lines(&gw.log(), "log") {
            assert!(line.is_object(), "{mode:?}: {line}");
            assert_ne!(line["model"], "FORGED", "{mode:?}: forged record {line}");
            assert!(
                line.get("forged").is_none(),
                "{mode:?}: forged field {line}"
            );
        }
    }
}
