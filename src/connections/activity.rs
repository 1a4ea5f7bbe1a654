//! Which connections are idle: each request (HTTP/1) or stream (HTTP/2) holds a mark from the
//! moment its head arrives until its response body is done or dropped, so "no stream open"
//! is known without looking at frames (pings and SETTINGS leave no mark).

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::time::Instant;

/// One connection's open streams and when it last had none.
#[derive(Debug)]
pub(crate) struct Activity {
    start: Instant,
    open: AtomicUsize,
    /// Milliseconds after `start` when the last stream ended; `u64::MAX`: none has yet.
    idle_since_ms: AtomicU64,
}

impl Activity {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            start: Instant::now(),
            open: AtomicUsize::new(0),
            idle_since_ms: AtomicU64::new(u64::MAX),
        })
    }

    /// A stream began; it counts until the returned mark is dropped.
    pub(crate) fn enter(self: &Arc<Self>) -> Mark {
        self.open.fetch_add(1, Ordering::AcqRel);
        Mark(self.clone())
    }

    /// `None` while a stream is open; else when the connection became idle and whether it
    /// has ever carried a stream (the header timeout applies until it has).
    pub(crate) fn idle(&self) -> Option<(Instant, bool)> {
        if self.open.load(Ordering::Acquire) > 0 {
            return None;
        }
        match self.idle_since_ms.load(Ordering::Acquire) {
            u64::MAX => Some((self.start, false)),
            ms => Some((self.start + std::time::Duration::from_millis(ms), true)),
        }
    }
}

/// Holds one stream open on its connection.
#[derive(Debug)]
pub(crate) struct Mark(Arc<Activity>);

impl Drop for Mark {
    fn drop(&mut self) {
        let activity = &self.0;
        let ms = u64::try_from(activity.start.elapsed().as_millis()).unwrap_or(u64::MAX - 1);
        // Stored before the count drops, so a reader that sees zero open sees this time.
        activity.idle_since_ms.store(ms, Ordering::Release);
        activity.open.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A response body that keeps its stream's [`Mark`] until it is finished or dropped.
pub struct MarkedBody<B> {
    inner: B,
    _mark: Mark,
}

impl<B> MarkedBody<B> {
    pub(crate) fn new(inner: B, mark: Mark) -> Self {
        Self { inner, _mark: mark }
    }
}

impl<B> Body for MarkedBody<B>
where
    B: Body<Data = Bytes> + Unpin,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
