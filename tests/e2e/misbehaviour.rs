//! An upstream that misbehaves: every fault the mock can inject, and what the
//! client and the upstream see. The client always gets a clean end (a status,
//! or one error event closing the stream) within the configured timeout, and
//! no upstream response stays open afterwards.
//!
//! The hangs are bounded by the provider's whole-request `timeout` (seconds);
//! the idle and first-token timeouts of the routing work will bound them more
//! tightly once they land.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::harness::{CLIENT_KEY, Gateway, Mode, config_yaml, sse_data};

/// `timeout:` of the `bounded` provider, in seconds.
const TIMEOUT: f64 = 1.5;
/// How late after the timeout the client may see the end (scheduling on a
/// loaded two-core machine).
const SLACK: Duration = Duration::from_millis(2500);
/// A client-side bound, so a regression fails instead of hanging the suite.
const CLIENT_GIVES_UP: Duration = Duration::from_secs(30);

/// The standard config plus `bounded`: the mock again, with a short timeout.
fn yaml(base: &str) -> String {
    config_yaml(base, None).replacen(
        "providers:\n",
        &format!(
            "providers:\n  bounded: {{ kind: openai, api_base: \"{base}\", timeout: {TIMEOUT} }}\n"
        ),
        1,
    )
}

async fn start(mode: Mode) -> Gateway {
    Gateway::start_config(mode, yaml).await
}

/// What the client saw.
#[derive(Debug)]
struct Seen {
    status: u16,
    /// SSE `data:` payloads (streams) or the one JSON body.
    events: Vec<String>,
    elapsed: Duration,
}

impl Seen {
    fn last_json(&self) -> Value {
        self.events
            .last()
            .and_then(|e| serde_json::from_str(e).ok())
            .unwrap_or(Value::Null)
    }

    /// A stream that started, carried content, and ended with one error event.
    fn assert_started_then_one_error(&self, what: &str) {
        assert_eq!(self.status, 200, "{what}: {self:?}");
        assert!(
            self.events.iter().any(|e| e.contains("\"content\"")),
            "{what}: no content before the error"
        );
        let last = self.last_json();
        assert!(
            last["error"]["message"].is_string(),
            "{what}: ends with {last}"
        );
        assert_eq!(
            self.events
                .iter()
                .filter(|e| e.contains("\"error\""))
                .count(),
            1,
            "{what}: one error event"
        );
        assert!(
            !self.events.iter().any(|e| e == "[DONE]"),
            "{what}: no [DONE]"
        );
    }
}

async fn call(gw: &Gateway, model: &str, stream: bool) -> Seen {
    let started = Instant::now();
    let body =
        json!({"model": model, "stream": stream, "messages": [{"role": "user", "content": "hi"}]});
    let exchange = async {
        let resp = gw
            .client
            .post(gw.url("/v1/chat/completions"))
            .bearer_auth(CLIENT_KEY)
            .json(&body)
            .send()
            .await
            .expect("gateway answers");
        let status = resp.status().as_u16();
        let sse = resp
            .headers()
            .get("content-type")
            .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
        let text = resp.text().await.expect("the body ends cleanly");
        let events = if sse { sse_data(&text) } else { vec![text] };
        (status, events)
    };
    let (status, events) = tokio::time::timeout(CLIENT_GIVES_UP, exchange)
        .await
        .unwrap_or_else(|_| panic!("{model}: no end after {CLIENT_GIVES_UP:?}"));
    Seen {
        status,
        events,
        elapsed: started.elapsed(),
    }
}

/// The upstream saw its response given up or finished: nothing left open.
async fn assert_upstream_closed(gw: &Gateway, what: &str) {
    let stats = gw
        .mock
        .wait_for(|s| s.open_streams == 0, Duration::from_secs(2))
        .await;
    assert!(
        stats.is_ok(),
        "{what}: upstream response still open: {stats:?}"
    );
}

fn within_timeout(seen: &Seen, what: &str) {
    let timeout = Duration::from_secs_f64(TIMEOUT);
    assert!(
        seen.elapsed >= timeout.mul_f64(0.9) && seen.elapsed <= timeout + SLACK,
        "{what}: ended after {:?}, timeout {timeout:?}",
        seen.elapsed
    );
}

macro_rules! both_modes_misbehaving {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test]
            async fn serve() {
                let f = $body;
                f(start(Mode::Serve).await).await;
            }
            #[tokio::test]
            async fn split() {
                let f = $body;
                f(start(Mode::Split).await).await;
            }
        }
    };
}

both_modes_misbehaving!(hang_before_headers, |gw: Gateway| async move {
    for stream in [false, true] {
        let what = format!("hang stream={stream}");
        let seen = call(&gw, "bounded/hang", stream).await;
        assert_eq!(seen.status, 504, "{what}: {seen:?}");
        let err = seen.last_json();
        assert_eq!(err["error"]["code"], "upstream_timeout", "{what}: {err}");
        within_timeout(&seen, &what);
        assert_upstream_closed(&gw, &what).await;
    }
    assert_eq!(gw.mock.stats().dropped_streams, 2);
});

both_modes_misbehaving!(hang_mid_stream, |gw: Gateway| async move {
    let seen = call(&gw, "bounded/hang-mid-stream", true).await;
    seen.assert_started_then_one_error("hang-mid-stream");
    assert_eq!(seen.last_json()["error"]["code"], "upstream_timeout");
    within_timeout(&seen, "hang-mid-stream");
    assert_upstream_closed(&gw, "hang-mid-stream").await;
    assert_eq!(gw.mock.stats().dropped_streams, 1);
});

both_modes_misbehaving!(endless_stream, |gw: Gateway| async move {
    let seen = call(&gw, "bounded/endless", true).await;
    seen.assert_started_then_one_error("endless");
    // One event every 10 ms for the whole timeout reached the client.
    assert!(seen.events.len() > 20, "{} events", seen.events.len());
    assert_eq!(seen.last_json()["error"]["code"], "upstream_timeout");
    within_timeout(&seen, "endless");
    assert_upstream_closed(&gw, "endless").await;
    assert_eq!(gw.mock.stats().dropped_streams, 1);
});

both_modes_misbehaving!(reset_mid_stream, |gw: Gateway| async move {
    let seen = call(&gw, "mock/reset", true).await;
    seen.assert_started_then_one_error("reset");
    assert_upstream_closed(&gw, "reset").await;
});

both_modes_misbehaving!(garbage_bytes, |gw: Gateway| async move {
    let seen = call(&gw, "mock/garbage", true).await;
    assert_eq!(seen.status, 502, "{seen:?}");
    let err = seen.last_json();
    assert!(
        err["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("malformed")),
        "{err}"
    );
    assert_upstream_closed(&gw, "garbage").await;
});

both_modes_misbehaving!(huge_single_event, |gw: Gateway| async move {
    let seen = call(&gw, "mock/huge-event", true).await;
    // 10 MB is under the decoder's 16 MiB cap (larger events are refused,
    // see core/tests/fuzz_parsers.rs): delivered whole, in bounded time.
    assert_eq!(seen.status, 200, "{:.300?}", seen.events.last());
    let content: usize = seen
        .events
        .iter()
        .filter_map(|e| serde_json::from_str::<Value>(e).ok())
        .filter_map(|v| v["choices"][0]["delta"]["content"].as_str().map(str::len))
        .sum();
    assert_eq!(content, 10_000_000);
    assert_eq!(seen.events.last().map(String::as_str), Some("[DONE]"));
    assert!(seen.elapsed < Duration::from_secs(20), "{:?}", seen.elapsed);
    assert_upstream_closed(&gw, "huge-event").await;
});

both_modes_misbehaving!(wrong_content_type, |gw: Gateway| async move {
    let seen = call(&gw, "mock/wrong-content-type", true).await;
    assert_eq!(seen.status, 502, "{seen:?}");
    assert!(seen.last_json()["error"]["message"].is_string());
    assert_upstream_closed(&gw, "wrong-content-type").await;
});

both_modes_misbehaving!(error_body_with_200, |gw: Gateway| async move {
    for stream in [false, true] {
        let seen = call(&gw, "mock/error-in-200", stream).await;
        assert_eq!(seen.status, 400, "stream={stream}: {seen:?}");
        let err = seen.last_json();
        assert_eq!(
            err["error"]["param"], "max_tokens",
            "upstream's error kept: {err}"
        );
        assert_upstream_closed(&gw, "error-in-200").await;
    }
});

// The client leaves an endless stream: the upstream is let go at once.
both_modes_misbehaving!(client_leaves_endless_stream, |gw: Gateway| async move {
    use futures::StreamExt;
    let resp = gw
        .post(
            "/v1/chat/completions",
            &json!({"model": "mock/endless", "stream": true, "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let mut body = resp.bytes_stream();
    for _ in 0..3 {
        body.next().await.expect("events").expect("bytes");
    }
    drop(body);
    let stats = gw
        .mock
        .wait_for(
            |s| s.open_streams == 0 && s.dropped_streams == 1,
            Duration::from_secs(1),
        )
        .await;
    assert!(
        stats.is_ok(),
        "endless upstream outlived its client: {stats:?}"
    );
});
