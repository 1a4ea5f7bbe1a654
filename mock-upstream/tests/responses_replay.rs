//! Byte-for-byte replay of the Responses API routes (OpenAI's `/v1/responses`, Azure's
//! `/azure/openai/v1/responses` and `/azure/openai/responses?api-version=…`): every row of the
//! source table that names files is requested, and its status, body and `Content-Type`
//! compared with the recordings kept in this crate; the mock records the request bodies.

use mock_upstream::sources::{Framing, SOURCES, Source, file_path};
use mock_upstream::{MockUpstream, default_fixtures_dir};
use serde_json::{Value, json};

const SSE: &str = "text/event-stream; charset=utf-8";

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
}

async fn mock() -> MockUpstream {
    MockUpstream::start(default_fixtures_dir())
        .await
        .expect("mock starts")
}

/// The wire body of a row: JSON as recorded; a stream as `event: <type>\ndata: <line>\n\n` per
/// recorded line (OpenAI's Responses streaming framing, no `[DONE]`).
fn expected(source: &Source) -> (Vec<u8>, &'static str) {
    let file = source.files[0];
    let bytes = std::fs::read(file_path(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    match source.framing {
        Framing::Raw => (bytes, "application/json"),
        Framing::JsonlAsAnthropicSse => {
            let text = String::from_utf8(bytes).expect("utf-8");
            let body: String = text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| {
                    let v: Value = serde_json::from_str(l).expect("json line");
                    format!(
                        "event: {}\ndata: {l}\n\n",
                        v["type"].as_str().expect("type")
                    )
                })
                .collect();
            (body.into_bytes(), SSE)
        }
        other => panic!("{file}: framing {other:?} not used by the Responses routes"),
    }
}

fn request(mock: &MockUpstream, route: &str, path: &str, body: &Value) -> reqwest::RequestBuilder {
    let root = format!("http://{}", mock.addr());
    let http = client();
    match route {
        "openai-responses" => http.post(format!("{root}{path}")).json(body),
        _ => http
            .post(format!("{root}/azure{path}"))
            .header("api-key", "k")
            .json(body),
    }
}

async fn replay(route: &str, path: &str) -> usize {
    let mock = mock().await;
    let mut checked = 0;
    for source in SOURCES
        .iter()
        .filter(|s| s.route == route && !s.files.is_empty())
    {
        let streams = match source.stream {
            Some(stream) => vec![stream],
            None => vec![false, true],
        };
        for stream in streams {
            let what = format!("{route} {path} {} stream={stream}", source.model);
            let body = json!({"model": source.model, "stream": stream, "input": "hi"});
            let resp = request(&mock, route, path, &body)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            let (want, content_type) = expected(source);
            assert_eq!(resp.status().as_u16(), source.status, "{what}");
            assert_eq!(
                resp.headers()["content-type"].to_str().expect("ascii"),
                content_type,
                "{what}"
            );
            let got = resp.bytes().await.expect("body");
            assert!(
                got[..] == want[..],
                "{what}: body differs from {:?}",
                source.files
            );
            let seen = mock.requests().pop().expect("recorded");
            assert_eq!(seen.body, body, "{what}: the request body as sent");
            checked += 1;
        }
    }
    checked
}

#[tokio::test]
async fn openai_responses_route_replays_its_recordings() {
    assert!(replay("openai-responses", "/v1/responses").await >= 9);
    assert!(replay("openai-responses", "/responses").await >= 9);
}

#[tokio::test]
async fn azure_responses_routes_replay_their_recordings() {
    assert!(replay("azure-responses", "/openai/v1/responses").await >= 9);
    assert!(
        replay(
            "azure-responses",
            "/openai/responses?api-version=2025-04-01-preview"
        )
        .await
            >= 9
    );
}

#[tokio::test]
async fn azure_responses_need_a_key_and_the_dated_path_an_api_version() {
    let mock = mock().await;
    let root = format!("http://{}", mock.addr());
    let body = json!({"model": "text", "input": "hi"});
    let no_key = client()
        .post(format!("{root}/azure/openai/v1/responses"))
        .json(&body)
        .send()
        .await
        .expect("answer");
    assert_eq!(no_key.status(), 401);
    let no_version = client()
        .post(format!("{root}/azure/openai/responses"))
        .header("api-key", "k")
        .json(&body)
        .send()
        .await
        .expect("answer");
    assert_eq!(no_version.status(), 404);
    let missing = client()
        .post(format!("{root}/azure/openai/v1/responses"))
        .header("api-key", "k")
        .json(&json!({"model": "error-404", "input": "hi"}))
        .send()
        .await
        .expect("answer");
    assert_eq!(missing.status(), 404);
    let text = missing.text().await.expect("body");
    assert!(text.contains("DeploymentNotFound"), "{text}");
}

#[tokio::test]
async fn malformed_stream_cuts_its_second_event() {
    let mock = mock().await;
    let body = client()
        .post(format!("{}/responses", mock.base_url()))
        .json(&json!({"model": "malformed", "stream": true}))
        .send()
        .await
        .expect("answer")
        .text()
        .await
        .expect("body");
    let events: Vec<&str> = body.split("\n\n").filter(|e| !e.is_empty()).collect();
    assert_eq!(events.len(), 2, "{body}");
    let data = |e: &str| {
        e.split_once("\ndata: ")
            .map(|(_, d)| d.to_owned())
            .expect("data")
    };
    assert!(serde_json::from_str::<Value>(&data(events[0])).is_ok());
    assert!(serde_json::from_str::<Value>(&data(events[1])).is_err());
}
