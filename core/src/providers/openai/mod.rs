//! The OpenAI-compatible adapter: OpenAI itself and every server that speaks
//! its chat completions dialect (Groq, DeepSeek, Mistral, OpenRouter, vLLM,
//! LM Studio, llama.cpp, …).

pub mod request;
pub mod response;
pub(crate) mod responses;
pub(crate) mod responses_stream;
pub(crate) mod stream;

use std::time::Duration;

use futures::future::BoxFuture;
use futures::stream as fstream;
use modelgate::error::GatewayError;
use modelgate::v1::{ChatCompletionRequest, EmbedRequest, EmbedResponse, Model, ResponseRequest};
use secrecy::ExposeSecret;
use serde_json::Value;

use super::http::{Endpoint, Transport};
use super::{Capabilities, ChunkStream, EventStream, Provider};
use crate::config::{ProviderConfig, ProviderKind};

/// Default cap on a non-streamed call when the config sets none.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// Talks to one OpenAI-compatible base URL with one key.
pub struct OpenAiProvider {
    inner: std::sync::Arc<Inner>,
}

/// The endpoint, plus this adapter's own request building.
struct Inner(Endpoint);

impl std::ops::Deref for Inner {
    type Target = Endpoint;

    fn deref(&self) -> &Endpoint {
        &self.0
    }
}

impl OpenAiProvider {
    /// An adapter for `config`, sharing `client`'s connection pool.
    pub fn new(config: &ProviderConfig, client: reqwest::Client) -> Self {
        Self {
            inner: std::sync::Arc::new(Inner(Endpoint::new(
                config,
                config.api_base.trim_end_matches('/').to_owned(),
                client,
                response::upstream_error,
            ))),
        }
    }
}

impl Inner {
    fn post(&self, path: &str, body: &Value) -> reqwest::RequestBuilder {
        let builder = self.0.post(path).json(body);
        self.decorate(builder)
    }

    fn decorate(&self, mut builder: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        builder = self.with_headers(builder);
        if let Some(key) = &self.key {
            builder = builder.bearer_auth(key.expose_secret());
        }
        builder
    }
}

impl Provider for OpenAiProvider {
    fn capabilities(&self) -> Capabilities {
        Capabilities::all(ProviderKind::OpenAi)
    }

    fn chat(
        &self,
        request: ChatCompletionRequest,
    ) -> BoxFuture<'static, Result<ChunkStream, GatewayError>> {
        let inner = self.inner.clone();
        Box::pin(async move {
            let body = request::chat_body(&request);
            let mut builder = inner.post("/chat/completions", &body);
            if !request.stream {
                builder = builder.timeout(inner.timeout.unwrap_or(DEFAULT_TIMEOUT));
            } else if let Some(timeout) = inner.timeout {
                builder = builder.timeout(timeout);
            }
            let response = inner.send(builder).await?;
            // Some servers ignore `stream: true` (or fail with a JSON body and
            // a 200): answer from the JSON body either way.
            if !request.stream || !stream::is_event_stream(&response) {
                let bytes = inner.body(response).await?;
                let chunk =
                    response::parse_completion(&inner.name, &bytes).map_err(|e| inner.scrub(e))?;
                return Ok(Box::pin(fstream::iter([Ok(chunk)])) as ChunkStream);
            }
            let name = inner.name.as_str().into();
            Ok(stream::chunk_stream(name, response, move |e| {
                inner.scrub(e)
            }))
        })
    }

    /// Passed through to the upstream's own `POST /responses`: the request as the client wrote
    /// it (`store`, `previous_response_id`, built-in tools, `include` unchanged), the events
    /// as the upstream sent them.
    fn responses(
        &self,
        request: ResponseRequest,
    ) -> BoxFuture<'static, Result<EventStream, GatewayError>> {
        let inner = self.inner.clone();
        Box::pin(async move {
            let body = modelgate::responses::request_to_json(&request);
            let mut builder = inner.post("/responses", &body);
            if !request.stream {
                builder = builder.timeout(inner.timeout.unwrap_or(DEFAULT_TIMEOUT));
            } else if let Some(timeout) = inner.timeout {
                builder = builder.timeout(timeout);
            }
            let response = inner.send(builder).await?;
            let name = inner.name.as_str().into();
            responses_stream::events(name, response, request.stream, move |e| inner.scrub(e)).await
        })
    }

    fn embed(
        &self,
        request: EmbedRequest,
    ) -> BoxFuture<'static, Result<EmbedResponse, GatewayError>> {
        let inner = self.inner.clone();
        Box::pin(async move {
            let body = request::embed_body(&request);
            let builder = inner
                .post("/embeddings", &body)
                .timeout(inner.timeout.unwrap_or(DEFAULT_TIMEOUT));
            let response = inner.send(builder).await?;
            let bytes = inner.body(response).await?;
            response::parse_embeddings(&inner.name, &bytes).map_err(|e| inner.scrub(e))
        })
    }

    fn list_models(&self) -> BoxFuture<'static, Result<Vec<Model>, GatewayError>> {
        let inner = self.inner.clone();
        Box::pin(async move {
            let builder = inner.decorate(inner.client.get(format!("{}/models", inner.base)));
            let response = inner.send(builder.timeout(Duration::from_secs(10))).await?;
            let bytes = inner.body(response).await?;
            response::parse_models(&inner.name, &bytes)
        })
    }
}
