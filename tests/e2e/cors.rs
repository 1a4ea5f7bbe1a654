//! CORS from `cors.allow_origins`: exact origins, preflight for the OpenAI
//! JS SDK's headers, exposed headers, and off when not configured.

use reqwest::Method;
use reqwest::header::HeaderMap;

use crate::harness::{CLIENT_KEY, Gateway, Mode, config_yaml};

const ALLOWED: &str = "http://localhost:3210";

/// What the `openai` npm SDK's preflight asks for.
const SDK_HEADERS: &str = "authorization,content-type,x-stainless-arch,x-stainless-lang,\
x-stainless-os,x-stainless-package-version,x-stainless-retry-count,x-stainless-runtime,\
x-stainless-runtime-version,x-stainless-timeout";

async fn gateway(origins: &str) -> Gateway {
    Gateway::start_config(Mode::Serve, |base| {
        format!(
            "{}cors: {{ allow_origins: {origins} }}\n",
            config_yaml(base, None)
        )
    })
    .await
}

async fn preflight(gw: &Gateway, origin: &str) -> (u16, HeaderMap) {
    let resp = gw
        .client
        .request(Method::OPTIONS, gw.url("/v1/chat/completions"))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", SDK_HEADERS)
        .send()
        .await
        .expect("answers");
    (resp.status().as_u16(), resp.headers().clone())
}

fn list(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers
        .get_all(name)
        .iter()
        .flat_map(|v| v.to_str().unwrap_or_default().split(','))
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

#[tokio::test]
async fn preflight_from_an_allowed_origin_answers_the_sdk_headers() {
    let gw = gateway(r#"["http://localhost:3210", "https://chat.example.com"]"#).await;
    let (status, headers) = preflight(&gw, ALLOWED).await;
    assert_eq!(status, 200);
    assert_eq!(headers["access-control-allow-origin"], ALLOWED);
    let methods = list(&headers, "access-control-allow-methods");
    assert!(methods.contains(&"post".to_owned()), "{methods:?}");
    let allowed = list(&headers, "access-control-allow-headers");
    for wanted in SDK_HEADERS.split(',') {
        assert!(
            allowed.contains(&wanted.to_owned()),
            "{wanted} not allowed: {allowed:?}"
        );
    }
    assert!(list(&headers, "vary").contains(&"origin".to_owned()));
}

#[tokio::test]
async fn other_origins_get_no_allow_origin() {
    let gw = gateway(r#"["http://localhost:3210"]"#).await;
    for origin in [
        "http://evil.example",
        "http://localhost:3211",
        "https://localhost:3210",
    ] {
        let (_, headers) = preflight(&gw, origin).await;
        assert!(
            headers.get("access-control-allow-origin").is_none(),
            "{origin}: {headers:?}"
        );
    }
}

#[tokio::test]
async fn actual_requests_carry_allow_origin_and_exposed_headers() {
    let gw = gateway(r#"["http://localhost:3210"]"#).await;
    let ok = gw
        .client
        .get(gw.url("/v1/models"))
        .bearer_auth(CLIENT_KEY)
        .header("origin", ALLOWED)
        .send()
        .await
        .expect("answers");
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["access-control-allow-origin"], ALLOWED);
    let exposed = list(ok.headers(), "access-control-expose-headers");
    for wanted in [
        "x-request-id",
        "x-ratelimit-remaining-requests",
        "retry-after",
    ] {
        assert!(
            exposed.contains(&wanted.to_owned()),
            "{wanted}: {exposed:?}"
        );
    }
    assert!(ok.headers().contains_key("x-request-id"));
    // Errors too, so the page can read why.
    let denied = gw
        .client
        .get(gw.url("/v1/models"))
        .bearer_auth("wrong")
        .header("origin", ALLOWED)
        .send()
        .await
        .expect("answers");
    assert_eq!(denied.status(), 401);
    assert_eq!(denied.headers()["access-control-allow-origin"], ALLOWED);
}

#[tokio::test]
async fn a_written_wildcard_allows_any_origin() {
    let gw = gateway(r#"["*"]"#).await;
    let (status, headers) = preflight(&gw, "http://anywhere.example").await;
    assert_eq!(status, 200);
    assert_eq!(headers["access-control-allow-origin"], "*");
}

#[tokio::test]
async fn cors_is_off_when_not_configured() {
    let gw = Gateway::start(Mode::Serve).await;
    let (_, headers) = preflight(&gw, ALLOWED).await;
    assert!(
        headers.get("access-control-allow-origin").is_none(),
        "{headers:?}"
    );
    let resp = gw
        .client
        .get(gw.url("/v1/models"))
        .bearer_auth(CLIENT_KEY)
        .header("origin", ALLOWED)
        .send()
        .await
        .expect("answers");
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("access-control-allow-origin").is_none());
}
