//! The OpenAI-compatible adapter, against OpenAI's recorded wire data.

use serde_json::{Value, json};

use super::{IR, Spec, fails, fixture_json, sse_payloads};
use crate::checks::Cap;
use crate::gateway::PROVIDER_KEY;

pub fn spec() -> Option<Spec> {
    let stream_text: String = sse_payloads("openai/chat-stream-text-include-usage.sse")
        .iter()
        .filter_map(|p| {
            p["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    let usage = sse_payloads("openai/chat-stream-text-include-usage.sse")
        .into_iter()
        .rev()
        .find(|p| p["usage"].is_object())
        .map(|p| p["usage"].clone())
        .expect("usage chunk");
    let completion = fixture_json("openai/chat-completion-text.json");
    let embeddings = fixture_json("openai/embeddings.json");
    Some(Spec {
        name: "openai",
        provider_yaml: |mock| {
            format!(
                "{{ kind: openai, api_base: \"{}\", api_key: {PROVIDER_KEY} }}",
                mock.base_url()
            )
        },
        caps: Cap::ALL,
        text_stream: ("text", stream_text),
        non_stream: ("text", same_as_recorded(&completion)),
        tool_stream: ("tools", "get_weather", json!({"city": "Mexico City"})),
        reasoning_model: "deepseek-reasoner",
        usage: (
            "text",
            usage["prompt_tokens"].as_u64().unwrap_or(0),
            usage["completion_tokens"].as_u64().unwrap_or(0),
        ),
        errors: vec![
            // OpenAI's own fields, passed through.
            fails(
                "error-400",
                400,
                IR,
                Some("unsupported_parameter"),
                Some("max_tokens"),
            ),
            fails("error-401", 401, IR, Some("invalid_api_key"), None),
            fails("error-404", 404, IR, Some("model_not_found"), None),
            fails(
                "error-429",
                429,
                "rate_limit_error",
                Some("rate_limit_exceeded"),
                None,
            ),
            // A 5xx is a bad gateway (502) that keeps the upstream's type.
            fails("error-500", 502, "server_error", None, None),
        ],
        malformed_model: "garbage",
        malformed_message: "upstream `openai` sent a malformed stream: upstream stream is not valid UTF-8 text",
        slow_model: "slow",
        chat_path: "/chat/completions",
        image_sent: |body| {
            body["messages"][0]["content"][1]["image_url"]["url"]
                .as_str()
                .is_some_and(|u| u.starts_with("data:image/png;base64,"))
        },
        tool_result_sent: |body| {
            let msgs = &body["messages"];
            msgs[1]["tool_calls"][0]["function"]["name"] == "get_weather"
                && msgs[2]["role"] == "tool"
                && msgs[2]["tool_call_id"] == msgs[1]["tool_calls"][0]["id"]
        },
        tool_definition_sent: |body| {
            body["tools"][0]["function"]["name"] == "get_weather"
                && body["tools"][0]["function"]["parameters"]["type"] == "object"
        },
        embeddings: embeddings["data"][0]["embedding"][0]
            .as_f64()
            .map(|v| ("text", v as f32)),
        responses_upstream: "responses",
    })
}

/// What a non-streamed OpenAI-format recording must come through as: its content, finish
/// reason and token counts, unchanged.
pub fn same_as_recorded(completion: &Value) -> Vec<(&'static str, Value)> {
    vec![
        (
            "/choices/0/message/content",
            completion["choices"][0]["message"]["content"].clone(),
        ),
        (
            "/choices/0/finish_reason",
            completion["choices"][0]["finish_reason"].clone(),
        ),
        (
            "/usage/prompt_tokens",
            completion["usage"]["prompt_tokens"].clone(),
        ),
        (
            "/usage/completion_tokens",
            completion["usage"]["completion_tokens"].clone(),
        ),
    ]
}
