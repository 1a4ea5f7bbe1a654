//! `x-request-id`: taken from the caller or generated, and returned on every
//! response (errors and SSE streams included), over HTTP and gRPC.

use futures::StreamExt;
use modelgate::v1::gateway_client::GatewayClient;
use serde_json::json;

use crate::both_modes;
use crate::harness::{CLIENT_KEY, Gateway};

both_modes!(returned_on_every_response, |gw: Gateway| async move {
    let chat = json!({"model": "mock/text", "stream": true,
                      "messages": [{"role": "user", "content": "hi"}]});
    let cases = [
        // (key, path, expected status)
        (Some(CLIENT_KEY), "/v1/chat/completions", 200), // SSE
        (None, "/v1/chat/completions", 401),
        (Some(CLIENT_KEY), "/v1/no-such-route", 404),
    ];
    for (key, path, status) in cases {
        let mut given = gw.client.post(gw.url(path)).json(&chat);
        let mut generated = gw.client.post(gw.url(path)).json(&chat);
        if let Some(key) = key {
            given = given.bearer_auth(key);
            generated = generated.bearer_auth(key);
        }
        let resp = given
            .header("x-request-id", "client-chosen-id")
            .send()
            .await
            .expect("answers");
        assert_eq!(resp.status(), status, "{path}");
        assert_eq!(resp.headers()["x-request-id"], "client-chosen-id", "{path}");
        resp.bytes().await.expect("body");
        let resp = generated.send().await.expect("answers");
        assert_eq!(resp.status(), status, "{path}");
        let id = resp.headers()["x-request-id"].to_str().expect("ascii");
        assert!(!id.is_empty(), "{path}: a generated id");
    }
    // A 413 from the body limit too, read while the body is still being written: the gateway
    // answers and closes before the 40 MiB are sent, so the writer's errors are expected.
    let head = crate::harness::too_big_answer(&gw).await;
    let status_line = head.lines().next().unwrap_or_default();
    assert!(status_line.starts_with("HTTP/1.1 413 "), "{head}");
    assert!(
        head.lines()
            .any(|l| l.eq_ignore_ascii_case("x-request-id: too-big")),
        "{head}"
    );
});

#[tokio::test]
async fn grpc_callers_get_the_id_back() {
    let gw = Gateway::start(crate::harness::Mode::Split).await;
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", gw.grpc))
        .expect("url")
        .connect()
        .await
        .expect("core reachable");
    let mut client = GatewayClient::new(channel);
    let request = |id: Option<&str>| {
        let mut req = crate::grpc_client::keyed_stream("mock/text", "hi", CLIENT_KEY);
        if let Some(id) = id {
            req.metadata_mut()
                .insert("x-request-id", id.parse().expect("ascii"));
        }
        req
    };
    let resp = client
        .chat_completion(request(Some("grpc-chosen")))
        .await
        .expect("stream");
    assert_eq!(
        resp.metadata().get("x-request-id").expect("id returned"),
        "grpc-chosen"
    );
    let mut stream = resp.into_inner();
    while stream.next().await.is_some() {}
    let resp = client.chat_completion(request(None)).await.expect("stream");
    let id = resp
        .metadata()
        .get("x-request-id")
        .expect("id returned")
        .to_str()
        .expect("ascii");
    assert!(id.starts_with("req_"), "generated: {id}");
}
