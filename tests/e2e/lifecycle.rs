//! Graceful shutdown and config reload of the running binary, driven as users drive it: SIGTERM
//! drains and stops `modelgate serve` (or the `core` and `facade` processes), SIGHUP makes the
//! core reread its config file.

use std::time::{Duration, Instant};

use futures::StreamExt;
use modelgate::v1::ListModelsRequest;
use modelgate::v1::gateway_client::GatewayClient;
use nix::sys::signal::Signal;
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::harness::{CLIENT_KEY, Gateway, Mode, exited, sse_data};
use crate::support::{DEADLINE, eventually};

const STREAMS: usize = 20;

fn config_yaml(mock_base: &str, grace_seconds: u64, extra_alias: Option<&str>) -> String {
    let extra = extra_alias
        .map(|alias| {
            format!("  - model_name: {alias}\n    litellm_params: {{ model: mock/text }}\n")
        })
        .unwrap_or_default();
    format!(
        r#"server: {{ shutdown_grace_seconds: {grace_seconds} }}
auth:
  keys:
    - {{ name: tests, key: {CLIENT_KEY} }}
providers:
  mock: {{ kind: openai, api_base: "{mock_base}", api_key: sk-up, models: [text, slow] }}
model_list:
  - model_name: first-alias
    litellm_params: {{ model: mock/text }}
{extra}"#
    )
}

async fn start(mode: Mode, grace_seconds: u64) -> Gateway {
    Gateway::start_config(mode, |base| config_yaml(base, grace_seconds, None)).await
}

/// SIGTERM as an orchestrator stopping the deployment sends it: to every process, the
/// facade first.
fn terminate(gw: &Gateway) {
    if let Some(facade) = &gw.processes.facade {
        facade.signal(Signal::SIGTERM);
    }
    gw.core().signal(Signal::SIGTERM);
}

/// Waits for every process to exit and checks each exited 0.
async fn all_exit_0(gw: &mut Gateway) {
    let processes = std::iter::once(&mut gw.processes.core).chain(gw.processes.facade.as_mut());
    for process in processes {
        let status = exited(process).await;
        assert_eq!(status.code(), Some(0), "log:\n{}", process.log());
    }
}

/// How many requests the grace period's end cut, by the `grace period over … cut=N` lines.
fn cut_in(log: &str) -> usize {
    log.lines()
        .filter(|line| line.contains("grace period over"))
        .filter_map(|line| {
            let digits: String = line
                .split_once("cut=")?
                .1
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse::<usize>().ok()
        })
        .sum()
}

/// Starts a streaming chat and returns once its first bytes have arrived.
async fn open_stream(gw: &Gateway, model: &str) -> JoinHandle<String> {
    let response = gw
        .post(
            "/v1/chat/completions",
            &json!({
                "model": model,
                "stream": true,
                "messages": [{"role": "user", "content": "hi"}],
            }),
        )
        .await;
    assert_eq!(response.status(), 200, "stream starts");
    let mut body = response.bytes_stream();
    let first = body
        .next()
        .await
        .expect("a first chunk")
        .expect("readable chunk");
    tokio::spawn(async move {
        let mut text = String::from_utf8_lossy(&first).into_owned();
        while let Some(chunk) = body.next().await {
            match chunk {
                Ok(bytes) => text.push_str(&String::from_utf8_lossy(&bytes)),
                Err(err) => panic!("stream broke off: {err}\nreceived so far:\n{text}"),
            }
        }
        text
    })
}

async fn model_ids(gw: &Gateway) -> Vec<String> {
    let body: Value = gw.get("/v1/models").await.json().await.expect("json");
    body["data"]
        .as_array()
        .expect("data list")
        .iter()
        .filter_map(|m| m["id"].as_str().map(str::to_owned))
        .collect()
}

async fn ready_status(gw: &Gateway) -> u16 {
    gw.client
        .get(gw.url("/health/ready"))
        .send()
        .await
        .expect("answers")
        .status()
        .as_u16()
}

/// The core's gRPC health status.
async fn grpc_health(gw: &Gateway) -> i32 {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", gw.grpc))
        .expect("url")
        .connect()
        .await
        .expect("the core accepts gRPC connections");
    HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("health answers")
        .into_inner()
        .status
}

async fn shutdown_during_streams_loses_none(mode: Mode) {
    let mut gw = start(mode, 30).await;
    let mut streams = Vec::new();
    for _ in 0..STREAMS {
        streams.push(open_stream(&gw, "mock/slow").await);
    }
    terminate(&gw);

    eventually("readiness turns 503", || async {
        ready_status(&gw).await == 503
    })
    .await;
    // Liveness stays up while draining.
    let live = gw
        .client
        .get(gw.url("/health"))
        .send()
        .await
        .expect("answers");
    assert_eq!(live.status(), 200);

    let refused = reqwest::Client::new()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(CLIENT_KEY)
        .json(&json!({"model": "mock/text", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .expect("a new request is answered");
    assert_eq!(refused.status(), 503);
    let body: Value = refused.json().await.expect("OpenAI error body");
    assert_eq!(body["error"]["code"], "shutting_down", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );

    // gRPC still accepts during the drain, and says it is not serving.
    assert_eq!(grpc_health(&gw).await, ServingStatus::NotServing as i32);

    for (i, stream) in streams.into_iter().enumerate() {
        let text = tokio::time::timeout(DEADLINE, stream)
            .await
            .expect("stream ends in time")
            .expect("reader ok");
        let data = sse_data(&text);
        assert_eq!(
            data.last().map(String::as_str),
            Some("[DONE]"),
            "stream {i}:\n{text}"
        );
        assert!(!text.contains("\"error\""), "stream {i} was cut:\n{text}");
    }
    all_exit_0(&mut gw).await;
    let log = gw.processes.log();
    assert_eq!(cut_in(&log), 0, "no stream needed cutting:\n{log}");
    for process in std::iter::once(&gw.processes.core).chain(gw.processes.facade.as_ref()) {
        assert!(
            process.log().contains("drained: every request finished"),
            "{}",
            process.log()
        );
    }
}

#[tokio::test]
async fn shutdown_during_20_streams_loses_none_serve() {
    shutdown_during_streams_loses_none(Mode::Serve).await;
}

#[tokio::test]
async fn shutdown_during_20_streams_loses_none_split() {
    shutdown_during_streams_loses_none(Mode::Split).await;
}

async fn streams_past_the_grace_period_end_with_an_error_event(mode: Mode) {
    // `mock/slow` takes ~3 s, longer than the 1 s grace period.
    let mut gw = start(mode, 1).await;
    let stream = open_stream(&gw, "mock/slow").await;
    let started = Instant::now();
    terminate(&gw);
    let text = tokio::time::timeout(DEADLINE, stream)
        .await
        .expect("stream ends in time")
        .expect("reader ok");
    assert!(
        started.elapsed() < Duration::from_millis(2900),
        "cut at the grace deadline, not run to the end ({:?})",
        started.elapsed()
    );
    let data = sse_data(&text);
    let last: Value = serde_json::from_str(data.last().expect("events")).expect("json event");
    assert_eq!(last["error"]["code"], "shutting_down", "{text}");
    assert!(data.len() > 1, "content before the cut:\n{text}");
    all_exit_0(&mut gw).await;
    let log = gw.processes.log();
    assert!(cut_in(&log) >= 1, "the cut is logged:\n{log}");
}

#[tokio::test]
async fn streams_past_grace_end_with_an_error_event_serve() {
    streams_past_the_grace_period_end_with_an_error_event(Mode::Serve).await;
}

#[tokio::test]
async fn streams_past_grace_end_with_an_error_event_split() {
    streams_past_the_grace_period_end_with_an_error_event(Mode::Split).await;
}

async fn reload_keeps_running_streams(mode: Mode) {
    let gw = start(mode, 30).await;
    assert!(!model_ids(&gw).await.contains(&"added-alias".to_owned()));
    let stream = open_stream(&gw, "mock/slow").await;

    let file = gw.config_file();
    std::fs::write(
        &file,
        config_yaml(&gw.mock.base_url(), 30, Some("added-alias")),
    )
    .expect("rewrite config");
    gw.core().signal(Signal::SIGHUP);
    eventually("the new alias is listed", || async {
        model_ids(&gw).await.contains(&"added-alias".to_owned())
    })
    .await;
    let chat = gw
        .post(
            "/v1/chat/completions",
            &json!({"model": "added-alias", "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
    assert_eq!(chat.status(), 200, "the new alias routes");

    // An invalid file is rejected and the running config kept.
    std::fs::write(&file, "providers: { mock: { kind: nonsense } }\n").expect("write");
    gw.core().signal(Signal::SIGHUP);
    eventually("the rejection is logged", || async {
        gw.core().log().contains("config reload rejected")
    })
    .await;
    let log = gw.core().log();
    let rejection = &log[log.find("config reload rejected").unwrap_or_default()..];
    assert!(rejection.contains("modelgate.yaml"), "{rejection}");
    assert!(rejection.contains("providers.mock.kind"), "{rejection}");
    let ids = model_ids(&gw).await;
    assert!(ids.contains(&"added-alias".to_owned()), "{ids:?}");
    assert!(ids.contains(&"first-alias".to_owned()), "{ids:?}");

    let text = tokio::time::timeout(DEADLINE, stream)
        .await
        .expect("stream ends")
        .expect("reader ok");
    assert_eq!(
        sse_data(&text).last().map(String::as_str),
        Some("[DONE]"),
        "{text}"
    );
    assert!(!text.contains("\"error\""), "{text}");
}

#[tokio::test]
async fn reload_adds_an_alias_without_dropping_streams_serve() {
    reload_keeps_running_streams(Mode::Serve).await;
}

#[tokio::test]
async fn reload_adds_an_alias_without_dropping_streams_split() {
    reload_keeps_running_streams(Mode::Split).await;
}

/// `modelgate facade` on its own SIGTERM: the core keeps serving, the facade alone drains,
/// cuts its streams with an SSE error event at the deadline, and exits.
#[tokio::test]
async fn facade_alone_drains_and_cuts_its_streams() {
    let mut gw = start(Mode::Split, 1).await;
    let stream = open_stream(&gw, "mock/slow").await;
    gw.facade().signal(Signal::SIGTERM);
    // The facade stops listening 1 s after the signal; these checks run within it.
    eventually("facade readiness turns 503", || async {
        ready_status(&gw).await == 503
    })
    .await;
    let refused = reqwest::Client::new()
        .get(gw.url("/v1/models"))
        .bearer_auth(CLIENT_KEY)
        .send()
        .await
        .expect("answered");
    assert_eq!(refused.status(), 503);
    let body: Value = refused.json().await.expect("json");
    assert_eq!(body["error"]["code"], "shutting_down");

    let text = tokio::time::timeout(DEADLINE, stream)
        .await
        .expect("stream ends")
        .expect("reader ok");
    let data = sse_data(&text);
    let last: Value = serde_json::from_str(data.last().expect("events")).expect("json event");
    assert_eq!(last["error"]["code"], "shutting_down", "{text}");

    let facade = gw.processes.facade.as_mut().expect("split mode");
    let status = exited(facade).await;
    assert_eq!(status.code(), Some(0), "{}", facade.log());
    assert_eq!(cut_in(&facade.log()), 1, "{}", facade.log());

    // The core was not asked to stop: still running, serving, and answering calls.
    assert!(
        gw.processes.core.child.try_wait().expect("wait").is_none(),
        "the core exited:\n{}",
        gw.core().log()
    );
    assert!(
        !gw.core().log().contains("shutting down"),
        "{}",
        gw.core().log()
    );
    assert_eq!(grpc_health(&gw).await, ServingStatus::Serving as i32);
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", gw.grpc))
        .expect("url")
        .connect()
        .await
        .expect("core reachable");
    let request = crate::grpc_client::keyed(ListModelsRequest {}, CLIENT_KEY);
    let models = GatewayClient::new(channel)
        .list_models(request)
        .await
        .expect("the core still answers")
        .into_inner();
    assert!(models.models.iter().any(|m| m.id == "first-alias"));
}
