//! A client that misbehaves gets a 4xx (or its connection closed) within the
//! server's read timeouts, and everyone else keeps being served meanwhile.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::both_modes;
use crate::harness::{CLIENT_KEY, Gateway, Mode, config_yaml};

const HEADER_TIMEOUT: Duration = Duration::from_secs(1);
const BODY_TIMEOUT: Duration = Duration::from_secs(1);
/// Scheduling slack on a loaded two-core machine.
const SLACK: Duration = Duration::from_secs(2);

/// `modelgate serve` with both read timeouts set in its config file.
async fn start_strict() -> Gateway {
    start_strict_in(Mode::Serve).await
}

/// With the read timeouts set in the config file, the mode's HTTP process (`serve`, or `facade`
/// reading the `server` section of its `--config`) applies them.
async fn start_strict_in(mode: Mode) -> Gateway {
    Gateway::start_config(mode, |base| {
        format!(
            "server: {{ header_timeout_seconds: {}, body_timeout_seconds: {} }}\n{}",
            HEADER_TIMEOUT.as_secs(),
            BODY_TIMEOUT.as_secs(),
            config_yaml(base, None)
        )
    })
    .await
}

fn chat() -> Value {
    json!({"model": "mock/text", "messages": [{"role": "user", "content": "hi"}]})
}

/// A normal call answers, and quickly. A fresh connection each time: with
/// these 1 s test timeouts the server closes idle keep-alive connections
/// fast, and a pooled one could be reused just as it closes.
async fn assert_serving(gw: &Gateway) {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");
    let started = Instant::now();
    let resp = client
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(CLIENT_KEY)
        .json(&chat())
        .send()
        .await
        .expect("gateway answers");
    assert_eq!(resp.status(), 200);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "a normal call took {:?}",
        started.elapsed()
    );
}

/// Writes `head` and then `trickle` one byte every 100 ms, reading whatever
/// the server answers; returns what it answered and when the server closed
/// the connection (or stopped reading).
async fn slow_client(addr: SocketAddr, head: &[u8], trickle: &[u8]) -> (String, Duration) {
    let tcp = TcpStream::connect(addr).await.expect("connect");
    let started = Instant::now();
    let (mut rd, mut wr) = tcp.into_split();
    wr.write_all(head).await.expect("head");
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let mut next = trickle.iter().cycle();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let deadline = tokio::time::sleep(Duration::from_secs(15));
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            read = rd.read(&mut buf) => match read {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            },
            _ = tick.tick() => {
                let byte = [*next.next().unwrap_or(&b'a')];
                if wr.write_all(&byte).await.is_err() {
                    break;
                }
            }
            () = &mut deadline => panic!("server still reading a slow client after 15 s"),
        }
    }
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test]
async fn slow_loris_headers_are_cut_off() {
    let gw = start_strict().await;
    let head = b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nx-slow: ";
    let loris: Vec<_> = (0..50)
        .map(|_| tokio::spawn(slow_client(gw.http, head, b"a")))
        .collect();
    // Everyone else is served while fifty connections trickle headers.
    assert_serving(&gw).await;
    for task in loris {
        let (answer, took) = task.await.expect("slow client");
        assert!(
            took <= HEADER_TIMEOUT + SLACK,
            "slow headers held the connection for {took:?}"
        );
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
            "unexpected answer: {answer}"
        );
    }
    assert_serving(&gw).await;
}

#[tokio::test]
async fn slow_loris_body_gets_a_4xx() {
    slow_loris_body_gets_a_4xx_in(Mode::Serve).await;
}

#[tokio::test]
async fn slow_loris_body_gets_a_4xx_split() {
    slow_loris_body_gets_a_4xx_in(Mode::Split).await;
}

async fn slow_loris_body_gets_a_4xx_in(mode: Mode) {
    let gw = start_strict_in(mode).await;
    let head = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {CLIENT_KEY}\r\n\
         content-type: application/json\r\ncontent-length: 100000\r\n\r\n{{\"model\":"
    );
    let loris: Vec<_> = (0..50)
        .map(|_| {
            let head = head.clone().into_bytes();
            let addr = gw.http;
            tokio::spawn(async move { slow_client(addr, &head, b" ").await })
        })
        .collect();
    assert_serving(&gw).await;
    for task in loris {
        let (answer, took) = task.await.expect("slow client");
        assert!(
            took <= BODY_TIMEOUT + SLACK,
            "slow body held the connection for {took:?}"
        );
        assert!(answer.starts_with("HTTP/1.1 400"), "answer: {answer}");
        assert!(answer.contains("not received within"), "answer: {answer}");
    }
    assert_serving(&gw).await;
}

/// A connection that never sends a byte is closed too.
#[tokio::test]
async fn silent_connection_is_closed() {
    let gw = start_strict().await;
    let mut tcp = TcpStream::connect(gw.http).await.expect("connect");
    let started = Instant::now();
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(10), tcp.read(&mut buf))
        .await
        .expect("server closed a silent connection");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    assert!(started.elapsed() <= HEADER_TIMEOUT + SLACK);
}

async fn status_and_error(gw: &Gateway, body: reqwest::Body) -> (u16, Value) {
    let resp = gw
        .client
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(CLIENT_KEY)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("answer");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

both_modes!(hostile_bodies_get_a_4xx, |gw: Gateway| async move {
    let with = |field: &str, value: Value| {
        let mut body = chat();
        body[field] = value;
        body.to_string().into_bytes()
    };
    let nested = |depth: usize| {
        format!(
            r#"{{"model":"mock/text","messages":[{{"role":"user","content":"hi"}}],"x":{}1{}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        )
        .into_bytes()
    };
    let mut invalid_utf8 =
        br#"{"model":"mock/text","messages":[{"role":"user","content":"hi "#.to_vec();
    invalid_utf8.extend_from_slice(b"\xff\xfe\xc3\x28");
    invalid_utf8.extend_from_slice(br#""}]}"#);
    let cases: Vec<(&str, Vec<u8>, Option<&str>)> = vec![
        ("deeply nested JSON", nested(100_000), None),
        ("nesting past serde's limit", nested(200), None),
        ("invalid UTF-8", invalid_utf8, None),
        ("huge n", with("n", json!(1_000_000)), Some("n")),
        ("n past u32", with("n", json!(1u64 << 40)), Some("n")),
        (
            "negative max_tokens",
            with("max_tokens", json!(-1)),
            Some("max_tokens"),
        ),
        (
            "negative max_completion_tokens",
            with("max_completion_tokens", json!(-100)),
            Some("max_completion_tokens"),
        ),
    ];
    for (what, body, param) in cases {
        let (status, err) = status_and_error(&gw, body.into()).await;
        assert_eq!(status, 400, "{what}: {err}");
        assert_eq!(
            err["error"]["type"], "invalid_request_error",
            "{what}: {err}"
        );
        if let Some(param) = param {
            assert_eq!(err["error"]["param"], param, "{what}: {err}");
        }
    }
    assert_serving(&gw).await;
});

// Nesting that JSON parsing accepts still has to cross to the core (gRPC in
// split mode): up to the facade's limit of 32 levels (the body counts as one,
// `metadata_x` as one more) the answer is a 200, past it a 400, never a 5xx.
both_modes!(
    accepted_nesting_crosses_to_the_core,
    |gw: Gateway| async move {
        for (depth, want) in [(30, 200), (31, 400), (60, 400), (120, 400)] {
            let mut extra = json!("leaf");
            for _ in 0..depth {
                extra = json!({ "k": extra });
            }
            let mut body = chat();
            body["metadata_x"] = extra;
            let (status, err) = status_and_error(&gw, body.to_string().into()).await;
            assert_eq!(status, want, "depth {depth}: {err}");
            if want == 400 {
                assert_eq!(err["error"]["type"], "invalid_request_error", "{err}");
            }
        }
        assert_serving(&gw).await;
    }
);

both_modes!(
    thousands_of_messages_are_handled,
    |gw: Gateway| async move {
        let messages: Vec<Value> = (0..10_000)
        .map(|i| json!({"role": if i % 2 == 0 { "user" } else { "assistant" }, "content": format!("message {i}")}))
        .collect();
        let started = Instant::now();
        let resp = gw
            .post(
                "/v1/chat/completions",
                &json!({"model": "mock/text", "messages": messages}),
            )
            .await;
        assert_eq!(resp.status(), 200);
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        let sent = gw.mock.requests();
        let forwarded = sent.last().expect("forwarded").body["messages"]
            .as_array()
            .map(Vec::len);
        assert_eq!(forwarded, Some(10_000));
        assert_serving(&gw).await;
    }
);
