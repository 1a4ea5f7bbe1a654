//! `MODELGATE_METRICS_ADDR` does what `modelgate core --metrics ADDR` does: the core serves
//! its request metrics there.

use crate::grpc_client;
use crate::prometheus_text;
use crate::support;

use prometheus_text::metrics_text;
use support::{Launch, Process, config_file, mock};

const KEY: &str = "sk-core-metrics-env";

#[tokio::test(flavor = "multi_thread")]
async fn core_serves_metrics_on_the_address_from_the_environment() {
    let mock = mock().await;
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

    grpc_client::stream_to_end(
        &format!("http://{}", core.addr("grpc")),
        grpc_client::keyed_stream("mock/text", "hi", KEY),
    )
    .await;

    let text = metrics_text(&format!("http://{}/metrics", core.addr("metrics"))).await;
    let scrape = prometheus_text::parse(&text);
    let counted = scrape.samples.iter().any(|s| {
        s.metric == "modelgate_requests_total"
            && s.labels.get("model") == Some("mock/text")
            && s.labels.get("surface") == Some("grpc")
            && matches!(s.value, prometheus_parse::Value::Counter(v) if v == 1.0)
    });
    assert!(counted, "the gRPC request is not counted:\n{text}");
}
