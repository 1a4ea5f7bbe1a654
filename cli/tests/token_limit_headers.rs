//! A key limited by `tpm` alone gets OpenAI's `-tokens` trio on its answers, including
//! `x-ratelimit-reset-tokens` as a Go duration within the one-minute window, and none of the
//! `-requests` headers (no `rpm` is set). Both modes.

use crate::support;

use std::time::Duration;

use serde_json::json;
use support::{Gateway, Mode, config_file, mock};

const KEY: &str = "sk-token-limited-client";

/// OpenAI's reset durations: `20ms`, `1s`, `6m0s`.
fn go_duration(text: &str) -> Option<Duration> {
    if let Some(ms) = text.strip_suffix("ms") {
        return ms.parse().ok().map(Duration::from_millis);
    }
    let secs = text.strip_suffix('s')?;
    match secs.split_once('m') {
        Some((m, s)) => Some(Duration::from_secs(
            m.parse::<u64>().ok()? * 60 + s.parse::<u64>().ok()?,
        )),
        None => secs.parse().ok().map(Duration::from_secs),
    }
}

fn header(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tpm_limited_key_gets_x_ratelimit_reset_tokens() {
    let mock = mock().await;
    let (_dir, file) = config_file(&format!(
        "auth:\n  keys:\n    - {{ name: limited, key: {KEY}, tpm: 10 }}\n\
         providers:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up-0123456789, models: [text] }}\n",
        mock.base_url()
    ));
    for mode in [Mode::Serve, Mode::Split] {
        let gw = Gateway::start(mode, &file, &[]).await;
        let send = || {
            reqwest::Client::new()
                .post(gw.url("/v1/chat/completions"))
                .bearer_auth(KEY)
                .json(
                    &json!({"model": "mock/text", "messages": [{"role": "user", "content": "hi"}]}),
                )
                .send()
        };
        let first = send().await.expect("answers");
        assert_eq!(first.status(), 200, "{mode:?}");
        assert_eq!(
            header(&first, "x-ratelimit-limit-tokens").as_deref(),
            Some("10")
        );
        let reset = header(&first, "x-ratelimit-reset-tokens")
            .unwrap_or_else(|| panic!("{mode:?}: no reset-tokens: {:?}", first.headers()));
        let first_reset =
            go_duration(&reset).unwrap_or_else(|| panic!("{mode:?}: not a duration: {reset}"));
        assert!(
            first_reset > Duration::ZERO && first_reset <= Duration::from_secs(60),
            "{mode:?}: {reset}"
        );
        for absent in [
            "x-ratelimit-limit-requests",
            "x-ratelimit-remaining-requests",
            "x-ratelimit-reset-requests",
        ] {
            assert_eq!(
                header(&first, absent),
                None,
                "{mode:?}: {absent} without rpm"
            );
        }
        first.text().await.expect("body");

        // The answer used more than 10 tokens: the next one is refused until the window ends,
        // and says when that is.
        let second = send().await.expect("answers");
        assert_eq!(second.status(), 429, "{mode:?}");
        assert_eq!(
            header(&second, "x-ratelimit-remaining-tokens").as_deref(),
            Some("0")
        );
        let reset = header(&second, "x-ratelimit-reset-tokens")
            .unwrap_or_else(|| panic!("{mode:?}: no reset-tokens: {:?}", second.headers()));
        let second_reset =
            go_duration(&reset).unwrap_or_else(|| panic!("{mode:?}: not a duration: {reset}"));
        assert!(
            second_reset > Duration::ZERO && second_reset <= first_reset,
            "{mode:?}: {second_reset:?} after {first_reset:?}"
        );
    }
}
