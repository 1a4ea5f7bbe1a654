//! The Azure OpenAI adapter. Azure speaks OpenAI's chat completions dialect
//! on a per-deployment URL, so the OpenAI adapter's pure translation is
//! reused; this folder holds only what differs: the URL and key header
//! (`request.rs`), error codes (`errors.rs`) and the filter-aware stream
//! relay (`stream.rs`).
//!
//! A client's `azure/<deployment>` reaches here with `model` = the
//! deployment name. `api_version` comes from the provider config (config
//! defaults it for `azure` entries). The key goes in `api-key`; a key written
//! as `Bearer <token>` is sent as `Authorization: Bearer <token>` (Microsoft
//! Entra ID).
//!
//! Discovery: the data-plane API cannot list a resource's deployments with an
//! api-key (that is the management API), so `list_models` answers with the
//! provider's configured `models:` and nothing otherwise.

mod errors;
mod request;

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use futures::stream as fstream;
use modelgate::error::{ErrorKind, GatewayError};
use modelgate::v1::{ChatCompletionRequest, EmbedRequest, EmbedResponse, Model, ResponseRequest};
use serde_json::Value;

use super::http::Transport;
use super::openai::response::{parse_completion, parse_embeddings};
use super::{Capabilities, ChunkStream, EventStream, Provider};
use crate::config::{ProviderConfig, ProviderKind};
use crate::secrets::Secrets;
use request::Auth;

/// Default cap on a non-streamed call when the config sets none.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// The adapter for an `azure` provider entry.
pub fn build(config: &ProviderConfig, client: &reqwest::Client) -> Arc<dyn Provider> {
    Arc::new(AzureProvider {
        inner: Arc::new(Inner {
            name: Arc::from(config.name.as_str()),
            base: config.api_base.trim_end_matches('/').to_owned(),
            api_version: config.api_version.clone(),
            auth: Auth::from_key(config.api_key.as_ref()),
            secrets: Secrets::of_provider(config),
            models: config.models.clone().unwrap_or_default(),
            headers: config.headers.clone(),
            timeout: config.timeout,
            client: client.clone(),
        }),
    })
}

struct AzureProvider {
    inner: Arc<Inner>,
}

struct Inner {
    name: Arc<str>,
    base: String,
    /// Config sets a default for every `azure` entry; `None` only in a
    /// hand-built config, reported on use.
    api_version: Option<String>,
    auth: Auth,
    /// The key and header values, to scrub from what the upstream echoes.
    secrets: Secrets,
    models: Vec<String>,
    headers: Vec<(String, String)>,
    timeout: Option<Duration>,
    client: reqwest::Client,
}

impl Transport for Inner {
    fn name(&self) -> &str {
        &self.name
    }

    fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    fn parse_error(&self) -> fn(&str, u16, &[u8]) -> GatewayError {
        errors::upstream_error
    }
}

impl Inner {
    fn post(
        &self,
        deployment: &str,
        operation: &str,
        body: &Value,
    ) -> Result<reqwest::RequestBuilder, GatewayError> {
        let url = request::endpoint(&self.base, deployment, operation, self.api_version()?)?;
        let mut builder = self.client.post(url).json(body);
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        Ok(self.auth.apply(builder))
    }

    fn post_responses(&self, body: &Value) -> Result<reqwest::RequestBuilder, GatewayError> {
        let mut builder = self
            .client
            .post(request::responses_endpoint(&self.base)?)
            .json(body);
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        Ok(self.auth.apply(builder))
    }

    fn api_version(&self) -> Result<&str, GatewayError> {
        self.api_version.as_deref().ok_or_else(|| {
            GatewayError::new(
                ErrorKind::Internal,
                format!("azure provider `{}` has no api_version", self.name),
            )
        })
    }
}

impl Provider for AzureProvider {
    fn capabilities(&self) -> Capabilities {
        Capabilities::all(ProviderKind::Azure)
    }

    fn chat(
        &self,
        request: ChatCompletionRequest,
    ) -> BoxFuture<'static, Result<ChunkStream, GatewayError>> {
        let inner = self.inner.clone();
        Box::pin(async move {
            let body = request::chat_body(&request, inner.api_version()?);
            let mut builder = inner.post(&request.model, "chat/completions", &body)?;
            if !request.stream {
                builder = builder.timeout(inner.timeout.unwrap_or(DEFAULT_TIMEOUT));
            } else if let Some(timeout) = inner.timeout {
                builder = builder.timeout(timeout);
            }
            let response = inner.send(builder).await?;
            if !request.stream || !crate::providers::openai::stream::is_event_stream(&response) {
                let bytes = inner.body(response).await?;
                let chunk = parse_completion(&inner.name, &bytes).map_err(|e| inner.scrub(e))?;
                return Ok(Box::pin(fstream::iter([Ok(chunk)])) as ChunkStream);
            }
            Ok(crate::providers::openai::stream::chunk_stream(
                inner.name.clone(),
                response,
                move |e| inner.scrub(e),
            ))
        })
    }

    /// Passed through to the resource's Responses API, the deployment as `model` (the name
    /// the request already carries), the rest as the client wrote it.
    fn responses(
        &self,
        request: ResponseRequest,
    ) -> BoxFuture<'static, Result<EventStream, GatewayError>> {
        let inner = self.inner.clone();
        Box::pin(async move {
            let body = modelgate::responses::request_to_json(&request);
            let mut builder = inner.post_responses(&body)?;
            if !request.stream {
                builder = builder.timeout(inner.timeout.unwrap_or(DEFAULT_TIMEOUT));
            } else if let Some(timeout) = inner.timeout {
                builder = builder.timeout(timeout);
            }
            let response = inner.send(builder).await?;
            let name = inner.name.clone();
            crate::providers::openai::responses_stream::events(
                name,
                response,
                request.stream,
                move |e| inner.scrub(e),
            )
            .await
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
                .post(&request.model, "embeddings", &body)?
                .timeout(inner.timeout.unwrap_or(DEFAULT_TIMEOUT));
            let response = inner.send(builder).await?;
            let bytes = inner.body(response).await?;
            let mut out = parse_embeddings(&inner.name, &bytes).map_err(|e| inner.scrub(e))?;
            if out.model.is_empty() {
                out.model = request.model;
            }
            Ok(out)
        })
    }

    fn list_models(&self) -> BoxFuture<'static, Result<Vec<Model>, GatewayError>> {
        let models = self
            .inner
            .models
            .iter()
            .map(|id| Model {
                id: id.clone(),
                created: 0,
                owned_by: self.inner.name.to_string(),
            })
            .collect();
        Box::pin(async move { Ok(models) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, MapEnv};
    use futures::StreamExt;
    use mock_upstream::MockUpstream;
    use modelgate::v1::message::Content;
    use modelgate::v1::{Message, Role};

    async fn provider(mock: &MockUpstream, extra: &str) -> Arc<dyn Provider> {
        let yaml = format!(
            "providers:\n  az: {{ kind: azure, api_base: \"{}\", {extra} }}\n",
            mock.native_url("azure")
        );
        let config =
            Config::from_yaml_str(&yaml, "t.yaml", &MapEnv::from_pairs(&[])).expect("config");
        build(&config.providers["az"], &reqwest::Client::new())
    }

    fn ask(model: &str, stream: bool) -> ChatCompletionRequest {
        ChatCompletionRequest {
            model: model.into(),
            stream,
            messages: vec![Message {
                role: Role::User as i32,
                content: Some(Content::Text("hi".into())),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn request_carries_deployment_version_and_key() {
        let mock = MockUpstream::start(mock_upstream::default_fixtures_dir())
            .await
            .expect("mock");
        let az = provider(&mock, "api_key: k-123, api_version: \"2025-01-01-preview\"").await;
        let chunks: Vec<_> = az
            .chat(ask("text", true))
            .await
            .expect("ok")
            .collect()
            .await;
        assert!(chunks.iter().all(Result::is_ok));
        let req = mock.requests().pop().expect("a request");
        assert_eq!(req.path, "/openai/deployments/text/chat/completions");
        assert_eq!(req.query.as_deref(), Some("api-version=2025-01-01-preview"));
        assert!(
            req.headers
                .iter()
                .any(|(n, v)| n == "api-key" && v == "k-123")
        );
        assert!(!req.headers.iter().any(|(n, _)| n == "authorization"));
        assert_eq!(req.body.get("model"), None);
    }

    #[tokio::test]
    async fn bearer_token_and_default_version() {
        let mock = MockUpstream::start(mock_upstream::default_fixtures_dir())
            .await
            .expect("mock");
        let az = provider(&mock, "api_key: \"Bearer tok\"").await;
        let chunk = az
            .chat(ask("text", false))
            .await
            .expect("ok")
            .next()
            .await
            .expect("one")
            .expect("chunk");
        assert_eq!(
            chunk.usage.map(|u| (u.prompt_tokens, u.completion_tokens)),
            Some((14, 9))
        );
        let req = mock.requests().pop().expect("a request");
        assert_eq!(req.query.as_deref(), Some("api-version=2024-10-21"));
        assert!(
            req.headers
                .iter()
                .any(|(n, v)| n == "authorization" && v == "Bearer tok")
        );
        assert!(!req.headers.iter().any(|(n, _)| n == "api-key"));
    }

    #[tokio::test]
    async fn content_filter_error_and_configured_models() {
        let mock = MockUpstream::start(mock_upstream::default_fixtures_dir())
            .await
            .expect("mock");
        let az = provider(&mock, "api_key: k, models: [gpt-4o, emb]").await;
        let err = az
            .chat(ask("content-filter", true))
            .await
            .err()
            .expect("an error");
        assert_eq!(
            (err.http_status(), err.code.as_deref()),
            (400, Some("content_filter"))
        );
        let ids: Vec<String> = az
            .list_models()
            .await
            .expect("list")
            .into_iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(ids, ["gpt-4o", "emb"]);
        let none = provider(&mock, "api_key: k").await;
        assert!(none.list_models().await.expect("list").is_empty());
    }

    #[test]
    fn content_filter_finish_reason_passes_through() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/fixtures/providers/azure/chat-completion-content-filter-results.json"
        );
        let body = std::fs::read_to_string(path)
            .expect("fixture")
            .replace("\"stop\"", "\"content_filter\"");
        let chunk = parse_completion("azure", body.as_bytes()).expect("parses");
        assert_eq!(
            chunk.choices[0].finish_reason.as_deref(),
            Some("content_filter")
        );
        assert_eq!(
            chunk.choices[0]
                .delta
                .as_ref()
                .and_then(|d| d.content.as_deref()),
            Some("The capital of France is **Paris**.")
        );
    }
}
