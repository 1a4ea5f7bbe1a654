//! Graceful shutdown of the HTTP side: while draining, `/health/ready` and every new request
//! answer 503 (`/health`, liveness, stays 200); responses already started run on, and a
//! stream still open when the grace period ends gets a closing `shutting_down` error event.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use modelgate::drain::{Drain, shutting_down};

use crate::error::{ApiError, error_json};

/// `app`, draining with `drain`.
pub fn with_drain(app: Router, drain: Drain) -> Router {
    app.layer(axum::middleware::from_fn_with_state(drain, admit))
}

async fn admit(State(drain): State<Drain>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if path == "/health" {
        return next.run(request).await;
    }
    let Some(token) = drain.admit() else {
        if path == "/health/ready" {
            let body = br#"{"status":"not ready","reason":"shutting down"}"#.to_vec();
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CONTENT_TYPE, "application/json")],
                body,
            )
                .into_response();
        }
        let mut response = ApiError(shutting_down()).into_response();
        // Tell keep-alive clients to reconnect (elsewhere) rather than reuse this connection.
        response.headers_mut().insert(
            header::CONNECTION,
            header::HeaderValue::from_static("close"),
        );
        return response;
    };
    let (parts, body) = next.run(request).await.into_parts();
    let is_sse = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    let on_cut = move || {
        if is_sse {
            let mut event = b"data: ".to_vec();
            event.extend(error_json(&shutting_down()));
            event.extend(b"\n\n");
            Ok(Bytes::from(event))
        } else {
            // A JSON body cut halfway cannot carry an error: abort it.
            Err(axum::Error::new(shutting_down().message))
        }
    };
    let body = drain.guard(token, body.into_data_stream(), on_cut);
    Response::from_parts(parts, Body::from_stream(body))
}
