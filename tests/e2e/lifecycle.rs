//! Graceful shutdown and config reload, wired as `modelgate serve` / `core` + `facade` wire
//! them, driven by an in-process shutdown future instead of a signal.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use futures::StreamExt;
use mock_upstream::MockUpstream;
use modelgate::drain::{self, Drain};
use modelgate_core::config::{Config, MapEnv};
use modelgate_core::grpc::{self, Core};
use modelgate_facade::core_client::CoreClient;
use modelgate_facade::drain::with_drain;
use modelgate_facade::server;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::harness::{CLIENT_KEY, Mode, sse_data};

const STREAMS: usize = 20;
/// Far beyond any wait below: a hang fails the test instead of blocking CI.
const DEADLINE: Duration = Duration::from_secs(30);

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

/// A gateway whose shutdown and reloads the test triggers.
struct Running {
    http: SocketAddr,
    grpc: SocketAddr,
    core: Core,
    facade: Drain,
    grace: Duration,
    stop: watch::Sender<bool>,
    servers: Vec<JoinHandle<()>>,
    client: reqwest::Client,
    config_file: PathBuf,
    mock: MockUpstream,
    _dir: tempfile::TempDir,
}

impl Running {
    async fn start(mode: Mode, grace_seconds: u64) -> Self {
        let mock = MockUpstream::start(mock_upstream::default_fixtures_dir())
            .await
            .expect("mock upstream starts");
        let dir = tempfile::tempdir().expect("temp dir");
        let config_file = dir.path().join("modelgate.yaml");
        std::fs::write(
            &config_file,
            config_yaml(&mock.base_url(), grace_seconds, None),
        )
        .expect("write config");
        let config = Config::load_file(&config_file, &MapEnv::default()).expect("valid config");
        let core = Core::new(&config).await.expect("core builds");
        let (stop, stopped) = watch::channel(false);
        let wait = move || {
            let mut rx = stopped.clone();
            async move {
                let _ = rx.wait_for(|s| *s).await;
            }
        };
        let grpc_listener = TcpListener::bind("127.0.0.1:0").await.expect("bind grpc");
        let grpc = grpc_listener.local_addr().expect("addr");
        let client = match mode {
            Mode::Serve => CoreClient::in_process(core.routes.clone(), core.local()),
            Mode::Split => CoreClient::connect(&format!("http://{grpc}")).expect("valid url"),
        };
        let facade = Drain::new();
        let app = with_drain(
            server::app(
                client,
                config.server.body_limit_bytes,
                &config.cors.allow_origins,
            ),
            facade.clone(),
        );
        let http_listener = TcpListener::bind("127.0.0.1:0").await.expect("bind http");
        let http = http_listener.local_addr().expect("addr");
        let (routes, grpc_stop, http_stop) = (core.routes.clone(), wait(), wait());
        let servers = vec![
            tokio::spawn(async move {
                grpc::serve(grpc_listener, routes, grpc_stop)
                    .await
                    .expect("grpc serves");
            }),
            tokio::spawn(async move {
                server::serve(http_listener, app, http_stop)
                    .await
                    .expect("http serves");
            }),
        ];
        Self {
            http,
            grpc,
            core,
            facade,
            grace: config.server.shutdown_grace,
            stop,
            servers,
            client: reqwest::Client::new(),
            config_file,
            mock,
            _dir: dir,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.http)
    }

    /// What the binary does on SIGTERM: stop serving, drain (facade first), stop the servers.
    fn shut_down(&self) -> JoinHandle<usize> {
        let (core, drains, grace) = (
            self.core.clone(),
            vec![self.facade.clone(), self.core.drain.clone()],
            self.grace,
        );
        let stop = self.stop.clone();
        tokio::spawn(async move {
            core.stop_serving().await;
            let cut = drain::settle(&drains, grace).await;
            let _ = stop.send(true);
            cut
        })
    }

    /// Starts a streaming chat and returns once its first bytes have arrived.
    async fn open_stream(&self, model: &str) -> JoinHandle<String> {
        let response = self
            .client
            .post(self.url("/v1/chat/completions"))
            .bearer_auth(CLIENT_KEY)
            .json(&json!({
                "model": model,
                "stream": true,
                "messages": [{"role": "user", "content": "hi"}],
            }))
            .send()
            .await
            .expect("gateway answers");
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

    async fn model_ids(&self) -> Vec<String> {
        let body: Value = self
            .client
            .get(self.url("/v1/models"))
            .bearer_auth(CLIENT_KEY)
            .send()
            .await
            .expect("gateway answers")
            .json()
            .await
            .expect("json");
        body["data"]
            .as_array()
            .expect("data list")
            .iter()
            .filter_map(|m| m["id"].as_str().map(str::to_owned))
            .collect()
    }
}

/// Polls `check` until it holds; fails after `DEADLINE`.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    while !check().await {
        assert!(
            start.elapsed() < DEADLINE,
            "{what}: not within {DEADLINE:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn shutdown_during_streams_loses_none(mode: Mode) {
    let gw = Running::start(mode, 30).await;
    let mut streams = Vec::new();
    for _ in 0..STREAMS {
        streams.push(gw.open_stream("mock/slow").await);
    }
    let shutdown = gw.shut_down();

    let ready = gw.url("/health/ready");
    eventually("readiness turns 503", || async {
        let r = gw.client.get(&ready).send().await.expect("answers");
        r.status() == 503
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

    let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", gw.grpc))
        .expect("url")
        .connect()
        .await
        .expect("grpc still accepts during the drain");
    let mut health = HealthClient::new(channel);
    let status = health
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("health answers")
        .into_inner()
        .status;
    assert_eq!(status, ServingStatus::NotServing as i32);

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
    let cut = tokio::time::timeout(DEADLINE, shutdown)
        .await
        .expect("drained in time")
        .expect("shutdown task ok");
    assert_eq!(cut, 0, "no stream needed cutting");
    for server in gw.servers {
        tokio::time::timeout(DEADLINE, server)
            .await
            .expect("server stops after the drain")
            .expect("server task ok");
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
    // `mock/hang` never answers; `mock/slow` takes ~3 s, longer than the 1 s grace period.
    let gw = Running::start(mode, 1).await;
    let stream = gw.open_stream("mock/slow").await;
    let started = Instant::now();
    let shutdown = gw.shut_down();
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
    let cut = tokio::time::timeout(DEADLINE, shutdown)
        .await
        .expect("shutdown ends")
        .expect("task ok");
    assert!(cut >= 1);
    for server in gw.servers {
        tokio::time::timeout(DEADLINE, server)
            .await
            .expect("server stops")
            .expect("server task ok");
    }
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
    let gw = Running::start(mode, 30).await;
    assert!(!gw.model_ids().await.contains(&"added-alias".to_owned()));
    let stream = gw.open_stream("mock/slow").await;

    std::fs::write(
        &gw.config_file,
        config_yaml(&gw.mock.base_url(), 30, Some("added-alias")),
    )
    .expect("rewrite config");
    gw.core
        .reload_from(Some(&gw.config_file), &MapEnv::default())
        .expect("new config is valid");
    assert!(gw.model_ids().await.contains(&"added-alias".to_owned()));
    let chat = gw
        .client
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(CLIENT_KEY)
        .json(&json!({"model": "added-alias", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .expect("answers");
    assert_eq!(chat.status(), 200, "the new alias routes");

    // An invalid file is rejected and the running config kept.
    std::fs::write(&gw.config_file, "providers: { mock: { kind: nonsense } }\n").expect("write");
    let err = gw
        .core
        .reload_from(Some(&gw.config_file), &MapEnv::default())
        .expect_err("invalid config is rejected");
    assert!(err.to_string().contains("modelgate.yaml"), "{err}");
    assert!(err.to_string().contains("providers.mock.kind"), "{err}");
    let ids = gw.model_ids().await;
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

/// `modelgate facade` on its own signal: the core keeps serving, the facade alone drains and
/// cuts its streams with an SSE error event at the deadline.
#[tokio::test]
async fn facade_alone_drains_and_cuts_its_streams() {
    let gw = Running::start(Mode::Split, 1).await;
    let stream = gw.open_stream("mock/slow").await;
    let (facade, grace, stop) = (gw.facade.clone(), gw.grace, gw.stop.clone());
    let shutdown = tokio::spawn(async move {
        let cut = drain::settle(&[facade], grace).await;
        let _ = stop.send(true);
        cut
    });
    let ready = gw.url("/health/ready");
    eventually("facade readiness turns 503", || async {
        gw.client
            .get(&ready)
            .send()
            .await
            .expect("answers")
            .status()
            == 503
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
    assert!(
        !gw.core.drain.is_draining(),
        "the core was not asked to stop"
    );

    let text = tokio::time::timeout(DEADLINE, stream)
        .await
        .expect("stream ends")
        .expect("reader ok");
    let data = sse_data(&text);
    let last: Value = serde_json::from_str(data.last().expect("events")).expect("json event");
    assert_eq!(last["error"]["code"], "shutting_down", "{text}");
    assert_eq!(shutdown.await.expect("task"), 1);
}
