//! Image fetching uses no proxy: with `HTTP_PROXY`, `HTTPS_PROXY` and `ALL_PROXY` (both cases)
//! pointing at a listener that records connections, an allowed image is fetched straight from
//! its server and the proxy is never contacted.

use crate::loopback;
use crate::support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::Response;
use loopback::Loopback;
use serde_json::json;
use support::{Gateway, Mode, config_file, mock};

const KEY: &str = "sk-image-fetch-proxy";
const IMAGE: &[u8] = b"\x89PNG\r\n\x1a\nmodelgate-image-proxy-test-bytes";

/// Accepts connections, counts them and closes them: a proxy that would fail every request
/// sent through it.
async fn recording_proxy() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let connections = Arc::new(AtomicUsize::new(0));
    let seen = connections.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            drop(tcp);
        }
    });
    (format!("http://{addr}"), connections)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_allowed_image_is_fetched_without_the_proxy_from_the_environment() {
    let (proxy, proxied) = recording_proxy().await;
    let images = Loopback::start(|_| {
        Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "image/png")
            .body(Body::from(IMAGE))
            .expect("response")
    })
    .await;
    let image_port = images.addr.rsplit(':').next().expect("port").to_owned();
    let mock = mock().await;
    let (_dir, file) = config_file(&format!(
        "auth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\nproviders:\n  gem: {{ kind: gemini, api_base: \"{}\", api_key: sk-up, models: [text] }}\nimage_fetch: {{ allow: [\"localhost:{image_port}\"] }}\n",
        mock.native_url("gemini"),
    ));
    // The provider call (to 127.0.0.1) may use the proxy settings: NO_PROXY keeps it direct.
    // The image's host is `localhost`, which NO_PROXY does not name.
    let mut env: Vec<(&str, &str)> = Vec::new();
    for name in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        env.push((name, proxy.as_str()));
    }
    env.push(("NO_PROXY", "127.0.0.1"));
    let gw = Gateway::start(Mode::Serve, &file, &env).await;

    let url = format!("http://localhost:{image_port}/img/a.png");
    let response = reqwest::Client::new()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(KEY)
        .json(
            &json!({"model": "gem/text", "messages": [{"role": "user", "content": [
                {"type": "text", "text": "what is this?"},
                {"type": "image_url", "image_url": {"url": url}},
            ]}]}),
        )
        .send()
        .await
        .expect("answers");
    let status = response.status().as_u16();
    let body = response.text().await.expect("body");
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        images.requests().len(),
        1,
        "the image server was asked once"
    );
    assert_eq!(
        proxied.load(Ordering::SeqCst),
        0,
        "a connection went to the proxy"
    );
    let call = mock
        .requests()
        .into_iter()
        .find(|r| r.path.contains(":generateContent"))
        .expect("gemini call");
    assert_eq!(
        call.body["contents"][0]["parts"][1]["inlineData"],
        json!({"mimeType": "image/png", "data": base64_of(IMAGE)})
    );
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
