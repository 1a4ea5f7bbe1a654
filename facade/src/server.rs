//! Serving the facade: a bound listener, a shutdown future, and the layers
//! every route shares (request ids, panic containment).

use std::future::Future;

use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt;
use modelgate::error::{ErrorKind, GatewayError};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

use crate::core_client::CoreClient;
use crate::error::ApiError;

/// The complete HTTP application.
pub fn app(core: CoreClient, body_limit: usize) -> Router {
    crate::routes::router(core, body_limit)
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(CatchPanicLayer::custom(panic_response))
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    ApiError(GatewayError::new(
        ErrorKind::Internal,
        "The server had an error while processing your request.",
    ))
    .into_response()
}

/// Serves `app` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = listener.tap_io(|tcp| {
        // Small SSE events must leave at once.
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
