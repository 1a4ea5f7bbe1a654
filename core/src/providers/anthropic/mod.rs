//! The Anthropic adapter: the native Messages API (`POST /v1/messages`),
//! streamed or not, and `GET /v1/models` for discovery. Anthropic has no
//! embeddings endpoint.

mod defaults;
pub mod request;
pub mod response;
pub mod stream;

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use futures::{StreamExt, stream as fstream};
use modelgate::error::{ErrorKind, GatewayError};
use modelgate::v1::{ChatCompletionRequest, Model};
use secrecy::ExposeSecret;

use super::http::{Endpoint, Transport, sse_events};
use super::{Capabilities, ChunkStream, Provider};
use crate::config::{ProviderConfig, ProviderKind};
use stream::{Step, StreamState};

/// The Messages API version this adapter speaks.
const API_VERSION: &str = "2023-06-01";
/// Default cap on a non-streamed call when the config sets none.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);
/// Models per `GET /v1/models` page (the documented maximum).
const MODELS_PAGE: u32 = 1000;
/// Pages followed at most: a looping `has_more` must not loop forever.
const MAX_MODEL_PAGES: usize = 10;

/// The adapter for an `anthropic` provider entry.
pub fn build(config: &ProviderConfig, client: &reqwest::Client) -> Arc<dyn Provider> {
    Arc::new(AnthropicProvider::new(config, client.clone()))
}

/// Talks to one Anthropic base URL with one key.
pub struct AnthropicProvider {
    inner: Arc<Inner>,
}

/// The endpoint, plus this adapter's own request building.
struct Inner(Endpoint);

impl std::ops::Deref for Inner {
    type Target = Endpoint;

    fn deref(&self) -> &Endpoint {
        &self.0
    }
}

impl AnthropicProvider {
    /// An adapter for `config`, sharing `client`'s connection pool.
    pub fn new(config: &ProviderConfig, client: reqwest::Client) -> Self {
        let base = config.api_base.trim_end_matches('/');
        // `ANTHROPIC_BASE_URL` is the host; some users include `/v1`.
        let base = if base.ends_with("/v1") {
            base.to_owned()
        } else {
            format!("{base}/v1")
        };
        Self {
            inner: Arc::new(Inner(Endpoint::new(
                config,
                base,
                client,
                response::upstream_error,
            ))),
        }
    }
}

impl Inner {
    fn decorate(&self, mut builder: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        builder = builder.header("anthropic-version", API_VERSION);
        builder = self.with_headers(builder);
        if let Some(key) = &self.key {
            builder = builder.header("x-api-key", key.expose_secret());
        }
        builder
    }
}

impl Provider for AnthropicProvider {
    /// Chat only: Anthropic has no embeddings API.
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            embeddings: false,
            ..Capabilities::all(ProviderKind::Anthropic)
        }
    }

    fn chat(
        &self,
        request: ChatCompletionRequest,
    ) -> BoxFuture<'static, Result<ChunkStream, GatewayError>> {
        let inner = self.inner.clone();
        Box::pin(async move {
            let body = request::messages_body(&request)?;
            let mut builder = inner.decorate(inner.0.post("/messages").json(&body));
            if !request.stream {
                builder = builder.timeout(inner.timeout.unwrap_or(DEFAULT_TIMEOUT));
            } else if let Some(timeout) = inner.timeout {
                builder = builder.timeout(timeout);
            }
            let response = inner.send(builder).await?;
            if !request.stream {
                let bytes = inner.body(response).await?;
                let chunk =
                    response::parse_message(&inner.name, &bytes).map_err(|e| inner.scrub(e))?;
                return Ok(Box::pin(fstream::iter([Ok(chunk)])) as ChunkStream);
            }
            Ok(chunk_stream(inner, response))
        })
    }

    fn list_models(&self) -> BoxFuture<'static, Result<Vec<Model>, GatewayError>> {
        let inner = self.inner.clone();
        Box::pin(async move {
            let mut models = Vec::new();
            let mut after: Option<String> = None;
            for _ in 0..MAX_MODEL_PAGES {
                let mut query = vec![("limit", MODELS_PAGE.to_string())];
                if let Some(id) = after.take() {
                    query.push(("after_id", id));
                }
                let builder = inner.decorate(
                    inner
                        .client
                        .get(format!("{}/models", inner.base))
                        .query(&query),
                );
                let response = inner.send(builder.timeout(Duration::from_secs(10))).await?;
                let bytes = inner.body(response).await?;
                let (page, next) = response::parse_models(&inner.name, &bytes)?;
                models.extend(page);
                match next {
                    Some(id) => after = Some(id),
                    None => break,
                }
            }
            Ok(models)
        })
    }
}

/// Upstream SSE → chunks. Ends at `message_stop`; a stream that stops
/// before any stop reason is reported as broken, not as a short answer.
fn chunk_stream(inner: Arc<Inner>, response: reqwest::Response) -> ChunkStream {
    struct St<E> {
        events: E,
        inner: Arc<Inner>,
        state: StreamState,
        ready: std::collections::VecDeque<modelgate::v1::ChatCompletionChunk>,
        done: bool,
    }
    let st = St {
        events: Box::pin(sse_events(response, inner.name.clone())),
        inner,
        state: StreamState::new(),
        ready: Default::default(),
        done: false,
    };
    Box::pin(fstream::unfold(st, |mut st| async move {
        loop {
            if let Some(chunk) = st.ready.pop_front() {
                return Some((Ok(chunk), st));
            }
            if st.done {
                return None;
            }
            let step = match st.events.next().await {
                Some(Ok(event)) => st.state.on_data(&st.inner.name, &event.data),
                Some(Err(err)) => Err(err),
                // Ending after the stop reason but before `message_stop` loses nothing.
                None if st.state.finished => return None,
                None => Err(GatewayError::new(
                    ErrorKind::Unavailable,
                    format!(
                        "upstream `{}` ended the stream before finishing the answer",
                        st.inner.name
                    ),
                )
                .with_http_status(502)),
            };
            match step {
                Ok(Step::Chunks(chunks)) => st.ready.extend(chunks),
                Ok(Step::Done) => st.done = true,
                Err(err) => {
                    st.done = true;
                    let err = st.inner.scrub(err);
                    return Some((Err(err), st));
                }
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use modelgate::v1::Message;
    use modelgate::v1::message::Content;

    #[test]
    fn base_url_takes_host_or_v1() {
        let cfg = |base: &str| ProviderConfig {
            responses_api: false,
            name: "anthropic".into(),
            kind: crate::config::ProviderKind::Anthropic,
            api_base: base.into(),
            api_key: None,
            api_version: None,
            models: None,
            timeout: None,
            headers: Vec::new(),
        };
        let client = reqwest::Client::new();
        assert_eq!(
            AnthropicProvider::new(&cfg("https://api.anthropic.com"), client.clone())
                .inner
                .base,
            "https://api.anthropic.com/v1"
        );
        assert_eq!(
            AnthropicProvider::new(&cfg("https://proxy.test/v1/"), client)
                .inner
                .base,
            "https://proxy.test/v1"
        );
    }

    #[tokio::test]
    async fn declares_no_embeddings_and_refuses_bad_chat_before_any_call() {
        let cfg = ProviderConfig {
            responses_api: false,
            name: "anthropic".into(),
            kind: crate::config::ProviderKind::Anthropic,
            api_base: "http://127.0.0.1:9".into(),
            api_key: None,
            api_version: None,
            models: None,
            timeout: None,
            headers: Vec::new(),
        };
        let provider = build(&cfg, &reqwest::Client::new());
        assert!(!provider.capabilities().embeddings);
        assert!(provider.capabilities().chat);
        // Asked directly all the same, the trait's default refuses without a call.
        let err = provider
            .embed(modelgate::v1::EmbedRequest::default())
            .await
            .expect_err("no embeddings");
        assert_eq!(err.kind, ErrorKind::UnsupportedByProvider);
        assert_eq!(err.code.as_deref(), Some("unsupported_by_provider"));
        // A bad request fails before any network call.
        let req = ChatCompletionRequest {
            model: "m".into(),
            messages: vec![Message {
                role: modelgate::v1::Role::Assistant as i32,
                tool_calls: vec![modelgate::v1::ToolCall {
                    arguments: "nope".into(),
                    ..Default::default()
                }],
                content: Some(Content::Text(String::new())),
                ..Default::default()
            }],
            ..Default::default()
        };
        assert_eq!(
            provider.chat(req).await.err().map(|e| e.http_status()),
            Some(400)
        );
    }
}
