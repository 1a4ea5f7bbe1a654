//! OpenAI's Responses API on the wire: the JSON of requests, events and response objects, and
//! their `modelgate.v1` messages. Used by the facade (parsing requests, writing events) and by
//! the adapters with a Responses API of their own (writing requests, parsing events).
//!
//! Every level keeps the keys it does not model in its `extra`, explicit nulls included, and
//! writes `extra` back last, so JSON read here and written again is the JSON that came in
//! (key order aside). Two things are not kept: a JSON number `1.0` comes back as `1` (see
//! [`crate::json::json_number`]), and a request's `"stream": false` comes back absent (the
//! API's default). What modelgate writes itself follows OpenAI's recordings: see `output.rs`.

mod event;
mod fields;
mod output;
mod request;

#[cfg(test)]
mod tests;

use serde_json::{Map, Value};

use crate::error::{ErrorKind, GatewayError};
use crate::v1::{ResponseEvent, ResponseObject, ResponseRequest};
use fields::{FieldError, Path, Reader};

/// A request body, or a 400 naming the offending field's path (`input[2].content[0].type`).
/// The body's `fallbacks` / `num_retries` become `routing` (see [`crate::routing`]), not
/// `extra`, so [`request_to_json`] never sends them upstream.
pub fn request_from_json(body: &[u8]) -> Result<ResponseRequest, GatewayError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        GatewayError::new(
            ErrorKind::InvalidRequest,
            format!("We could not parse the JSON body of your request: {e}"),
        )
    })?;
    let Value::Object(mut map) = value else {
        return Err(GatewayError::new(
            ErrorKind::InvalidRequest,
            format!(
                "We could not parse the JSON body of your request: expected a JSON object, but got {} instead.",
                fields::describe(&value)
            ),
        ));
    };
    let routing = crate::routing::routing_from_json(&mut map)?;
    let request = request::request_from(map)
        .map_err(|FieldError { param, message }| GatewayError::invalid(param, message))?;
    Ok(ResponseRequest { routing, ..request })
}

/// The JSON body that sends `request` to an upstream's Responses API, `extra` included.
pub fn request_to_json(request: &ResponseRequest) -> Value {
    request::request_to(request)
}

/// One upstream SSE event's `data:`. Only JSON that is not an object is an error: a field of
/// an unexpected type stays in `extra`.
pub fn event_from_json(data: &[u8]) -> Result<ResponseEvent, serde_json::Error> {
    let map: Map<String, Value> = serde_json::from_slice(data)?;
    // Lenient reading reports no field errors.
    Ok(event::event_from(map).unwrap_or_default())
}

/// An event as the client receives it (`data:` of `event: <type>`).
pub fn event_to_json(event: &ResponseEvent) -> Value {
    event::event_to(event)
}

/// A non-streamed upstream answer.
pub fn response_from_json(body: &[u8]) -> Result<ResponseObject, serde_json::Error> {
    let map: Map<String, Value> = serde_json::from_slice(body)?;
    Ok(output::response_from(Reader::new(map, false), Path::Root).unwrap_or_default())
}

/// A response object as the client receives it (`object: "response"`).
pub fn response_to_json(response: &ResponseObject) -> Value {
    output::response_to(response)
}
