//! OpenAI's Responses API shapes as modelgate accepts and returns them, for the OpenAPI
//! document only (the handler parses and renders with `modelgate::responses`). Fields that
//! take several JSON shapes are typed `Object` and described in words.

#![allow(dead_code)] // Read by the `ToSchema` derive, never constructed.

use serde::Serialize;
use utoipa::ToSchema;

/// `POST /v1/responses` body. Fields not listed are passed to upstreams with a Responses API
/// of their own (OpenAI, Azure) unchanged; the others are answered through chat.
#[derive(Serialize, ToSchema)]
pub struct ResponseRequest {
    /// `provider/model` (e.g. `openai/gpt-4o-mini`) or a configured alias.
    #[schema(example = "openai/gpt-4o-mini")]
    pub model: String,
    /// A string (one user message) or a list of input items. Required unless
    /// `previous_response_id` is given.
    #[schema(value_type = Object)]
    pub input: Option<serde_json::Value>,
    /// System (developer) instructions.
    pub instructions: Option<String>,
    /// Stream the answer as server-sent events (`event: <type>` / `data: {event}`).
    pub stream: Option<bool>,
    pub tools: Option<Vec<ResponseTool>>,
    /// `none`, `auto`, `required`, or `{"type":"function","name":…}`.
    #[schema(value_type = Option<Object>)]
    pub tool_choice: Option<serde_json::Value>,
    pub parallel_tool_calls: Option<bool>,
    /// Cap on generated tokens, reasoning included.
    pub max_output_tokens: Option<u32>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    /// `{"effort": "minimal"|"low"|"medium"|"high", "summary": "auto"|"concise"|"detailed"}`.
    #[schema(value_type = Option<Object>)]
    pub reasoning: Option<serde_json::Value>,
    /// `{"format": {"type": "text"|"json_object"|"json_schema", …}, "verbosity": …}`.
    #[schema(value_type = Option<Object>)]
    pub text: Option<serde_json::Value>,
    /// Continue from a stored response (OpenAI and Azure deployments only).
    pub previous_response_id: Option<String>,
    /// Whether the upstream stores the response (OpenAI and Azure deployments only).
    pub store: Option<bool>,
    pub metadata: Option<std::collections::HashMap<String, String>>,
    pub user: Option<String>,
    /// Models to try, in order, when this one fails before its first event (modelgate's
    /// routing option, as on chat).
    pub fallbacks: Option<Vec<String>>,
    /// Retries per model group (modelgate's routing option, as on chat).
    pub num_retries: Option<u32>,
}

/// A tool the model may call: a `function` tool, or a built-in tool (`web_search`, …) that
/// only OpenAI and Azure deployments run.
#[derive(Serialize, ToSchema)]
pub struct ResponseTool {
    /// `function`, or a built-in tool's type.
    #[serde(rename = "type")]
    pub kind: String,
    pub name: Option<String>,
    pub description: Option<String>,
    /// JSON Schema of the arguments.
    #[schema(value_type = Option<Object>)]
    pub parameters: Option<serde_json::Value>,
    pub strict: Option<bool>,
}

/// `response`: the answer to a non-streaming request, and the `response` of the
/// `response.created`, `.in_progress`, `.completed`, `.incomplete` and `.failed` events.
#[derive(Serialize, ToSchema)]
pub struct ResponseObject {
    /// `resp_…`.
    pub id: String,
    /// Always `response`.
    pub object: String,
    /// Unix seconds.
    pub created_at: i64,
    /// `in_progress`, `completed`, `incomplete` or `failed`.
    pub status: String,
    pub model: String,
    pub output: Vec<ResponseOutputItem>,
    pub usage: Option<ResponseUsage>,
    /// When `status` is `failed`: `{"code", "message"}`.
    #[schema(value_type = Option<Object>)]
    pub error: Option<serde_json::Value>,
    /// When `status` is `incomplete`: `{"reason": "max_output_tokens"|"content_filter"}`.
    #[schema(value_type = Option<Object>)]
    pub incomplete_details: Option<serde_json::Value>,
}

/// An output item: `message`, `function_call`, `reasoning`, or a built-in tool's call.
#[derive(Serialize, ToSchema)]
pub struct ResponseOutputItem {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    pub status: Option<String>,
    /// `message`: always `assistant`.
    pub role: Option<String>,
    /// `message`: `{"type":"output_text","text":…,"annotations":[]}` and
    /// `{"type":"refusal","refusal":…}` parts.
    #[schema(value_type = Option<Vec<Object>>)]
    pub content: Option<Vec<serde_json::Value>>,
    /// `function_call`: the id its output is sent back with.
    pub call_id: Option<String>,
    pub name: Option<String>,
    /// `function_call`: JSON text.
    pub arguments: Option<String>,
    /// `reasoning`: `{"type":"summary_text","text":…}` parts.
    #[schema(value_type = Option<Vec<Object>>)]
    pub summary: Option<Vec<serde_json::Value>>,
}

#[derive(Serialize, ToSchema)]
pub struct ResponseUsage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub total_tokens: u64,
    /// `{"cached_tokens": n}`.
    #[schema(value_type = Option<Object>)]
    pub input_tokens_details: Option<serde_json::Value>,
    /// `{"reasoning_tokens": n}`.
    #[schema(value_type = Option<Object>)]
    pub output_tokens_details: Option<serde_json::Value>,
}

/// One streamed event (the SSE `data:`; the SSE `event:` repeats `type`). The stream ends
/// after `response.completed`, `response.incomplete` or `response.failed`, or after an `error`
/// event (`code`, `message`, `param`) when the answer broke off.
#[derive(Serialize, ToSchema)]
pub struct ResponseStreamEvent {
    /// `response.created`, `response.output_item.added`, `response.output_text.delta`, …,
    /// `response.completed`, or `error`.
    #[serde(rename = "type")]
    pub kind: String,
    pub sequence_number: u64,
    /// On `response.*` lifecycle events.
    pub response: Option<ResponseObject>,
    pub output_index: Option<u32>,
    pub item_id: Option<String>,
    pub content_index: Option<u32>,
    /// `response.output_item.added` / `.done`.
    pub item: Option<ResponseOutputItem>,
    /// `*.delta` events.
    pub delta: Option<String>,
    /// `response.output_text.done`.
    pub text: Option<String>,
    /// `response.function_call_arguments.done`.
    pub arguments: Option<String>,
    /// `error` events.
    pub code: Option<String>,
    pub message: Option<String>,
    pub param: Option<String>,
}
