//! Connections over the cap: refused cheaply, with one warning per minute at most however
//! many arrive (a flood must not become a flood of log lines).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::time::Instant;

/// Least time between two "connections refused" warnings.
const WARN_EVERY: Duration = Duration::from_secs(60);
/// Refusals answered with an HTTP 503 at once; past this, refused connections are just closed.
pub(crate) const ANSWERED_REFUSALS: usize = 64;
/// How long a refused client gets to send the request head its 503 answers.
pub(crate) const REFUSAL_TIMEOUT: Duration = Duration::from_secs(5);

/// What a client over the cap gets.
#[derive(Debug, Clone)]
pub enum Refusal {
    /// The socket is closed at once.
    Close,
    /// HTTP/1 or HTTP/2 `503` with this JSON body and `Connection: close`.
    Http503(String),
}

/// Counts refusals and says so in the log now and then.
pub(crate) struct Refusals {
    what: &'static str,
    limit: usize,
    start: Instant,
    /// Milliseconds after `start` of the last warning; `u64::MAX`: none yet.
    warned_ms: AtomicU64,
    since_warned: AtomicU64,
    /// Bounds the 503 answers in progress.
    pub(crate) answering: Arc<Semaphore>,
}

impl Refusals {
    pub(crate) fn new(what: &'static str, limit: usize) -> Self {
        Self {
            what,
            limit,
            start: Instant::now(),
            warned_ms: AtomicU64::new(u64::MAX),
            since_warned: AtomicU64::new(0),
            answering: Arc::new(Semaphore::new(ANSWERED_REFUSALS)),
        }
    }

    /// Notes one refused connection; warns if the last warning is old enough.
    pub(crate) fn note(&self) {
        self.since_warned.fetch_add(1, Ordering::AcqRel);
        let now = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX - 1);
        let last = self.warned_ms.load(Ordering::Acquire);
        let due = last == u64::MAX
            || now.saturating_sub(last) >= u64::try_from(WARN_EVERY.as_millis()).unwrap_or(0);
        if due
            && self
                .warned_ms
                .compare_exchange(last, now, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            let refused = self.since_warned.swap(0, Ordering::AcqRel);
            tracing::warn!(
                listener = self.what,
                limit = self.limit,
                refused,
                "connection limit reached (server.max_connections): refusing new connections \
                 (at most one warning a minute)"
            );
        }
    }
}
