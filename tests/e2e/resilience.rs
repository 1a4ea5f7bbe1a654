//! Routing and failure handling against the failing mock: retries, timeouts, fallbacks,
//! load balancing, cooldowns and per-key limits, seen by the client (status, headers, timing)
//! and by the upstream (the requests the mock recorded).

use std::time::{Duration, Instant};

use futures::StreamExt;
use modelgate::v1::ChatCompletionRequest;
use modelgate::v1::gateway_client::GatewayClient;
use serde_json::{Value, json};
use tonic::transport::Channel;

use crate::harness::{CLIENT_KEY, Gateway, Mode, sse_data};

const RPM_KEY: &str = "sk-rpm-two";
const TPM_KEY: &str = "sk-tpm-ten";
const PARALLEL_KEY: &str = "sk-one-at-a-time";

/// A config with `router` as `router_settings` and `models` as `model_list` entries; the
/// providers `mock` and `p2` both reach the mock, `down` refuses connections.
fn config(base: &str, router: &str, models: &str) -> String {
    format!(
        r#"auth:
  keys:
    - {{ name: tests, key: {CLIENT_KEY} }}
    - {{ name: rpm-two, key: {RPM_KEY}, rpm: 2 }}
    - {{ name: tpm-ten, key: {TPM_KEY}, tpm: 10 }}
    - {{ name: one-at-a-time, key: {PARALLEL_KEY}, max_parallel_requests: 1 }}
providers:
  mock: {{ kind: openai, api_base: "{base}", models: [text] }}
  p2: {{ kind: openai, api_base: "{base}", models: [text] }}
  down: {{ kind: openai, api_base: "http://127.0.0.1:9/v1", models: [x] }}
router_settings:
  retry_backoff: 0.01
{router}
model_list:
{models}
"#
    )
}

fn chat(model: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "hi"}]})
}

fn header(resp: &reqwest::Response, name: &str) -> String {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The models the mock was asked for, in order.
fn upstream_models(gw: &Gateway) -> Vec<String> {
    gw.mock
        .requests()
        .iter()
        .filter_map(|r| r.body["model"].as_str().map(str::to_owned))
        .collect()
}

async fn post_as(gw: &Gateway, key: &str, body: &Value) -> reqwest::Response {
    gw.client
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .expect("gateway answers")
}

const MIXED_GROUP: &str = r#"  - model_name: mixed
    litellm_params: { model: mock/error-500, order: 1 }
  - model_name: mixed
    litellm_params: { model: mock/text, order: 2 }"#;

async fn fails_over_then_cools_down(gw: Gateway) {
    for round in 1..=2 {
        let resp = gw.post("/v1/chat/completions", &chat("mixed")).await;
        assert_eq!(resp.status(), 200, "round {round}");
        assert_eq!(header(&resp, "x-modelgate-attempts"), "2", "round {round}");
        assert_eq!(header(&resp, "x-modelgate-deployment"), "mock/text");
        assert_eq!(header(&resp, "x-modelgate-provider"), "mock");
    }
    // Two failures > allowed_fails 1: the failing deployment is now skipped.
    let resp = gw.post("/v1/chat/completions", &chat("mixed")).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(header(&resp, "x-modelgate-attempts"), "1");
    assert_eq!(
        upstream_models(&gw),
        ["error-500", "text", "error-500", "text", "text"]
    );
}

#[tokio::test]
async fn group_fails_over_and_cools_down_the_failing_deployment() {
    for mode in [Mode::Serve, Mode::Split] {
        let gw = Gateway::start_config(mode, |base| {
            config(
                base,
                "  num_retries: 2\n  allowed_fails: 1\n  cooldown_time: 30",
                MIXED_GROUP,
            )
        })
        .await;
        fails_over_then_cools_down(gw).await;
    }
}

#[tokio::test]
async fn all_deployments_cooling_answers_503_with_retry_after() {
    for mode in [Mode::Serve, Mode::Split] {
        let gw = Gateway::start_config(mode, |base| {
            config(
                base,
                "  num_retries: 1\n  allowed_fails: 0\n  cooldown_time: 30",
                r#"  - model_name: broken
    litellm_params: { model: mock/error-500 }
  - model_name: broken
    litellm_params: { model: p2/error-503-html }"#,
            )
        })
        .await;
        let first = gw.post("/v1/chat/completions", &chat("broken")).await;
        assert!(first.status().is_server_error(), "{}", first.status());
        assert_eq!(header(&first, "x-modelgate-attempts"), "2");
        assert_eq!(gw.mock.requests().len(), 2);

        let resp = gw.post("/v1/chat/completions", &chat("broken")).await;
        assert_eq!(resp.status(), 503);
        let retry_after: u64 = header(&resp, "retry-after").parse().expect("retry-after");
        assert!((1..=30).contains(&retry_after), "{retry_after}");
        let body: Value = resp.json().await.expect("json");
        assert_eq!(body["error"]["code"], "no_healthy_deployment");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("cooling down"), "{message}");
        assert_eq!(
            gw.mock.requests().len(),
            2,
            "no upstream call while cooling"
        );
    }
}

#[tokio::test]
async fn retry_honours_retry_after() {
    let gw = Gateway::start_config(Mode::Serve, |base| config(base, "  num_retries: 1", "")).await;
    let started = Instant::now();
    let resp = gw
        .post(
            "/v1/chat/completions",
            &chat("mock/fail-1-429-retry-after-a"),
        )
        .await;
    let elapsed = started.elapsed();
    assert_eq!(resp.status(), 200);
    assert_eq!(header(&resp, "x-modelgate-attempts"), "2");
    // The mock said `retry-after: 1` (its documented scenario: no recorded 429 carries the
    // header, see mock-upstream/SOURCES.md); the configured backoff alone is 10 ms.
    assert!(elapsed >= Duration::from_secs(1), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    assert_eq!(gw.mock.requests().len(), 2);
}

#[tokio::test]
async fn an_upstream_429_passes_retry_after_to_the_client() {
    let gw = Gateway::start_config(Mode::Split, |base| config(base, "", "")).await;
    let resp = gw
        .post("/v1/chat/completions", &chat("mock/error-429-retry-after"))
        .await;
    assert_eq!(resp.status(), 429);
    // The upstream's documented `retry-after: 1` (mock-upstream/SOURCES.md).
    assert_eq!(header(&resp, "retry-after"), "1");
    assert_eq!(header(&resp, "x-modelgate-attempts"), "1");
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff_until_success() {
    let gw = Gateway::start_config(Mode::Serve, |base| config(base, "  num_retries: 2", "")).await;
    let resp = gw
        .post("/v1/chat/completions", &chat("mock/fail-2-503-b"))
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(header(&resp, "x-modelgate-attempts"), "3");
    // num_retries per request (LiteLLM's name) overrides the default.
    let mut body = chat("mock/fail-5-500-c");
    body["num_retries"] = json!(0);
    let resp = gw.post("/v1/chat/completions", &body).await;
    assert_eq!(resp.status(), 502);
    assert_eq!(header(&resp, "x-modelgate-attempts"), "1");
    let sent = gw.mock.requests();
    assert!(sent.iter().all(|r| r.body.get("num_retries").is_none()));
}

#[tokio::test]
async fn connect_errors_move_to_the_next_deployment() {
    let gw = Gateway::start_config(Mode::Serve, |base| {
        config(
            base,
            "  num_retries: 1",
            r#"  - model_name: g
    litellm_params: { model: down/x, order: 1 }
  - model_name: g
    litellm_params: { model: mock/text, order: 2 }"#,
        )
    })
    .await;
    let resp = gw.post("/v1/chat/completions", &chat("g")).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(header(&resp, "x-modelgate-attempts"), "2");
    assert_eq!(header(&resp, "x-modelgate-provider"), "mock");
}

#[tokio::test]
async fn no_retry_after_the_first_byte() {
    // `slow` sends its first event at once, then one every 200 ms: past the 100 ms gap limit.
    let gw = Gateway::start_config(Mode::Serve, |base| {
        config(base, "  num_retries: 3\n  stream_timeout: 0.1", "")
    })
    .await;
    let mut body = chat("mock/slow");
    body["stream"] = json!(true);
    let resp = gw.post("/v1/chat/completions", &body).await;
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.expect("body");
    let events = sse_data(&text);
    assert!(events.len() >= 2, "{text}");
    let first: Value = serde_json::from_str(&events[0]).expect("chunk");
    assert!(first["choices"].is_array(), "{text}");
    let last: Value = serde_json::from_str(events.last().expect("event")).expect("error event");
    assert_eq!(last["error"]["code"], "upstream_timeout", "{text}");
    assert_eq!(
        gw.mock.requests().len(),
        1,
        "nothing retried once content was sent"
    );
}

#[tokio::test]
async fn time_to_first_token_limit_is_retried_then_504() {
    let gw = Gateway::start_config(Mode::Serve, |base| {
        config(base, "  num_retries: 1\n  stream_timeout: 0.15", "")
    })
    .await;
    let mut body = chat("mock/slow-first-2000-d");
    body["stream"] = json!(true);
    let started = Instant::now();
    let resp = gw.post("/v1/chat/completions", &body).await;
    let elapsed = started.elapsed();
    assert_eq!(resp.status(), 504);
    assert_eq!(header(&resp, "x-modelgate-attempts"), "2");
    let err: Value = resp.json().await.expect("json");
    assert_eq!(err["error"]["code"], "upstream_timeout");
    assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");
    assert_eq!(gw.mock.requests().len(), 2);
}

#[tokio::test]
async fn total_timeout_cuts_a_hanging_upstream() {
    let gw = Gateway::start_config(Mode::Serve, |base| {
        config(
            base,
            "",
            "  - model_name: hangs\n    litellm_params: { model: mock/hang, timeout: 0.3 }",
        )
    })
    .await;
    let started = Instant::now();
    let resp = gw.post("/v1/chat/completions", &chat("hangs")).await;
    assert_eq!(resp.status(), 504);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    gw.mock
        .wait_for(|s| s.open_streams == 0, Duration::from_secs(2))
        .await
        .expect("upstream request closed");
}

fn grpc_chat(model: &str, timeout: Option<Duration>) -> tonic::Request<ChatCompletionRequest> {
    let mut req =
        crate::grpc_client::keyed(crate::grpc_client::chat(model, "hi", false), CLIENT_KEY);
    if let Some(t) = timeout {
        req.set_timeout(t);
    }
    req
}

async fn grpc_client(gw: &Gateway) -> GatewayClient<Channel> {
    let ch = Channel::from_shared(format!("http://{}", gw.grpc))
        .expect("url")
        .connect()
        .await
        .expect("core reachable");
    GatewayClient::new(ch)
}

#[tokio::test]
async fn grpc_deadline_is_honoured() {
    let gw = Gateway::start_config(Mode::Split, |base| config(base, "  num_retries: 3", "")).await;
    let mut client = grpc_client(&gw).await;
    let started = Instant::now();
    let status = client
        .chat_completion(grpc_chat("mock/hang", Some(Duration::from_millis(400))))
        .await
        .expect_err("deadline exceeded");
    assert_eq!(status.code(), tonic::Code::DeadlineExceeded, "{status:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    gw.mock
        .wait_for(|s| s.open_streams == 0, Duration::from_secs(2))
        .await
        .expect("upstream request closed");
}

#[tokio::test]
async fn grpc_response_metadata_names_the_deployment() {
    let gw = Gateway::start_config(Mode::Split, |base| {
        config(base, "  num_retries: 1", MIXED_GROUP)
    })
    .await;
    let mut client = grpc_client(&gw).await;
    let resp = client
        .chat_completion(grpc_chat("mixed", None))
        .await
        .expect("answer");
    let meta = resp.metadata().clone();
    let text = |k: &str| meta.get(k).and_then(|v| v.to_str().ok()).map(str::to_owned);
    assert_eq!(text("x-modelgate-attempts").as_deref(), Some("2"));
    assert_eq!(text("x-modelgate-deployment").as_deref(), Some("mock/text"));
    assert_eq!(text("x-modelgate-provider").as_deref(), Some("mock"));
    let chunks: Vec<_> = resp.into_inner().collect().await;
    assert!(chunks.iter().all(Result::is_ok));
}

#[tokio::test]
async fn fallbacks_chain_in_order() {
    for mode in [Mode::Serve, Mode::Split] {
        let gw = Gateway::start_config(mode, |base| {
            config(
                base,
                "  fallbacks: [{chain-a: [chain-b, chain-c]}]",
                r#"  - model_name: chain-a
    litellm_params: { model: mock/error-500 }
  - model_name: chain-b
    litellm_params: { model: mock/error-503-html }
  - model_name: chain-c
    litellm_params: { model: p2/text }"#,
            )
        })
        .await;
        let resp = gw.post("/v1/chat/completions", &chat("chain-a")).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(header(&resp, "x-modelgate-attempts"), "3");
        assert_eq!(header(&resp, "x-modelgate-deployment"), "p2/text");
        assert_eq!(
            upstream_models(&gw),
            ["error-500", "error-503-html", "text"]
        );
    }
}

#[tokio::test]
async fn context_window_and_content_policy_fallbacks() {
    let gw = Gateway::start_config(Mode::Serve, |base| {
        config(
            base,
            r#"  num_retries: 2
  fallbacks: [{small: [general]}, {filtered: [general]}]
  context_window_fallbacks: [{small: [large]}]
  content_policy_fallbacks: [{filtered: [safe]}]"#,
            r#"  - model_name: small
    litellm_params: { model: mock/context-too-long }
  - model_name: large
    litellm_params: { model: mock/text }
    model_info: { id: large-128k }
  - model_name: general
    litellm_params: { model: p2/text }
  - model_name: filtered
    litellm_params: { model: mock/content-filter }
  - model_name: safe
    litellm_params: { model: p2/text }
    model_info: { id: safe-model }
  - model_name: unguarded
    litellm_params: { model: mock/context-too-long }"#,
        )
    })
    .await;
    let resp = gw.post("/v1/chat/completions", &chat("small")).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(header(&resp, "x-modelgate-deployment"), "large-128k");
    // Not retried: the same prompt cannot fit the same window.
    assert_eq!(header(&resp, "x-modelgate-attempts"), "2");

    let resp = gw.post("/v1/chat/completions", &chat("filtered")).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(header(&resp, "x-modelgate-deployment"), "safe-model");

    // Without fallbacks the upstream's error reaches the client as it was.
    let resp = gw.post("/v1/chat/completions", &chat("unguarded")).await;
    assert_eq!(resp.status(), 400);
    let err: Value = resp.json().await.expect("json");
    assert_eq!(err["error"]["code"], "context_length_exceeded");
}

#[tokio::test]
async fn request_fallbacks_are_used_and_not_sent_upstream() {
    let gw = Gateway::start_config(Mode::Serve, |base| config(base, "", "")).await;
    let mut body = chat("mock/error-500");
    body["fallbacks"] = json!(["mock/error-404", "p2/text"]);
    body["logprobs"] = json!(true);
    let resp = gw.post("/v1/chat/completions", &body).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(header(&resp, "x-modelgate-attempts"), "3");
    assert_eq!(header(&resp, "x-modelgate-deployment"), "p2/text");
    let sent = gw.mock.requests();
    assert_eq!(sent.len(), 3);
    for r in &sent {
        assert!(r.body.get("fallbacks").is_none(), "{}", r.body);
        assert_eq!(r.body["logprobs"], true, "other extra fields still pass");
    }
}

async fn rpm_limit(gw: Gateway) {
    for remaining in ["1", "0"] {
        let resp = post_as(&gw, RPM_KEY, &chat("mock/text")).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(header(&resp, "x-ratelimit-limit-requests"), "2");
        assert_eq!(header(&resp, "x-ratelimit-remaining-requests"), remaining);
        assert!(header(&resp, "x-ratelimit-reset-requests").ends_with('s'));
    }
    let resp = post_as(&gw, RPM_KEY, &chat("mock/text")).await;
    assert_eq!(resp.status(), 429);
    let wait: u64 = header(&resp, "retry-after").parse().expect("retry-after");
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(header(&resp, "x-ratelimit-remaining-requests"), "0");
    let err: Value = resp.json().await.expect("json");
    assert_eq!(err["error"]["code"], "rate_limit_exceeded");
    assert_eq!(err["error"]["type"], "rate_limit_error");
    // Other keys are not affected, and the refused call never went upstream.
    assert_eq!(
        gw.post("/v1/chat/completions", &chat("mock/text"))
            .await
            .status(),
        200
    );
    assert_eq!(gw.mock.requests().len(), 3);
}

#[tokio::test]
async fn per_key_rpm_answers_429_with_rate_limit_headers() {
    for mode in [Mode::Serve, Mode::Split] {
        let gw = Gateway::start_config(mode, |base| config(base, "", "")).await;
        rpm_limit(gw).await;
    }
}

#[tokio::test]
async fn per_key_tpm_counts_the_tokens_used() {
    let gw = Gateway::start_config(Mode::Serve, |base| config(base, "", "")).await;
    let resp = post_as(&gw, TPM_KEY, &chat("mock/text")).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(header(&resp, "x-ratelimit-limit-tokens"), "10");
    resp.text().await.expect("body");
    // The answer used 44 tokens: the next request waits for the window to end.
    let resp = post_as(&gw, TPM_KEY, &chat("mock/text")).await;
    assert_eq!(resp.status(), 429);
    assert_eq!(header(&resp, "x-ratelimit-remaining-tokens"), "0");
}

#[tokio::test]
async fn per_key_max_parallel_requests() {
    let gw = Gateway::start_config(Mode::Serve, |base| config(base, "", "")).await;
    let mut body = chat("mock/slow");
    body["stream"] = json!(true);
    let held = post_as(&gw, PARALLEL_KEY, &body).await;
    assert_eq!(held.status(), 200);
    let second = post_as(&gw, PARALLEL_KEY, &chat("mock/text")).await;
    assert_eq!(second.status(), 429);
    assert_eq!(header(&second, "retry-after"), "1");
    drop(held);
    // The slot frees once the gateway sees the stream dropped.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let resp = post_as(&gw, PARALLEL_KEY, &chat("mock/text")).await;
        if resp.status() == 200 {
            break;
        }
        assert_eq!(resp.status(), 429);
        assert!(Instant::now() < deadline, "slot never freed");
        tokio::task::yield_now().await;
    }
}

async fn deployments_serving(gw: &Gateway, model: &str, n: usize) -> Vec<String> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let resp = gw.post("/v1/chat/completions", &chat(model)).await;
        assert_eq!(resp.status(), 200);
        out.push(header(&resp, "x-modelgate-deployment"));
    }
    out
}

#[tokio::test]
async fn simple_shuffle_follows_weights() {
    let gw = Gateway::start_config(Mode::Serve, |base| {
        config(
            base,
            "  routing_strategy: simple-shuffle",
            r#"  - model_name: w
    litellm_params: { model: mock/text, weight: 1 }
  - model_name: w
    litellm_params: { model: p2/text, weight: 3 }"#,
        )
    })
    .await;
    let served = deployments_serving(&gw, "w", 200).await;
    let heavy = served.iter().filter(|d| *d == "p2/text").count();
    // Expected 150; the bounds are about 5 standard deviations wide.
    assert!((120..=180).contains(&heavy), "{heavy} of 200");
}

#[tokio::test]
async fn least_busy_avoids_the_busy_deployment() {
    let gw = Gateway::start_config(Mode::Serve, |base| {
        config(
            base,
            "  routing_strategy: least-busy",
            r#"  - model_name: lb
    litellm_params: { model: mock/slow }
  - model_name: lb
    litellm_params: { model: p2/slow }"#,
        )
    })
    .await;
    let mut body = chat("lb");
    body["stream"] = json!(true);
    // A stream of `slow` stays open for seconds: its deployment is busy meanwhile.
    let held = gw.post("/v1/chat/completions", &body).await;
    assert_eq!(held.status(), 200);
    let busy = header(&held, "x-modelgate-deployment");
    let served = deployments_serving(&gw, "lb", 6).await;
    assert!(
        served.iter().all(|d| *d != busy),
        "{busy} busy, served {served:?}"
    );
    drop(held);
}

#[tokio::test]
async fn latency_based_routing_prefers_the_fastest() {
    let gw = Gateway::start_config(Mode::Serve, |base| {
        config(
            base,
            "  routing_strategy: latency-based-routing",
            r#"  - model_name: lat
    litellm_params: { model: mock/slow-first-300-l }
  - model_name: lat
    litellm_params: { model: p2/text }"#,
        )
    })
    .await;
    let served = deployments_serving(&gw, "lat", 8).await;
    // The first two measure both deployments; then the fast one wins every time.
    assert!(
        served[..2].contains(&"mock/slow-first-300-l".to_owned()),
        "{served:?}"
    );
    assert!(served[2..].iter().all(|d| d == "p2/text"), "{served:?}");
}

#[tokio::test]
async fn model_group_alias_resolves() {
    let gw = Gateway::start_config(Mode::Serve, |base| {
        config(
            base,
            "  model_group_alias: {gpt-4: real}",
            "  - model_name: real\n    litellm_params: { model: mock/text }",
        )
    })
    .await;
    let resp = gw.post("/v1/chat/completions", &chat("gpt-4")).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(header(&resp, "x-modelgate-deployment"), "mock/text");
}
