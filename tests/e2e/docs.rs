//! `GET /openapi.json` (generated from the routes) and `GET /docs` (Swagger
//! UI from the binary), the latter rendered by a real headless Chromium.

use std::io::Read as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::both_modes;
use crate::harness::{Gateway, Mode};

both_modes!(
    openapi_json_lists_the_openai_routes,
    |gw: Gateway| async move {
        // No key: the document is public.
        let resp = gw
            .client
            .get(gw.url("/openapi.json"))
            .send()
            .await
            .expect("answers");
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "application/json");
        let doc: Value = resp.json().await.expect("JSON");
        assert!(
            doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
            "{}",
            doc["openapi"]
        );
        let paths = doc["paths"].as_object().expect("paths");
        for path in ["/v1/chat/completions", "/v1/models", "/v1/embeddings"] {
            assert!(
                paths.contains_key(path),
                "{path} missing from {:?}",
                paths.keys()
            );
        }
        let chat = &doc["paths"]["/v1/chat/completions"]["post"];
        assert_eq!(
            chat["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ChatCompletionRequest"
        );
        assert!(chat["responses"]["200"]["content"]["text/event-stream"].is_object());
        assert_eq!(
            doc["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
        assert_eq!(doc["security"][0]["bearer"], serde_json::json!([]));
        // The model entry documents the LobeChat keys.
        let model = &doc["components"]["schemas"]["Model"]["properties"];
        for key in [
            "id",
            "owned_by",
            "contextWindowTokens",
            "pricing",
            "enabled",
        ] {
            assert!(model[key].is_object(), "Model.{key} undocumented");
        }
    }
);

both_modes!(
    docs_page_is_served_from_the_binary,
    |gw: Gateway| async move {
        let resp = gw
            .client
            .get(gw.url("/docs/"))
            .send()
            .await
            .expect("answers");
        assert_eq!(resp.status(), 200);
        let html = resp.text().await.expect("text");
        assert!(html.contains("swagger-ui"), "{html}");
        let init = gw
            .client
            .get(gw.url("/docs/swagger-initializer.js"))
            .send()
            .await
            .expect("answers");
        assert_eq!(init.status(), 200);
        let init = init.text().await.expect("text");
        assert!(init.contains("/openapi.json"), "{init}");
    }
);

/// Chromium from Debian (`scripts/test` installs it); `MODELGATE_CHROMIUM`
/// names another binary.
fn chromium() -> PathBuf {
    let path = std::env::var_os("MODELGATE_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        path.exists(),
        "{} not found: this test renders /docs in headless Chromium and does not skip. \
         Install it with `apt-get update && apt-get install -y chromium` (scripts/test does), \
         or set MODELGATE_CHROMIUM to a Chromium binary{}",
        path.display(),
        if std::env::var_os("CI").is_some() {
            " (CI: scripts/test's chromium stage should have installed it)"
        } else {
            ""
        }
    );
    path
}

/// Runs headless Chromium on `url` and returns the DOM after its scripts ran.
fn dump_dom(url: &str) -> String {
    static RUNS: AtomicU64 = AtomicU64::new(0);
    let profile = std::env::temp_dir().join(format!(
        "modelgate-chromium-{}-{}",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::Relaxed)
    ));
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
            "--virtual-time-budget=10000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    // Both pipes are drained while Chromium runs: a DOM larger than the pipe buffer would
    // otherwise block it on its write, and it would never exit.
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
    // Chromium exits on its own once the virtual time budget is spent.
    let deadline = Instant::now() + Duration::from_secs(90);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait chromium") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let _ = std::fs::remove_dir_all(&profile);
            panic!("chromium did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let stdout = stdout.join().expect("stdout reader");
    let stderr = stderr.join().expect("stderr reader");
    let _ = std::fs::remove_dir_all(&profile);
    assert!(
        status.success(),
        "chromium failed ({status}): {}",
        String::from_utf8_lossy(&stderr)
    );
    String::from_utf8_lossy(&stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_renders_the_chat_operation_on_docs() {
    let gw = Gateway::start(Mode::Serve).await;
    let url = gw.url("/docs");
    let dom = tokio::task::spawn_blocking(move || dump_dom(&url))
        .await
        .expect("chromium task");
    // These exist only once Swagger UI's script has fetched /openapi.json and
    // rendered the operations: the served HTML holds neither.
    assert!(
        dom.contains("opblock-summary-path"),
        "no operation rendered; DOM:\n{dom}"
    );
    assert!(
        dom.contains("/v1/chat/completions"),
        "chat completions operation missing; DOM:\n{dom}"
    );
    assert!(
        dom.contains("operations-OpenAI-chat_completions"),
        "DOM:\n{dom}"
    );
}
