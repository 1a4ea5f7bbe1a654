//! Serving HTTP/1 and HTTP/2 (the facade) or HTTP/2 only (gRPC) on a bound listener, plain or
//! TLS, with the same connection rules on every port: a deadline for the first request or
//! stream, an idle timeout, a per-connection stream limit, keep-alive pings, and a cap on
//! connections open at once. Stops accepting when a shutdown future resolves and lets open
//! connections finish (GOAWAY on HTTP/2).

mod activity;
mod limits;
mod refusal;

use std::convert::Infallible;
use std::error::Error as StdError;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode, header};
use http_body::Body;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

pub use activity::MarkedBody;
pub use limits::{CLOSE_GRACE, ConnectionLimits, KEEPALIVE_INTERVAL, KEEPALIVE_TIMEOUT};
pub use refusal::Refusal;

use activity::Activity;
use refusal::Refusals;

type BoxError = Box<dyn StdError + Send + Sync>;

/// How one listener serves.
#[derive(Clone)]
pub struct Listener {
    /// `http` or `grpc`, for the log.
    pub what: &'static str,
    pub limits: ConnectionLimits,
    /// TLS with this configuration (its ALPN list decides h2 / http/1.1).
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// HTTP/2 only (gRPC); otherwise HTTP/1.1 and HTTP/2 by the client's preface.
    pub http2_only: bool,
    /// HTTP/2 connection window (flow control), when not hyper's default.
    pub connection_window: Option<u32>,
    /// What a connection over `limits.max_connections` gets.
    pub refusal: Refusal,
}

/// Serves `service` on `listener` until `shutdown` resolves, then stops accepting, asks every
/// connection to close once its requests are done, and waits for them.
pub async fn serve<S, B>(
    listener: TcpListener,
    options: Listener,
    service: S,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()>
where
    S: tower::Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: Into<BoxError>,
{
    let limits = options.limits;
    let builder = Arc::new(builder(&options));
    let tls = options.tls.clone().map(tokio_rustls::TlsAcceptor::from);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let refusals = Arc::new(Refusals::new(options.what, limits.max_connections));
    let closing = CancellationToken::new();
    let tracker = TaskTracker::new();
    let mut shutdown = pin!(shutdown);
    loop {
        let tcp = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => tcp,
                Err(err) => {
                    accept_failed(options.what, &err).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            refusals.note();
            refuse(tcp, &options, &refusals);
            continue;
        };
        // Small SSE events and gRPC messages must leave at once.
        let _ = tcp.set_nodelay(true);
        let connection = Connection {
            builder: builder.clone(),
            limits,
            closing: closing.clone(),
            _slot: slot,
        };
        let service = service.clone();
        match &tls {
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                tracker.spawn(async move {
                    let handshake =
                        tokio::time::timeout(limits.header_timeout, acceptor.accept(tcp));
                    let stream = tokio::select! {
                        done = handshake => match done {
                            Ok(Ok(stream)) => stream,
                            _ => return,
                        },
                        () = connection.closing.cancelled() => return,
                    };
                    connection.run(stream, service).await;
                });
            }
            None => {
                tracker.spawn(connection.run(tcp, service));
            }
        }
    }
    drop(listener);
    closing.cancel();
    tracker.close();
    tracker.wait().await;
    Ok(())
}

fn builder(options: &Listener) -> auto::Builder<TokioExecutor> {
    let limits = options.limits;
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let mut http2 = builder.http2();
    http2
        .timer(TokioTimer::new())
        .max_concurrent_streams(limits.max_concurrent_streams)
        .keep_alive_interval(KEEPALIVE_INTERVAL)
        .keep_alive_timeout(KEEPALIVE_TIMEOUT);
    if let Some(window) = options.connection_window {
        http2.initial_connection_window_size(window);
    }
    if options.http2_only {
        builder = builder.http2_only();
    }
    builder
}

/// One accepted connection and what it needs to be served.
struct Connection {
    builder: Arc<auto::Builder<TokioExecutor>>,
    limits: ConnectionLimits,
    closing: CancellationToken,
    /// Its place under `max_connections`, given back when it ends.
    _slot: OwnedSemaphorePermit,
}

impl Connection {
    /// Serves the connection until it ends, closing it when it stays without a request or
    /// stream too long (see [`ConnectionLimits`]) or the server shuts down.
    async fn run<I, S, B>(self, io: I, service: S)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
        S: tower::Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
        B: Body<Data = Bytes> + Send + Unpin + 'static,
        B::Error: Into<BoxError>,
    {
        let activity = Activity::new();
        let marked = {
            let activity = activity.clone();
            hyper::service::service_fn(move |request: Request<Incoming>| {
                let mark = activity.enter();
                let call = service.clone().oneshot(request);
                async move {
                    let response = call.await?;
                    Ok::<_, S::Error>(response.map(|body| MarkedBody::new(body, mark)))
                }
            })
        };
        let connection = self.builder.serve_connection(TokioIo::new(io), marked);
        let mut connection = pin!(connection);
        let limits = self.limits;
        let mut closing_since: Option<Instant> = None;
        let mut check_at = Instant::now() + limits.header_timeout;
        loop {
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(err) = result {
                        tracing::debug!("connection ended with an error: {err}");
                    }
                    return;
                }
                () = self.closing.cancelled(), if closing_since.is_none() => {
                    connection.as_mut().graceful_shutdown();
                    closing_since = Some(Instant::now());
                    check_at = Instant::now() + CLOSE_GRACE;
                }
                () = tokio::time::sleep_until(check_at) => {
                    let now = Instant::now();
                    match (activity.idle(), closing_since) {
                        // A stream is open: look again in a while.
                        (None, None) => check_at = now + limits.idle_timeout,
                        (None, Some(_)) => check_at = now + CLOSE_GRACE,
                        // Closing, nothing open, and the peer did not end it: drop it.
                        (Some(_), Some(_)) => return,
                        (Some((since, served)), None) => {
                            let allowed = if served { limits.idle_timeout } else { limits.header_timeout };
                            if now >= since + allowed {
                                connection.as_mut().graceful_shutdown();
                                closing_since = Some(now);
                                check_at = now + CLOSE_GRACE;
                            } else {
                                check_at = since + allowed;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A connection over the cap: closed, or (plain HTTP, while few are being answered) given a
/// `503` and closed.
fn refuse(tcp: TcpStream, options: &Listener, refusals: &Refusals) {
    let Refusal::Http503(body) = &options.refusal else {
        return;
    };
    if options.tls.is_some() {
        return;
    }
    let Ok(answering) = refusals.answering.clone().try_acquire_owned() else {
        return;
    };
    let body = body.clone();
    tokio::spawn(async move {
        let _answering = answering;
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .keep_alive(false)
            .timer(TokioTimer::new())
            .header_read_timeout(refusal::REFUSAL_TIMEOUT);
        let service = hyper::service::service_fn(move |request: Request<Incoming>| {
            let mut response = Response::new(body.clone());
            *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("application/json"),
            );
            // HTTP/2 forbids the header; there the connection ends after the answer anyway.
            if request.version() < http::Version::HTTP_2 {
                headers.insert(
                    header::CONNECTION,
                    header::HeaderValue::from_static("close"),
                );
            }
            std::future::ready(Ok::<_, Infallible>(response))
        });
        let connection = builder.serve_connection(TokioIo::new(tcp), service);
        let _ = tokio::time::timeout(refusal::REFUSAL_TIMEOUT, connection).await;
    });
}

/// A failed accept: a connection that died in the backlog is skipped; a resource error (out of
/// file descriptors) waits a moment instead of spinning.
async fn accept_failed(what: &str, err: &std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        err.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!("{what}: accepting a connection failed: {err}");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
