//! Counters of response bodies (open / dropped / completed) and the guard that keeps them.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;

/// Response bodies the mock has sent: in flight, given up before their end, and sent whole.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub open_streams: u64,
    pub dropped_streams: u64,
    pub completed_streams: u64,
}

/// Shared counters; every change wakes the `wait_for` callers.
#[derive(Clone)]
pub(crate) struct StatsHub(Arc<watch::Sender<Stats>>);

impl StatsHub {
    pub(crate) fn new() -> StatsHub {
        StatsHub(Arc::new(watch::Sender::new(Stats::default())))
    }

    pub(crate) fn get(&self) -> Stats {
        *self.0.borrow()
    }

    /// Counts a response body as open; the guard counts it completed or dropped.
    pub(crate) fn open(&self) -> StreamGuard {
        self.0.send_modify(|s| s.open_streams += 1);
        StreamGuard {
            hub: self.clone(),
            finished: false,
        }
    }

    pub(crate) async fn wait_for(
        &self,
        pred: impl Fn(&Stats) -> bool,
        timeout: Duration,
    ) -> Result<Stats, Stats> {
        let mut rx = self.0.subscribe();
        match tokio::time::timeout(timeout, rx.wait_for(|s| pred(s))).await {
            Ok(Ok(stats)) => Ok(*stats),
            _ => Err(self.get()),
        }
    }
}

/// Held by a response body (or by the handler of a request that never gets an answer).
/// `complete` counts it completed; dropping it before that counts it dropped.
pub(crate) struct StreamGuard {
    hub: StatsHub,
    finished: bool,
}

impl StreamGuard {
    pub(crate) fn complete(&mut self) {
        if !self.finished {
            self.finished = true;
            self.hub.0.send_modify(|s| {
                s.open_streams -= 1;
                s.completed_streams += 1;
            });
        }
    }
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        if !self.finished {
            self.finished = true;
            self.hub.0.send_modify(|s| {
                s.open_streams -= 1;
                s.dropped_streams += 1;
            });
        }
    }
}
