//! One gateway (serve mode, port 0) in front of one mock upstream that
//! speaks every provider's API under its own path prefix.

use std::net::SocketAddr;

use mock_upstream::MockUpstream;
use modelgate_core::config::{Config, MapEnv};
use modelgate_core::grpc::{self, Core};
use modelgate_facade::core_client::CoreClient;
use modelgate_facade::server;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::adapters::Spec;

pub const CLIENT_KEY: &str = "sk-conformance-client";
/// Every provider entry uses this key, so checks can assert where it goes.
pub const PROVIDER_KEY: &str = "sk-conformance-provider-9876";

pub struct Gateway {
    pub http: SocketAddr,
    pub grpc: SocketAddr,
    pub mock: MockUpstream,
    pub client: reqwest::Client,
    _stop: watch::Sender<bool>,
}

impl Gateway {
    pub async fn start(specs: &[Spec]) -> Self {
        let mock = MockUpstream::start(mock_upstream::default_fixtures_dir())
            .await
            .expect("mock upstream starts");
        let mut yaml = format!(
            "auth:\n  keys:\n    - {{ name: conformance, key: {CLIENT_KEY} }}\nproviders:\n"
        );
        for spec in specs {
            yaml.push_str(&format!(
                "  {}: {}\n",
                spec.name,
                (spec.provider_yaml)(&mock)
            ));
        }
        let config = Config::from_yaml_str(&yaml, "conformance.yaml", &MapEnv::from_pairs(&[]))
            .unwrap_or_else(|e| panic!("conformance config invalid: {e}\n{yaml}"));
        let core = Core::new(&config).await.expect("core builds");
        let (stop, stopped) = watch::channel(false);
        let wait = move || {
            let mut rx = stopped.clone();
            async move {
                let _ = rx.wait_for(|s| *s).await;
            }
        };
        let grpc_listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let grpc = grpc_listener.local_addr().expect("addr");
        let app = server::app(
            CoreClient::in_process(core.routes.clone(), core.local()),
            config.server.body_limit_bytes,
            &config.cors.allow_origins,
        );
        tokio::spawn(grpc::serve(grpc_listener, core.routes, wait()));
        let http_listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let http = http_listener.local_addr().expect("addr");
        tokio::spawn(server::serve(http_listener, app, wait()));
        Self {
            http,
            grpc,
            mock,
            client: reqwest::Client::new(),
            _stop: stop,
        }
    }

    pub async fn post(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<reqwest::Response, String> {
        self.client
            .post(format!("http://{}{path}", self.http))
            .bearer_auth(CLIENT_KEY)
            .json(body)
            .send()
            .await
            .map_err(|e| format!("gateway did not answer: {e}"))
    }
}
