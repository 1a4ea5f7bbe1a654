//! `OTEL_EXPORTER_OTLP_TIMEOUT` is honoured: with 1000 ms, an export the collector never
//! answers is given up after a second and the next one goes out, where the default (10 s)
//! would hold every later span back ten times as long.

use crate::support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::json;
use support::{Gateway, Mode, config_file, eventually, mock};

const KEY: &str = "sk-otel-timeout";
/// A second export within this of the first means the first was given up on: the timeout
/// set (1 s) plus the batch delay and slack, well under the 10 s default.
const WITHIN: Duration = Duration::from_secs(5);

/// A collector whose first export hangs forever; later ones get 200. When each arrived.
async fn stuck_collector() -> (String, Arc<Mutex<Vec<Instant>>>) {
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let seen = arrivals.clone();
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move || {
            let seen = seen.clone();
            async move {
                let first = {
                    let mut arrivals = seen.lock().expect("lock");
                    arrivals.push(Instant::now());
                    arrivals.len() == 1
                };
                if first {
                    std::future::pending::<()>().await;
                }
                (
                    StatusCode::OK,
                    [("content-type", "application/x-protobuf")],
                    "",
                )
                    .into_response()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), arrivals)
}

async fn chat(gw: &Gateway) {
    let status = reqwest::Client::new()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(KEY)
        .json(&json!({"model": "mock/text", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .expect("answers")
        .status();
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unanswered_export_is_given_up_after_the_configured_timeout() {
    let mock = mock().await;
    let (endpoint, arrivals) = stuck_collector().await;
    let (_dir, file) = config_file(&format!(
        "auth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\nproviders:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up, models: [text] }}\n",
        mock.base_url()
    ));
    let gw = Gateway::start(
        Mode::Serve,
        &file,
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "1000"),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ],
    )
    .await;
    chat(&gw).await;
    let count = || arrivals.lock().expect("lock").len();
    eventually("the first export", || async { count() >= 1 }).await;
    // Spans to export while the first export hangs.
    chat(&gw).await;
    eventually("a second export", || async { count() >= 2 }).await;
    let arrived = arrivals.lock().expect("lock").clone();
    let gap = arrived[1] - arrived[0];
    assert!(
        gap < WITHIN,
        "the next export came {gap:?} after the unanswered one: the 1000 ms timeout was not applied"
    );
}
