//! The real `modelgate` binary: signals (SIGTERM drain, SIGHUP reload), `check-config` and
//! `healthcheck`.

use std::path::Path;
use std::process::{Command, ExitStatus};

use futures::StreamExt;
use mock_upstream::MockUpstream;
use nix::sys::signal::Signal;
use serde_json::{Value, json};

const KEY: &str = "sk-binary-test";
const PROVIDER_KEY: &str = "sk-provider-never-printed";

fn config(mock_base: &str, extra_alias: Option<&str>) -> String {
    let extra = extra_alias
        .map(|a| format!("  - model_name: {a}\n    litellm_params: {{ model: mock/text }}\n"))
        .unwrap_or_default();
    format!(
        r#"server: {{ shutdown_grace_seconds: 20 }}
auth:
  keys:
    - {{ name: tests, key: {KEY} }}
    - {{ name: limited, key: sk-limited-binary, models: ["mock/text", "openai/*"] }}
providers:
  mock: {{ kind: openai, api_base: "{mock_base}", api_key: {PROVIDER_KEY}, models: [text, slow] }}
  local: {{ kind: ollama, api_base: "http://127.0.0.1:9" }}
model_list:
  - model_name: first-alias
    litellm_params: {{ model: mock/text }}
{extra}general_settings:
  database_url: postgres://unused
"#
    )
}

use crate::support;

use support::{BIN, DEADLINE, Launch, Process, eventually, mock};

/// A running `modelgate serve` on loopback ports chosen by the kernel.
struct Gateway {
    process: Process,
    http: String,
}

impl Gateway {
    fn start(config: &Path) -> Self {
        let process = Process::start(Launch {
            args: vec![
                "serve".into(),
                "--http".into(),
                "127.0.0.1:0".into(),
                "--grpc".into(),
                "127.0.0.1:0".into(),
                "--config".into(),
                config.to_string_lossy().into_owned(),
            ],
            env: Vec::new(),
            wait_for: vec!["http"],
        });
        let http = format!("http://{}", process.addr("http"));
        Self { process, http }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.http)
    }

    fn signal(&self, signal: Signal) {
        self.process.signal(signal);
    }

    fn log(&self) -> String {
        self.process.log()
    }

    fn exit_status(&mut self) -> ExitStatus {
        self.process.exit_status()
    }
}

async fn ready(client: &reqwest::Client, gw: &Gateway) -> u16 {
    client
        .get(gw.url("/health/ready"))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

async fn model_ids(client: &reqwest::Client, gw: &Gateway) -> Vec<String> {
    let body: Value = client
        .get(gw.url("/v1/models"))
        .bearer_auth(KEY)
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    body["data"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|m| m["id"].as_str().map(str::to_owned))
        .collect()
}

/// Opens a stream and returns a task collecting the rest of it once the first bytes arrived.
async fn open_stream(client: &reqwest::Client, gw: &Gateway) -> tokio::task::JoinHandle<String> {
    let response = client
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(KEY)
        .json(&json!({"model": "mock/slow", "stream": true,
                      "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 200);
    let mut body = response.bytes_stream();
    let first = body.next().await.expect("first chunk").expect("readable");
    tokio::spawn(async move {
        let mut text = String::from_utf8_lossy(&first).into_owned();
        while let Some(chunk) = body.next().await {
            text.push_str(&String::from_utf8_lossy(&chunk.expect("stream not broken")));
        }
        text
    })
}

async fn start(extra_alias: Option<&str>) -> (MockUpstream, tempfile::TempDir, Gateway) {
    let mock = mock().await;
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("modelgate.yaml");
    std::fs::write(&file, config(&mock.base_url(), extra_alias)).expect("write");
    let gw = Gateway::start(&file);
    let client = reqwest::Client::new();
    eventually("ready", || async { ready(&client, &gw).await == 200 }).await;
    (mock, dir, gw)
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_during_streams_drains_then_exits_0() {
    let (_mock, _dir, mut gw) = start(None).await;
    let client = reqwest::Client::new();
    let mut streams = Vec::new();
    for _ in 0..20 {
        streams.push(open_stream(&client, &gw).await);
    }
    gw.signal(Signal::SIGTERM);
    eventually("readiness 503", || async {
        ready(&client, &gw).await == 503
    })
    .await;
    let refused = reqwest::Client::new()
        .get(gw.url("/v1/models"))
        .bearer_auth(KEY)
        .send()
        .await
        .expect("answered while draining");
    assert_eq!(refused.status(), 503);
    let body: Value = refused.json().await.expect("json");
    assert_eq!(body["error"]["code"], "shutting_down");
    for stream in streams {
        let text = tokio::time::timeout(DEADLINE, stream)
            .await
            .expect("in time")
            .expect("task");
        assert!(text.trim_end().ends_with("data: [DONE]"), "{text}");
        assert!(!text.contains("\"error\""), "{text}");
    }
    let status = gw.exit_status();
    assert_eq!(status.code(), Some(0), "log:\n{}", gw.log());
    assert!(gw.log().contains("every request finished"), "{}", gw.log());
}

#[tokio::test(flavor = "multi_thread")]
async fn sighup_reloads_and_rejects_an_invalid_config() {
    let (mock, dir, mut gw) = start(None).await;
    let client = reqwest::Client::new();
    let file = dir.path().join("modelgate.yaml");
    assert!(!model_ids(&client, &gw).await.contains(&"added".to_owned()));
    let stream = open_stream(&client, &gw).await;

    std::fs::write(&file, config(&mock.base_url(), Some("added"))).expect("write");
    gw.signal(Signal::SIGHUP);
    eventually("alias after SIGHUP", || async {
        model_ids(&client, &gw).await.contains(&"added".to_owned())
    })
    .await;

    std::fs::write(&file, "server: { htp: 1 }\n").expect("write");
    gw.signal(Signal::SIGHUP);
    eventually("rejection logged", || async {
        gw.log().contains("config reload rejected")
    })
    .await;
    assert!(gw.log().contains("server.htp"), "{}", gw.log());
    assert!(model_ids(&client, &gw).await.contains(&"added".to_owned()));

    let text = tokio::time::timeout(DEADLINE, stream)
        .await
        .expect("in time")
        .expect("task");
    assert!(text.trim_end().ends_with("data: [DONE]"), "{text}");

    gw.signal(Signal::SIGINT);
    assert_eq!(gw.exit_status().code(), Some(0), "{}", gw.log());
}

#[test]
fn check_config_prints_what_the_file_resolves_to() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("modelgate.yaml");
    std::fs::write(&file, config("http://127.0.0.1:1/v1", None)).expect("write");
    let out = Command::new(BIN)
        .arg("check-config")
        .arg(&file)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for expected in [
        "is valid",
        "shutdown grace: 20 s",
        "tests: all models",
        "limited: mock/text, openai/*",
        "kind: openai",
        "api_base: http://127.0.0.1:1/v1",
        "api_key: set",
        "models: text, slow",
        "kind: ollama",
        "api_key: none",
        "models: discovered from the upstream",
        "first-alias -> mock/text",
        "warning: general_settings.database_url",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
    assert!(
        !stdout.contains(PROVIDER_KEY),
        "a key was printed:\n{stdout}"
    );
    assert!(!stdout.contains(KEY), "a client key was printed:\n{stdout}");
}

#[test]
fn check_config_names_file_key_path_and_fix() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("broken.yaml");
    std::fs::write(&file, "server: { shutdown_grace_secnds: 5 }\n").expect("write");
    let out = Command::new(BIN)
        .arg("check-config")
        .arg(&file)
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("broken.yaml"), "{stderr}");
    assert!(stderr.contains("server.shutdown_grace_secnds"), "{stderr}");
    assert!(
        stderr.contains("did you mean `shutdown_grace_seconds`"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn healthcheck_exits_0_when_healthy_and_1_otherwise() {
    let (_mock, _dir, gw) = start(None).await;
    let ok = Command::new(BIN)
        .args(["healthcheck", "--url", &gw.url("/health")])
        .output()
        .expect("runs");
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let not_found = Command::new(BIN)
        .args(["healthcheck", "--url", &gw.url("/no-such-path")])
        .output()
        .expect("runs");
    assert_eq!(not_found.status.code(), Some(1));
    let closed = Command::new(BIN)
        .args(["healthcheck", "--url", "http://127.0.0.1:9/health"])
        .output()
        .expect("runs");
    assert_eq!(closed.status.code(), Some(1));
}
