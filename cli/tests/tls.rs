//! `server.tls` as the binary applies it: `serve` answers HTTPS and TLS gRPC with the
//! configured certificate; `facade --config` answers HTTPS while it reaches a plain-gRPC core;
//! `core` alone serves TLS gRPC. Reached with real TLS clients (rustls in reqwest and tonic)
//! that trust only the test's self-signed certificate.

mod support;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use mock_upstream::MockUpstream;
use modelgate::v1::ListModelsRequest;
use modelgate::v1::gateway_client::GatewayClient;
use serde_json::{Value, json};
use support::{Launch, Process, eventually};
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint};

const KEY: &str = "sk-tls-test";

struct Certs {
    dir: tempfile::TempDir,
    cert_pem: String,
}

fn certs() -> Certs {
    let dir = tempfile::tempdir().expect("dir");
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("cert");
    let cert_pem = cert.cert.pem();
    std::fs::write(dir.path().join("cert.pem"), &cert_pem).expect("write cert");
    std::fs::write(dir.path().join("key.pem"), cert.key_pair.serialize_pem()).expect("write key");
    Certs { dir, cert_pem }
}

/// A config file in `dir`; with `tls`, `server.tls` names the test certificate.
fn write_config(dir: &Path, name: &str, mock: &MockUpstream, tls: bool) -> String {
    let server = if tls {
        format!(
            "server: {{ tls: {{ cert: \"{}\", key: \"{}\" }} }}\n",
            dir.join("cert.pem").display(),
            dir.join("key.pem").display()
        )
    } else {
        String::new()
    };
    let file = dir.join(name);
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

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| (*s).to_owned()).collect()
}

/// An HTTPS client that trusts only the test certificate, with `localhost` at `addr`.
fn https_client(certs: &Certs, addr: SocketAddr) -> reqwest::Client {
    reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(certs.cert_pem.as_bytes()).expect("pem"),
        )
        .tls_built_in_root_certs(false)
        .resolve("localhost", addr)
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

/// Waits for `/health/ready` over HTTPS, then asserts a chat answer over HTTPS and that plain
/// HTTP and an untrusting TLS client get nothing from the port.
async fn assert_https_chat(certs: &Certs, http: &str, what: &str) {
    let addr: SocketAddr = http.parse().expect("addr");
    let client = https_client(certs, addr);
    let base = format!("https://localhost:{}", addr.port());
    let ready = format!("{base}/health/ready");
    eventually(&format!("{what}: ready over https"), || {
        let (client, ready) = (client.clone(), ready.clone());
        async move {
            client
                .get(ready)
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
        }
    })
    .await;
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
async fn assert_grpc_tls(certs: &Certs, grpc: &str, what: &str) {
    let addr: SocketAddr = grpc.parse().expect("addr");
    // The certificate names `localhost`; the URL names the address the process bound.
    let channel = Endpoint::from_shared(format!("https://{addr}"))
        .expect("url")
        .tls_config(
            ClientTlsConfig::new()
                .ca_certificate(Certificate::from_pem(&certs.cert_pem))
                .domain_name("localhost"),
        )
        .expect("tls config")
        .connect()
        .await
        .expect("grpc over tls connects");
    let mut gateway = GatewayClient::new(channel);
    let mut request = tonic::Request::new(ListModelsRequest {});
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {KEY}").parse().expect("metadata"),
    );
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
    let mock = MockUpstream::start(mock_upstream::default_fixtures_dir())
        .await
        .expect("mock starts");
    let certs = certs();
    let config = write_config(certs.dir.path(), "tls.yaml", &mock, true);
    let serve = Process::start(Launch {
        args: strings(&[
            "serve",
            "--http",
            "127.0.0.1:0",
            "--grpc",
            "127.0.0.1:0",
            "--config",
            &config,
        ]),
        env: Vec::new(),
        wait_for: vec!["http", "grpc"],
    });
    assert_https_chat(&certs, serve.addr("http"), "serve").await;
    assert_grpc_tls(&certs, serve.addr("grpc"), "serve").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn facade_answers_https_from_its_config_and_core_serves_grpc_over_tls() {
    let mock = MockUpstream::start(mock_upstream::default_fixtures_dir())
        .await
        .expect("mock starts");
    let certs = certs();
    let tls_config = write_config(certs.dir.path(), "tls.yaml", &mock, true);
    let plain_config = write_config(certs.dir.path(), "plain.yaml", &mock, false);
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
