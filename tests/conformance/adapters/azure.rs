//! The Azure OpenAI adapter, against Azure's recorded wire data (text,
//! non-stream, usage) and, where Azure has no recording, the OpenAI ones the
//! mock serves under Azure's routes (Azure answers in OpenAI's format).

use serde_json::Value;

use super::{IR, Spec, fails, fixture, fixture_json, sse_payloads};
use crate::checks::Cap;
use crate::gateway::PROVIDER_KEY;

/// Azure's stream recording: one `data:` payload per line.
fn stream_payloads() -> Vec<Value> {
    String::from_utf8(fixture("azure/chat-stream-model-router.chunks.jsonl"))
        .expect("utf8")
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

pub fn spec() -> Option<Spec> {
    let payloads = stream_payloads();
    let stream_text: String = payloads
        .iter()
        .filter_map(|p| {
            p["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    let usage = payloads
        .iter()
        .rev()
        .find(|p| p["usage"].is_object())
        .map(|p| p["usage"].clone())
        .expect("usage payload");
    let completion = fixture_json("azure/chat-completion-content-filter-results.json");
    let tool_deltas: Vec<Value> = sse_payloads("openai/chat-stream-tool-call-args-usage.sse")
        .iter()
        .filter_map(|p| {
            p["choices"][0]["delta"]["tool_calls"][0]
                .as_object()
                .cloned()
                .map(Value::Object)
        })
        .collect();
    let tool_name: &'static str = Box::leak(
        tool_deltas
            .iter()
            .find_map(|d| d["function"]["name"].as_str())
            .expect("tool name")
            .to_owned()
            .into_boxed_str(),
    );
    let tool_args: String = tool_deltas
        .iter()
        .filter_map(|d| d["function"]["arguments"].as_str())
        .collect();
    let embeddings = fixture_json("openai/embeddings.json");
    Some(Spec {
        name: "azure",
        // No api_version: the config's default for `azure` entries applies,
        // and the mock refuses requests without one.
        provider_yaml: |mock| {
            format!(
                "{{ kind: azure, api_base: \"{}\", api_key: {PROVIDER_KEY} }}",
                mock.native_url("azure")
            )
        },
        caps: Cap::ALL,
        text_stream: ("text", stream_text),
        non_stream: ("text", super::openai::same_as_recorded(&completion)),
        tool_stream: (
            "tools",
            tool_name,
            serde_json::from_str(&tool_args).expect("recorded arguments are JSON"),
        ),
        // DeepSeek's recording: Azure's own o-series/gpt-5 deployments return no
        // reasoning text, Foundry's DeepSeek-R1 sends `reasoning_content`.
        reasoning_model: "thinking",
        usage: (
            "text",
            usage["prompt_tokens"].as_u64().unwrap_or(0),
            usage["completion_tokens"].as_u64().unwrap_or(0),
        ),
        errors: vec![
            fails(
                "content-filter",
                400,
                IR,
                Some("content_filter"),
                Some("prompt"),
            ),
            fails("error-401", 401, IR, Some("invalid_api_key"), None),
            // Azure's DeploymentNotFound.
            fails("error-404", 404, IR, Some("model_not_found"), None),
            fails(
                "error-429",
                429,
                "rate_limit_error",
                Some("rate_limit_exceeded"),
                None,
            ),
            fails("error-500", 502, "server_error", None, None),
            // An HTML page: no type or code to keep; 503 because the upstream said 503.
            fails("error-503-html", 503, "api_error", None, None),
        ],
        malformed_model: "garbage",
        malformed_message: "upstream `azure` sent a malformed stream: upstream stream is not valid UTF-8 text",
        slow_model: "slow",
        chat_path: "/openai/deployments/",
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
            // The deployment is in the URL; the body carries no model.
            body.get("model").is_none()
                && body["tools"][0]["function"]["name"] == "get_weather"
                && body["tools"][0]["function"]["parameters"]["type"] == "object"
        },
        embeddings: embeddings["data"][0]["embedding"][0]
            .as_f64()
            .map(|v| ("text", v as f32)),
        responses_upstream: "responses",
    })
}
