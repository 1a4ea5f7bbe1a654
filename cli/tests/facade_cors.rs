//! `cors.allow_origins` read by the process that serves HTTP: `serve`, and `facade --config`
//! when core and facade run apart.

use crate::support;

use serde_json::json;
use support::{Gateway, Mode, config_file, mock};

const KEY: &str = "sk-facade-cors-test";
const ALLOWED: &str = "http://localhost:3210";

#[tokio::test(flavor = "multi_thread")]
async fn cors_from_the_config_file_in_serve_and_in_facade() {
    let mock = mock().await;
    let (_dir, file) = config_file(&format!(
        "auth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\n\
         cors: {{ allow_origins: [\"{ALLOWED}\"] }}\n\
         providers:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up-0123456789, models: [text] }}\n",
        mock.base_url()
    ));
    let client = reqwest::Client::new();
    for mode in [Mode::Serve, Mode::Split] {
        let gw = Gateway::start(mode, &file, &[]).await;
        let preflight = |origin: &'static str| {
            client
                .request(reqwest::Method::OPTIONS, gw.url("/v1/chat/completions"))
                .header("origin", origin)
                .header("access-control-request-method", "POST")
                .header(
                    "access-control-request-headers",
                    "authorization,content-type",
                )
                .send()
        };
        let resp = preflight(ALLOWED).await.expect("answers");
        assert!(resp.status().is_success(), "{mode:?}: {}", resp.status());
        assert_eq!(
            resp.headers()
                .get("access-control-allow-origin")
                .and_then(|v| v.to_str().ok()),
            Some(ALLOWED),
            "{mode:?}: {:?}",
            resp.headers()
        );
        let resp = preflight("http://elsewhere.example")
            .await
            .expect("answers");
        assert!(
            resp.headers().get("access-control-allow-origin").is_none(),
            "{mode:?}: {:?}",
            resp.headers()
        );

        let resp = client
            .post(gw.url("/v1/chat/completions"))
            .header("origin", ALLOWED)
            .bearer_auth(KEY)
            .json(&json!({"model": "mock/text", "messages": [{"role": "user", "content": "hi"}]}))
            .send()
            .await
            .expect("answers");
        assert_eq!(resp.status(), 200, "{mode:?}");
        assert_eq!(
            resp.headers()
                .get("access-control-allow-origin")
                .and_then(|v| v.to_str().ok()),
            Some(ALLOWED),
            "{mode:?}: {:?}",
            resp.headers()
        );
        let log = gw.http_process().log();
        assert!(
            log.contains(&format!("CORS on for {ALLOWED}")),
            "{mode:?}: {log}"
        );
    }
}
