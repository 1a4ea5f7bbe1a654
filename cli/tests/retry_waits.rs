//! How long modelgate waits around upstream failures: `router_settings.retry_after` (shortest
//! wait before retrying the same deployment), an upstream's `retry-after-ms` (honoured before
//! a retry, passed on to the client with the error) and `router_settings.connect_timeout`
//! (the bound on a TCP connect that gets no answer).

use crate::support;

use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Gateway, Mode, config_file, mock};

const KEY: &str = "sk-retry-waits-test";

fn config(base: &str, router: &str) -> String {
    format!(
        "auth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\n\
         router_settings: {{ {router} }}\n\
         providers:\n  mock: {{ kind: openai, api_base: \"{base}\", api_key: sk-up-0123456789 }}\n"
    )
}

async fn chat(gw: &Gateway, model: &str) -> (reqwest::Response, Duration) {
    let started = Instant::now();
    let resp = reqwest::Client::new()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(KEY)
        .timeout(Duration::from_secs(30))
        .json(&json!({"model": model, "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .expect("answers");
    (resp, started.elapsed())
}

fn header<'a>(resp: &'a reqwest::Response, name: &str) -> &'a str {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no {name} header in {:?}", resp.headers()))
}

#[tokio::test(flavor = "multi_thread")]
async fn retry_after_is_the_shortest_wait_before_retrying_a_deployment() {
    let mock = mock().await;
    // A 500 carries no wait of its own and the backoff step is 10 ms: only `retry_after`
    // can make the retry wait 1.5 s.
    let (_dir, file) = config_file(&config(
        &mock.base_url(),
        "num_retries: 1, retry_after: 1.5, retry_backoff: 0.01",
    ));
    let gw = Gateway::start(Mode::Serve, &file, &[]).await;
    let (resp, elapsed) = chat(&gw, "mock/fail-1-500-retry-after").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(header(&resp, "x-modelgate-attempts"), "2");
    assert_eq!(mock.requests().len(), 2);
    assert!(elapsed >= Duration::from_millis(1500), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(6), "{elapsed:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn upstream_retry_after_ms_is_waited_for_before_a_retry() {
    let mock = mock().await;
    let (_dir, file) = config_file(&config(
        &mock.base_url(),
        "num_retries: 1, retry_backoff: 0.01",
    ));
    let gw = Gateway::start(Mode::Serve, &file, &[]).await;
    // The 429 says `retry-after-ms: 1500` and nothing else about waiting.
    let (resp, elapsed) = chat(&gw, "mock/throttle-ms-1-1500-honoured").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(header(&resp, "x-modelgate-attempts"), "2");
    assert_eq!(mock.requests().len(), 2);
    assert!(elapsed >= Duration::from_millis(1500), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(6), "{elapsed:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn upstream_retry_after_ms_reaches_the_client_in_both_modes() {
    let mock = mock().await;
    let (_dir, file) = config_file(&config(&mock.base_url(), "num_retries: 0"));
    for mode in [Mode::Serve, Mode::Split] {
        let gw = Gateway::start(mode, &file, &[]).await;
        let model = format!("mock/throttle-ms-1-1500-{mode:?}");
        let (resp, _) = chat(&gw, &model).await;
        assert_eq!(resp.status(), 429, "{mode:?}");
        assert_eq!(header(&resp, "retry-after-ms"), "1500", "{mode:?}");
        // Whole seconds, rounded up, for clients that read only `retry-after`.
        assert_eq!(header(&resp, "retry-after"), "2", "{mode:?}");
        let body: Value = resp.json().await.expect("json");
        assert_eq!(
            body["error"]["type"], "rate_limit_error",
            "{mode:?}: {body}"
        );
    }
}

/// A listener on loopback that completes no more handshakes: its accept queue (backlog 0) is
/// filled with connections it never accepts, after which Linux drops every new SYN
/// (`ListenOverflows`), so a connect to it stalls (the client retransmits its SYN) instead of
/// being refused. Checked here before use: a probe connect must time out.
struct Stalled {
    addr: SocketAddr,
    _listener: tokio::net::TcpListener,
    _queued: Vec<TcpStream>,
}

fn stalled_listener() -> Stalled {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .expect("bind");
    let listener = socket.listen(0).expect("listen");
    let addr = listener.local_addr().expect("addr");
    let mut queued = Vec::new();
    for _ in 0..16 {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
            Ok(stream) => queued.push(stream),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                return Stalled {
                    addr,
                    _listener: listener,
                    _queued: queued,
                };
            }
            Err(e) => panic!("probe connect to {addr}: {e}"),
        }
    }
    panic!("{addr} kept accepting connections: no stalled connect to test with");
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_timeout_bounds_a_connect_that_gets_no_answer() {
    let stalled = stalled_listener();
    let base = format!("http://{}/v1", stalled.addr);
    let (_dir, file) = config_file(&format!(
        "auth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\n\
         router_settings: {{ connect_timeout: 1, num_retries: 0 }}\n\
         providers:\n  stalled: {{ kind: openai, api_base: \"{base}\", models: [text] }}\n"
    ));
    let gw = Gateway::start(Mode::Serve, &file, &[]).await;
    let (resp, elapsed) = chat(&gw, "stalled/text").await;
    let status = resp.status();
    let body: Value = resp.json().await.expect("json");
    assert_eq!(status, 504, "{body}");
    assert_eq!(body["error"]["code"], "upstream_timeout", "{body}");
    // The built-in connect limit is 10 s; 1 s was configured.
    assert!(elapsed >= Duration::from_millis(900), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}
