//! TLS as the binary serves it (`server.tls`, one self-signed certificate made per test):
//! `modelgate healthcheck` trusts only public CAs, and a connection that does not finish its
//! TLS handshake, or sends nothing after it, is closed after `server.header_timeout_seconds`
//! on both ports.

use crate::support;
use crate::tls_certs;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mock_upstream::MockUpstream;
use support::{BIN, Gateway, Launch, Mode, Process, config_file, eventually, mock, serve_args};
use tls_certs::{SelfSigned, ready_over_https};

const KEY: &str = "sk-tls-binary-test";
/// `server.header_timeout_seconds` in these tests.
const TIMEOUT: Duration = Duration::from_secs(1);
/// A connection due to close by the header timeout is gone within this.
const CLOSE_WITHIN: Duration = Duration::from_secs(6);

/// `modelgate serve` with `server.tls` (a certificate for `127.0.0.1`) on loopback ports;
/// ready once an HTTPS client that trusts the certificate gets 200 from `/health/ready`.
async fn serve_tls(
    mock: &MockUpstream,
    server: &str,
) -> (tempfile::TempDir, Arc<SelfSigned>, Process) {
    let cert = SelfSigned::new("127.0.0.1");
    let (dir, file) = config_file(&format!(
        "server: {{ {}, {server} }}\nauth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\nproviders:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up, models: [text] }}\n",
        cert.server_tls(),
        mock.base_url()
    ));
    let process = Process::start(Launch {
        args: serve_args(&file.display().to_string()),
        env: vec![],
        wait_for: vec!["http", "grpc"],
    });
    let ready = format!("https://{}/health/ready", process.addr("http"));
    ready_over_https(&trusting(&cert), &ready, "ready over https").await;
    (dir, Arc::new(cert), process)
}

/// An HTTPS client that trusts `cert` (besides the public CAs).
fn trusting(cert: &SelfSigned) -> reqwest::Client {
    cert.trusting().build().expect("client")
}

/// Runs `modelgate healthcheck --url URL`; its exit code and output.
fn healthcheck(url: &str) -> (Option<i32>, String) {
    let out = Command::new(BIN)
        .args(["healthcheck", "--url", url])
        .env_clear()
        .output()
        .expect("healthcheck runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

#[tokio::test(flavor = "multi_thread")]
async fn healthcheck_refuses_a_self_signed_certificate_and_passes_plain_http() {
    let mock = mock().await;
    let (_dir, cert, tls) = serve_tls(&mock, "header_timeout_seconds: 30").await;
    let url = format!("https://{}/health", tls.addr("http"));
    // The server answers that URL: a client that trusts the certificate gets 200.
    let answer = trusting(&cert).get(&url).send().await.expect("answers");
    assert_eq!(answer.status(), 200);
    let (code, out) = tokio::task::spawn_blocking({
        let url = url.clone();
        move || healthcheck(&url)
    })
    .await
    .expect("joined");
    assert_eq!(
        code,
        Some(1),
        "healthcheck trusted a self-signed cert: {out}"
    );
    assert!(out.contains(&url), "the failure names the URL: {out}");

    // The same check against a plain-HTTP gateway passes.
    let (_plain_dir, file) = config_file(&format!(
        "auth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\nproviders:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up, models: [text] }}\n",
        mock.base_url()
    ));
    let plain = Gateway::start(Mode::Serve, &file, &[]).await;
    let url = plain.url("/health");
    let (code, out) = tokio::task::spawn_blocking(move || healthcheck(&url))
        .await
        .expect("joined");
    assert_eq!(code, Some(0), "{out}");
}

/// Reads (and discards) what the server sends on `stream` until it closes the connection;
/// how long after `since` that was, or `None` if it is still open at `since + within`.
fn closed_within(
    stream: &mut impl Read,
    tcp: &TcpStream,
    since: Instant,
    within: Duration,
) -> Option<Duration> {
    let mut buf = [0u8; 4096];
    loop {
        let left = (since + within).checked_duration_since(Instant::now())?;
        tcp.set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .expect("timeout");
        match stream.read(&mut buf) {
            Ok(0) => return Some(since.elapsed()),
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::ConnectionReset | ErrorKind::UnexpectedEof
                ) =>
            {
                return Some(since.elapsed());
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => panic!("read: {e}"),
        }
    }
}

/// A TLS client connection to `addr` that trusts only `cert`, handshake done.
fn handshake(
    addr: &str,
    cert: &SelfSigned,
    alpn: &[u8],
) -> rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(cert.der.clone()))
        .expect("root");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![alpn.to_vec()];
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").expect("name");
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name).expect("client");
    let mut tcp = TcpStream::connect(addr).expect("connects");
    tcp.set_read_timeout(Some(CLOSE_WITHIN)).expect("timeout");
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp).expect("handshake");
    }
    rustls::StreamOwned::new(conn, tcp)
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_connections_that_stall_are_closed_after_the_header_timeout() {
    let mock = mock().await;
    let (_dir, cert, gw) = serve_tls(
        &mock,
        &format!(
            "header_timeout_seconds: {0}, idle_timeout_seconds: 30",
            TIMEOUT.as_secs()
        ),
    )
    .await;
    let (http, grpc) = (gw.addr("http").to_owned(), gw.addr("grpc").to_owned());
    // A TLS record header announcing a 512-byte ClientHello that never comes.
    let stalled_hello: &[u8] = &[0x16, 0x03, 0x01, 0x02, 0x00];
    let opened = Instant::now();
    let mut raw: Vec<(String, TcpStream)> = Vec::new();
    for (port, addr) in [("http", &http), ("grpc", &grpc)] {
        raw.push((
            format!("{port}: no ClientHello"),
            TcpStream::connect(addr).expect("connects"),
        ));
        let mut tcp = TcpStream::connect(addr).expect("connects");
        tcp.write_all(stalled_hello).expect("writes");
        raw.push((format!("{port}: half a ClientHello"), tcp));
    }
    for (name, tcp) in &mut raw {
        let reader = tcp.try_clone().expect("clone");
        let took = closed_within(tcp, &reader, opened, CLOSE_WITHIN)
            .unwrap_or_else(|| panic!("{name}: still open after {CLOSE_WITHIN:?}"));
        assert!(
            took >= TIMEOUT - Duration::from_millis(100),
            "{name}: closed after {took:?}, before the header timeout"
        );
    }

    // A finished handshake and then silence: closed too, the handshake's time counted.
    for (name, addr, alpn) in [
        ("http/1.1", &http, &b"http/1.1"[..]),
        ("http: h2", &http, &b"h2"[..]),
        ("grpc: h2", &grpc, &b"h2"[..]),
    ] {
        let opened = Instant::now();
        let mut tls = handshake(addr, &cert, alpn);
        let tcp = tls.sock.try_clone().expect("clone");
        let took = closed_within(&mut tls, &tcp, opened, CLOSE_WITHIN)
            .unwrap_or_else(|| panic!("{name}: still open after {CLOSE_WITHIN:?}"));
        assert!(
            took >= TIMEOUT - Duration::from_millis(100),
            "{name}: closed after {took:?}, before the header timeout"
        );
    }

    // The port still serves whoever speaks in time.
    let answer = trusting(&cert)
        .post(format!("https://{http}/v1/chat/completions"))
        .bearer_auth(KEY)
        .json(&serde_json::json!({"model": "mock/text", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .expect("answers");
    assert_eq!(answer.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_connections_over_the_cap_are_closed_at_once() {
    let mock = mock().await;
    // Header and idle timeouts far beyond the test, so only the cap can close a connection.
    let (_dir, cert, gw) = serve_tls(
        &mock,
        "header_timeout_seconds: 60, idle_timeout_seconds: 60, max_connections: 2",
    )
    .await;
    let (http, grpc) = (gw.addr("http").to_owned(), gw.addr("grpc").to_owned());
    for (port, addr, alpn) in [
        ("http", &http, &b"http/1.1"[..]),
        ("grpc", &grpc, &b"h2"[..]),
    ] {
        // Two connections with their handshakes done: the server has accepted and counts both.
        let held = [handshake(addr, &cert, alpn), handshake(addr, &cert, alpn)];
        let opened = Instant::now();
        let mut over = TcpStream::connect(addr).expect("the kernel accepts the third");
        let reader = over.try_clone().expect("clone");
        let took = closed_within(&mut over, &reader, opened, CLOSE_WITHIN).unwrap_or_else(|| {
            panic!("{port}: a third connection still open after {CLOSE_WITHIN:?}")
        });
        assert!(
            took < Duration::from_secs(5),
            "{port}: the third connection was closed after {took:?}, not at once"
        );
        // One held connection goes: the port takes a new one again.
        drop(held);
        eventually(
            &format!("{port}: a new TLS connection after the held ones closed"),
            || {
                let (addr, cert) = (addr.clone(), cert.clone());
                async move {
                    tokio::task::spawn_blocking(move || {
                        let mut tls = handshake(&addr, &cert, alpn);
                        let tcp = tls.sock.try_clone().expect("clone");
                        // Still open a moment later: accepted, not cut by the cap.
                        closed_within(&mut tls, &tcp, Instant::now(), Duration::from_millis(300))
                            .is_none()
                    })
                    .await
                    .unwrap_or(false)
                }
            },
        )
        .await;
    }
}
