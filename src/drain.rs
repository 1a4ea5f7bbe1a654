//! Graceful shutdown, shared by core and facade: once draining, new work is
//! refused while work already admitted runs on; at the grace deadline what is
//! left is cut (ended with an error the caller can see) instead of dropped.

use std::sync::Arc;
use std::time::Duration;

use futures::{Stream, StreamExt};

use crate::error::{ErrorKind, GatewayError};
use tokio_util::sync::CancellationToken;
use tokio_util::task::{TaskTracker, task_tracker::TaskTrackerToken};

/// The `code` of the error new requests get while the server shuts down.
pub const SHUTTING_DOWN: &str = "shutting_down";

/// The error for work refused or cut because the server is shutting down: 503, so clients and
/// load balancers retry elsewhere.
pub fn shutting_down() -> GatewayError {
    GatewayError::new(
        ErrorKind::Unavailable,
        "The server is shutting down; retry the request.",
    )
    .with_code(SHUTTING_DOWN)
}

/// How long cut work gets to deliver its closing error before the servers stop anyway.
const CUT_WAIT: Duration = Duration::from_secs(2);

/// One server's drain state; clones share it.
#[derive(Clone, Default)]
pub struct Drain {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    draining: CancellationToken,
    cut: CancellationToken,
    in_flight: TaskTracker,
}

/// Admitted work: counted as in flight until dropped.
#[must_use = "the work counts as in flight only while this is held"]
pub struct InFlight(#[allow(dead_code)] TaskTrackerToken);

impl Drain {
    pub fn new() -> Self {
        Self::default()
    }

    /// Stops admitting new work. Idempotent.
    pub fn begin(&self) {
        self.inner.draining.cancel();
        self.inner.in_flight.close();
    }

    pub fn is_draining(&self) -> bool {
        self.inner.draining.is_cancelled()
    }

    /// A token for new work, or `None` once draining.
    pub fn admit(&self) -> Option<InFlight> {
        if self.is_draining() {
            return None;
        }
        Some(InFlight(self.inner.in_flight.token()))
    }

    /// How much admitted work is still running.
    pub fn in_flight(&self) -> usize {
        self.inner.in_flight.len()
    }

    /// Ends every guarded stream now (each yields its closing item first).
    pub fn cut(&self) {
        self.begin();
        self.inner.cut.cancel();
    }

    /// Resolves once draining has begun and no admitted work is left.
    pub async fn idle(&self) {
        self.inner.in_flight.wait().await;
    }

    /// Holds `token` for as long as `stream` runs; if the drain is cut first, yields
    /// `on_cut()` as the last item and ends.
    pub fn guard<S, F>(
        &self,
        token: InFlight,
        stream: S,
        on_cut: F,
    ) -> impl Stream<Item = S::Item> + Send + 'static
    where
        S: Stream + Send + Unpin + 'static,
        S::Item: Send,
        F: FnOnce() -> S::Item + Send + 'static,
    {
        let state = Guarded {
            stream,
            cut: self.inner.cut.clone(),
            on_cut: Some(on_cut),
            _token: token,
        };
        futures::stream::unfold(state, |mut g| async move {
            let on_cut = g.on_cut.take()?;
            tokio::select! {
                biased;
                () = g.cut.cancelled() => Some((on_cut(), g)),
                item = g.stream.next() => {
                    g.on_cut = Some(on_cut);
                    item.map(|item| (item, g))
                }
            }
        })
    }
}

struct Guarded<S, F> {
    stream: S,
    cut: CancellationToken,
    /// `None` once the stream has been cut.
    on_cut: Option<F>,
    _token: InFlight,
}

/// Begins draining every one of `drains`, waits up to `grace` for their work to
/// finish, then cuts what is left (in the order given: outer servers first, so
/// their clients see the cut) and waits briefly for it to close. Returns how
/// many pieces of work had to be cut.
pub async fn settle(drains: &[Drain], grace: Duration) -> usize {
    for drain in drains {
        drain.begin();
    }
    let all_idle = || futures::future::join_all(drains.iter().map(Drain::idle));
    if tokio::time::timeout(grace, all_idle()).await.is_ok() {
        return 0;
    }
    let mut cut = 0;
    for drain in drains {
        cut += drain.in_flight();
        drain.cut();
    }
    // Cut streams still have to send their closing event; past this, stop regardless.
    let _ = tokio::time::timeout(CUT_WAIT, all_idle()).await;
    cut
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refuses_new_work_once_draining() {
        let drain = Drain::new();
        let held = drain.admit();
        assert!(held.is_some());
        drain.begin();
        assert!(drain.admit().is_none());
        assert_eq!(drain.in_flight(), 1);
        drop(held);
        tokio::time::timeout(Duration::from_secs(1), drain.idle())
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn settle_waits_for_finishing_work() {
        let drain = Drain::new();
        let token = drain.admit().unwrap();
        let stream = drain.guard(token, futures::stream::iter([1, 2, 3]), || -1);
        let settled = tokio::spawn({
            let drain = drain.clone();
            async move { settle(&[drain], Duration::from_secs(5)).await }
        });
        assert_eq!(stream.collect::<Vec<_>>().await, [1, 2, 3]);
        assert_eq!(settled.await.unwrap(), 0);
    }

    #[tokio::test]
    async fn settle_cuts_work_past_the_grace_period() {
        let drain = Drain::new();
        let token = drain.admit().unwrap();
        let endless = futures::stream::iter([1]).chain(futures::stream::pending());
        let stream = drain.guard(token, Box::pin(endless), || -1);
        let reader = tokio::spawn(stream.collect::<Vec<_>>());
        assert_eq!(settle(&[drain], Duration::from_millis(50)).await, 1);
        assert_eq!(reader.await.unwrap(), [1, -1]);
    }
}
