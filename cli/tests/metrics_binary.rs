//! `GET /metrics` of the real binary after real traffic, read with a Prometheus text parser:
//! `serve` has the request, token, latency, upstream-error and HTTP series on its HTTP port;
//! run apart, the core's series are on `modelgate core --metrics ADDR` and the facade's
//! `/metrics` has only its HTTP series. Counters move by exactly what was sent.

use crate::grpc_client;
use crate::prometheus_text;
use crate::support;

use futures::StreamExt;
use grpc_client::keyed_stream;
use mock_upstream::MockUpstream;
use prometheus_parse::Scrape;
use prometheus_text::{has, metrics_text, scrape, value};
use serde_json::json;
use support::{Gateway, Launch, Mode, Process, config_file, eventually, mock, strings};

const KEY: &str = "sk-metrics-client-key-1234";
const PROVIDER_KEY: &str = "sk-metrics-provider-key-5678";
/// Sent of each kind, so a counter that moves by one per request cannot pass by accident.
const N: u32 = 3;

fn config(mock: &MockUpstream) -> (tempfile::TempDir, std::path::PathBuf) {
    config_file(&format!(
        r#"auth:
  keys:
    - {{ name: tests, key: {KEY} }}
providers:
  mock: {{ kind: openai, api_base: "{}", api_key: {PROVIDER_KEY}, models: [text] }}
  discovered: {{ kind: openai, api_base: "{}", api_key: {PROVIDER_KEY} }}
  down: {{ kind: openai, api_base: "http://127.0.0.1:9/v1" }}
"#,
        mock.base_url(),
        mock.base_url()
    ))
}

/// `core --metrics 127.0.0.1:0` and a facade calling it: split mode with the core's metrics
/// port, as the README tells users to run it.
struct Split {
    core: Process,
    facade: Process,
}

impl Split {
    async fn start(config: &std::path::Path) -> Self {
        let config = config.to_string_lossy().into_owned();
        let core = Process::start(Launch {
            args: strings(&[
                "core",
                "--grpc",
                "127.0.0.1:0",
                "--metrics",
                "127.0.0.1:0",
                "--config",
                &config,
            ]),
            wait_for: vec!["grpc", "metrics"],
            ..Launch::default()
        });
        let facade = Process::start(Launch {
            args: strings(&[
                "facade",
                "--core-url",
                &format!("http://{}", core.addr("grpc")),
                "--http",
                "127.0.0.1:0",
                "--config",
                &config,
            ]),
            wait_for: vec!["http"],
            ..Launch::default()
        });
        let ready = format!("http://{}/health/ready", facade.addr("http"));
        eventually("facade ready", || {
            let ready = ready.clone();
            async move { reqwest::get(ready).await.is_ok_and(|r| r.status() == 200) }
        })
        .await;
        Self { core, facade }
    }

    fn http(&self) -> String {
        format!("http://{}", self.facade.addr("http"))
    }

    fn grpc(&self) -> String {
        format!("http://{}", self.core.addr("grpc"))
    }

    fn core_metrics(&self) -> String {
        format!("http://{}/metrics", self.core.addr("metrics"))
    }
}

/// One expected movement of a series between two scrapes.
struct Moved {
    name: &'static str,
    labels: Vec<(&'static str, String)>,
    by: f64,
}

fn moved(name: &'static str, labels: &[(&'static str, &str)], by: f64) -> Moved {
    Moved {
        name,
        labels: labels.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
        by,
    }
}

impl Moved {
    fn read(&self, scrape: &Scrape) -> f64 {
        let labels: Vec<(&str, &str)> = self.labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
        value(scrape, self.name, &labels)
    }
}

/// Waits until every series has moved by at least its amount (requests are counted when their
/// stream is dropped, a moment after the client read the end), then asserts each moved by
/// exactly that amount.
async fn assert_moved(url: &str, before: &Scrape, expected: &[Moved], what: &str) -> Scrape {
    eventually(&format!("{what}: counters settle"), || async {
        let now = scrape(url).await;
        expected
            .iter()
            .all(|e| e.read(&now) - e.read(before) >= e.by)
    })
    .await;
    let after = scrape(url).await;
    for e in expected {
        assert_eq!(
            e.read(&after) - e.read(before),
            e.by,
            "{what}: {} {:?} moved by the wrong amount",
            e.name,
            e.labels
        );
    }
    after
}

/// What the tests send: N plain and N streamed answers, N to an upstream that is down, N to a
/// model nobody serves. Returns the (prompt, completion) tokens the answers reported.
async fn http_traffic(http: &str) -> (f64, f64) {
    let client = reqwest::Client::new();
    let chat = |body: serde_json::Value| {
        client
            .post(format!("{http}/v1/chat/completions"))
            .bearer_auth(KEY)
            .json(&body)
            .send()
    };
    let (mut prompt, mut completion) = (0.0, 0.0);
    for _ in 0..N {
        let resp =
            chat(json!({"model": "mock/text", "messages": [{"role": "user", "content": "hi"}]}))
                .await
                .expect("answers");
        assert_eq!(resp.status(), 200);
        let body: serde_json::Value = resp.json().await.expect("json");
        prompt += body["usage"]["prompt_tokens"]
            .as_f64()
            .expect("prompt_tokens");
        completion += body["usage"]["completion_tokens"]
            .as_f64()
            .expect("completion_tokens");

        let resp = chat(json!({"model": "mock/text", "stream": true,
            "stream_options": {"include_usage": true},
            "messages": [{"role": "user", "content": "count"}]}))
        .await
        .expect("answers");
        assert_eq!(resp.status(), 200);
        let text = resp.text().await.expect("sse");
        let usage = text
            .lines()
            .filter_map(|l| l.strip_prefix("data: "))
            .filter_map(|d| serde_json::from_str::<serde_json::Value>(d).ok())
            .rfind(|v| v["usage"].is_object())
            .expect("a usage chunk");
        prompt += usage["usage"]["prompt_tokens"].as_f64().expect("prompt");
        completion += usage["usage"]["completion_tokens"]
            .as_f64()
            .expect("completion");

        let resp = chat(json!({"model": "down/free-form-name", "messages": [{"role": "user", "content": "hi"}]}))
            .await
            .expect("answers");
        assert_eq!(resp.status(), 502);
        let resp =
            chat(json!({"model": "nobody/xyz", "messages": [{"role": "user", "content": "hi"}]}))
                .await
                .expect("answers");
        assert_eq!(resp.status(), 404);
    }
    assert!(
        prompt > 0.0 && completion > 0.0,
        "the answers reported usage"
    );
    (prompt, completion)
}

/// One streamed chat straight to the core; returns its (prompt, completion) tokens.
async fn grpc_traffic(grpc: &str) -> (f64, f64) {
    let chunks = grpc_client::stream_to_end(grpc, keyed_stream("mock/text", "count", KEY)).await;
    let usage = chunks
        .into_iter()
        .filter_map(|chunk| chunk.usage)
        .next_back()
        .expect("usage over gRPC");
    (usage.prompt_tokens as f64, usage.completion_tokens as f64)
}

/// The core's series after `http_traffic` and one gRPC call.
fn core_series(tokens: (f64, f64)) -> Vec<Moved> {
    let n = f64::from(N);
    vec![
        moved(
            "modelgate_requests_total",
            &[
                ("model", "mock/text"),
                ("provider", "mock"),
                ("status", "200"),
                ("stream", "false"),
                ("surface", "http"),
            ],
            n,
        ),
        moved(
            "modelgate_requests_total",
            &[
                ("model", "mock/text"),
                ("provider", "mock"),
                ("status", "200"),
                ("stream", "true"),
                ("surface", "http"),
            ],
            n,
        ),
        moved(
            "modelgate_requests_total",
            &[
                ("model", "mock/text"),
                ("provider", "mock"),
                ("status", "200"),
                ("stream", "true"),
                ("surface", "grpc"),
            ],
            1.0,
        ),
        // Free-form names are not label values.
        moved(
            "modelgate_requests_total",
            &[
                ("model", "other"),
                ("provider", "down"),
                ("status", "502"),
                ("surface", "http"),
            ],
            n,
        ),
        moved(
            "modelgate_requests_total",
            &[
                ("model", "other"),
                ("provider", "none"),
                ("status", "404"),
                ("surface", "http"),
            ],
            n,
        ),
        moved(
            "modelgate_upstream_errors_total",
            &[("provider", "down"), ("class", "unavailable")],
            n,
        ),
        moved(
            "modelgate_tokens_total",
            &[
                ("model", "mock/text"),
                ("provider", "mock"),
                ("kind", "prompt"),
            ],
            tokens.0,
        ),
        moved(
            "modelgate_tokens_total",
            &[
                ("model", "mock/text"),
                ("provider", "mock"),
                ("kind", "completion"),
            ],
            tokens.1,
        ),
        moved(
            "modelgate_request_duration_seconds",
            &[
                ("model", "mock/text"),
                ("provider", "mock"),
                ("surface", "http"),
            ],
            2.0 * n,
        ),
        moved(
            "modelgate_request_duration_seconds",
            &[("model", "mock/text"), ("surface", "grpc")],
            1.0,
        ),
        moved(
            "modelgate_time_to_first_token_seconds",
            &[("model", "mock/text"), ("provider", "mock")],
            2.0 * n + 1.0,
        ),
    ]
}

/// The facade's own series after `http_traffic`: it sees the 404s the core answered too.
fn http_series() -> Vec<Moved> {
    let n = f64::from(N);
    let route = |status: &'static str, by: f64| {
        moved(
            "modelgate_http_responses_total",
            &[
                ("route", "/v1/chat/completions"),
                ("method", "POST"),
                ("status", status),
            ],
            by,
        )
    };
    vec![route("200", 2.0 * n), route("502", n), route("404", n)]
}

fn assert_no_secrets(text: &str, what: &str) {
    for leak in [KEY, PROVIDER_KEY, "free-form-name", "nobody/xyz"] {
        assert!(!text.contains(leak), "{what}: `{leak}` in a label");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_exposes_request_and_http_series_on_its_http_port() {
    let mock = mock().await;
    let (_dir, file) = config(&mock);
    let gw = Gateway::start(Mode::Serve, &file, &[]).await;
    let url = gw.url("/metrics");
    let before = scrape(&url).await;
    assert_eq!(
        value(&before, "modelgate_streams_in_flight", &[]),
        0.0,
        "the gauge is there from the start"
    );
    assert!(has(&before, "modelgate_streams_in_flight"));

    let (p, c) = http_traffic(&gw.http).await;
    let (gp, gc) = grpc_traffic(&gw.grpc).await;
    let mut expected = core_series((p + gp, c + gc));
    expected.extend(http_series());
    let after = assert_moved(&url, &before, &expected, "serve").await;
    assert_eq!(value(&after, "modelgate_streams_in_flight", &[]), 0.0);
    assert_no_secrets(&metrics_text(&url).await, "serve");
}

#[tokio::test(flavor = "multi_thread")]
async fn split_core_series_are_on_core_metrics_and_not_on_the_facade() {
    let mock = mock().await;
    let (_dir, file) = config(&mock);
    let split = Split::start(&file).await;
    let core_url = split.core_metrics();
    let facade_url = format!("{}/metrics", split.http());
    let core_before = scrape(&core_url).await;
    let facade_before = scrape(&facade_url).await;

    let (p, c) = http_traffic(&split.http()).await;
    let (gp, gc) = grpc_traffic(&split.grpc()).await;
    let core_after = assert_moved(
        &core_url,
        &core_before,
        &core_series((p + gp, c + gc)),
        "core --metrics",
    )
    .await;
    let facade_after = assert_moved(&facade_url, &facade_before, &http_series(), "facade").await;

    // Each process serves what it records, and nothing of the other's.
    for core_only in [
        "modelgate_requests_total",
        "modelgate_tokens_total",
        "modelgate_request_duration_seconds",
        "modelgate_time_to_first_token_seconds",
        "modelgate_upstream_errors_total",
        "modelgate_streams_in_flight",
    ] {
        assert!(has(&core_after, core_only), "core lacks {core_only}");
        assert!(
            !has(&facade_after, core_only),
            "the facade's /metrics has the core's {core_only}"
        );
    }
    assert!(
        !has(&core_after, "modelgate_http_responses_total"),
        "the core has HTTP series"
    );
    assert_no_secrets(&metrics_text(&core_url).await, "core");
    assert_no_secrets(&metrics_text(&facade_url).await, "facade");
}

/// A stream counts as in flight while it is open and not after, on the core's metrics port.
#[tokio::test(flavor = "multi_thread")]
async fn in_flight_gauge_follows_an_open_stream_in_the_core() {
    let mock = mock().await;
    let (_dir, file) = config(&mock);
    let split = Split::start(&file).await;
    let url = split.core_metrics();
    let gauge = async || value(&scrape(&url).await, "modelgate_streams_in_flight", &[]);
    assert_eq!(gauge().await, 0.0);
    let mut client = grpc_client::connect(&split.grpc()).await;
    // The mock sends a few events, then stays silent with the stream open.
    let mut stream = client
        .chat_completion(keyed_stream("discovered/hang-mid-stream", "count", KEY))
        .await
        .expect("stream starts")
        .into_inner();
    stream.next().await.expect("a chunk").expect("ok");
    assert_eq!(gauge().await, 1.0);
    drop(stream);
    // Closed by the client: no longer in flight, and counted as 499.
    let closed = [
        ("provider", "discovered"),
        ("status", "499"),
        ("surface", "grpc"),
    ];
    eventually(
        "the gauge returns to 0 and the request is counted",
        || async {
            let now = scrape(&url).await;
            value(&now, "modelgate_streams_in_flight", &[]) == 0.0
                && value(&now, "modelgate_requests_total", &closed) >= 1.0
        },
    )
    .await;
    let after = scrape(&url).await;
    assert_eq!(value(&after, "modelgate_requests_total", &closed), 1.0);
}
