//! OpenAI's request and response shapes as modelgate accepts and returns
//! them, for the OpenAPI document only (the handlers parse and render by
//! hand). Fields that take several JSON shapes are typed `Object` here and
//! described in words.

#![allow(dead_code)] // Read by the `ToSchema` derive, never constructed.

use serde::Serialize;
use utoipa::ToSchema;

/// `POST /v1/chat/completions` body.
#[derive(Serialize, ToSchema)]
pub struct ChatCompletionRequest {
    /// `provider/model` (e.g. `openai/gpt-4o-mini`) or a configured alias.
    #[schema(example = "openai/gpt-4o-mini")]
    pub model: String,
    pub messages: Vec<ChatMessage>,
    /// Stream the answer as server-sent events (`data: {chunk}` … `data: [DONE]`).
    pub stream: Option<bool>,
    pub stream_options: Option<StreamOptions>,
    pub tools: Option<Vec<Tool>>,
    /// `none`, `auto`, `required`, or `{"type":"function","function":{"name":…}}`.
    #[schema(value_type = Option<Object>)]
    pub tool_choice: Option<serde_json::Value>,
    pub parallel_tool_calls: Option<bool>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub max_tokens: Option<u32>,
    pub max_completion_tokens: Option<u32>,
    /// A string or up to four strings.
    #[schema(value_type = Option<Object>)]
    pub stop: Option<serde_json::Value>,
    pub seed: Option<i64>,
    pub n: Option<u32>,
    pub presence_penalty: Option<f64>,
    pub frequency_penalty: Option<f64>,
    /// `{"type":"text"}`, `{"type":"json_object"}` or `{"type":"json_schema","json_schema":{…}}`.
    #[schema(value_type = Option<Object>)]
    pub response_format: Option<serde_json::Value>,
    /// `minimal`, `low`, `medium` or `high`, for reasoning models.
    pub reasoning_effort: Option<String>,
    pub user: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    Developer,
    User,
    Assistant,
    Tool,
}

/// One conversation message.
#[derive(Serialize, ToSchema)]
pub struct ChatMessage {
    pub role: Role,
    /// A string, or an array of parts: `{"type":"text","text":…}` and
    /// `{"type":"image_url","image_url":{"url":…,"detail"?}}` (http(s) or `data:` URLs).
    #[schema(value_type = Object)]
    pub content: Option<serde_json::Value>,
    pub name: Option<String>,
    /// On assistant messages: the calls it made.
    pub tool_calls: Option<Vec<ToolCall>>,
    /// On tool messages: the call answered.
    pub tool_call_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct StreamOptions {
    /// Send a last chunk with `usage` and empty `choices`.
    pub include_usage: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct Tool {
    /// Always `function`.
    #[serde(rename = "type")]
    pub kind: String,
    pub function: FunctionDefinition,
}

#[derive(Serialize, ToSchema)]
pub struct FunctionDefinition {
    pub name: String,
    pub description: Option<String>,
    /// JSON Schema of the arguments.
    #[schema(value_type = Option<Object>)]
    pub parameters: Option<serde_json::Value>,
    pub strict: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct ToolCall {
    pub id: String,
    /// Always `function`.
    #[serde(rename = "type")]
    pub kind: String,
    pub function: FunctionCall,
}

#[derive(Serialize, ToSchema)]
pub struct FunctionCall {
    pub name: String,
    /// JSON text.
    pub arguments: String,
}

/// `chat.completion`: the answer to a non-streaming request.
#[derive(Serialize, ToSchema)]
pub struct ChatCompletion {
    pub id: String,
    /// Always `chat.completion`.
    pub object: String,
    pub created: i64,
    pub model: String,
    pub choices: Vec<ChatChoice>,
    pub usage: Option<Usage>,
    pub system_fingerprint: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ChatChoice {
    pub index: u32,
    pub message: AssistantMessage,
    /// `stop`, `length`, `tool_calls` or `content_filter`.
    pub finish_reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AssistantMessage {
    /// Always `assistant`.
    pub role: String,
    pub content: Option<String>,
    /// Reasoning text, from providers that return it.
    pub reasoning_content: Option<String>,
    pub tool_calls: Option<Vec<ToolCall>>,
    pub refusal: Option<String>,
}

/// One `chat.completion.chunk` event of a streamed answer.
#[derive(Serialize, ToSchema)]
pub struct ChatCompletionChunk {
    pub id: String,
    /// Always `chat.completion.chunk`.
    pub object: String,
    pub created: i64,
    pub model: String,
    pub choices: Vec<ChunkChoice>,
    /// Only on the last chunk, with `stream_options.include_usage`.
    pub usage: Option<Usage>,
}

#[derive(Serialize, ToSchema)]
pub struct ChunkChoice {
    pub index: u32,
    pub delta: Delta,
    pub finish_reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Delta {
    pub role: Option<String>,
    pub content: Option<String>,
    pub reasoning_content: Option<String>,
    /// Partial calls: `index`, and `id`/`function.name` on the first delta of each.
    #[schema(value_type = Option<Vec<Object>>)]
    pub tool_calls: Option<Vec<serde_json::Value>>,
}

#[derive(Serialize, ToSchema)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
    /// `cached_tokens`.
    #[schema(value_type = Option<Object>)]
    pub prompt_tokens_details: Option<serde_json::Value>,
    /// `reasoning_tokens`.
    #[schema(value_type = Option<Object>)]
    pub completion_tokens_details: Option<serde_json::Value>,
}

/// `POST /v1/embeddings` body.
#[derive(Serialize, ToSchema)]
pub struct EmbeddingsRequest {
    #[schema(example = "openai/text-embedding-3-small")]
    pub model: String,
    /// A string, an array of strings, or token arrays.
    #[schema(value_type = Object)]
    pub input: serde_json::Value,
    /// `float` (default) or `base64` (little-endian f32).
    pub encoding_format: Option<String>,
    pub dimensions: Option<u32>,
    pub user: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct EmbeddingsResponse {
    /// Always `list`.
    pub object: String,
    pub data: Vec<Embedding>,
    pub model: String,
    pub usage: EmbeddingsUsage,
}

#[derive(Serialize, ToSchema)]
pub struct Embedding {
    /// Always `embedding`.
    pub object: String,
    pub index: u32,
    /// Numbers, or a base64 string with `encoding_format: base64`.
    #[schema(value_type = Object)]
    pub embedding: serde_json::Value,
}

#[derive(Serialize, ToSchema)]
pub struct EmbeddingsUsage {
    pub prompt_tokens: u64,
    pub total_tokens: u64,
}

/// `GET /v1/models` answer.
#[derive(Serialize, ToSchema)]
pub struct ModelList {
    /// Always `list`.
    pub object: String,
    pub data: Vec<Model>,
}

/// One model: OpenAI's four keys, then what modelgate knows about it in the
/// keys LobeChat reads (each present only when known).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Model {
    /// The name to send as `model`.
    pub id: String,
    /// Always `model`.
    pub object: String,
    /// Unix seconds (0 when unknown).
    pub created: i64,
    /// The provider, or `modelgate` for aliases.
    #[serde(rename = "owned_by")]
    pub owned_by: String,
    pub display_name: Option<String>,
    /// Input context window in tokens.
    pub context_window_tokens: Option<i64>,
    /// Most tokens one completion may produce.
    pub max_output: Option<i64>,
    pub function_call: Option<bool>,
    pub vision: Option<bool>,
    pub reasoning: Option<bool>,
    /// `chat`, `embedding`, …
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub pricing: Option<Pricing>,
    /// `true` for models the operator named (aliases, a provider's `models:` list); absent for
    /// models a provider reports.
    pub enabled: Option<bool>,
}

/// USD per million tokens.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Pricing {
    pub input: Option<f64>,
    pub output: Option<f64>,
    pub cached_input: Option<f64>,
}

/// Every error, whatever the status.
#[derive(Serialize, ToSchema)]
pub struct ErrorResponse {
    pub error: ErrorBody,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub message: String,
    /// `invalid_request_error`, `authentication_error`, `permission_error`,
    /// `not_found_error`, `rate_limit_error`, `api_error`, …
    #[serde(rename = "type")]
    pub kind: String,
    pub param: Option<String>,
    /// `invalid_api_key`, `model_not_found`, `model_not_allowed`, …
    pub code: Option<String>,
}

/// `GET /health` and `GET /health/ready` answers.
#[derive(Serialize, ToSchema)]
pub struct Status {
    /// `ok`, `ready` or `not ready`.
    pub status: String,
    pub reason: Option<String>,
}

/// `GET /model/info` answer (LiteLLM's shape).
#[derive(Serialize, ToSchema)]
pub struct ModelInfoList {
    pub data: Vec<DeploymentInfo>,
}

/// One `model_list` deployment.
#[derive(Serialize, ToSchema)]
pub struct DeploymentInfo {
    pub model_name: String,
    /// `model`, `api_base` (password and query redacted), `api_version`, `timeout`,
    /// `stream_timeout`, `rpm`, `tpm`, `weight`, `max_retries`, `order`; never `api_key` or
    /// header values.
    #[schema(value_type = Object)]
    pub litellm_params: serde_json::Value,
    /// `id`, `litellm_provider`, the catalogue's data under LiteLLM's names
    /// (`max_input_tokens`, `input_cost_per_token`, `mode`, …), then the config's `model_info`.
    #[schema(value_type = Object)]
    pub model_info: serde_json::Value,
}

/// `GET /health?model=` answer (LiteLLM's shape). Each endpoint is the deployment's
/// `litellm_params` (no secrets) with `model_name`, and `error` when unhealthy.
#[derive(Serialize, ToSchema)]
pub struct HealthReport {
    #[schema(value_type = Vec<Object>)]
    pub healthy_endpoints: Vec<serde_json::Value>,
    #[schema(value_type = Vec<Object>)]
    pub unhealthy_endpoints: Vec<serde_json::Value>,
    pub healthy_count: u64,
    pub unhealthy_count: u64,
}
