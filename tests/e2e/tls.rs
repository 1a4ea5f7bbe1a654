//! Native TLS (`server.tls`): HTTPS on the facade and TLS gRPC on the core, with a
//! self-signed certificate made for the test.

use std::time::Duration;

use mock_upstream::MockUpstream;
use modelgate::v1::ListModelsRequest;
use modelgate::v1::gateway_client::GatewayClient;
use modelgate_core::config::{Config, MapEnv};
use modelgate_core::grpc::Core;
use modelgate_facade::core_client::CoreClient;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint};

use crate::harness::CLIENT_KEY;

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
    let yaml = format!(
        "server: {{ tls: {{ cert: \"{}\", key: \"{}\" }} }}\nauth: {{ keys: [{{ name: t, key: {CLIENT_KEY} }}] }}\n\
         providers:\n  mock: {{ kind: openai, api_base: \"{}\", models: [text] }}\n",
        cert_file.display(),
        key_file.display(),
        mock.base_url()
    );
    let config = Config::from_yaml_str(&yaml, "tls.yaml", &MapEnv::default()).expect("valid");
    let tls = config.server.tls.clone().expect("tls configured");
    let core = Core::new(&config).await.expect("core");
    let (stop, stopped) = watch::channel(false);
    let wait = move || {
        let mut rx = stopped.clone();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    };

    let grpc_listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let grpc = grpc_listener.local_addr().expect("addr");
    let identity = modelgate_core::tls::identity(&tls).expect("identity");
    tokio::spawn(modelgate_core::tls::serve(
        grpc_listener,
        core.routes.clone(),
        identity,
        wait(),
    ));
    let http_listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let http = http_listener.local_addr().expect("addr");
    let app = modelgate_facade::server::app(
        CoreClient::in_process(core.routes.clone(), core.local()),
        config.server.body_limit_bytes,
        &config.cors.allow_origins,
    );
    let server_tls = modelgate_facade::tls::server_config(&tls.cert, &tls.key).expect("rustls");
    let http_task = tokio::spawn(modelgate_facade::tls::serve(
        http_listener,
        app,
        server_tls,
        wait(),
    ));

    // HTTPS, trusting only the test certificate.
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert_pem.as_bytes()).expect("pem"))
        .resolve("localhost", http)
        .build()
        .expect("client");
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

    let _ = stop.send(true);
    tokio::time::timeout(Duration::from_secs(10), http_task)
        .await
        .expect("https server stops")
        .expect("task")
        .expect("served");
}
