//! `modelgate healthcheck` with no `--url`: it checks `http://127.0.0.1:8001/health`, the
//! address the Docker image listens on. Port 8001 is bound only for the duration of this test;
//! when something else holds it, the test says so and checks nothing.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::support;

use support::BIN;

const DEFAULT_URL: &str = "http://127.0.0.1:8001/health";

fn healthcheck() -> std::process::Output {
    Command::new(BIN)
        .arg("healthcheck")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .output()
        .expect("runs")
}

#[test]
fn healthcheck_without_url_checks_port_8001() {
    let listener = match TcpListener::bind("127.0.0.1:8001") {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "SKIPPED healthcheck_without_url_checks_port_8001: 127.0.0.1:8001 is busy ({e})"
            );
            return;
        }
    };
    // A one-request health endpoint: records the request line, answers 200. It polls, so a
    // healthcheck that goes elsewhere ends the test with a failure, not a hang.
    listener.set_nonblocking(true).expect("nonblocking");
    let stop = Arc::new(AtomicBool::new(false));
    let server = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut stream = loop {
                match listener.accept() {
                    Ok((stream, _)) => break stream,
                    Err(_) if stop.load(Ordering::SeqCst) => return None,
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            };
            stream.set_nonblocking(false).expect("blocking");
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut request_line = String::new();
            reader.read_line(&mut request_line).expect("request line");
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
                .expect("answer");
            Some(request_line)
            // The listener is dropped here: 8001 is free again.
        })
    };
    let healthy = healthcheck();
    stop.store(true, Ordering::SeqCst);
    let request_line = server.join().expect("server thread");
    assert_eq!(
        request_line.as_deref().map(str::trim_end),
        Some("GET /health HTTP/1.1"),
        "healthcheck did not ask 127.0.0.1:8001: {}",
        String::from_utf8_lossy(&healthy.stderr)
    );
    assert_eq!(
        healthy.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&healthy.stderr)
    );
    assert!(
        String::from_utf8_lossy(&healthy.stdout).contains(DEFAULT_URL),
        "{}",
        String::from_utf8_lossy(&healthy.stdout)
    );

    // Nothing on 8001 now: exit 1, naming the URL it tried.
    let down = healthcheck();
    assert_eq!(down.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&down.stderr);
    assert!(stderr.contains(DEFAULT_URL), "{stderr}");
}
