//! `modelgate serve`'s direct calls: the key check the facade makes before
//! reading a body, `ChatCompletion` and `CreateResponse`, with what the gRPC
//! server and [`crate::rpc_span::Traced`] do around the service (request id,
//! RPC span entered while the answer streams), minus the protobuf encoding
//! of every chunk there and back.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Stream;
use futures::future::BoxFuture;
use modelgate::local::{ChunkStream, EventStream, LocalGateway};
use modelgate::v1::gateway_server::Gateway;
use modelgate::v1::{ChatCompletionRequest, ResponseRequest};
use tonic::{Request, Response, Status};
use tracing::Instrument;

use crate::rpc_span::{ensure_request_id, rpc_span};
use crate::service::GatewayService;

const CHAT_PATH: &str = "/modelgate.v1.Gateway/ChatCompletion";
const RESPONSES_PATH: &str = "/modelgate.v1.Gateway/CreateResponse";

/// The gateway service, called in process.
pub struct Local(pub(crate) GatewayService);

impl LocalGateway for Local {
    fn authenticate(&self, metadata: &tonic::metadata::MetadataMap) -> Result<String, Status> {
        self.0.key_name(metadata)
    }

    fn chat_completion(
        &self,
        mut request: Request<ChatCompletionRequest>,
    ) -> BoxFuture<'static, Result<Response<ChunkStream>, Status>> {
        let id = ensure_request_id(request.metadata_mut().as_mut());
        let span = rpc_span(CHAT_PATH, request.metadata().as_ref(), &id);
        let service = self.0.clone();
        let stream_span = span.clone();
        Box::pin(
            async move {
                let response = service.chat_completion(request).await?;
                Ok(response.map(|inner| {
                    Box::pin(Spanned {
                        inner: Some(inner),
                        span: stream_span,
                    }) as ChunkStream
                }))
            }
            .instrument(span),
        )
    }

    fn create_response(
        &self,
        mut request: Request<ResponseRequest>,
    ) -> BoxFuture<'static, Result<Response<EventStream>, Status>> {
        let id = ensure_request_id(request.metadata_mut().as_mut());
        let span = rpc_span(RESPONSES_PATH, request.metadata().as_ref(), &id);
        let service = self.0.clone();
        let stream_span = span.clone();
        Box::pin(
            async move {
                let response = service.create_response(request).await?;
                Ok(response.map(|inner| {
                    Box::pin(Spanned {
                        inner: Some(inner),
                        span: stream_span,
                    }) as EventStream
                }))
            }
            .instrument(span),
        )
    }
}

/// The answer's chunks or events, polled and dropped inside the RPC span (the
/// request log line is written when the stream inside is dropped).
struct Spanned<S> {
    inner: Option<S>,
    span: tracing::Span,
}

impl<S: Stream + Unpin> Stream for Spanned<S> {
    type Item = S::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let _entered = this.span.enter();
        match this.inner.as_mut() {
            Some(inner) => Pin::new(inner).poll_next(cx),
            None => Poll::Ready(None),
        }
    }
}

impl<S> Drop for Spanned<S> {
    fn drop(&mut self) {
        let _entered = self.span.enter();
        self.inner.take();
    }
}
