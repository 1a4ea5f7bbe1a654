//! `POST /v1/responses` bodies, read strictly (a wrong type is a 400 naming
//! its path) and written back as the client wrote them.

use std::collections::HashMap;

use serde_json::Value;

use super::fields::{
    Object, Path, Reader, Result, invalid_type, merge_extra, missing, object_value, put, put_str,
};
use super::output::{part_from, parts_to, required_type};
use crate::json::{json_number, struct_from_map};
use crate::v1::{
    InputItem, ReasoningConfig, ResponseRequest, ResponseTool, ResponseToolChoice, TextConfig,
    TextFormat,
};

pub(super) fn request_from(map: Object) -> Result<ResponseRequest> {
    let root = Path::Root;
    let mut r = Reader::new(map, true);
    let model = match r.map.remove("model") {
        Some(Value::String(s)) if !s.is_empty() => s,
        None | Some(Value::Null | Value::String(_)) => return Err(missing(root.key("model"))),
        Some(other) => return Err(invalid_type(root.key("model"), "a string", &other)),
    };
    let (input_text, input) = match r.map.get("input") {
        Some(Value::String(_)) => (r.string(root, "input")?, Vec::new()),
        Some(Value::Array(_)) => (None, r.list(root, "input", false, input_item)?),
        Some(other @ (Value::Bool(_) | Value::Number(_) | Value::Object(_))) => {
            return Err(invalid_type(
                root.key("input"),
                "a string or an array",
                other,
            ));
        }
        None | Some(Value::Null) => (None, Vec::new()),
    };
    let tools = r.list(root, "tools", false, tool)?;
    let tool_choice = tool_choice(&mut r, root)?;
    let reasoning = match r.object(root, "reasoning")? {
        Some(map) => Some(reasoning(Reader::new(map, true), root.key("reasoning"))?),
        None => None,
    };
    let text = match r.object(root, "text")? {
        Some(map) => Some(text(Reader::new(map, true), root.key("text"))?),
        None => None,
    };
    let metadata = metadata(&mut r, root)?;
    Ok(ResponseRequest {
        model,
        input_text,
        input,
        instructions: r.string(root, "instructions")?,
        tools,
        tool_choice,
        parallel_tool_calls: r.bool(root, "parallel_tool_calls")?,
        max_output_tokens: r.u32(root, "max_output_tokens")?,
        temperature: r.f64(root, "temperature")?,
        top_p: r.f64(root, "top_p")?,
        reasoning,
        text,
        stream: r.bool(root, "stream")?.unwrap_or(false),
        store: r.bool(root, "store")?,
        previous_response_id: r.string(root, "previous_response_id")?,
        user: r.string(root, "user")?,
        safety_identifier: r.string(root, "safety_identifier")?,
        prompt_cache_key: r.string(root, "prompt_cache_key")?,
        metadata,
        extra: r.extra(),
        // Read before this, by `request_from_json`.
        routing: None,
    })
}

fn input_item(mut r: Reader, path: Path<'_>) -> Result<InputItem> {
    let role = r.string(path, "role")?;
    let (item_type, implicit_type) = match (r.map.get("type"), &role) {
        (None | Some(Value::Null), Some(_)) => ("message".to_owned(), true),
        _ => (required_type(&mut r, path)?, false),
    };
    let (content_text, content) = match r.map.get("content") {
        Some(Value::String(_)) => (r.string(path, "content")?, Vec::new()),
        Some(Value::Array(_)) => (
            None,
            r.list(path, "content", item_type == "message", part_from)?,
        ),
        Some(other @ (Value::Bool(_) | Value::Number(_) | Value::Object(_))) => {
            return Err(invalid_type(
                path.key("content"),
                "a string or an array",
                other,
            ));
        }
        None | Some(Value::Null) => (None, Vec::new()),
    };
    // A function call's output is text, or (newer API) a list of parts, kept in `extra`.
    let output = match r.map.get("output") {
        Some(Value::Array(_)) => None,
        _ => r.string(path, "output")?,
    };
    let summary = r.list(path, "summary", item_type == "reasoning", part_from)?;
    Ok(InputItem {
        id: r.string(path, "id")?,
        role,
        content_text,
        content,
        call_id: r.string(path, "call_id")?,
        name: r.string(path, "name")?,
        arguments: r.string(path, "arguments")?,
        output,
        status: r.string(path, "status")?,
        summary,
        encrypted_content: r.string(path, "encrypted_content")?,
        extra: r.extra(),
        implicit_type,
        r#type: item_type,
    })
}

fn tool(mut r: Reader, path: Path<'_>) -> Result<ResponseTool> {
    Ok(ResponseTool {
        r#type: required_type(&mut r, path)?,
        name: r.string(path, "name")?,
        description: r.string(path, "description")?,
        parameters: r.object(path, "parameters")?.map(struct_from_map),
        strict: r.bool(path, "strict")?,
        extra: r.extra(),
    })
}

fn tool_choice(r: &mut Reader, root: Path<'_>) -> Result<Option<ResponseToolChoice>> {
    let path = root.key("tool_choice");
    match r.map.get("tool_choice") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(_)) => Ok(Some(ResponseToolChoice {
            mode: r.string(root, "tool_choice")?,
            ..Default::default()
        })),
        Some(Value::Object(_)) => {
            let Some(map) = r.object(root, "tool_choice")? else {
                return Ok(None);
            };
            let mut c = Reader::new(map, true);
            Ok(Some(ResponseToolChoice {
                mode: None,
                r#type: c.string(path, "type")?,
                name: c.string(path, "name")?,
                extra: c.extra(),
            }))
        }
        Some(other) => Err(invalid_type(path, "a string or an object", other)),
    }
}

fn reasoning(mut r: Reader, path: Path<'_>) -> Result<ReasoningConfig> {
    Ok(ReasoningConfig {
        effort: r.string(path, "effort")?,
        summary: r.string(path, "summary")?,
        extra: r.extra(),
    })
}

fn text(mut r: Reader, path: Path<'_>) -> Result<TextConfig> {
    let format = match r.object(path, "format")? {
        Some(map) => {
            let at = path.key("format");
            let mut f = Reader::new(map, true);
            Some(TextFormat {
                r#type: required_type(&mut f, at)?,
                name: f.string(at, "name")?,
                description: f.string(at, "description")?,
                schema: f.object(at, "schema")?.map(struct_from_map),
                strict: f.bool(at, "strict")?,
                extra: f.extra(),
            })
        }
        None => None,
    };
    Ok(TextConfig {
        format,
        verbosity: r.string(path, "verbosity")?,
        extra: r.extra(),
    })
}

/// `metadata`: string values only, as OpenAI has it. `{}` stays in `extra`
/// (an empty map is not written back).
fn metadata(r: &mut Reader, root: Path<'_>) -> Result<HashMap<String, String>> {
    if matches!(r.map.get("metadata"), Some(Value::Object(m)) if m.is_empty()) {
        return Ok(HashMap::new());
    }
    let Some(map) = r.object(root, "metadata")? else {
        return Ok(HashMap::new());
    };
    let path = root.key("metadata");
    map.into_iter()
        .map(|(key, value)| match value {
            Value::String(s) => Ok((key, s)),
            other => Err(invalid_type(path.key(&key), "a string", &other)),
        })
        .collect()
}

/// The body for an upstream's own Responses API. `stream` is written when
/// true: false is the API's default, and a body without `stream` comes back
/// without one.
pub(super) fn request_to(request: &ResponseRequest) -> Value {
    let mut map = Object::new();
    map.insert("model".to_owned(), Value::String(request.model.clone()));
    if let Some(text) = &request.input_text {
        map.insert("input".to_owned(), Value::String(text.clone()));
    } else if !request.input.is_empty() {
        let items = request.input.iter().map(input_item_to).collect();
        map.insert("input".to_owned(), Value::Array(items));
    }
    put_str(&mut map, "instructions", request.instructions.as_ref());
    if !request.tools.is_empty() {
        let tools = request.tools.iter().map(tool_to).collect();
        map.insert("tools".to_owned(), Value::Array(tools));
    }
    if let Some(choice) = &request.tool_choice {
        map.insert("tool_choice".to_owned(), tool_choice_to(choice));
    }
    put(&mut map, "parallel_tool_calls", request.parallel_tool_calls);
    put(&mut map, "max_output_tokens", request.max_output_tokens);
    put(
        &mut map,
        "temperature",
        request.temperature.map(json_number),
    );
    put(&mut map, "top_p", request.top_p.map(json_number));
    if let Some(reasoning) = &request.reasoning {
        let mut inner = Object::new();
        put_str(&mut inner, "effort", reasoning.effort.as_ref());
        put_str(&mut inner, "summary", reasoning.summary.as_ref());
        merge_extra(&mut inner, reasoning.extra.as_ref());
        map.insert("reasoning".to_owned(), Value::Object(inner));
    }
    if let Some(text) = &request.text {
        map.insert("text".to_owned(), text_to(text));
    }
    if request.stream {
        map.insert("stream".to_owned(), Value::Bool(true));
    }
    put(&mut map, "store", request.store);
    put_str(
        &mut map,
        "previous_response_id",
        request.previous_response_id.as_ref(),
    );
    put_str(&mut map, "user", request.user.as_ref());
    put_str(
        &mut map,
        "safety_identifier",
        request.safety_identifier.as_ref(),
    );
    put_str(
        &mut map,
        "prompt_cache_key",
        request.prompt_cache_key.as_ref(),
    );
    if !request.metadata.is_empty() {
        let metadata = request
            .metadata
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        map.insert("metadata".to_owned(), Value::Object(metadata));
    }
    merge_extra(&mut map, request.extra.as_ref());
    Value::Object(map)
}

fn input_item_to(item: &InputItem) -> Value {
    let mut map = Object::new();
    if !item.implicit_type {
        map.insert("type".to_owned(), Value::String(item.r#type.clone()));
    }
    put_str(&mut map, "id", item.id.as_ref());
    put_str(&mut map, "role", item.role.as_ref());
    if let Some(text) = &item.content_text {
        map.insert("content".to_owned(), Value::String(text.clone()));
    } else if !item.content.is_empty() || item.r#type == "message" {
        map.insert("content".to_owned(), parts_to(&item.content, false));
    }
    put_str(&mut map, "call_id", item.call_id.as_ref());
    put_str(&mut map, "name", item.name.as_ref());
    put_str(&mut map, "arguments", item.arguments.as_ref());
    put_str(&mut map, "output", item.output.as_ref());
    put_str(&mut map, "status", item.status.as_ref());
    if !item.summary.is_empty() || item.r#type == "reasoning" {
        map.insert("summary".to_owned(), parts_to(&item.summary, false));
    }
    put_str(
        &mut map,
        "encrypted_content",
        item.encrypted_content.as_ref(),
    );
    merge_extra(&mut map, item.extra.as_ref());
    Value::Object(map)
}

fn tool_to(tool: &ResponseTool) -> Value {
    let mut map = Object::new();
    map.insert("type".to_owned(), Value::String(tool.r#type.clone()));
    put_str(&mut map, "name", tool.name.as_ref());
    put_str(&mut map, "description", tool.description.as_ref());
    if let Some(parameters) = &tool.parameters {
        map.insert("parameters".to_owned(), object_value(parameters));
    }
    put(&mut map, "strict", tool.strict);
    merge_extra(&mut map, tool.extra.as_ref());
    Value::Object(map)
}

/// The string form when only `mode` is set, the object form otherwise.
fn tool_choice_to(choice: &ResponseToolChoice) -> Value {
    let object_form = choice.r#type.is_some() || choice.name.is_some() || choice.extra.is_some();
    match &choice.mode {
        Some(mode) if !object_form => Value::String(mode.clone()),
        _ => {
            let mut map = Object::new();
            put_str(&mut map, "type", choice.r#type.as_ref());
            put_str(&mut map, "name", choice.name.as_ref());
            merge_extra(&mut map, choice.extra.as_ref());
            Value::Object(map)
        }
    }
}

fn text_to(text: &TextConfig) -> Value {
    let mut map = Object::new();
    if let Some(format) = &text.format {
        let mut inner = Object::new();
        inner.insert("type".to_owned(), Value::String(format.r#type.clone()));
        put_str(&mut inner, "name", format.name.as_ref());
        put_str(&mut inner, "description", format.description.as_ref());
        if let Some(schema) = &format.schema {
            inner.insert("schema".to_owned(), object_value(schema));
        }
        put(&mut inner, "strict", format.strict);
        merge_extra(&mut inner, format.extra.as_ref());
        map.insert("format".to_owned(), Value::Object(inner));
    }
    put_str(&mut map, "verbosity", text.verbosity.as_ref());
    merge_extra(&mut map, text.extra.as_ref());
    Value::Object(map)
}
