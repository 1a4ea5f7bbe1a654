//! `/metrics` of `modelgate serve` after traffic `metrics_binary.rs` does not send:
//! `modelgate_tokens_total` kinds `reasoning` and `cached` (from the recorded xAI stream,
//! which reports both) and `modelgate_upstream_errors_total` classes `rate_limited` (a
//! recorded 429) and `timeout` (an upstream that never answers). Counters move by exactly what
//! the answers reported.

use crate::prometheus_text;
use crate::support;

use prometheus_parse::Scrape;
use prometheus_text::{scrape, value};
use serde_json::json;
use support::{DEADLINE, Gateway, Mode, config_file, mock};

const KEY: &str = "sk-metrics-kinds-client";
const N: u32 = 2;

/// A series (name, labels) and how much it must move.
type Expected = (&'static str, Vec<(&'static str, &'static str)>, f64);

#[tokio::test(flavor = "multi_thread")]
async fn reasoning_and_cached_tokens_and_rate_limited_and_timeout_errors_are_counted() {
    let mock = mock().await;
    let (_dir, file) = config_file(&format!(
        "auth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\n\
         providers:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up-0123456789, models: [xai-tool, error-429, hang] }}\n\
         model_list:\n  - model_name: hangs\n    litellm_params: {{ model: mock/hang, timeout: 0.3 }}\n",
        mock.base_url()
    ));
    let gw = Gateway::start(Mode::Serve, &file, &[]).await;
    let metrics = gw.url("/metrics");
    let before = scrape(&metrics).await;
    let client = reqwest::Client::new();
    let chat = |body: serde_json::Value| {
        client
            .post(gw.url("/v1/chat/completions"))
            .bearer_auth(KEY)
            .json(&body)
            .send()
    };

    let (mut reasoning, mut cached) = (0.0, 0.0);
    for _ in 0..N {
        let resp = chat(json!({"model": "mock/xai-tool", "stream": true,
            "stream_options": {"include_usage": true},
            "messages": [{"role": "user", "content": "weather?"}]}))
        .await
        .expect("answers");
        assert_eq!(resp.status(), 200);
        let text = resp.text().await.expect("sse");
        let usage = text
            .lines()
            .filter_map(|l| l.strip_prefix("data: "))
            .filter_map(|d| serde_json::from_str::<serde_json::Value>(d).ok())
            .rfind(|v| v["usage"].is_object())
            .unwrap_or_else(|| panic!("no usage chunk: {text}"));
        reasoning += usage["usage"]["completion_tokens_details"]["reasoning_tokens"]
            .as_f64()
            .expect("reasoning_tokens");
        cached += usage["usage"]["prompt_tokens_details"]["cached_tokens"]
            .as_f64()
            .expect("cached_tokens");

        let resp = chat(json!({"model": "mock/error-429",
            "messages": [{"role": "user", "content": "hi"}]}))
        .await
        .expect("answers");
        assert_eq!(resp.status(), 429);
        let resp = chat(json!({"model": "hangs", "messages": [{"role": "user", "content": "hi"}]}))
            .await
            .expect("answers");
        assert_eq!(resp.status(), 504);
    }
    // The recording reports both kinds, so a counter that never moves cannot pass.
    assert!(reasoning > 0.0 && cached > 0.0, "{reasoning} {cached}");

    let n = f64::from(N);
    let expected: [Expected; 4] = [
        (
            "modelgate_tokens_total",
            vec![("provider", "mock"), ("kind", "reasoning")],
            reasoning,
        ),
        (
            "modelgate_tokens_total",
            vec![("provider", "mock"), ("kind", "cached")],
            cached,
        ),
        (
            "modelgate_upstream_errors_total",
            vec![("provider", "mock"), ("class", "rate_limited")],
            n,
        ),
        (
            "modelgate_upstream_errors_total",
            vec![("provider", "mock"), ("class", "timeout")],
            n,
        ),
    ];
    // Requests are counted when their stream is dropped, a moment after the client read the
    // end: poll until every series has moved by exactly its amount, or report what did not.
    let moved = |now: &Scrape| -> Vec<String> {
        expected
            .iter()
            .filter_map(|(name, labels, by)| {
                let got = value(now, name, labels) - value(&before, name, labels);
                (got != *by).then(|| format!("{name} {labels:?}: moved by {got}, want {by}"))
            })
            .collect()
    };
    let deadline = std::time::Instant::now() + DEADLINE;
    let wrong = loop {
        let wrong = moved(&scrape(&metrics).await);
        if wrong.is_empty() || std::time::Instant::now() > deadline {
            break wrong;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(wrong.is_empty(), "{wrong:#?}");
}
