//! Responses on top of chat, for upstreams without a Responses API of their own: the request
//! mapped onto a chat request, and the chat chunks mapped back onto Responses events.

mod events;
mod ids;
mod input;
mod request;
mod stream;

#[cfg(test)]
mod events_tests;
#[cfg(test)]
mod fixture_tests;
#[cfg(test)]
mod request_tests;

use futures::future::BoxFuture;
use modelgate::error::GatewayError;
use modelgate::v1::{ChatCompletionRequest, ResponseRequest};

use crate::config::ProviderKind;
use crate::providers::{ChunkStream, EventStream};

pub use events::Translator;

/// The chat request that answers `request` on an upstream of `kind`, or a 400 naming what
/// that upstream cannot do (built-in tools, `previous_response_id`).
pub fn to_chat(
    request: &ResponseRequest,
    kind: ProviderKind,
) -> Result<ChatCompletionRequest, GatewayError> {
    request::chat_request(request, kind)
}

/// The events of the chat answer `started` resolves to, as a Responses stream for `request`.
/// Errors before the first chunk are the future's, so the pipeline can still retry or fall
/// back; later ones are items of the stream.
pub fn from_chat(
    request: ResponseRequest,
    started: BoxFuture<'static, Result<ChunkStream, GatewayError>>,
) -> BoxFuture<'static, Result<EventStream, GatewayError>> {
    Box::pin(async move {
        let chunks = started.await?;
        stream::events(Translator::new(&request.model, request.stream), chunks).await
    })
}
