//! A span around every `modelgate.v1.Gateway` RPC, alive until the response
//! stream ends: it carries the request id (generated here when the caller
//! sent none, so the service, the logs and the response agree), continues the
//! caller's W3C trace context from `traceparent` metadata, and is entered
//! whenever the handler or its stream runs, so every log line of the request
//! carries the id.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::future::BoxFuture;
use http::{HeaderValue, Request, Response};
use http_body::{Body as HttpBody, Frame, SizeHint};
use tonic::body::Body;
use tonic::server::NamedService;
use tower::Service;
use tracing::Instrument;

/// The request id header, as sent by the facade and returned to callers.
pub const REQUEST_ID: &str = "x-request-id";

/// Wraps a gRPC service with a per-RPC span.
#[derive(Clone)]
pub struct Traced<S>(S);

impl<S> Traced<S> {
    pub fn new(inner: S) -> Self {
        Self(inner)
    }
}

impl<S: NamedService> NamedService for Traced<S> {
    const NAME: &'static str = S::NAME;
}

impl<S> Service<Request<Body>> for Traced<S>
where
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response<Body>, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<Body>) -> Self::Future {
        let id = ensure_request_id(request.headers_mut());
        let span = rpc_span(request.uri().path(), request.headers(), &id);
        // Take the service made ready by `poll_ready`, leave a fresh clone.
        let clone = self.0.clone();
        let mut inner = std::mem::replace(&mut self.0, clone);
        let body_span = span.clone();
        Box::pin(
            async move {
                let Ok(response) = inner.call(request).await;
                let (mut parts, body) = response.into_parts();
                parts.headers.insert(REQUEST_ID, id);
                Ok(Response::from_parts(
                    parts,
                    Body::new(SpannedBody {
                        inner: Some(body),
                        span: body_span,
                    }),
                ))
            }
            .instrument(span),
        )
    }
}

/// The RPC's span: just the request id for the log lines, the OpenTelemetry
/// attributes and the caller's trace context only when spans are exported.
pub(crate) fn rpc_span(path: &str, headers: &http::HeaderMap, id: &HeaderValue) -> tracing::Span {
    let id = id.to_str().unwrap_or_default();
    if !modelgate_telemetry::traces::exporting() {
        return tracing::info_span!("grpc.request", request_id = %id);
    }
    let path = path.trim_start_matches('/');
    let (service, method) = path.split_once('/').unwrap_or((path, ""));
    let span = tracing::info_span!(
        "grpc.request",
        otel.name = %path,
        otel.kind = "server",
        rpc.system = "grpc",
        rpc.service = %service,
        rpc.method = %method,
        request_id = %id,
    );
    modelgate_telemetry::propagation::adopt_remote_parent(&span, headers);
    span
}

/// The caller's `x-request-id` when usable, else a new one written back into
/// `headers` for the service to read.
pub(crate) fn ensure_request_id(headers: &mut http::HeaderMap) -> HeaderValue {
    if let Some(given) = headers.get(REQUEST_ID)
        && !given.is_empty()
        && given.len() <= 128
        && given.to_str().is_ok()
    {
        return given.clone();
    }
    let fresh = HeaderValue::from_str(&format!("req_{:016x}", rand::random::<u64>()))
        .unwrap_or_else(|_| HeaderValue::from_static("req_unknown"));
    headers.insert(REQUEST_ID, fresh.clone());
    fresh
}

/// A response body that keeps the RPC span open until it is dropped and
/// enters it whenever it is polled or dropped (the request log line is
/// written when the stream inside is dropped).
struct SpannedBody {
    inner: Option<Body>,
    span: tracing::Span,
}

impl HttpBody for SpannedBody {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, tonic::Status>>> {
        let this = &mut *self;
        let _entered = this.span.enter();
        match this.inner.as_mut() {
            Some(body) => Pin::new(body).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(HttpBody::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(SizeHint::default, HttpBody::size_hint)
    }
}

impl Drop for SpannedBody {
    fn drop(&mut self) {
        let _entered = self.span.enter();
        self.inner.take();
    }
}
