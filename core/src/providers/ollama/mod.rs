//! The Ollama adapter: the native API (`/api/chat` NDJSON streams,
//! `/api/embed`, `/api/tags`), so thinking, tool calls and token counts come
//! through as Ollama reports them. No key is needed locally; a configured
//! key goes out as a bearer token (Ollama Cloud, authenticating proxies).

pub mod ndjson;
pub mod request;
pub mod response;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::future::BoxFuture;
use futures::{StreamExt, stream};
use modelgate::error::{ErrorKind, GatewayError};
use modelgate::v1::{
    ChatCompletionChunk, ChatCompletionRequest, EmbedRequest, EmbedResponse, Model,
};
use secrecy::ExposeSecret;
use serde_json::Value;

use super::http::{Endpoint, Transport, transport_error};
use super::{Capabilities, ChunkStream, Provider, images};
use crate::config::{ProviderConfig, ProviderKind};
use ndjson::NdjsonDecoder;
use response::StreamState;

/// Default cap on a non-streamed call when the config sets none (a local
/// model may first have to load).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// The adapter for an `ollama` provider entry.
pub fn build(
    config: &ProviderConfig,
    client: &reqwest::Client,
    images: Arc<images::Fetcher>,
) -> Arc<dyn Provider> {
    Arc::new(OllamaProvider {
        inner: Arc::new(Inner(
            Endpoint::new(
                config,
                config.api_base.trim_end_matches('/').to_owned(),
                client.clone(),
                response::upstream_error,
            ),
            images,
        )),
    })
}

/// Talks to one Ollama server.
struct OllamaProvider {
    inner: Arc<Inner>,
}

/// The endpoint and the image fetcher, plus this adapter's own request building.
struct Inner(Endpoint, Arc<images::Fetcher>);

impl std::ops::Deref for Inner {
    type Target = Endpoint;

    fn deref(&self) -> &Endpoint {
        &self.0
    }
}

impl Inner {
    fn decorate(&self, mut builder: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        builder = self.with_headers(builder);
        if let Some(key) = &self.key {
            builder = builder.bearer_auth(key.expose_secret());
        }
        builder
    }

    fn post(&self, path: &str, body: &Value) -> reqwest::RequestBuilder {
        self.decorate(self.0.post(path).json(body))
    }

    /// Fetches every http(s) image of the request (Ollama only takes bytes),
    /// as `image_fetch` allows.
    async fn fetch_images(
        &self,
        req: &ChatCompletionRequest,
    ) -> Result<HashMap<String, String>, GatewayError> {
        let fetched = self.1.fetch_all(req).await?;
        Ok(fetched
            .into_iter()
            .map(|(url, image)| (url, image.base64))
            .collect())
    }
}

impl Provider for OllamaProvider {
    fn capabilities(&self) -> Capabilities {
        Capabilities::all(ProviderKind::Ollama)
    }

    fn chat(
        &self,
        request: ChatCompletionRequest,
    ) -> BoxFuture<'static, Result<ChunkStream, GatewayError>> {
        let inner = self.inner.clone();
        Box::pin(async move {
            let fetched = inner.fetch_images(&request).await?;
            let body = request::chat_body(&request, &fetched)?;
            let mut builder = inner.post("/api/chat", &body);
            if !request.stream {
                builder = builder.timeout(inner.timeout.unwrap_or(DEFAULT_TIMEOUT));
            } else if let Some(timeout) = inner.timeout {
                builder = builder.timeout(timeout);
            }
            let response = inner.send(builder).await?;
            let id = completion_id();
            let created = now();
            if !request.stream {
                let bytes = inner.body(response).await?;
                let chunk = response::parse_completion(&inner.name, id, created, &bytes)
                    .map_err(|e| inner.scrub(e))?;
                return Ok(Box::pin(stream::iter([Ok(chunk)])) as ChunkStream);
            }
            let state = StreamState::new(&inner.name, id, created, &request.model);
            Ok(chunk_stream(inner, response, state))
        })
    }

    fn embed(
        &self,
        request: EmbedRequest,
    ) -> BoxFuture<'static, Result<EmbedResponse, GatewayError>> {
        let inner = self.inner.clone();
        Box::pin(async move {
            let body = request::embed_body(&request)?;
            let builder = inner
                .post("/api/embed", &body)
                .timeout(inner.timeout.unwrap_or(DEFAULT_TIMEOUT));
            let response = inner.send(builder).await?;
            let bytes = inner.body(response).await?;
            response::parse_embed(&inner.name, &bytes)
        })
    }

    fn list_models(&self) -> BoxFuture<'static, Result<Vec<Model>, GatewayError>> {
        let inner = self.inner.clone();
        Box::pin(async move {
            let builder = inner.decorate(inner.client.get(format!("{}/api/tags", inner.base)));
            let response = inner.send(builder.timeout(Duration::from_secs(10))).await?;
            let bytes = inner.body(response).await?;
            response::parse_tags(&inner.name, &bytes)
        })
    }
}

/// An OpenAI-style completion id (Ollama's native API has none).
fn completion_id() -> String {
    format!("chatcmpl-{:024x}", rand::random::<u128>() >> 32)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

/// Upstream NDJSON → chunks. Ends after the `done: true` line; a body that
/// stops before it is reported as broken, not as a short answer. Chunks
/// parsed before a failure still go out ahead of the error.
fn chunk_stream(inner: Arc<Inner>, response: reqwest::Response, state: StreamState) -> ChunkStream {
    struct St {
        body: futures::stream::BoxStream<'static, reqwest::Result<Bytes>>,
        decoder: NdjsonDecoder,
        state: StreamState,
        ready: VecDeque<ChatCompletionChunk>,
        failure: Option<GatewayError>,
        inner: Arc<Inner>,
        ended: bool,
    }
    let st = St {
        body: response.bytes_stream().boxed(),
        decoder: NdjsonDecoder::new(),
        state,
        ready: VecDeque::new(),
        failure: None,
        inner,
        ended: false,
    };
    Box::pin(stream::unfold(st, |mut st| async move {
        loop {
            if let Some(chunk) = st.ready.pop_front() {
                return Some((Ok(chunk), st));
            }
            if let Some(err) = st.failure.take() {
                st.ended = true;
                let err = st.inner.scrub(err);
                return Some((Err(err), st));
            }
            if st.ended || st.state.finished() {
                return None;
            }
            let lines = match st.body.next().await {
                Some(Ok(bytes)) => st
                    .decoder
                    .push(&bytes)
                    .map_err(|e| broken(&st.inner.name, &e.to_string())),
                Some(Err(e)) => Err(transport_error(&st.inner.name, &e)),
                None => {
                    st.ended = true;
                    Ok(st.decoder.finish().into_iter().collect())
                }
            };
            match lines {
                Ok(lines) => {
                    for line in lines {
                        match st.state.line(&line) {
                            Ok(chunks) => st.ready.extend(chunks),
                            Err(err) => {
                                st.failure = Some(err);
                                break;
                            }
                        }
                        if st.state.finished() {
                            break;
                        }
                    }
                }
                Err(err) => st.failure = Some(err),
            }
            if st.ended && st.failure.is_none() && !st.state.finished() {
                st.failure = Some(broken(
                    &st.inner.name,
                    "the stream ended before the answer finished",
                ));
            }
        }
    }))
}

fn broken(provider: &str, why: &str) -> GatewayError {
    GatewayError::new(
        ErrorKind::Unavailable,
        format!("upstream `{provider}` sent a malformed stream: {why}"),
    )
    .with_http_status(502)
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::TryStreamExt;
    use modelgate::v1::content_part::Part;
    use modelgate::v1::message::Content;
    use modelgate::v1::{ContentPart, ContentParts, ImageUrl, Message, Role};

    async fn provider() -> (mock_upstream::MockUpstream, Arc<dyn Provider>) {
        let mock = mock_upstream::MockUpstream::start(mock_upstream::default_fixtures_dir())
            .await
            .expect("mock starts");
        let config = ProviderConfig {
            responses_api: false,
            name: "ollama".into(),
            kind: crate::config::ProviderKind::Ollama,
            api_base: mock.native_url("ollama"),
            api_key: Some(secrecy::SecretString::from("sk-ollama-cloud-key")),
            api_version: None,
            models: None,
            timeout: None,
            headers: Vec::new(),
        };
        let client = crate::providers::http::client().expect("client");
        let provider = build(
            &config,
            &client,
            Arc::new(images::Fetcher::allowing_everything()),
        );
        (mock, provider)
    }

    fn ask(model: &str, stream: bool, content: Content) -> ChatCompletionRequest {
        ChatCompletionRequest {
            model: model.into(),
            stream,
            messages: vec![Message {
                role: Role::User as i32,
                content: Some(content),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn http_image_is_inlined_and_key_sent_as_bearer() {
        let (mock, provider) = provider().await;
        let url = format!("http://{}/assets/pixel.png", mock.addr());
        let parts = ContentParts {
            parts: vec![
                ContentPart {
                    part: Some(Part::Text("what is this?".into())),
                },
                ContentPart {
                    part: Some(Part::ImageUrl(ImageUrl { url, detail: None })),
                },
            ],
        };
        let stream = provider
            .chat(ask("text", true, Content::Parts(parts)))
            .await
            .expect("answers");
        let chunks: Vec<_> = stream.try_collect().await.expect("whole stream");
        assert!(chunks.last().is_some_and(|c| c.usage.is_some()));
        let call = mock
            .requests()
            .into_iter()
            .find(|r| r.path == "/ollama/api/chat")
            .expect("chat call");
        let image = call.body["messages"][0]["images"][0]
            .as_str()
            .expect("an image");
        use base64::Engine as _;
        let png = base64::engine::general_purpose::STANDARD
            .decode(image)
            .expect("base64");
        assert!(png.starts_with(b"\x89PNG"));
        let auth = call
            .headers
            .iter()
            .find(|(k, _)| k == "authorization")
            .map(|(_, v)| v.as_str());
        assert_eq!(auth, Some("Bearer sk-ollama-cloud-key"));
    }

    #[tokio::test]
    async fn errors_before_and_during_the_stream() {
        let (_mock, provider) = provider().await;
        let err = provider
            .chat(ask("error-404", true, Content::Text("hi".into())))
            .await
            .err()
            .expect("404");
        assert_eq!(
            (err.http_status(), err.code.as_deref()),
            (404, Some("model_not_found"))
        );
        let stream = provider
            .chat(ask("garbage", true, Content::Text("hi".into())))
            .await
            .expect("200");
        let err = stream
            .try_collect::<Vec<_>>()
            .await
            .expect_err("not NDJSON");
        assert_eq!(err.http_status(), 502);
        let stream = provider
            .chat(ask("reset", true, Content::Text("hi".into())))
            .await
            .expect("200");
        let items: Vec<_> = stream.collect().await;
        assert!(
            items.first().is_some_and(Result::is_ok),
            "lines before the reset are delivered"
        );
        assert!(
            items.last().is_some_and(Result::is_err),
            "a cut stream ends in an error"
        );
    }

    #[tokio::test]
    async fn embeddings_and_models() {
        let (_mock, provider) = provider().await;
        let req = EmbedRequest {
            model: "nomic-embed-text".into(),
            input: vec!["Hello world".into()],
            ..Default::default()
        };
        let resp = provider.embed(req).await.expect("embeds");
        assert_eq!(resp.data.len(), 1);
        let models = provider.list_models().await.expect("lists");
        assert_eq!(models.len(), 2);
    }
}
