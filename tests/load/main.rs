//! Load with misbehaving clients: 1,000 concurrent streams through the
//! `modelgate serve` binary, a random third of the clients leaving halfway.
//! Every upstream response of a client that left must be given up within 1 s,
//! and a second round must leave no more open descriptors and (almost) no more
//! memory behind in the gateway process than the first.

#[allow(dead_code)]
#[path = "../e2e/harness.rs"]
mod harness;
#[path = "../../cli/tests/support/mod.rs"]
mod support;

use std::hash::BuildHasher;
use std::time::{Duration, Instant};

use futures::StreamExt;
use harness::{CLIENT_KEY, Gateway, Mode};
use serde_json::json;

const CLIENTS: usize = 1000;
/// Events of the `slow` stream (200 ms apart) a leaving client reads first;
/// the stream has 17.
const LEAVE_AFTER_EVENTS: usize = 8;
/// Resident memory a second round may add: allocator arenas and caches sized
/// by the first round's peak are reused, not grown, but glibc may still keep
/// a few freed pages per thread, and the test's own bookkeeping grows.
/// A leak of the 1,000 streams' state (buffers, decoders, connections) would
/// be far larger.
const RSS_TOLERANCE: u64 = 24 * 1024 * 1024;

fn rss_bytes(gw: &Gateway) -> u64 {
    let kib = gw.processes.core.rss_kib();
    assert!(kib > 0, "the gateway process is running");
    kib * 1024
}

/// Descriptors the gateway process holds: a stream or connection left behind
/// would hold one or more.
fn open_fds(gw: &Gateway) -> usize {
    let pid = gw.processes.core.child.id();
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("the gateway's /proc entry")
        .count()
}

/// What one round saw.
struct Round {
    left: usize,
    finished: usize,
}

/// One client: reads the stream to its end, or leaves after a few events.
/// Returns when it left, if it did.
async fn client(gw_url: String, http: reqwest::Client, leave: bool) -> Option<Instant> {
    let resp = http
        .post(gw_url)
        .bearer_auth(CLIENT_KEY)
        .json(&json!({"model": "mock/slow", "stream": true, "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .expect("gateway answers");
    assert_eq!(resp.status(), 200);
    let mut body = resp.bytes_stream();
    let mut text = Vec::new();
    while let Some(piece) = body.next().await {
        text.extend_from_slice(&piece.expect("stream intact"));
        let events = text.windows(2).filter(|w| w == b"\n\n").count();
        if leave && events >= LEAVE_AFTER_EVENTS {
            drop(body);
            return Some(Instant::now());
        }
    }
    let text = String::from_utf8(text).expect("utf-8");
    assert!(text.ends_with("data: [DONE]\n\n"), "stream cut: {text}");
    None
}

/// `leaving[i]`: client `i` leaves halfway.
async fn round(gw: &Gateway, http: &reqwest::Client, leaving: &[bool]) -> Round {
    let before = gw.mock.stats();
    let tasks: Vec<_> = leaving
        .iter()
        .map(|&leave| tokio::spawn(client(gw.url("/v1/chat/completions"), http.clone(), leave)))
        .collect();
    // The leavers first: they are done halfway, while the others stream on.
    let (leavers, stayers): (Vec<_>, Vec<_>) = tasks
        .into_iter()
        .zip(leaving)
        .partition(|(_, leave)| **leave);
    let mut left = 0u64;
    for (task, _) in leavers {
        assert!(task.await.expect("client task").is_some(), "a leaver left");
        left += 1;
    }
    // Every upstream response of a client that left is dropped within 1 s.
    // Tolerance: on a starved machine the gateway may already have read a
    // whole (3.4 s) upstream body before its client's leave took effect; the
    // upstream then saw a complete response, not a leak.
    let tolerance = left / 100;
    let want_dropped = before.dropped_streams + left - tolerance;
    let stats = gw
        .mock
        .wait_for(
            |s| s.dropped_streams >= want_dropped,
            Duration::from_secs(1),
        )
        .await;
    assert!(
        stats.is_ok(),
        "{left} clients left; their upstream responses still open 1 s later: {stats:?}"
    );
    let mut finished = 0;
    for (task, _) in stayers {
        assert!(task.await.expect("client task").is_none());
        finished += 1;
    }
    let stats = gw
        .mock
        .wait_for(|s| s.open_streams == 0, Duration::from_secs(2))
        .await
        .expect("no upstream response left open");
    assert!(
        stats.dropped_streams <= before.dropped_streams + left,
        "only leavers' upstreams dropped: {stats:?}"
    );
    let left = usize::try_from(left).expect("small");
    Round { left, finished }
}

/// The gateway's descriptor count once it has not changed for 300 ms
/// (connections finishing their close), or after 3 s.
async fn fds_settled(gw: &Gateway) -> usize {
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut last = open_fds(gw);
    let mut since = Instant::now();
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = open_fds(gw);
        if now != last {
            (last, since) = (now, Instant::now());
        } else if since.elapsed() >= Duration::from_millis(300) {
            break;
        }
    }
    last
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_streams_with_a_third_leaving() {
    // Sockets per stream in this process (client, mock) and in the gateway
    // (client, upstream): more than a default soft limit of 1,024 descriptors.
    // The gateway inherits the raised limit.
    rlimit::increase_nofile_limit(16_384).expect("raise the descriptor limit");
    let started = Instant::now();
    let gw = Gateway::start(Mode::Serve).await;
    let http = reqwest::Client::builder()
        // No idle client connections: what stays open between rounds is
        // the gateway's own upstream pool.
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");

    // One random third, the same in both rounds, so both leave the same
    // number of pooled upstream connections behind.
    let chance = std::hash::RandomState::new();
    let leaving: Vec<bool> = (0..CLIENTS).map(|i| chance.hash_one(i) % 3 == 0).collect();

    let first = round(&gw, &http, &leaving).await;
    assert!(
        first.left > 200 && first.finished > 500,
        "{} / {}",
        first.left,
        first.finished
    );
    // The mock records every request; that is test support, not the gateway.
    gw.mock.clear();
    let fds_after_first = fds_settled(&gw).await;
    let rss_after_first = rss_bytes(&gw);

    let second = round(&gw, &http, &leaving).await;
    assert_eq!((second.left, second.finished), (first.left, first.finished));
    let fds_after_second = fds_settled(&gw).await;
    let rss_after_second = rss_bytes(&gw);

    assert!(
        // A few descriptors of slack for connections still closing; a leak per
        // stream would be hundreds.
        fds_after_second <= fds_after_first + 8,
        "descriptors leaked: {fds_after_first} after the first round, {fds_after_second} after the second"
    );
    assert!(
        rss_after_second <= rss_after_first + RSS_TOLERANCE,
        "memory grew by {} KiB over a second round ({} → {} KiB)",
        rss_after_second.saturating_sub(rss_after_first) / 1024,
        rss_after_first / 1024,
        rss_after_second / 1024
    );
    eprintln!(
        "load: {} + {} streams, {} and {} left; gateway fds {fds_after_first} → {fds_after_second}; \
         RSS {} → {} KiB; {:?}",
        CLIENTS,
        CLIENTS,
        first.left,
        second.left,
        rss_after_first / 1024,
        rss_after_second / 1024,
        started.elapsed()
    );
}
