//! Serving the facade: a bound listener, a shutdown future, and the layers
//! every route shares (request ids, panic containment).

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::http::Request;
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use modelgate::connections::{ConnectionLimits, Listener, Refusal};
use modelgate::error::{ErrorKind, GatewayError};
use tokio::net::TcpListener;
use tower::Layer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};

use crate::core_client::CoreClient;
use crate::error::ApiError;

/// The complete HTTP application. `cors_origins`: `cors.allow_origins` from
/// the config (empty: CORS off).
pub fn app(core: CoreClient, body_limit: usize, cors_origins: &[String]) -> Router {
    let app = crate::routes::router(core.with_request_limit(body_limit), body_limit)
        .merge(crate::openapi::router())
        // Inside the request-id layers, so panics, errors and streams all
        // carry the id and every log line of the request sits in its span.
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(axum::middleware::from_fn(crate::observe::middleware))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(crate::observe::trace_layer())
        .layer(SetRequestIdLayer::x_request_id(RandomUuid));
    crate::cors::apply(app, cors_origins)
}

/// Request ids as random (version 4) UUIDs, drawn from the thread's seeded
/// generator: `uuid`'s own draws ask the kernel for every id, a system call
/// per request.
#[derive(Clone, Copy)]
struct RandomUuid;

impl MakeRequestId for RandomUuid {
    fn make_request_id<B>(&mut self, _: &http::Request<B>) -> Option<RequestId> {
        let mut b: [u8; 16] = rand::random();
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let mut id = String::with_capacity(36);
        for (i, byte) in b.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                id.push('-');
            }
            id.push(char::from(HEX[usize::from(byte >> 4)]));
            id.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
        http::HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    ApiError(GatewayError::new(
        ErrorKind::Internal,
        "The server had an error while processing your request.",
    ))
    .into_response()
}

/// Serves `app` on `listener` (over TLS with `tls`) with `limits` and request
/// bodies bounded by `body_timeout`, until `shutdown` resolves; then stops
/// accepting and lets open connections finish.
pub async fn serve_limited(
    listener: TcpListener,
    app: Router,
    tls: Option<rustls::ServerConfig>,
    limits: ConnectionLimits,
    body_timeout: std::time::Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = crate::read_timeouts::with_body_deadline(app, body_timeout);
    let service = tower::util::MapRequestLayer::new(|request: Request<Incoming>| {
        request.map(axum::body::Body::new)
    })
    .layer(app);
    let options = Listener {
        what: "http",
        limits,
        tls: tls.map(Arc::new),
        http2_only: false,
        connection_window: None,
        refusal: Refusal::Http503(too_many_connections()),
    };
    modelgate::connections::serve(listener, options, service, shutdown).await
}

/// The `503` body for a client over `server.max_connections`.
fn too_many_connections() -> String {
    let err = GatewayError::new(
        ErrorKind::Unavailable,
        "The server has too many open connections; retry shortly.",
    )
    .with_code("too_many_connections");
    String::from_utf8_lossy(&crate::error::error_json(&err)).into_owned()
}
