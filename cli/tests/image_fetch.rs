//! Image URLs that clients send to Gemini and Ollama models, which the gateway fetches itself:
//! through the real binary, against image servers on loopback that record what reaches them.
//! Loopback stands for the internal network here: refused unless `image_fetch.allow` names it.

use crate::support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use mock_upstream::MockUpstream;
use serde_json::{Value, json};
use support::{BIN, Gateway, Mode, config_file, mock};

const KEY: &str = "sk-image-fetch-test";
/// What the test image server serves as an image: recognisable once base64-encoded upstream.
const IMAGE: &[u8] = b"\x89PNG\r\n\x1a\nmodelgate-image-fetch-test-bytes";
const BIG_MIB: usize = 19;

/// A loopback HTTP server standing for an internal one: counts hits and concurrent requests.
#[derive(Default)]
struct Seen {
    hits: AtomicUsize,
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
}

#[derive(Clone)]
struct ServerState {
    seen: Arc<Seen>,
    /// Where `/redirect` sends the client.
    redirect_to: Arc<String>,
    big: Bytes,
}

struct ImageServer {
    addr: String,
    seen: Arc<Seen>,
}

impl ImageServer {
    async fn start(redirect_to: &str) -> Self {
        let seen = Arc::new(Seen::default());
        let state = ServerState {
            seen: seen.clone(),
            redirect_to: Arc::new(redirect_to.to_owned()),
            big: Bytes::from(vec![7u8; BIG_MIB * 1024 * 1024]),
        };
        let app = Router::new()
            .route("/img/{name}", get(image))
            .route("/missing", get(missing))
            .route("/redirect", get(redirect))
            .route("/big/{i}", get(big))
            .route("/slow/{i}", get(slow))
            .fallback(image)
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, seen }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn port(&self) -> &str {
        self.addr.rsplit(':').next().unwrap_or_default()
    }

    fn hits(&self) -> usize {
        self.seen.hits.load(Ordering::SeqCst)
    }
}

fn hit(state: &ServerState) {
    state.seen.hits.fetch_add(1, Ordering::SeqCst);
}

async fn image(State(state): State<ServerState>) -> Response {
    hit(&state);
    ([(header::CONTENT_TYPE, "image/png")], IMAGE).into_response()
}

async fn missing(State(state): State<ServerState>) -> Response {
    hit(&state);
    StatusCode::NOT_FOUND.into_response()
}

async fn redirect(State(state): State<ServerState>) -> Response {
    hit(&state);
    (
        StatusCode::FOUND,
        [(header::LOCATION, state.redirect_to.as_str())],
    )
        .into_response()
}

/// 19 MiB without a Content-Length, so only counting the bytes read can stop it.
async fn big(State(state): State<ServerState>, Path(_): Path<String>) -> Response {
    hit(&state);
    let big = state.big.clone();
    let pieces = (0..big.len())
        .step_by(64 * 1024)
        .map(move |at| Ok::<_, std::io::Error>(big.slice(at..(at + 64 * 1024).min(big.len()))));
    (
        [(header::CONTENT_TYPE, "image/png")],
        Body::from_stream(futures::stream::iter(pieces)),
    )
        .into_response()
}

/// Holds each request a while so that concurrent fetches overlap.
async fn slow(State(state): State<ServerState>, Path(_): Path<String>) -> Response {
    hit(&state);
    let now = state.seen.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    state.seen.most_in_flight.fetch_max(now, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(150)).await;
    state.seen.in_flight.fetch_sub(1, Ordering::SeqCst);
    ([(header::CONTENT_TYPE, "image/png")], IMAGE).into_response()
}

/// A config with a Gemini and an Ollama provider on the mock, plus `image_fetch` if given.
fn config(mock: &MockUpstream, image_fetch: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    config_file(&format!(
        "auth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\nproviders:\n  gem: {{ kind: gemini, api_base: \"{}\", api_key: sk-up, models: [text] }}\n  oll: {{ kind: ollama, api_base: \"{}\", models: [text] }}\n{image_fetch}\n",
        mock.native_url("gemini"),
        mock.native_url("ollama"),
    ))
}

/// A chat to `model` with one image part per URL; the status and the raw body.
async fn chat(gw: &Gateway, model: &str, urls: &[String]) -> (u16, String) {
    let mut content = vec![json!({"type": "text", "text": "what is in these?"})];
    content.extend(
        urls.iter()
            .map(|u| json!({"type": "image_url", "image_url": {"url": u}})),
    );
    let response = reqwest::Client::new()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(KEY)
        .json(&json!({"model": model, "messages": [{"role": "user", "content": content}]}))
        .send()
        .await
        .expect("answers");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

/// Asserts the one refusal every image URL problem gets.
fn assert_refused(status: u16, body: &str, what: &str) {
    assert_eq!(status, 400, "{what}: {body}");
    let body: Value = serde_json::from_str(body).expect("json error");
    assert_eq!(
        body["error"]["type"], "invalid_request_error",
        "{what}: {body}"
    );
    assert_eq!(body["error"]["param"], "messages", "{what}: {body}");
    assert_eq!(
        body["error"]["code"], "image_url_not_fetchable",
        "{what}: {body}"
    );
}

fn chat_calls(mock: &MockUpstream) -> usize {
    mock.requests()
        .iter()
        .filter(|r| r.path.contains(":generateContent") || r.path.ends_with("/api/chat"))
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn internal_addresses_are_refused_without_being_contacted() {
    let internal = ImageServer::start("").await;
    let mock = mock().await;
    let (_dir, file) = config(&mock, "");
    let port = internal.port();
    let spellings = [
        // A name on port 80: the checking resolver refuses what it resolves to.
        "http://localhost/secret".to_owned(),
        internal.url("/secret"),
        format!("http://localhost:{port}/secret"),
        format!("http://[::ffff:127.0.0.1]:{port}/secret"),
        format!("http://2130706433:{port}/secret"),
        format!("http://0x7f.0.0.1:{port}/secret"),
    ];
    // Split mode too: the core fetches, and the refusal crosses gRPC to the facade intact.
    for mode in [Mode::Serve, Mode::Split] {
        let gw = Gateway::start(
            mode,
            &file,
            &[("RUST_LOG", "info,modelgate_core::providers::images=debug")],
        )
        .await;
        for model in ["gem/text", "oll/text"] {
            for url in &spellings {
                let (status, body) = chat(&gw, model, std::slice::from_ref(url)).await;
                assert_refused(status, &body, &format!("{mode:?} {model} {url}"));
                assert!(!body.contains(port), "the body names the port: {body}");
            }
        }
        let log = gw.log();
        assert!(
            log.contains("dns error: address") && log.contains("is not public"),
            "{mode:?}: localhost was not refused by the resolver:\n{log}"
        );
    }
    assert_eq!(internal.hits(), 0, "the internal server was contacted");
    assert_eq!(
        chat_calls(&mock),
        0,
        "a refused request reached the upstream"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn redirects_into_the_internal_network_are_refused() {
    let internal = ImageServer::start("").await;
    let redirector = ImageServer::start(&internal.url("/secret")).await;
    let mock = mock().await;
    // The redirecting server is allowed (by address and port); the one it points to is not.
    let (_dir, file) = config(
        &mock,
        &format!(
            "image_fetch: {{ allow: [\"127.0.0.1:{}\"] }}",
            redirector.port()
        ),
    );
    let gw = Gateway::start(Mode::Serve, &file, &[]).await;
    for model in ["gem/text", "oll/text"] {
        let (status, body) = chat(&gw, model, &[redirector.url("/redirect")]).await;
        assert_refused(status, &body, model);
    }
    assert_eq!(
        redirector.hits(),
        2,
        "the allowed server was asked once per chat"
    );
    assert_eq!(internal.hits(), 0, "the redirect was followed");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_refusal_reads_the_same_whatever_the_cause() {
    let open = ImageServer::start("").await;
    let to_ftp = ImageServer::start("ftp://127.0.0.1/x.png").await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
        // Dropped: nothing listens there any more.
    };
    let mock = mock().await;
    // Loopback allowed, so the closed port and the 404 are really tried.
    let (_dir, file) = config(
        &mock,
        "image_fetch: { allow: [\"127.0.0.0/8\"], max_image_mb: 1 }",
    );
    let gw = Gateway::start(
        Mode::Serve,
        &file,
        &[("RUST_LOG", "info,modelgate_core::providers::images=debug")],
    )
    .await;
    let causes = [
        (
            "closed port",
            format!("http://127.0.0.1:{closed}/a.png?token=t0ps3cret"),
        ),
        ("open port, 404", open.url("/missing")),
        ("too large", open.url("/big/1")),
        ("redirect to ftp", to_ftp.url("/redirect")),
        ("private address", "http://10.0.0.1/a.png".to_owned()),
        (
            "metadata address",
            "http://169.254.169.254/latest/meta-data/".to_owned(),
        ),
        (
            "user info",
            format!("http://user:pw@127.0.0.1:{}/img/a", open.port()),
        ),
    ];
    let mut bodies = Vec::new();
    for (cause, url) in &causes {
        let (status, body) = chat(&gw, "gem/text", std::slice::from_ref(url)).await;
        assert_refused(status, &body, cause);
        bodies.push((cause, body));
    }
    for (cause, body) in &bodies[1..] {
        assert_eq!(
            body, &bodies[0].1,
            "{cause} reads differently from {}",
            bodies[0].0
        );
    }
    // Each was refused for its own reason, which only the debug log tells.
    let log = gw.log();
    for reason in [
        "tcp connect error",
        "the server answered HTTP 404",
        "larger than image_fetch.max_image_mb",
        "scheme `ftp`",
        "address 10.0.0.1 is not public",
        "address 169.254.169.254 is not public",
        "user name or password",
    ] {
        assert!(
            log.contains(reason),
            "no debug line with {reason:?}:\n{log}"
        );
    }
    assert!(
        !log.contains("t0ps3cret"),
        "a URL's query was logged:\n{log}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_allowed_image_server_reaches_the_upstream_as_base64() {
    let images = ImageServer::start("").await;
    let mock = mock().await;
    let (_dir, file) = config(
        &mock,
        &format!(
            "image_fetch: {{ allow: [\"localhost:{}\"] }}",
            images.port()
        ),
    );
    let gw = Gateway::start(Mode::Serve, &file, &[]).await;
    let encoded = base64_of(IMAGE);
    let url = format!("http://localhost:{}/img/a.png", images.port());
    for model in ["gem/text", "oll/text"] {
        let (status, body) = chat(&gw, model, std::slice::from_ref(&url)).await;
        assert_eq!(status, 200, "{model}: {body}");
    }
    let calls = mock.requests();
    let gemini = calls
        .iter()
        .find(|r| r.path.contains(":generateContent"))
        .expect("gemini call");
    assert_eq!(
        gemini.body["contents"][0]["parts"][1]["inlineData"],
        json!({"mimeType": "image/png", "data": encoded})
    );
    let ollama = calls
        .iter()
        .find(|r| r.path.ends_with("/api/chat"))
        .expect("ollama call");
    assert_eq!(ollama.body["messages"][0]["images"], json!([encoded]));
    assert_eq!(images.hits(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn too_many_image_urls_are_refused_before_any_fetch() {
    let images = ImageServer::start("").await;
    let mock = mock().await;
    let (_dir, file) = config(
        &mock,
        &format!(
            "image_fetch: {{ allow: [\"127.0.0.1:{}\"] }}",
            images.port()
        ),
    );
    let gw = Gateway::start(Mode::Serve, &file, &[]).await;
    let urls: Vec<String> = (0..300)
        .map(|i| images.url(&format!("/img/{i}.png")))
        .collect();
    let (status, body) = chat(&gw, "gem/text", &urls).await;
    assert_refused(status, &body, "300 URLs");
    assert_eq!(
        images.hits(),
        0,
        "images were fetched before the count was checked"
    );
    // The default limit, 16, still works.
    let (status, body) = chat(&gw, "gem/text", &urls[..16]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(images.hits(), 16);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_bytes_of_all_images_together_are_capped_and_memory_stays_bounded() {
    let images = ImageServer::start("").await;
    let mock = mock().await;
    let (_dir, file) = config(
        &mock,
        &format!(
            "image_fetch: {{ allow: [\"127.0.0.1:{}\"] }}",
            images.port()
        ),
    );
    let gw = Gateway::start(
        Mode::Serve,
        &file,
        &[("RUST_LOG", "info,modelgate_core::providers::images=debug")],
    )
    .await;
    let idle = gw.core.rss_kib();
    // Twelve 19 MiB images in a request of about 1 KB; each is under the 20 MiB per-image cap.
    let urls: Vec<String> = (0..12).map(|i| images.url(&format!("/big/{i}"))).collect();
    let peak = AtomicUsize::new(0);
    let done = std::sync::atomic::AtomicBool::new(false);
    let sample = async {
        while !done.load(Ordering::SeqCst) {
            let rss = usize::try_from(gw.core.rss_kib()).unwrap_or(usize::MAX);
            peak.fetch_max(rss, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    let ask = async {
        let answer = chat(&gw, "gem/text", &urls).await;
        done.store(true, Ordering::SeqCst);
        answer
    };
    let ((status, body), ()) = tokio::join!(ask, sample);
    assert_refused(status, &body, "12 x 19 MiB");
    let peak = peak.load(Ordering::SeqCst);
    eprintln!("rss: idle {idle} KiB, peak {peak} KiB");
    assert!(
        peak < 160 * 1024,
        "RSS reached {peak} KiB (idle {idle} KiB) for a refused request"
    );
    assert_eq!(chat_calls(&mock), 0, "the upstream got the images");
    assert!(
        gw.log().contains("larger than image_fetch.max_total_mb"),
        "not refused by the total cap:\n{}",
        gw.log()
    );
    assert!(
        (1..=4).contains(&images.hits()),
        "{} images were requested; at most 4 run at once and the first refusal ends them",
        images.hits()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn no_more_images_are_fetched_at_once_than_max_concurrent() {
    let images = ImageServer::start("").await;
    let mock = mock().await;
    let (_dir, file) = config(
        &mock,
        &format!(
            "image_fetch: {{ allow: [\"127.0.0.1:{}\"], max_concurrent: 2 }}",
            images.port()
        ),
    );
    let gw = Gateway::start(Mode::Serve, &file, &[]).await;
    let urls: Vec<String> = (0..8).map(|i| images.url(&format!("/slow/{i}"))).collect();
    let (status, body) = chat(&gw, "oll/text", &urls).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(images.hits(), 8);
    assert_eq!(images.seen.most_in_flight.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn fetching_turned_off_refuses_image_urls_but_not_data_uris() {
    let images = ImageServer::start("").await;
    let mock = mock().await;
    let (_dir, file) = config(
        &mock,
        &format!(
            "image_fetch: {{ enabled: false, allow: [\"127.0.0.1:{}\"] }}",
            images.port()
        ),
    );
    let gw = Gateway::start(Mode::Serve, &file, &[]).await;
    for model in ["gem/text", "oll/text"] {
        let (status, body) = chat(&gw, model, &[images.url("/img/a.png")]).await;
        assert_refused(status, &body, model);
        assert!(body.contains("image_fetch is off"), "{body}");
        let data = format!("data:image/png;base64,{}", base64_of(IMAGE));
        let (status, body) = chat(&gw, model, &[data]).await;
        assert_eq!(status, 200, "{model} data URI: {body}");
    }
    assert_eq!(images.hits(), 0);
}

#[test]
fn check_config_shows_the_image_fetch_settings() {
    let (_dir, file) = config_file(
        "image_fetch: { allow: [\"10.1.2.0/24\", images.internal:8080], max_images: 4, max_total_mb: 8, max_concurrent: 2 }\n",
    );
    let out = std::process::Command::new(BIN)
        .arg("check-config")
        .arg(&file)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    for expected in [
        "image_fetch: on (public addresses on ports 80/443)",
        "allow: 10.1.2.0/24, images.internal:8080",
        "per request: 4 images, 8 MiB in all, 20 MiB each, 2 at a time",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
    let (_dir, file) = config_file("image_fetch: { enabled: false }\n");
    let out = std::process::Command::new(BIN)
        .arg("check-config")
        .arg(&file)
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&out.stdout).contains("image_fetch: off"));
}

/// Standard base64 with padding, written out so the test does not lean on the gateway's encoder.
fn base64_of(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
