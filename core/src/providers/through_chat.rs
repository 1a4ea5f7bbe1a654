//! An OpenAI-dialect adapter whose upstream has no Responses API (`responses_api: false`):
//! everything is the adapter's, except Responses, which keeps the trait's default and goes
//! through the adapter's chat, translated (`crate::responses`).

use std::sync::Arc;

use futures::future::BoxFuture;
use modelgate::error::GatewayError;
use modelgate::v1::{ChatCompletionRequest, EmbedRequest, EmbedResponse, Model};

use super::{Capabilities, ChunkStream, Provider};

pub(super) struct ThroughChat(pub(super) Arc<dyn Provider>);

impl Provider for ThroughChat {
    fn capabilities(&self) -> Capabilities {
        self.0.capabilities()
    }

    fn chat(
        &self,
        request: ChatCompletionRequest,
    ) -> BoxFuture<'static, Result<ChunkStream, GatewayError>> {
        self.0.chat(request)
    }

    fn embed(
        &self,
        request: EmbedRequest,
    ) -> BoxFuture<'static, Result<EmbedResponse, GatewayError>> {
        self.0.embed(request)
    }

    fn list_models(&self) -> BoxFuture<'static, Result<Vec<Model>, GatewayError>> {
        self.0.list_models()
    }
}
