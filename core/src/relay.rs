//! The one way a streamed RPC hands its answer to the caller: the first item (already read, so
//! early failures were the RPC's status), then the rest straight from the provider without a
//! channel, so a caller that goes away drops the upstream request at once. Each item tells the
//! request log what it carries ([`Relayed`]); the stream's end or error closes the log line.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures::{Stream, StreamExt};
use modelgate::error::GatewayError;
use modelgate::v1::{ChatCompletionChunk, ResponseEvent, Usage};
use tonic::Status;

use crate::request_log::RequestLog;
use crate::secrets::Secrets;

/// An answer as the RPC streams it to its caller.
pub type Answer<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// What one item of a streamed answer tells the request log.
pub trait Relayed: Send + 'static {
    /// The first item: also the model that answered.
    fn first(&self, log: &mut RequestLog);
    /// Every later item.
    fn note(&self, log: &mut RequestLog);
}

impl Relayed for ChatCompletionChunk {
    fn first(&self, log: &mut RequestLog) {
        log.response_model(&self.model);
        self.note(log);
    }

    fn note(&self, log: &mut RequestLog) {
        if let Some(usage) = self.usage {
            log.usage(usage);
        }
    }
}

/// Events that end a response: they carry its final usage.
const TERMINAL: [&str; 3] = [
    "response.completed",
    "response.incomplete",
    "response.failed",
];

impl Relayed for ResponseEvent {
    fn first(&self, log: &mut RequestLog) {
        self.note(log);
    }

    /// The model from any event that carries the response; usage from a terminal one.
    fn note(&self, log: &mut RequestLog) {
        let Some(response) = &self.response else {
            return;
        };
        if !response.model.is_empty() {
            log.response_model(&response.model);
        }
        if TERMINAL.contains(&self.r#type.as_str())
            && let Some(usage) = &response.usage
        {
            log.usage(Usage {
                prompt_tokens: usage.input_tokens,
                completion_tokens: usage.output_tokens,
                total_tokens: usage.total_tokens,
                cached_tokens: usage.cached_tokens,
                reasoning_tokens: usage.reasoning_tokens,
            });
        }
    }
}

/// `first`, then `rest`; `log` (taken over from the caller's) is finished when the stream ends.
pub fn relay<T: Relayed>(
    first: T,
    rest: Pin<Box<dyn Stream<Item = Result<T, GatewayError>> + Send>>,
    log: &mut RequestLog,
    secrets: &Secrets,
) -> Answer<T> {
    log.first_chunk();
    first.first(log);
    let relay = Relay {
        upstream: rest,
        log: std::mem::replace(log, RequestLog::detached()),
        secrets: secrets.clone(),
    };
    Box::pin(futures::stream::once(async move { Ok(first) }).chain(relay))
}

struct Relay<T> {
    upstream: Pin<Box<dyn Stream<Item = Result<T, GatewayError>> + Send>>,
    log: RequestLog,
    secrets: Secrets,
}

impl<T: Relayed> Stream for Relay<T> {
    type Item = Result<T, Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let item = std::task::ready!(self.upstream.poll_next_unpin(cx));
        Poll::Ready(match item {
            Some(Ok(item)) => {
                item.note(&mut self.log);
                Some(Ok(item))
            }
            Some(Err(err)) => {
                let err = self.secrets.scrub(err);
                self.log.fail(&err);
                Some(Err(err.into()))
            }
            None => {
                self.log.finish();
                None
            }
        })
    }
}
