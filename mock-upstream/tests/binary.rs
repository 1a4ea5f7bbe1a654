//! The `mock-upstream` binary prints its address and serves.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test]
async fn binary_prints_address_and_serves() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mock-upstream"))
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("first line");
    let addr = line
        .trim_end()
        .strip_prefix("mock-upstream listening on 127.0.0.1:")
        .map(|port| format!("127.0.0.1:{port}"));

    let result = async {
        let addr = addr.ok_or_else(|| format!("unexpected line {line:?}"))?;
        let resp = reqwest::Client::builder()
            .no_proxy()
            .build()
            .map_err(|e| e.to_string())?
            .get(format!("http://{addr}/v1/models"))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>(resp.status())
    }
    .await;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(result.expect("request served"), 200);
}

#[test]
fn binary_fails_on_missing_fixtures() {
    let output = Command::new(env!("CARGO_BIN_EXE_mock-upstream"))
        .args(["--fixtures", "/nonexistent/fixtures"])
        .output()
        .expect("binary runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent/fixtures"));
}
