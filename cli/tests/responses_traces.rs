//! A `POST /v1/responses` gives the same three spans as chat, in one trace, in `serve` and
//! split mode: `POST /v1/responses` (facade) → `modelgate.v1.Gateway/CreateResponse` (core
//! RPC) → `responses <upstream model>` (the provider call, `gen_ai.operation.name` =
//! `responses`, with the usage of the answer's terminal event).

use crate::support;

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message as _;
use serde_json::{Value, json};
use support::{Gateway, Mode, config_file, eventually, mock};

const KEY: &str = "sk-responses-traces-client-0123456789";

/// Every span the collector received.
#[derive(Clone, Default)]
struct Collector(Arc<Mutex<Vec<Span>>>);

impl Collector {
    /// Listens on loopback; returns the base URL for `OTEL_EXPORTER_OTLP_ENDPOINT`.
    async fn start(&self) -> String {
        async fn export(State(collector): State<Collector>, body: Bytes) -> impl IntoResponse {
            let request = ExportTraceServiceRequest::decode(body).expect("OTLP protobuf");
            let mut spans = collector.0.lock().expect("lock");
            for resource in request.resource_spans {
                for scope in resource.scope_spans {
                    spans.extend(scope.spans);
                }
            }
            (
                [(header::CONTENT_TYPE, "application/x-protobuf")],
                ExportTraceServiceResponse::default().encode_to_vec(),
            )
        }
        let app = axum::Router::new()
            .route("/v1/traces", axum::routing::post(export))
            .with_state(self.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind collector");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}")
    }

    /// (HTTP, RPC, upstream) spans of the request with `request_id`, once all have arrived.
    async fn trace(&self, request_id: &str) -> (Span, Span, Span) {
        let find = || -> Option<(Span, Span, Span)> {
            let spans = self.0.lock().expect("lock").clone();
            let http = spans.iter().find(|s| {
                attr(s, "request_id").as_deref() == Some(request_id)
                    && attr(s, "http.route").is_some()
            })?;
            let rpc = spans.iter().find(|s| {
                s.trace_id == http.trace_id && attr(s, "rpc.system").as_deref() == Some("grpc")
            })?;
            let upstream = spans.iter().find(|s| {
                s.trace_id == http.trace_id && attr(s, "gen_ai.operation.name").is_some()
            })?;
            Some((http.clone(), rpc.clone(), upstream.clone()))
        };
        eventually(&format!("the spans of {request_id}"), || async {
            find().is_some()
        })
        .await;
        find().expect("found above")
    }
}

fn attr(span: &Span, key: &str) -> Option<String> {
    let value = span.attributes.iter().find(|kv| kv.key == key)?;
    match value.value.as_ref()?.value.as_ref()? {
        any_value::Value::StringValue(s) => Some(s.clone()),
        any_value::Value::IntValue(i) => Some(i.to_string()),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_responses_request_gives_three_linked_spans() {
    for mode in [Mode::Serve, Mode::Split] {
        let mock = mock().await;
        let (_dir, file) = config_file(&format!(
            "auth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\n\
             providers:\n  an: {{ kind: anthropic, api_base: \"{}\", api_key: sk-up-0123456789 }}\n",
            mock.native_url("anthropic")
        ));
        let collector = Collector::default();
        let endpoint = collector.start().await;
        let env = [
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ];
        let gw = Gateway::start(mode, &file, &env).await;
        let id = format!("responses-trace-{mode:?}");
        let resp = reqwest::Client::new()
            .post(gw.url("/v1/responses"))
            .bearer_auth(KEY)
            .header("x-request-id", &id)
            .json(&json!({"model": "an/text", "input": "hi"}))
            .send()
            .await
            .expect("answers");
        assert_eq!(resp.status(), 200, "{mode:?}");
        let body: Value = resp.json().await.expect("JSON");

        let (http, rpc, upstream) = collector.trace(&id).await;
        assert_eq!(http.name, "POST /v1/responses", "{mode:?}");
        assert_eq!(rpc.name, "modelgate.v1.Gateway/CreateResponse", "{mode:?}");
        assert_eq!(rpc.parent_span_id, http.span_id, "{mode:?}");
        assert_eq!(upstream.name, "responses text", "{mode:?}");
        assert_eq!(upstream.parent_span_id, rpc.span_id, "{mode:?}");
        assert_eq!(
            attr(&upstream, "gen_ai.operation.name").as_deref(),
            Some("responses")
        );
        assert_eq!(
            attr(&upstream, "gen_ai.system").as_deref(),
            Some("anthropic")
        );
        let tokens = |key: &str| attr(&upstream, key).and_then(|v| v.parse::<u64>().ok());
        assert_eq!(
            tokens("gen_ai.usage.input_tokens"),
            body["usage"]["input_tokens"].as_u64(),
            "{mode:?}: {body}"
        );
        assert_eq!(
            tokens("gen_ai.usage.output_tokens"),
            body["usage"]["output_tokens"].as_u64(),
            "{mode:?}: {body}"
        );
    }
}
