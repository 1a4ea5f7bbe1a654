//! Limit windows and deployment health exist only for configured keys and deployments: tens
//! of thousands of distinct model names (each routed to a provider, as `provider/model`
//! names are) and of unknown keys leave the gateway's memory where it was. A per-name record
//! of even ~100 bytes would add megabytes here.

use crate::support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use support::{Gateway, Mode, config_file, mock};

const KEY: &str = "sk-unknown-names";
/// Distinct names before the first reading: pools, caches and the bounded label set fill up.
const WARM_UP: usize = 3_000;
/// Distinct names between the two readings.
const MEASURED: usize = 30_000;
/// Every this many names, one request with an unknown key too.
const UNKNOWN_KEY_EVERY: usize = 4;
/// Most RSS growth allowed over `MEASURED` names: allocator noise, not a record per name.
const MAX_GROWTH_KIB: u64 = 2 * 1024;
const CALLERS: usize = 8;

/// Sends one chat per name in `from..to` (spread over [`CALLERS`] tasks), each answered 200.
async fn names(gw: &Gateway, from: usize, to: usize) {
    let next = Arc::new(AtomicUsize::new(from));
    let client = reqwest::Client::new();
    let url = gw.url("/v1/chat/completions");
    let callers: Vec<_> = (0..CALLERS)
        .map(|_| {
            let (next, client, url) = (next.clone(), client.clone(), url.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= to {
                        return;
                    }
                    let body = format!(
                        r#"{{"model":"mock/name-{i}","messages":[{{"role":"user","content":"hi"}}]}}"#
                    );
                    let send = |key: String| {
                        client
                            .post(&url)
                            .bearer_auth(key)
                            .header("content-type", "application/json")
                            .body(body.clone())
                            .send()
                    };
                    let status = send(KEY.to_owned()).await.expect("answers").status();
                    assert_eq!(status, 200, "mock/name-{i}");
                    if i % UNKNOWN_KEY_EVERY == 0 {
                        let status = send(format!("sk-unknown-{i}")).await.expect("answers").status();
                        assert_eq!(status, 401);
                    }
                }
            })
        })
        .collect();
    for caller in callers {
        caller.await.expect("caller");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn distinct_model_names_and_unknown_keys_leave_memory_flat() {
    let mock = mock().await;
    // No `models` list: every `mock/…` name routes to the upstream.
    let (_dir, file) = config_file(&format!(
        "auth:\n  keys:\n    - {{ name: tests, key: {KEY}, rpm: 1000000 }}\nproviders:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up }}\n",
        mock.base_url()
    ));
    let gw = Gateway::start(Mode::Serve, &file, &[("RUST_LOG", "warn")]).await;
    names(&gw, 0, WARM_UP).await;
    let before = gw.core.rss_kib();
    names(&gw, WARM_UP, WARM_UP + MEASURED).await;
    let after = gw.core.rss_kib();
    assert!(before > 0 && after > 0, "RSS not readable");
    let growth = after.saturating_sub(before);
    eprintln!("RSS {before} KiB -> {after} KiB over {MEASURED} names");
    assert!(
        growth <= MAX_GROWTH_KIB,
        "RSS grew {growth} KiB over {MEASURED} distinct names ({before} -> {after} KiB)"
    );
}
