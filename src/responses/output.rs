//! Content parts, output items, usage, errors and the response object.
//!
//! Rendering rule for what modelgate writes itself (translated from chat,
//! `extra` empty), taken from OpenAI's recorded streams: a response object
//! always carries `id`, `object: "response"`, `created_at`, `status`,
//! `model`, `output` (`[]` when empty), and `usage`, `error` and
//! `incomplete_details` (each `null` when unset), usage with both details
//! objects (`cached_tokens` / `reasoning_tokens`, 0 when unset); a `message`
//! item always has `content`, a `reasoning` item `summary` (`[]` when
//! empty); an `output_text` part always has `annotations` (`[]`). A response
//! object parsed from an upstream (`from_upstream`) is written back with
//! exactly the keys it had instead.

use serde_json::{Value, json};

use super::fields::{Object, Path, Reader, Result, merge_extra, put, put_str};
use crate::v1::{OutputItem, ResponseError, ResponseObject, ResponsePart, ResponseUsage};

// ---------------------------------------------------------------------------
// Parts

pub(super) fn part_from(mut r: Reader, path: Path<'_>) -> Result<ResponsePart> {
    let part_type = required_type(&mut r, path)?;
    Ok(ResponsePart {
        r#type: part_type,
        text: r.string(path, "text")?,
        image_url: r.string(path, "image_url")?,
        detail: r.string(path, "detail")?,
        file_id: r.string(path, "file_id")?,
        file_data: r.string(path, "file_data")?,
        filename: r.string(path, "filename")?,
        file_url: r.string(path, "file_url")?,
        refusal: r.string(path, "refusal")?,
        extra: r.extra(),
    })
}

/// `defaults`: add what OpenAI always writes on output parts (not for the
/// parts of a client's request, which go back as the client wrote them).
pub(super) fn part_to(part: &ResponsePart, defaults: bool) -> Value {
    let mut map = Object::new();
    map.insert("type".to_owned(), Value::String(part.r#type.clone()));
    put_str(&mut map, "text", part.text.as_ref());
    put_str(&mut map, "image_url", part.image_url.as_ref());
    put_str(&mut map, "detail", part.detail.as_ref());
    put_str(&mut map, "file_id", part.file_id.as_ref());
    put_str(&mut map, "file_data", part.file_data.as_ref());
    put_str(&mut map, "filename", part.filename.as_ref());
    put_str(&mut map, "file_url", part.file_url.as_ref());
    put_str(&mut map, "refusal", part.refusal.as_ref());
    if defaults && part.r#type == "output_text" {
        map.insert("annotations".to_owned(), Value::Array(Vec::new()));
    }
    merge_extra(&mut map, part.extra.as_ref());
    Value::Object(map)
}

pub(super) fn parts_to(parts: &[ResponsePart], defaults: bool) -> Value {
    Value::Array(parts.iter().map(|p| part_to(p, defaults)).collect())
}

/// `type`: required from clients (`input[2].content[0].type`); from an
/// upstream, an item without one reads as `""`.
pub(super) fn required_type(r: &mut Reader, path: Path<'_>) -> Result<String> {
    match r.string(path, "type")? {
        Some(t) => Ok(t),
        None if r.strict => Err(super::fields::missing(path.key("type"))),
        None => Ok(String::new()),
    }
}

// ---------------------------------------------------------------------------
// Output items

pub(super) fn item_from(mut r: Reader, path: Path<'_>) -> Result<OutputItem> {
    let item_type = required_type(&mut r, path)?;
    let content = r.list(path, "content", item_type == "message", part_from)?;
    let summary = r.list(path, "summary", item_type == "reasoning", part_from)?;
    Ok(OutputItem {
        id: r.string(path, "id")?.unwrap_or_default(),
        status: r.string(path, "status")?,
        role: r.string(path, "role")?,
        content,
        call_id: r.string(path, "call_id")?,
        name: r.string(path, "name")?,
        arguments: r.string(path, "arguments")?,
        summary,
        encrypted_content: r.string(path, "encrypted_content")?,
        extra: r.extra(),
        r#type: item_type,
    })
}

pub(super) fn item_to(item: &OutputItem, defaults: bool) -> Value {
    let mut map = Object::new();
    map.insert("type".to_owned(), Value::String(item.r#type.clone()));
    map.insert("id".to_owned(), Value::String(item.id.clone()));
    put_str(&mut map, "status", item.status.as_ref());
    put_str(&mut map, "role", item.role.as_ref());
    if !item.content.is_empty() || item.r#type == "message" {
        map.insert("content".to_owned(), parts_to(&item.content, defaults));
    }
    put_str(&mut map, "call_id", item.call_id.as_ref());
    put_str(&mut map, "name", item.name.as_ref());
    put_str(&mut map, "arguments", item.arguments.as_ref());
    if !item.summary.is_empty() || item.r#type == "reasoning" {
        map.insert("summary".to_owned(), parts_to(&item.summary, defaults));
    }
    put_str(
        &mut map,
        "encrypted_content",
        item.encrypted_content.as_ref(),
    );
    merge_extra(&mut map, item.extra.as_ref());
    Value::Object(map)
}

// ---------------------------------------------------------------------------
// Usage and errors

const INPUT_DETAILS: &str = "input_tokens_details";
const OUTPUT_DETAILS: &str = "output_tokens_details";

fn usage_from(mut r: Reader, path: Path<'_>) -> Result<ResponseUsage> {
    let input_tokens = r.u64(path, "input_tokens")?.unwrap_or_default();
    let output_tokens = r.u64(path, "output_tokens")?.unwrap_or_default();
    let total_tokens = r.u64(path, "total_tokens")?.unwrap_or_default();
    let cached_tokens = details_from(&mut r, path, INPUT_DETAILS, "cached_tokens")?;
    let reasoning_tokens = details_from(&mut r, path, OUTPUT_DETAILS, "reasoning_tokens")?;
    Ok(ResponseUsage {
        input_tokens,
        output_tokens,
        total_tokens,
        cached_tokens,
        reasoning_tokens,
        extra: r.extra(),
    })
}

/// Takes `key` out of the details object; the rest of that object (or all of
/// it, when `key` is missing) stays in usage's `extra`, merged back key by key.
fn details_from(r: &mut Reader, path: Path<'_>, details: &str, key: &str) -> Result<Option<u64>> {
    let Some(map) = r.object(path, details)? else {
        return Ok(None);
    };
    let mut inner = Reader::new(map, r.strict);
    let tokens = inner.u64(path.key(details), key)?;
    if !inner.map.is_empty() || tokens.is_none() {
        r.map.insert(details.to_owned(), Value::Object(inner.map));
    }
    Ok(tokens)
}

fn usage_to(usage: &ResponseUsage, defaults: bool) -> Value {
    let mut map = Object::new();
    map.insert("input_tokens".to_owned(), usage.input_tokens.into());
    map.insert("output_tokens".to_owned(), usage.output_tokens.into());
    map.insert("total_tokens".to_owned(), usage.total_tokens.into());
    let mut extra = usage
        .extra
        .as_ref()
        .map(crate::json::map_from_struct)
        .unwrap_or_default();
    for (details, key, tokens) in [
        (INPUT_DETAILS, "cached_tokens", usage.cached_tokens),
        (OUTPUT_DETAILS, "reasoning_tokens", usage.reasoning_tokens),
    ] {
        let rest = match extra.remove(details) {
            Some(Value::Object(rest)) => Some(rest),
            Some(other) => {
                map.insert(details.to_owned(), other);
                continue;
            }
            None => None,
        };
        let tokens = tokens.or_else(|| (defaults && rest.is_none()).then_some(0));
        if tokens.is_none() && rest.is_none() {
            continue;
        }
        let mut inner = rest.unwrap_or_default();
        put(&mut inner, key, tokens);
        map.insert(details.to_owned(), Value::Object(inner));
    }
    map.extend(extra);
    Value::Object(map)
}

pub(super) fn error_from(mut r: Reader, path: Path<'_>) -> Result<ResponseError> {
    Ok(ResponseError {
        code: r.string(path, "code")?.unwrap_or_default(),
        message: r.string(path, "message")?.unwrap_or_default(),
        extra: r.extra(),
    })
}

pub(super) fn error_to(error: &ResponseError) -> Value {
    let mut map = Object::new();
    map.insert("code".to_owned(), Value::String(error.code.clone()));
    map.insert("message".to_owned(), Value::String(error.message.clone()));
    merge_extra(&mut map, error.extra.as_ref());
    Value::Object(map)
}

// ---------------------------------------------------------------------------
// The response object

pub(super) fn response_from(mut r: Reader, path: Path<'_>) -> Result<ResponseObject> {
    if r.map.get("object").and_then(Value::as_str) == Some("response") {
        r.map.remove("object");
    }
    let incomplete_reason = match r.object(path, "incomplete_details")? {
        None => None,
        Some(details) => {
            let reason = details
                .get("reason")
                .and_then(Value::as_str)
                .map(str::to_owned);
            // Anything more than a string `reason` comes back from `extra` whole.
            if reason.is_none() || details.len() > 1 {
                r.map
                    .insert("incomplete_details".to_owned(), Value::Object(details));
            }
            reason
        }
    };
    let output = r.list(path, "output", true, item_from)?;
    let usage = match r.object(path, "usage")? {
        Some(map) => Some(usage_from(Reader::new(map, r.strict), path.key("usage"))?),
        None => None,
    };
    let error = match r.object(path, "error")? {
        Some(map) => Some(error_from(Reader::new(map, r.strict), path.key("error"))?),
        None => None,
    };
    Ok(ResponseObject {
        id: r.string(path, "id")?.unwrap_or_default(),
        created_at: r.i64(path, "created_at")?.unwrap_or_default(),
        status: r.string(path, "status")?.unwrap_or_default(),
        model: r.string(path, "model")?.unwrap_or_default(),
        output,
        usage,
        error,
        incomplete_reason,
        extra: r.extra(),
        from_upstream: true,
    })
}

pub(super) fn response_to(response: &ResponseObject) -> Value {
    let defaults = !response.from_upstream;
    let mut map = Object::new();
    map.insert("id".to_owned(), Value::String(response.id.clone()));
    map.insert("object".to_owned(), Value::String("response".to_owned()));
    map.insert("created_at".to_owned(), response.created_at.into());
    map.insert("status".to_owned(), Value::String(response.status.clone()));
    map.insert("model".to_owned(), Value::String(response.model.clone()));
    let output = response
        .output
        .iter()
        .map(|i| item_to(i, defaults))
        .collect();
    map.insert("output".to_owned(), Value::Array(output));
    let nullable = [
        (
            "usage",
            response.usage.as_ref().map(|u| usage_to(u, defaults)),
        ),
        ("error", response.error.as_ref().map(error_to)),
        (
            "incomplete_details",
            response
                .incomplete_reason
                .as_ref()
                .map(|reason| json!({ "reason": reason })),
        ),
    ];
    for (key, value) in nullable {
        match value {
            Some(value) => {
                map.insert(key.to_owned(), value);
            }
            None if defaults => {
                map.insert(key.to_owned(), Value::Null);
            }
            None => {}
        }
    }
    merge_extra(&mut map, response.extra.as_ref());
    Value::Object(map)
}
