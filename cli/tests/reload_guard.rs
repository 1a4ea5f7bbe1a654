//! A reload is held to the start-up checks: a gateway listening on a public address with
//! client keys cannot be opened by removing the keys and sending SIGHUP (unless it was
//! started with `--allow-unauthenticated`, as start-up would then allow too).

use crate::support;

use mock_upstream::MockUpstream;
use nix::sys::signal::Signal;
use serde_json::json;
use support::{Launch, Process, eventually, mock};

const KEY: &str = "sk-reload-guard";

struct Running {
    _mock: MockUpstream,
    _dir: tempfile::TempDir,
    file: std::path::PathBuf,
    providers: String,
    process: Process,
    /// `http://127.0.0.1:PORT`: the process listens on every address, the test talks to
    /// loopback only.
    http: String,
}

async fn start(extra_args: &[&str]) -> Running {
    let mock = mock().await;
    let providers = format!(
        "providers:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up }}\n",
        mock.base_url()
    );
    let (dir, file) = support::config_file(&format!(
        "auth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\n{providers}"
    ));
    let mut args: Vec<String> = [
        "serve",
        "--http",
        "0.0.0.0:0",
        "--grpc",
        "0.0.0.0:0",
        "--config",
        &file.to_string_lossy(),
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    args.extend(extra_args.iter().map(|s| (*s).to_owned()));
    let process = Process::start(Launch {
        args,
        env: Vec::new(),
        wait_for: vec!["http", "grpc"],
    });
    let port = process
        .addr("http")
        .rsplit(':')
        .next()
        .expect("port")
        .to_owned();
    assert!(process.addr("http").starts_with("0.0.0.0:"));
    assert!(process.addr("grpc").starts_with("0.0.0.0:"));
    let http = format!("http://127.0.0.1:{port}");
    let running = Running {
        _mock: mock,
        _dir: dir,
        file,
        providers,
        process,
        http,
    };
    let ready = format!("{}/health/ready", running.http);
    eventually("ready", || {
        let ready = ready.clone();
        async move { reqwest::get(ready).await.is_ok_and(|r| r.status() == 200) }
    })
    .await;
    running
}

impl Running {
    async fn unauthenticated_chat(&self) -> u16 {
        reqwest::Client::new()
            .post(format!("{}/v1/chat/completions", self.http))
            .json(&json!({"model": "mock/text", "messages": [{"role": "user", "content": "hi"}]}))
            .send()
            .await
            .expect("answers")
            .status()
            .as_u16()
    }

    /// Writes the config without any client key and sends SIGHUP.
    fn remove_keys_and_reload(&self) {
        std::fs::write(&self.file, &self.providers).expect("rewrite config");
        self.process.signal(Signal::SIGHUP);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn reload_without_keys_on_a_public_address_is_rejected() {
    let gw = start(&[]).await;
    assert_eq!(gw.unauthenticated_chat().await, 401);
    gw.remove_keys_and_reload();
    // Either outcome is logged ("config reloaded" / "config reload rejected").
    eventually("the reload is handled", || async {
        gw.process.log().contains("config reload")
    })
    .await;
    let log = gw.process.log();
    assert!(log.contains("config reload rejected"), "{log}");
    assert!(log.contains("no client keys are configured"), "{log}");
    assert!(!log.contains("config reloaded"), "{log}");
    assert_eq!(gw.unauthenticated_chat().await, 401, "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn reload_without_keys_is_accepted_with_allow_unauthenticated() {
    let gw = start(&["--allow-unauthenticated"]).await;
    assert_eq!(gw.unauthenticated_chat().await, 401);
    gw.remove_keys_and_reload();
    eventually("the reload is handled", || async {
        gw.process.log().contains("config reload")
    })
    .await;
    let log = gw.process.log();
    assert!(log.contains("config reloaded"), "{log}");
    assert!(!log.contains("config reload rejected"), "{log}");
    assert_eq!(gw.unauthenticated_chat().await, 200, "{log}");
}
