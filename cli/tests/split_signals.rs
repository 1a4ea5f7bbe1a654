//! Split mode: `modelgate core` and `modelgate facade` each drain on their own SIGTERM or
//! SIGINT (readiness off, running streams finish) and exit 0, while the other keeps running.

use crate::chat_client;
use crate::support;

use chat_client::{events, get, get_status, open_stream};
use mock_upstream::MockUpstream;
use nix::sys::signal::Signal;
use support::{DEADLINE, Gateway, Mode, config_file, eventually, mock};

const KEY: &str = "sk-split-signals";

async fn gateway(mock: &MockUpstream) -> (tempfile::TempDir, Gateway) {
    let (dir, file) = config_file(&format!(
        "auth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\nproviders:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up, models: [slow, text] }}\n",
        mock.base_url()
    ));
    let gw = Gateway::start(Mode::Split, &file, &[]).await;
    (dir, gw)
}

/// Waits for a stream to end and checks that it ended whole: `[DONE]`, no error event.
async fn ends_whole(stream: tokio::task::JoinHandle<String>, what: &str) {
    let text = tokio::time::timeout(DEADLINE, stream)
        .await
        .expect("in time")
        .expect("task");
    let events = events(&text);
    assert_eq!(
        events.last().map(String::as_str),
        Some("[DONE]"),
        "{what}: {text}"
    );
    assert!(!text.contains("\"error\""), "{what}: {text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_facade_drains_on_its_signal_and_exits_0() {
    let mock = mock().await;
    for signal in [Signal::SIGTERM, Signal::SIGINT] {
        let (_dir, mut gw) = gateway(&mock).await;
        let http = gw.http.clone();
        let stream = open_stream(&http, KEY, "mock/slow").await;
        let facade = gw.facade.as_mut().expect("split");
        facade.signal(signal);
        eventually("the facade not ready while draining", || async {
            get(&http, "/health/ready")
                .await
                .1
                .contains("shutting down")
        })
        .await;
        assert_eq!(get_status(&http, "/health").await, 200, "{signal}");
        ends_whole(stream, signal.as_str()).await;
        assert_eq!(
            facade.exit_status().code(),
            Some(0),
            "{signal}: {}",
            facade.log()
        );
        assert!(
            facade.log().contains("every request finished"),
            "{}",
            facade.log()
        );
        // The core got no signal: it still runs and is not draining.
        assert!(
            gw.core.child.try_wait().expect("wait").is_none(),
            "{signal}"
        );
        assert!(
            !gw.core.log().contains("shutting down"),
            "{}",
            gw.core.log()
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_core_drains_on_its_signal_and_exits_0() {
    let mock = mock().await;
    for signal in [Signal::SIGTERM, Signal::SIGINT] {
        let (_dir, mut gw) = gateway(&mock).await;
        let http = gw.http.clone();
        // Through the facade, so the stream runs in the core.
        let stream = open_stream(&http, KEY, "mock/slow").await;
        gw.core.signal(signal);
        // The core's gRPC health turns NOT_SERVING; the facade reports it.
        eventually("the facade not ready while its core drains", || async {
            get(&http, "/health/ready")
                .await
                .1
                .contains("core not serving")
        })
        .await;
        ends_whole(stream, signal.as_str()).await;
        assert_eq!(
            gw.core.exit_status().code(),
            Some(0),
            "{signal}: {}",
            gw.core.log()
        );
        assert!(
            gw.core.log().contains("every request finished"),
            "{}",
            gw.core.log()
        );
        let facade = gw.facade.as_mut().expect("split");
        assert!(facade.child.try_wait().expect("wait").is_none(), "{signal}");
        assert!(!facade.log().contains("shutting down"), "{}", facade.log());
    }
}
