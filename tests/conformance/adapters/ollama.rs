//! The Ollama native adapter, against Ollama's recorded wire data (the
//! mock's scenario table is in `mock-upstream/src/native/ollama.rs`).

use serde_json::{Value, json};

use super::{IR, Spec, fails, fixture, fixture_json};
use crate::checks::Cap;
use crate::gateway::PROVIDER_KEY;

/// The NDJSON lines of a fixture, parsed.
fn ndjson(path: &str) -> Vec<Value> {
    let text = String::from_utf8(fixture(path)).expect("utf8");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("an NDJSON line"))
        .collect()
}

pub fn spec() -> Option<Spec> {
    let stream = ndjson("ollama/chat-stream.ndjson");
    let stream_text: String = stream
        .iter()
        .filter_map(|l| l["message"]["content"].as_str())
        .collect();
    let last = stream.last().expect("a final line");
    // No non-streamed text answer was captured (the mock's `text` answer is a
    // docs example): the non-streamed check replays the captured answer with
    // thinking and a tool call.
    let answer = fixture_json("ollama/chat-tool-calls-thinking.json");
    let recorded = &answer["message"];
    assert_eq!(recorded["content"], "", "the recording changed");
    let tool = fixture_json("ollama/chat-stream-tool-calls.docs.chunk.json");
    let call = &tool["message"]["tool_calls"][0]["function"];
    assert_eq!(
        call["name"], "get_weather",
        "the docs tool-call example changed"
    );
    let embed = fixture_json("ollama/embed.json");
    Some(Spec {
        name: "ollama",
        provider_yaml: |mock| {
            format!(
                "{{ kind: ollama, api_base: \"{}\", api_key: {PROVIDER_KEY} }}",
                mock.native_url("ollama")
            )
        },
        // Reasoning is left out: no recorded `/api/chat` stream carries
        // `thinking` followed by content (the fixtures README lists it as not
        // found), so the check's "reasoning, then content" cannot be replayed
        // honestly. thinking → reasoning_content is unit-tested in
        // `core/src/providers/ollama/response.rs` from chat-tool-calls-thinking.json.
        caps: &[
            Cap::TextStream,
            Cap::NonStream,
            Cap::ImageInput,
            Cap::ToolDefinitions,
            Cap::ToolCallStream,
            Cap::ToolResult,
            Cap::Usage,
            Cap::Errors,
            Cap::MalformedUpstream,
            Cap::Disconnect,
            Cap::Grpc,
            Cap::Responses,
            Cap::Embeddings,
            Cap::KeysStayPut,
        ],
        text_stream: ("text", stream_text),
        non_stream: (
            "thinking",
            vec![
                // OpenAI sends null content next to tool calls.
                ("/choices/0/message/content", Value::Null),
                (
                    "/choices/0/message/reasoning_content",
                    recorded["thinking"].clone(),
                ),
                (
                    "/choices/0/message/tool_calls/0/function/name",
                    recorded["tool_calls"][0]["function"]["name"].clone(),
                ),
                ("/choices/0/finish_reason", json!("tool_calls")),
                ("/usage/prompt_tokens", answer["prompt_eval_count"].clone()),
                ("/usage/completion_tokens", answer["eval_count"].clone()),
            ],
        ),
        tool_stream: ("tools", "get_weather", call["arguments"].clone()),
        reasoning_model: "thinking",
        usage: (
            "text",
            last["prompt_eval_count"].as_u64().unwrap_or(0),
            last["eval_count"].as_u64().unwrap_or(0),
        ),
        errors: vec![
            // "does not support tools": the request field at fault is named.
            fails(
                "error-400",
                400,
                IR,
                Some("unsupported_parameter"),
                Some("tools"),
            ),
            fails(
                "error-400-think",
                400,
                IR,
                Some("unsupported_value"),
                Some("reasoning_effort"),
            ),
            fails("error-404", 404, IR, Some("model_not_found"), None),
            fails("error-500", 502, "api_error", None, None),
        ],
        malformed_model: "garbage",
        malformed_message: "upstream `ollama` sent malformed JSON: expected value at line 1 column 1",
        slow_model: "slow",
        chat_path: "/ollama/api/chat",
        image_sent: |body| {
            let msg = &body["messages"][0];
            msg["images"][0] == "iVBORw0KGgo=" && msg["content"] == "What is in this image?"
        },
        tool_result_sent: |body| {
            let msgs = &body["messages"];
            let call = &msgs[1]["tool_calls"][0]["function"];
            call["name"] == "get_weather"
                && call["arguments"]["city"] == "Mexico City"
                && msgs[2]["role"] == "tool"
                && msgs[2]["tool_name"] == "get_weather"
                && msgs[2]["content"] == "24°C and sunny"
        },
        tool_definition_sent: |body| {
            body["tools"][0]["type"] == "function"
                && body["tools"][0]["function"]["name"] == "get_weather"
                && body["tools"][0]["function"]["parameters"]["type"] == "object"
        },
        #[allow(clippy::cast_possible_truncation)]
        embeddings: embed["embeddings"][0][0]
            .as_f64()
            .map(|v| ("nomic-embed-text", v as f32)),
        responses_upstream: "chat",
    })
}
