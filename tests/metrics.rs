//! `GET /metrics` after real traffic: a Prometheus text parser reads it and
//! the request, token, latency, upstream-error and in-flight series move by
//! exactly what was sent, for HTTP and direct gRPC callers, in both modes.
//! Its own test binary: the Prometheus recorder is process-wide.

#[allow(dead_code)]
#[path = "e2e/harness.rs"]
mod harness;

use std::time::{Duration, Instant};

use futures::StreamExt;
use harness::{CLIENT_KEY, Gateway, Mode};
use modelgate::v1::gateway_client::GatewayClient;
use modelgate::v1::message::Content;
use modelgate::v1::{ChatCompletionRequest, Message, Role};
use prometheus_parse::{Scrape, Value};
use serde_json::json;

async fn scrape(gw: &Gateway) -> Scrape {
    let resp = gw
        .client
        .get(gw.url("/metrics"))
        .send()
        .await
        .expect("metrics answer");
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/plain")
    );
    let text = resp.text().await.expect("body");
    Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("Prometheus text parses")
}

/// Sum of the samples of `name` whose labels include all of `labels`.
fn value(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name)
        .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match &s.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
            Value::Histogram(buckets) => buckets
                .iter()
                .find(|b| b.less_than.is_infinite())
                .map_or(0.0, |b| b.count),
            Value::Summary(_) => 0.0,
        })
        .sum()
}

struct Expect {
    name: &'static str,
    labels: Vec<(&'static str, String)>,
    delta: f64,
}

fn expect(name: &'static str, labels: &[(&'static str, &str)], delta: f64) -> Expect {
    Expect {
        name,
        labels: labels.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
        delta,
    }
}

fn read(scrape: &Scrape, e: &Expect) -> f64 {
    let labels: Vec<(&str, &str)> = e.labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
    value(scrape, e.name, &labels)
}

fn grpc_request(model: &str) -> tonic::Request<ChatCompletionRequest> {
    let mut req = tonic::Request::new(ChatCompletionRequest {
        model: model.into(),
        stream: true,
        messages: vec![Message {
            role: Role::User as i32,
            content: Some(Content::Text("count".into())),
            ..Default::default()
        }],
        ..Default::default()
    });
    req.metadata_mut().insert(
        "authorization",
        format!("Bearer {CLIENT_KEY}").parse().expect("ascii"),
    );
    req
}

fn usage_of(v: &serde_json::Value) -> (f64, f64) {
    (
        v["prompt_tokens"].as_f64().expect("prompt_tokens"),
        v["completion_tokens"].as_f64().expect("completion_tokens"),
    )
}

async fn traffic_moves_counters(mode: Mode) {
    let gw = Gateway::start(mode).await;
    let before = scrape(&gw).await;

    // Non-streamed answer.
    let resp = gw
        .post(
            "/v1/chat/completions",
            &json!({"model": "mock/text", "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.expect("json");
    let (p1, c1) = usage_of(&body["usage"]);

    // Streamed answer with usage.
    let resp = gw
        .post(
            "/v1/chat/completions",
            &json!({"model": "mock/text", "stream": true, "stream_options": {"include_usage": true},
                    "messages": [{"role": "user", "content": "count"}]}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.expect("sse");
    let last_usage = harness::sse_data(&text)
        .iter()
        .filter_map(|d| serde_json::from_str::<serde_json::Value>(d).ok())
        .rfind(|v| v["usage"].is_object())
        .expect("a usage chunk");
    let (p2, c2) = usage_of(&last_usage["usage"]);

    // An upstream that cannot be reached, under a free-form model name.
    let resp = gw
        .post(
            "/v1/chat/completions",
            &json!({"model": "down/free-form-name", "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
    assert_eq!(resp.status(), 502);

    // A model nobody serves.
    let resp = gw
        .post(
            "/v1/chat/completions",
            &json!({"model": "nobody/xyz", "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
    assert_eq!(resp.status(), 404);

    // A gRPC caller straight to the core.
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", gw.grpc))
        .expect("url")
        .connect()
        .await
        .expect("core reachable");
    let mut stream = GatewayClient::new(channel)
        .chat_completion(grpc_request("mock/text"))
        .await
        .expect("stream starts")
        .into_inner();
    let mut grpc_usage = None;
    while let Some(chunk) = stream.next().await {
        grpc_usage = chunk.expect("chunk").usage.or(grpc_usage);
    }
    let grpc_usage = grpc_usage.expect("usage over gRPC");
    drop(stream);

    let http = [("surface", "http")];
    let expected = vec![
        expect(
            "modelgate_requests_total",
            &[
                ("model", "mock/text"),
                ("provider", "mock"),
                ("status", "200"),
                ("stream", "false"),
                http[0],
            ],
            1.0,
        ),
        expect(
            "modelgate_requests_total",
            &[
                ("model", "mock/text"),
                ("provider", "mock"),
                ("status", "200"),
                ("stream", "true"),
                http[0],
            ],
            1.0,
        ),
        // Free-form names do not become label values.
        expect(
            "modelgate_requests_total",
            &[
                ("model", "other"),
                ("provider", "down"),
                ("status", "502"),
                http[0],
            ],
            1.0,
        ),
        expect(
            "modelgate_requests_total",
            &[
                ("model", "other"),
                ("provider", "none"),
                ("status", "404"),
                http[0],
            ],
            1.0,
        ),
        expect(
            "modelgate_requests_total",
            &[
                ("model", "mock/text"),
                ("status", "200"),
                ("stream", "true"),
                ("surface", "grpc"),
            ],
            1.0,
        ),
        expect(
            "modelgate_upstream_errors_total",
            &[("provider", "down"), ("class", "unavailable")],
            1.0,
        ),
        expect(
            "modelgate_tokens_total",
            &[("model", "mock/text"), ("kind", "prompt")],
            p1 + p2 + grpc_usage.prompt_tokens as f64,
        ),
        expect(
            "modelgate_tokens_total",
            &[("model", "mock/text"), ("kind", "completion")],
            c1 + c2 + grpc_usage.completion_tokens as f64,
        ),
        expect(
            "modelgate_request_duration_seconds",
            &[("model", "mock/text"), ("surface", "http")],
            2.0,
        ),
        expect(
            "modelgate_request_duration_seconds_count",
            &[("model", "mock/text"), ("surface", "http")],
            2.0,
        ),
        expect(
            "modelgate_time_to_first_token_seconds_count",
            &[("model", "mock/text")],
            3.0,
        ),
        // The facade's own count sees the 404 the core answered too.
        expect(
            "modelgate_http_responses_total",
            &[
                ("route", "/v1/chat/completions"),
                ("method", "POST"),
                ("status", "404"),
            ],
            1.0,
        ),
    ];
    // Requests are counted when their stream is dropped, a moment after
    // the client has read the end: wait for the counters, with a deadline.
    let deadline = Instant::now() + Duration::from_secs(10);
    let after = loop {
        let now = scrape(&gw).await;
        let settled = expected
            .iter()
            .all(|e| read(&now, e) - read(&before, e) >= e.delta)
            && value(&now, "modelgate_streams_in_flight", &[]) == 0.0;
        if settled || Instant::now() > deadline {
            break now;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    for e in &expected {
        assert_eq!(
            read(&after, e) - read(&before, e),
            e.delta,
            "{} {:?} moved by the wrong amount ({mode:?})",
            e.name,
            e.labels
        );
    }
    assert_eq!(value(&after, "modelgate_streams_in_flight", &[]), 0.0);
    // No series carries a key or a free-form name.
    let text = gw
        .client
        .get(gw.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("body");
    assert!(!text.contains(CLIENT_KEY));
    assert!(!text.contains("free-form-name"));
    assert!(!text.contains("nobody/xyz"));
}

/// A stream counts as in flight while it is open and not after.
async fn in_flight_gauge_follows_an_open_stream() {
    let gw = Gateway::start(Mode::Split).await;
    let gauge = async |gw: &Gateway| value(&scrape(gw).await, "modelgate_streams_in_flight", &[]);
    assert_eq!(gauge(&gw).await, 0.0);
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", gw.grpc))
        .expect("url")
        .connect()
        .await
        .expect("core reachable");
    // The mock sends a few events, then stays silent with the stream open.
    let mut stream = GatewayClient::new(channel)
        .chat_completion(grpc_request("discovered/hang-mid-stream"))
        .await
        .expect("stream starts")
        .into_inner();
    stream.next().await.expect("a chunk").expect("ok");
    assert_eq!(gauge(&gw).await, 1.0);
    drop(stream);
    let deadline = Instant::now() + Duration::from_secs(10);
    while gauge(&gw).await != 0.0 {
        assert!(Instant::now() < deadline, "the gauge never returned to 0");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_real_traffic() {
    modelgate_telemetry::prometheus::install().expect("recorder installs");
    // One after the other: every gateway here records into the one
    // process-wide recorder.
    traffic_moves_counters(Mode::Serve).await;
    traffic_moves_counters(Mode::Split).await;
    in_flight_gauge_follows_an_open_stream().await;
}
