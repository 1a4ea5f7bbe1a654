//! Streamed events: one SSE `data:` object each.

use serde_json::Value;

use super::fields::{Object, Path, Reader, Result, merge_extra, put, put_str};
use super::output::{
    error_from, error_to, item_from, item_to, part_from, part_to, required_type, response_from,
    response_to,
};
use crate::v1::ResponseEvent;

/// An upstream's event (lenient: nothing in it is an error).
pub(super) fn event_from(map: Object) -> Result<ResponseEvent> {
    let root = Path::Root;
    let mut r = Reader::new(map, false);
    let event_type = required_type(&mut r, root)?;
    let response = match r.object(root, "response")? {
        Some(map) => Some(response_from(
            Reader::new(map, false),
            root.key("response"),
        )?),
        None => None,
    };
    let item = match r.object(root, "item")? {
        Some(map) => Some(item_from(Reader::new(map, false), root.key("item"))?),
        None => None,
    };
    let part = match r.object(root, "part")? {
        Some(map) => Some(part_from(Reader::new(map, false), root.key("part"))?),
        None => None,
    };
    let error = match r.object(root, "error")? {
        Some(map) => Some(error_from(Reader::new(map, false), root.key("error"))?),
        None => None,
    };
    Ok(ResponseEvent {
        r#type: event_type,
        sequence_number: r.u64(root, "sequence_number")?.unwrap_or_default(),
        response,
        output_index: r.u32(root, "output_index")?,
        item_id: r.string(root, "item_id")?,
        content_index: r.u32(root, "content_index")?,
        summary_index: r.u32(root, "summary_index")?,
        item,
        part,
        delta: r.string(root, "delta")?,
        text: r.string(root, "text")?,
        arguments: r.string(root, "arguments")?,
        refusal: r.string(root, "refusal")?,
        code: r.string(root, "code")?,
        message: r.string(root, "message")?,
        param: r.string(root, "param")?,
        error,
        extra: r.extra(),
    })
}

/// The event as the client receives it: `type` and `sequence_number` always,
/// every other field when set, then `extra`.
pub(super) fn event_to(event: &ResponseEvent) -> Value {
    let mut map = Object::new();
    map.insert("type".to_owned(), Value::String(event.r#type.clone()));
    map.insert("sequence_number".to_owned(), event.sequence_number.into());
    if let Some(response) = &event.response {
        map.insert("response".to_owned(), response_to(response));
    }
    put(&mut map, "output_index", event.output_index);
    put_str(&mut map, "item_id", event.item_id.as_ref());
    put(&mut map, "content_index", event.content_index);
    put(&mut map, "summary_index", event.summary_index);
    if let Some(item) = &event.item {
        map.insert("item".to_owned(), item_to(item, true));
    }
    if let Some(part) = &event.part {
        map.insert("part".to_owned(), part_to(part, true));
    }
    put_str(&mut map, "delta", event.delta.as_ref());
    put_str(&mut map, "text", event.text.as_ref());
    put_str(&mut map, "arguments", event.arguments.as_ref());
    put_str(&mut map, "refusal", event.refusal.as_ref());
    put_str(&mut map, "code", event.code.as_ref());
    put_str(&mut map, "message", event.message.as_ref());
    put_str(&mut map, "param", event.param.as_ref());
    if let Some(error) = &event.error {
        map.insert("error".to_owned(), error_to(error));
    }
    merge_extra(&mut map, event.extra.as_ref());
    Value::Object(map)
}
