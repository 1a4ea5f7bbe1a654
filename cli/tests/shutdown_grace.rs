//! `server.shutdown_grace_seconds` on SIGTERM: `0` ends running streams at once (HTTP: a
//! last `shutting_down` error event and no `[DONE]`; gRPC: UNAVAILABLE) and the process exits
//! 0; the default (30 s) lets a paced stream run to its end.

use crate::chat_client;
use crate::grpc_client;
use crate::support;

use std::time::{Duration, Instant};

use chat_client::{events, open_stream};
use futures::StreamExt;
use mock_upstream::MockUpstream;
use nix::sys::signal::Signal;
use serde_json::Value;
use support::{DEADLINE, Gateway, Mode, config_file, mock};

const KEY: &str = "sk-grace-test";
/// Well under the default grace period (30 s), which an `endless` stream would use up whole.
const AT_ONCE: Duration = Duration::from_secs(10);

fn config(mock: &MockUpstream, server: &str) -> String {
    format!(
        "{server}auth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\nproviders:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up, models: [endless, slow] }}\n",
        mock.base_url()
    )
}

/// Opens a gRPC stream of `model` on `grpc` and waits for its first chunk.
async fn open_grpc_stream(
    grpc: &str,
    model: &str,
) -> tonic::Streaming<modelgate::v1::ChatCompletionChunk> {
    let mut client = grpc_client::connect(grpc).await;
    let mut chunks = client
        .chat_completion(grpc_client::keyed_stream(model, "hi", KEY))
        .await
        .expect("stream opens")
        .into_inner();
    let first = chunks.next().await.expect("a first chunk");
    assert!(first.is_ok(), "{first:?}");
    chunks
}

#[tokio::test(flavor = "multi_thread")]
async fn grace_zero_ends_running_streams_at_once_and_exits_0() {
    let mock = mock().await;
    let (_dir, file) = config_file(&config(&mock, "server: { shutdown_grace_seconds: 0 }\n"));
    for mode in [Mode::Serve, Mode::Split] {
        let mut gw = Gateway::start(mode, &file, &[]).await;
        let http_stream = open_stream(&gw.http, KEY, "mock/endless").await;
        let mut grpc_stream = open_grpc_stream(&gw.grpc, "mock/endless").await;

        let signalled = Instant::now();
        // Split mode: each process drains on its own signal, the facade first.
        if let Some(facade) = &gw.facade {
            facade.signal(Signal::SIGTERM);
        }
        gw.core.signal(Signal::SIGTERM);

        let text = tokio::time::timeout(AT_ONCE, http_stream)
            .await
            .unwrap_or_else(|_| panic!("{mode:?}: the HTTP stream ran on past {AT_ONCE:?}"))
            .expect("task");
        let events = events(&text);
        let last: Value = serde_json::from_str(events.last().expect("events")).expect("json");
        assert_eq!(
            last["error"]["code"], "shutting_down",
            "{mode:?}: {text:.400}"
        );
        assert!(!events.iter().any(|e| e == "[DONE]"), "{mode:?}");

        let status = tokio::time::timeout(AT_ONCE, async {
            loop {
                match grpc_stream.next().await {
                    Some(Ok(_)) => continue,
                    Some(Err(status)) => break Some(status),
                    None => break None,
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{mode:?}: the gRPC stream ran on past {AT_ONCE:?}"))
        .unwrap_or_else(|| panic!("{mode:?}: the gRPC stream ended without a status"));
        assert_eq!(
            status.code(),
            tonic::Code::Unavailable,
            "{mode:?}: {status:?}"
        );

        if let Some(facade) = gw.facade.as_mut() {
            assert_eq!(facade.exit_status().code(), Some(0), "{}", facade.log());
        }
        assert_eq!(gw.core.exit_status().code(), Some(0), "{}", gw.core.log());
        assert!(
            signalled.elapsed() < AT_ONCE,
            "{mode:?}: exited {:?} after SIGTERM",
            signalled.elapsed()
        );
        let log = gw.log();
        assert!(log.contains("grace period over"), "{mode:?}: {log}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_default_grace_lets_a_paced_stream_finish() {
    let mock = mock().await;
    // No `server` section: the default grace period.
    let (_dir, file) = config_file(&config(&mock, ""));
    let mut gw = Gateway::start(Mode::Serve, &file, &[]).await;
    // About 3.4 s of events 200 ms apart.
    let stream = open_stream(&gw.http, KEY, "mock/slow").await;
    gw.core.signal(Signal::SIGTERM);
    let text = tokio::time::timeout(DEADLINE, stream)
        .await
        .expect("in time")
        .expect("task");
    let events = events(&text);
    assert_eq!(events.last().map(String::as_str), Some("[DONE]"), "{text}");
    assert!(!text.contains("\"error\""), "{text}");
    assert_eq!(gw.core.exit_status().code(), Some(0), "{}", gw.core.log());
    assert!(
        gw.core.log().contains("every request finished"),
        "{}",
        gw.core.log()
    );
}
