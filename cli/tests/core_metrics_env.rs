//! `MODELGATE_METRICS_ADDR` does what `modelgate core --metrics ADDR` does: the core serves
//! its request metrics there.

mod support;

use futures::StreamExt;
use mock_upstream::MockUpstream;
use modelgate::v1::gateway_client::GatewayClient;
use modelgate::v1::message::Content;
use modelgate::v1::{ChatCompletionRequest, Message, Role};
use support::{Launch, Process, config_file};

const KEY: &str = "sk-core-metrics-env";

#[tokio::test(flavor = "multi_thread")]
async fn core_serves_metrics_on_the_address_from_the_environment() {
    let mock = MockUpstream::start(mock_upstream::default_fixtures_dir())
        .await
        .expect("mock starts");
    let (_dir, file) = config_file(&format!(
        "auth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\nproviders:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up, models: [text] }}\n",
        mock.base_url()
    ));
    // No `--metrics` flag: only the variable names the address.
    let core = Process::start(Launch {
        args: [
            "core",
            "--grpc",
            "127.0.0.1:0",
            "--config",
            &file.display().to_string(),
        ]
        .map(str::to_owned)
        .to_vec(),
        env: vec![("MODELGATE_METRICS_ADDR".into(), "127.0.0.1:0".into())],
        wait_for: vec!["grpc", "metrics"],
    });

    let mut client = GatewayClient::connect(format!("http://{}", core.addr("grpc")))
        .await
        .expect("core reachable");
    let mut request = tonic::Request::new(ChatCompletionRequest {
        model: "mock/text".into(),
        stream: true,
        messages: vec![Message {
            role: Role::User as i32,
            content: Some(Content::Text("hi".into())),
            ..Default::default()
        }],
        ..Default::default()
    });
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {KEY}").parse().expect("ascii"),
    );
    let mut stream = client
        .chat_completion(request)
        .await
        .expect("stream starts")
        .into_inner();
    while let Some(chunk) = stream.next().await {
        chunk.expect("chunk");
    }

    let text = reqwest::get(format!("http://{}/metrics", core.addr("metrics")))
        .await
        .expect("metrics answer")
        .text()
        .await
        .expect("body");
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))
        .expect("prometheus text");
    let counted = scrape.samples.iter().any(|s| {
        s.metric == "modelgate_requests_total"
            && s.labels.get("model") == Some("mock/text")
            && s.labels.get("surface") == Some("grpc")
            && matches!(s.value, prometheus_parse::Value::Counter(v) if v == 1.0)
    });
    assert!(counted, "the gRPC request is not counted:\n{text}");
}
