//! An upstream's error message reaches the client as the upstream wrote it, byte for byte, over
//! HTTP (streamed or not) and gRPC, for every adapter kind: modelgate adds no prefix (the
//! provider is named in `x-modelgate-provider`).

use crate::grpc_client;
use crate::support;

use futures::StreamExt;
use mock_upstream::MockUpstream;
use serde_json::{Value, json};
use support::{Gateway, Mode, config_file, mock};

const KEY: &str = "sk-upstream-error-text";

/// `(model, provider, recording, status)`: the mock replays the recording for the model.
const CASES: [(&str, &str, &str, u16); 6] = [
    (
        "oa/error-400",
        "oa",
        "openai/error-400-unsupported-parameter.json",
        400,
    ),
    (
        "oa/error-429",
        "oa",
        "openai-compatible/openrouter-error-429.json",
        429,
    ),
    (
        "az/error-400",
        "az",
        "openai/error-400-unsupported-parameter.json",
        400,
    ),
    (
        "an/error-400",
        "an",
        "anthropic/error-400-invalid-request.json",
        400,
    ),
    (
        "gm/error-429",
        "gm",
        "gemini/error-429-resource-exhausted.json",
        429,
    ),
    (
        "ol/error-400",
        "ol",
        "ollama/error-400-model-does-not-support-tools.json",
        400,
    ),
];

/// The message as the recording holds it (`error.message`, or Ollama's `error` string).
fn recorded_message(recording: &str) -> String {
    let path = mock_upstream::default_fixtures_dir().join(recording);
    let body: Value =
        serde_json::from_slice(&std::fs::read(&path).expect("recording")).expect("JSON");
    let error = &body["error"];
    error["message"]
        .as_str()
        .or(error.as_str())
        .unwrap_or_else(|| panic!("{recording}: no message"))
        .to_owned()
}

fn config(mock: &MockUpstream) -> String {
    format!(
        "auth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\n\
         router_settings: {{ num_retries: 0 }}\n\
         providers:\n\
         \x20 oa: {{ kind: openai, api_base: \"{}\", api_key: sk-up }}\n\
         \x20 az: {{ kind: azure, api_base: \"{}\", api_key: sk-up, api_version: 2024-10-21 }}\n\
         \x20 an: {{ kind: anthropic, api_base: \"{}\", api_key: sk-up }}\n\
         \x20 gm: {{ kind: gemini, api_base: \"{}\", api_key: sk-up }}\n\
         \x20 ol: {{ kind: ollama, api_base: \"{}\" }}\n",
        mock.base_url(),
        mock.native_url("azure"),
        mock.native_url("anthropic"),
        mock.native_url("gemini"),
        mock.native_url("ollama"),
    )
}

async fn check(mode: Mode) {
    let mock = mock().await;
    let (_dir, file) = config_file(&config(&mock));
    let gw = Gateway::start(mode, &file, &[]).await;
    let http = reqwest::Client::new();
    let mut grpc = grpc_client::connect(&gw.grpc).await;
    for (model, provider, recording, status) in CASES {
        let want = recorded_message(recording);
        for stream in [false, true] {
            let what = format!("{mode:?} {model} stream={stream}");
            let resp = http
                .post(gw.url("/v1/chat/completions"))
                .bearer_auth(KEY)
                .json(&json!({"model": model, "stream": stream, "messages": [{"role": "user", "content": "hi"}]}))
                .send()
                .await
                .expect("answers");
            assert_eq!(resp.status().as_u16(), status, "{what}");
            assert_eq!(
                resp.headers()
                    .get("x-modelgate-provider")
                    .and_then(|v| v.to_str().ok()),
                Some(provider),
                "{what}"
            );
            let body: Value = resp.json().await.expect("JSON error");
            assert_eq!(body["error"]["message"], want.as_str(), "{what} over HTTP");

            let request = grpc_client::keyed(grpc_client::chat(model, "hi", stream), KEY);
            let err = match grpc.chat_completion(request).await {
                Err(err) => err,
                Ok(answer) => match answer.into_inner().next().await {
                    Some(Err(err)) => err,
                    other => panic!("{what}: no error over gRPC but {other:?}"),
                },
            };
            assert_eq!(err.message(), want, "{what} over gRPC");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn upstream_error_messages_reach_the_client_verbatim_serve() {
    check(Mode::Serve).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn upstream_error_messages_reach_the_client_verbatim_split() {
    check(Mode::Split).await;
}
