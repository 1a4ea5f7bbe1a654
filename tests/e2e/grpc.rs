//! The gRPC surface as internal services and grpcurl see it.

use futures::StreamExt;
use modelgate::v1::gateway_client::GatewayClient;
use modelgate::v1::message::Content;
use modelgate::v1::{ChatCompletionRequest, ListModelsRequest, Message, Role};
use tonic::Code;
use tonic::transport::Channel;

use crate::harness::{CLIENT_KEY, Gateway, Mode, fixture, sse_data};

async fn channel(gw: &Gateway) -> Channel {
    Channel::from_shared(format!("http://{}", gw.grpc))
        .expect("url")
        .connect()
        .await
        .expect("core reachable")
}

fn authed<T>(msg: T) -> tonic::Request<T> {
    crate::grpc_client::keyed(msg, CLIENT_KEY)
}

#[tokio::test]
async fn health_and_reflection() {
    let gw = Gateway::start(Mode::Split).await;
    let ch = channel(&gw).await;
    let mut health = tonic_health::pb::health_client::HealthClient::new(ch.clone());
    for service in ["", "modelgate.v1.Gateway"] {
        let resp = health
            .check(tonic_health::pb::HealthCheckRequest {
                service: service.into(),
            })
            .await
            .expect("health answers");
        assert_eq!(
            resp.into_inner().status,
            tonic_health::pb::health_check_response::ServingStatus::Serving as i32
        );
    }
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    let mut refl = ServerReflectionClient::new(ch);
    let req = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = refl
        .server_reflection_info(futures::stream::iter([req]))
        .await
        .expect("reflection")
        .into_inner();
    let Some(Ok(resp)) = stream.next().await else {
        panic!("no reflection answer")
    };
    let Some(MessageResponse::ListServicesResponse(list)) = resp.message_response else {
        panic!("wrong answer")
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for want in ["modelgate.v1.Gateway", "grpc.health.v1.Health"] {
        assert!(names.iter().any(|n| n == want), "{want} not in {names:?}");
    }
}

#[tokio::test]
async fn list_and_stream_over_grpc() {
    let gw = Gateway::start(Mode::Split).await;
    let mut client = GatewayClient::new(channel(&gw).await);
    let denied = client
        .list_models(ListModelsRequest {})
        .await
        .expect_err("no key");
    assert_eq!(denied.code(), Code::Unauthenticated);
    let models = client
        .list_models(authed(ListModelsRequest {}))
        .await
        .expect("models")
        .into_inner();
    assert!(models.models.iter().any(|m| m.id == "gpt-4o-alias"));
    let req = ChatCompletionRequest {
        model: "mock/text".into(),
        stream: true,
        messages: vec![Message {
            role: Role::User as i32,
            content: Some(Content::Text("count".into())),
            ..Default::default()
        }],
        ..Default::default()
    };
    let mut stream = client
        .chat_completion(authed(req.clone()))
        .await
        .expect("stream starts")
        .into_inner();
    let mut text = String::new();
    let mut usage = None;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.expect("chunk");
        usage = usage.or(chunk.usage);
        for choice in chunk.choices {
            text.push_str(
                choice
                    .delta
                    .and_then(|d| d.content)
                    .as_deref()
                    .unwrap_or_default(),
            );
        }
    }
    // The recorded stream's text and usage, exactly.
    let recorded: Vec<serde_json::Value> = sse_data(
        &String::from_utf8(fixture("openai/chat-stream-text-include-usage.sse")).expect("utf-8"),
    )
    .iter()
    .filter_map(|d| serde_json::from_str(d).ok())
    .collect();
    let want: String = recorded
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert!(!want.is_empty());
    assert_eq!(text, want);
    let want_usage = &recorded.last().expect("usage chunk")["usage"];
    let usage = usage.expect("core always reports usage to gRPC callers");
    assert_eq!(
        (
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.total_tokens
        ),
        (
            want_usage["prompt_tokens"].as_u64().expect("recorded"),
            want_usage["completion_tokens"].as_u64().expect("recorded"),
            want_usage["total_tokens"].as_u64().expect("recorded"),
        )
    );
    let missing = client
        .chat_completion(authed(ChatCompletionRequest {
            model: "nope/x".into(),
            ..req
        }))
        .await
        .expect_err("404");
    assert_eq!(missing.code(), Code::NotFound);
    let err = modelgate::error::GatewayError::from_status(&missing);
    assert_eq!(err.code.as_deref(), Some("model_not_found"));
}

#[tokio::test]
async fn grpc_caller_leaving_cancels_the_upstream() {
    let gw = Gateway::start(Mode::Split).await;
    let mut client = GatewayClient::new(channel(&gw).await);
    let req = ChatCompletionRequest {
        model: "mock/slow".into(),
        stream: true,
        messages: vec![Message {
            role: Role::User as i32,
            content: Some(Content::Text("hi".into())),
            ..Default::default()
        }],
        ..Default::default()
    };
    let mut stream = client
        .chat_completion(authed(req))
        .await
        .expect("stream starts")
        .into_inner();
    assert!(
        stream.next().await.is_some_and(|c| c.is_ok()),
        "a first chunk"
    );
    drop(stream);
    let stats = gw
        .mock
        .wait_for(
            |s| s.dropped_streams >= 1,
            std::time::Duration::from_secs(1),
        )
        .await;
    assert!(
        stats.is_ok(),
        "upstream outlived the gRPC caller: {stats:?}"
    );
}
