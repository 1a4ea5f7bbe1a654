//! CORS for browsers calling modelgate directly (LobeChat's client-side
//! requests, the OpenAI JS SDK with `dangerouslyAllowBrowser`). Off unless
//! `cors.allow_origins` is configured; origins match exactly, and `*` only
//! when written.

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// Request headers a preflight may ask for: credentials, JSON, and what the
/// OpenAI SDKs add. tower-http has no prefix predicate for allowed headers,
/// so the `x-stainless-*` family the `openai` npm package sends is listed.
pub const ALLOWED_HEADERS: &[&str] = &[
    "authorization",
    "content-type",
    "api-key",
    "x-api-key",
    "x-request-id",
    "openai-organization",
    "openai-project",
    "openai-beta",
    "idempotency-key",
    "x-stainless-lang",
    "x-stainless-package-version",
    "x-stainless-os",
    "x-stainless-arch",
    "x-stainless-runtime",
    "x-stainless-runtime-version",
    "x-stainless-retry-count",
    "x-stainless-timeout",
    "x-stainless-helper-method",
    "x-stainless-async",
    "x-stainless-poll-helper",
    "x-stainless-custom-poll-interval",
    "x-stainless-raw-response",
];

/// Response headers a page's script may read.
pub const EXPOSED_HEADERS: &[&str] = &[
    "x-request-id",
    "retry-after",
    "x-ratelimit-limit-requests",
    "x-ratelimit-limit-tokens",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-remaining-tokens",
    "x-ratelimit-reset-requests",
    "x-ratelimit-reset-tokens",
];

/// How long a browser may reuse a preflight answer.
const MAX_AGE: Duration = Duration::from_secs(600);

/// The CORS layer for `allow_origins`, or `None` (CORS off) when empty.
pub fn layer(allow_origins: &[String]) -> Option<CorsLayer> {
    if allow_origins.is_empty() {
        return None;
    }
    let origin = if allow_origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(allow_origins.iter().filter_map(|o| {
            HeaderValue::from_str(o)
                .inspect_err(|_| tracing::warn!(origin = %o, "cors: not a valid origin; skipped"))
                .ok()
        }))
    };
    Some(
        CorsLayer::new()
            .allow_origin(origin)
            .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
            .allow_headers(names(ALLOWED_HEADERS))
            .expose_headers(names(EXPOSED_HEADERS))
            .max_age(MAX_AGE)
            .vary([header::ORIGIN]),
    )
}

/// `app` with CORS applied outermost (so error answers carry it too), or
/// unchanged when CORS is off.
pub fn apply(app: Router, allow_origins: &[String]) -> Router {
    match layer(allow_origins) {
        Some(cors) => app.layer(cors),
        None => app,
    }
}

/// What the start-up log says about CORS.
pub fn describe(allow_origins: &[String]) -> String {
    if allow_origins.is_empty() {
        "off (no cors.allow_origins configured)".to_owned()
    } else {
        format!("on for {}", allow_origins.join(", "))
    }
}

fn names(list: &[&'static str]) -> Vec<HeaderName> {
    list.iter().map(|h| HeaderName::from_static(h)).collect()
}
