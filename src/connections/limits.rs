//! What one listener allows its connections: how long they may stay silent, how many streams
//! each may run at once, and how many may be open together.

use std::time::Duration;

/// Per-listener connection limits (`server.*` in the config).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// A new connection must complete its first request head (HTTP/1), or open its first stream
    /// (HTTP/2, gRPC), within this; the TLS handshake counts against it too.
    pub header_timeout: Duration,
    /// A connection with no request or stream in progress for this long is closed (HTTP/2:
    /// GOAWAY). Pings do not count: a peer that only answers them is idle.
    pub idle_timeout: Duration,
    /// HTTP/2 `SETTINGS_MAX_CONCURRENT_STREAMS` advertised to every peer.
    pub max_concurrent_streams: u32,
    /// Connections open at once on this listener; more are refused.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_concurrent_streams: 200,
            max_connections: 10_000,
        }
    }
}

/// HTTP/2 pings every this long find peers that vanished without closing (no FIN, no RST).
pub const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(30);
/// A ping unanswered for this long closes the connection.
pub const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(20);
/// Once a close has begun (GOAWAY sent), how long an idle connection gets to end on its own
/// before it is dropped: a peer that never acknowledges the GOAWAY must not keep it.
pub const CLOSE_GRACE: Duration = Duration::from_secs(2);
