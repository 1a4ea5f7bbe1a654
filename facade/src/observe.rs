//! The facade's share of observability: a span per HTTP request carrying
//! its request id (the parent of the core RPC's span, linked by
//! `traceparent` in the RPC metadata), an HTTP-level response counter that
//! also sees requests the core never got (bad keys, unknown routes), and the
//! opt-in redacted body log.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use futures::StreamExt;
use modelgate_telemetry::bodies;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::{MakeSpan, OnResponse, TraceLayer};
use tracing::Span;

/// HTTP responses by route (the matched pattern), method and status.
pub const HTTP_RESPONSES: &str = "modelgate_http_responses_total";

/// Bodies larger than this are not buffered for the debug body log.
const MAX_LOGGED_BODY: usize = 4 * 1024 * 1024;

/// Metadata marking an RPC as made for an HTTP client (the core's `surface`
/// metrics label), plus the W3C trace context of the current span.
pub fn mark_rpc(metadata: &mut tonic::metadata::MetadataMap) {
    metadata.insert(
        "x-modelgate-surface",
        tonic::metadata::MetadataValue::from_static("http"),
    );
    modelgate_telemetry::propagation::inject(metadata);
}

/// The tower-http trace layer creating each request's span.
pub type HttpTraceLayer =
    TraceLayer<SharedClassifier<ServerErrorsAsFailures>, HttpSpan, (), HttpSpan, (), (), ()>;

/// The request span layer (place it inside the request-id layer).
pub fn trace_layer() -> HttpTraceLayer {
    TraceLayer::new_for_http()
        .make_span_with(HttpSpan)
        .on_request(())
        .on_response(HttpSpan)
        .on_body_chunk(())
        .on_eos(())
        .on_failure(())
}

/// Makes the request span and records the status on it.
#[derive(Clone, Copy, Debug)]
pub struct HttpSpan;

impl<B> MakeSpan<B> for HttpSpan {
    fn make_span(&mut self, request: &http::Request<B>) -> Span {
        let route = route(request);
        let id = request
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !modelgate_telemetry::traces::exporting() {
            return tracing::info_span!(
                "http.request",
                request_id = %id,
                http.response.status_code = tracing::field::Empty,
            );
        }
        let span = tracing::info_span!(
            "http.request",
            otel.name = %format!("{} {route}", request.method()),
            otel.kind = "server",
            http.request.method = %request.method(),
            http.route = %route,
            url.path = %request.uri().path(),
            request_id = %id,
            http.response.status_code = tracing::field::Empty,
        );
        // A caller that traces (an SDK with OpenTelemetry) continues its trace.
        modelgate_telemetry::propagation::adopt_remote_parent(&span, request.headers());
        span
    }
}

impl<B> OnResponse<B> for HttpSpan {
    fn on_response(self, response: &http::Response<B>, _latency: Duration, span: &Span) {
        span.record("http.response.status_code", response.status().as_u16());
    }
}

fn route<B>(request: &http::Request<B>) -> String {
    request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned())
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::OPTIONS => "OPTIONS",
        Method::HEAD => "HEAD",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}

/// Counts every response and, when enabled, logs the bodies (redacted).
pub async fn middleware(request: Request, next: Next) -> Response {
    let route = route(&request);
    let method = method_label(request.method());
    let response = if bodies::enabled() {
        with_body_log(request, next).await
    } else {
        next.run(request).await
    };
    response_counter(route, method, response.status().as_u16()).increment(1);
    response
}

/// Label sets of [`HTTP_RESPONSES`] kept registered; routes are the
/// router's patterns, so this is only reached by many distinct statuses.
const MAX_CACHED_COUNTERS: usize = 1024;

type CounterKey = (String, &'static str, u16);

/// The counter for one label set, registered once: registering hashes and
/// allocates every label on each call.
fn response_counter(route: String, method: &'static str, status: u16) -> metrics::Counter {
    static COUNTERS: OnceLock<Mutex<HashMap<CounterKey, metrics::Counter>>> = OnceLock::new();
    let register = |route: String| {
        metrics::counter!(HTTP_RESPONSES,
            "route" => route, "method" => method, "status" => status.to_string())
    };
    let Ok(mut counters) = COUNTERS.get_or_init(Default::default).lock() else {
        return register(route);
    };
    let key = (route, method, status);
    if let Some(counter) = counters.get(&key) {
        return counter.clone();
    }
    let counter = register(key.0.clone());
    if counters.len() < MAX_CACHED_COUNTERS {
        counters.insert(key, counter.clone());
    }
    counter
}

async fn with_body_log(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let small = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
        .is_some_and(|n| n <= MAX_LOGGED_BODY);
    let request = if small {
        let (parts, body) = request.into_parts();
        match axum::body::to_bytes(body, MAX_LOGGED_BODY).await {
            Ok(bytes) => {
                bodies::log("request", &path, &bytes);
                Request::from_parts(parts, Body::from(bytes))
            }
            // The declared length was a lie; let the route report it.
            Err(_) => Request::from_parts(parts, Body::empty()),
        }
    } else {
        request
    };
    let response = next.run(request).await;
    let sse = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v == HeaderValue::from_static("text/event-stream"));
    let (parts, body) = response.into_parts();
    if sse {
        let tapped = body.into_data_stream().map(move |frame| {
            if let Ok(bytes) = &frame {
                bodies::log_sse(&path, bytes);
            }
            frame
        });
        return Response::from_parts(parts, Body::from_stream(tapped));
    }
    match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => {
            bodies::log("response", &path, &bytes);
            Response::from_parts(parts, Body::from(bytes))
        }
        Err(_) => Response::from_parts(parts, Body::empty()),
    }
}
