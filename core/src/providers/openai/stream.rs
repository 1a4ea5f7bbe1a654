//! OpenAI-dialect SSE → chunks, shared by every adapter that speaks it.
//! Payloads that carry nothing to forward are skipped: Azure's filter-only
//! ones (a first one with `choices: []` and `prompt_filter_results`, and,
//! with asynchronous filtering, choices holding only `content_filter_results`).

use std::sync::Arc;

use futures::{StreamExt, stream};
use modelgate::error::{ErrorKind, GatewayError};
use modelgate::v1::{ChatCompletionChunk, Delta};

use super::response::{StreamItem, parse_stream_data};
use crate::providers::ChunkStream;
use crate::providers::http::sse_events;

/// Ends at `[DONE]`; a body that stops before it without any finish_reason
/// is reported as broken, not as a short answer. `scrub` cleans every error.
pub(crate) fn chunk_stream(
    name: Arc<str>,
    response: reqwest::Response,
    scrub: impl Fn(GatewayError) -> GatewayError + Send + 'static,
) -> ChunkStream {
    let events = Box::pin(sse_events(response, name.to_string()));
    let state = (events, name, scrub, false, false);
    Box::pin(stream::unfold(
        state,
        |(mut events, name, scrub, mut finished, done)| async move {
            if done {
                return None;
            }
            loop {
                let item = match events.next().await {
                    Some(Ok(event)) => parse_stream_data(&name, &event.data),
                    Some(Err(err)) => Err(err),
                    None if finished => return None,
                    None => Err(GatewayError::new(
                        ErrorKind::Unavailable,
                        format!("upstream `{name}` ended the stream before finishing the answer"),
                    )
                    .with_http_status(502)),
                };
                match item {
                    Ok(StreamItem::Chunk(chunk)) if carries_nothing(&chunk) => {}
                    Ok(StreamItem::Chunk(chunk)) => {
                        finished |= chunk.choices.iter().any(|c| c.finish_reason.is_some());
                        return Some((Ok(chunk), (events, name, scrub, finished, false)));
                    }
                    Ok(StreamItem::Skip) => {}
                    Ok(StreamItem::Done) => return None,
                    Err(err) => {
                        let err = scrub(err);
                        return Some((Err(err), (events, name, scrub, finished, true)));
                    }
                }
            }
        },
    ))
}

/// Whether the upstream answered with an event stream (some servers ignore
/// `stream: true`, or fail with a JSON body and a 200).
pub(crate) fn is_event_stream(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("event-stream"))
}

/// A chunk whose choices hold only filter annotations (no delta, no finish).
fn carries_nothing(chunk: &ChatCompletionChunk) -> bool {
    chunk.usage.is_none()
        && chunk.choices.iter().all(|c| {
            c.finish_reason.is_none()
                && c.logprobs.is_none()
                && c.delta.as_ref().is_none_or(|d| *d == Delta::default())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(line: &str) -> ChatCompletionChunk {
        match parse_stream_data("azure", line).expect("parses") {
            StreamItem::Chunk(c) => c,
            other => panic!("not a chunk: {other:?}"),
        }
    }

    #[test]
    fn filter_annotations_carry_nothing_but_deltas_do() {
        // Microsoft documents annotation-only chunks for asynchronous filtering;
        // this one is a recorded content chunk with its delta taken away.
        let annotation = r#"{"choices":[{"content_filter_results":{"hate":{"filtered":false,"severity":"safe"}},"finish_reason":null,"index":0}],"created":0,"id":"","model":""}"#;
        assert!(carries_nothing(&chunk(annotation)));
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/fixtures/providers/azure/chat-stream-model-router.chunks.jsonl"
        );
        let text = std::fs::read_to_string(path).expect("fixture");
        let lines: Vec<&str> = text.lines().collect();
        // The first line is the prompt-filter payload the parser already skips.
        assert_eq!(
            parse_stream_data("azure", lines[0]).expect("parses"),
            StreamItem::Skip
        );
        for line in &lines[1..] {
            assert!(!carries_nothing(&chunk(line)), "{line}");
        }
    }
}
