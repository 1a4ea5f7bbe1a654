//! `POST /v1/responses` (and `/responses`) and the `CreateResponse` RPC through the binary, in
//! `serve` and split mode: the key is checked before the body is read, the README's error table
//! holds (400 with the field's path, 403, 404, 429 from the key's limits), a failing deployment
//! falls back to a working one before the first event, a streamed answer through a translated
//! provider (Anthropic's recording) arrives as `event:`/`data:` pairs ending in
//! `response.completed` (an upstream that breaks off mid-stream: one `error` event), and the
//! request log and metrics tell Responses requests apart from chat ones.

use crate::grpc_client;
use crate::prometheus_text;
use crate::support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use futures::StreamExt;
use mock_upstream::MockUpstream;
use modelgate::v1::ResponseRequest;
use serde_json::{Value, json};
use support::{Gateway, Mode, config_file, eventually, mock};

const KEY: &str = "sk-responses-route-main";
/// May use `an/*` only.
const NARROW: &str = "sk-responses-route-narrow";
/// One request a minute.
const LIMITED: &str = "sk-responses-route-limited";

fn config(mock: &MockUpstream) -> String {
    format!(
        "auth:\n  keys:\n\
         \x20   - {{ name: main, key: {KEY} }}\n\
         \x20   - {{ name: narrow, key: {NARROW}, models: [\"an/*\"] }}\n\
         \x20   - {{ name: limited, key: {LIMITED}, rpm: 1 }}\n\
         providers:\n\
         \x20 an: {{ kind: anthropic, api_base: \"{}\", api_key: sk-up-0123456789 }}\n\
         \x20 oa: {{ kind: openai, api_base: \"{}\", api_key: sk-up-0123456789, models: [embed] }}\n\
         model_list:\n\
         \x20 - model_name: claude\n    litellm_params: {{ model: an/text }}\n\
         \x20 - model_name: broken\n    litellm_params: {{ model: an/error-500 }}\n\
         router_settings:\n  num_retries: 0\n  fallbacks:\n    - {{ broken: [claude] }}\n",
        mock.native_url("anthropic"),
        mock.base_url()
    )
}

async fn start(mode: Mode) -> (MockUpstream, tempfile::TempDir, Gateway) {
    let mock = mock().await;
    let (dir, file) = config_file(&config(&mock));
    let gw = Gateway::start(mode, &file, &[("MODELGATE_LOG_FORMAT", "json")]).await;
    (mock, dir, gw)
}

async fn post(gw: &Gateway, path: &str, key: &str, body: &Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(gw.url(path))
        .bearer_auth(key)
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

/// Status, `error.code` and `error.param` of an error answer.
async fn error_of(resp: reqwest::Response) -> (u16, Value, Value) {
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.expect("OpenAI-shaped JSON error");
    (
        status,
        body["error"]["code"].clone(),
        body["error"]["param"].clone(),
    )
}

/// Whether a POST to `path` without a key, declaring a 30 MiB body of which only the first
/// 256 KiB are ever sent, is answered 401: only a server that did not wait for the body can.
fn refused_before_body(addr: &str, path: &str) -> String {
    const SIZE: usize = 30 * 1024 * 1024;
    let mut stream = TcpStream::connect(addr).expect("connect");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {SIZE}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).expect("head sent");
    let mut piece = br#"{"model":"claude","input":""#.to_vec();
    piece.resize(256 * 1024, b'a');
    stream.write_all(&piece).expect("piece sent");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut buf = [0u8; 512];
    let n = stream.read(&mut buf).unwrap_or(0);
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn key_before_body_then_the_error_table() {
    for mode in [Mode::Serve, Mode::Split] {
        let (mock, _dir, gw) = start(mode).await;
        for path in ["/v1/responses", "/responses"] {
            let answer = refused_before_body(gw.http_addr(), path);
            assert!(
                answer.starts_with("HTTP/1.1 401"),
                "{mode:?} {path}: {answer}"
            );
        }

        // The facade's parser names the field's path.
        let bad = json!({"model": "claude", "input": [{"type": "message", "role": "user",
            "content": [{"type": "input_text", "text": 7}]}]});
        let (status, _, param) = error_of(post(&gw, "/v1/responses", KEY, &bad).await).await;
        assert_eq!(status, 400, "{mode:?}");
        assert_eq!(param, "input[0].content[0].text", "{mode:?}");

        let hi = |model: &str| json!({"model": model, "input": "hi"});
        let (status, code, param) =
            error_of(post(&gw, "/v1/responses", NARROW, &hi("claude")).await).await;
        assert_eq!(
            (status, code, param),
            (403, json!("model_not_allowed"), json!("model")),
            "{mode:?}"
        );
        let (status, code, param) =
            error_of(post(&gw, "/responses", KEY, &hi("nowhere/none")).await).await;
        assert_eq!(
            (status, code, param),
            (404, json!("model_not_found"), json!("model")),
            "{mode:?}"
        );
        let resp = post(&gw, "/v1/responses", KEY, &json!({"model": "claude"})).await;
        let (status, _, param) = error_of(resp).await;
        assert_eq!((status, param), (400, json!("input")), "{mode:?}");
        assert!(
            mock.requests().is_empty(),
            "{mode:?}: refused requests reached the upstream: {:?}",
            mock.requests()
        );

        // The key's one request a minute: the second is refused before any upstream call.
        let first = post(&gw, "/v1/responses", LIMITED, &hi("claude")).await;
        assert_eq!(first.status(), 200, "{mode:?}");
        assert_eq!(header(&first, "x-ratelimit-limit-requests"), "1");
        let second = post(&gw, "/v1/responses", LIMITED, &hi("claude")).await;
        assert!(!header(&second, "retry-after").is_empty(), "{mode:?}");
        let (status, code, _) = error_of(second).await;
        assert_eq!(
            (status, code),
            (429, json!("rate_limit_exceeded")),
            "{mode:?}"
        );
        assert_eq!(mock.requests().len(), 1, "{mode:?}: {:?}", mock.requests());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_deployment_falls_back_before_the_first_event() {
    for mode in [Mode::Serve, Mode::Split] {
        let (mock, _dir, gw) = start(mode).await;
        for stream in [false, true] {
            mock.clear();
            let resp = post(
                &gw,
                "/v1/responses",
                KEY,
                &json!({"model": "broken", "input": "hi", "stream": stream}),
            )
            .await;
            assert_eq!(resp.status(), 200, "{mode:?} stream={stream}");
            assert_eq!(header(&resp, "x-modelgate-attempts"), "2");
            assert_eq!(header(&resp, "x-modelgate-provider"), "an");
            let upstream: Vec<String> = mock
                .requests()
                .iter()
                .filter_map(|r| r.body["model"].as_str().map(str::to_owned))
                .collect();
            assert_eq!(upstream, ["error-500", "text"], "{mode:?} stream={stream}");
            let last = if stream {
                let events = sse_events(&resp.text().await.expect("body"));
                events.last().expect("events").1["response"].clone()
            } else {
                resp.json::<Value>().await.expect("JSON response")
            };
            assert_eq!(last["object"], "response", "{mode:?}: {last}");
            assert_eq!(last["status"], "completed", "{mode:?}: {last}");
            assert_eq!(last["output"][0]["type"], "message", "{mode:?}: {last}");
        }
    }
}

/// `(event, data)` of each SSE event; every event must name its type in both.
fn sse_events(body: &str) -> Vec<(String, Value)> {
    assert!(!body.contains("[DONE]"), "{body}");
    body.split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .map(|event| {
            let (name, data) = event
                .strip_prefix("event: ")
                .and_then(|rest| rest.split_once("\ndata: "))
                .unwrap_or_else(|| panic!("not an event:/data: pair: {event:?}"));
            let data: Value = serde_json::from_str(data).expect("data is JSON");
            assert_eq!(data["type"], name, "{event}");
            (name.to_owned(), data)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_translated_stream_arrives_as_named_events() {
    for mode in [Mode::Serve, Mode::Split] {
        let (mock, _dir, gw) = start(mode).await;
        let resp = reqwest::Client::new()
            .post(gw.url("/v1/responses"))
            .bearer_auth(KEY)
            .header("x-request-id", "responses-stream-1")
            .json(&json!({"model": "claude", "input": "hi", "stream": true}))
            .send()
            .await
            .expect("answers");
        assert_eq!(resp.status(), 200, "{mode:?}");
        assert_eq!(header(&resp, "content-type"), "text/event-stream");
        assert_eq!(header(&resp, "x-request-id"), "responses-stream-1");
        assert!(!header(&resp, "x-modelgate-deployment").is_empty());
        let events = sse_events(&resp.text().await.expect("body"));
        let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names.first(),
            Some(&"response.created"),
            "{mode:?}: {names:?}"
        );
        assert_eq!(
            names.last(),
            Some(&"response.completed"),
            "{mode:?}: {names:?}"
        );
        assert!(
            names.contains(&"response.output_text.delta"),
            "{mode:?}: {names:?}"
        );
        let numbers: Vec<u64> = events
            .iter()
            .filter_map(|(_, d)| d["sequence_number"].as_u64())
            .collect();
        assert_eq!(numbers, (0..events.len() as u64).collect::<Vec<_>>());
        // The Anthropic adapter was called, with Anthropic's dialect.
        let calls = mock.requests();
        assert_eq!(calls.len(), 1, "{calls:?}");
        assert!(calls[0].path.ends_with("/v1/messages"), "{}", calls[0].path);

        // Broken off after three upstream events: one `error` event, numbered next, then the end.
        let resp = post(
            &gw,
            "/v1/responses",
            KEY,
            &json!({"model": "an/reset", "input": "hi", "stream": true}),
        )
        .await;
        assert_eq!(resp.status(), 200, "{mode:?}");
        let events = sse_events(&resp.text().await.expect("body"));
        let (last, before) = events.split_last().expect("events");
        assert_eq!(last.0, "error", "{mode:?}: {events:?}");
        assert!(!before.is_empty(), "{mode:?}: {events:?}");
        assert!(last.1["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(last.1.get("code").is_some() && last.1.get("param").is_some());
        let previous = before.last().map(|(_, d)| d["sequence_number"].as_u64());
        assert_eq!(
            last.1["sequence_number"].as_u64(),
            previous.flatten().map(|n| n + 1),
            "{mode:?}: {events:?}"
        );

        // The same RPC straight to the core.
        let mut grpc = grpc_client::connect(&gw.grpc).await;
        let request = ResponseRequest {
            model: "claude".into(),
            input_text: Some("hi".into()),
            stream: true,
            ..Default::default()
        };
        let answer = grpc
            .create_response(grpc_client::keyed(request.clone(), KEY))
            .await
            .expect("stream starts");
        assert_eq!(
            answer
                .metadata()
                .get("x-modelgate-provider")
                .and_then(|v| v.to_str().ok()),
            Some("an")
        );
        let mut events = answer.into_inner();
        let mut last = None;
        while let Some(event) = events.next().await {
            last = Some(event.expect("event").r#type);
        }
        assert_eq!(last.as_deref(), Some("response.completed"), "{mode:?}");
        let unknown = ResponseRequest {
            model: "nowhere/none".into(),
            ..request
        };
        let Err(err) = grpc.create_response(grpc_client::keyed(unknown, KEY)).await else {
            panic!("{mode:?}: an unknown model was not refused");
        };
        assert_eq!(err.code(), tonic::Code::NotFound, "{mode:?}");
    }
}

/// The JSON request line of `id` in the core's log, once written.
async fn request_line(gw: &Gateway, id: &str) -> Value {
    let find = || {
        gw.core
            .log()
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|l| l["target"] == "modelgate::request" && l["request_id"] == id)
    };
    eventually(&format!("the request line of {id}"), || async {
        find().is_some()
    })
    .await;
    find().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_request_log_and_metrics_tell_responses_from_chat() {
    for mode in [Mode::Serve, Mode::Split] {
        let (_mock, _dir, gw) = start(mode).await;
        let resp = reqwest::Client::new()
            .post(gw.url("/v1/responses"))
            .bearer_auth(KEY)
            .header("x-request-id", "responses-log-1")
            .json(&json!({"model": "claude", "input": "hi"}))
            .send()
            .await
            .expect("answers");
        assert_eq!(resp.status(), 200, "{mode:?}");
        let body: Value = resp.json().await.expect("JSON");
        let usage = &body["usage"];
        assert!(
            usage["input_tokens"].as_u64().is_some_and(|n| n > 0),
            "{body}"
        );
        let line = request_line(&gw, "responses-log-1").await;
        assert_eq!(line["endpoint"], "responses", "{line}");
        assert_eq!(line["model"], "claude");
        assert_eq!(line["provider"], "an");
        assert_eq!(line["status"], 200);
        assert_eq!(line["prompt_tokens"], usage["input_tokens"], "{line}");
        assert_eq!(line["completion_tokens"], usage["output_tokens"], "{line}");
        assert!(!body["model"].as_str().unwrap_or_default().is_empty());

        let chat = reqwest::Client::new()
            .post(gw.url("/v1/chat/completions"))
            .bearer_auth(KEY)
            .header("x-request-id", "chat-log-1")
            .json(&json!({"model": "claude", "messages": [{"role": "user", "content": "hi"}]}))
            .send()
            .await
            .expect("answers");
        assert_eq!(chat.status(), 200);
        assert_eq!(request_line(&gw, "chat-log-1").await["endpoint"], "chat");
        let embed = reqwest::Client::new()
            .post(gw.url("/v1/embeddings"))
            .bearer_auth(KEY)
            .header("x-request-id", "embed-log-1")
            .json(&json!({"model": "oa/embed", "input": "hi"}))
            .send()
            .await
            .expect("answers");
        assert_eq!(embed.status(), 200);
        assert_eq!(
            request_line(&gw, "embed-log-1").await["endpoint"],
            "embeddings"
        );

        if mode == Mode::Serve {
            let scrape = prometheus_text::scrape(&gw.url("/metrics")).await;
            let requests = |endpoint: &str| {
                prometheus_text::value(
                    &scrape,
                    "modelgate_requests_total",
                    &[
                        ("endpoint", endpoint),
                        ("model", "claude"),
                        ("status", "200"),
                        ("surface", "http"),
                    ],
                )
            };
            assert_eq!(requests("responses"), 1.0);
            assert_eq!(requests("chat"), 1.0);
            let embeddings = prometheus_text::value(
                &scrape,
                "modelgate_requests_total",
                &[("endpoint", "embeddings"), ("model", "oa/embed")],
            );
            assert_eq!(embeddings, 1.0);
            let tokens = prometheus_text::value(
                &scrape,
                "modelgate_tokens_total",
                &[("endpoint", "responses"), ("kind", "prompt")],
            );
            assert_eq!(Some(tokens as u64), usage["input_tokens"].as_u64());
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_openapi_document_describes_responses() {
    let (_mock, _dir, gw) = start(Mode::Serve).await;
    let doc: Value = reqwest::get(gw.url("/openapi.json"))
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    let op = &doc["paths"]["/v1/responses"]["post"];
    assert_eq!(
        op["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/ResponseRequest",
        "{op}"
    );
    let ok = &op["responses"]["200"]["content"];
    assert_eq!(
        ok["application/json"]["schema"]["$ref"],
        "#/components/schemas/ResponseObject"
    );
    assert_eq!(
        ok["text/event-stream"]["schema"]["$ref"],
        "#/components/schemas/ResponseStreamEvent"
    );
    let schemas = &doc["components"]["schemas"];
    for name in [
        "ResponseRequest",
        "ResponseObject",
        "ResponseStreamEvent",
        "ResponseUsage",
    ] {
        assert!(schemas[name].is_object(), "{name} missing");
    }
    assert!(schemas["ResponseRequest"]["properties"]["input"].is_object());
}

/// A recording of the mock's OpenAI Responses API.
fn recording(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../mock-upstream/recordings/openai")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[tokio::test(flavor = "multi_thread")]
async fn an_openai_deployment_answers_from_its_own_responses_api() {
    let recorded: Value =
        serde_json::from_str(&recording("responses-text.json")).expect("recorded JSON");
    let recorded_types: Vec<String> = recording("responses-stream-text.chunks.jsonl")
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|e| e["type"].as_str().map(str::to_owned))
        .collect();
    for mode in [Mode::Serve, Mode::Split] {
        let (mock, _dir, gw) = start(mode).await;
        let resp = post(
            &gw,
            "/responses",
            KEY,
            &json!({"model": "oa/text", "input": "hi"}),
        )
        .await;
        assert_eq!(resp.status(), 200, "{mode:?}");
        assert_eq!(header(&resp, "content-type"), "application/json");
        assert_eq!(header(&resp, "x-modelgate-provider"), "oa");
        let body: Value = resp.json().await.expect("JSON");
        for field in ["id", "object", "status", "model", "output", "usage"] {
            assert_eq!(body[field], recorded[field], "{mode:?}: {field}");
        }
        assert!(
            mock.requests()
                .iter()
                .any(|r| r.path.ends_with("/responses")),
            "{mode:?}: {:?}",
            mock.requests()
        );

        let resp = post(
            &gw,
            "/v1/responses",
            KEY,
            &json!({"model": "oa/text", "input": "hi", "stream": true}),
        )
        .await;
        assert_eq!(resp.status(), 200, "{mode:?}");
        let events = sse_events(&resp.text().await.expect("body"));
        let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, recorded_types, "{mode:?}");
    }
}
