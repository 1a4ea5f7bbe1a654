//! `server.tls` as the binary applies it: `serve` answers HTTPS and TLS gRPC with the
//! configured certificate; `facade --config` answers HTTPS while it reaches a plain-gRPC core;
//! `core` alone serves TLS gRPC. Reached with real TLS clients (rustls in reqwest and tonic)
//! that trust only the test's self-signed certificate.

use crate::grpc_client;
use crate::support;
use crate::tls_certs;

use std::net::SocketAddr;
use std::time::Duration;

use mock_upstream::MockUpstream;
use modelgate::v1::ListModelsRequest;
use modelgate::v1::gateway_client::GatewayClient;
use serde_json::{Value, json};
use support::{Launch, Process, mock, serve_args, strings};
use tls_certs::{SelfSigned, ready_over_https};

const KEY: &str = "sk-tls-test";

/// A config file next to `certs`; with `tls`, `server.tls` names the test certificate.
fn write_config(certs: &SelfSigned, name: &str, mock: &MockUpstream, tls: bool) -> String {
    let server = if tls {
        format!("server: {{ {} }}\n", certs.server_tls())
    } else {
        String::new()
    };
    let file = certs.dir.path().join(name);
    std::fs::write(
        &file,
        format!(
            "{server}auth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\n\
             providers:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up-0123456789, models: [text] }}\n",
            mock.base_url()
        ),
    )
    .expect("write config");
    file.to_string_lossy().into_owned()
}

/// An HTTPS client that trusts only the test certificate, with `localhost` at `addr`.
fn https_client(certs: &SelfSigned, addr: SocketAddr) -> reqwest::Client {
    certs
        .trusting()
        .tls_built_in_root_certs(false)
        .resolve("localhost", addr)
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

/// Waits for `/health/ready` over HTTPS, then asserts a chat answer over HTTPS and that plain
/// HTTP and an untrusting TLS client get nothing from the port.
async fn assert_https_chat(certs: &SelfSigned, http: &str, what: &str) {
    let addr: SocketAddr = http.parse().expect("addr");
    let client = https_client(certs, addr);
    let base = format!("https://localhost:{}", addr.port());
    let ready = format!("{base}/health/ready");
    ready_over_https(&client, &ready, &format!("{what}: ready over https")).await;
    let resp = client
        .post(format!("{base}/v1/chat/completions"))
        .bearer_auth(KEY)
        .json(&json!({"model": "mock/text", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .expect("https answers");
    assert_eq!(resp.status(), 200, "{what}");
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["object"], "chat.completion", "{what}: {body}");

    let plain = reqwest::Client::new()
        .get(format!("http://{addr}/health"))
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    assert!(plain.is_err(), "{what}: plain HTTP answered: {plain:?}");
    let untrusting = reqwest::Client::builder()
        .resolve("localhost", addr)
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let refused = untrusting.get(format!("{base}/health")).send().await;
    assert!(refused.is_err(), "{what}: untrusted certificate accepted");
}

/// Lists models over TLS gRPC at `grpc`, trusting only the test certificate.
async fn assert_grpc_tls(certs: &SelfSigned, grpc: &str, what: &str) {
    let addr: SocketAddr = grpc.parse().expect("addr");
    // The certificate names `localhost`; the URL names the address the process bound.
    let channel = certs.grpc_channel(format!("https://{addr}")).await;
    let mut gateway = GatewayClient::new(channel);
    let request = grpc_client::keyed(ListModelsRequest {}, KEY);
    let models = gateway.list_models(request).await.expect("rpc over tls");
    assert!(
        models.get_ref().models.iter().any(|m| m.id == "mock/text"),
        "{what}: {:?}",
        models.get_ref().models
    );
    let plain = GatewayClient::connect(format!("http://{addr}")).await;
    let plain_rpc = match plain {
        Ok(mut client) => client
            .list_models(tonic::Request::new(ListModelsRequest {}))
            .await
            .is_ok(),
        Err(_) => false,
    };
    assert!(!plain_rpc, "{what}: plain gRPC answered on the TLS port");
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_answers_https_and_grpc_over_tls() {
    let mock = mock().await;
    let certs = SelfSigned::new("localhost");
    let config = write_config(&certs, "tls.yaml", &mock, true);
    let serve = Process::start(Launch {
        args: serve_args(&config),
        env: Vec::new(),
        wait_for: vec!["http", "grpc"],
    });
    assert_https_chat(&certs, serve.addr("http"), "serve").await;
    assert_grpc_tls(&certs, serve.addr("grpc"), "serve").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn facade_answers_https_from_its_config_and_core_serves_grpc_over_tls() {
    let mock = mock().await;
    let certs = SelfSigned::new("localhost");
    let tls_config = write_config(&certs, "tls.yaml", &mock, true);
    let plain_config = write_config(&certs, "plain.yaml", &mock, false);
    // The README's split layout: the facade terminates TLS, the core hop is plain gRPC.
    let core = Process::start(Launch {
        args: strings(&["core", "--grpc", "127.0.0.1:0", "--config", &plain_config]),
        env: Vec::new(),
        wait_for: vec!["grpc"],
    });
    let core_url = format!("http://{}", core.addr("grpc"));
    let facade = Process::start(Launch {
        args: strings(&[
            "facade",
            "--core-url",
            &core_url,
            "--http",
            "127.0.0.1:0",
            "--config",
            &tls_config,
        ]),
        env: Vec::new(),
        wait_for: vec!["http"],
    });
    assert_https_chat(&certs, facade.addr("http"), "facade").await;

    // `core` given the TLS config serves gRPC over TLS.
    let tls_core = Process::start(Launch {
        args: strings(&["core", "--grpc", "127.0.0.1:0", "--config", &tls_config]),
        env: Vec::new(),
        wait_for: vec!["grpc"],
    });
    assert_grpc_tls(&certs, tls_core.addr("grpc"), "core").await;
}
