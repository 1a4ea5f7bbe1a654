//! Talking to the gateway's gRPC surface as a client does: a connection, requests that carry a
//! client key in `authorization` metadata, a chat read to its end.
#![allow(dead_code)]

use futures::StreamExt;
use modelgate::v1::gateway_client::GatewayClient;
use modelgate::v1::message::Content;
use modelgate::v1::{ChatCompletionChunk, ChatCompletionRequest, Message, Role};
use tonic::transport::Channel;

/// A client of the gRPC surface at `url` (`http://host:port`).
pub async fn connect(url: &str) -> GatewayClient<Channel> {
    GatewayClient::connect(url.to_owned())
        .await
        .expect("gRPC surface reachable")
}

/// `message` with `authorization: Bearer KEY` in its metadata.
pub fn keyed<T>(message: T, key: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {key}").parse().expect("ascii"),
    );
    request
}

/// A one-message chat to `model` saying `text`.
pub fn chat(model: &str, text: &str, stream: bool) -> ChatCompletionRequest {
    ChatCompletionRequest {
        model: model.into(),
        stream,
        messages: vec![Message {
            role: Role::User as i32,
            content: Some(Content::Text(text.into())),
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// A streamed one-message chat to `model` saying `text`, carrying `key`.
pub fn keyed_stream(model: &str, text: &str, key: &str) -> tonic::Request<ChatCompletionRequest> {
    keyed(chat(model, text, true), key)
}

/// Sends `request` on a new connection to `url` and reads the stream to its end; every chunk
/// must arrive without error.
pub async fn stream_to_end(
    url: &str,
    request: tonic::Request<ChatCompletionRequest>,
) -> Vec<ChatCompletionChunk> {
    let mut stream = connect(url)
        .await
        .chat_completion(request)
        .await
        .expect("stream starts")
        .into_inner();
    let mut chunks = Vec::new();
    while let Some(chunk) = stream.next().await {
        chunks.push(chunk.expect("chunk"));
    }
    chunks
}
