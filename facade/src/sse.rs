//! Renders the core's chunk stream as OpenAI frames it: unnamed
//! `data: {json}\n\n` events, a usage-only chunk last when asked for, then
//! `data: [DONE]\n\n`. An error after the first byte becomes one
//! `data: {"error":…}` event and the end of the stream.

use std::collections::VecDeque;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use modelgate::error::GatewayError;
use modelgate::v1::{ChatCompletionChunk, Usage};

use crate::error::error_json;
use crate::response::{chunk_json, split_reasoning, usage_chunk_json};

const DONE: &[u8] = b"data: [DONE]\n\n";

/// SSE body bytes for a stream of chunks.
pub fn sse_body<S>(
    chunks: S,
    include_usage: bool,
) -> impl Stream<Item = Result<Bytes, std::convert::Infallible>> + Send
where
    S: Stream<Item = Result<ChatCompletionChunk, tonic::Status>> + Send + Unpin + 'static,
{
    let state = Renderer {
        chunks,
        include_usage,
        last: None,
        usage: None,
        queued: VecDeque::new(),
        ended: false,
    };
    futures::stream::unfold(state, |mut r| async move {
        loop {
            if let Some(bytes) = r.queued.pop_front() {
                return Some((Ok(bytes), r));
            }
            if r.ended {
                return None;
            }
            match r.chunks.next().await {
                Some(Ok(chunk)) => r.render(chunk),
                Some(Err(status)) => {
                    r.ended = true;
                    r.queued
                        .push_back(event(&error_json(&GatewayError::from_status(&status))));
                }
                None => {
                    r.ended = true;
                    r.finish();
                }
            }
        }
    })
}

struct Renderer<S> {
    chunks: S,
    include_usage: bool,
    /// Identity of the latest chunk, for the closing usage chunk.
    last: Option<(String, String, i64, Option<String>)>,
    usage: Option<Usage>,
    queued: VecDeque<Bytes>,
    ended: bool,
}

impl<S> Renderer<S> {
    fn render(&mut self, mut chunk: ChatCompletionChunk) {
        if let Some(usage) = chunk.usage.take() {
            self.usage = Some(usage);
        }
        if chunk.choices.is_empty() {
            // Usage-only (or empty) chunks are re-sent once, at the end.
            return;
        }
        if self.last.as_ref().is_none_or(|(id, ..)| *id != chunk.id) {
            self.last = Some((
                chunk.id.clone(),
                chunk.model.clone(),
                chunk.created,
                chunk.system_fingerprint.clone(),
            ));
        }
        for piece in split_reasoning(chunk) {
            self.queued
                .push_back(event(&chunk_json(&piece, self.include_usage)));
        }
    }

    fn finish(&mut self) {
        if self.include_usage
            && let (Some(usage), Some((id, model, created, fp))) = (&self.usage, &self.last)
        {
            self.queued.push_back(event(&usage_chunk_json(
                id,
                model,
                *created,
                fp.as_deref(),
                usage,
            )));
        }
        self.queued.push_back(Bytes::from_static(DONE));
    }
}

/// One unnamed SSE event: `data: {json}\n\n`. Public for the benches.
#[doc(hidden)]
pub fn event(json: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(json.len() + 8);
    out.extend_from_slice(b"data: ");
    out.extend_from_slice(json);
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}
