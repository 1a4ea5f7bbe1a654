//! HTTP/2 pings every 30 s find vanished peers: a connection holding an open stream gets a
//! PING from the server within the interval, keeps working while it answers them, and is
//! closed once its answers stop (a peer gone without FIN or RST). Both ports.
//!
//! This waits for the real interval and timeout (about a minute), mostly idle: the other tests
//! of the target run beside it.

use crate::support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use prost::Message as _;
use support::{Gateway, Mode, config_file, mock};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const KEY: &str = "sk-http2-pings";
/// The server's ping interval and ping-answer timeout, as the README gives them (30 s) and
/// the server applies them (20 s).
const INTERVAL: Duration = Duration::from_secs(30);
const PING_TIMEOUT: Duration = Duration::from_secs(20);
const MARGIN: Duration = Duration::from_secs(8);
/// HTTP/2 frame type PING, and its ACK flag.
const PING: u8 = 6;
const ACK: u8 = 1;

/// What a relay between an h2 client and the server saw of the server's frames.
#[derive(Default)]
struct Seen {
    /// PING frames from the server (not ACKs).
    pings: AtomicUsize,
    /// The server closed its side.
    closed: AtomicBool,
}

/// A TCP relay to `server`: passes the client's bytes on untouched and the server's frame by
/// frame, dropping the server's PINGs when `answer_pings` is false, so the client seems gone
/// while its connection stays open. Returns the relay's address.
async fn relay(server: String, answer_pings: bool, seen: Arc<Seen>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    tokio::spawn(async move {
        let (client, _) = listener.accept().await.expect("accept");
        let upstream = TcpStream::connect(&server).await.expect("connect");
        let (mut client_read, mut client_write) = client.into_split();
        let (mut server_read, mut server_write) = upstream.into_split();
        tokio::spawn(async move {
            let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
        });
        let mut pending: Vec<u8> = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = server_read.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                seen.closed.store(true, Ordering::SeqCst);
                let _ = client_write.shutdown().await;
                return;
            }
            pending.extend_from_slice(&buf[..n]);
            // Whole frames: 9-byte header (24-bit length, type, flags, stream id), payload.
            while pending.len() >= 9 {
                let len = (usize::from(pending[0]) << 16)
                    | (usize::from(pending[1]) << 8)
                    | usize::from(pending[2]);
                if pending.len() < 9 + len {
                    break;
                }
                let frame: Vec<u8> = pending.drain(..9 + len).collect();
                let is_ping = frame[3] == PING && frame[4] & ACK == 0;
                if is_ping {
                    seen.pings.fetch_add(1, Ordering::SeqCst);
                }
                if (!is_ping || answer_pings) && client_write.write_all(&frame).await.is_err() {
                    return;
                }
            }
        }
    });
    addr
}

/// An h2 connection through a relay to `server` with one request sent and left unanswered
/// (the upstream never answers); the handles that keep it open.
async fn hold_open_stream(
    server: &str,
    answer_pings: bool,
    request: http::Request<()>,
    body: Bytes,
) -> (Arc<Seen>, Box<dyn std::any::Any + Send>) {
    let seen = Arc::new(Seen::default());
    let addr = relay(server.to_owned(), answer_pings, seen.clone()).await;
    let tcp = TcpStream::connect(&addr).await.expect("connects");
    let (send, connection) = h2::client::handshake(tcp).await.expect("h2 handshake");
    let driver = tokio::spawn(async move {
        let _ = connection.await;
    });
    let mut send = send.ready().await.expect("ready");
    let (response, mut stream) = send.send_request(request, false).expect("sent");
    stream.send_data(body, true).expect("body sent");
    (seen, Box::new((send, response, stream, DropAbort(driver))))
}

struct DropAbort(tokio::task::JoinHandle<()>);

impl Drop for DropAbort {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn chat_request(addr: &str) -> (http::Request<()>, Bytes) {
    let request = http::Request::post(format!("http://{addr}/v1/chat/completions"))
        .header("authorization", format!("Bearer {KEY}"))
        .header("content-type", "application/json")
        .body(())
        .expect("request");
    let body = serde_json::json!({
        "model": "mock/hang", "messages": [{"role": "user", "content": "hi"}],
    });
    (request, Bytes::from(body.to_string()))
}

fn chat_rpc(addr: &str) -> (http::Request<()>, Bytes) {
    use modelgate::v1::{ChatCompletionRequest, Message, Role, message::Content};
    let message = ChatCompletionRequest {
        model: "mock/hang".into(),
        stream: true,
        messages: vec![Message {
            role: Role::User.into(),
            content: Some(Content::Text("hi".into())),
            ..Default::default()
        }],
        ..Default::default()
    }
    .encode_to_vec();
    let request = http::Request::post(format!("http://{addr}/modelgate.v1.Gateway/ChatCompletion"))
        .header("authorization", format!("Bearer {KEY}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(())
        .expect("request");
    let mut framed = vec![0u8];
    framed.extend_from_slice(&u32::try_from(message.len()).expect("small").to_be_bytes());
    framed.extend_from_slice(&message);
    (request, Bytes::from(framed))
}

#[tokio::test(flavor = "multi_thread")]
async fn pings_find_peers_that_stopped_answering_and_spare_those_that_answer() {
    let mock = mock().await;
    // Timeouts far beyond the test, so only the pings can end a connection.
    let (_dir, file) = config_file(&format!(
        "server: {{ header_timeout_seconds: 300, idle_timeout_seconds: 300 }}\nauth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\nproviders:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up, models: [hang] }}\nrouter_settings: {{ timeout: 600, stream_timeout: 600 }}\n",
        mock.base_url()
    ));
    let gw = Gateway::start(Mode::Serve, &file, &[]).await;
    let (http, grpc) = (gw.http_addr().to_owned(), gw.grpc_addr().to_owned());
    let started = Instant::now();
    let (request, body) = chat_request(&http);
    let (answering, _keep_answering) = hold_open_stream(&http, true, request, body).await;
    let (request, body) = chat_request(&http);
    let (http_gone, _keep_http_gone) = hold_open_stream(&http, false, request, body).await;
    let (request, body) = chat_rpc(&grpc);
    let (grpc_gone, _keep_grpc_gone) = hold_open_stream(&grpc, false, request, body).await;

    let vanished = [("http", &http_gone), ("grpc", &grpc_gone)];
    let deadline = started + INTERVAL + PING_TIMEOUT + MARGIN;
    while vanished
        .iter()
        .any(|(_, s)| !s.closed.load(Ordering::SeqCst))
    {
        assert!(
            Instant::now() < deadline,
            "not closed {:?} after its pings went unanswered: {:?}",
            INTERVAL + PING_TIMEOUT + MARGIN,
            vanished
                .iter()
                .filter(|(_, s)| !s.closed.load(Ordering::SeqCst))
                .map(|(what, s)| (*what, s.pings.load(Ordering::SeqCst)))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let closed_after = started.elapsed();
    for (what, seen) in vanished {
        assert!(
            seen.pings.load(Ordering::SeqCst) >= 1,
            "{what}: closed without a ping"
        );
    }
    assert!(
        closed_after >= INTERVAL,
        "closed after {closed_after:?}: before any ping could go unanswered"
    );
    // The peer that answers was pinged too, and its stream is still open.
    assert!(
        answering.pings.load(Ordering::SeqCst) >= 1,
        "no ping within {closed_after:?}"
    );
    assert!(
        !answering.closed.load(Ordering::SeqCst),
        "a peer that answers its pings was closed"
    );
}
