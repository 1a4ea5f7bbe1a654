//! What `modelgate serve` logs by itself: at `info` when `RUST_LOG` is not set at all (the
//! support harness always sets it, so this file starts the binary itself), and a start-up
//! warning for a client key shorter than 8 characters, naming the key's place, never its value.

use crate::support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Instant;

use mock_upstream::MockUpstream;
use serde_json::json;
use support::{BIN, DEADLINE, Gateway, Mode, config_file, eventually, mock, read};

const KEY: &str = "sk-startup-log-client-key";
const SHORT: &str = "abc12";

/// `modelgate serve` with exactly `env` (plus `PATH`), killed on drop.
struct Serve {
    child: Child,
    http: String,
    stderr: tempfile::NamedTempFile,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Serve {
    fn start(config: &std::path::Path, env: &[(&str, &str)]) -> Self {
        let stderr = tempfile::NamedTempFile::new().expect("log file");
        let mut command = Command::new(BIN);
        command
            .args([
                "serve",
                "--http",
                "127.0.0.1:0",
                "--grpc",
                "127.0.0.1:0",
                "--config",
            ])
            .arg(config)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr.reopen().expect("log file"));
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("modelgate starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + DEADLINE;
        let http = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(addr) = line.strip_prefix("modelgate: http listening on ") {
                        break format!("http://{}", addr.trim());
                    }
                }
                Err(_) => panic!("no http listener; log:\n{}", read(stderr.path())),
            }
        };
        Self {
            child,
            http,
            stderr,
        }
    }

    fn log(&self) -> String {
        read(self.stderr.path())
    }
}

fn config(mock: &MockUpstream, keys: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    config_file(&format!(
        "auth:\n  keys:\n{keys}\
         providers:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up-0123456789, models: [text] }}\n",
        mock.base_url()
    ))
}

/// One chat, then waits for its request line in the log.
async fn chat_and_wait_for_the_request_line(serve: &Serve) {
    let response = reqwest::Client::new()
        .post(format!("{}/v1/chat/completions", serve.http))
        .bearer_auth(KEY)
        .json(&json!({"model": "mock/text", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 200);
    response.text().await.expect("body");
    eventually("the request line", || async {
        serve.log().contains("modelgate::request")
    })
    .await;
}

fn lines_at<'a>(log: &'a str, level: &str) -> Vec<&'a str> {
    let level = format!(" {level} ");
    log.lines().filter(|l| l.contains(&level)).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn without_rust_log_the_level_is_info() {
    let mock = mock().await;
    let (_dir, file) = config(&mock, &format!("    - {{ name: tests, key: {KEY} }}\n"));

    let serve = Serve::start(&file, &[]);
    chat_and_wait_for_the_request_line(&serve).await;
    let log = serve.log();
    let info = lines_at(&log, "INFO");
    assert!(
        info.iter().any(|l| l.contains("config loaded")),
        "no start-up info line:\n{log}"
    );
    assert!(
        info.iter().any(|l| l.contains("modelgate::request")),
        "no request info line:\n{log}"
    );
    assert_eq!(lines_at(&log, "DEBUG"), Vec::<&str>::new(), "{log}");
    assert_eq!(lines_at(&log, "TRACE"), Vec::<&str>::new(), "{log}");
    drop(serve);

    // The same request at RUST_LOG=debug does write debug lines, so their absence above is the
    // default level at work.
    let serve = Serve::start(&file, &[("RUST_LOG", "debug")]);
    chat_and_wait_for_the_request_line(&serve).await;
    let log = serve.log();
    assert!(!lines_at(&log, "DEBUG").is_empty(), "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_key_under_8_characters_is_warned_about_at_start_up() {
    let mock = mock().await;
    let (_dir, file) = config(
        &mock,
        &format!("    - {{ name: tiny, key: {SHORT} }}\n    - {{ name: tests, key: {KEY} }}\n"),
    );
    let gw = Gateway::start(Mode::Serve, &file, &[]).await;
    let log = gw.log();
    let warned: Vec<&str> = log.lines().filter(|l| l.contains("too short")).collect();
    assert_eq!(warned.len(), 1, "{log}");
    let line = warned[0];
    assert!(line.contains("WARN"), "{line}");
    assert!(line.contains("auth.keys[tiny]"), "{line}");
    assert!(line.contains("min_len=8"), "{line}");
    assert!(!line.contains(SHORT), "the key itself is logged: {line}");
    // The short key still works: it is a warning, not a refusal.
    let response = reqwest::Client::new()
        .get(gw.url("/v1/models"))
        .bearer_auth(SHORT)
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 200);
}
