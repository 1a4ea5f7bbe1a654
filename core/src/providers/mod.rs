//! Provider adapters behind one small trait, built in one place.

pub mod anthropic;
pub mod azure;
pub mod capabilities;
pub mod gemini;
pub mod http;
pub mod images;
pub mod ollama;
pub mod openai;
pub mod path_segment;
mod scrubbed;
mod through_chat;

use std::pin::Pin;
use std::sync::Arc;

use futures::Stream;
use futures::future::BoxFuture;
use modelgate::error::GatewayError;
use modelgate::v1::{
    ChatCompletionChunk, ChatCompletionRequest, EmbedRequest, EmbedResponse, Model, ResponseEvent,
    ResponseRequest,
};

use crate::config::{ProviderConfig, ProviderKind};
use crate::secrets::Secrets;
pub use capabilities::{Capabilities, Operation};

/// Chunks of one answer as the provider produces them.
pub type ChunkStream =
    Pin<Box<dyn Stream<Item = Result<ChatCompletionChunk, GatewayError>> + Send>>;

/// Responses events as the provider produces them (or as the translation from chat writes them).
pub type EventStream = Pin<Box<dyn Stream<Item = Result<ResponseEvent, GatewayError>> + Send>>;

/// One upstream API. Requests arrive with `model` already set to the name
/// the upstream knows.
pub trait Provider: Send + Sync {
    /// What the upstream API can do, declared once per adapter. The request pipeline checks
    /// it before any call, so an adapter is never asked for an operation it does not declare.
    fn capabilities(&self) -> Capabilities;

    /// Starts a chat completion. The future resolves once the upstream has
    /// answered with a success status; errors before that are returned here.
    fn chat(
        &self,
        request: ChatCompletionRequest,
    ) -> BoxFuture<'static, Result<ChunkStream, GatewayError>>;

    /// Computes embeddings. Adapters that declare none keep this default, which refuses.
    fn embed(
        &self,
        _request: EmbedRequest,
    ) -> BoxFuture<'static, Result<EmbedResponse, GatewayError>> {
        let err = capabilities::refused_by(self.capabilities().kind, Operation::Embeddings);
        Box::pin(async move { Err(err) })
    }

    /// Runs a Responses request. Adapters without a Responses API of their own keep this
    /// default, which translates the request onto [`Provider::chat`] and the chunks back into
    /// Responses events (`crate::responses`).
    fn responses(
        &self,
        request: ResponseRequest,
    ) -> BoxFuture<'static, Result<EventStream, GatewayError>> {
        match crate::responses::to_chat(&request, self.capabilities().kind) {
            Ok(chat) => crate::responses::from_chat(request, self.chat(chat)),
            Err(err) => Box::pin(async move { Err(err) }),
        }
    }

    /// Models the upstream reports, by the names it knows them.
    fn list_models(&self) -> BoxFuture<'static, Result<Vec<Model>, GatewayError>>;
}

/// The adapter for a provider's configuration, every error it returns scrubbed of `secrets`
/// (the whole configuration's), so that no log line or caller downstream sees one.
pub fn build(
    config: &ProviderConfig,
    client: &reqwest::Client,
    images: &Arc<images::Fetcher>,
    secrets: &Secrets,
) -> Arc<dyn Provider> {
    Arc::new(scrubbed::Scrubbed::new(
        adapter(config, client, images),
        secrets,
    ))
}

/// The bare adapter for a provider's configuration. Gemini and Ollama take image bytes only,
/// so they fetch http(s) image URLs through `images`; the others pass URLs on to the upstream.
fn adapter(
    config: &ProviderConfig,
    client: &reqwest::Client,
    images: &Arc<images::Fetcher>,
) -> Arc<dyn Provider> {
    let adapter: Arc<dyn Provider> = match config.kind {
        ProviderKind::OpenAi => Arc::new(openai::OpenAiProvider::new(config, client.clone())),
        ProviderKind::Azure => azure::build(config, client),
        ProviderKind::Anthropic => anthropic::build(config, client),
        ProviderKind::Gemini => gemini::build(config, client, images.clone()),
        ProviderKind::Ollama => ollama::build(config, client, images.clone()),
    };
    match config.kind {
        // An OpenAI-compatible server without a Responses API answers through its chat API.
        ProviderKind::OpenAi | ProviderKind::Azure if !config.responses_api => {
            Arc::new(through_chat::ThroughChat(adapter))
        }
        _ => adapter,
    }
}
