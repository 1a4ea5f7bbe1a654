//! Native TLS (`server.tls`): `modelgate serve` answers HTTPS and TLS gRPC with a self-signed
//! certificate made for the test, as `listen.rs` sets them up from the config.

use std::time::Duration;

use mock_upstream::MockUpstream;
use modelgate::v1::ListModelsRequest;
use modelgate::v1::gateway_client::GatewayClient;
use nix::sys::signal::Signal;
use serde_json::{Value, json};
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint};

use crate::harness::{CLIENT_KEY, exited, start_process};
use crate::support::{Launch, config_file, eventually};

#[tokio::test]
async fn https_and_grpc_over_tls_with_a_self_signed_certificate() {
    let dir = tempfile::tempdir().expect("dir");
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("cert");
    let (cert_pem, key_pem) = (cert.cert.pem(), cert.key_pair.serialize_pem());
    let (cert_file, key_file) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_file, &cert_pem).expect("write cert");
    std::fs::write(&key_file, &key_pem).expect("write key");

    let mock = MockUpstream::start(mock_upstream::default_fixtures_dir())
        .await
        .expect("mock starts");
    let (_config_dir, config) = config_file(&format!(
        "server: {{ tls: {{ cert: \"{}\", key: \"{}\" }} }}\nauth: {{ keys: [{{ name: t, key: {CLIENT_KEY} }}] }}\n\
         providers:\n  mock: {{ kind: openai, api_base: \"{}\", models: [text] }}\n",
        cert_file.display(),
        key_file.display(),
        mock.base_url()
    ));
    let mut serve = start_process(Launch {
        args: [
            "serve",
            "--http",
            "127.0.0.1:0",
            "--grpc",
            "127.0.0.1:0",
            "--config",
            config.to_str().expect("utf-8 path"),
        ]
        .map(str::to_owned)
        .to_vec(),
        env: Vec::new(),
        wait_for: vec!["http", "grpc"],
    })
    .await;
    let http: std::net::SocketAddr = serve.addr("http").parse().expect("http address");
    let grpc: std::net::SocketAddr = serve.addr("grpc").parse().expect("grpc address");

    // HTTPS, trusting only the test certificate.
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert_pem.as_bytes()).expect("pem"))
        .resolve("localhost", http)
        .build()
        .expect("client");
    let ready = format!("https://localhost:{}/health/ready", http.port());
    eventually("ready over https", || async {
        client
            .get(&ready)
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
    })
    .await;
    let url = format!("https://localhost:{}/v1/chat/completions", http.port());
    let response = client
        .post(&url)
        .bearer_auth(CLIENT_KEY)
        .json(&json!({"model": "mock/text", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .expect("https answers");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["object"], "chat.completion", "{body}");

    // Plain HTTP on the TLS port gets no answer it can use.
    let plain = reqwest::Client::new()
        .get(format!("http://{http}/health"))
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    assert!(plain.map(|r| r.status() != 200).unwrap_or(true));

    // A client that does not trust the certificate is refused.
    let untrusting = reqwest::Client::builder()
        .resolve("localhost", http)
        .build()
        .expect("client");
    let url_health = format!("https://localhost:{}/health", http.port());
    assert!(untrusting.get(&url_health).send().await.is_err());

    // gRPC over TLS with the test CA.
    let channel = Endpoint::from_shared(format!("https://localhost:{}", grpc.port()))
        .expect("url")
        .tls_config(
            ClientTlsConfig::new()
                .ca_certificate(Certificate::from_pem(&cert_pem))
                .domain_name("localhost"),
        )
        .expect("tls config")
        .connect()
        .await
        .expect("grpc tls connects");
    let mut gateway = GatewayClient::new(channel);
    let mut request = tonic::Request::new(ListModelsRequest {});
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {CLIENT_KEY}").parse().expect("metadata"),
    );
    let models = gateway.list_models(request).await.expect("rpc over tls");
    assert!(
        models.get_ref().models.iter().any(|m| m.id == "mock/text"),
        "{:?}",
        models.get_ref().models
    );
    drop(gateway);

    // The TLS servers stop on SIGTERM like the plain ones.
    serve.signal(Signal::SIGTERM);
    let status = exited(&mut serve).await;
    assert_eq!(status.code(), Some(0), "{}", serve.log());
}
