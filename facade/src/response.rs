//! The core's answers rendered as OpenAI JSON bodies.
//!
//! Everything here serialises borrowed views of the protobuf messages straight
//! to bytes (no intermediate `serde_json::Value`): [`chunk_json`] runs once per
//! streamed token batch. SSE framing (`data: …\n\n`) is the caller's.

use std::collections::HashMap;

use base64::Engine as _;
use modelgate::v1::{
    ChatCompletionChunk, Choice, Delta, EmbedResponse, Embedding, Model, ModelMetadata, Role,
    ToolCall, Usage,
};
use prost_types::value::Kind;
use serde::{Serialize, Serializer};

use crate::request::EncodingFormat;

mod model_metadata;
#[cfg(test)]
mod tests;

use model_metadata::MetadataOut;

const CHUNK_OBJECT: &str = "chat.completion.chunk";

/// One `chat.completion.chunk` JSON object (no SSE framing).
///
/// `include_usage_null`: OpenAI sends `"usage": null` on every chunk when the
/// client asked for `stream_options.include_usage`; without it the key is
/// omitted. A chunk whose `usage` is set renders it either way: a caller that
/// wants OpenAI's separate usage chunk clears it and uses
/// [`usage_chunk_json`].
pub fn chunk_json(chunk: &ChatCompletionChunk, include_usage_null: bool) -> Vec<u8> {
    let usage = match &chunk.usage {
        Some(usage) => UsageField::Set(UsageOut::from(usage)),
        None if include_usage_null => UsageField::Null,
        None => UsageField::Absent,
    };
    to_json(
        &ChunkOut {
            id: &chunk.id,
            object: CHUNK_OBJECT,
            created: chunk.created,
            model: &chunk.model,
            service_tier: chunk.service_tier.as_deref(),
            system_fingerprint: chunk.system_fingerprint.as_deref(),
            choices: Choices(&chunk.choices),
            usage,
        },
        256,
    )
}

/// Splits a chunk so that no delta carries both a non-empty
/// `reasoning_content` and a non-empty `content` (LobeChat drops the content
/// otherwise). Returns the chunk unchanged, or two chunks: first the
/// reasoning (with the role) of each affected choice, then the original chunk
/// without it (content, tool calls, refusal, finish reason, logprobs, usage).
pub fn split_reasoning(mut chunk: ChatCompletionChunk) -> Vec<ChatCompletionChunk> {
    if !chunk.choices.iter().any(has_both) {
        return vec![chunk];
    }
    let mut reasoning = Vec::new();
    for choice in &mut chunk.choices {
        if !has_both(choice) {
            continue;
        }
        if let Some(delta) = choice.delta.as_mut() {
            reasoning.push(Choice {
                index: choice.index,
                delta: Some(Delta {
                    role: delta.role.take(),
                    reasoning_content: delta.reasoning_content.take(),
                    ..Delta::default()
                }),
                finish_reason: None,
                logprobs: None,
            });
        }
    }
    let first = ChatCompletionChunk {
        id: chunk.id.clone(),
        model: chunk.model.clone(),
        created: chunk.created,
        system_fingerprint: chunk.system_fingerprint.clone(),
        choices: reasoning,
        usage: None,
        service_tier: chunk.service_tier.clone(),
    };
    vec![first, chunk]
}

fn has_both(choice: &Choice) -> bool {
    choice.delta.as_ref().is_some_and(|d| {
        d.reasoning_content
            .as_deref()
            .is_some_and(|r| !r.is_empty())
            && d.content.as_deref().is_some_and(|c| !c.is_empty())
    })
}

/// The usage-only chunk OpenAI sends last with `include_usage`:
/// `{"id","object":"chat.completion.chunk","created","model","system_fingerprint"?,"choices":[],"usage":{…}}`.
pub fn usage_chunk_json(
    id: &str,
    model: &str,
    created: i64,
    system_fingerprint: Option<&str>,
    usage: &Usage,
) -> Vec<u8> {
    to_json(
        &ChunkOut {
            id,
            object: CHUNK_OBJECT,
            created,
            model,
            service_tier: None,
            system_fingerprint,
            choices: Choices(&[]),
            usage: UsageField::Set(UsageOut::from(usage)),
        },
        256,
    )
}

/// Folds the chunks of a non-streamed answer (normally exactly one) into a
/// `chat.completion` JSON object.
///
/// Per choice index: content, reasoning and refusal are concatenated; tool
/// call fragments are merged by `ToolCall.index` (id, type and name are taken
/// from the first fragment that has them, arguments are appended); the last
/// finish reason wins; logprobs lists are concatenated. The first non-empty
/// id and model and the last usage, fingerprint and service tier are kept.
#[derive(Debug, Default)]
pub struct CompletionBuilder {
    id: String,
    model: String,
    created: i64,
    system_fingerprint: Option<String>,
    service_tier: Option<String>,
    usage: Option<Usage>,
    choices: Vec<ChoiceAcc>,
}

#[derive(Debug)]
struct ChoiceAcc {
    index: u32,
    role: Option<&'static str>,
    content: Option<String>,
    reasoning: Option<String>,
    refusal: Option<String>,
    tool_calls: Vec<ToolCallAcc>,
    finish_reason: Option<String>,
    logprobs: Option<prost_types::Struct>,
}

#[derive(Debug)]
struct ToolCallAcc {
    index: u32,
    id: Option<String>,
    kind: Option<String>,
    name: Option<String>,
    arguments: String,
}

impl CompletionBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one chunk of the answer.
    pub fn push(&mut self, chunk: ChatCompletionChunk) {
        if self.id.is_empty() {
            self.id = chunk.id;
        }
        if self.model.is_empty() {
            self.model = chunk.model;
        }
        if self.created == 0 {
            self.created = chunk.created;
        }
        if chunk.system_fingerprint.is_some() {
            self.system_fingerprint = chunk.system_fingerprint;
        }
        if chunk.service_tier.is_some() {
            self.service_tier = chunk.service_tier;
        }
        if chunk.usage.is_some() {
            self.usage = chunk.usage;
        }
        for choice in chunk.choices {
            self.push_choice(choice);
        }
    }

    fn push_choice(&mut self, choice: Choice) {
        let pos = match self.choices.iter().position(|c| c.index == choice.index) {
            Some(pos) => pos,
            None => {
                self.choices.push(ChoiceAcc {
                    index: choice.index,
                    role: None,
                    content: None,
                    reasoning: None,
                    refusal: None,
                    tool_calls: Vec::new(),
                    finish_reason: None,
                    logprobs: None,
                });
                self.choices.len() - 1
            }
        };
        let Some(acc) = self.choices.get_mut(pos) else {
            return;
        };
        if choice.finish_reason.is_some() {
            acc.finish_reason = choice.finish_reason;
        }
        if let Some(logprobs) = choice.logprobs {
            merge_logprobs(&mut acc.logprobs, logprobs);
        }
        let Some(delta) = choice.delta else {
            return;
        };
        if let Some(role) = delta.role.and_then(role_name) {
            acc.role.get_or_insert(role);
        }
        append(&mut acc.content, delta.content);
        append(&mut acc.reasoning, delta.reasoning_content);
        append(&mut acc.refusal, delta.refusal);
        for call in delta.tool_calls {
            match acc.tool_calls.iter_mut().find(|c| c.index == call.index) {
                Some(existing) => {
                    set_once(&mut existing.id, call.id);
                    set_once(&mut existing.kind, call.r#type);
                    set_once(&mut existing.name, call.name);
                    existing.arguments.push_str(&call.arguments);
                }
                None => acc.tool_calls.push(ToolCallAcc {
                    index: call.index,
                    id: call.id.filter(|s| !s.is_empty()),
                    kind: call.r#type.filter(|s| !s.is_empty()),
                    name: call.name.filter(|s| !s.is_empty()),
                    arguments: call.arguments,
                }),
            }
        }
    }

    /// The `chat.completion` JSON object.
    ///
    /// `content` is `null` when no text was produced (a tool-call-only
    /// answer). A missing finish reason becomes `tool_calls` or `stop`; a
    /// tool call without an id gets a generated `call_…` id, and one without
    /// arguments gets `{}`. `usage` is omitted when the core reported none.
    pub fn finish(mut self) -> Vec<u8> {
        self.choices.sort_by_key(|c| c.index);
        for choice in &mut self.choices {
            choice.tool_calls.sort_by_key(|c| c.index);
            for call in &mut choice.tool_calls {
                if call.id.is_none() {
                    call.id = Some(generated_call_id());
                }
                if call.arguments.is_empty() {
                    call.arguments.push_str("{}");
                }
            }
        }
        let choices = self
            .choices
            .iter()
            .map(|c| {
                let content = match c.content.as_deref() {
                    Some("") if !c.tool_calls.is_empty() => None,
                    other => other,
                };
                let finish_reason =
                    c.finish_reason
                        .as_deref()
                        .unwrap_or(if c.tool_calls.is_empty() {
                            "stop"
                        } else {
                            "tool_calls"
                        });
                CompletionChoiceOut {
                    index: c.index,
                    message: MessageOut {
                        role: c.role.unwrap_or("assistant"),
                        content,
                        reasoning_content: c.reasoning.as_deref().filter(|s| !s.is_empty()),
                        refusal: c.refusal.as_deref().filter(|s| !s.is_empty()),
                        tool_calls: c
                            .tool_calls
                            .iter()
                            .map(|t| ToolCallOut {
                                id: t.id.as_deref().unwrap_or_default(),
                                kind: t.kind.as_deref().unwrap_or("function"),
                                function: FunctionOut {
                                    name: t.name.as_deref().unwrap_or_default(),
                                    arguments: &t.arguments,
                                },
                            })
                            .collect(),
                    },
                    logprobs: c.logprobs.as_ref().map(StructRef),
                    finish_reason,
                }
            })
            .collect();
        let capacity = 256
            + self
                .choices
                .iter()
                .map(|c| {
                    c.content.as_ref().map_or(0, String::len)
                        + c.reasoning.as_ref().map_or(0, String::len)
                        + c.tool_calls
                            .iter()
                            .map(|t| t.arguments.len() + 96)
                            .sum::<usize>()
                })
                .sum::<usize>();
        to_json(
            &CompletionOut {
                id: &self.id,
                object: "chat.completion",
                created: self.created,
                model: &self.model,
                choices,
                usage: self.usage.as_ref().map(UsageOut::from),
                service_tier: self.service_tier.as_deref(),
                system_fingerprint: self.system_fingerprint.as_deref(),
            },
            capacity,
        )
    }
}

fn append(dst: &mut Option<String>, piece: Option<String>) {
    match (dst.as_mut(), piece) {
        (_, None) => {}
        (Some(existing), Some(piece)) => existing.push_str(&piece),
        (None, piece) => *dst = piece,
    }
}

fn set_once(dst: &mut Option<String>, value: Option<String>) {
    if dst.is_none() {
        *dst = value.filter(|s| !s.is_empty());
    }
}

/// Logprobs of several chunks: list fields (`content`, `refusal`) are
/// concatenated, anything else is replaced.
fn merge_logprobs(dst: &mut Option<prost_types::Struct>, src: prost_types::Struct) {
    let Some(existing) = dst.as_mut() else {
        *dst = Some(src);
        return;
    };
    for (key, value) in src.fields {
        match (existing.fields.get_mut(&key), value.kind) {
            (
                Some(prost_types::Value {
                    kind: Some(Kind::ListValue(list)),
                }),
                Some(Kind::ListValue(more)),
            ) => list.values.extend(more.values),
            (_, kind) => {
                existing.fields.insert(key, prost_types::Value { kind });
            }
        }
    }
}

fn generated_call_id() -> String {
    use rand::Rng as _;
    let suffix: String = rand::rng()
        .sample_iter(&rand::distr::Alphanumeric)
        .take(24)
        .map(char::from)
        .collect();
    format!("call_{suffix}")
}

/// `POST /v1/embeddings` answer:
/// `{"object":"list","data":[{"object":"embedding","index","embedding"}],"model","usage":{…}}`,
/// each embedding a JSON array of numbers or, for
/// [`EncodingFormat::Base64`], base64 of its little-endian `f32` bytes.
pub fn embeddings_json(resp: &EmbedResponse, format: EncodingFormat) -> Vec<u8> {
    let usage = resp.usage.unwrap_or_default();
    let floats: usize = resp.data.iter().map(|e| e.embedding.len()).sum();
    let per_float = match format {
        EncodingFormat::Float => 14,
        EncodingFormat::Base64 => 6,
    };
    to_json(
        &EmbeddingsOut {
            object: "list",
            data: EmbeddingList(&resp.data, format),
            model: &resp.model,
            usage: EmbedUsageOut {
                prompt_tokens: usage.prompt_tokens,
                total_tokens: usage.total_tokens,
            },
        },
        128 + resp.data.len() * 64 + floats * per_float,
    )
}

/// `GET /v1/models` answer: `{"object":"list","data":[{"id","object":"model","created","owned_by"}]}`,
/// each entry followed by the LobeChat keys its `metadata` entry knows.
pub fn models_json(models: &[Model], metadata: &HashMap<String, ModelMetadata>) -> Vec<u8> {
    to_json(
        &ModelListOut {
            object: "list",
            data: models
                .iter()
                .map(|m| ModelOut::new(m, metadata.get(&m.id)))
                .collect(),
        },
        32 + models.len() * 256,
    )
}

/// `GET /v1/models/{id}` answer: `{"id","object":"model","created","owned_by"}` and the
/// LobeChat keys `metadata` knows.
pub fn model_json(model: &Model, metadata: Option<&ModelMetadata>) -> Vec<u8> {
    to_json(&ModelOut::new(model, metadata), 256)
}

/// The lower-case OpenAI name of a role (`None` for unspecified or unknown).
pub(crate) fn role_name(role: i32) -> Option<&'static str> {
    match Role::try_from(role).ok()? {
        Role::Unspecified => None,
        Role::System => Some("system"),
        Role::Developer => Some("developer"),
        Role::User => Some("user"),
        Role::Assistant => Some("assistant"),
        Role::Tool => Some("tool"),
    }
}

fn to_json<T: Serialize>(value: &T, capacity: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(capacity);
    if let Err(err) = serde_json::to_writer(&mut out, value) {
        // Unreachable for these types (string keys only); never panic.
        tracing::error!(error = %err, "could not serialise a response body");
        out.clear();
        out.extend_from_slice(b"{}");
    }
    out
}

// ---------------------------------------------------------------------------
// Borrowed output shapes

#[derive(Serialize)]
struct ChunkOut<'a> {
    id: &'a str,
    object: &'static str,
    created: i64,
    model: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    service_tier: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    system_fingerprint: Option<&'a str>,
    choices: Choices<'a>,
    #[serde(skip_serializing_if = "UsageField::is_absent")]
    usage: UsageField,
}

struct Choices<'a>(&'a [Choice]);

impl Serialize for Choices<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(ChoiceOut::from))
    }
}

#[derive(Serialize)]
struct ChoiceOut<'a> {
    index: u32,
    delta: DeltaOut<'a>,
    logprobs: Option<StructRef<'a>>,
    finish_reason: Option<&'a str>,
}

impl<'a> From<&'a Choice> for ChoiceOut<'a> {
    fn from(choice: &'a Choice) -> Self {
        Self {
            index: choice.index,
            delta: choice
                .delta
                .as_ref()
                .map(DeltaOut::from)
                .unwrap_or_default(),
            logprobs: choice.logprobs.as_ref().map(StructRef),
            finish_reason: choice.finish_reason.as_deref(),
        }
    }
}

#[derive(Serialize, Default)]
struct DeltaOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_content: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refusal: Option<&'a str>,
    #[serde(skip_serializing_if = "ToolCallDeltas::is_empty")]
    tool_calls: ToolCallDeltas<'a>,
}

impl<'a> From<&'a Delta> for DeltaOut<'a> {
    fn from(delta: &'a Delta) -> Self {
        Self {
            role: delta.role.and_then(role_name),
            content: delta.content.as_deref(),
            reasoning_content: delta.reasoning_content.as_deref(),
            refusal: delta.refusal.as_deref(),
            tool_calls: ToolCallDeltas(&delta.tool_calls),
        }
    }
}

#[derive(Default)]
struct ToolCallDeltas<'a>(&'a [ToolCall]);

impl ToolCallDeltas<'_> {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for ToolCallDeltas<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|call| {
            ToolCallDeltaOut {
                index: call.index,
                id: call.id.as_deref(),
                // OpenAI names the type wherever it names the id.
                kind: call
                    .r#type
                    .as_deref()
                    .or(call.id.as_ref().map(|_| "function")),
                // Always present: LobeChat requires a non-null `function`.
                function: FunctionDeltaOut {
                    name: call.name.as_deref(),
                    arguments: &call.arguments,
                },
            }
        }))
    }
}

#[derive(Serialize)]
struct ToolCallDeltaOut<'a> {
    index: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'a str>,
    function: FunctionDeltaOut<'a>,
}

#[derive(Serialize)]
struct FunctionDeltaOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    arguments: &'a str,
}

enum UsageField {
    Absent,
    Null,
    Set(UsageOut),
}

impl UsageField {
    fn is_absent(&self) -> bool {
        matches!(self, UsageField::Absent)
    }
}

impl Serialize for UsageField {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            UsageField::Absent | UsageField::Null => serializer.serialize_unit(),
            UsageField::Set(usage) => usage.serialize(serializer),
        }
    }
}

#[derive(Serialize)]
struct UsageOut {
    prompt_tokens: u64,
    completion_tokens: u64,
    total_tokens: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    prompt_tokens_details: Option<PromptDetailsOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    completion_tokens_details: Option<CompletionDetailsOut>,
}

#[derive(Serialize)]
struct PromptDetailsOut {
    cached_tokens: u64,
}

#[derive(Serialize)]
struct CompletionDetailsOut {
    reasoning_tokens: u64,
}

impl From<&Usage> for UsageOut {
    fn from(usage: &Usage) -> Self {
        Self {
            prompt_tokens: usage.prompt_tokens,
            completion_tokens: usage.completion_tokens,
            total_tokens: usage.total_tokens,
            prompt_tokens_details: usage
                .cached_tokens
                .map(|cached_tokens| PromptDetailsOut { cached_tokens }),
            completion_tokens_details: usage
                .reasoning_tokens
                .map(|reasoning_tokens| CompletionDetailsOut { reasoning_tokens }),
        }
    }
}

#[derive(Serialize)]
struct CompletionOut<'a> {
    id: &'a str,
    object: &'static str,
    created: i64,
    model: &'a str,
    choices: Vec<CompletionChoiceOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<UsageOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service_tier: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    system_fingerprint: Option<&'a str>,
}

#[derive(Serialize)]
struct CompletionChoiceOut<'a> {
    index: u32,
    message: MessageOut<'a>,
    logprobs: Option<StructRef<'a>>,
    finish_reason: &'a str,
}

#[derive(Serialize)]
struct MessageOut<'a> {
    role: &'a str,
    content: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_content: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refusal: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_calls: Vec<ToolCallOut<'a>>,
}

#[derive(Serialize)]
struct ToolCallOut<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    function: FunctionOut<'a>,
}

#[derive(Serialize)]
struct FunctionOut<'a> {
    name: &'a str,
    arguments: &'a str,
}

#[derive(Serialize)]
struct EmbeddingsOut<'a> {
    object: &'static str,
    data: EmbeddingList<'a>,
    model: &'a str,
    usage: EmbedUsageOut,
}

struct EmbeddingList<'a>(&'a [Embedding], EncodingFormat);

impl Serialize for EmbeddingList<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let format = self.1;
        serializer.collect_seq(self.0.iter().map(|e| EmbeddingOut {
            object: "embedding",
            index: e.index,
            embedding: match format {
                EncodingFormat::Float => Vector::Float(&e.embedding),
                EncodingFormat::Base64 => Vector::Base64(base64_f32(&e.embedding)),
            },
        }))
    }
}

#[derive(Serialize)]
struct EmbeddingOut<'a> {
    object: &'static str,
    index: u32,
    embedding: Vector<'a>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Vector<'a> {
    Float(&'a [f32]),
    Base64(String),
}

fn base64_f32(values: &[f32]) -> String {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[derive(Serialize)]
struct EmbedUsageOut {
    prompt_tokens: u64,
    total_tokens: u64,
}

#[derive(Serialize)]
struct ModelListOut<'a> {
    object: &'static str,
    data: Vec<ModelOut<'a>>,
}

#[derive(Serialize)]
struct ModelOut<'a> {
    id: &'a str,
    object: &'static str,
    created: i64,
    owned_by: &'a str,
    #[serde(flatten)]
    metadata: Option<MetadataOut<'a>>,
}

impl<'a> ModelOut<'a> {
    fn new(model: &'a Model, metadata: Option<&'a ModelMetadata>) -> Self {
        Self {
            id: &model.id,
            object: "model",
            created: model.created,
            owned_by: &model.owned_by,
            metadata: metadata.map(MetadataOut::from),
        }
    }
}

/// A `google.protobuf.Struct` serialised as the JSON object it stands for.
struct StructRef<'a>(&'a prost_types::Struct);

impl Serialize for StructRef<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.fields.iter().map(|(k, v)| (k, ValueRef(v))))
    }
}

struct ValueRef<'a>(&'a prost_types::Value);

impl Serialize for ValueRef<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        const MAX_SAFE_INT: f64 = 9_007_199_254_740_992.0;
        match &self.0.kind {
            None | Some(Kind::NullValue(_)) => serializer.serialize_unit(),
            Some(Kind::BoolValue(b)) => serializer.serialize_bool(*b),
            // Integral numbers go out as JSON integers, as `modelgate::json` does.
            Some(Kind::NumberValue(n)) if n.fract() == 0.0 && n.abs() < MAX_SAFE_INT =>
            {
                #[allow(clippy::cast_possible_truncation)]
                serializer.serialize_i64(*n as i64)
            }
            Some(Kind::NumberValue(n)) => serializer.serialize_f64(*n),
            Some(Kind::StringValue(s)) => serializer.serialize_str(s),
            Some(Kind::ListValue(list)) => serializer.collect_seq(list.values.iter().map(ValueRef)),
            Some(Kind::StructValue(s)) => StructRef(s).serialize(serializer),
        }
    }
}
