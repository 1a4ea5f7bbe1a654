//! The Gateway service's key check, run on an RPC's HTTP/2 headers before
//! tonic reads and decodes its message: a call without a valid key costs its
//! headers, not a message as large as the body limit. The caller it finds,
//! with the state it was checked against, reaches the handler in the
//! request's extensions ([`Admitted`]), so the handler does not check again.
//!
//! It also gives tonic's own "message too large" status the error table's
//! metadata (`request_too_large`), which tonic's decoder cannot attach.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use arc_swap::ArcSwap;
use futures::future::BoxFuture;
use http::{Request, Response};
use modelgate::error::{ErrorKind, GatewayError};
use tonic::Status;
use tonic::body::Body;
use tonic::server::NamedService;
use tower::Service;

use crate::auth::Caller;
use crate::service::CoreState;

/// An RPC whose key was checked before its message was read.
#[derive(Clone)]
pub struct Admitted {
    /// The state the key was checked against; the request runs with it.
    pub state: Arc<CoreState>,
    /// Who is calling.
    pub caller: Caller,
}

/// Wraps the Gateway service with the key check.
#[derive(Clone)]
pub struct AuthFirst<S> {
    inner: S,
    state: Arc<ArcSwap<CoreState>>,
}

impl<S> AuthFirst<S> {
    /// `inner`, checking keys against the current `state`.
    pub fn new(inner: S, state: Arc<ArcSwap<CoreState>>) -> Self {
        Self { inner, state }
    }
}

impl<S: NamedService> NamedService for AuthFirst<S> {
    const NAME: &'static str = S::NAME;
}

impl<S> Service<Request<Body>> for AuthFirst<S>
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
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<Body>) -> Self::Future {
        let state = self.state.load_full();
        match state.auth.authenticate_headers(request.headers()) {
            Ok(caller) => {
                request.extensions_mut().insert(Admitted { state, caller });
            }
            Err(err) => {
                // The message body is dropped unread; h2 resets the stream.
                let response = Status::from(err).into_http();
                return Box::pin(async move { Ok(response) });
            }
        }
        // Take the service made ready by `poll_ready`, leave a fresh clone.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            let Ok(mut response) = inner.call(request).await;
            label_too_large(&mut response);
            Ok(response)
        })
    }
}

/// tonic answers a message over `max_decoding_message_size` with a bare
/// OUT_OF_RANGE; the error table's fields make it the facade's 413
/// `request_too_large`. Statuses the service itself returned already carry
/// them and are left alone.
fn label_too_large(response: &mut Response<Body>) {
    let headers = response.headers_mut();
    let out_of_range = headers
        .get(Status::GRPC_STATUS)
        .is_some_and(|v| v.as_bytes() == b"11");
    if !out_of_range || headers.contains_key("x-modelgate-error-type") {
        return;
    }
    let table = GatewayError::new(
        ErrorKind::PayloadTooLarge,
        "The request message is larger than this server accepts.",
    )
    .with_code("request_too_large")
    .to_status();
    for (key, value) in table.metadata().as_ref() {
        headers.insert(key.clone(), value.clone());
    }
}
