//! Starts a gateway on port-0 listeners in front of a mock upstream.

use std::net::SocketAddr;

use mock_upstream::MockUpstream;
use modelgate_core::config::{Config, MapEnv};
use modelgate_core::grpc::{self, Core};
use modelgate_facade::core_client::CoreClient;
use modelgate_facade::read_timeouts::{self, ReadTimeouts};
use modelgate_facade::server;
use tokio::net::TcpListener;
use tokio::sync::watch;

pub const CLIENT_KEY: &str = "sk-client-test";
pub const LIMITED_KEY: &str = "sk-limited";
pub const PROVIDER_KEY: &str = "sk-provider-secret-123";

/// How the facade reaches the core.
#[derive(Clone, Copy, Debug)]
pub enum Mode {
    /// `modelgate serve`: in process, no socket.
    Serve,
    /// `modelgate core` + `modelgate facade`: gRPC over TCP.
    Split,
}

pub struct Gateway {
    pub http: SocketAddr,
    pub grpc: SocketAddr,
    pub mock: MockUpstream,
    pub client: reqwest::Client,
    _stop: watch::Sender<bool>,
}

/// The standard test config for a mock upstream at `mock_base`.
pub fn config_yaml(mock_base: &str, body_limit_mb: Option<u32>) -> String {
    let server = body_limit_mb
        .map(|mb| format!("server: {{ body_limit_mb: {mb} }}\n"))
        .unwrap_or_default();
    format!(
        r#"{server}auth:
  keys:
    - {{ name: tests, key: os.environ/TEST_CLIENT_KEY, models: ["*"] }}
    - {{ name: limited, key: {LIMITED_KEY}, models: ["mock/text"] }}
providers:
  mock: {{ kind: openai, api_base: "{mock_base}", api_key: os.environ/TEST_PROVIDER_KEY, models: [text, tools] }}
  discovered: {{ kind: openai, api_base: "{mock_base}", api_key: {PROVIDER_KEY} }}
  down: {{ kind: openai, api_base: "http://127.0.0.1:9/v1" }}
model_list:
  - model_name: gpt-4o-alias
    litellm_params: {{ model: mock/text }}
  - model_name: balanced
    litellm_params: {{ model: mock/text }}
  - model_name: balanced
    litellm_params: {{ model: mock/tools }}
"#
    )
}

impl Gateway {
    pub async fn start(mode: Mode) -> Self {
        Self::start_with(mode, None).await
    }

    pub async fn start_with(mode: Mode, body_limit_mb: Option<u32>) -> Self {
        Self::start_config(mode, |base| config_yaml(base, body_limit_mb)).await
    }

    /// With the config `yaml` makes from the mock upstream's base URL.
    pub async fn start_config(mode: Mode, yaml: impl FnOnce(&str) -> String) -> Self {
        Self::start_custom(mode, yaml, ReadTimeouts::default()).await
    }

    /// As `start_config`, with the HTTP server's client read timeouts.
    pub async fn start_custom(
        mode: Mode,
        yaml: impl FnOnce(&str) -> String,
        timeouts: ReadTimeouts,
    ) -> Self {
        let mock = MockUpstream::start(mock_upstream::default_fixtures_dir())
            .await
            .expect("mock upstream starts");
        let env = MapEnv::from_pairs(&[
            ("TEST_CLIENT_KEY", CLIENT_KEY),
            ("TEST_PROVIDER_KEY", PROVIDER_KEY),
        ]);
        let config = Config::from_yaml_str(&yaml(&mock.base_url()), "test.yaml", &env)
            .expect("test config is valid");
        let core = Core::new(&config).await.expect("core builds");
        let (stop, stopped) = watch::channel(false);
        let wait = move || {
            let mut rx = stopped.clone();
            async move {
                let _ = rx.wait_for(|s| *s).await;
            }
        };
        let grpc_listener = TcpListener::bind("127.0.0.1:0").await.expect("bind grpc");
        let grpc_addr = grpc_listener.local_addr().expect("addr");
        let client = match mode {
            Mode::Serve => CoreClient::in_process(core.routes.clone(), core.local()),
            Mode::Split => CoreClient::connect(&format!("http://{grpc_addr}")).expect("valid url"),
        };
        tokio::spawn(grpc::serve(grpc_listener, core.routes, wait()));
        let http_listener = TcpListener::bind("127.0.0.1:0").await.expect("bind http");
        let http = http_listener.local_addr().expect("addr");
        let app = server::app(
            client,
            config.server.body_limit_bytes,
            &config.cors.allow_origins,
        );
        tokio::spawn(read_timeouts::serve_with(
            http_listener,
            app,
            wait(),
            timeouts,
        ));
        Self {
            http,
            grpc: grpc_addr,
            mock,
            client: reqwest::Client::new(),
            _stop: stop,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.http)
    }

    /// POST JSON with the full-access client key.
    pub async fn post(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(CLIENT_KEY)
            .json(body)
            .send()
            .await
            .expect("gateway answers")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(CLIENT_KEY)
            .send()
            .await
            .expect("gateway answers")
    }
}

/// Reads a fixture file.
pub fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(mock_upstream::default_fixtures_dir().join(path)).expect("fixture present")
}

/// The `data:` payloads of an SSE body, in order.
pub fn sse_data(body: &str) -> Vec<String> {
    body.split("\n\n")
        .filter_map(|event| event.strip_prefix("data: "))
        .map(str::to_owned)
        .collect()
}

/// Runs `test` once per mode.
#[macro_export]
macro_rules! both_modes {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test]
            async fn serve() {
                let f = $body;
                f($crate::harness::Gateway::start($crate::harness::Mode::Serve).await).await;
            }
            #[tokio::test]
            async fn split() {
                let f = $body;
                f($crate::harness::Gateway::start($crate::harness::Mode::Split).await).await;
            }
        }
    };
}
