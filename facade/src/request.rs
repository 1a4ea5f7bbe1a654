//! OpenAI request bodies (JSON) into the core's protobuf messages.
//!
//! Every field OpenAI defines and the contract models is converted and
//! checked; every other top-level field is kept, unchanged, in the message's
//! `extra` Struct so that OpenAI-compatible upstreams receive it, except the
//! gateway's own routing options `fallbacks` / `num_retries`, which become the
//! message's typed `routing` and never reach an upstream. Invalid
//! input becomes a 400 whose `param` names the field in OpenAI's path style
//! (`messages[2].role`, `tools[0].function.name`) and whose message follows
//! OpenAI's wording.
//!
//! What is dropped rather than passed through (the contract has no place for
//! it): keys of `stream_options` other than `include_usage`; unknown keys
//! inside a `text` or `image_url` content part, inside a tool call of an
//! assistant message, inside a tool's `function` object, inside
//! `tool_choice` and inside `response_format` / `response_format.json_schema`.
//! Unknown keys of a message and of a tool object are kept in their `extra`.

use std::collections::HashMap;
use std::fmt;

use modelgate::error::{ErrorKind, GatewayError};
use modelgate::json::struct_from_map;
use modelgate::v1::{
    ChatCompletionRequest, ContentPart, ContentParts, EmbedRequest, FunctionDefinition, ImageUrl,
    JsonSchemaFormat, Message, ResponseFormat, Role, StreamOptions, TokenInput, Tool, ToolCall,
    ToolChoice, content_part, message, tool_choice,
};
use serde_json::{Map, Value};

#[cfg(test)]
mod embed_tests;
#[cfg(test)]
mod robustness_tests;
#[cfg(test)]
mod tests;

#[cfg(test)]
mod routing_tests;

type Object = Map<String, Value>;
type Result<T> = std::result::Result<T, GatewayError>;

/// How `POST /v1/embeddings` wants its vectors back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum EncodingFormat {
    /// JSON arrays of numbers (the default).
    #[default]
    Float,
    /// Base64 of the little-endian `f32` bytes.
    Base64,
}

const ROLES: &[&str] = &["system", "developer", "user", "assistant", "tool"];
const TOOL_CHOICE_MODES: &[&str] = &["none", "auto", "required"];
const RESPONSE_FORMATS: &[&str] = &["text", "json_object", "json_schema"];
const ENCODING_FORMATS: &[&str] = &["float", "base64"];

/// Parses a `POST /v1/chat/completions` body.
pub fn chat_request_from_json(body: &[u8]) -> Result<ChatCompletionRequest> {
    chat_request_for_model(body, None)
}

/// Parses a chat body whose model comes from the URL (Azure's
/// `/openai/deployments/{model}/…`): that model replaces the body's, then
/// goes through the same checks.
pub fn chat_request_for_model(body: &[u8], model: Option<&str>) -> Result<ChatCompletionRequest> {
    let mut map = parse_object(body)?;
    override_model(&mut map, model);
    let root = Path::Root;
    let model = required_model(&mut map)?;
    let routing = modelgate::routing::routing_from_json(&mut map)?;

    let messages_path = root.key("messages");
    let messages = match take(&mut map, "messages") {
        None => return Err(missing(messages_path)),
        Some(Value::Array(items)) if items.is_empty() => return Err(empty_array(messages_path)),
        Some(Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| message_from_json(item, messages_path.index(i)))
            .collect::<Result<Vec<_>>>()?,
        Some(other) => return Err(invalid_type(messages_path, "an array", &other)),
    };

    let stream = opt_bool(&mut map, root, "stream")?.unwrap_or(false);
    let stream_options = stream_options(&mut map)?;

    let tools_path = root.key("tools");
    let tools = match take(&mut map, "tools") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| tool_from_json(item, tools_path.index(i)))
            .collect::<Result<Vec<_>>>()?,
        Some(other) => return Err(invalid_type(tools_path, "an array", &other)),
    };

    Ok(ChatCompletionRequest {
        model,
        messages,
        stream,
        stream_options,
        tools,
        tool_choice: tool_choice_from_json(&mut map)?,
        parallel_tool_calls: opt_bool(&mut map, root, "parallel_tool_calls")?,
        temperature: opt_f64(&mut map, root, "temperature")?,
        top_p: opt_f64(&mut map, root, "top_p")?,
        max_tokens: opt_u32(&mut map, root, "max_tokens", 0)?,
        max_completion_tokens: opt_u32(&mut map, root, "max_completion_tokens", 0)?,
        stop: stop_from_json(&mut map)?,
        seed: opt_i64(&mut map, root, "seed")?,
        n: opt_n(&mut map)?,
        presence_penalty: opt_f64(&mut map, root, "presence_penalty")?,
        frequency_penalty: opt_f64(&mut map, root, "frequency_penalty")?,
        logit_bias: logit_bias_from_json(&mut map)?,
        response_format: response_format_from_json(&mut map)?,
        reasoning_effort: opt_string(&mut map, root, "reasoning_effort")?,
        user: opt_string(&mut map, root, "user")?,
        extra: extra(map),
        routing,
    })
}

/// Parses a `POST /v1/embeddings` body; also returns the `encoding_format`
/// the answer must use.
pub fn embed_request_from_json(body: &[u8]) -> Result<(EmbedRequest, EncodingFormat)> {
    embed_request_for_model(body, None)
}

/// [`embed_request_from_json`] with the model from the URL, as for chat.
pub fn embed_request_for_model(
    body: &[u8],
    model: Option<&str>,
) -> Result<(EmbedRequest, EncodingFormat)> {
    let mut map = parse_object(body)?;
    override_model(&mut map, model);
    let root = Path::Root;
    let model = required_model(&mut map)?;
    let routing = modelgate::routing::routing_from_json(&mut map)?;

    let mut input = Vec::new();
    let mut token_input = Vec::new();
    let input_path = root.key("input");
    match take(&mut map, "input") {
        None => return Err(missing(input_path)),
        Some(Value::String(s)) if s.is_empty() => return Err(empty_string(input_path)),
        Some(Value::String(s)) => input.push(s),
        Some(Value::Array(items)) if items.is_empty() => return Err(empty_array(input_path)),
        Some(Value::Array(items)) => match items.first() {
            Some(Value::String(_)) => {
                input = items
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| match item {
                        Value::String(s) if s.is_empty() => Err(empty_string(input_path.index(i))),
                        Value::String(s) => Ok(s),
                        other => Err(invalid_type(input_path.index(i), "a string", &other)),
                    })
                    .collect::<Result<_>>()?;
            }
            Some(Value::Number(_)) => {
                let tokens = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| i64_from_json(item, input_path.index(i)))
                    .collect::<Result<_>>()?;
                token_input.push(TokenInput { tokens });
            }
            Some(Value::Array(_)) => {
                token_input = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let path = input_path.index(i);
                        match item {
                            Value::Array(tokens) if tokens.is_empty() => Err(empty_array(path)),
                            Value::Array(tokens) => Ok(TokenInput {
                                tokens: tokens
                                    .iter()
                                    .enumerate()
                                    .map(|(j, t)| i64_from_json(t, path.index(j)))
                                    .collect::<Result<_>>()?,
                            }),
                            other => Err(invalid_type(path, "an array of integers", other)),
                        }
                    })
                    .collect::<Result<_>>()?;
            }
            Some(other) => {
                return Err(invalid_type(
                    input_path.index(0),
                    "one of a string, an integer or an array of integers",
                    other,
                ));
            }
            None => return Err(empty_array(input_path)),
        },
        Some(other) => {
            return Err(invalid_type(
                input_path,
                "one of a string, an array of strings, an array of integers or an array of arrays of integers",
                &other,
            ));
        }
    }

    let format_path = root.key("encoding_format");
    let format = match take(&mut map, "encoding_format") {
        None => EncodingFormat::Float,
        Some(Value::String(s)) => match s.as_str() {
            "float" => EncodingFormat::Float,
            "base64" => EncodingFormat::Base64,
            _ => return Err(invalid_value(format_path, &s, ENCODING_FORMATS)),
        },
        Some(other) => return Err(invalid_type(format_path, "a string", &other)),
    };

    let request = EmbedRequest {
        model,
        input,
        token_input,
        dimensions: opt_u32(&mut map, root, "dimensions", 1)?,
        user: opt_string(&mut map, root, "user")?,
        extra: extra(map),
        routing,
    };
    Ok((request, format))
}

// ---------------------------------------------------------------------------
// Chat pieces

fn message_from_json(value: Value, path: Path<'_>) -> Result<Message> {
    let mut obj = into_object(value, path)?;

    let role_path = path.key("role");
    let role = match take(&mut obj, "role") {
        None => return Err(missing(role_path)),
        Some(Value::String(s)) => match s.as_str() {
            "system" => Role::System,
            "developer" => Role::Developer,
            "user" => Role::User,
            "assistant" => Role::Assistant,
            "tool" => Role::Tool,
            _ => return Err(invalid_value(role_path, &s, ROLES)),
        },
        Some(other) => return Err(invalid_type(role_path, "a string", &other)),
    };

    let content_path = path.key("content");
    let content = match take(&mut obj, "content") {
        None => None,
        Some(Value::String(s)) => Some(message::Content::Text(s)),
        Some(Value::Array(items)) => Some(message::Content::Parts(ContentParts {
            parts: items
                .into_iter()
                .enumerate()
                .map(|(i, item)| part_from_json(item, content_path.index(i)))
                .collect::<Result<_>>()?,
        })),
        Some(other) => {
            return Err(invalid_type(
                content_path,
                "one of a string or array of objects",
                &other,
            ));
        }
    };

    let calls_path = path.key("tool_calls");
    let tool_calls = match take(&mut obj, "tool_calls") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| tool_call_from_json(item, i, calls_path.index(i)))
            .collect::<Result<_>>()?,
        Some(other) => return Err(invalid_type(calls_path, "an array", &other)),
    };

    Ok(Message {
        role: role as i32,
        content,
        name: opt_string(&mut obj, path, "name")?,
        tool_calls,
        tool_call_id: opt_string(&mut obj, path, "tool_call_id")?,
        reasoning_content: opt_string(&mut obj, path, "reasoning_content")?,
        extra: extra(obj),
    })
}

fn part_from_json(value: Value, path: Path<'_>) -> Result<ContentPart> {
    enum Kind {
        Text,
        Image,
        Other,
    }
    let mut obj = into_object(value, path)?;
    let type_path = path.key("type");
    let kind = match obj.get("type") {
        None | Some(Value::Null) => return Err(missing(type_path)),
        Some(Value::String(s)) if s == "text" => Kind::Text,
        Some(Value::String(s)) if s == "image_url" => Kind::Image,
        Some(Value::String(_)) => Kind::Other,
        Some(other) => return Err(invalid_type(type_path, "a string", other)),
    };
    let part = match kind {
        Kind::Text => content_part::Part::Text(required_string(&mut obj, path, "text")?),
        Kind::Image => {
            let image_path = path.key("image_url");
            let image = match take(&mut obj, "image_url") {
                None => return Err(missing(image_path)),
                // Some clients send the URL itself.
                Some(Value::String(url)) => ImageUrl { url, detail: None },
                Some(Value::Object(mut image)) => ImageUrl {
                    url: required_string(&mut image, image_path, "url")?,
                    detail: opt_string(&mut image, image_path, "detail")?,
                },
                Some(other) => {
                    return Err(invalid_type(image_path, "an object", &other));
                }
            };
            content_part::Part::ImageUrl(image)
        }
        Kind::Other => content_part::Part::Other(struct_from_map(obj)),
    };
    Ok(ContentPart { part: Some(part) })
}

fn tool_call_from_json(value: Value, position: usize, path: Path<'_>) -> Result<ToolCall> {
    let mut obj = into_object(value, path)?;
    let function_path = path.key("function");
    let mut function = match take(&mut obj, "function") {
        None => return Err(missing(function_path)),
        Some(value) => into_object(value, function_path)?,
    };
    let arguments_path = function_path.key("arguments");
    let arguments = match take(&mut function, "arguments") {
        None => return Err(missing(arguments_path)),
        Some(Value::String(s)) => s,
        // Some clients send the arguments as JSON rather than JSON text.
        Some(value @ (Value::Object(_) | Value::Array(_))) => value.to_string(),
        Some(other) => return Err(invalid_type(arguments_path, "a string", &other)),
    };
    Ok(ToolCall {
        index: u32::try_from(position).unwrap_or(u32::MAX),
        id: opt_string(&mut obj, path, "id")?,
        r#type: opt_string(&mut obj, path, "type")?,
        name: Some(required_string(&mut function, function_path, "name")?),
        arguments,
    })
}

fn tool_from_json(value: Value, path: Path<'_>) -> Result<Tool> {
    let mut obj = into_object(value, path)?;
    if matches!(obj.get("function"), None | Some(Value::Null)) {
        // A non-function tool (web_search, custom, …): passed through whole.
        let r#type = match obj.get("type") {
            None | Some(Value::Null) => return Err(missing(path.key("type"))),
            Some(Value::String(s)) => s.clone(),
            Some(other) => return Err(invalid_type(path.key("type"), "a string", other)),
        };
        return Ok(Tool {
            r#type,
            function: None,
            extra: Some(struct_from_map(obj)),
        });
    }
    let r#type = opt_string(&mut obj, path, "type")?.unwrap_or_else(|| "function".to_owned());
    let function_path = path.key("function");
    let mut function = match take(&mut obj, "function") {
        None => return Err(missing(function_path)),
        Some(value) => into_object(value, function_path)?,
    };
    let definition = FunctionDefinition {
        name: required_string(&mut function, function_path, "name")?,
        description: opt_string(&mut function, function_path, "description")?,
        parameters: opt_object(&mut function, function_path, "parameters")?.map(struct_from_map),
        strict: opt_bool(&mut function, function_path, "strict")?,
    };
    Ok(Tool {
        r#type,
        function: Some(definition),
        extra: extra(obj),
    })
}

fn tool_choice_from_json(map: &mut Object) -> Result<Option<ToolChoice>> {
    let path = Path::Root.key("tool_choice");
    let choice = match take(map, "tool_choice") {
        None => return Ok(None),
        Some(Value::String(mode)) => {
            if !TOOL_CHOICE_MODES.contains(&mode.as_str()) {
                return Err(invalid_value(path, &mode, TOOL_CHOICE_MODES));
            }
            tool_choice::Choice::Mode(mode)
        }
        Some(Value::Object(mut obj)) => {
            let type_path = path.key("type");
            match take(&mut obj, "type") {
                None => return Err(missing(type_path)),
                Some(Value::String(t)) if t == "function" => {}
                Some(Value::String(t)) => return Err(invalid_value(type_path, &t, &["function"])),
                Some(other) => return Err(invalid_type(type_path, "a string", &other)),
            }
            let function_path = path.key("function");
            let mut function = match take(&mut obj, "function") {
                None => return Err(missing(function_path)),
                Some(value) => into_object(value, function_path)?,
            };
            tool_choice::Choice::FunctionName(required_string(
                &mut function,
                function_path,
                "name",
            )?)
        }
        Some(other) => {
            return Err(invalid_type(path, "one of a string or an object", &other));
        }
    };
    Ok(Some(ToolChoice {
        choice: Some(choice),
    }))
}

fn stream_options(map: &mut Object) -> Result<Option<StreamOptions>> {
    let path = Path::Root.key("stream_options");
    match take(map, "stream_options") {
        None => Ok(None),
        Some(value) => {
            let mut obj = into_object(value, path)?;
            Ok(Some(StreamOptions {
                include_usage: opt_bool(&mut obj, path, "include_usage")?.unwrap_or(false),
            }))
        }
    }
}

fn stop_from_json(map: &mut Object) -> Result<Vec<String>> {
    let path = Path::Root.key("stop");
    match take(map, "stop") {
        None => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s]),
        Some(Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) => Ok(s),
                other => Err(invalid_type(path.index(i), "a string", &other)),
            })
            .collect(),
        Some(other) => Err(invalid_type(
            path,
            "one of a string or array of strings",
            &other,
        )),
    }
}

fn logit_bias_from_json(map: &mut Object) -> Result<HashMap<String, f64>> {
    let path = Path::Root.key("logit_bias");
    match take(map, "logit_bias") {
        None => Ok(HashMap::new()),
        Some(value) => into_object(value, path)?
            .into_iter()
            .map(|(token, bias)| {
                let bias = f64_from_json(&bias, path.key(&token))?;
                Ok((token, bias))
            })
            .collect(),
    }
}

fn response_format_from_json(map: &mut Object) -> Result<Option<ResponseFormat>> {
    let path = Path::Root.key("response_format");
    let Some(value) = take(map, "response_format") else {
        return Ok(None);
    };
    let mut obj = into_object(value, path)?;
    let r#type = required_string(&mut obj, path, "type")?;
    if !RESPONSE_FORMATS.contains(&r#type.as_str()) {
        return Err(invalid_value(path.key("type"), &r#type, RESPONSE_FORMATS));
    }
    let schema_path = path.key("json_schema");
    let json_schema = match take(&mut obj, "json_schema") {
        None if r#type == "json_schema" => return Err(missing(schema_path)),
        None => None,
        Some(value) => {
            let mut schema = into_object(value, schema_path)?;
            Some(JsonSchemaFormat {
                name: required_string(&mut schema, schema_path, "name")?,
                description: opt_string(&mut schema, schema_path, "description")?,
                schema: opt_object(&mut schema, schema_path, "schema")?.map(struct_from_map),
                strict: opt_bool(&mut schema, schema_path, "strict")?,
            })
        }
    };
    Ok(Some(ResponseFormat {
        r#type,
        json_schema,
    }))
}

// ---------------------------------------------------------------------------
// Generic field access

/// Deepest JSON nesting accepted. Every JSON level becomes two protobuf
/// messages (`Struct`/`ListValue` and `Value`), and protobuf decoders stop at
/// 100: a body nested past this would be accepted here and then fail to
/// cross to the core.
const MAX_DEPTH: usize = 32;

/// Nesting depth of `value` (a scalar is 1); serde_json's own limit of 128
/// bounds the recursion.
fn depth(value: &Value) -> usize {
    1 + match value {
        Value::Array(items) => items.iter().map(depth).max().unwrap_or(0),
        Value::Object(map) => map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// The URL's model wins over the body's, as LiteLLM has it.
fn override_model(map: &mut Object, model: Option<&str>) {
    if let Some(model) = model {
        map.insert("model".to_owned(), Value::String(model.to_owned()));
    }
}

fn parse_object(body: &[u8]) -> Result<Object> {
    // serde_json refuses nesting deeper than 128 levels with an error (no
    // stack overflow), which lands here as a 400 like any other syntax error.
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        GatewayError::new(
            ErrorKind::InvalidRequest,
            format!("We could not parse the JSON body of your request: {e}"),
        )
    })?;
    if depth(&value) > MAX_DEPTH {
        return Err(GatewayError::new(
            ErrorKind::InvalidRequest,
            format!(
                "We could not parse the JSON body of your request: it is nested deeper than {MAX_DEPTH} levels."
            ),
        ));
    }
    match value {
        Value::Object(map) => Ok(map),
        other => Err(GatewayError::new(
            ErrorKind::InvalidRequest,
            format!(
                "We could not parse the JSON body of your request: expected a JSON object, but got {} instead.",
                describe(&other)
            ),
        )),
    }
}

fn required_model(map: &mut Object) -> Result<String> {
    let path = Path::Root.key("model");
    match take(map, "model") {
        None => Err(missing(path)),
        Some(Value::String(s)) if s.is_empty() => Err(empty_string(path)),
        Some(Value::String(s)) => {
            // Bounded before the name is logged or looked up anywhere.
            modelgate::model_name::check_length(&s, "model")?;
            Ok(s)
        }
        Some(other) => Err(invalid_type(path, "a string", &other)),
    }
}

/// The remaining fields, or `None` when there are none.
fn extra(map: Object) -> Option<prost_types::Struct> {
    (!map.is_empty()).then(|| struct_from_map(map))
}

/// Removes `key`; JSON `null` counts as absent.
fn take(map: &mut Object, key: &str) -> Option<Value> {
    map.remove(key).filter(|v| !v.is_null())
}

fn into_object(value: Value, path: Path<'_>) -> Result<Object> {
    match value {
        Value::Object(obj) => Ok(obj),
        other => Err(invalid_type(path, "an object", &other)),
    }
}

fn required_string(map: &mut Object, parent: Path<'_>, key: &str) -> Result<String> {
    match take(map, key) {
        None => Err(missing(parent.key(key))),
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(invalid_type(parent.key(key), "a string", &other)),
    }
}

fn opt_string(map: &mut Object, parent: Path<'_>, key: &str) -> Result<Option<String>> {
    match take(map, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(invalid_type(parent.key(key), "a string", &other)),
    }
}

fn opt_object(map: &mut Object, parent: Path<'_>, key: &str) -> Result<Option<Object>> {
    take(map, key)
        .map(|v| into_object(v, parent.key(key)))
        .transpose()
}

fn opt_bool(map: &mut Object, parent: Path<'_>, key: &str) -> Result<Option<bool>> {
    match take(map, key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(b)),
        Some(other) => Err(invalid_type(parent.key(key), "a boolean", &other)),
    }
}

fn opt_f64(map: &mut Object, parent: Path<'_>, key: &str) -> Result<Option<f64>> {
    take(map, key)
        .map(|v| f64_from_json(&v, parent.key(key)))
        .transpose()
}

fn opt_u32(map: &mut Object, parent: Path<'_>, key: &str, min: u32) -> Result<Option<u32>> {
    take(map, key)
        .map(|v| u32_from_json(&v, parent.key(key), min))
        .transpose()
}

/// OpenAI's own limit on `n`: past it, one request would have the upstream
/// generate (and the gateway relay) an unbounded number of answers.
const MAX_N: u32 = 128;

fn opt_n(map: &mut Object) -> Result<Option<u32>> {
    let root = Path::Root;
    match opt_u32(map, root, "n", 0)? {
        Some(n) if n > MAX_N => Err(above_maximum(
            root.key("n"),
            i128::from(MAX_N),
            i128::from(n),
        )),
        n => Ok(n),
    }
}

fn opt_i64(map: &mut Object, parent: Path<'_>, key: &str) -> Result<Option<i64>> {
    take(map, key)
        .map(|v| i64_from_json(&v, parent.key(key)))
        .transpose()
}

fn f64_from_json(value: &Value, path: Path<'_>) -> Result<f64> {
    match value {
        Value::Number(n) => n
            .as_f64()
            .ok_or_else(|| invalid_type(path, "a number", value)),
        other => Err(invalid_type(path, "a number", other)),
    }
}

/// An integer as an `i128`, so that every JSON integer and every integral
/// double within range compares exactly against the bounds.
fn integer_from_json(value: &Value, path: Path<'_>) -> Result<i128> {
    let Value::Number(n) = value else {
        return Err(invalid_type(path, "an integer", value));
    };
    if let Some(u) = n.as_u64() {
        return Ok(i128::from(u));
    }
    if let Some(i) = n.as_i64() {
        return Ok(i128::from(i));
    }
    // A double: accepted when integral (`2.0` from a JavaScript client).
    match n.as_f64() {
        // Exact: integral and far inside i128's range.
        Some(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e30 => Ok(f as i128),
        _ => Err(invalid_type(path, "an integer", value)),
    }
}

fn u32_from_json(value: &Value, path: Path<'_>, min: u32) -> Result<u32> {
    let n = integer_from_json(value, path)?;
    if n < i128::from(min) {
        return Err(below_minimum(path, i128::from(min), n));
    }
    u32::try_from(n).map_err(|_| above_maximum(path, i128::from(u32::MAX), n))
}

fn i64_from_json(value: &Value, path: Path<'_>) -> Result<i64> {
    let n = integer_from_json(value, path)?;
    i64::try_from(n).map_err(|_| {
        if n < 0 {
            below_minimum(path, i128::from(i64::MIN), n)
        } else {
            above_maximum(path, i128::from(i64::MAX), n)
        }
    })
}

// ---------------------------------------------------------------------------
// Paths and messages

/// A field path, built on the stack and rendered only when an error needs it.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl<'a> Path<'a> {
    fn key(&'a self, key: &'a str) -> Path<'a> {
        Path::Key(self, key)
    }

    fn index(&'a self, index: usize) -> Path<'a> {
        Path::Index(self, index)
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Key(Path::Root, key) => f.write_str(key),
            Path::Key(parent, key) => write!(f, "{parent}.{key}"),
            Path::Index(parent, index) => write!(f, "{parent}[{index}]"),
        }
    }
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a decimal number",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn invalid_type(path: Path<'_>, expected: &str, got: &Value) -> GatewayError {
    let path = path.to_string();
    let message = format!(
        "Invalid type for '{path}': expected {expected}, but got {} instead.",
        describe(got)
    );
    GatewayError::invalid(path, message)
}

fn missing(path: Path<'_>) -> GatewayError {
    let path = path.to_string();
    let message = format!("Missing required parameter: '{path}'.");
    GatewayError::invalid(path, message)
}

fn empty_array(path: Path<'_>) -> GatewayError {
    let path = path.to_string();
    let message = format!(
        "Invalid '{path}': empty array. Expected an array with minimum length 1, but got an empty array instead."
    );
    GatewayError::invalid(path, message)
}

fn empty_string(path: Path<'_>) -> GatewayError {
    let path = path.to_string();
    let message = format!(
        "Invalid '{path}': empty string. Expected a string with minimum length 1, but got an empty string instead."
    );
    GatewayError::invalid(path, message)
}

fn below_minimum(path: Path<'_>, min: i128, got: i128) -> GatewayError {
    let path = path.to_string();
    let message = format!(
        "Invalid '{path}': integer below minimum value. Expected a value >= {min}, but got {got} instead."
    );
    GatewayError::invalid(path, message)
}

fn above_maximum(path: Path<'_>, max: i128, got: i128) -> GatewayError {
    let path = path.to_string();
    let message = format!(
        "Invalid '{path}': integer above maximum value. Expected a value <= {max}, but got {got} instead."
    );
    GatewayError::invalid(path, message)
}

fn invalid_value(path: Path<'_>, got: &str, supported: &[&str]) -> GatewayError {
    const SHOWN: usize = 64;
    let shown: String = got.chars().take(SHOWN).collect();
    let ellipsis = if got.chars().nth(SHOWN).is_some() {
        "…"
    } else {
        ""
    };
    let list = match supported {
        [] => String::new(),
        [only] => format!("'{only}'"),
        [first, second] => format!("'{first}' and '{second}'"),
        [init @ .., last] => {
            let init: Vec<String> = init.iter().map(|s| format!("'{s}'")).collect();
            format!("{}, and '{last}'", init.join(", "))
        }
    };
    GatewayError::invalid(
        path.to_string(),
        format!("Invalid value: '{shown}{ellipsis}'. Supported values are: {list}."),
    )
}
