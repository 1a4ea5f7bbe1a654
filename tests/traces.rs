//! Traces reach a real OTLP/HTTP receiver on loopback: one request makes
//! three spans (facade request, core RPC, upstream call) in one trace, each
//! the parent of the next, across the gRPC hop in both modes, with the
//! OpenTelemetry GenAI attributes. Its own test binary: the tracer provider
//! and the subscriber are process-wide.

#[allow(dead_code)]
#[path = "e2e/harness.rs"]
mod harness;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use harness::{Gateway, Mode};
use modelgate_telemetry::traces::TracesOptions;
use modelgate_telemetry::{LogOptions, Telemetry};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use serde_json::json;

type Received = Arc<Mutex<Vec<(String, Span)>>>;

/// An OTLP/HTTP receiver: decodes every export and keeps (service, span).
async fn receiver() -> (String, Received) {
    let received: Received = Arc::default();
    async fn export(State(received): State<Received>, body: Bytes) -> impl IntoResponse {
        let request = ExportTraceServiceRequest::decode(body).expect("OTLP protobuf");
        let mut spans = received.lock().expect("lock");
        for resource in request.resource_spans {
            let service = resource
                .resource
                .iter()
                .flat_map(|r| &r.attributes)
                .find(|kv| kv.key == "service.name")
                .and_then(|kv| string(kv.value.as_ref()?.value.as_ref()?))
                .unwrap_or_default();
            for scope in resource.scope_spans {
                for span in scope.spans {
                    spans.push((service.clone(), span));
                }
            }
        }
        (
            [(header::CONTENT_TYPE, "application/x-protobuf")],
            ExportTraceServiceResponse::default().encode_to_vec(),
        )
    }
    let app = axum::Router::new()
        .route("/v1/traces", axum::routing::post(export))
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind receiver");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), received)
}

fn string(value: &any_value::Value) -> Option<String> {
    match value {
        any_value::Value::StringValue(s) => Some(s.clone()),
        any_value::Value::IntValue(i) => Some(i.to_string()),
        any_value::Value::BoolValue(b) => Some(b.to_string()),
        _ => None,
    }
}

fn attr(span: &Span, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| string(kv.value.as_ref()?.value.as_ref()?))
}

fn int_attr(span: &Span, key: &str) -> Option<i64> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
            any_value::Value::IntValue(i) => Some(*i),
            _ => None,
        })
}

/// The three spans of the request with id `request_id`, once all arrived.
fn trace_of(received: &Received, request_id: &str) -> Option<(Span, Span, Span)> {
    let spans = received.lock().expect("lock");
    let http = spans.iter().map(|(_, s)| s).find(|s| {
        attr(s, "request_id").as_deref() == Some(request_id) && attr(s, "http.route").is_some()
    })?;
    let same_trace = |s: &&Span| s.trace_id == http.trace_id;
    let rpc = spans
        .iter()
        .map(|(_, s)| s)
        .filter(same_trace)
        .find(|s| attr(s, "rpc.system").as_deref() == Some("grpc"))?;
    let upstream = spans
        .iter()
        .map(|(_, s)| s)
        .filter(same_trace)
        .find(|s| attr(s, "gen_ai.operation.name").is_some())?;
    Some((http.clone(), rpc.clone(), upstream.clone()))
}

async fn one_request_one_trace(mode: Mode, telemetry: &Arc<Telemetry>, received: &Received) {
    let gw = Gateway::start(mode).await;
    let request_id = format!("trace-test-{mode:?}");
    let resp = gw
        .client
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(harness::CLIENT_KEY)
        .header("x-request-id", &request_id)
        .json(
            &json!({"model": "mock/text", "stream": true, "stream_options": {"include_usage": true},
                      "messages": [{"role": "user", "content": "count"}]}),
        )
        .send()
        .await
        .expect("gateway answers");
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.expect("sse");
    let usage = harness::sse_data(&text)
        .iter()
        .filter_map(|d| serde_json::from_str::<serde_json::Value>(d).ok())
        .find(|v| v["usage"].is_object())
        .expect("usage chunk")["usage"]
        .clone();

    let deadline = Instant::now() + Duration::from_secs(20);
    let (http, rpc, upstream) = loop {
        // Export what has ended so far (blocking: the exporter posts synchronously).
        let t = telemetry.clone();
        tokio::task::spawn_blocking(move || t.flush_traces())
            .await
            .expect("flush");
        if let Some(found) = trace_of(received, &request_id) {
            break found;
        }
        assert!(
            Instant::now() < deadline,
            "the trace of {request_id} never reached the receiver ({mode:?})"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(http.trace_id.len(), 16);
    assert!(
        http.parent_span_id.is_empty(),
        "the facade span is the root"
    );
    assert_eq!(rpc.trace_id, http.trace_id);
    assert_eq!(
        rpc.parent_span_id, http.span_id,
        "RPC span's parent is the HTTP span"
    );
    assert_eq!(upstream.trace_id, http.trace_id);
    assert_eq!(
        upstream.parent_span_id, rpc.span_id,
        "upstream span's parent is the RPC span"
    );
    assert_eq!(http.name, "POST /v1/chat/completions");
    assert_eq!(rpc.name, "modelgate.v1.Gateway/ChatCompletion");
    assert_eq!(
        attr(&rpc, "request_id").as_deref(),
        Some(request_id.as_str())
    );
    assert_eq!(attr(&upstream, "gen_ai.system").as_deref(), Some("openai"));
    assert_eq!(
        attr(&upstream, "gen_ai.operation.name").as_deref(),
        Some("chat")
    );
    assert_eq!(
        attr(&upstream, "gen_ai.request.model").as_deref(),
        Some("text")
    );
    assert!(
        attr(&upstream, "gen_ai.response.model").is_some_and(|m| !m.is_empty()),
        "response model recorded"
    );
    assert_eq!(
        int_attr(&upstream, "gen_ai.usage.input_tokens"),
        usage["prompt_tokens"].as_i64()
    );
    assert_eq!(
        int_attr(&upstream, "gen_ai.usage.output_tokens"),
        usage["completion_tokens"].as_i64()
    );
    assert_eq!(
        attr(&http, "http.response.status_code").as_deref(),
        Some("200")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_linked_spans_reach_an_otlp_receiver() {
    let (endpoint, received) = receiver().await;
    let telemetry = Arc::new(
        modelgate_telemetry::init(LogOptions {
            traces: Some(TracesOptions {
                endpoint,
                service_name: "modelgate-test".into(),
            }),
            ..LogOptions::default()
        })
        .expect("telemetry starts"),
    );
    one_request_one_trace(Mode::Serve, &telemetry, &received).await;
    one_request_one_trace(Mode::Split, &telemetry, &received).await;
    let services: Vec<String> = received
        .lock()
        .expect("lock")
        .iter()
        .map(|(s, _)| s.clone())
        .collect();
    assert!(services.iter().all(|s| s == "modelgate-test"));
}
