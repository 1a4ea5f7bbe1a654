//! `input` items as chat messages, in order.

use modelgate::error::{ErrorKind, GatewayError, UNSUPPORTED_BY_PROVIDER};
use modelgate::json::struct_from_map;
use modelgate::v1::content_part::Part;
use modelgate::v1::message::Content;
use modelgate::v1::{
    ContentPart, ContentParts, ImageUrl, InputItem, Message, ResponsePart, Role, ToolCall,
};
use serde_json::{Map, Value};

use crate::config::ProviderKind;

/// Appends the messages `items` stand for to `out`.
pub fn append_messages(
    items: &[InputItem],
    kind: ProviderKind,
    out: &mut Vec<Message>,
) -> Result<(), GatewayError> {
    // Whether the last message in `out` is an assistant turn that the next function calls
    // belong to: the assistant message or function call item directly before them.
    let mut assistant_open = false;
    for (i, item) in items.iter().enumerate() {
        match item.r#type.as_str() {
            "message" => {
                let msg = message(item, i, kind)?;
                assistant_open = msg.role == Role::Assistant as i32;
                out.push(msg);
            }
            "function_call" => {
                let mut call = function_call(item, i)?;
                match out.last_mut() {
                    Some(last) if assistant_open => {
                        call.index = u32::try_from(last.tool_calls.len()).unwrap_or(u32::MAX);
                        last.tool_calls.push(call);
                    }
                    _ => out.push(Message {
                        role: Role::Assistant as i32,
                        content: None,
                        tool_calls: vec![call],
                        ..Default::default()
                    }),
                }
                assistant_open = true;
            }
            "function_call_output" => {
                out.push(Message {
                    role: Role::Tool as i32,
                    content: Some(Content::Text(item.output.clone().unwrap_or_default())),
                    tool_call_id: Some(required(item.call_id.as_deref(), i, "call_id")?),
                    ..Default::default()
                });
                assistant_open = false;
            }
            // Reasoning items (summaries, encrypted content) belong to the upstream that wrote
            // them; no chat upstream can take them back, and they do not split a turn.
            "reasoning" => {}
            other => {
                return Err(GatewayError::invalid(
                    format!("input[{i}].type"),
                    format!(
                        "Input items of type `{other}` are not supported by `{}` providers \
                         (modelgate answers their Responses requests through chat).",
                        kind.as_str()
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn required(value: Option<&str>, i: usize, field: &str) -> Result<String, GatewayError> {
    match value {
        Some(v) if !v.is_empty() => Ok(v.to_owned()),
        _ => Err(GatewayError::invalid(
            format!("input[{i}].{field}"),
            format!("`input[{i}].{field}` is required for this item type."),
        )),
    }
}

fn function_call(item: &InputItem, i: usize) -> Result<ToolCall, GatewayError> {
    let arguments = item.arguments.clone().unwrap_or_default();
    Ok(ToolCall {
        index: 0,
        id: Some(required(item.call_id.as_deref(), i, "call_id")?),
        r#type: Some("function".into()),
        name: Some(required(item.name.as_deref(), i, "name")?),
        // Upstreams parse the arguments as JSON: a call without any took none.
        arguments: if arguments.trim().is_empty() {
            "{}".into()
        } else {
            arguments
        },
    })
}

fn message(item: &InputItem, i: usize, kind: ProviderKind) -> Result<Message, GatewayError> {
    let role = match item.role.as_deref() {
        Some("user") => Role::User,
        Some("assistant") => Role::Assistant,
        Some("system") => Role::System,
        Some("developer") => Role::Developer,
        Some(other) => {
            return Err(GatewayError::invalid(
                format!("input[{i}].role"),
                format!(
                    "Invalid role `{other}`: one of `user`, `assistant`, `system`, `developer`."
                ),
            ));
        }
        None => {
            return Err(GatewayError::invalid(
                format!("input[{i}].role"),
                "Message items need a `role`.",
            ));
        }
    };
    let content = match &item.content_text {
        Some(text) => Some(Content::Text(text.clone())),
        None if item.content.is_empty() && role == Role::Assistant => None,
        None if item.content.is_empty() => Some(Content::Text(String::new())),
        None if role == Role::User => Some(user_content(&item.content, i, kind)?),
        None => Some(Content::Text(text_only(&item.content, i)?)),
    };
    Ok(Message {
        role: role as i32,
        content,
        ..Default::default()
    })
}

/// System, developer and assistant content: chat takes only text there.
fn text_only(parts: &[ResponsePart], i: usize) -> Result<String, GatewayError> {
    let mut texts = Vec::with_capacity(parts.len());
    for (j, part) in parts.iter().enumerate() {
        match part.r#type.as_str() {
            "input_text" | "output_text" => texts.push(part.text.clone().unwrap_or_default()),
            // An earlier refusal, kept as what the assistant said.
            "refusal" => texts.push(part.refusal.clone().unwrap_or_default()),
            other => {
                return Err(GatewayError::invalid(
                    format!("input[{i}].content[{j}].type"),
                    format!("Content parts of type `{other}` are only taken in `user` messages."),
                ));
            }
        }
    }
    Ok(texts.join("\n"))
}

fn user_content(
    parts: &[ResponsePart],
    i: usize,
    kind: ProviderKind,
) -> Result<Content, GatewayError> {
    let mut out = Vec::with_capacity(parts.len());
    for (j, part) in parts.iter().enumerate() {
        out.push(user_part(part, i, j, kind)?);
    }
    // One text part is plain text content, which every chat upstream takes.
    if let [Part::Text(text)] = out.as_slice() {
        return Ok(Content::Text(text.clone()));
    }
    Ok(Content::Parts(ContentParts {
        parts: out
            .into_iter()
            .map(|p| ContentPart { part: Some(p) })
            .collect(),
    }))
}

fn user_part(
    part: &ResponsePart,
    i: usize,
    j: usize,
    kind: ProviderKind,
) -> Result<Part, GatewayError> {
    let path = format!("input[{i}].content[{j}]");
    match part.r#type.as_str() {
        "input_text" | "output_text" => Ok(Part::Text(part.text.clone().unwrap_or_default())),
        "input_image" => match (&part.image_url, &part.file_id) {
            (Some(url), _) => Ok(Part::ImageUrl(ImageUrl {
                url: url.clone(),
                detail: part.detail.clone(),
            })),
            (None, Some(_)) => Err(file_id_refusal(&path, "Images", "image_url", kind)),
            (None, None) => Err(GatewayError::invalid(
                format!("{path}.image_url"),
                "`input_image` parts need an `image_url` (an http(s) or data: URL).",
            )),
        },
        "input_file" => input_file(part, &path, kind),
        other => Err(GatewayError::invalid(
            format!("{path}.type"),
            format!(
                "Content parts of type `{other}` are not supported by `{}` providers \
                 (modelgate answers their Responses requests through chat).",
                kind.as_str()
            ),
        )),
    }
}

/// `input_file` as chat's `file` part (`file.file_data`, a base64 data: URL), which the
/// Anthropic (documents), Gemini (inline data) and OpenAI-compatible adapters carry. Ollama has
/// no file input, and no chat upstream can read another API's file ids or fetch file URLs.
fn input_file(part: &ResponsePart, path: &str, kind: ProviderKind) -> Result<Part, GatewayError> {
    if kind == ProviderKind::Ollama {
        return Err(unsupported(
            format!("{path}.type"),
            "File inputs are not supported by `ollama` providers.".into(),
        ));
    }
    match (&part.file_data, &part.file_id, &part.file_url) {
        (Some(data), _, _) => {
            let mut file = Map::new();
            file.insert("file_data".into(), Value::String(data.clone()));
            if let Some(name) = &part.filename {
                file.insert("filename".into(), Value::String(name.clone()));
            }
            let mut wrapper = Map::new();
            wrapper.insert("type".into(), Value::String("file".into()));
            wrapper.insert("file".into(), Value::Object(file));
            Ok(Part::Other(struct_from_map(wrapper)))
        }
        (None, Some(_), _) => Err(file_id_refusal(path, "Files", "file_data", kind)),
        (None, None, Some(_)) => Err(unsupported(
            format!("{path}.file_url"),
            format!(
                "Files by `file_url` are not supported by `{}` providers; send `file_data` \
                 (a base64 data: URL).",
                kind.as_str()
            ),
        )),
        (None, None, None) => Err(GatewayError::invalid(
            format!("{path}.file_data"),
            "`input_file` parts need `file_data` (a base64 data: URL).",
        )),
    }
}

fn file_id_refusal(path: &str, what: &str, instead: &str, kind: ProviderKind) -> GatewayError {
    unsupported(
        format!("{path}.file_id"),
        format!(
            "{what} by `file_id` are not supported by `{}` providers, which have no Files API; \
             send `{instead}` instead.",
            kind.as_str()
        ),
    )
}

/// 400 `unsupported_by_provider` at `param`.
pub fn unsupported(param: String, message: String) -> GatewayError {
    GatewayError::new(ErrorKind::UnsupportedByProvider, message)
        .with_code(UNSUPPORTED_BY_PROVIDER)
        .with_param(param)
}
