//! Stand-in for provider kinds whose native adapter this build lacks: every
//! call fails with a clear 501 instead of reaching a wrong endpoint.

use futures::future::BoxFuture;
use modelgate::error::{ErrorKind, GatewayError};
use modelgate::v1::{ChatCompletionRequest, EmbedRequest, EmbedResponse, Model};

use super::{ChunkStream, Provider};
use crate::config::ProviderConfig;

pub(crate) struct Unsupported {
    message: String,
}

impl Unsupported {
    pub(crate) fn new(config: &ProviderConfig) -> Self {
        Self {
            message: format!(
                "provider `{}` is of kind {:?}, which this modelgate build cannot call yet; \
                 point it at an OpenAI-compatible endpoint with `kind: openai` meanwhile",
                config.name, config.kind
            ),
        }
    }

    fn error(&self) -> GatewayError {
        GatewayError::new(ErrorKind::Unimplemented, self.message.clone()).with_code("provider_not_supported")
    }
}

impl Provider for Unsupported {
    fn chat(&self, _: ChatCompletionRequest) -> BoxFuture<'static, Result<ChunkStream, GatewayError>> {
        let err = self.error();
        Box::pin(async move { Err(err) })
    }

    fn embed(&self, _: EmbedRequest) -> BoxFuture<'static, Result<EmbedResponse, GatewayError>> {
        let err = self.error();
        Box::pin(async move { Err(err) })
    }

    fn list_models(&self) -> BoxFuture<'static, Result<Vec<Model>, GatewayError>> {
        let err = self.error();
        Box::pin(async move { Err(err) })
    }
}
