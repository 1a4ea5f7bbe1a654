//! Slow-client protection: a deadline for a request's headers (hyper's
//! `header_read_timeout`) and one for its whole body, so a client that
//! trickles bytes (slow-loris) cannot hold a connection and a task forever.
//!
//! The body deadline is total, not per read: tower-http's `TimeoutBody`
//! restarts on every frame, so one byte every few seconds would pass it.

use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::Request;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::time::{Instant, Sleep};
use tower::ServiceExt;

/// How long a client may take to send a request's headers and its body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadTimeouts {
    /// From the first byte of a request to the end of its headers.
    pub headers: Duration,
    /// From the end of the headers to the end of the body; large enough for
    /// the body limit's inline images over a slow uplink.
    pub body: Duration,
}

impl Default for ReadTimeouts {
    fn default() -> Self {
        Self {
            headers: Duration::from_secs(30),
            body: Duration::from_secs(120),
        }
    }
}

/// The body did not arrive whole within [`ReadTimeouts::body`].
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

/// Serves `app` on `listener` with `timeouts` until `shutdown` resolves, then
/// stops accepting and waits for open connections to finish (as
/// `axum::serve(..).with_graceful_shutdown` does; axum's server has no
/// header timeout, hence hyper-util's builder here).
pub async fn serve_with(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    timeouts: ReadTimeouts,
) -> std::io::Result<()> {
    let app = with_body_deadline(app, timeouts.body);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(timeouts.headers);
    builder.http2().timer(TokioTimer::new());
    let graceful = GracefulShutdown::new();
    let mut shutdown = pin!(shutdown);
    loop {
        let tcp = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => tcp,
                Err(err) => {
                    accept_failed(&err).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Small SSE events must leave at once.
        let _ = tcp.set_nodelay(true);
        let app = app.clone();
        let builder = builder.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            // hyper starts its header timer only once it reads a request
            // head, and the HTTP/1-or-2 detection before that waits without
            // one: a client that connects and stays silent is dropped here.
            let mut first = [0u8; 1];
            if !matches!(
                tokio::time::timeout(timeouts.headers, tcp.peek(&mut first)).await,
                Ok(Ok(1..))
            ) {
                return;
            }
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                app.clone().oneshot(request.map(Body::new))
            });
            let connection = builder.serve_connection_with_upgrades(TokioIo::new(tcp), service);
            if let Err(err) = watcher.watch(connection).await {
                tracing::debug!("connection ended with an error: {err}");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// A failed accept: a connection that died in the backlog is skipped; a
/// resource error (out of file descriptors) waits a moment, as axum does,
/// instead of spinning.
async fn accept_failed(err: &std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        err.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!("accepting an HTTP connection failed: {err}");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
