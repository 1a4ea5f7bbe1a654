//! Timeouts at run time through the binary: `router_settings.timeout` and
//! `router_settings.stream_timeout` for every deployment, and a deployment's own
//! `litellm_params.stream_timeout`, each answering 504 `upstream_timeout` in time; a
//! `stream_timeout` leaves non-streamed requests alone.

use crate::support;

use std::time::{Duration, Instant};

use mock_upstream::MockUpstream;
use serde_json::{Value, json};
use support::{Gateway, Mode, config_file, mock};

const KEY: &str = "sk-router-timeouts-client";
/// What the mock waits before it answers `slow-first-…`: far above every timeout below.
const SLOW_MS: u64 = 2500;
/// Well under `SLOW_MS` and well over the timeouts (0.3 s), so a cut is told from an answer.
const CUT_WITHIN: Duration = Duration::from_millis(1800);

fn config(mock: &MockUpstream, router: &str, deployment_params: &str) -> String {
    format!(
        "auth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\n\
         {router}\
         providers:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up-0123456789 }}\n\
         model_list:\n\
         \x20 - model_name: hangs\n    litellm_params: {{ model: mock/hang }}\n\
         \x20 - model_name: slow\n    litellm_params: {{ model: mock/slow-first-{SLOW_MS}{deployment_params} }}\n",
        mock.base_url()
    )
}

/// Sends a chat, returns the status, the `error.code` (if any) and the time taken.
async fn send(gw: &Gateway, model: &str, stream: bool) -> (u16, Option<String>, Duration) {
    let started = Instant::now();
    let response = reqwest::Client::new()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(KEY)
        .timeout(Duration::from_secs(20))
        .json(&json!({"model": model, "stream": stream,
            "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .expect("answers within 20 s");
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let code = body["error"]["code"].as_str().map(str::to_owned);
    (status, code, started.elapsed())
}

struct Row {
    what: &'static str,
    model: &'static str,
    stream: bool,
    /// `None`: the answer is 200 after the upstream's own delay.
    cut: Option<&'static str>,
}

async fn check(gw: &Gateway, rows: &[Row]) {
    for row in rows {
        let (status, code, took) = send(gw, row.model, row.stream).await;
        match row.cut {
            Some(code_wanted) => {
                assert_eq!(status, 504, "{}: {code:?}", row.what);
                assert_eq!(code.as_deref(), Some(code_wanted), "{}", row.what);
                assert!(took < CUT_WITHIN, "{}: took {took:?}", row.what);
            }
            None => {
                assert_eq!(status, 200, "{}: {code:?}", row.what);
                assert!(
                    took >= Duration::from_millis(SLOW_MS),
                    "{}: took {took:?}",
                    row.what
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn router_wide_timeouts_apply_to_every_deployment() {
    let mock = mock().await;
    let (_dir, file) = config_file(&config(
        &mock,
        "router_settings: { timeout: 0.3, stream_timeout: 0.3 }\n",
        "",
    ));
    let gw = Gateway::start(Mode::Serve, &file, &[]).await;
    check(
        &gw,
        &[
            Row {
                what: "router timeout, hanging upstream",
                model: "hangs",
                stream: false,
                cut: Some("upstream_timeout"),
            },
            Row {
                what: "router timeout, slow first token, not streamed",
                model: "slow",
                stream: false,
                cut: Some("upstream_timeout"),
            },
            Row {
                what: "router stream_timeout, slow first token, streamed",
                model: "slow",
                stream: true,
                cut: Some("upstream_timeout"),
            },
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deployments_stream_timeout_cuts_only_streams() {
    let mock = mock().await;
    let (_dir, file) = config_file(&config(&mock, "", ", stream_timeout: 0.3"));
    let gw = Gateway::start(Mode::Serve, &file, &[]).await;
    check(
        &gw,
        &[
            Row {
                what: "deployment stream_timeout, streamed",
                model: "slow",
                stream: true,
                cut: Some("upstream_timeout"),
            },
            Row {
                what: "deployment stream_timeout, not streamed",
                model: "slow",
                stream: false,
                cut: None,
            },
        ],
    )
    .await;
}
