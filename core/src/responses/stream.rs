//! The stream that feeds chat chunks to a [`Translator`] and yields its events.

use std::collections::VecDeque;

use futures::StreamExt;
use modelgate::error::GatewayError;
use modelgate::v1::{ChatCompletionChunk, ResponseEvent};

use super::Translator;
use crate::providers::{ChunkStream, EventStream};

struct Drive {
    chunks: ChunkStream,
    translator: Translator,
    pending: VecDeque<ResponseEvent>,
    ended: bool,
}

/// The events of `chunks`, once the first chunk has arrived: an error in its place is
/// returned, not streamed, as an upstream failure before any output.
pub async fn events(
    mut translator: Translator,
    mut chunks: ChunkStream,
) -> Result<EventStream, GatewayError> {
    let mut pending = VecDeque::new();
    let mut ended = false;
    match chunks.next().await {
        Some(first) => pending.extend(translator.chunk(&first?)),
        None => {
            ended = true;
            pending.extend(translator.finish());
        }
    }
    let drive = Drive {
        chunks,
        translator,
        pending,
        ended,
    };
    Ok(Box::pin(futures::stream::unfold(drive, next)))
}

async fn next(mut d: Drive) -> Option<(Result<ResponseEvent, GatewayError>, Drive)> {
    loop {
        if let Some(event) = d.pending.pop_front() {
            return Some((Ok(event), d));
        }
        if d.ended {
            return None;
        }
        match d.chunks.next().await {
            Some(Ok(chunk)) => feed(&mut d, &chunk),
            // The facade writes it as an `error` event; nothing follows it.
            Some(Err(err)) => {
                d.ended = true;
                return Some((Err(err), d));
            }
            None => {
                d.ended = true;
                let last = d.translator.finish();
                d.pending.extend(last);
            }
        }
    }
}

fn feed(d: &mut Drive, chunk: &ChatCompletionChunk) {
    let events = d.translator.chunk(chunk);
    d.pending.extend(events);
}
