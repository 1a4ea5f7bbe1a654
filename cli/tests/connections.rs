//! Connection rules on both ports, through the binary: a connection that sends nothing (or only
//! the HTTP/2 preface and SETTINGS) is closed after `server.header_timeout_seconds`; an HTTP/2
//! or gRPC connection with no stream open is closed after `server.idle_timeout_seconds`, but
//! not while a slow stream runs; each advertises `server.max_concurrent_streams`; and past
//! `server.max_connections` new connections are refused cleanly while the others work on.

use crate::support;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use h2::client::SendRequest;
use mock_upstream::MockUpstream;
use prost::Message as _;
use support::{Gateway, Mode, config_file, eventually, mock};

const KEY: &str = "sk-connections-test";
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// An empty SETTINGS frame: length 0, type 4, no flags, stream 0.
const SETTINGS: &[u8] = &[0, 0, 0, 4, 0, 0, 0, 0, 0];
/// `server.header_timeout_seconds` and `server.idle_timeout_seconds` in these tests.
const TIMEOUT: Duration = Duration::from_secs(1);
/// `server.max_concurrent_streams` in these tests.
const STREAMS: usize = 4;
/// A connection due to close by a timeout is gone within this (timeout, the 2 s the server
/// gives a GOAWAY to be acknowledged, and a margin).
const CLOSE_WITHIN: Duration = Duration::from_secs(6);

fn config(mock: &MockUpstream, server: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    config_file(&format!(
        "server: {{ {server} }}\nauth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\nproviders:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up, models: [text, slow] }}\n",
        mock.base_url()
    ))
}

fn short_timeouts() -> String {
    format!(
        "header_timeout_seconds: {0}, idle_timeout_seconds: {0}, max_concurrent_streams: {STREAMS}",
        TIMEOUT.as_secs()
    )
}

/// Reads (and discards) what the server sends until it closes `tcp` (EOF or reset); how long
/// after `since` that was, or `None` if it is still open at `since + within`.
fn closed_within(tcp: &mut TcpStream, since: Instant, within: Duration) -> Option<Duration> {
    let mut buf = [0u8; 4096];
    loop {
        let left = (since + within).checked_duration_since(Instant::now())?;
        tcp.set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .expect("timeout");
        match tcp.read(&mut buf) {
            Ok(0) => return Some(since.elapsed()),
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return Some(since.elapsed()),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => panic!("read: {e}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn silent_connections_are_closed_after_the_header_timeout() {
    let mock = mock().await;
    let (_dir, file) = config(&mock, &short_timeouts());
    let gw = Gateway::start(Mode::Serve, &file, &[]).await;
    let preface_and_settings = [PREFACE, SETTINGS].concat();
    let cases: [(&str, &str, &[u8]); 5] = [
        (
            "http: preface and SETTINGS",
            gw.http_addr(),
            &preface_and_settings,
        ),
        ("http: preface", gw.http_addr(), PREFACE),
        ("http: nothing", gw.http_addr(), b""),
        (
            "grpc: preface and SETTINGS",
            gw.grpc_addr(),
            &preface_and_settings,
        ),
        ("grpc: nothing", gw.grpc_addr(), b""),
    ];
    let opened = Instant::now();
    let mut sockets: Vec<(&str, TcpStream)> = cases
        .iter()
        .map(|(name, addr, bytes)| {
            let mut tcp = TcpStream::connect(addr).expect("connects");
            tcp.write_all(bytes).expect("writes");
            (*name, tcp)
        })
        .collect();
    for (name, tcp) in &mut sockets {
        let took = closed_within(tcp, opened, CLOSE_WITHIN)
            .unwrap_or_else(|| panic!("{name}: still open after {CLOSE_WITHIN:?}"));
        assert!(
            took >= TIMEOUT - Duration::from_millis(100),
            "{name}: closed after {took:?}, before the header timeout"
        );
    }
}

/// An HTTP/2 connection to `addr`, driven in a task that ends when the connection does; the
/// peer's `SETTINGS_MAX_CONCURRENT_STREAMS` as last seen.
async fn h2_connect(
    addr: &str,
) -> (
    SendRequest<Bytes>,
    tokio::task::JoinHandle<()>,
    Arc<AtomicUsize>,
) {
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connects");
    let (send, mut connection) = h2::client::handshake(tcp).await.expect("h2 handshake");
    let limit = Arc::new(AtomicUsize::new(0));
    let seen = limit.clone();
    let task = tokio::spawn(async move {
        let _ = std::future::poll_fn(|cx| {
            let polled = Pin::new(&mut connection).poll(cx);
            seen.store(connection.max_concurrent_send_streams(), Ordering::SeqCst);
            polled
        })
        .await;
    });
    (send, task, limit)
}

type Answer = (http::response::Parts, Vec<u8>, Option<http::HeaderMap>);

/// One request on `send`: the response head, its whole body and its trailers.
async fn h2_call(send: &SendRequest<Bytes>, request: http::Request<()>, body: Bytes) -> Answer {
    try_h2_call(send, request, body).await.expect("answered")
}

async fn try_h2_call(
    send: &SendRequest<Bytes>,
    request: http::Request<()>,
    body: Bytes,
) -> Result<Answer, h2::Error> {
    let mut send = send.clone().ready().await?;
    let (response, mut stream) = send.send_request(request, false)?;
    stream.send_data(body, true)?;
    let (parts, mut recv) = response.await?.into_parts();
    let mut data = Vec::new();
    while let Some(chunk) = recv.data().await {
        let chunk = chunk?;
        let _ = recv.flow_control().release_capacity(chunk.len());
        data.extend_from_slice(&chunk);
    }
    let trailers = recv.trailers().await?;
    Ok((parts, data, trailers))
}

fn chat_sse_request(addr: &str, model: &str) -> (http::Request<()>, Bytes) {
    let request = http::Request::post(format!("http://{addr}/v1/chat/completions"))
        .header("authorization", format!("Bearer {KEY}"))
        .header("content-type", "application/json")
        .body(())
        .expect("request");
    let body = serde_json::json!({
        "model": model, "stream": true,
        "messages": [{"role": "user", "content": "hi"}],
    });
    (request, Bytes::from(body.to_string()))
}

fn grpc_request(addr: &str, method: &str, message: &[u8]) -> (http::Request<()>, Bytes) {
    let request = http::Request::post(format!("http://{addr}/{method}"))
        .header("authorization", format!("Bearer {KEY}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(())
        .expect("request");
    let mut framed = vec![0u8];
    framed.extend_from_slice(&u32::try_from(message.len()).expect("small").to_be_bytes());
    framed.extend_from_slice(message);
    (request, Bytes::from(framed))
}

fn slow_chat_rpc(addr: &str) -> (http::Request<()>, Bytes) {
    use modelgate::v1::{ChatCompletionRequest, Message, Role, message::Content};
    let message = ChatCompletionRequest {
        model: "mock/slow".into(),
        stream: true,
        messages: vec![Message {
            role: Role::User.into(),
            content: Some(Content::Text("hi".into())),
            ..Default::default()
        }],
        ..Default::default()
    };
    grpc_request(
        addr,
        "modelgate.v1.Gateway/ChatCompletion",
        &message.encode_to_vec(),
    )
}

/// Waits for the connection driven by `task` to end; how long after `since` that was.
async fn connection_end(task: tokio::task::JoinHandle<()>, since: Instant, what: &str) -> Duration {
    tokio::time::timeout(CLOSE_WITHIN, task)
        .await
        .unwrap_or_else(|_| {
            panic!("{what}: connection still open {CLOSE_WITHIN:?} after its last stream")
        })
        .expect("connection task");
    since.elapsed()
}

#[tokio::test(flavor = "multi_thread")]
async fn http2_connections_close_when_idle_but_not_during_a_slow_stream() {
    let mock = mock().await;
    let (_dir, file) = config(&mock, &short_timeouts());
    let gw = Gateway::start(Mode::Serve, &file, &[]).await;

    // HTTP port: a paced SSE stream lasting longer than the idle timeout arrives whole.
    let (send, task, limit) = h2_connect(gw.http_addr()).await;
    let started = Instant::now();
    let (request, body) = chat_sse_request(gw.http_addr(), "mock/slow");
    let (parts, data, _) = h2_call(&send, request, body).await;
    let text = String::from_utf8_lossy(&data);
    assert_eq!(parts.status, 200, "{text}");
    assert!(text.ends_with("data: [DONE]\n\n"), "cut short: {text}");
    assert!(
        started.elapsed() > TIMEOUT * 2,
        "not slow: {:?}",
        started.elapsed()
    );
    assert_eq!(
        limit.load(Ordering::SeqCst),
        STREAMS,
        "http: advertised stream limit"
    );
    // Then, with no stream open, the server closes it (a client that answers pings, too).
    // `send` stays alive: an h2 client with no handle left closes the connection itself.
    let idle_from = Instant::now();
    let took = connection_end(task, idle_from, "http").await;
    drop(send);
    assert!(
        took >= TIMEOUT - Duration::from_millis(100),
        "http: closed after {took:?}"
    );

    // gRPC port: a server stream paced slower than the idle timeout completes.
    let (send, task, limit) = h2_connect(gw.grpc_addr()).await;
    let started = Instant::now();
    let (request, body) = slow_chat_rpc(gw.grpc_addr());
    let (parts, data, trailers) = h2_call(&send, request, body).await;
    let status = trailers
        .as_ref()
        .and_then(|t| t.get("grpc-status"))
        .map(|v| v.to_str().unwrap_or_default().to_owned());
    assert_eq!(parts.status, 200);
    assert_eq!(status.as_deref(), Some("0"), "trailers: {trailers:?}");
    assert!(data.len() > 100, "chunks: {} bytes", data.len());
    assert!(
        started.elapsed() > TIMEOUT * 2,
        "not slow: {:?}",
        started.elapsed()
    );
    assert_eq!(
        limit.load(Ordering::SeqCst),
        STREAMS,
        "grpc: advertised stream limit"
    );
    let idle_from = Instant::now();
    let took = connection_end(task, idle_from, "grpc").await;
    drop(send);
    assert!(
        took >= TIMEOUT - Duration::from_millis(100),
        "grpc: closed after {took:?}"
    );
}

/// Split mode: a slow stream through facade and core is not cut; streams past the core's
/// per-connection limit are not queued behind it; the core closes the facade's idle
/// connection, and the facade reconnects.
#[tokio::test(flavor = "multi_thread")]
async fn split_mode_survives_the_cores_idle_timeout() {
    let mock = mock().await;
    let (_dir, file) = config(&mock, &short_timeouts());
    let gw = Gateway::start(Mode::Split, &file, &[]).await;
    let client = reqwest::Client::new();
    let chat = |model: &str, stream: bool| {
        client
            .post(gw.url("/v1/chat/completions"))
            .bearer_auth(KEY)
            .json(&serde_json::json!({
                "model": model, "stream": stream,
                "messages": [{"role": "user", "content": "hi"}],
            }))
            .send()
    };
    let slow_stream = || async {
        let slow = chat("mock/slow", true).await.expect("answers");
        assert_eq!(slow.status(), 200);
        let text = slow.text().await.expect("body");
        assert!(text.ends_with("data: [DONE]\n\n"), "cut short: {text}");
    };
    let started = Instant::now();
    slow_stream().await;
    let one = started.elapsed();
    assert!(one > TIMEOUT * 2, "not slow: {one:?}");
    // Twice the core's per-connection stream limit at once: the facade opens a second
    // connection rather than queue half of them behind the limit (which would take 2x).
    let started = Instant::now();
    futures::future::join_all((0..2 * STREAMS).map(|_| slow_stream())).await;
    let all = started.elapsed();
    assert!(
        all < one * 3 / 2,
        "{} streams took {all:?}, one {one:?}",
        2 * STREAMS
    );
    // Longer than the core's idle timeout and its close grace: the facade's connection to the
    // core is gone by now (the thing under test, not a readiness wait).
    tokio::time::sleep(TIMEOUT + Duration::from_secs(3)).await;
    let again = chat("mock/text", false).await.expect("answers");
    assert_eq!(
        again.status(),
        200,
        "{}",
        again.text().await.unwrap_or_default()
    );
}

/// `GET /health` over HTTP/1.1 keep-alive on `tcp`: the status line, headers and body.
fn http1_get(tcp: &mut TcpStream) -> String {
    tcp.write_all(b"GET /health HTTP/1.1\r\nhost: test\r\n\r\n")
        .expect("writes");
    tcp.set_read_timeout(Some(support::DEADLINE))
        .expect("timeout");
    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&response).to_string();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head.lines().find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
            });
            if length.is_some_and(|n| body.len() >= n) {
                return text;
            }
        }
        match tcp.read(&mut buf) {
            Ok(0) | Err(_) => return text,
            Ok(n) => response.extend_from_slice(&buf[..n]),
        }
    }
}

/// `grpc.health.v1.Health/Check` on `send`: its `grpc-status`, `None` if the call failed.
async fn grpc_health(send: &SendRequest<Bytes>, addr: &str) -> Option<String> {
    let (request, body) = grpc_request(addr, "grpc.health.v1.Health/Check", b"");
    let (_, _, trailers) = try_h2_call(send, request, body).await.ok()?;
    trailers?
        .get("grpc-status")
        .map(|v| v.to_str().unwrap_or_default().to_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_over_the_cap_are_refused_and_the_others_work_on() {
    let mock = mock().await;
    let (_dir, file) = config(
        &mock,
        "header_timeout_seconds: 30, idle_timeout_seconds: 30, max_connections: 2",
    );
    let gw = Gateway::start(Mode::Serve, &file, &[]).await;
    let http = gw.http_addr().to_owned();
    // The readiness probe's connection may take a moment to be seen closed.
    let open_ok = || {
        let deadline = Instant::now() + support::DEADLINE;
        loop {
            let mut tcp = TcpStream::connect(&http).expect("connects");
            if http1_get(&mut tcp).starts_with("HTTP/1.1 200") {
                return tcp;
            }
            assert!(Instant::now() < deadline, "no connection accepted");
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let mut kept = vec![open_ok(), open_ok()];
    for _ in 0..4 {
        let mut refused = TcpStream::connect(&http).expect("connects");
        let answer = http1_get(&mut refused);
        assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
        assert!(
            answer.contains("\"code\":\"too_many_connections\""),
            "{answer}"
        );
        assert!(
            answer.to_ascii_lowercase().contains("connection: close"),
            "{answer}"
        );
        assert!(
            closed_within(&mut refused, Instant::now(), Duration::from_secs(2)).is_some(),
            "refused connection left open"
        );
    }
    for tcp in &mut kept {
        assert!(
            http1_get(tcp).starts_with("HTTP/1.1 200"),
            "a kept connection stopped working"
        );
    }
    drop(kept.pop());
    let _third = open_ok();

    // gRPC: the same cap, and a connection over it is closed at once.
    let grpc = gw.grpc_addr().to_owned();
    let (first, first_task, _) = h2_connect(&grpc).await;
    let (second, _second_task, _) = h2_connect(&grpc).await;
    for send in [&first, &second] {
        assert_eq!(grpc_health(send, &grpc).await.as_deref(), Some("0"));
    }
    for _ in 0..3 {
        let mut refused = TcpStream::connect(&grpc).expect("connects");
        refused.write_all(PREFACE).expect("writes");
        assert!(
            closed_within(&mut refused, Instant::now(), Duration::from_secs(2)).is_some(),
            "grpc connection over the cap left open"
        );
    }
    assert_eq!(grpc_health(&first, &grpc).await.as_deref(), Some("0"));
    drop(first);
    first_task.abort();
    eventually("a new grpc connection once one closed", || {
        let grpc = grpc.clone();
        async move {
            let tcp = tokio::net::TcpStream::connect(&grpc)
                .await
                .expect("connects");
            let Ok(Ok((send, connection))) =
                tokio::time::timeout(Duration::from_secs(1), h2::client::handshake(tcp)).await
            else {
                return false;
            };
            tokio::spawn(async move {
                let _ = connection.await;
            });
            matches!(
                tokio::time::timeout(Duration::from_secs(1), grpc_health(&send, &grpc)).await,
                Ok(Some(status)) if status == "0"
            )
        }
    })
    .await;

    // Many refusals, one warning per listener.
    let log = gw.log();
    assert_eq!(log.matches("connection limit reached").count(), 2, "{log}");
}
