//! What Azure's deployments endpoint wants: the URL (deployment in the path,
//! `api-version` in the query), the key header, and the OpenAI body with the
//! few fields Azure handles differently taken out.

use modelgate::error::{ErrorKind, GatewayError};
use modelgate::v1::{ChatCompletionRequest, EmbedRequest};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::providers::openai;
use crate::providers::path_segment::PathSegment;

/// `stream_options` (and so streamed usage) exists from this api-version on;
/// older ones reject it as an unrecognized argument.
const STREAM_OPTIONS_SINCE: &str = "2024-09-01";

/// How the key travels. Azure takes a resource key in `api-key`; a Microsoft
/// Entra ID token goes in `Authorization`. A configured key written as
/// `Bearer <token>` is taken for a token.
pub enum Auth {
    ApiKey(SecretString),
    Bearer(SecretString),
    Anonymous,
}

impl Auth {
    pub fn from_key(key: Option<&SecretString>) -> Auth {
        let Some(key) = key else {
            return Auth::Anonymous;
        };
        match key.expose_secret().strip_prefix("Bearer ") {
            Some(token) => Auth::Bearer(SecretString::from(token.trim().to_owned())),
            None => Auth::ApiKey(key.clone()),
        }
    }

    pub fn apply(&self, builder: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self {
            Auth::ApiKey(key) => builder.header("api-key", key.expose_secret()),
            Auth::Bearer(token) => builder.bearer_auth(token.expose_secret()),
            Auth::Anonymous => builder,
        }
    }
}

/// `{base}/openai/deployments/{deployment}/{operation}?api-version={version}`.
/// The deployment must be one path segment ([`PathSegment`]: a name holding
/// `/`, `?`, `..` or a tab is a 400), so it cannot reach another route. A
/// base already ending in `/openai` is kept.
pub fn endpoint(
    base: &str,
    deployment: &str,
    operation: &str,
    api_version: &str,
) -> Result<reqwest::Url, GatewayError> {
    let deployment = PathSegment::new(deployment)?;
    let bad_base = || {
        GatewayError::new(
            ErrorKind::Internal,
            format!("azure api_base `{base}` is not a base URL"),
        )
    };
    let mut url = reqwest::Url::parse(base).map_err(|_| bad_base())?;
    {
        let mut path = url.path_segments_mut().map_err(|_| bad_base())?;
        path.pop_if_empty();
        if !base.trim_end_matches('/').ends_with("/openai") {
            path.push("openai");
        }
        path.push("deployments").push(deployment.as_str());
        path.extend(operation.split('/'));
    }
    url.query_pairs_mut()
        .append_pair("api-version", api_version);
    Ok(url)
}

/// `{base}/openai/v1/responses`: Azure's Responses API (Microsoft Learn, "Azure OpenAI
/// Responses API") takes the deployment as the body's `model`, not in the path, and its v1
/// API no `api-version` (the configured one dates the deployments API; the dated
/// `/openai/responses` needs a preview version the chat default is not). A base already
/// ending in `/openai` is kept.
pub fn responses_endpoint(base: &str) -> Result<reqwest::Url, GatewayError> {
    let bad_base = || {
        GatewayError::new(
            ErrorKind::Internal,
            format!("azure api_base `{base}` is not a base URL"),
        )
    };
    let mut url = reqwest::Url::parse(base).map_err(|_| bad_base())?;
    {
        let mut path = url.path_segments_mut().map_err(|_| bad_base())?;
        path.pop_if_empty();
        if !base.trim_end_matches('/').ends_with("/openai") {
            path.push("openai");
        }
        path.push("v1").push("responses");
    }
    Ok(url)
}

/// The chat body: OpenAI's, without `model` (the deployment in the URL
/// decides; the documented request schema has no `model`), without
/// `reasoning_content` in history (no Azure model takes reasoning text back),
/// and without `stream_options` where the api-version predates it.
pub fn chat_body(req: &ChatCompletionRequest, api_version: &str) -> Value {
    let mut body = openai::request::chat_body(req);
    let Some(obj) = body.as_object_mut() else {
        return body;
    };
    obj.remove("model");
    if let Some(Value::Array(messages)) = obj.get_mut("messages") {
        let mut dropped = 0;
        for msg in messages.iter_mut().filter_map(Value::as_object_mut) {
            dropped += usize::from(msg.remove("reasoning_content").is_some());
        }
        if dropped > 0 {
            tracing::debug!(dropped, "azure: reasoning_content in history is not sent");
        }
    }
    if !supports_stream_options(api_version) && obj.remove("stream_options").is_some() {
        tracing::debug!(
            api_version,
            "azure: stream_options dropped (api-version before {STREAM_OPTIONS_SINCE})"
        );
    }
    body
}

/// The embeddings body: OpenAI's without `model` (the deployment decides)
/// and without `encoding_format` (float is the service's default, and the
/// parser reads floats).
pub fn embed_body(req: &EmbedRequest) -> Value {
    let mut body = openai::request::embed_body(req);
    if let Some(obj) = body.as_object_mut() {
        obj.remove("model");
        obj.remove("encoding_format");
    }
    body
}

/// Dated versions (`2024-10-21`, `2025-01-01-preview`) compare as text;
/// anything else (`preview`, `latest`) is taken as new.
fn supports_stream_options(api_version: &str) -> bool {
    let date = api_version.get(..10).filter(|d| {
        d.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
    });
    date.is_none_or(|d| d >= STREAM_OPTIONS_SINCE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use modelgate::v1::message::Content;
    use modelgate::v1::{Message, Role};
    use serde_json::json;

    fn fixture(path: &str) -> Value {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/fixtures/providers/"
        );
        let bytes = std::fs::read(format!("{dir}{path}")).expect("fixture present");
        serde_json::from_slice(&bytes).expect("json")
    }

    #[test]
    fn endpoint_puts_deployment_in_path_and_version_in_query() {
        let url = endpoint(
            "https://r.openai.azure.com",
            "gpt-4o",
            "chat/completions",
            "2024-10-21",
        )
        .expect("url");
        assert_eq!(
            url.as_str(),
            "https://r.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21"
        );
        let url = endpoint(
            "https://r.openai.azure.com/openai",
            "my deployment",
            "embeddings",
            "v",
        )
        .expect("url");
        assert_eq!(
            url.as_str(),
            "https://r.openai.azure.com/openai/deployments/my%20deployment/embeddings?api-version=v"
        );
        for bad in ["a/b?c", ".\t.", "..", "%2e%2e", "a?b", "a#b"] {
            let err =
                endpoint("https://r.openai.azure.com", bad, "embeddings", "v").expect_err(bad);
            assert_eq!(err.param.as_deref(), Some("model"), "{bad}");
        }
        let url = endpoint("http://127.0.0.1:9/azure", "d", "chat/completions", "x").expect("url");
        assert_eq!(url.path(), "/azure/openai/deployments/d/chat/completions");
    }

    #[test]
    fn chat_body_matches_the_recorded_request() {
        // The SDK's recorded body, minus `model`: what Azure documents.
        let mut want = fixture("azure/request-chat.json");
        let req = ChatCompletionRequest {
            model: "gpt-4o".into(),
            messages: vec![Message {
                role: Role::User as i32,
                content: Some(Content::Text(
                    want["messages"][0]["content"]
                        .as_str()
                        .unwrap_or_default()
                        .into(),
                )),
                ..Default::default()
            }],
            n: want["n"].as_u64().and_then(|n| u32::try_from(n).ok()),
            ..Default::default()
        };
        let body = chat_body(&req, "2024-10-21");
        if let Some(obj) = want.as_object_mut() {
            obj.remove("model");
            obj.remove("stream");
        }
        assert_eq!(body, want);
    }

    #[test]
    fn stream_options_and_history_reasoning() {
        let req = ChatCompletionRequest {
            model: "d".into(),
            stream: true,
            messages: vec![Message {
                role: Role::Assistant as i32,
                content: Some(Content::Text("a".into())),
                reasoning_content: Some("r".into()),
                ..Default::default()
            }],
            ..Default::default()
        };
        let body = chat_body(&req, "2024-10-21");
        assert_eq!(body["stream_options"], json!({"include_usage": true}));
        assert_eq!(
            body["messages"][0],
            json!({"role": "assistant", "content": "a"})
        );
        assert_eq!(chat_body(&req, "2024-02-01").get("stream_options"), None);
        assert!(
            chat_body(&req, "2025-04-01-preview")
                .get("stream_options")
                .is_some()
        );
        assert!(chat_body(&req, "preview").get("stream_options").is_some());
    }

    #[test]
    fn embed_body_leaves_model_to_the_deployment() {
        let req = EmbedRequest {
            model: "emb".into(),
            input: vec!["a".into()],
            ..Default::default()
        };
        assert_eq!(embed_body(&req), json!({"input": "a"}));
    }

    #[test]
    fn bearer_keys_are_tokens() {
        assert!(
            matches!(Auth::from_key(Some(&SecretString::from("Bearer eyJ"))), Auth::Bearer(t) if t.expose_secret() == "eyJ")
        );
        assert!(matches!(
            Auth::from_key(Some(&SecretString::from("abc"))),
            Auth::ApiKey(_)
        ));
        assert!(matches!(Auth::from_key(None), Auth::Anonymous));
    }
}
