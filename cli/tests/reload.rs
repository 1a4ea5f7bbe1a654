//! SIGHUP (to `serve`, or to `core` in split mode) reads the config file again: client keys
//! and their allow-lists change for new requests, `os.environ/` values are resolved again, and
//! a changed `server` section is reported in the log and left as it was. The facade has
//! nothing to reload and survives the signal.

use crate::chat_client;
use crate::support;

use chat_client::chat;
use mock_upstream::MockUpstream;
use nix::sys::signal::Signal;
use serde_json::{Value, json};
use support::{Gateway, Mode, config_file, eventually, mock};

const OLD_KEY: &str = "sk-reload-old-key";
const NEW_KEY: &str = "sk-reload-new-key";
const LIMITED_KEY: &str = "sk-reload-limited-key";

fn provider(mock: &MockUpstream) -> String {
    format!(
        "providers:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up, models: [text, other] }}\n",
        mock.base_url()
    )
}

/// Before: `OLD_KEY`, and `LIMITED_KEY` allowed `mock/text`. After: `NEW_KEY`, and
/// `LIMITED_KEY` allowed `mock/other`.
fn keys_config(mock: &MockUpstream, after: bool) -> String {
    let (key, limited_to) = if after {
        (NEW_KEY, "mock/other")
    } else {
        (OLD_KEY, "mock/text")
    };
    format!(
        "auth:\n  keys:\n    - {{ name: main, key: {key} }}\n    - {{ name: limited, key: {LIMITED_KEY}, models: [\"{limited_to}\"] }}\n{}",
        provider(mock)
    )
}

/// Reloads the gateway's log shows as handled, either way.
fn reloads(gw: &Gateway) -> usize {
    let log = gw.log();
    log.matches("config reloaded").count() + log.matches("config reload rejected").count()
}

/// Waits until the gateway's log shows one more reload handled than `before`.
async fn reload_handled(gw: &Gateway, before: usize) {
    eventually("the reload is handled", || async { reloads(gw) > before }).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sighup_changes_client_keys_and_allow_lists() {
    let mock = mock().await;
    let (_dir, file) = config_file(&keys_config(&mock, false));
    for mode in [Mode::Serve, Mode::Split] {
        std::fs::write(&file, keys_config(&mock, false)).expect("write");
        let gw = Gateway::start(mode, &file, &[]).await;
        let http = gw.http.clone();
        assert_eq!(
            chat(&http, Some(OLD_KEY), "mock/text").await.0,
            200,
            "{mode:?}"
        );
        assert_eq!(
            chat(&http, Some(NEW_KEY), "mock/text").await.0,
            401,
            "{mode:?}"
        );
        assert_eq!(
            chat(&http, Some(LIMITED_KEY), "mock/text").await.0,
            200,
            "{mode:?}"
        );
        let (status, body) = chat(&http, Some(LIMITED_KEY), "mock/other").await;
        assert_eq!(status, 403, "{mode:?}: {body}");
        assert_eq!(body["error"]["code"], "model_not_allowed", "{mode:?}");

        std::fs::write(&file, keys_config(&mock, true)).expect("write");
        gw.core.signal(Signal::SIGHUP);
        eventually("the new key is accepted", || async {
            chat(&http, Some(NEW_KEY), "mock/text").await.0 == 200
        })
        .await;
        // Split mode: the facade remembers a "yes" for about a second.
        eventually("the old key is refused", || async {
            chat(&http, Some(OLD_KEY), "mock/text").await.0 == 401
        })
        .await;
        let (status, body) = chat(&http, Some(OLD_KEY), "mock/text").await;
        assert_eq!(
            body["error"]["code"], "invalid_api_key",
            "{mode:?} {status}"
        );
        let (status, body) = chat(&http, Some(LIMITED_KEY), "mock/text").await;
        assert_eq!(status, 403, "{mode:?}: {body}");
        assert_eq!(body["error"]["code"], "model_not_allowed", "{mode:?}");
        let (status, body) = chat(&http, Some(LIMITED_KEY), "mock/other").await;
        assert_eq!(status, 200, "{mode:?}: {body}");
        let log = gw.log();
        assert!(log.contains("config reloaded"), "{mode:?}: {log}");
        assert!(
            !log.contains("take effect only on restart"),
            "{mode:?}: no `server` change was made:\n{log}"
        );

        if let Some(facade) = &gw.facade {
            // The default action of SIGHUP would end the process.
            facade.signal(Signal::SIGHUP);
            eventually("the facade answers SIGHUP", || async {
                facade.log().contains("the facade has nothing to reload")
            })
            .await;
            assert_eq!(chat(&http, Some(NEW_KEY), "mock/text").await.0, 200);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sighup_resolves_os_environ_values_again() {
    let mock = mock().await;
    // The client key comes from the file's `environment_variables` (which a reload reads
    // again), the provider key from the process environment (which stays).
    let config = |client_key: &str| {
        format!(
            "environment_variables:\n  GATEWAY_KEY: {client_key}\nauth:\n  keys:\n    - {{ name: env, key: os.environ/GATEWAY_KEY }}\nproviders:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: os.environ/UPSTREAM_KEY, models: [text] }}\n",
            mock.base_url()
        )
    };
    let (_dir, file) = config_file(&config(OLD_KEY));
    let env = [("UPSTREAM_KEY", "sk-upstream-from-process-env")];
    for mode in [Mode::Serve, Mode::Split] {
        std::fs::write(&file, config(OLD_KEY)).expect("write");
        let gw = Gateway::start(mode, &file, &env).await;
        let http = gw.http.clone();
        assert_eq!(
            chat(&http, Some(OLD_KEY), "mock/text").await.0,
            200,
            "{mode:?}"
        );
        assert_eq!(
            chat(&http, Some(NEW_KEY), "mock/text").await.0,
            401,
            "{mode:?}"
        );

        std::fs::write(&file, config(NEW_KEY)).expect("write");
        gw.core.signal(Signal::SIGHUP);
        eventually("the key from the reloaded variable is accepted", || async {
            chat(&http, Some(NEW_KEY), "mock/text").await.0 == 200
        })
        .await;
        eventually("the key from the old variable is refused", || async {
            chat(&http, Some(OLD_KEY), "mock/text").await.0 == 401
        })
        .await;
        mock.clear();
        assert_eq!(chat(&http, Some(NEW_KEY), "mock/text").await.0, 200);
        let requests = mock.requests();
        assert_eq!(requests.len(), 1, "{mode:?}: {requests:?}");
        let auth = requests[0]
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
            .map(|(_, v)| v.clone());
        assert_eq!(
            auth.as_deref(),
            Some("Bearer sk-upstream-from-process-env"),
            "{mode:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reload_that_changes_the_server_section_warns_and_keeps_it() {
    let mock = mock().await;
    let config = |limit_mb: u32, alias: &str| {
        format!(
            "server: {{ body_limit_mb: {limit_mb} }}\nauth:\n  keys:\n    - {{ name: main, key: {OLD_KEY} }}\n{}model_list:\n  - model_name: {alias}\n    litellm_params: {{ model: mock/text }}\n",
            provider(&mock)
        )
    };
    let (_dir, file) = config_file(&config(1, "before"));
    // 2 MiB of text: over the 1 MiB the gateway starts with, under the 8 MiB of the reload.
    let big = json!({"model": "mock/text",
                     "messages": [{"role": "user", "content": "a".repeat(2 * 1024 * 1024)}]});
    let big_chat = |http: String| {
        let big = big.clone();
        async move {
            let response = reqwest::Client::new()
                .post(format!("{http}/v1/chat/completions"))
                .bearer_auth(OLD_KEY)
                .json(&big)
                .send()
                .await
                .expect("answers");
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            (status, body)
        }
    };
    for mode in [Mode::Serve, Mode::Split] {
        std::fs::write(&file, config(1, "before")).expect("write");
        let gw = Gateway::start(mode, &file, &[]).await;
        let http = gw.http.clone();
        assert_eq!(big_chat(http.clone()).await.0, 413, "{mode:?}");

        let before = reloads(&gw);
        std::fs::write(&file, config(8, "after")).expect("write");
        gw.core.signal(Signal::SIGHUP);
        reload_handled(&gw, before).await;
        let log = gw.log();
        assert!(log.contains("config reloaded"), "{mode:?}: {log}");
        assert!(
            log.contains(
                "`server` settings (addresses, TLS, limits, grace) take effect only on restart"
            ),
            "{mode:?}: {log}"
        );
        // The rest of the file was applied ...
        assert_eq!(chat(&http, Some(OLD_KEY), "after").await.0, 200, "{mode:?}");
        assert_eq!(
            chat(&http, Some(OLD_KEY), "before").await.0,
            404,
            "{mode:?}"
        );
        // ... the body limit was not.
        let (status, body) = big_chat(http.clone()).await;
        assert_eq!(status, 413, "{mode:?}: {body}");
        assert_eq!(body["error"]["code"], "request_too_large", "{mode:?}");
    }
}
