//! No configured secret — a provider's `api_key`, a value of its `headers:`, a `model_list`
//! entry's `extra_headers`, a client key — reaches a caller or the log, even from an upstream
//! whose errors echo every request header and the body in their message, code, param and
//! type. Every adapter kind, HTTP and gRPC, `serve` and split mode, logging at info and debug.

use crate::grpc_client;
use crate::loopback;
use crate::support;

use futures::StreamExt;
use loopback::{Loopback, Recorded};
use modelgate::v1::gateway_client::GatewayClient;
use modelgate::v1::message::Content;
use modelgate::v1::{ChatCompletionRequest, EmbedRequest, Message, Role};
use serde_json::{Value, json};
use support::{Gateway, Mode, config_file};

const CLIENT_KEY: &str = "client-key-scrub-0123456789";
const DEPLOY_SECRET: &str = "deploy-secret-0123456789";
/// Adapter kinds; each is configured as the provider `e-<kind>`.
const KINDS: [&str; 5] = ["openai", "azure", "anthropic", "gemini", "ollama"];
/// Upstream statuses the echo server answers with, chosen by a `status-NNN` word in the body.
const STATUSES: [u16; 3] = [400, 401, 500];

fn provider_key(kind: &str) -> String {
    format!("prov-key-{kind}-0123456789")
}

fn header_secret(kind: &str) -> String {
    format!("hdr-secret-{kind}-0123456789")
}

fn secrets() -> Vec<String> {
    KINDS
        .iter()
        .flat_map(|k| [provider_key(k), header_secret(k)])
        .chain([CLIENT_KEY.to_owned(), DEPLOY_SECRET.to_owned()])
        .collect()
}

fn config(upstream: &str) -> String {
    let mut text =
        format!("auth:\n  keys:\n    - {{ name: tests, key: {CLIENT_KEY} }}\nproviders:\n");
    for kind in KINDS {
        text.push_str(&format!(
            "  e-{kind}: {{ kind: {kind}, api_base: \"{upstream}\", api_key: {}, headers: {{ x-proxy-secret: {} }} }}\n",
            provider_key(kind),
            header_secret(kind),
        ));
    }
    text.push_str(&format!(
        "model_list:\n  - model_name: deployed\n    litellm_params: {{ model: e-openai/m, extra_headers: {{ x-deploy-secret: {DEPLOY_SECRET} }} }}\n"
    ));
    text
}

/// An upstream whose error echoes everything it was sent into every field any adapter reads.
async fn echoing_upstream() -> Loopback {
    Loopback::start(|req: &Recorded| {
        let body = String::from_utf8_lossy(&req.body);
        let status = STATUSES
            .into_iter()
            .find(|s| body.contains(&format!("status-{s}")))
            .unwrap_or(500);
        let echo = req.echo();
        let values: Vec<String> = req
            .headers
            .values()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        let joined = values.join(",");
        loopback::json(
            status,
            &json!({
                "type": "error",
                "error": {
                    "message": format!("you sent: {echo}"),
                    "code": format!("echo:{joined}"),
                    "param": joined,
                    "type": format!("invalid_request_error:{joined}"),
                    "status": format!("INVALID_ARGUMENT:{joined}"),
                },
            }),
        )
    })
    .await
}

fn model_of(kind: &str) -> String {
    format!("e-{kind}/m")
}

fn assert_clean(what: &str, text: &str) {
    for secret in secrets() {
        assert!(!text.contains(&secret), "{what} shows `{secret}`:\n{text}");
    }
}

/// Status, headers and body of an answer, as text.
async fn shown(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let mut text: String = response
        .headers()
        .iter()
        .map(|(n, v)| format!("{n}: {}\n", String::from_utf8_lossy(v.as_bytes())))
        .collect();
    text.push_str(&response.text().await.expect("body"));
    (status, text)
}

async fn over_http(gw: &Gateway, label: &str) -> usize {
    let client = reqwest::Client::new();
    let mut calls: Vec<(String, &str, Value)> = Vec::new();
    for kind in KINDS {
        for status in STATUSES {
            let prompt = format!("status-{status}: my key is {CLIENT_KEY}");
            for stream in [false, true] {
                calls.push((
                    format!("{kind} chat {status} stream={stream}"),
                    "/v1/chat/completions",
                    json!({"model": model_of(kind), "stream": stream,
                           "messages": [{"role": "user", "content": prompt}]}),
                ));
            }
            if kind != "anthropic" {
                calls.push((
                    format!("{kind} embeddings {status}"),
                    "/v1/embeddings",
                    json!({"model": model_of(kind), "input": [prompt]}),
                ));
            }
        }
    }
    calls.push((
        "model_list entry".into(),
        "/v1/chat/completions",
        json!({"model": "deployed", "messages": [{"role": "user", "content": "status-400"}]}),
    ));
    for (what, path, body) in &calls {
        let response = client
            .post(gw.url(path))
            .bearer_auth(CLIENT_KEY)
            .json(body)
            .send()
            .await
            .expect("answers");
        let (status, text) = shown(response).await;
        let what = format!("{label} {what}");
        assert!(status >= 400, "{what}: {status} {text}");
        assert_clean(&what, &text);
        // The upstream's echo made it into the error, scrubbed.
        assert!(text.contains("[redacted]"), "{what}: {text}");
    }
    // Discovery: every provider's model list fails with the echo; the list still answers.
    let (status, text) = shown(
        client
            .get(gw.url("/v1/models"))
            .bearer_auth(CLIENT_KEY)
            .send()
            .await
            .expect("answers"),
    )
    .await;
    assert_eq!(status, 200, "{label}: {text}");
    assert_clean(&format!("{label} models"), &text);
    // Chat and embeddings, one model list per discovering provider (all but Azure).
    calls.len() + KINDS.len() - 1
}

fn authed<T>(msg: T) -> tonic::Request<T> {
    grpc_client::keyed(msg, CLIENT_KEY)
}

fn status_text(status: &tonic::Status) -> String {
    let mut text = format!(
        "{:?} {}\n{}\n",
        status.code(),
        status.message(),
        String::from_utf8_lossy(status.details())
    );
    for entry in status.metadata().iter() {
        match entry {
            tonic::metadata::KeyAndValueRef::Ascii(k, v) => {
                text.push_str(&format!("{k}: {}\n", String::from_utf8_lossy(v.as_bytes())));
            }
            tonic::metadata::KeyAndValueRef::Binary(k, v) => {
                text.push_str(&format!("{k}: {:?}\n", v.as_encoded_bytes()));
            }
        }
    }
    text
}

async fn over_grpc(gw: &Gateway, label: &str) -> usize {
    let mut client = GatewayClient::connect(gw.grpc.clone())
        .await
        .expect("core reachable");
    let mut calls = 0;
    for kind in KINDS {
        for status in STATUSES {
            let prompt = format!("status-{status}: my key is {CLIENT_KEY}");
            for stream in [false, true] {
                let what = format!("{label} grpc {kind} chat {status} stream={stream}");
                let request = ChatCompletionRequest {
                    model: model_of(kind),
                    stream,
                    messages: vec![Message {
                        role: Role::User as i32,
                        content: Some(Content::Text(prompt.clone())),
                        ..Default::default()
                    }],
                    ..Default::default()
                };
                calls += 1;
                let err = match client.chat_completion(authed(request)).await {
                    Err(err) => err,
                    Ok(answer) => {
                        let mut chunks = answer.into_inner();
                        match chunks.next().await {
                            Some(Err(err)) => err,
                            other => panic!("{what}: no error but {other:?}"),
                        }
                    }
                };
                let text = status_text(&err);
                assert_clean(&what, &text);
                assert!(text.contains("[redacted]"), "{what}: {text}");
            }
            if kind != "anthropic" {
                let what = format!("{label} grpc {kind} embed {status}");
                let request = EmbedRequest {
                    model: model_of(kind),
                    input: vec![prompt.clone()],
                    ..Default::default()
                };
                calls += 1;
                let err = client
                    .embed(authed(request))
                    .await
                    .expect_err("the upstream fails");
                let text = status_text(&err);
                assert_clean(&what, &text);
                assert!(text.contains("[redacted]"), "{what}: {text}");
            }
        }
    }
    calls
}

async fn nothing_leaks(mode: Mode, log_level: &str) {
    let upstream = echoing_upstream().await;
    let (_dir, file) = config_file(&config(&upstream.url));
    let gw = Gateway::start(mode, &file, &[("RUST_LOG", log_level)]).await;
    let label = format!("{mode:?} RUST_LOG={log_level}");
    let mut calls = over_http(&gw, &label).await;
    calls += over_grpc(&gw, &label).await;
    // The upstream was sent every secret but the client key (which stays with modelgate,
    // except where the caller put it in the prompt), so each had something to echo.
    let requests = upstream.requests();
    assert_eq!(requests.len(), calls, "{label}");
    let sent: String = requests.iter().map(Recorded::echo).collect();
    for secret in secrets() {
        assert!(
            sent.contains(&secret),
            "{label}: the upstream never got `{secret}`"
        );
    }
    let log = gw.log();
    assert!(
        log.contains("[redacted]"),
        "{label}: upstream errors are logged: {log}"
    );
    assert_clean(&format!("{label} log"), &log);
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_logging_info_leaks_no_secret() {
    nothing_leaks(Mode::Serve, "info").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_logging_debug_leaks_no_secret() {
    nothing_leaks(Mode::Serve, "debug").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn split_logging_info_leaks_no_secret() {
    nothing_leaks(Mode::Split, "info").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn split_logging_debug_leaks_no_secret() {
    nothing_leaks(Mode::Split, "debug").await;
}
