//! SIGHUP changes providers and aliases for new requests: a provider whose `api_base` moves
//! to another upstream is called there, and an alias added to `model_list` is served, in
//! `serve` and in split mode (the core reloads).

use crate::chat_client;
use crate::support;

use chat_client::chat;
use mock_upstream::MockUpstream;
use nix::sys::signal::Signal;
use support::{Gateway, Mode, config_file, eventually, mock};

const KEY: &str = "sk-reload-providers-client";

/// Chats the mock has answered.
fn chats(mock: &MockUpstream) -> usize {
    mock.requests()
        .iter()
        .filter(|r| r.path.ends_with("/chat/completions"))
        .count()
}

/// `mock` at `api_base`; after the reload also the alias `moved-alias`.
fn config(api_base: &str, with_alias: bool) -> String {
    let mut text = format!(
        "auth:\n  keys:\n    - {{ name: main, key: {KEY} }}\nproviders:\n  mock: {{ kind: openai, api_base: \"{api_base}\", api_key: sk-up, models: [text] }}\n"
    );
    if with_alias {
        text.push_str(
            "model_list:\n  - model_name: moved-alias\n    litellm_params: { model: mock/text }\n",
        );
    }
    text
}

#[tokio::test(flavor = "multi_thread")]
async fn sighup_moves_a_provider_to_its_new_api_base() {
    let (first, second) = (mock().await, mock().await);
    let (_dir, file) = config_file(&config(&first.base_url(), false));
    for mode in [Mode::Serve, Mode::Split] {
        std::fs::write(&file, config(&first.base_url(), false)).expect("write");
        first.clear();
        second.clear();
        let gw = Gateway::start(mode, &file, &[]).await;
        let http = gw.http.clone();
        assert_eq!(chat(&http, Some(KEY), "mock/text").await.0, 200, "{mode:?}");
        assert_eq!((chats(&first), chats(&second)), (1, 0), "{mode:?}");
        let (status, body) = chat(&http, Some(KEY), "moved-alias").await;
        assert_eq!(status, 404, "{mode:?}: {body}");
        assert_eq!(body["error"]["code"], "model_not_found", "{mode:?}");

        std::fs::write(&file, config(&second.base_url(), true)).expect("write");
        gw.core.signal(Signal::SIGHUP);
        eventually("a chat reaches the new api_base", || async {
            chat(&http, Some(KEY), "mock/text").await.0 == 200 && chats(&second) > 0
        })
        .await;
        let at_first = chats(&first);
        let at_second = chats(&second);
        let (status, body) = chat(&http, Some(KEY), "moved-alias").await;
        assert_eq!(status, 200, "{mode:?}: {body}");
        assert_eq!(chats(&second), at_second + 1, "{mode:?}");
        assert_eq!(
            chats(&first),
            at_first,
            "{mode:?}: the old api_base is not called"
        );
        let last = second.requests().pop().expect("a request");
        assert_eq!(last.body["model"], "text", "{mode:?}");
        let log = gw.log();
        assert!(log.contains("config reloaded"), "{mode:?}: {log}");
    }
}
