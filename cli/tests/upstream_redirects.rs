//! An upstream that answers with a redirect never gets modelgate to follow it: the provider
//! key, the configured headers and the prompt stay with the configured host, and the caller
//! gets a 502 `upstream_redirect` naming the provider but not where the redirect pointed.
//! Every adapter kind, chat (streamed and not), embeddings and model discovery, in `serve`
//! and split mode, through the binary.

use crate::loopback;
use crate::support;

use axum::http::StatusCode;
use axum::response::Response;
use loopback::Loopback;
use serde_json::{Value, json};
use support::{Gateway, Mode, config_file, eventually};

const CLIENT_KEY: &str = "client-key-redirect-0123456789";
/// Adapter kinds; each is configured as the provider `r-<kind>`.
const KINDS: [&str; 5] = ["openai", "azure", "anthropic", "gemini", "ollama"];

fn provider_key(kind: &str) -> String {
    format!("prov-key-{kind}-0123456789")
}

fn header_secret(kind: &str) -> String {
    format!("hdr-secret-{kind}-0123456789")
}

/// Every provider's `api_base` at `upstream`, with a key and an `x-proxy-secret` header.
fn config(upstream: &str) -> String {
    let mut text =
        format!("auth:\n  keys:\n    - {{ name: tests, key: {CLIENT_KEY} }}\nproviders:\n");
    for kind in KINDS {
        // Azure cannot list deployments; the others discover their models upstream.
        let models = if kind == "azure" {
            ", models: [dep]"
        } else {
            ""
        };
        text.push_str(&format!(
            "  r-{kind}: {{ kind: {kind}, api_base: \"{upstream}\", api_key: {}, headers: {{ x-proxy-secret: {} }}{models} }}\n",
            provider_key(kind),
            header_secret(kind),
        ));
    }
    text
}

/// A server that sends every request on to `target` with a 307, as a hostile or
/// misconfigured upstream would, naming the target in the body too.
async fn redirecting_to(target: &Loopback) -> Loopback {
    let target = target.url.clone();
    Loopback::start(move |req| {
        let location = format!("{target}{}", req.uri);
        Response::builder()
            .status(StatusCode::TEMPORARY_REDIRECT)
            .header("location", &location)
            .header("content-type", "text/plain")
            .body(axum::body::Body::from(format!("Redirecting to {location}")))
            .expect("response")
    })
    .await
}

fn secrets() -> Vec<String> {
    KINDS
        .iter()
        .flat_map(|k| [provider_key(k), header_secret(k)])
        .chain([CLIENT_KEY.to_owned()])
        .collect()
}

/// Asserts one answer is the redirect error of provider `r-{kind}`, with nothing of the
/// target or of a secret in it.
async fn assert_redirect_error(
    what: &str,
    response: reqwest::Response,
    kind: &str,
    target: &Loopback,
) {
    let status = response.status().as_u16();
    let headers: Vec<String> = response
        .headers()
        .iter()
        .map(|(n, v)| format!("{n}: {}", String::from_utf8_lossy(v.as_bytes())))
        .collect();
    let text = response.text().await.expect("body");
    assert_eq!(status, 502, "{what}: {text}");
    let body: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: {e}: {text}"));
    assert_eq!(body["error"]["code"], "upstream_redirect", "{what}: {text}");
    assert_eq!(body["error"]["type"], "api_error", "{what}: {text}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains(&format!("`r-{kind}`")), "{what}: {text}");
    let everything = format!("{text}\n{}", headers.join("\n"));
    let target_port = target.addr.rsplit(':').next().expect("port");
    for leak in [target.addr.as_str(), target_port, "Redirecting"] {
        assert!(
            !everything.contains(leak),
            "{what} shows `{leak}`: {everything}"
        );
    }
    for secret in secrets() {
        assert!(
            !everything.contains(&secret),
            "{what} shows a secret: {everything}"
        );
    }
}

async fn redirects_are_not_followed(mode: Mode) {
    let target =
        Loopback::start(|_| loopback::json(200, &json!({"object": "list", "data": []}))).await;
    let redirect = redirecting_to(&target).await;
    let (_dir, file) = config_file(&config(&redirect.url));
    let gw = Gateway::start(mode, &file, &[]).await;
    let client = reqwest::Client::new();
    let mut calls = 0;
    for kind in KINDS {
        let model = if kind == "azure" {
            "r-azure/dep".to_owned()
        } else {
            format!("r-{kind}/m")
        };
        for stream in [false, true] {
            let response = client
                .post(gw.url("/v1/chat/completions"))
                .bearer_auth(CLIENT_KEY)
                .json(&json!({
                    "model": model,
                    "stream": stream,
                    "messages": [{"role": "user", "content": "a prompt only the provider may read"}],
                }))
                .send()
                .await
                .expect("answers");
            calls += 1;
            let what = format!("{mode:?} {kind} chat stream={stream}");
            assert_redirect_error(&what, response, kind, &target).await;
        }
        if kind == "anthropic" {
            continue; // Anthropic has no embeddings API.
        }
        let response = client
            .post(gw.url("/v1/embeddings"))
            .bearer_auth(CLIENT_KEY)
            .json(&json!({"model": model, "input": ["some text"]}))
            .send()
            .await
            .expect("answers");
        calls += 1;
        let what = format!("{mode:?} {kind} embeddings");
        assert_redirect_error(&what, response, kind, &target).await;
    }
    // Discovery: the list still answers, without the redirecting providers' models.
    let models: Value = client
        .get(gw.url("/v1/models"))
        .bearer_auth(CLIENT_KEY)
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    let ids: Vec<&str> = models["data"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|m| m["id"].as_str())
        .collect();
    assert_eq!(ids, ["r-azure/dep"], "{mode:?}: {models}");
    // Every call reached the redirecting server: chat and embeddings, then one model list
    // per discovering provider (all but Azure).
    eventually("discovery reaches the redirecting server", || {
        let seen = redirect.requests().len();
        async move { seen == calls + KINDS.len() - 1 }
    })
    .await;
    let listed = redirect
        .requests()
        .iter()
        .filter(|r| r.method == "GET")
        .count();
    assert_eq!(listed, KINDS.len() - 1, "{mode:?}");
    let followed = target.requests();
    assert!(
        followed.is_empty(),
        "{mode:?}: the redirect target got {} requests, the first: {}",
        followed.len(),
        followed[0].echo()
    );
    let log = gw.log();
    assert!(
        log.contains("answered with a redirect"),
        "{mode:?}: discovery's failure is logged: {log}"
    );
    assert!(
        !log.contains(&target.addr),
        "{mode:?}: the log names the target: {log}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_follows_no_upstream_redirect() {
    redirects_are_not_followed(Mode::Serve).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn split_follows_no_upstream_redirect() {
    redirects_are_not_followed(Mode::Split).await;
}
