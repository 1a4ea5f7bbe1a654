//! The core called as a function in the same process (`modelgate serve`):
//! the same RPC messages, metadata and statuses as over gRPC, without
//! encoding every message to protobuf and back. Only the hot calls (chat and
//! Responses) and the key check have this path; the others go through the
//! in-process gRPC service.

use std::pin::Pin;

use futures::Stream;
use futures::future::BoxFuture;
use tonic::{Request, Response, Status};

use crate::v1::{ChatCompletionChunk, ChatCompletionRequest, ResponseEvent, ResponseRequest};

/// The chunks of one `ChatCompletion` answer.
pub type ChunkStream = Pin<Box<dyn Stream<Item = Result<ChatCompletionChunk, Status>> + Send>>;

/// The events of one `CreateResponse` answer.
pub type EventStream = Pin<Box<dyn Stream<Item = Result<ResponseEvent, Status>> + Send>>;

/// `modelgate.v1.Gateway/ChatCompletion`, `CreateResponse` and `Authenticate` as direct calls.
pub trait LocalGateway: Send + Sync + 'static {
    /// `Authenticate`: the name of the key in `metadata`'s `authorization`, or
    /// UNAUTHENTICATED with the error table's metadata.
    fn authenticate(&self, metadata: &tonic::metadata::MetadataMap) -> Result<String, Status>;

    /// Behaves as the RPC does: the request's metadata carries the caller's
    /// key and request id, the response's metadata the routing headers.
    fn chat_completion(
        &self,
        request: Request<ChatCompletionRequest>,
    ) -> BoxFuture<'static, Result<Response<ChunkStream>, Status>>;

    /// `CreateResponse`, behaving as the RPC does (see [`LocalGateway::chat_completion`]).
    fn create_response(
        &self,
        request: Request<ResponseRequest>,
    ) -> BoxFuture<'static, Result<Response<EventStream>, Status>>;
}
