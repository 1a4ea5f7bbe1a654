//! `GET /docs` (Swagger UI) works with no internet access: the real binary, rendered by
//! headless Chromium whose every non-loopback fetch fails (no host name resolves but
//! 127.0.0.1, and all other traffic goes to a proxy on a closed port). The operations render
//! all the same, so every script, stylesheet and the document come from the binary.

use crate::support;

use std::io::Read as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{Gateway, Mode, config_file};

/// Chromium from Debian (`scripts/test` installs it); `MODELGATE_CHROMIUM` names another.
fn chromium() -> PathBuf {
    let path = std::env::var_os("MODELGATE_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        path.exists(),
        "{} not found: this test renders /docs in headless Chromium and does not skip. \
         Install it with `apt-get install -y chromium` (scripts/test does), or set \
         MODELGATE_CHROMIUM",
        path.display()
    );
    path
}

/// The DOM of `url` after its scripts ran, in a Chromium that cannot reach beyond loopback.
fn dump_dom_offline(url: &str) -> String {
    let profile = tempfile::tempdir().expect("profile dir");
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            // No name resolves but 127.0.0.1's …
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            // … and what needs no resolving (an IP address) goes to a closed port.
            "--proxy-server=http://127.0.0.1:9",
            "--proxy-bypass-list=127.0.0.1",
            "--virtual-time-budget=10000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    // Both pipes drained while Chromium runs, so a large DOM cannot block it.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let deadline = Instant::now() + Duration::from_secs(90);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait chromium") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let stdout = stdout.join().expect("stdout reader");
    let stderr = stderr.join().expect("stderr reader");
    assert!(
        status.success(),
        "chromium failed ({status}): {}",
        String::from_utf8_lossy(&stderr)
    );
    String::from_utf8_lossy(&stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn swagger_ui_renders_with_no_internet_access() {
    let (_dir, file) = config_file(
        "auth:\n  keys:\n    - { name: tests, key: sk-docs-offline }\nproviders:\n  local: { kind: ollama, api_base: \"http://127.0.0.1:9\" }\n",
    );
    // Split too: there the facade alone serves /docs.
    for mode in [Mode::Serve, Mode::Split] {
        let gw = Gateway::start(mode, &file, &[]).await;
        // The page itself names nothing outside the gateway.
        let html = reqwest::get(gw.url("/docs/"))
            .await
            .expect("answers")
            .text()
            .await
            .expect("html");
        for attr in ["src=\"http", "href=\"http", "src=\"//", "href=\"//"] {
            assert!(
                !html.contains(attr),
                "{mode:?}: /docs/ loads {attr}…:\n{html}"
            );
        }
        let url = gw.url("/docs");
        let dom = tokio::task::spawn_blocking(move || dump_dom_offline(&url))
            .await
            .expect("chromium task");
        // Only Swagger UI's script, once it has fetched /openapi.json, writes these.
        for rendered in [
            "opblock-summary-path",
            "operations-OpenAI-chat_completions",
            "/v1/chat/completions",
        ] {
            assert!(
                dom.contains(rendered),
                "{mode:?}: {rendered:?} not rendered offline; DOM:\n{dom}"
            );
        }
    }
}
