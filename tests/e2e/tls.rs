//! Native TLS (`server.tls`): `modelgate serve` answers HTTPS and TLS gRPC with a self-signed
//! certificate made for the test, as `listen.rs` sets them up from the config.

use std::time::Duration;

use modelgate::v1::ListModelsRequest;
use modelgate::v1::gateway_client::GatewayClient;
use nix::sys::signal::Signal;
use serde_json::{Value, json};

use crate::grpc_client::keyed;
use crate::harness::{CLIENT_KEY, exited, start_process};
use crate::support::{Launch, config_file, mock, serve_args};
use crate::tls_certs::{SelfSigned, ready_over_https};

#[tokio::test]
async fn https_and_grpc_over_tls_with_a_self_signed_certificate() {
    let cert = SelfSigned::new("localhost");
    let mock = mock().await;
    let (_config_dir, config) = config_file(&format!(
        "server: {{ {} }}\nauth: {{ keys: [{{ name: t, key: {CLIENT_KEY} }}] }}\n\
         providers:\n  mock: {{ kind: openai, api_base: \"{}\", models: [text] }}\n",
        cert.server_tls(),
        mock.base_url()
    ));
    let mut serve = start_process(Launch {
        args: serve_args(config.to_str().expect("utf-8 path")),
        env: Vec::new(),
        wait_for: vec!["http", "grpc"],
    })
    .await;
    let http: std::net::SocketAddr = serve.addr("http").parse().expect("http address");
    let grpc: std::net::SocketAddr = serve.addr("grpc").parse().expect("grpc address");

    // HTTPS, trusting only the test certificate.
    let client = cert
        .trusting()
        .resolve("localhost", http)
        .build()
        .expect("client");
    let ready = format!("https://localhost:{}/health/ready", http.port());
    ready_over_https(&client, &ready, "ready over https").await;
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
    let channel = cert
        .grpc_channel(format!("https://localhost:{}", grpc.port()))
        .await;
    let mut gateway = GatewayClient::new(channel);
    let request = keyed(ListModelsRequest {}, CLIENT_KEY);
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
