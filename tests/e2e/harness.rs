//! Starts the built `modelgate` binary in front of a mock upstream, as users run it:
//! `modelgate serve`, or `modelgate core` + `modelgate facade` as two processes, from a config
//! file, on loopback ports the kernel picks, with a clean environment plus the two keys the
//! standard config reads from it. The processes are killed when the [`Gateway`] drops.
//!
//! The mock upstream runs in the test process: it plays the provider, not the thing under test.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use mock_upstream::MockUpstream;

use crate::support::{self, DEADLINE, Launch, Process};

pub use crate::support::Mode;

pub const CLIENT_KEY: &str = "sk-client-test";
pub const LIMITED_KEY: &str = "sk-limited";
pub const PROVIDER_KEY: &str = "sk-provider-secret-123";

/// What the gateway's processes get besides `PATH` and `RUST_LOG`.
const ENV: [(&str, &str); 2] = [
    ("TEST_CLIENT_KEY", CLIENT_KEY),
    ("TEST_PROVIDER_KEY", PROVIDER_KEY),
];

pub struct Gateway {
    /// The HTTP port (the facade's in split mode).
    pub http: SocketAddr,
    /// The gRPC port (the core's in split mode).
    pub grpc: SocketAddr,
    pub mock: MockUpstream,
    pub client: reqwest::Client,
    /// The running `modelgate` processes and the config file they read.
    pub processes: support::Gateway,
    _dir: tempfile::TempDir,
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
        let mock = MockUpstream::start(mock_upstream::default_fixtures_dir())
            .await
            .expect("mock upstream starts");
        let (dir, file) = support::config_file(&yaml(&mock.base_url()));
        let processes = launch(mode, file).await;
        Self {
            http: processes.http_addr().parse().expect("http address"),
            grpc: processes.grpc_addr().parse().expect("grpc address"),
            mock,
            client: reqwest::Client::new(),
            processes,
            _dir: dir,
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

    /// The config file the processes were started from (rewrite it, then SIGHUP the core).
    pub fn config_file(&self) -> PathBuf {
        self.processes.config.clone()
    }

    /// The process that runs the core (`serve`, or `core` in split mode).
    pub fn core(&self) -> &Process {
        &self.processes.core
    }

    /// The process that answers HTTP (`serve`, or `facade` in split mode).
    pub fn facade(&self) -> &Process {
        self.processes.http_process()
    }
}

/// Starts `mode` from `config` and waits until it is ready. The start is blocking (it reads
/// the processes' output), so it runs off this test's runtime, which keeps the mock upstream
/// answering meanwhile.
async fn launch(mode: Mode, config: PathBuf) -> support::Gateway {
    tokio::task::spawn_blocking(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(support::Gateway::start(mode, &config, &ENV))
    })
    .await
    .expect("modelgate starts and becomes ready")
}

/// Starts one process (see [`Process::start`]) off this test's runtime.
pub async fn start_process(launch: Launch) -> Process {
    tokio::task::spawn_blocking(move || Process::start(launch))
        .await
        .expect("modelgate starts")
}

/// Waits, without blocking the runtime, for `process` to exit.
pub async fn exited(process: &mut Process) -> ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = process.child.try_wait().expect("wait") {
            return status;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "still running after {DEADLINE:?}; log:\n{}",
            process.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
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

/// Runs `test` once per mode: against `modelgate serve`, and against `modelgate core` +
/// `modelgate facade`.
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

/// The response head to a POST announcing a 40 MiB body (`x-request-id: too-big`), over a raw
/// connection, read while the body is still being written: the gateway answers and closes before
/// the 40 MiB are sent, so a client that writes the whole body first can see a broken pipe
/// instead of the answer.
pub async fn too_big_answer(gw: &Gateway) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let tcp = tokio::net::TcpStream::connect(gw.http)
        .await
        .expect("connects");
    let request = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {CLIENT_KEY}\r\n\
         x-request-id: too-big\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        gw.http,
        40 * 1024 * 1024
    );
    let (mut reader, mut writer) = tcp.into_split();
    writer.write_all(request.as_bytes()).await.expect("writes");
    let body = tokio::spawn(async move {
        let chunk = vec![b' '; 64 * 1024];
        for _ in 0..640 {
            if writer.write_all(&chunk).await.is_err() {
                break;
            }
        }
    });
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async {
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = reader.read(&mut buf).await.expect("reads");
            assert!(n > 0, "closed before an answer");
            head.extend_from_slice(&buf[..n]);
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), read)
        .await
        .expect("an answer within 10 s");
    body.abort();
    String::from_utf8_lossy(&head).into_owned()
}
