//! The `endless` scenario: a 200 event stream that never ends, one small
//! content chunk every [`INTERVAL`], until the client goes away.

use std::time::Duration;

use axum::body::Body;
use axum::http::HeaderValue;
use axum::http::header::CONTENT_TYPE;
use axum::response::Response;
use bytes::Bytes;

use crate::canned::ENDLESS_EVENT;
use crate::scenarios::SSE;
use crate::stats::StreamGuard;

/// Gap between two events.
pub(crate) const INTERVAL: Duration = Duration::from_millis(10);

/// The body owns the guard: the stream counts as open until hyper drops it
/// (the client disconnected) and then as dropped; it is never completed.
pub(crate) fn respond(guard: StreamGuard) -> Response {
    let body = futures::stream::unfold((guard, false), |(guard, started)| async move {
        if started {
            tokio::time::sleep(INTERVAL).await;
        }
        let event: std::io::Result<Bytes> = Ok(Bytes::from_static(ENDLESS_EVENT.as_bytes()));
        Some((event, (guard, true)))
    });
    let mut response = Response::new(Body::from_stream(body));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(SSE));
    response
}
