//! A provider declares what it supports; a request for something it does not support is
//! answered 400 `unsupported_by_provider` naming the provider, before any upstream call. In a
//! group, deployments whose provider cannot serve the request are passed over for one that can,
//! and fallbacks still get their turn. Through the binary, in `serve` and split mode, over HTTP
//! and gRPC, against the mock upstream (which records every request it gets).

use crate::grpc_client;
use crate::support;

use mock_upstream::MockUpstream;
use modelgate::v1::EmbedRequest;
use modelgate::v1::gateway_client::GatewayClient;
use serde_json::{Value, json};
use support::{Gateway, Mode, config_file, mock};
use tonic::Code;

const KEY: &str = "sk-unsupported-all-0123456789";

/// `claude` is Anthropic (no embeddings API), `oai` OpenAI-compatible; `mixed` is a group with
/// one deployment of each, the Anthropic one tried first (`order: 1`).
fn config(mock: &MockUpstream) -> String {
    let (base, anthropic) = (mock.base_url(), mock.native_url("anthropic"));
    format!(
        "auth:
  keys:
    - {{ name: all, key: {KEY} }}
providers:
  claude: {{ kind: anthropic, api_base: \"{anthropic}\", api_key: sk-ant-up-0123456789, models: [text] }}
  oai: {{ kind: openai, api_base: \"{base}\", api_key: sk-up-0123456789, models: [text] }}
model_list:
  - model_name: mixed
    litellm_params: {{ model: claude/text, order: 1 }}
  - model_name: mixed
    litellm_params: {{ model: oai/text, order: 2 }}
"
    )
}

async fn start(mode: Mode) -> (MockUpstream, tempfile::TempDir, Gateway) {
    let mock = mock().await;
    let (dir, file) = config_file(&config(&mock));
    let gw = Gateway::start(mode, &file, &[]).await;
    (mock, dir, gw)
}

async fn embeddings(gw: &Gateway, body: Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(gw.url("/v1/embeddings"))
        .bearer_auth(KEY)
        .json(&body)
        .send()
        .await
        .expect("answers")
}

fn grpc_embed(model: &str) -> tonic::Request<EmbedRequest> {
    grpc_client::keyed(
        EmbedRequest {
            model: model.to_owned(),
            input: vec!["hello".to_owned()],
            ..Default::default()
        },
        KEY,
    )
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Embeddings from an Anthropic model: 400 `unsupported_by_provider` naming the provider and
/// its kind, no attempt made and no request reaching any upstream, over HTTP and gRPC.
async fn anthropic_embeddings_are_refused_before_any_call(mode: Mode) {
    let (mock, _dir, gw) = start(mode).await;
    mock.clear();

    let response = embeddings(&gw, json!({"model": "claude/text", "input": "hello"})).await;
    assert_eq!(response.status(), 400, "{mode:?}");
    assert_eq!(
        header(&response, "x-modelgate-attempts"),
        Some("0"),
        "{mode:?}"
    );
    let body: Value = response.json().await.expect("json");
    let error = &body["error"];
    assert_eq!(error["code"], "unsupported_by_provider", "{mode:?}: {body}");
    assert_eq!(error["type"], "invalid_request_error", "{mode:?}: {body}");
    assert_eq!(error["param"], "model", "{mode:?}: {body}");
    let message = error["message"].as_str().unwrap_or_default();
    for named in ["`claude` (anthropic)", "embeddings", "claude/text"] {
        assert!(message.contains(named), "{mode:?}: `{named}` in {message}");
    }

    let mut grpc = GatewayClient::connect(gw.grpc.clone())
        .await
        .expect("grpc connects");
    let status = grpc
        .embed(grpc_embed("claude/text"))
        .await
        .expect_err("refused");
    let meta = |name: &str| {
        status
            .metadata()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(status.code(), Code::InvalidArgument, "{mode:?}: {status:?}");
    assert_eq!(
        [
            meta("x-modelgate-error-code"),
            meta("x-modelgate-error-param"),
            meta("x-modelgate-http-status"),
        ],
        [
            Some("unsupported_by_provider".to_owned()),
            Some("model".to_owned()),
            Some("400".to_owned()),
        ],
        "{mode:?}: {status:?}"
    );
    assert!(
        status.message().contains("`claude` (anthropic)"),
        "{mode:?}: {status:?}"
    );

    let requests = mock.requests();
    assert!(
        requests.is_empty(),
        "{mode:?}: nothing may reach an upstream: {requests:?}"
    );

    // The same provider still serves chat: only the operation it lacks is refused.
    let chat = reqwest::Client::new()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(KEY)
        .json(&json!({"model": "claude/text", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .expect("answers");
    assert_eq!(chat.status(), 200, "{mode:?}: {}", gw.log());
    let requests = mock.requests();
    assert_eq!(requests.len(), 1, "{mode:?}: {requests:?}");
    assert_eq!(requests[0].path, "/anthropic/v1/messages", "{mode:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn anthropic_embeddings_are_refused_before_any_call_serve() {
    anthropic_embeddings_are_refused_before_any_call(Mode::Serve).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn anthropic_embeddings_are_refused_before_any_call_split() {
    anthropic_embeddings_are_refused_before_any_call(Mode::Split).await;
}

/// A group of an Anthropic and an OpenAI deployment, the Anthropic one first in order, serves
/// embeddings from the OpenAI one in one attempt; a request's own fallback from an Anthropic
/// model is taken as well.
async fn a_group_serves_embeddings_from_the_deployment_that_can(mode: Mode) {
    let (mock, _dir, gw) = start(mode).await;
    mock.clear();

    let response = embeddings(&gw, json!({"model": "mixed", "input": "hello"})).await;
    let status = response.status();
    let served = [
        header(&response, "x-modelgate-provider").map(str::to_owned),
        header(&response, "x-modelgate-attempts").map(str::to_owned),
    ];
    let body: Value = response.json().await.expect("json");
    assert_eq!(status, 200, "{mode:?}: {body}");
    assert_eq!(
        served,
        [Some("oai".to_owned()), Some("1".to_owned())],
        "{mode:?}"
    );
    assert!(
        body["data"].as_array().is_some_and(|d| !d.is_empty()),
        "{mode:?}: {body}"
    );

    let mut grpc = GatewayClient::connect(gw.grpc.clone())
        .await
        .expect("grpc connects");
    let answer = grpc
        .embed(grpc_embed("mixed"))
        .await
        .unwrap_or_else(|s| panic!("{mode:?}: {s:?}"));
    let provider = answer
        .metadata()
        .get("x-modelgate-provider")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    assert_eq!(provider.as_deref(), Some("oai"), "{mode:?}");
    assert!(!answer.into_inner().data.is_empty(), "{mode:?}");

    // An Anthropic model with a fallback that can: the fallback answers.
    let response = embeddings(
        &gw,
        json!({"model": "claude/text", "input": "hello", "fallbacks": ["oai/text"]}),
    )
    .await;
    assert_eq!(response.status(), 200, "{mode:?}");
    assert_eq!(header(&response, "x-modelgate-provider"), Some("oai"));

    let requests = mock.requests();
    let paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths, ["/v1/embeddings"; 3],
        "{mode:?}: only the OpenAI deployment is called"
    );
    assert!(
        requests.iter().all(|r| r.body["model"] == "text"),
        "{mode:?}: {requests:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_group_serves_embeddings_from_the_deployment_that_can_serve() {
    a_group_serves_embeddings_from_the_deployment_that_can(Mode::Serve).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_group_serves_embeddings_from_the_deployment_that_can_split() {
    a_group_serves_embeddings_from_the_deployment_that_can(Mode::Split).await;
}
