//! CORS through the binary, beyond what `facade_cors.rs` covers: the start-up line `CORS off`
//! when no origins are configured (and then no CORS headers at all), and preflights for `GET`
//! and for the `api-key` and `OpenAI-*` request headers, in serve and in split mode.

use crate::support;

use mock_upstream::MockUpstream;
use support::{Gateway, Mode, config_file, mock};

const KEY: &str = "sk-cors-headers-test-key";
const ALLOWED: &str = "http://localhost:3210";

/// Request headers a browser page sends that the README names: `api-key` and the `OpenAI-*`
/// ones the OpenAI SDKs add.
const ASKED: &[&str] = &[
    "api-key",
    "openai-organization",
    "openai-project",
    "openai-beta",
];

fn config(mock: &MockUpstream, cors: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    config_file(&format!(
        "auth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\n{cors}\
         providers:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up-0123456789, models: [text] }}\n",
        mock.base_url()
    ))
}

fn header<'a>(resp: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    resp.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test(flavor = "multi_thread")]
async fn without_origins_the_log_says_cors_off_and_no_cors_header_is_sent() {
    let mock = mock().await;
    let (_dir, file) = config(&mock, "");
    let client = reqwest::Client::new();
    for mode in [Mode::Serve, Mode::Split] {
        let gw = Gateway::start(mode, &file, &[]).await;
        let log = gw.http_process().log();
        let line = log
            .lines()
            .find(|l| l.contains("CORS "))
            .unwrap_or_else(|| panic!("{mode:?}: no CORS line:\n{log}"));
        assert!(line.contains("CORS off"), "{mode:?}: {line}");
        assert!(!log.contains("CORS on"), "{mode:?}: {log}");

        let resp = client
            .request(reqwest::Method::OPTIONS, gw.url("/v1/models"))
            .header("origin", ALLOWED)
            .header("access-control-request-method", "GET")
            .send()
            .await
            .expect("answers");
        assert_eq!(
            header(&resp, "access-control-allow-origin"),
            None,
            "{mode:?}: {:?}",
            resp.headers()
        );
        let resp = client
            .get(gw.url("/v1/models"))
            .header("origin", ALLOWED)
            .bearer_auth(KEY)
            .send()
            .await
            .expect("answers");
        assert_eq!(resp.status(), 200, "{mode:?}");
        assert_eq!(
            header(&resp, "access-control-allow-origin"),
            None,
            "{mode:?}: {:?}",
            resp.headers()
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn preflights_allow_get_and_the_api_key_and_openai_headers() {
    let mock = mock().await;
    let (_dir, file) = config(
        &mock,
        &format!("cors: {{ allow_origins: [\"{ALLOWED}\"] }}\n"),
    );
    let client = reqwest::Client::new();
    for mode in [Mode::Serve, Mode::Split] {
        let gw = Gateway::start(mode, &file, &[]).await;
        let resp = client
            .request(reqwest::Method::OPTIONS, gw.url("/v1/models"))
            .header("origin", ALLOWED)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", ASKED.join(","))
            .send()
            .await
            .expect("answers");
        assert!(resp.status().is_success(), "{mode:?}: {}", resp.status());
        assert_eq!(header(&resp, "access-control-allow-origin"), Some(ALLOWED));
        let methods: Vec<String> = header(&resp, "access-control-allow-methods")
            .unwrap_or_default()
            .split(',')
            .map(|m| m.trim().to_ascii_uppercase())
            .collect();
        for method in ["GET", "POST"] {
            assert!(
                methods.iter().any(|m| m == method),
                "{mode:?}: {method} not in {methods:?}"
            );
        }
        let allowed: Vec<String> = header(&resp, "access-control-allow-headers")
            .unwrap_or_default()
            .split(',')
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        for asked in ASKED {
            assert!(
                allowed.iter().any(|h| h == asked),
                "{mode:?}: {asked} not in {allowed:?}"
            );
        }

        // The request the page then sends: GET with the bare key in `api-key`.
        let resp = client
            .get(gw.url("/v1/models"))
            .header("origin", ALLOWED)
            .header("api-key", KEY)
            .header("openai-organization", "org-test")
            .send()
            .await
            .expect("answers");
        assert_eq!(resp.status(), 200, "{mode:?}");
        assert_eq!(
            header(&resp, "access-control-allow-origin"),
            Some(ALLOWED),
            "{mode:?}: {:?}",
            resp.headers()
        );
    }
}
