//! Slow-client protection: a deadline for a request's headers (hyper's
//! `header_read_timeout`) and one for its whole body, so a client that
//! trickles bytes (slow-loris) cannot hold a connection and a task forever.
//!
//! The body deadline is total, not per read: tower-http's `TimeoutBody`
//! restarts on every frame, so one byte every few seconds would pass it.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::Request;
use http_body::{Frame, SizeHint};
use tokio::time::{Instant, Sleep};

/// The body did not arrive whole within `server.body_timeout_seconds`.
#[derive(Debug, thiserror::Error)]
#[error("the request body was not received within {0:?}")]
pub struct BodyTimedOut(Duration);

/// `app` with every request body bounded by `timeout` in total.
pub fn with_body_deadline(app: Router, timeout: Duration) -> Router {
    app.layer(tower::util::MapRequestLayer::new(
        move |request: Request<Body>| {
            request.map(|body| Body::new(DeadlineBody::new(body, timeout)))
        },
    ))
}

/// A body that fails once its deadline passes; the timer is armed only if a
/// read has to wait, so bodies already buffered cost nothing.
struct DeadlineBody {
    inner: Body,
    timeout: Duration,
    deadline: Instant,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl DeadlineBody {
    fn new(inner: Body, timeout: Duration) -> Self {
        Self {
            inner,
            timeout,
            deadline: Instant::now() + timeout,
            sleep: None,
        }
    }
}

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|r| r.map_err(Into::into)));
        }
        let deadline = this.deadline;
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(BodyTimedOut(this.timeout).into()))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
