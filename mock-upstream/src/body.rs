//! Turns a `Plan` into an HTTP response whose body keeps the stream counters.

use std::collections::VecDeque;
use std::io;
use std::time::Duration;

use axum::body::Body;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderName, HeaderValue};
use axum::response::Response;
use bytes::Bytes;

use crate::scenarios::Plan;
use crate::stats::StreamGuard;

/// Pause between the last event and the abort of the `reset` scenario, so the events reach the
/// socket before the connection goes away.
const RESET_DELAY: Duration = Duration::from_millis(50);

pub(crate) fn respond(plan: Plan, guard: StreamGuard) -> Response {
    let length: usize = plan.chunks.iter().map(Bytes::len).sum();
    let state = BodyState {
        chunks: plan.chunks.into(),
        interval: plan.interval,
        sent_any: false,
        reset: plan.reset,
        guard,
    };
    let mut response = Response::new(Body::from_stream(futures::stream::unfold(state, next)));
    *response.status_mut() = plan.status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(plan.content_type));
    if !plan.streaming && !plan.reset {
        headers.insert(CONTENT_LENGTH, HeaderValue::from(length));
    }
    for (name, value) in plan.headers {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    response
}

/// The body's state; it owns the guard, so dropping the body before its end counts as dropped.
struct BodyState {
    chunks: VecDeque<Bytes>,
    interval: Duration,
    sent_any: bool,
    reset: bool,
    guard: StreamGuard,
}

async fn next(mut st: BodyState) -> Option<(io::Result<Bytes>, BodyState)> {
    if let Some(chunk) = st.chunks.pop_front() {
        if st.sent_any && !st.interval.is_zero() {
            tokio::time::sleep(st.interval).await;
        }
        st.sent_any = true;
        if st.chunks.is_empty() && !st.reset {
            st.guard.complete();
        }
        return Some((Ok(chunk), st));
    }
    if st.reset {
        st.reset = false;
        tokio::time::sleep(RESET_DELAY).await;
        let err = io::Error::new(
            io::ErrorKind::ConnectionReset,
            "mock-upstream: reset scenario",
        );
        return Some((Err(err), st));
    }
    if !st.sent_any {
        // Empty body: nothing left to hand over.
        st.guard.complete();
    }
    None
}
