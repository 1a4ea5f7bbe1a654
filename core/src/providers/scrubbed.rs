//! An adapter whose every error — before the answer starts, mid-stream, from embeddings or
//! model discovery — is scrubbed of the configuration's secrets, whichever path produced it.

use std::sync::Arc;

use futures::StreamExt;
use futures::future::BoxFuture;
use modelgate::error::GatewayError;
use modelgate::v1::{ChatCompletionRequest, EmbedRequest, EmbedResponse, Model, ResponseRequest};

use super::{Capabilities, ChunkStream, EventStream, Provider};
use crate::secrets::Secrets;

pub(super) struct Scrubbed {
    inner: Arc<dyn Provider>,
    secrets: Secrets,
}

impl Scrubbed {
    pub(super) fn new(inner: Arc<dyn Provider>, secrets: &Secrets) -> Self {
        Self {
            inner,
            secrets: secrets.clone(),
        }
    }
}

impl Provider for Scrubbed {
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    fn chat(
        &self,
        request: ChatCompletionRequest,
    ) -> BoxFuture<'static, Result<ChunkStream, GatewayError>> {
        let started = self.inner.chat(request);
        let secrets = self.secrets.clone();
        Box::pin(async move {
            match started.await {
                Ok(stream) => Ok(Box::pin(
                    stream.map(move |item| item.map_err(|e| secrets.scrub(e))),
                ) as ChunkStream),
                Err(err) => Err(secrets.scrub(err)),
            }
        })
    }

    fn embed(
        &self,
        request: EmbedRequest,
    ) -> BoxFuture<'static, Result<EmbedResponse, GatewayError>> {
        let answer = self.inner.embed(request);
        let secrets = self.secrets.clone();
        Box::pin(async move { answer.await.map_err(|e| secrets.scrub(e)) })
    }

    fn responses(
        &self,
        request: ResponseRequest,
    ) -> BoxFuture<'static, Result<EventStream, GatewayError>> {
        let started = self.inner.responses(request);
        let secrets = self.secrets.clone();
        Box::pin(async move {
            match started.await {
                Ok(stream) => Ok(Box::pin(
                    stream.map(move |item| item.map_err(|e| secrets.scrub(e))),
                ) as EventStream),
                Err(err) => Err(secrets.scrub(err)),
            }
        })
    }

    fn list_models(&self) -> BoxFuture<'static, Result<Vec<Model>, GatewayError>> {
        let listed = self.inner.list_models();
        let secrets = self.secrets.clone();
        Box::pin(async move { listed.await.map_err(|e| secrets.scrub(e)) })
    }
}
