//! What a client sends cannot write log lines: a model name holding a line break and a
//! fake record stays inside its own, escaped, field of the human-readable log.

use crate::support;

use serde_json::{Value, json};
use support::{Gateway, Mode, config_file, mock};

const KEY: &str = "sk-log-injection";
const FORGED: &str =
    "\n2026-01-01T00:00:00.000000Z  INFO modelgate: request model=FORGED status=200";

/// `2026-12-04T15:26:13.123456Z  INFO …`: the prefix every record starts with.
fn starts_a_record(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() > 20
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"]
            .iter()
            .any(|level| line[..line.len().min(40)].contains(level))
}

async fn chat(gw: &Gateway, model: &str) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(KEY)
        .json(&json!({"model": model, "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .expect("answers");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("json"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_model_name_cannot_forge_a_log_record() {
    let mock = mock().await;
    let (_dir, file) = config_file(&format!(
        "auth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\nproviders:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up }}\n",
        mock.base_url()
    ));
    for mode in [Mode::Serve, Mode::Split] {
        let gw = Gateway::start(mode, &file, &[]).await;
        // Unknown model: refused, and logged.
        let (status, body) = chat(&gw, &format!("nope{FORGED}")).await;
        assert_eq!(status, 404, "{mode:?}: {body}");
        // A model the gateway passes on (in the body): answered, and logged.
        let (status, body) = chat(&gw, &format!("mock/text{FORGED}")).await;
        assert_eq!(status, 200, "{mode:?}: {body}");
        let log = gw.log();
        let escaped = log.lines().filter(|l| l.contains("model=FORGED")).count();
        assert!(
            escaped >= 2,
            "{mode:?}: the requests were not logged:\n{log}"
        );
        for line in log.lines().filter(|l| !l.is_empty()) {
            assert!(
                starts_a_record(line),
                "{mode:?}: a line that is not a record of its own: {line:?}\n{log}"
            );
            assert!(
                !line.contains("model=FORGED") || line.contains("\\n2026-01-01"),
                "{mode:?}: unescaped: {line:?}"
            );
        }
    }
}
