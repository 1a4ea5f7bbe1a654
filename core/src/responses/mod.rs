//! Responses on top of chat, for upstreams without a Responses API of their own: the request
//! mapped onto a chat request, and the chat chunks mapped back onto Responses events.

use futures::future::BoxFuture;
use modelgate::error::{ErrorKind, GatewayError};
use modelgate::v1::{ChatCompletionRequest, ResponseRequest};

use crate::config::ProviderKind;
use crate::providers::{ChunkStream, EventStream};

/// The chat request that answers `request` on an upstream of `kind`, or a 400 naming what
/// that upstream cannot do (built-in tools, `previous_response_id`).
pub fn to_chat(
    request: &ResponseRequest,
    kind: ProviderKind,
) -> Result<ChatCompletionRequest, GatewayError> {
    let _ = (request, kind);
    Err(GatewayError::new(
        ErrorKind::UnsupportedByProvider,
        "Responses through chat: not built",
    ))
}

/// The events of the chat answer `started` resolves to, as a Responses stream for `request`.
pub fn from_chat(
    request: ResponseRequest,
    started: BoxFuture<'static, Result<ChunkStream, GatewayError>>,
) -> BoxFuture<'static, Result<EventStream, GatewayError>> {
    let _ = (request, started);
    Box::pin(async move {
        Err(GatewayError::new(
            ErrorKind::UnsupportedByProvider,
            "Responses through chat: not built",
        ))
    })
}
