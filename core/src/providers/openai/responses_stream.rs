//! Moving a Responses answer from an upstream's own Responses API (OpenAI, Azure OpenAI):
//! an SSE body → events, the first one awaited before the stream is handed out; a JSON body →
//! its one event. The mapping is `responses.rs`.

use std::sync::Arc;

use futures::{StreamExt, stream};
use modelgate::error::{ErrorKind, GatewayError};
use modelgate::v1::ResponseEvent;

use super::responses::{EventItem, is_terminal, parse_event, parse_response};
use crate::providers::EventStream;
use crate::providers::http::{read_body, sse_events};

/// The events of a Responses answer from upstream `name`. A streamed one resolves only once
/// its first event has arrived, so an upstream that fails at once (an `error` event, a broken
/// body) is an error here, before any event has gone out; a non-streamed (or not event-stream)
/// one is read whole, bounded like chat's. `scrub` cleans every error.
pub(crate) async fn events(
    name: Arc<str>,
    response: reqwest::Response,
    stream: bool,
    scrub: impl Fn(GatewayError) -> GatewayError + Send + 'static,
) -> Result<EventStream, GatewayError> {
    if !stream || !super::stream::is_event_stream(&response) {
        let body = read_body(&name, response).await?;
        let event = parse_response(&name, &body).map_err(scrub)?;
        return Ok(Box::pin(stream::iter([Ok(event)])));
    }
    let mut events = event_stream(name.clone(), response, scrub);
    match events.next().await {
        Some(Ok(first)) => Ok(Box::pin(stream::iter([Ok(first)]).chain(events))),
        Some(Err(err)) => Err(err),
        None => Err(ended_early(&name)),
    }
}

fn ended_early(provider: &str) -> GatewayError {
    GatewayError::new(
        ErrorKind::Unavailable,
        format!("upstream `{provider}` ended the stream before finishing the answer"),
    )
    .with_http_status(502)
}

/// Every event the upstream sends, unchanged, up to its terminal event (`response.completed`,
/// `.incomplete`, `.failed`) or `[DONE]`; a body that stops before either is reported as
/// broken, not as a short answer. After an error the stream ends. `scrub` cleans every error.
fn event_stream(
    name: Arc<str>,
    response: reqwest::Response,
    scrub: impl Fn(GatewayError) -> GatewayError + Send + 'static,
) -> EventStream {
    let sse = Box::pin(sse_events(response, name.to_string()));
    let state = (sse, name, scrub, false, false);
    Box::pin(stream::unfold(
        state,
        |(mut sse, name, scrub, mut finished, done)| async move {
            if done {
                return None;
            }
            let item: Result<ResponseEvent, GatewayError> = match sse.next().await {
                Some(Ok(event)) => match parse_event(&name, &event.data) {
                    Ok(EventItem::Event(event)) => {
                        finished |= is_terminal(&event);
                        Ok(*event)
                    }
                    Ok(EventItem::Done) if finished => return None,
                    Ok(EventItem::Done) => Err(ended_early(&name)),
                    Err(err) => Err(err),
                },
                Some(Err(err)) => Err(err),
                None if finished => return None,
                None => Err(ended_early(&name)),
            };
            match item {
                Ok(event) => Some((Ok(event), (sse, name, scrub, finished, false))),
                Err(err) => Some((Err(scrub(err)), (sse, name, scrub, finished, true))),
            }
        },
    ))
}
