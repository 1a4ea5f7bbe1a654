//! `POST /v1/responses` (and `/responses`): OpenAI's Responses API over the core's
//! `CreateResponse`. Streamed, each event is written as OpenAI names it, `event: <type>` then
//! `data: {json}` (no `[DONE]`: the Responses stream has none); an error after the first
//! event is one `event: error` and the end of the stream. Not streamed, the one terminal
//! event's response object is the body.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::IntoResponse;
use futures::{Stream, StreamExt};
use modelgate::error::{ErrorKind, GatewayError};
use modelgate::v1::ResponseEvent;

use crate::core_client::CoreClient;
use crate::error::ApiError;
use crate::routes::{ApiResult, body, json, rpc};

/// Event types that end a response and carry the whole of it.
const TERMINAL: [&str; 3] = [
    "response.completed",
    "response.incomplete",
    "response.failed",
];

#[utoipa::path(post, path = "/v1/responses", tag = "OpenAI",
    request_body = crate::openapi::responses_schema::ResponseRequest,
    responses((status = 200, description = "The response object, or with `stream: true` SSE events (`event: <type>` and `data: {event}`) ending in `response.completed`, `response.incomplete` or `response.failed` (or an `error` event)",
            content((crate::openapi::responses_schema::ResponseObject = "application/json"),
                (crate::openapi::responses_schema::ResponseStreamEvent = "text/event-stream"))),
        (status = "4XX", body = crate::openapi::schema::ErrorResponse), (status = "5XX", body = crate::openapi::schema::ErrorResponse)))]
pub(crate) async fn responses(
    State(core): State<CoreClient>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let request = modelgate::responses::request_from_json(&body(raw)?)?;
    let stream = request.stream;
    let response = core.create_response(rpc(&headers, request)).await?;
    let forwarded = crate::forwarded::from_metadata(response.metadata());
    let mut events = response.into_inner();
    if stream {
        let body = Body::from_stream(sse_body(events));
        return Ok((
            forwarded,
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/event-stream"),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
                (
                    header::HeaderName::from_static("x-accel-buffering"),
                    HeaderValue::from_static("no"),
                ),
            ],
            body,
        )
            .into_response());
    }
    let mut last = None;
    while let Some(event) = events.next().await {
        let event = event?;
        if TERMINAL.contains(&event.r#type.as_str())
            && let Some(response) = event.response
        {
            last = Some(response);
        }
    }
    let Some(response) = last else {
        return Err(ApiError(
            GatewayError::new(
                ErrorKind::Unavailable,
                "The upstream ended the response without its final state.",
            )
            .with_http_status(502),
        ));
    };
    Ok((
        forwarded,
        json(to_bytes(&modelgate::responses::response_to_json(&response))),
    )
        .into_response())
}

/// SSE body bytes for the core's events: pulled one at a time as the client reads, so a
/// client that goes away drops the core's stream (and with it the upstream request).
pub fn sse_body<S>(events: S) -> impl Stream<Item = Result<Bytes, std::convert::Infallible>> + Send
where
    S: Stream<Item = Result<ResponseEvent, tonic::Status>> + Send + Unpin + 'static,
{
    // The sequence number the next event would have had, for an error event.
    futures::stream::unfold((events, Some(0u64)), |(mut events, next)| async move {
        let next_number = next?;
        match events.next().await {
            Some(Ok(event)) => {
                let bytes = frame(&event.r#type, &modelgate::responses::event_to_json(&event));
                let after = event.sequence_number.saturating_add(1).max(next_number);
                Some((Ok(bytes), (events, Some(after))))
            }
            Some(Err(status)) => {
                let err = GatewayError::from_status(&status);
                Some((
                    Ok(frame("error", &error_event(&err, next_number))),
                    (events, None),
                ))
            }
            None => None,
        }
    })
}

/// OpenAI's streamed `error` event.
pub fn error_event(err: &GatewayError, sequence_number: u64) -> serde_json::Value {
    serde_json::json!({
        "type": "error",
        "code": err.code.as_deref().unwrap_or_else(|| err.openai_type()),
        "message": err.message,
        "param": err.param,
        "sequence_number": sequence_number,
    })
}

/// One named SSE event: `event: <type>\ndata: {json}\n\n`.
fn frame(kind: &str, data: &serde_json::Value) -> Bytes {
    let json = to_bytes(data);
    let mut out = Vec::with_capacity(json.len() + kind.len() + 16);
    out.extend_from_slice(b"event: ");
    // An event type is a name; a line break in one would start another SSE field.
    out.extend(kind.bytes().filter(|b| *b != b'\n' && *b != b'\r'));
    out.extend_from_slice(b"\ndata: ");
    out.extend_from_slice(&json);
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}

fn to_bytes(value: &serde_json::Value) -> Vec<u8> {
    // Serialising a `Value` cannot fail; an empty object stands in regardless.
    serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, n: u64) -> Result<ResponseEvent, tonic::Status> {
        Ok(ResponseEvent {
            r#type: kind.into(),
            sequence_number: n,
            ..Default::default()
        })
    }

    async fn text(items: Vec<Result<ResponseEvent, tonic::Status>>) -> String {
        let frames: Vec<_> = sse_body(futures::stream::iter(items)).collect().await;
        frames
            .into_iter()
            .map(|f| String::from_utf8(f.expect("bytes").to_vec()).expect("utf-8"))
            .collect()
    }

    #[tokio::test]
    async fn an_error_after_the_first_event_is_an_error_event_numbered_next() {
        let out = text(vec![
            event("response.created", 0),
            event("response.output_text.delta", 1),
            Err(GatewayError::new(ErrorKind::Timeout, "upstream went quiet")
                .with_code("upstream_timeout")
                .into()),
            event("response.completed", 2),
        ])
        .await;
        let frames: Vec<&str> = out.split("\n\n").filter(|f| !f.is_empty()).collect();
        assert_eq!(frames.len(), 3, "{out}");
        assert!(
            frames[0].starts_with("event: response.created\ndata: "),
            "{out}"
        );
        assert!(
            frames[1].starts_with("event: response.output_text.delta\ndata: "),
            "{out}"
        );
        let data = frames[2]
            .strip_prefix("event: error\ndata: ")
            .unwrap_or_else(|| panic!("not an error event: {out}"));
        let error: serde_json::Value = serde_json::from_str(data).expect("JSON");
        assert_eq!(error["type"], "error");
        assert_eq!(error["code"], "upstream_timeout");
        assert_eq!(error["message"], "upstream went quiet");
        assert_eq!(error["sequence_number"], 2);
        assert!(!out.contains("[DONE]"));
    }
}
