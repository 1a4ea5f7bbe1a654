//! The log output the binary installs, captured in process: with
//! `--log-format json` each request ends in exactly one info line carrying
//! every field, every line of a request carries its request id, the body log
//! (when enabled) redacts keys and images, and no key, prompt or completion
//! ever reaches info. Its own test binary: the subscriber is process-wide.

#[allow(dead_code)]
#[path = "e2e/harness.rs"]
mod harness;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use harness::{CLIENT_KEY, Gateway, Mode, PROVIDER_KEY};
use modelgate_telemetry::{LogFormat, LogOptions};
use serde_json::{Value, json};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;

    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}

impl Capture {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().expect("lock").clone()).expect("utf8 logs")
    }

    fn lines(&self) -> Vec<Value> {
        self.text()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }

    /// The `modelgate::request` lines of `request_id`, once there are any.
    async fn request_lines(&self, request_id: &str) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let lines: Vec<Value> = self
                .lines()
                .into_iter()
                .filter(|l| l["target"] == "modelgate::request" && l["request_id"] == request_id)
                .collect();
            if !lines.is_empty() {
                return lines;
            }
            assert!(
                Instant::now() < deadline,
                "no request line for {request_id}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The request ids of the spans a line was written in.
fn span_ids(line: &Value) -> Vec<String> {
    line["spans"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["request_id"].as_str().map(str::to_owned))
        .collect()
}

const PROMPT: &str = "my very private prompt words";
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk";

async fn requests_are_logged_once_with_every_field(mode: Mode, capture: &Capture) {
    let gw = Gateway::start(mode).await;
    let id = format!("log-test-{mode:?}");
    let resp = gw
        .client
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(CLIENT_KEY)
        .header("x-request-id", &id)
        .json(&json!({"model": "mock/text", "stream": true, "stream_options": {"include_usage": true},
            "messages": [{"role": "user", "content": [
                {"type": "text", "text": PROMPT},
                {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{PNG}")}}]}]}))
        .send()
        .await
        .expect("answers");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-request-id"], id.as_str());
    resp.text().await.expect("sse");

    let lines = capture.request_lines(&id).await;
    assert_eq!(lines.len(), 1, "exactly one line per request: {lines:?}");
    let line = &lines[0];
    assert_eq!(line["level"], "INFO");
    for field in [
        "request_id",
        "key",
        "model",
        "provider",
        "upstream_model",
        "stream",
        "status",
        "prompt_tokens",
        "completion_tokens",
        "reasoning_tokens",
        "cached_tokens",
        "ttft_ms",
        "duration_ms",
        "attempts",
    ] {
        assert!(
            line.get(field).is_some(),
            "request line lacks `{field}`: {line}"
        );
    }
    assert_eq!(line["key"], "tests", "the key's name, never the key");
    assert_eq!(line["model"], "mock/text");
    assert_eq!(line["provider"], "mock");
    assert_eq!(line["upstream_model"], "text");
    assert_eq!(line["stream"], true);
    assert_eq!(line["status"], 200);
    assert_eq!(line["attempts"], 1);
    assert!(line["prompt_tokens"].as_u64().is_some_and(|n| n > 0));

    // The body log: on at debug, inside the request's span, redacted.
    let bodies: Vec<Value> = capture
        .lines()
        .into_iter()
        .filter(|l| l["target"] == "modelgate::body" && span_ids(l).contains(&id))
        .collect();
    let request_body = bodies
        .iter()
        .find(|l| l["direction"] == "request")
        .unwrap_or_else(|| panic!("no request body line for {id}"));
    let shown = request_body["body"].as_str().expect("body text");
    assert!(shown.contains("[data URI image/png"), "{shown}");
    assert!(!shown.contains(PNG), "image data logged: {shown}");
    assert!(
        bodies.iter().any(|l| l["direction"] == "chunk"),
        "stream chunks logged"
    );

    // A failure carries its error; the gRPC span carries the same id.
    let failed_id = format!("log-test-fail-{mode:?}");
    let resp = gw
        .client
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(CLIENT_KEY)
        .header("x-request-id", &failed_id)
        .json(&json!({"model": "down/x", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .expect("answers");
    assert_eq!(resp.status(), 502);
    assert_eq!(resp.headers()["x-request-id"], failed_id.as_str());
    let failed = capture.request_lines(&failed_id).await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["status"], 502);
    assert!(failed[0]["error"].as_str().is_some_and(|e| !e.is_empty()));
    assert!(
        span_ids(&failed[0]).contains(&failed_id),
        "the request line sits in the RPC span carrying the id: {}",
        failed[0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_request_log() {
    let capture = Capture::default();
    let _telemetry = modelgate_telemetry::logs::init_with_writer(
        LogOptions {
            format: LogFormat::Json,
            filter: Some("info".into()),
            bodies: true,
            ..LogOptions::default()
        },
        capture.clone(),
    )
    .expect("logging starts");
    requests_are_logged_once_with_every_field(Mode::Serve, &capture).await;
    requests_are_logged_once_with_every_field(Mode::Split, &capture).await;

    let all = capture.text();
    assert!(!all.contains(CLIENT_KEY), "the client key was logged");
    assert!(!all.contains(PROVIDER_KEY), "the provider key was logged");
    for line in capture.lines() {
        if line["level"] != "DEBUG" {
            assert!(!line.to_string().contains(PROMPT), "prompt at info: {line}");
        }
    }
    // Every line written inside a request's span names the request.
    for line in capture.lines() {
        if let Some(spans) = line["spans"].as_array()
            && !spans.is_empty()
        {
            assert!(
                !span_ids(&line).is_empty(),
                "a request's line without its id: {line}"
            );
        }
    }
}
