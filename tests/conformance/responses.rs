//! The `responses` row: a streamed answer through `POST /v1/responses`. OpenAI and Azure answer
//! from their own Responses API (the recording the mock's source table names for a `responses`
//! request); the other adapters through chat, so the text is their streamed chat recording's.

use serde_json::Value;

use crate::adapters::{Spec, sse_payloads};

/// The mock's source-table route of a request: its Responses API rows are on a route of their
/// own (`openai-responses`, `azure-responses`), every other request on the adapter's.
pub fn route(spec: &Spec, request: &str) -> String {
    if request == "responses" {
        format!("{}-responses", spec.name)
    } else {
        spec.name.to_owned()
    }
}

/// A streamed Responses recording's events. Those kept in the mock's crate are named from the
/// repository root (`mock-upstream/recordings/…`, one event's `data:` per line); others are SSE
/// files in the fixtures folder.
fn recorded_events(file: &str) -> Result<Vec<Value>, String> {
    if !file.starts_with("mock-upstream/") {
        return Ok(sse_payloads(file));
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(file);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{file}: {e}"))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).map_err(|e| format!("{file}: {e}")))
        .collect()
}
use crate::gateway::Gateway;

type Check = Result<(), String>;

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

/// What the stream must carry: text, input tokens, output tokens.
fn expected(spec: &Spec) -> Result<(String, u64, u64), String> {
    let (m, text) = &spec.text_stream;
    if spec.responses_upstream == "chat" {
        let (usage_model, input, output) = spec.usage;
        ensure!(
            usage_model == *m,
            "the adapter's usage model {usage_model} is not its text model {m}"
        );
        return Ok((text.clone(), input, output));
    }
    let route = route(spec, spec.responses_upstream);
    let source = mock_upstream::sources::lookup(&route, spec.responses_upstream, m, true)
        .ok_or_else(|| format!("the mock's source table has no streamed {route} row for {m}"))?;
    let file = source
        .files
        .first()
        .ok_or_else(|| format!("the source row for {m} names no recording"))?;
    let events = recorded_events(file)?;
    let text: String = events
        .iter()
        .filter(|e| e["type"] == "response.output_text.delta")
        .filter_map(|e| e["delta"].as_str())
        .collect();
    let usage = &events
        .iter()
        .rev()
        .find(|e| e["type"] == "response.completed")
        .ok_or_else(|| format!("{file} has no response.completed"))?["response"]["usage"];
    let tokens = |k: &str| {
        usage[k]
            .as_u64()
            .ok_or_else(|| format!("{file}: usage.{k}"))
    };
    Ok((text, tokens("input_tokens")?, tokens("output_tokens")?))
}

/// `event: <type>` + `data: <json>` blocks; the event name must equal the data's `type`.
fn events(body: &str) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for block in body.replace("\r\n", "\n").split("\n\n") {
        let (mut name, mut data) = (None, None);
        for line in block.lines() {
            if let Some(v) = line.strip_prefix("event:") {
                name = Some(v.trim().to_owned());
            } else if let Some(v) = line.strip_prefix("data:") {
                data = Some(v.trim().to_owned());
            }
        }
        let Some(data) = data else { continue };
        if data == "[DONE]" {
            continue;
        }
        let value: Value =
            serde_json::from_str(&data).map_err(|e| format!("event is not JSON ({e}): {data}"))?;
        ensure!(
            name.as_deref() == value["type"].as_str(),
            "event name {name:?} differs from its type: {data}"
        );
        out.push(value);
    }
    Ok(out)
}

pub async fn streamed_text(spec: &Spec, gw: &Gateway) -> Check {
    let (want, input, output) = expected(spec)?;
    let body = serde_json::json!({
        "model": format!("{}/{}", spec.name, spec.text_stream.0),
        "stream": true,
        "input": "hi",
    });
    let resp = gw.post("/v1/responses", &body).await?;
    let status = resp.status().as_u16();
    let text = resp.text().await.map_err(|e| format!("body: {e}"))?;
    ensure!(status == 200, "status {status}: {text}");
    let events = events(&text)?;
    let types: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
    ensure!(
        types.starts_with(&["response.created", "response.in_progress"]),
        "does not open with created, in_progress: {types:?}"
    );
    ensure!(
        types.last() == Some(&"response.completed"),
        "does not end with response.completed: {types:?}"
    );
    let first_delta = types
        .iter()
        .position(|t| *t == "response.output_text.delta")
        .ok_or_else(|| format!("no text delta: {types:?}"))?;
    let item = &events[first_delta]["item_id"];
    ensure!(
        events[..first_delta]
            .iter()
            .any(|e| e["type"] == "response.output_item.added" && e["item"]["id"] == *item),
        "the first delta comes before its output_item.added: {types:?}"
    );
    let got: String = events
        .iter()
        .filter(|e| e["type"] == "response.output_text.delta")
        .filter_map(|e| e["delta"].as_str())
        .collect();
    ensure!(
        got == want,
        "streamed text differs:\n got {got:?}\nwant {want:?}"
    );
    let usage = &events[events.len() - 1]["response"]["usage"];
    ensure!(
        usage["input_tokens"] == input && usage["output_tokens"] == output,
        "usage {usage} != {input}/{output}"
    );
    Ok(())
}
