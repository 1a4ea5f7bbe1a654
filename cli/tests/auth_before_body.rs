//! Through the binary, in `serve` and split mode: the caller's key is checked from the
//! headers (HTTP) or metadata (gRPC) before the body or message is read, so callers without a
//! valid key cost a small constant however much they send; the gRPC message limit is the body
//! limit; valid keys, every header form and open gateways work as before; and a key removed by a
//! reload is refused by a split facade, before it reads the body, within a couple of seconds.

use crate::support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use mock_upstream::MockUpstream;
use modelgate::error::GatewayError;
use modelgate::v1::gateway_client::GatewayClient;
use modelgate::v1::message::Content;
use modelgate::v1::{ChatCompletionRequest, Message, Role};
use nix::sys::signal::Signal;
use serde_json::{Value, json};
use support::{Gateway, Mode, Process, config_file, mock};
use tonic::Code;
use tonic::transport::Channel;

const KEY: &str = "sk-authfirst-valid";
const SECOND: &str = "sk-authfirst-second";
const MIB: usize = 1024 * 1024;
/// Each unauthenticated HTTP body.
const BODY: usize = 30 * MIB;
/// The unauthenticated gRPC message.
const MESSAGE: usize = 60 * MIB;
/// Most the process reading requests may grow while they are in flight.
const RSS_BOUND_KIB: u64 = 40 * 1024;
/// Bodies are sent in pieces this large with a pause between them, slowly enough to sample
/// the server's memory while they arrive.
const PIECE: usize = 256 * 1024;
const PAUSE: Duration = Duration::from_millis(4);

/// A config with `keys` (none: an open gateway) and an optional body limit.
fn config(mock: &MockUpstream, keys: &[&str], body_limit_mb: Option<u32>) -> String {
    let server = body_limit_mb
        .map(|mb| format!("server: {{ body_limit_mb: {mb} }}\n"))
        .unwrap_or_default();
    let auth = if keys.is_empty() {
        String::new()
    } else {
        let list: String = keys
            .iter()
            .enumerate()
            .map(|(i, k)| format!("    - {{ name: key{i}, key: {k} }}\n"))
            .collect();
        format!("auth:\n  keys:\n{list}")
    };
    format!(
        "{server}{auth}providers:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up, models: [text] }}\n",
        mock.base_url()
    )
}

/// A chat request body of exactly `size` bytes.
fn chat_body(size: usize) -> Vec<u8> {
    let head = br#"{"model":"mock/text","messages":[{"role":"user","content":""#;
    let tail = br#""}]}"#;
    let mut body = Vec::with_capacity(size);
    body.extend_from_slice(head);
    body.resize(size - tail.len(), b'a');
    body.extend_from_slice(tail);
    body
}

/// What a raw HTTP/1.1 upload saw.
#[derive(Debug)]
struct Upload {
    status: u16,
    body: String,
    /// Body bytes the server's socket took before it closed.
    sent: usize,
    /// The server closed the connection after answering.
    closed: bool,
}

/// POSTs a `size`-byte chat body to `addr` in paced pieces while reading the answer, stopping
/// when the server stops taking the body. Blocking; run it on its own thread.
fn upload(addr: String, headers: Vec<String>, size: usize) -> Upload {
    let mut stream = TcpStream::connect(&addr).expect("connect");
    let mut reader = stream.try_clone().expect("socket clone");
    let answer = std::thread::spawn(move || read_answer(&mut reader));
    let extra: String = headers.iter().map(|h| format!("{h}\r\n")).collect();
    let head = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {size}\r\n{extra}\r\n"
    );
    stream.write_all(head.as_bytes()).expect("head sent");
    let mut sent = 0;
    for piece in chat_body(size).chunks(PIECE) {
        if stream.write_all(piece).is_err() {
            break;
        }
        sent += piece.len();
        std::thread::sleep(PAUSE);
    }
    let (status, body, closed) = answer.join().expect("reader");
    Upload {
        status,
        body,
        sent,
        closed,
    }
}

/// Reads one response (status, body), then whether the server closes the connection: EOF or
/// reset within 3 s.
fn read_answer(stream: &mut TcpStream) -> (u16, String, bool) {
    stream
        .set_read_timeout(Some(support::DEADLINE))
        .expect("timeout");
    let mut data = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    // The head, then a body of `content-length` bytes or in chunks (the facade streams its
    // bodies, so errors come chunked).
    let head_end = loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        match stream.read(&mut buf) {
            Ok(n) if n > 0 => data.extend_from_slice(&buf[..n]),
            other => panic!(
                "no response head: {other:?}, got {:?}",
                String::from_utf8_lossy(&data)
            ),
        }
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_lowercase();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    let complete = |data: &[u8]| match length {
        Some(length) => data.len() >= head_end + length,
        None => data.ends_with(b"0\r\n\r\n"),
    };
    while !complete(&data) {
        match stream.read(&mut buf) {
            Ok(n) if n > 0 => data.extend_from_slice(&buf[..n]),
            other => panic!("response body cut: {other:?}"),
        }
    }
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = match length {
        Some(length) => data[head_end..head_end + length].to_vec(),
        None => dechunk(&data[head_end..]),
    };
    let body = String::from_utf8_lossy(&body).into_owned();
    stream
        .set_read_timeout(Some(Duration::from_secs(3)))
        .expect("timeout");
    let closed = loop {
        match stream.read(&mut buf) {
            Ok(0) => break true,
            Ok(_) => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                break false;
            }
            Err(_) => break true,
        }
    };
    (status, body, closed)
}

/// Whether the server answers 401 to a request whose 30 MiB body has barely begun (within
/// 300 ms of its first piece), rather than waiting for the rest of it.
fn refused_before_body(addr: &str, header: &str) -> bool {
    let mut stream = TcpStream::connect(addr).expect("connect");
    let head = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {BODY}\r\n{header}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).expect("head sent");
    stream
        .write_all(&chat_body(BODY)[..PIECE])
        .expect("piece sent");
    stream
        .set_read_timeout(Some(Duration::from_millis(300)))
        .expect("timeout");
    let mut buf = [0u8; 64];
    matches!(stream.read(&mut buf), Ok(n) if buf[..n].starts_with(b"HTTP/1.1 401"))
}

/// The payload of a chunked body.
fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(&String::from_utf8_lossy(&data[..end]), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 2 + size + 2..];
    }
    out
}

/// Peak RSS (KiB) of `process` sampled every 10 ms until every task in `tasks` ends.
async fn peak_rss_while<T>(process: &Process, tasks: &[tokio::task::JoinHandle<T>]) -> u64 {
    let mut peak = process.rss_kib();
    while tasks.iter().any(|t| !t.is_finished()) {
        peak = peak.max(process.rss_kib());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    peak.max(process.rss_kib())
}

async fn chat(gw: &Gateway, header: Option<(&str, String)>) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .post(gw.url("/v1/chat/completions"))
        .json(&json!({"model": "mock/text", "messages": [{"role": "user", "content": "hi"}]}));
    if let Some((name, value)) = header {
        request = request.header(name, value);
    }
    request.send().await.expect("answers")
}

fn grpc_chat(size: usize) -> ChatCompletionRequest {
    ChatCompletionRequest {
        model: "mock/text".into(),
        messages: vec![Message {
            role: Role::User as i32,
            content: Some(Content::Text("a".repeat(size))),
            ..Default::default()
        }],
        ..Default::default()
    }
}

async fn grpc_client(gw: &Gateway) -> GatewayClient<Channel> {
    GatewayClient::connect(gw.grpc.clone())
        .await
        .expect("core reachable")
        .max_encoding_message_size(128 * MIB)
}

fn authed<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {KEY}").parse().expect("ascii"),
    );
    request
}

#[tokio::test(flavor = "multi_thread")]
async fn bodies_without_a_valid_key_are_refused_before_they_are_read() {
    let mock = mock().await;
    let (_dir, file) = config_file(&config(&mock, &[KEY], None));
    for mode in [Mode::Serve, Mode::Split] {
        let gw = Gateway::start(mode, &file, &[]).await;
        // Warm up both paths so the baseline includes what any first request allocates.
        assert_eq!(chat(&gw, None).await.status(), 401);
        assert_eq!(
            chat(&gw, Some(("authorization", format!("Bearer {KEY}"))))
                .await
                .status(),
            200
        );
        let process = gw.http_process();
        let baseline = process.rss_kib();
        let headers = [
            vec![],
            vec![],
            vec!["Authorization: Bearer sk-wrong".to_owned()],
            vec!["x-api-key: sk-wrong".to_owned()],
        ];
        let tasks: Vec<_> = headers
            .into_iter()
            .map(|h| {
                let addr = gw.http_addr().to_owned();
                tokio::task::spawn_blocking(move || upload(addr, h, BODY))
            })
            .collect();
        let peak = peak_rss_while(process, &tasks).await;
        eprintln!(
            "{mode:?}: HTTP process RSS baseline {baseline} KiB, peak {peak} KiB (+{} KiB) with 4 x {} MiB bodies without a valid key",
            peak.saturating_sub(baseline),
            BODY / MIB
        );
        for task in tasks {
            let up = task.await.expect("upload");
            assert_eq!(up.status, 401, "{mode:?}: {up:?}");
            let body: Value = serde_json::from_str(&up.body).expect("json error");
            assert_eq!(body["error"]["code"], "invalid_api_key", "{mode:?}");
            assert!(
                up.sent < BODY / 2,
                "{mode:?}: the server took {} of {BODY} body bytes",
                up.sent
            );
            assert!(up.closed, "{mode:?}: connection kept open after the 401");
        }
        assert!(
            peak.saturating_sub(baseline) < RSS_BOUND_KIB,
            "{mode:?}: RSS grew from {baseline} to {peak} KiB"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn grpc_messages_without_a_key_are_refused_before_they_are_decoded() {
    let mock = mock().await;
    let (_dir, file) = config_file(&config(&mock, &[KEY], None));
    for mode in [Mode::Serve, Mode::Split] {
        let gw = Gateway::start(mode, &file, &[]).await;
        let mut client = grpc_client(&gw).await;
        let warm = client
            .chat_completion(grpc_chat(16))
            .await
            .expect_err("no key");
        assert_eq!(warm.code(), Code::Unauthenticated);
        let message = grpc_chat(MESSAGE);
        let baseline = gw.core.rss_kib();
        let call = tokio::spawn(async move { client.chat_completion(message).await.map(drop) });
        let peak = peak_rss_while(&gw.core, std::slice::from_ref(&call)).await;
        eprintln!(
            "{mode:?}: core RSS baseline {baseline} KiB, peak {peak} KiB (+{} KiB) with a {} MiB gRPC message without a key",
            peak.saturating_sub(baseline),
            MESSAGE / MIB
        );
        let status = call.await.expect("call").expect_err("no key");
        assert_eq!(status.code(), Code::Unauthenticated, "{mode:?}: {status:?}");
        let err = GatewayError::from_status(&status);
        assert_eq!(err.code.as_deref(), Some("invalid_api_key"), "{mode:?}");
        assert!(
            peak.saturating_sub(baseline) < RSS_BOUND_KIB,
            "{mode:?}: core RSS grew from {baseline} to {peak} KiB"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn messages_over_the_body_limit_are_too_large_on_both_surfaces() {
    let mock = mock().await;
    let (_dir, file) = config_file(&config(&mock, &[KEY], Some(1)));
    for mode in [Mode::Serve, Mode::Split] {
        let gw = Gateway::start(mode, &file, &[]).await;
        let mut client = grpc_client(&gw).await;
        let fits = client
            .chat_completion(authed(grpc_chat(1024)))
            .await
            .map(drop);
        assert!(fits.is_ok(), "{mode:?}: {fits:?}");
        let status = client
            .chat_completion(authed(grpc_chat(2 * MIB)))
            .await
            .map(drop)
            .expect_err("over the limit");
        assert_eq!(status.code(), Code::OutOfRange, "{mode:?}: {status:?}");
        let err = GatewayError::from_status(&status);
        assert_eq!(err.code.as_deref(), Some("request_too_large"), "{mode:?}");
        assert_eq!(err.http_status(), 413, "{mode:?}");

        // A raw upload that reads the answer while it writes: the gateway answers before the
        // body is all sent and closes the connection, so writing the rest may fail (an HTTP
        // client would then report the broken pipe, not the answer).
        let post = |headers: Vec<String>| {
            let addr = gw.http_addr().to_owned();
            tokio::task::spawn_blocking(move || upload(addr, headers, 2 * MIB))
        };
        let too_large = post(vec![format!("Authorization: Bearer {KEY}")])
            .await
            .expect("upload");
        assert_eq!(too_large.status, 413, "{mode:?}: {too_large:?}");
        let body: Value = serde_json::from_str(&too_large.body).expect("json");
        assert_eq!(body["error"]["code"], "request_too_large", "{mode:?}");
        // The key comes first: without one, the size is never looked at.
        let unauth = post(Vec::new()).await.expect("upload");
        assert_eq!(unauth.status, 401, "{mode:?}: {unauth:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn valid_keys_in_every_header_form_still_work() {
    let mock = mock().await;
    let (_dir, file) = config_file(&config(&mock, &[KEY], None));
    for mode in [Mode::Serve, Mode::Split] {
        let gw = Gateway::start(mode, &file, &[]).await;
        for header in [
            ("authorization", format!("Bearer {KEY}")),
            ("api-key", KEY.to_owned()),
            ("x-api-key", KEY.to_owned()),
        ] {
            let name = header.0;
            let answer = chat(&gw, Some(header)).await;
            assert_eq!(answer.status(), 200, "{mode:?} {name}");
            let body: Value = answer.json().await.expect("json");
            assert!(
                body["choices"][0]["message"]["content"]
                    .as_str()
                    .is_some_and(|t| !t.is_empty()),
                "{mode:?} {name}: {body}"
            );
        }
        let http = reqwest::Client::new();
        let embeddings = http
            .post(gw.url("/v1/embeddings"))
            .bearer_auth(KEY)
            .json(&json!({"model": "mock/text", "input": "a"}))
            .send()
            .await
            .expect("answers");
        assert_eq!(embeddings.status(), 200, "{mode:?}");
        let body: Value = embeddings.json().await.expect("json");
        assert!(
            body["data"][0]["embedding"]
                .as_array()
                .is_some_and(|v| !v.is_empty()),
            "{mode:?}: {body}"
        );
        let refused = http
            .post(gw.url("/v1/embeddings"))
            .header("x-api-key", "sk-wrong")
            .json(&json!({"model": "mock/text", "input": "a"}))
            .send()
            .await
            .expect("answers");
        assert_eq!(refused.status(), 401, "{mode:?}");
        let body: Value = refused.json().await.expect("json");
        assert_eq!(body["error"]["code"], "invalid_api_key", "{mode:?}");
        assert_eq!(body["error"]["type"], "invalid_request_error", "{mode:?}");
        // Unknown routes keep their 404, key or not.
        let unknown = http
            .post(gw.url("/v1/nothing"))
            .body("{}")
            .send()
            .await
            .expect("answers");
        assert_eq!(unknown.status(), 404, "{mode:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_open_gateway_needs_no_key() {
    let mock = mock().await;
    let (_dir, file) = config_file(&config(&mock, &[], None));
    for mode in [Mode::Serve, Mode::Split] {
        let gw = Gateway::start(mode, &file, &[]).await;
        assert_eq!(chat(&gw, None).await.status(), 200, "{mode:?}");
        let mut client = grpc_client(&gw).await;
        let answer = client.chat_completion(grpc_chat(16)).await.map(drop);
        assert!(answer.is_ok(), "{mode:?}: {answer:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_removed_by_a_reload_is_refused_before_its_body_within_seconds() {
    let mock = mock().await;
    let (_dir, file) = config_file(&config(&mock, &[KEY, SECOND], None));
    let gw = Gateway::start(Mode::Split, &file, &[]).await;
    let second = || Some(("authorization", format!("Bearer {SECOND}")));
    // The facade now remembers that the core accepted SECOND.
    assert_eq!(chat(&gw, second()).await.status(), 200);
    std::fs::write(&file, config(&mock, &[KEY], None)).expect("rewrite config");
    let reloaded = Instant::now();
    gw.core.signal(Signal::SIGHUP);
    let refused_early = loop {
        let addr = gw.http_addr().to_owned();
        let refused = tokio::task::spawn_blocking(move || {
            refused_before_body(&addr, &format!("Authorization: Bearer {SECOND}"))
        })
        .await
        .expect("probe");
        if refused {
            break reloaded.elapsed();
        }
        assert!(
            reloaded.elapsed() < Duration::from_secs(10),
            "the removed key's bodies are still awaited 10 s after the reload"
        );
    };
    eprintln!("removed key refused before its body {refused_early:?} after SIGHUP");
    assert!(
        refused_early < Duration::from_secs(3),
        "took {refused_early:?}"
    );
    assert_eq!(
        chat(&gw, Some(("authorization", format!("Bearer {KEY}"))))
            .await
            .status(),
        200
    );
}
