//! The OpenAI-compatible adapter: OpenAI itself and every server that speaks
//! its chat completions dialect (Groq, DeepSeek, Mistral, OpenRouter, vLLM,
//! LM Studio, llama.cpp, …).

pub mod request;
pub mod response;

use std::time::Duration;

use futures::future::BoxFuture;
use futures::{StreamExt, stream};
use modelgate::error::{ErrorKind, GatewayError};
use modelgate::v1::{ChatCompletionRequest, EmbedRequest, EmbedResponse, Model};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use super::http::{error_body, redact, sse_events, transport_error};
use super::{ChunkStream, Provider};
use crate::config::ProviderConfig;
use response::StreamItem;

/// Default cap on a non-streamed call when the config sets none.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// Talks to one OpenAI-compatible base URL with one key.
pub struct OpenAiProvider {
    inner: std::sync::Arc<Inner>,
}

struct Inner {
    name: String,
    base: String,
    key: Option<SecretString>,
    headers: Vec<(String, String)>,
    timeout: Option<Duration>,
    client: reqwest::Client,
}

impl OpenAiProvider {
    /// An adapter for `config`, sharing `client`'s connection pool.
    pub fn new(config: &ProviderConfig, client: reqwest::Client) -> Self {
        Self {
            inner: std::sync::Arc::new(Inner {
                name: config.name.clone(),
                base: config.api_base.trim_end_matches('/').to_owned(),
                key: config.api_key.clone(),
                headers: config.headers.clone(),
                timeout: config.timeout,
                client,
            }),
        }
    }
}

impl Inner {
    fn post(&self, path: &str, body: &Value) -> reqwest::RequestBuilder {
        let builder = self.client.post(format!("{}{path}", self.base)).json(body);
        self.decorate(builder)
    }

    fn decorate(&self, mut builder: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        if let Some(key) = &self.key {
            builder = builder.bearer_auth(key.expose_secret());
        }
        builder
    }

    /// Sends and turns any non-success answer into the matching error.
    async fn send(
        &self,
        builder: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, GatewayError> {
        let response = builder
            .send()
            .await
            .map_err(|e| transport_error(&self.name, &e))?;
        if response.status().is_success() {
            return Ok(response);
        }
        let (status, body) = error_body(response).await;
        Err(self.scrub(response::upstream_error(&self.name, status, &body)))
    }

    /// Upstream messages may echo the provider key (masked or not).
    fn scrub(&self, mut err: GatewayError) -> GatewayError {
        let secret = self
            .key
            .as_ref()
            .map(|k| k.expose_secret().to_owned())
            .unwrap_or_default();
        err.message = redact(&err.message, &[secret.as_str()]);
        err
    }

    async fn body(&self, response: reqwest::Response) -> Result<bytes::Bytes, GatewayError> {
        response
            .bytes()
            .await
            .map_err(|e| transport_error(&self.name, &e))
    }
}

impl Provider for OpenAiProvider {
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
            if !request.stream || !is_event_stream(&response) {
                let bytes = inner.body(response).await?;
                let chunk =
                    response::parse_completion(&inner.name, &bytes).map_err(|e| inner.scrub(e))?;
                return Ok(Box::pin(stream::iter([Ok(chunk)])) as ChunkStream);
            }
            Ok(chunk_stream(inner, response))
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
            response::parse_embeddings(&inner.name, &bytes)
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

fn is_event_stream(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("event-stream"))
}

/// Upstream SSE → chunks. Ends at `[DONE]`; a stream that stops before it
/// without any finish_reason is reported as broken, not as a short answer.
fn chunk_stream(inner: std::sync::Arc<Inner>, response: reqwest::Response) -> ChunkStream {
    let events = Box::pin(sse_events(response, inner.name.clone()));
    let state = (events, inner, false, false);
    Box::pin(stream::unfold(
        state,
        |(mut events, inner, mut finished, done)| async move {
            if done {
                return None;
            }
            loop {
                let item = match events.next().await {
                    Some(Ok(event)) => response::parse_stream_data(&inner.name, &event.data),
                    Some(Err(err)) => Err(err),
                    None if finished => return None,
                    None => Err(GatewayError::new(
                        ErrorKind::Unavailable,
                        format!(
                            "upstream `{}` ended the stream before finishing the answer",
                            inner.name
                        ),
                    )
                    .with_http_status(502)),
                };
                match item {
                    Ok(StreamItem::Chunk(chunk)) => {
                        finished |= chunk.choices.iter().any(|c| c.finish_reason.is_some());
                        return Some((Ok(chunk), (events, inner, finished, false)));
                    }
                    Ok(StreamItem::Skip) => {}
                    Ok(StreamItem::Done) => return None,
                    Err(err) => {
                        let err = inner.scrub(err);
                        return Some((Err(err), (events, inner, finished, true)));
                    }
                }
            }
        },
    ))
}
