//! The Google Gemini adapter (Generative Language API, `v1beta`):
//! `models/{m}:generateContent`, `:streamGenerateContent?alt=sse`,
//! `:batchEmbedContents` and `GET models`. The key travels in the
//! `x-goog-api-key` header, never in the URL (URLs get logged).

mod call_ids;
pub mod request;
pub mod response;
mod schema;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use futures::{StreamExt, stream};
use modelgate::error::GatewayError;
use modelgate::v1::{ChatCompletionRequest, EmbedRequest, EmbedResponse, Model};
use secrecy::ExposeSecret;
use serde_json::Value;

use super::http::{Endpoint, Transport, sse_events};
use super::{Capabilities, ChunkStream, Provider, images};
use crate::config::{ProviderConfig, ProviderKind};
use response::Translator;

/// Default cap on a non-streamed call when the config sets none.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);
/// API version used when the configured base names none.
const DEFAULT_VERSION: &str = "v1beta";
/// Model list pages followed at most.
const MAX_MODEL_PAGES: usize = 10;

/// The adapter for a `gemini` provider entry.
pub fn build(
    config: &ProviderConfig,
    client: &reqwest::Client,
    images: Arc<images::Fetcher>,
) -> Arc<dyn Provider> {
    Arc::new(GeminiProvider::new(config, client.clone(), images))
}

/// Talks to one Gemini API base with one key.
pub struct GeminiProvider {
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

impl GeminiProvider {
    /// An adapter for `config`, sharing `client`'s connection pool; http(s)
    /// images are fetched through `images`.
    pub fn new(
        config: &ProviderConfig,
        client: reqwest::Client,
        images: Arc<images::Fetcher>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner(
                Endpoint::new(
                    config,
                    versioned_base(&config.api_base, config.api_version.as_deref()),
                    client,
                    response::upstream_error,
                ),
                images,
            )),
        }
    }
}

/// `api_base` may already end in a version (`…/v1beta`); otherwise the
/// configured `api_version` or `v1beta` is appended.
fn versioned_base(api_base: &str, version: Option<&str>) -> String {
    let base = api_base.trim_end_matches('/');
    let last = base.rsplit('/').next().unwrap_or_default();
    let has_version = last.starts_with('v') && last[1..].starts_with(|c: char| c.is_ascii_digit());
    if has_version {
        base.to_owned()
    } else {
        format!("{base}/{}", version.unwrap_or(DEFAULT_VERSION))
    }
}

impl Inner {
    fn decorate(&self, mut builder: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        builder = self.with_headers(builder);
        if let Some(key) = &self.key {
            builder = builder.header("x-goog-api-key", key.expose_secret());
        }
        builder
    }

    fn post(&self, path: &str, body: &Value) -> reqwest::RequestBuilder {
        self.decorate(self.0.post(&format!("/{path}")).json(body))
    }

    /// Fetches the request's http(s) images for inlining, as `image_fetch` allows.
    async fn fetch_images(
        &self,
        req: &ChatCompletionRequest,
    ) -> Result<HashMap<String, images::InlineImage>, GatewayError> {
        self.1.fetch_all(req).await
    }
}

impl Provider for GeminiProvider {
    fn capabilities(&self) -> Capabilities {
        Capabilities::all(ProviderKind::Gemini)
    }

    fn chat(
        &self,
        request: ChatCompletionRequest,
    ) -> BoxFuture<'static, Result<ChunkStream, GatewayError>> {
        let inner = self.inner.clone();
        Box::pin(async move {
            let model = request::model_path(&request.model)?;
            let images = inner.fetch_images(&request).await?;
            let body = request::chat_body(&request, &images)?;
            let path = if request.stream {
                format!("{model}:streamGenerateContent?alt=sse")
            } else {
                format!("{model}:generateContent")
            };
            let mut builder = inner.post(&path, &body);
            if !request.stream {
                builder = builder.timeout(inner.timeout.unwrap_or(DEFAULT_TIMEOUT));
            } else if let Some(timeout) = inner.timeout {
                builder = builder.timeout(timeout);
            }
            let response = inner.send(builder).await?;
            if !request.stream {
                let bytes = inner.body(response).await?;
                let chunk = response::parse_completion(&inner.name, &request.model, &bytes)
                    .map_err(|e| inner.scrub(e))?;
                return Ok(Box::pin(stream::iter([Ok(chunk)])) as ChunkStream);
            }
            Ok(chunk_stream(inner, response, &request.model))
        })
    }

    fn embed(
        &self,
        request: EmbedRequest,
    ) -> BoxFuture<'static, Result<EmbedResponse, GatewayError>> {
        let inner = self.inner.clone();
        Box::pin(async move {
            let model = request::model_path(&request.model)?;
            let body = request::embed_body(&request, &model)?;
            let builder = inner
                .post(&format!("{model}:batchEmbedContents"), &body)
                .timeout(inner.timeout.unwrap_or(DEFAULT_TIMEOUT));
            let response = inner.send(builder).await?;
            let bytes = inner.body(response).await?;
            let out = response::parse_embeddings(&inner.name, &request.model, &bytes)?;
            if out.data.len() != request.input.len() {
                tracing::debug!(
                    sent = request.input.len(),
                    got = out.data.len(),
                    "gemini: embedding count differs from input count"
                );
            }
            Ok(out)
        })
    }

    fn list_models(&self) -> BoxFuture<'static, Result<Vec<Model>, GatewayError>> {
        let inner = self.inner.clone();
        Box::pin(async move {
            let mut models: Vec<Model> = Vec::new();
            let mut token: Option<String> = None;
            for _ in 0..MAX_MODEL_PAGES {
                let mut builder = inner
                    .client
                    .get(format!("{}/models", inner.base))
                    .query(&[("pageSize", "1000")]);
                if let Some(t) = &token {
                    builder = builder.query(&[("pageToken", t.as_str())]);
                }
                let response = inner
                    .send(inner.decorate(builder).timeout(Duration::from_secs(10)))
                    .await?;
                let bytes = inner.body(response).await?;
                let (page, next) = response::parse_models(&inner.name, &bytes)?;
                for model in page {
                    if !models.iter().any(|m| m.id == model.id) {
                        models.push(model);
                    }
                }
                // A token equal to the last one would loop forever.
                if next.is_none() || next == token {
                    break;
                }
                token = next;
            }
            Ok(models)
        })
    }
}

/// Upstream SSE → chunks. Gemini sends no `[DONE]`: the body's end is the
/// answer's end, and the usage chunk follows it.
fn chunk_stream(inner: Arc<Inner>, response: reqwest::Response, model: &str) -> ChunkStream {
    struct State<E> {
        events: E,
        inner: Arc<Inner>,
        translator: Translator,
        ready: VecDeque<modelgate::v1::ChatCompletionChunk>,
        done: bool,
    }
    let translator = Translator::new(&inner.name, model);
    let events = Box::pin(sse_events(response, inner.name.clone()));
    let state = State {
        events,
        inner,
        translator,
        ready: VecDeque::new(),
        done: false,
    };
    Box::pin(stream::unfold(state, |mut st| async move {
        loop {
            if let Some(chunk) = st.ready.pop_front() {
                return Some((Ok(chunk), st));
            }
            if st.done {
                return None;
            }
            let item = match st.events.next().await {
                Some(Ok(event)) => st.translator.event(&event.data),
                Some(Err(err)) => Err(err),
                None => {
                    st.done = true;
                    st.translator.finish()
                }
            };
            match item {
                Ok(Some(chunk)) => st.ready.push_back(chunk),
                Ok(None) => {}
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
    use crate::config::ProviderKind;
    use modelgate::v1::message::Content;
    use modelgate::v1::{ContentPart, ContentParts, ImageUrl, Message, Role, content_part::Part};

    #[test]
    fn bases_get_a_version_once() {
        assert_eq!(
            versioned_base("https://generativelanguage.googleapis.com", None),
            "https://generativelanguage.googleapis.com/v1beta"
        );
        assert_eq!(
            versioned_base("https://x.test/v1beta/", None),
            "https://x.test/v1beta"
        );
        assert_eq!(
            versioned_base("https://x.test/v1", None),
            "https://x.test/v1"
        );
        assert_eq!(
            versioned_base("https://x.test/proxy", Some("v1alpha")),
            "https://x.test/proxy/v1alpha"
        );
        assert_eq!(
            versioned_base("http://127.0.0.1:1/gemini", None),
            "http://127.0.0.1:1/gemini/v1beta"
        );
    }

    fn provider(mock: &mock_upstream::MockUpstream) -> GeminiProvider {
        let config = ProviderConfig {
            responses_api: false,
            name: "gemini".into(),
            kind: ProviderKind::Gemini,
            api_base: mock.native_url("gemini"),
            api_key: Some(secrecy::SecretString::from("AIza-test-key")),
            api_version: None,
            models: None,
            timeout: None,
            headers: Vec::new(),
        };
        GeminiProvider::new(
            &config,
            reqwest::Client::new(),
            Arc::new(images::Fetcher::allowing_everything()),
        )
    }

    fn fixtures() -> std::path::PathBuf {
        std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/fixtures/providers"
        ))
    }

    #[tokio::test]
    async fn http_images_are_fetched_and_inlined_and_the_key_stays_in_a_header() {
        let mock = mock_upstream::MockUpstream::start(fixtures())
            .await
            .expect("mock");
        let p = provider(&mock);
        let image = format!("http://{}/assets/pixel.png", mock.addr());
        let req = ChatCompletionRequest {
            model: "text".into(),
            messages: vec![Message {
                role: Role::User as i32,
                content: Some(Content::Parts(ContentParts {
                    parts: vec![ContentPart {
                        part: Some(Part::ImageUrl(ImageUrl {
                            url: image,
                            detail: None,
                        })),
                    }],
                })),
                ..Default::default()
            }],
            ..Default::default()
        };
        let mut chunks = p.chat(req).await.expect("answer");
        let chunk = chunks.next().await.expect("one chunk").expect("ok");
        assert_eq!(chunk.choices[0].finish_reason.as_deref(), Some("stop"));
        let call = mock
            .requests()
            .into_iter()
            .find(|r| r.path.ends_with(":generateContent"))
            .expect("called");
        let part = &call.body["contents"][0]["parts"][0]["inlineData"];
        assert_eq!(part["mimeType"], "image/png");
        assert!(
            part["data"]
                .as_str()
                .is_some_and(|d| d.starts_with("iVBORw0KGgo"))
        );
        assert!(
            call.headers
                .iter()
                .any(|(k, v)| k == "x-goog-api-key" && v == "AIza-test-key")
        );
        assert!(!call.query.unwrap_or_default().contains("AIza"));
    }

    #[tokio::test]
    async fn models_are_listed_and_a_repeated_page_token_stops() {
        let mock = mock_upstream::MockUpstream::start(fixtures())
            .await
            .expect("mock");
        let models = provider(&mock).list_models().await.expect("models");
        assert!(models.iter().any(|m| m.id == "gemini-2.5-flash"));
        let pages = mock
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/models"))
            .count();
        assert!(pages <= 2, "{pages} pages fetched");
    }

    #[tokio::test]
    async fn errors_keep_no_key() {
        let mock = mock_upstream::MockUpstream::start(fixtures())
            .await
            .expect("mock");
        let req = ChatCompletionRequest {
            model: "error-401".into(),
            stream: true,
            ..Default::default()
        };
        let err = provider(&mock).chat(req).await.err().expect("error");
        assert_eq!(err.http_status(), 401);
        assert!(!err.message.contains("AIza-test-key"));
    }
}
