//! Keys stay where they belong, and a client that leaves stops the upstream.

use std::time::Duration;

use futures::StreamExt;
use serde_json::json;

use crate::both_modes;
use crate::harness::{CLIENT_KEY, Gateway, PROVIDER_KEY};

both_modes!(keys_never_cross_over, |gw: Gateway| async move {
    let mut seen = String::new();
    for model in [
        "mock/text",
        "mock/error-401",
        "mock/error-500",
        "mock/tools",
    ] {
        for stream in [false, true] {
            let resp = gw.post("/v1/chat/completions", &json!({"model": model, "stream": stream, "messages": [{"role": "user", "content": "hi"}]})).await;
            for (name, value) in resp.headers() {
                seen.push_str(&format!("{name}: {}\n", value.to_str().unwrap_or_default()));
            }
            seen.push_str(&resp.text().await.expect("body"));
        }
    }
    seen.push_str(&gw.get("/v1/models").await.text().await.expect("body"));
    assert!(
        !seen.contains(PROVIDER_KEY),
        "provider key leaked to the client"
    );
    assert!(
        !seen.contains("sk-prov"),
        "even a masked provider key leaked: {seen}"
    );
    let requests = gw.mock.requests();
    assert!(!requests.is_empty());
    for r in &requests {
        // Path and query too: a key in the URL is as leaked as one in a header.
        let dump = format!("{} {:?} {:?} {}", r.path, r.query, r.headers, r.body);
        assert!(
            !dump.contains(CLIENT_KEY),
            "client key reached the upstream: {dump}"
        );
        let auth = r
            .headers
            .iter()
            .find(|(k, _)| k == "authorization")
            .map(|(_, v)| v.as_str());
        assert_eq!(auth, Some(format!("Bearer {PROVIDER_KEY}").as_str()));
    }
});

both_modes!(
    client_disconnect_cancels_the_upstream,
    |gw: Gateway| async move {
        let resp = gw.post("/v1/chat/completions", &json!({"model": "mock/slow", "stream": true, "messages": [{"role": "user", "content": "hi"}]})).await;
        assert_eq!(resp.status(), 200);
        let mut body = resp.bytes_stream();
        let first = body.next().await.expect("a first event").expect("bytes");
        assert!(first.starts_with(b"data: "));
        assert_eq!(gw.mock.stats().dropped_streams, 0);
        drop(body);
        let stats = gw
            .mock
            .wait_for(|s| s.dropped_streams >= 1, Duration::from_secs(1))
            .await;
        assert!(
            stats.is_ok(),
            "upstream still streaming 1 s after the client left: {stats:?}"
        );
    }
);

both_modes!(
    disconnect_before_headers_cancels_too,
    |gw: Gateway| async move {
        let client = gw.client.clone();
        let url = gw.url("/v1/chat/completions");
        let call = tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(CLIENT_KEY)
                .json(
                    &json!({"model": "mock/hang", "messages": [{"role": "user", "content": "hi"}]}),
                )
                .send()
                .await
        });
        let open = gw
            .mock
            .wait_for(|s| s.open_streams >= 1, Duration::from_secs(5))
            .await;
        assert!(open.is_ok(), "upstream never called: {open:?}");
        call.abort();
        let stats = gw
            .mock
            .wait_for(|s| s.dropped_streams >= 1, Duration::from_secs(1))
            .await;
        assert!(
            stats.is_ok(),
            "upstream call outlived its client: {stats:?}"
        );
    }
);
