//! What the lifecycle tests send over HTTP: one chat, a stream read to its end, a status.
#![allow(dead_code)]

use futures::StreamExt;
use serde_json::{Value, json};

/// A one-message chat request body.
pub fn body(model: &str, stream: bool) -> Value {
    json!({"model": model, "stream": stream, "messages": [{"role": "user", "content": "hi"}]})
}

/// Sends a non-streamed chat to `base` (`http://host:port`) with `key` (none: no header) and
/// returns the status and the JSON body (`Null` when the body is not JSON).
pub async fn chat(base: &str, key: Option<&str>, model: &str) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{base}/v1/chat/completions"))
        .json(&body(model, false));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let response = request.send().await.expect("answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The status of a GET on `base` + `path`, 0 when nothing answered.
pub async fn get_status(base: &str, path: &str) -> u16 {
    reqwest::get(format!("{base}{path}"))
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

/// A GET's status and body text; 0 and empty when nothing answered.
pub async fn get(base: &str, path: &str) -> (u16, String) {
    match reqwest::get(format!("{base}{path}")).await {
        Ok(r) => (r.status().as_u16(), r.text().await.unwrap_or_default()),
        Err(_) => (0, String::new()),
    }
}

/// Opens a streamed chat, waits for its first bytes (so it is running in the gateway), and
/// returns a task that collects the whole body, first bytes included.
pub async fn open_stream(base: &str, key: &str, model: &str) -> tokio::task::JoinHandle<String> {
    let response = reqwest::Client::new()
        .post(format!("{base}/v1/chat/completions"))
        .bearer_auth(key)
        .json(&body(model, true))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 200, "stream refused");
    let mut chunks = response.bytes_stream();
    let first = chunks.next().await.expect("first chunk").expect("readable");
    tokio::spawn(async move {
        let mut text = String::from_utf8_lossy(&first).into_owned();
        while let Some(chunk) = chunks.next().await {
            match chunk {
                Ok(chunk) => text.push_str(&String::from_utf8_lossy(&chunk)),
                Err(err) => {
                    text.push_str(&format!("\n<body error: {err}>"));
                    break;
                }
            }
        }
        text
    })
}

/// The `data:` payloads of an SSE body, in order.
pub fn events(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(str::to_owned)
        .collect()
}
