//! OpenAI's Responses API on the wire: the JSON of requests, events and response objects, and
//! their `modelgate.v1` messages. Used by the facade (parsing requests, writing events) and by
//! the adapters with a Responses API of their own (writing requests, parsing events).

use crate::error::GatewayError;
use crate::v1::{ResponseEvent, ResponseObject, ResponseRequest};

/// A request body, or a 400 naming the offending field's path (`input[2].content[0].type`).
pub fn request_from_json(body: &[u8]) -> Result<ResponseRequest, GatewayError> {
    let _ = body;
    Err(GatewayError::invalid("input", "Responses JSON: not built"))
}

/// The JSON body that sends `request` to an upstream's Responses API, `extra` included.
pub fn request_to_json(request: &ResponseRequest) -> serde_json::Value {
    let _ = request;
    serde_json::Value::Null
}

/// One upstream SSE event's `data:`.
pub fn event_from_json(data: &[u8]) -> Result<ResponseEvent, serde_json::Error> {
    let _ = data;
    serde_json::from_slice::<serde_json::Value>(b"x").map(|_| ResponseEvent::default())
}

/// An event as the client receives it (`data:` of `event: <type>`).
pub fn event_to_json(event: &ResponseEvent) -> serde_json::Value {
    let _ = event;
    serde_json::Value::Null
}

/// A non-streamed upstream answer.
pub fn response_from_json(body: &[u8]) -> Result<ResponseObject, serde_json::Error> {
    let _ = body;
    serde_json::from_slice::<serde_json::Value>(b"x").map(|_| ResponseObject::default())
}

/// A response object as the client receives it (`object: "response"`).
pub fn response_to_json(response: &ResponseObject) -> serde_json::Value {
    let _ = response;
    serde_json::Value::Null
}
