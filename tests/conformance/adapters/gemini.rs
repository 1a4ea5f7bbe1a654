//! The Gemini adapter, against Gemini's recorded wire data (the mock serves
//! it under `/gemini`, scenarios in `mock-upstream/src/native/gemini.rs`).

use serde_json::{Value, json};

use super::{IR, Spec, fails, fixture_json, sse_payloads};
use crate::checks::Cap;
use crate::gateway::PROVIDER_KEY;

/// Text parts (thoughts excluded) of a Gemini response or SSE payload.
fn text_of(payload: &Value) -> String {
    payload["candidates"][0]["content"]["parts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["thought"] != true)
        .filter_map(|p| p["text"].as_str())
        .collect()
}

/// Whether a JSON value holds any of the keywords Gemini rejects, at any depth.
fn has_rejected_keyword(v: &Value) -> bool {
    match v {
        Value::Object(m) => {
            m.keys().any(|k| {
                matches!(
                    k.as_str(),
                    "$schema" | "additionalProperties" | "default" | "$ref" | "$defs"
                )
            }) || m.values().any(has_rejected_keyword)
        }
        Value::Array(a) => a.iter().any(has_rejected_keyword),
        _ => false,
    }
}

pub fn spec() -> Option<Spec> {
    let stream_text: String = sse_payloads("gemini/stream-text.sse")
        .iter()
        .map(text_of)
        .collect();
    let last_usage = sse_payloads("gemini/stream-text.sse")
        .into_iter()
        .rev()
        .find_map(|p| p.get("usageMetadata").cloned())
        .expect("usage in the stream");
    let count = |k: &str| last_usage[k].as_u64().unwrap_or(0);
    // Thoughts count as completion tokens.
    let (prompt, completion) = (
        count("promptTokenCount"),
        count("candidatesTokenCount") + count("thoughtsTokenCount"),
    );
    let call = sse_payloads("gemini/stream-function-call-single-chunk.sse")
        .into_iter()
        .find_map(|p| {
            p["candidates"][0]["content"]["parts"][0]
                .get("functionCall")
                .cloned()
        })
        .expect("a function call");
    // The spec wants a `&'static str`; one small leak per test run.
    let tool_name: &'static str = call["name"]
        .as_str()
        .map(|n| &*n.to_owned().leak())
        .unwrap_or_default();
    let embeddings = fixture_json("gemini/embed-batch.json");
    Some(Spec {
        name: "gemini",
        provider_yaml: |mock| {
            format!(
                "{{ kind: gemini, api_base: \"{}\", api_key: {PROVIDER_KEY} }}",
                mock.native_url("gemini")
            )
        },
        caps: Cap::ALL,
        text_stream: ("text", stream_text),
        non_stream: ("text", {
            let answer = fixture_json("gemini/generate-content-text.json");
            let usage = &answer["usageMetadata"];
            let count = |k: &str| usage[k].as_u64().unwrap_or(0);
            assert_eq!(
                answer["candidates"][0]["finishReason"], "STOP",
                "the recording changed"
            );
            vec![
                ("/choices/0/message/content", json!(text_of(&answer))),
                ("/choices/0/finish_reason", json!("stop")),
                ("/usage/prompt_tokens", json!(count("promptTokenCount"))),
                // Thoughts count as completion tokens.
                (
                    "/usage/completion_tokens",
                    json!(count("candidatesTokenCount") + count("thoughtsTokenCount")),
                ),
            ]
        }),
        tool_stream: ("tools", tool_name, call["args"].clone()),
        reasoning_model: "thinking",
        usage: ("text", prompt, completion),
        errors: vec![
            // Gemini answers a bad key with 400 API_KEY_INVALID; clients need 401.
            fails("error-401", 401, IR, Some("invalid_api_key"), None),
            fails("error-403", 403, "permission_error", None, None),
            fails("error-404", 404, IR, Some("model_not_found"), None),
            fails(
                "error-429",
                429,
                "rate_limit_error",
                Some("rate_limit_exceeded"),
                None,
            ),
            fails("error-503", 503, "api_error", None, None),
            // As OpenAI names it: the messages are too long.
            fails(
                "context-too-long",
                400,
                IR,
                Some("context_length_exceeded"),
                Some("messages"),
            ),
        ],
        malformed_model: "garbage",
        malformed_message: "upstream `gemini` sent a malformed stream: upstream stream is not valid UTF-8 text",
        slow_model: "slow",
        chat_path: "enerateContent",
        image_sent: |body| {
            let part = &body["contents"][0]["parts"][1]["inlineData"];
            part["mimeType"] == "image/png" && part["data"] == "iVBORw0KGgo="
        },
        tool_result_sent: |body| {
            let c = &body["contents"];
            c[1]["role"] == "model"
                && c[1]["parts"][0]["functionCall"]
                    == json!({"name": "get_weather", "args": {"city": "Mexico City"}})
                && c[2]["role"] == "user"
                && c[2]["parts"][0]["functionResponse"]
                    == json!({"name": "get_weather", "response": {"content": "24°C and sunny"}})
        },
        tool_definition_sent: |body| {
            let decl = &body["tools"][0]["functionDeclarations"][0];
            decl["name"] == "get_weather"
                && decl["parameters"]["type"] == "OBJECT"
                && decl["parameters"]["properties"]["city"]["type"] == "STRING"
                && !has_rejected_keyword(&body["tools"])
                && body["toolConfig"]["functionCallingConfig"]["mode"] == "AUTO"
        },
        embeddings: embeddings["embeddings"][0]["values"][0]
            .as_f64()
            .map(|v| ("gemini-embedding-001", v as f32)),
        responses_upstream: "chat",
    })
}
