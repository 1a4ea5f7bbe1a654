//! `modelgate serve`'s direct calls: the key check the facade makes before
//! reading a body, and `ChatCompletion`, with what the gRPC
//! server and [`crate::rpc_span::Traced`] do around the service (request id,
//! RPC span entered while the answer streams), minus the protobuf encoding
//! of every chunk there and back.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Stream;
use futures::future::BoxFuture;
use modelgate::local::{ChunkStream, LocalGateway};
use modelgate::v1::ChatCompletionRequest;
use modelgate::v1::gateway_server::Gateway;
use tonic::{Request, Response, Status};
use tracing::Instrument;

use crate::rpc_span::{ensure_request_id, rpc_span};
use crate::service::GatewayService;

const PATH: &str = "/modelgate.v1.Gateway/ChatCompletion";

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
        let span = rpc_span(PATH, request.metadata().as_ref(), &id);
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
}

/// The answer's chunks, polled and dropped inside the RPC span (the request
/// log line is written when the stream inside is dropped).
struct Spanned {
    inner: Option<ChunkStream>,
    span: tracing::Span,
}

impl Stream for Spanned {
    type Item = Result<modelgate::v1::ChatCompletionChunk, Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let _entered = this.span.enter();
        match this.inner.as_mut() {
            Some(inner) => inner.as_mut().poll_next(cx),
            None => Poll::Ready(None),
        }
    }
}

impl Drop for Spanned {
    fn drop(&mut self) {
        let _entered = self.span.enter();
        self.inner.take();
    }
}
