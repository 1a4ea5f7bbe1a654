//! The Anthropic adapter, against Anthropic's recorded Messages API data
//! (the mock's `/anthropic` routes; scenario table in
//! `mock-upstream/src/native/anthropic.rs`).

use serde_json::{Value, json};

use super::{IR, Spec, fails, fixture_json, sse_payloads};
use crate::checks::Cap;
use crate::gateway::PROVIDER_KEY;

/// Every capability but embeddings: Anthropic has no embeddings API.
const CAPS: &[Cap] = &[
    Cap::TextStream,
    Cap::NonStream,
    Cap::ImageInput,
    Cap::ToolDefinitions,
    Cap::ToolCallStream,
    Cap::ToolResult,
    Cap::Reasoning,
    Cap::Usage,
    Cap::Errors,
    Cap::MalformedUpstream,
    Cap::Disconnect,
    Cap::Grpc,
    Cap::Responses,
    Cap::KeysStayPut,
];

pub fn spec() -> Option<Spec> {
    let text_events = sse_payloads("anthropic/messages-stream-text.sse");
    let stream_text: String = text_events
        .iter()
        .filter_map(|p| p["delta"]["text"].as_str())
        .collect();
    // OpenAI's prompt_tokens include the cached ones; Anthropic's input_tokens do not.
    let start = &text_events
        .iter()
        .find(|p| p["type"] == "message_start")
        .expect("message_start")["message"]["usage"];
    let prompt = [
        "input_tokens",
        "cache_read_input_tokens",
        "cache_creation_input_tokens",
    ]
    .iter()
    .filter_map(|k| start[*k].as_u64())
    .sum::<u64>();
    let completion = text_events
        .iter()
        .rev()
        .find(|p| p["type"] == "message_delta")
        .and_then(|p| p["usage"]["output_tokens"].as_u64())
        .expect("message_delta usage");

    let message = fixture_json("anthropic/messages-text.json");
    assert_eq!(message["stop_reason"], "end_turn", "the recording changed");
    let non_stream: String = message["content"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| b["text"].as_str())
        .collect();

    let tool_events = sse_payloads("anthropic/messages-stream-tool-use.sse");
    let tool_name = tool_events
        .iter()
        .find(|p| p["content_block"]["type"] == "tool_use")
        .and_then(|p| p["content_block"]["name"].as_str())
        .expect("tool_use block")
        .to_owned();
    let tool_args: String = tool_events
        .iter()
        .filter_map(|p| p["delta"]["partial_json"].as_str())
        .collect();
    let tool_args: Value = serde_json::from_str(&tool_args).expect("recorded arguments are JSON");

    Some(Spec {
        name: "anthropic",
        provider_yaml: |mock| {
            format!(
                "{{ kind: anthropic, api_base: \"{}\", api_key: {PROVIDER_KEY} }}",
                mock.native_url("anthropic")
            )
        },
        caps: CAPS,
        text_stream: ("text", stream_text),
        non_stream: (
            "text",
            vec![
                ("/choices/0/message/content", json!(non_stream)),
                ("/choices/0/finish_reason", json!("stop")),
                (
                    "/usage/prompt_tokens",
                    json!(
                        [
                            "input_tokens",
                            "cache_read_input_tokens",
                            "cache_creation_input_tokens"
                        ]
                        .iter()
                        .filter_map(|k| message["usage"][*k].as_u64())
                        .sum::<u64>()
                    ),
                ),
                (
                    "/usage/completion_tokens",
                    message["usage"]["output_tokens"].clone(),
                ),
            ],
        ),
        tool_stream: ("tools", Box::leak(tool_name.into_boxed_str()), tool_args),
        reasoning_model: "thinking",
        usage: ("text", prompt, completion),
        errors: vec![
            // Anthropic names no code or field for this one.
            fails("error-400", 400, IR, None, None),
            fails("error-401", 401, IR, Some("invalid_api_key"), None),
            fails("error-404", 404, IR, Some("model_not_found"), None),
            fails(
                "error-429",
                429,
                "rate_limit_error",
                Some("rate_limit_exceeded"),
                None,
            ),
            fails("error-500", 502, "api_error", None, None),
            // Overloaded is the one failure that stays 503.
            fails("error-529", 503, "api_error", None, None),
            // Non-streamed: HTTP 529; streamed: HTTP 200 then an `error` event first.
            fails("overloaded", 503, "api_error", None, None),
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
        malformed_message: "upstream `anthropic` sent a malformed stream: upstream stream is not valid UTF-8 text",
        slow_model: "slow",
        chat_path: "/anthropic/v1/messages",
        image_sent: |body| {
            body["messages"][0]["content"][1]
                == json!({"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}})
        },
        tool_result_sent: |body| {
            let msgs = &body["messages"];
            let call = &msgs[1]["content"][0];
            let result = &msgs[2]["content"][0];
            call["type"] == "tool_use"
                && call["name"] == "get_weather"
                && call["input"] == json!({"city": "Mexico City"})
                && msgs[2]["role"] == "user"
                && result["type"] == "tool_result"
                && result["tool_use_id"] == call["id"]
                && result["content"] == "24°C and sunny"
        },
        tool_definition_sent: |body| {
            body["tools"][0]["name"] == "get_weather"
                && body["tools"][0]["input_schema"]["type"] == "object"
                && body["tool_choice"] == json!({"type": "auto"})
        },
        embeddings: None,
        responses_upstream: "chat",
    })
}
