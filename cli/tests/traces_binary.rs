//! Traces from the real binary to an OTLP/HTTP collector run here on loopback, configured only
//! by the `OTEL_*` variables: each request gives three spans in one trace (facade request →
//! core RPC → upstream call) with the GenAI attributes, across two processes when run apart; a
//! `traceparent` from an HTTP or a gRPC client continues the client's trace.

use crate::grpc_client;
use crate::loopback;
use crate::support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use mock_upstream::MockUpstream;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message as _;
use serde_json::{Value, json};
use support::{Gateway, Mode, config_file, eventually, mock};

const KEY: &str = "sk-traces-client-key-0123456789";
/// Sent on every export through `OTEL_EXPORTER_OTLP_HEADERS`.
const COLLECTOR_TOKEN: &str = "collector-t0ken";

/// What the collector received: spans with their service, and each export's headers.
#[derive(Clone, Default)]
struct Collector {
    spans: Arc<Mutex<Vec<(String, Span)>>>,
    headers: Arc<Mutex<Vec<HeaderMap>>>,
}

impl Collector {
    /// Listens on loopback; returns the base URL for `OTEL_EXPORTER_OTLP_ENDPOINT`.
    async fn start(&self) -> String {
        async fn export(
            State(collector): State<Collector>,
            headers: HeaderMap,
            body: Bytes,
        ) -> impl IntoResponse {
            let request = ExportTraceServiceRequest::decode(body).expect("OTLP protobuf");
            collector.headers.lock().expect("lock").push(headers);
            let mut spans = collector.spans.lock().expect("lock");
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
            .with_state(self.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind collector");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}")
    }

    fn spans(&self) -> Vec<(String, Span)> {
        self.spans.lock().expect("lock").clone()
    }

    /// The spans of one request, once all three have arrived: the facade's (found by its
    /// request id, or the RPC's when a gRPC client called), the RPC's and the upstream call's.
    async fn trace(&self, request_id: &str, over_http: bool) -> Trace {
        let find = || -> Option<Trace> {
            let spans = self.spans();
            let rpc_of = |trace_id: &[u8], id_attr: Option<&str>| {
                spans.iter().find(|(_, s)| {
                    s.trace_id == trace_id
                        && attr(s, "rpc.system").as_deref() == Some("grpc")
                        && id_attr.is_none_or(|id| attr(s, "request_id").as_deref() == Some(id))
                })
            };
            let (http, rpc) = if over_http {
                let http = spans.iter().find(|(_, s)| {
                    attr(s, "request_id").as_deref() == Some(request_id)
                        && attr(s, "http.route").is_some()
                })?;
                (Some(http.clone()), rpc_of(&http.1.trace_id, None)?.clone())
            } else {
                let rpc = spans.iter().find(|(_, s)| {
                    attr(s, "request_id").as_deref() == Some(request_id)
                        && attr(s, "rpc.system").is_some()
                })?;
                (None, rpc.clone())
            };
            let upstream = spans
                .iter()
                .find(|(_, s)| {
                    s.trace_id == rpc.1.trace_id && attr(s, "gen_ai.operation.name").is_some()
                })?
                .clone();
            Some(Trace {
                http,
                rpc,
                upstream,
            })
        };
        eventually(
            &format!("the spans of {request_id} reach the collector"),
            || async { find().is_some() },
        )
        .await;
        find().expect("found above")
    }
}

/// (service, span) of each of a request's spans.
struct Trace {
    http: Option<(String, Span)>,
    rpc: (String, Span),
    upstream: (String, Span),
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

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

/// A client's W3C trace context: (trace id, parent span id, `traceparent` header).
fn client_context(trace_id: &str, span_id: &str) -> (Vec<u8>, Vec<u8>, String) {
    (
        hex(trace_id),
        hex(span_id),
        format!("00-{trace_id}-{span_id}-01"),
    )
}

fn config(mock: &MockUpstream) -> (tempfile::TempDir, std::path::PathBuf) {
    config_file(&format!(
        "auth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\nproviders:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-traces-upstream-key, models: [text] }}\n",
        mock.base_url()
    ))
}

/// A streamed chat over HTTP; returns the usage it reported.
async fn http_chat(gw: &Gateway, request_id: &str, traceparent: Option<&str>) -> Value {
    let mut request = reqwest::Client::new()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(KEY)
        .header("x-request-id", request_id)
        .json(&json!({"model": "mock/text", "stream": true,
            "stream_options": {"include_usage": true},
            "messages": [{"role": "user", "content": "count"}]}));
    if let Some(traceparent) = traceparent {
        request = request.header("traceparent", traceparent);
    }
    let resp = request.send().await.expect("answers");
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.expect("sse");
    text.lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .rfind(|v| v["usage"].is_object())
        .expect("a usage chunk")["usage"]
        .clone()
}

/// A streamed chat straight to the core over gRPC, with `traceparent` in its metadata.
async fn grpc_chat(gw: &Gateway, request_id: &str, traceparent: &str) {
    let mut request = grpc_client::keyed_stream("mock/text", "count", KEY);
    let metadata = request.metadata_mut();
    metadata.insert("x-request-id", request_id.parse().expect("ascii"));
    metadata.insert("traceparent", traceparent.parse().expect("ascii"));
    grpc_client::stream_to_end(&gw.grpc, request).await;
}

fn otel_env<'a>(endpoint: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut env = vec![
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint),
        // The SDK's batch delay (5 s by default), so the test does not wait for it.
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
    ];
    env.extend_from_slice(extra);
    env
}

/// The three spans link up: HTTP → RPC → upstream, with the README's names and attributes.
fn assert_linked(trace: &Trace, usage: &Value, http_service: &str, core_service: &str) {
    let (service, http) = trace.http.as_ref().expect("an HTTP span");
    let (rpc_service, rpc) = &trace.rpc;
    let (upstream_service, upstream) = &trace.upstream;
    assert_eq!(service, http_service);
    assert_eq!(rpc_service, core_service);
    assert_eq!(upstream_service, core_service);
    assert_eq!(http.name, "POST /v1/chat/completions");
    assert_eq!(
        attr(http, "http.response.status_code").as_deref(),
        Some("200")
    );
    assert_eq!(rpc.name, "modelgate.v1.Gateway/ChatCompletion");
    assert_eq!(rpc.trace_id, http.trace_id);
    assert_eq!(
        rpc.parent_span_id, http.span_id,
        "RPC span's parent is the HTTP span"
    );
    assert_eq!(upstream.name, "chat text");
    assert_eq!(upstream.trace_id, http.trace_id);
    assert_eq!(
        upstream.parent_span_id, rpc.span_id,
        "upstream span's parent is the RPC span"
    );
    assert_eq!(attr(upstream, "gen_ai.system").as_deref(), Some("openai"));
    assert_eq!(
        attr(upstream, "gen_ai.operation.name").as_deref(),
        Some("chat")
    );
    assert_eq!(
        attr(upstream, "gen_ai.request.model").as_deref(),
        Some("text")
    );
    assert!(
        attr(upstream, "gen_ai.response.model").is_some_and(|m| !m.is_empty()),
        "response model recorded"
    );
    assert_eq!(
        int_attr(upstream, "gen_ai.usage.input_tokens"),
        usage["prompt_tokens"].as_i64()
    );
    assert_eq!(
        int_attr(upstream, "gen_ai.usage.output_tokens"),
        usage["completion_tokens"].as_i64()
    );
}

/// The gRPC caller's context is the RPC span's parent, and the upstream call hangs below it.
fn assert_grpc_continued(trace: &Trace, client_trace: &[u8], client_span: &[u8]) {
    let (_, rpc) = &trace.rpc;
    let (_, upstream) = &trace.upstream;
    assert_eq!(rpc.name, "modelgate.v1.Gateway/ChatCompletion");
    assert_eq!(
        rpc.trace_id, client_trace,
        "the gRPC client's trace continues"
    );
    assert_eq!(
        rpc.parent_span_id, client_span,
        "the client's span is the parent"
    );
    assert_eq!(upstream.trace_id, client_trace);
    assert_eq!(upstream.parent_span_id, rpc.span_id);
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_exports_linked_spans_and_continues_client_traces() {
    let mock = mock().await;
    let (_dir, file) = config(&mock);
    let collector = Collector::default();
    let endpoint = collector.start().await;
    let gw = Gateway::start(Mode::Serve, &file, &otel_env(&endpoint, &[])).await;

    // Without a client context the facade's span is the root of a new trace.
    let usage = http_chat(&gw, "trace-serve-root", None).await;
    let trace = collector.trace("trace-serve-root", true).await;
    assert_linked(&trace, &usage, "modelgate", "modelgate");
    let (_, root) = trace.http.as_ref().expect("HTTP span");
    assert!(
        root.parent_span_id.is_empty(),
        "the facade span is the root"
    );
    assert_eq!(root.trace_id.len(), 16);

    // An HTTP client's traceparent: its trace continues, its span is the parent.
    let (client_trace, client_span, traceparent) =
        client_context("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7");
    let usage = http_chat(&gw, "trace-serve-http", Some(&traceparent)).await;
    let trace = collector.trace("trace-serve-http", true).await;
    assert_linked(&trace, &usage, "modelgate", "modelgate");
    let (_, http) = trace.http.as_ref().expect("HTTP span");
    assert_eq!(
        http.trace_id, client_trace,
        "the HTTP client's trace continues"
    );
    assert_eq!(
        http.parent_span_id, client_span,
        "the client's span is the parent"
    );

    // A gRPC client's traceparent, the same way.
    let (client_trace, client_span, traceparent) =
        client_context("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331");
    grpc_chat(&gw, "trace-serve-grpc", &traceparent).await;
    let trace = collector.trace("trace-serve-grpc", false).await;
    assert_grpc_continued(&trace, &client_trace, &client_span);
    assert_eq!(trace.rpc.0, "modelgate");
}

#[tokio::test(flavor = "multi_thread")]
async fn split_facade_and_core_spans_share_the_trace() {
    let mock = mock().await;
    let (_dir, file) = config(&mock);
    let collector = Collector::default();
    let endpoint = collector.start().await;
    let gw = Gateway::start(Mode::Split, &file, &otel_env(&endpoint, &[])).await;

    let usage = http_chat(&gw, "trace-split-root", None).await;
    let trace = collector.trace("trace-split-root", true).await;
    // Two processes, one trace: the core's RPC span is the child of the facade's span.
    assert_linked(&trace, &usage, "modelgate-facade", "modelgate-core");
    let (_, root) = trace.http.as_ref().expect("HTTP span");
    assert!(
        root.parent_span_id.is_empty(),
        "the facade span is the root"
    );

    let (client_trace, client_span, traceparent) =
        client_context("5bf92f3577b34da6a3ce929d0e0e4737", "10f067aa0ba902b8");
    let usage = http_chat(&gw, "trace-split-http", Some(&traceparent)).await;
    let trace = collector.trace("trace-split-http", true).await;
    assert_linked(&trace, &usage, "modelgate-facade", "modelgate-core");
    let (_, http) = trace.http.as_ref().expect("HTTP span");
    assert_eq!(http.trace_id, client_trace);
    assert_eq!(http.parent_span_id, client_span);

    let (client_trace, client_span, traceparent) =
        client_context("1af7651916cd43dd8448eb211c80319d", "c7ad6b7169203332");
    grpc_chat(&gw, "trace-split-grpc", &traceparent).await;
    let trace = collector.trace("trace-split-grpc", false).await;
    assert_grpc_continued(&trace, &client_trace, &client_span);
    assert_eq!(trace.rpc.0, "modelgate-core");
}

#[tokio::test(flavor = "multi_thread")]
async fn service_name_and_exporter_headers_come_from_the_variables() {
    let mock = mock().await;
    let (_dir, file) = config(&mock);
    let collector = Collector::default();
    let endpoint = collector.start().await;
    let headers = format!("x-collector-token={COLLECTOR_TOKEN}");
    let env = otel_env(
        &endpoint,
        &[
            ("OTEL_SERVICE_NAME", "billing-gateway"),
            ("OTEL_EXPORTER_OTLP_HEADERS", &headers),
        ],
    );
    let gw = Gateway::start(Mode::Serve, &file, &env).await;
    let usage = http_chat(&gw, "trace-named", None).await;
    let trace = collector.trace("trace-named", true).await;
    assert_linked(&trace, &usage, "billing-gateway", "billing-gateway");
    let exports = collector.headers.lock().expect("lock").clone();
    assert!(!exports.is_empty());
    for headers in &exports {
        assert_eq!(
            headers.get("x-collector-token").map(|v| v.as_bytes()),
            Some(COLLECTOR_TOKEN.as_bytes()),
            "every export carries OTEL_EXPORTER_OTLP_HEADERS"
        );
    }
    let services: HashMap<String, usize> =
        collector
            .spans()
            .into_iter()
            .fold(HashMap::new(), |mut by, (service, _)| {
                *by.entry(service).or_default() += 1;
                by
            });
    assert_eq!(
        services.keys().collect::<Vec<_>>(),
        vec!["billing-gateway"],
        "every span carries OTEL_SERVICE_NAME"
    );
}

/// Secrets the upstream below echoes back: the provider key, a configured header value and
/// the client key.
const SPAN_PROVIDER_KEY: &str = "prov-span-secret-0123456789";
const SPAN_HEADER_SECRET: &str = "hdr-span-secret-0123456789";

#[tokio::test(flavor = "multi_thread")]
async fn secrets_never_reach_span_values() {
    // An upstream that writes what it was sent into what lands on spans: the answer's
    // `model` (→ `gen_ai.response.model`) and, for a request asking to fail, an error message
    // (→ the attempt's log event inside the span).
    let upstream = loopback::Loopback::start(|req: &loopback::Recorded| {
        let sent: Vec<String> = req
            .headers
            .values()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        let sent = sent.join(" ");
        if String::from_utf8_lossy(&req.body).contains("please-fail") {
            return loopback::json(
                400,
                &json!({"error": {"message": format!("you sent {sent}"),
                    "type": "invalid_request_error", "param": null, "code": null}}),
            );
        }
        loopback::json(
            200,
            &json!({"id": "chatcmpl-1", "object": "chat.completion", "created": 1,
                "model": format!("m {sent}"),
                "choices": [{"index": 0, "finish_reason": "stop",
                    "message": {"role": "assistant", "content": "ok"}}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}),
        )
    })
    .await;
    let (_dir, file) = config_file(&format!(
        "auth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\nproviders:\n  leaky: {{ kind: openai, api_base: \"{}/v1\", api_key: {SPAN_PROVIDER_KEY}, models: [m], headers: {{ x-team-secret: {SPAN_HEADER_SECRET} }} }}\n",
        upstream.url
    ));
    let collector = Collector::default();
    let endpoint = collector.start().await;
    let gw = Gateway::start(Mode::Serve, &file, &otel_env(&endpoint, &[])).await;
    let client = reqwest::Client::new();
    for (request_id, content, status) in
        [("span-ok", "hello", 200), ("span-fail", "please-fail", 400)]
    {
        let resp = client
            .post(gw.url("/v1/chat/completions"))
            .bearer_auth(KEY)
            .header("x-request-id", request_id)
            .json(&json!({"model": "leaky/m", "messages": [{"role": "user", "content": content}]}))
            .send()
            .await
            .expect("answers");
        assert_eq!(resp.status(), status, "{request_id}");
    }
    // The upstream really got the secrets it echoes.
    let got: Vec<String> = upstream.requests().iter().map(|r| r.echo()).collect();
    assert_eq!(got.len(), 2, "one upstream call per request");
    assert!(
        got.iter()
            .all(|e| e.contains(SPAN_PROVIDER_KEY) && e.contains(SPAN_HEADER_SECRET))
    );

    let ok = collector.trace("span-ok", true).await;
    let response_model = attr(&ok.upstream.1, "gen_ai.response.model").expect("response model");
    assert!(
        response_model.contains("[redacted]"),
        "the echoed key is replaced on the span: {response_model}"
    );
    let failed = collector.trace("span-fail", true).await;
    assert_eq!(
        attr(&failed.upstream.1, "error.type").as_deref(),
        Some("invalid_request"),
        "the failed call's span is the one checked"
    );
    let spans = collector.spans();
    assert!(spans.len() >= 6, "both requests' spans: {}", spans.len());
    for (service, span) in &spans {
        let text = format!("{span:?}");
        for secret in [SPAN_PROVIDER_KEY, SPAN_HEADER_SECRET, KEY] {
            assert!(
                !text.contains(secret),
                "a {service} span `{}` shows `{secret}`: {text}",
                span.name
            );
        }
    }
}
