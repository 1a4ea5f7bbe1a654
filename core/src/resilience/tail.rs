//! The rest of a started answer, after its first chunk or event: the attempt's idle-gap and
//! total limits, token accounting to the key's permit, and the deployment's in-flight slot,
//! held until the stream ends or is dropped.

use std::pin::Pin;

use futures::{Stream, StreamExt};
use modelgate::error::GatewayError;
use modelgate::v1::{ChatCompletionChunk, ResponseEvent};
use tokio::time::Instant;

use super::cooldown::InFlightGuard;
use super::limits::Permit;
use super::timeouts::{self, AttemptLimits};
use super::{note_failure, seconds, timeout};
use crate::config::RouterSettings;
use crate::router::Target;

/// A streamed answer's items, whatever the operation.
pub(crate) type Items<T> = Pin<Box<dyn Stream<Item = Result<T, GatewayError>> + Send>>;

/// An item that may report the tokens the answer has used so far.
pub(crate) trait Metered {
    fn tokens(&self) -> Option<u64>;
}

impl Metered for ChatCompletionChunk {
    fn tokens(&self) -> Option<u64> {
        self.usage.as_ref().map(super::tokens)
    }
}

impl Metered for ResponseEvent {
    fn tokens(&self) -> Option<u64> {
        let usage = self.response.as_ref()?.usage.as_ref()?;
        Some(
            usage
                .total_tokens
                .max(usage.input_tokens + usage.output_tokens),
        )
    }
}

/// What the rest of a started answer carries along.
pub(super) struct Tail {
    pub limits: AttemptLimits,
    pub target: Target,
    pub settings: RouterSettings,
    pub _guard: InFlightGuard,
    pub permit: Option<Permit>,
    pub done: bool,
    pub last_chunk: Instant,
}

/// The rest of the stream under the attempt's idle-gap and total limits; it books tokens and
/// frees the deployment's and the key's slots when it ends or is dropped.
pub(super) fn tail<T: Metered + Send + 'static>(upstream: Items<T>, state: Tail) -> Items<T> {
    let state = (upstream, Box::new(state));
    Box::pin(futures::stream::unfold(
        state,
        |(mut upstream, mut st)| async move {
            if st.done {
                return None;
            }
            let idle_end = st.limits.idle.map(|idle| st.last_chunk + idle);
            let limit = timeouts::earliest(idle_end, st.limits.total);
            let next = match limit {
                Some(at) => tokio::time::timeout_at(at, upstream.next()).await,
                None => Ok(upstream.next().await),
            };
            let item = match next {
                Ok(None) => return None,
                Ok(Some(Ok(item))) => {
                    st.last_chunk = Instant::now();
                    if let (Some(p), Some(tokens)) = (st.permit.as_mut(), item.tokens()) {
                        p.set_tokens(tokens);
                    }
                    Ok(item)
                }
                Ok(Some(Err(err))) => {
                    st.done = true;
                    note_failure(true, &st.target.health, &st.target.id, &st.settings, &err);
                    Err(err)
                }
                Err(_) => {
                    st.done = true;
                    let what = if idle_end.is_some_and(|i| Some(i) == limit) {
                        format!(
                            "sent nothing for {}",
                            seconds(st.limits.idle.unwrap_or_default())
                        )
                    } else {
                        "did not finish in time".to_owned()
                    };
                    Err(timeout(&st.target, &what))
                }
            };
            Some((item, (upstream, st)))
        },
    ))
}
