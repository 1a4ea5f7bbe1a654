//! The image fetcher's per-fetch limits, through the real binary: at most 3 redirects are
//! followed, and one fetch (redirects and body included) gets 10 s. Loopback image servers
//! stand for public ones (allowed by `image_fetch.allow`).

use crate::support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use mock_upstream::MockUpstream;
use serde_json::{Value, json};
use support::{Gateway, Mode, config_file, mock};

const KEY: &str = "sk-image-limits-test";
const IMAGE: &[u8] = b"\x89PNG\r\n\x1a\nmodelgate-image-limits-test";
/// How long the stalling image takes to finish its body: well past the 10 s limit.
const STALL: Duration = Duration::from_secs(25);

#[derive(Clone, Default)]
struct Hits {
    /// Requests per hop number of `/hop/{n}`, and to `/stall`.
    hops: Arc<[AtomicUsize; 8]>,
    stall: Arc<AtomicUsize>,
}

/// `/hop/{n}` redirects to `/hop/{n-1}`; `/hop/0` is the image. `/stall` sends its headers at
/// once and its body after [`STALL`].
async fn images() -> (String, Hits) {
    let hits = Hits::default();
    let app = Router::new()
        .route("/hop/{n}", get(hop))
        .route("/stall", get(stall))
        .with_state(hits.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, hits)
}

async fn hop(State(hits): State<Hits>, Path(n): Path<usize>) -> Response {
    hits.hops[n].fetch_add(1, Ordering::SeqCst);
    if n == 0 {
        return ([(header::CONTENT_TYPE, "image/png")], IMAGE).into_response();
    }
    let next = format!("/hop/{}", n - 1);
    (StatusCode::FOUND, [(header::LOCATION, next)]).into_response()
}

async fn stall(State(hits): State<Hits>) -> Response {
    hits.stall.fetch_add(1, Ordering::SeqCst);
    let body = futures::stream::once(async {
        tokio::time::sleep(STALL).await;
        Ok::<_, std::io::Error>(Bytes::from_static(IMAGE))
    });
    (
        [(header::CONTENT_TYPE, "image/png")],
        Body::from_stream(body),
    )
        .into_response()
}

async fn gateway(image_port: &str) -> (MockUpstream, tempfile::TempDir, Gateway) {
    let mock = mock().await;
    let (dir, file) = config_file(&format!(
        "auth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\nproviders:\n  gem: {{ kind: gemini, api_base: \"{}\", api_key: sk-up, models: [text] }}\nimage_fetch: {{ allow: [\"127.0.0.1:{image_port}\"] }}\n",
        mock.native_url("gemini"),
    ));
    let gw = Gateway::start(
        Mode::Serve,
        &file,
        &[("RUST_LOG", "info,modelgate_core::providers::images=debug")],
    )
    .await;
    (mock, dir, gw)
}

async fn chat(gw: &Gateway, url: &str) -> (u16, Value) {
    let content = json!([
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": url}},
    ]);
    let response = reqwest::Client::new()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(KEY)
        .json(&json!({"model": "gem/text", "messages": [{"role": "user", "content": content}]}))
        .send()
        .await
        .expect("answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json body"))
}

fn assert_not_fetchable(status: u16, body: &Value, what: &str) {
    assert_eq!(status, 400, "{what}: {body}");
    assert_eq!(
        body["error"]["code"], "image_url_not_fetchable",
        "{what}: {body}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn three_redirects_are_followed_and_a_fourth_is_refused() {
    let (addr, hits) = images().await;
    let port = addr.rsplit(':').next().unwrap_or_default().to_owned();
    let (mock, _dir, gw) = gateway(&port).await;

    let (status, body) = chat(&gw, &format!("http://{addr}/hop/3")).await;
    assert_eq!(status, 200, "three redirects: {body}");
    let seen: Vec<usize> = hits.hops.iter().map(|h| h.load(Ordering::SeqCst)).collect();
    assert_eq!(seen[..4], [1, 1, 1, 1], "each hop of three once: {seen:?}");
    let gemini = mock
        .requests()
        .into_iter()
        .filter(|r| r.path.contains(":generateContent"))
        .count();
    assert_eq!(gemini, 1, "the image reached the upstream");

    let (status, body) = chat(&gw, &format!("http://{addr}/hop/4")).await;
    assert_not_fetchable(status, &body, "four redirects");
    let seen: Vec<usize> = hits.hops.iter().map(|h| h.load(Ordering::SeqCst)).collect();
    // /hop/4 .. /hop/1 were asked (the fourth answer is the fourth redirect); /hop/0 was not.
    assert_eq!(seen[..5], [1, 2, 2, 2, 1], "{seen:?}");
    let log = gw.log();
    assert!(
        log.contains("too many redirects"),
        "no debug line for the refusal:\n{log}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn one_image_fetch_gives_up_after_10_seconds() {
    let (addr, hits) = images().await;
    let port = addr.rsplit(':').next().unwrap_or_default().to_owned();
    let (_mock, _dir, gw) = gateway(&port).await;
    let started = Instant::now();
    let (status, body) = chat(&gw, &format!("http://{addr}/stall")).await;
    let took = started.elapsed();
    assert_not_fetchable(status, &body, "a body slower than 10 s");
    assert_eq!(hits.stall.load(Ordering::SeqCst), 1);
    assert!(
        took >= Duration::from_millis(9_500) && took < Duration::from_secs(15),
        "gave up after {took:?}, not about 10 s"
    );
}
