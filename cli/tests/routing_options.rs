//! A request's own routing options through the binary, in `serve` and split mode: LiteLLM's
//! `fallbacks` (both forms) and `num_retries` in a chat, embeddings or Responses body make a
//! failing deployment fall back to a working one, and never reach an upstream; a gRPC caller
//! gets the same with the typed `routing` field of its request.

use crate::grpc_client;
use crate::support;

use futures::StreamExt;
use mock_upstream::MockUpstream;
use modelgate::v1::{ChatCompletionRequest, RoutingOptions};
use serde_json::{Value, json};
use support::{Gateway, Mode, config_file, mock};

const KEY: &str = "sk-routing-options-main";

/// One OpenAI-compatible provider on the mock, no configured fallbacks: whatever falls back
/// does so because the request said so.
fn config(mock: &MockUpstream) -> String {
    format!(
        "auth:\n  keys:\n\
         \x20   - {{ name: main, key: {KEY} }}\n\
         providers:\n\
         \x20 oa: {{ kind: openai, api_base: \"{}\", api_key: sk-up-0123456789, \
         models: [error-500, text, missing, embed] }}\n\
         router_settings:\n  num_retries: 0\n",
        mock.base_url()
    )
}

async fn post(gw: &Gateway, path: &str, body: &Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(gw.url(path))
        .bearer_auth(KEY)
        .json(body)
        .send()
        .await
        .expect("answers")
}

fn header<'a>(resp: &'a reqwest::Response, name: &str) -> &'a str {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// The `model` of each upstream request, in order; each body must be free of routing options.
fn upstream_models(mock: &MockUpstream, what: &str) -> Vec<String> {
    let sent = mock.requests();
    for r in &sent {
        for key in ["fallbacks", "num_retries"] {
            assert!(
                r.body.get(key).is_none(),
                "{what}: {key} sent upstream: {}",
                r.body
            );
        }
    }
    sent.iter()
        .map(|r| r.body["model"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn body_fallbacks_fall_back_and_stay_out_of_upstream_bodies() {
    for mode in [Mode::Serve, Mode::Split] {
        let mock = mock().await;
        let (_dir, file) = config_file(&config(&mock));
        let gw = Gateway::start(mode, &file, &[]).await;
        let cases = [
            (
                "/v1/chat/completions",
                json!({"model": "oa/error-500", "messages": [{"role": "user", "content": "hi"}],
                       "fallbacks": [{"model": "oa/text"}], "num_retries": 0, "logprobs": true}),
                ["error-500", "text"],
                "chat.completion",
            ),
            (
                "/v1/embeddings",
                json!({"model": "oa/missing", "input": "hi",
                       "fallbacks": ["oa/embed"], "num_retries": 0}),
                ["missing", "embed"],
                "list",
            ),
            (
                "/v1/responses",
                json!({"model": "oa/error-500", "input": "hi", "store": false,
                       "fallbacks": ["oa/error-500", "oa/text"], "num_retries": 0}),
                ["error-500", "text"],
                "response",
            ),
        ];
        for (path, body, models, object) in cases {
            mock.clear();
            let resp = post(&gw, path, &body).await;
            let what = format!("{mode:?} {path}");
            assert_eq!(resp.status(), 200, "{what}");
            assert_eq!(header(&resp, "x-modelgate-attempts"), "2", "{what}");
            assert_eq!(upstream_models(&mock, &what), models, "{what}");
            let answer: Value = resp.json().await.expect("JSON answer");
            assert_eq!(answer["object"], object, "{what}: {answer}");
        }
        // Other fields of the body still reach the upstream.
        mock.clear();
        let body = json!({"model": "oa/text", "messages": [{"role": "user", "content": "hi"}],
                          "fallbacks": ["oa/embed"], "logprobs": true});
        assert_eq!(post(&gw, "/v1/chat/completions", &body).await.status(), 200);
        let sent = mock.requests();
        assert_eq!(sent.len(), 1, "{mode:?}");
        assert_eq!(sent[0].body["logprobs"], true, "{mode:?}: {}", sent[0].body);

        // Wrong shapes are the facade's 400s, and nothing is sent.
        mock.clear();
        for (field, value) in [("fallbacks", json!([1])), ("num_retries", json!("2"))] {
            let mut body = json!({"model": "oa/text", "input": "hi"});
            body[field] = value;
            let resp = post(&gw, "/v1/responses", &body).await;
            assert_eq!(resp.status(), 400, "{mode:?} {field}");
            let err: Value = resp.json().await.expect("JSON error");
            assert_eq!(err["error"]["param"], field, "{mode:?}: {err}");
        }
        assert!(
            mock.requests().is_empty(),
            "{mode:?}: {:?}",
            mock.requests()
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn grpc_routing_fallbacks_fall_back() {
    let mock = mock().await;
    let (_dir, file) = config_file(&config(&mock));
    let gw = Gateway::start(Mode::Serve, &file, &[]).await;
    let mut client = grpc_client::connect(&gw.grpc).await;
    let request = ChatCompletionRequest {
        routing: Some(RoutingOptions {
            fallbacks: vec!["oa/error-500".into(), "oa/text".into()],
            num_retries: Some(0),
            no_fallbacks: false,
        }),
        ..grpc_client::chat("oa/error-500", "hi", true)
    };
    let answer = client
        .chat_completion(grpc_client::keyed(request.clone(), KEY))
        .await
        .expect("falls back");
    let attempts = answer
        .metadata()
        .get("x-modelgate-attempts")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    assert_eq!(attempts.as_deref(), Some("2"));
    let mut chunks = answer.into_inner();
    let mut text = String::new();
    while let Some(chunk) = chunks.next().await {
        for choice in chunk.expect("chunk").choices {
            text.push_str(
                choice
                    .delta
                    .and_then(|d| d.content)
                    .as_deref()
                    .unwrap_or_default(),
            );
        }
    }
    assert!(!text.is_empty(), "no answer text");
    assert_eq!(upstream_models(&mock, "gRPC"), ["error-500", "text"]);

    // A typed list over the limit is refused by the core, naming the field.
    mock.clear();
    let too_many = ChatCompletionRequest {
        routing: Some(RoutingOptions {
            fallbacks: (0..6).map(|i| format!("oa/m{i}")).collect(),
            ..RoutingOptions::default()
        }),
        ..request
    };
    let Err(status) = client
        .chat_completion(grpc_client::keyed(too_many, KEY))
        .await
    else {
        panic!("six fallbacks were accepted (router_settings.max_fallbacks is 5)");
    };
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    let err = modelgate::error::GatewayError::from_status(&status);
    assert_eq!(err.param.as_deref(), Some("fallbacks"));
    assert!(mock.requests().is_empty(), "{:?}", mock.requests());
}
