//! The facade's connections to a remote core. The core allows a limited number of concurrent
//! streams per connection (`server.max_concurrent_streams`, default 200) and closes
//! connections idle for `server.idle_timeout_seconds`; one HTTP/2 connection would queue every
//! stream past that limit. So streams go to the first connection with room under the core's
//! limit (taken from the facade's own `server.max_concurrent_streams`: both usually read one
//! config file), opening another when all are full; a connection the core closed when idle is
//! opened again on its next request (tonic reconnects).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use tonic::body::Body;
use tonic::transport::{Channel, Endpoint};
use tower::{Service, ServiceExt};

/// Connections to one core at most; past this many full connections, streams share the least
/// busy one (and wait there for a slot under the core's limit).
pub const MAX_CONNECTIONS: usize = 128;

/// Connections to one core, opened as load needs them.
#[derive(Clone)]
pub struct Pool {
    endpoint: Endpoint,
    /// Streams one connection takes before the next is used.
    per_connection: usize,
    slots: Arc<[Slot]>,
}

#[derive(Default)]
struct Slot {
    channel: OnceLock<Channel>,
    open: Arc<AtomicUsize>,
}

impl Pool {
    pub fn new(endpoint: Endpoint, per_connection: usize) -> Self {
        Self {
            endpoint,
            per_connection: per_connection.max(1),
            slots: (0..MAX_CONNECTIONS).map(|_| Slot::default()).collect(),
        }
    }

    /// The first connection with room, else the least busy one.
    fn pick(&self) -> &Slot {
        let mut least: Option<(&Slot, usize)> = None;
        for slot in self.slots.iter() {
            let open = slot.open.load(Ordering::Acquire);
            if open < self.per_connection {
                return slot;
            }
            if least.is_none_or(|(_, fewest)| open < fewest) {
                least = Some((slot, open));
            }
        }
        least.map_or(&self.slots[0], |(slot, _)| slot)
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl Service<http::Request<Body>> for Pool {
    type Response = http::Response<Body>;
    type Error = tonic::transport::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // Each call waits for its own connection's readiness.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let slot = self.pick();
        let channel = slot
            .channel
            .get_or_init(|| self.endpoint.clone().connect_lazy())
            .clone();
        let open = slot.open.clone();
        open.fetch_add(1, Ordering::AcqRel);
        let mark = Open(open);
        Box::pin(async move {
            let response = channel.oneshot(request).await?;
            Ok(response.map(|body| Body::new(Counted { body, _mark: mark })))
        })
    }
}

/// One stream counted on its connection until dropped.
struct Open(Arc<AtomicUsize>);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A response body that keeps its stream counted until it is done.
struct Counted {
    body: Body,
    _mark: Open,
}

impl http_body::Body for Counted {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_one_connection_before_opening_the_next() {
        const STREAMS_PER_CONNECTION: usize = 4;
        let pool = Pool::new(
            Endpoint::from_static("http://127.0.0.1:1"),
            STREAMS_PER_CONNECTION,
        );
        let first: *const Slot = pool.pick();
        pool.slots[0]
            .open
            .store(STREAMS_PER_CONNECTION - 1, Ordering::Release);
        assert!(std::ptr::eq(pool.pick(), first));
        pool.slots[0]
            .open
            .store(STREAMS_PER_CONNECTION, Ordering::Release);
        assert!(std::ptr::eq(pool.pick(), &pool.slots[1]));
        for slot in pool.slots.iter() {
            slot.open
                .store(STREAMS_PER_CONNECTION + 5, Ordering::Release);
        }
        pool.slots[7]
            .open
            .store(STREAMS_PER_CONNECTION + 1, Ordering::Release);
        assert!(std::ptr::eq(pool.pick(), &pool.slots[7]));
    }
}
