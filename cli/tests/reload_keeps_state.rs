//! Rate-limit counters and deployment health belong to the running process: a SIGHUP that
//! reloads the configuration (with an unrelated change) neither gives a key back the requests
//! it spent nor takes a failing deployment out of its cooldown.

use crate::support;

use mock_upstream::MockUpstream;
use nix::sys::signal::Signal;
use serde_json::{Value, json};
use support::{Gateway, Mode, config_file, eventually, mock};

const LIMITED: &str = "sk-reload-limited";
const OPEN: &str = "sk-reload-open";
const RPM: usize = 3;
/// The failing deployment's model: the mock answers 500 to its first 1000 requests.
const FAILING: &str = "fail-1000-500-reload";

/// The config; `extra` adds an alias, the unrelated change a reload brings.
fn config(mock: &MockUpstream, extra: bool) -> String {
    let mut text = format!(
        "auth:\n  keys:\n\
         \x20   - {{ name: limited, key: {LIMITED}, rpm: {RPM} }}\n\
         \x20   - {{ name: open, key: {OPEN} }}\n\
         router_settings: {{ allowed_fails: 0, cooldown_time: 600, num_retries: 1 }}\n\
         providers:\n\
         \x20 mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up }}\n\
         model_list:\n\
         \x20 - model_name: pool\n\
         \x20   litellm_params: {{ model: mock/{FAILING}, order: 1 }}\n\
         \x20 - model_name: pool\n\
         \x20   litellm_params: {{ model: mock/text, order: 2 }}\n",
        mock.base_url()
    );
    if extra {
        text.push_str("  - model_name: extra\n    litellm_params: { model: mock/text }\n");
    }
    text
}

struct Setup {
    mock: MockUpstream,
    _dir: tempfile::TempDir,
    file: std::path::PathBuf,
    gw: Gateway,
    http: reqwest::Client,
}

async fn start(mode: Mode) -> Setup {
    let mock = mock().await;
    let (dir, file) = config_file(&config(&mock, false));
    let gw = Gateway::start(mode, &file, &[]).await;
    Setup {
        mock,
        _dir: dir,
        file,
        gw,
        http: reqwest::Client::new(),
    }
}

impl Setup {
    /// A chat to `model` with `key`: the status and the `x-modelgate-attempts` and
    /// `x-modelgate-deployment` headers.
    async fn chat(&self, key: &str, model: &str) -> (u16, String, String) {
        let resp = self
            .http
            .post(self.gw.url("/v1/chat/completions"))
            .bearer_auth(key)
            .json(&json!({"model": model, "messages": [{"role": "user", "content": "hi"}]}))
            .send()
            .await
            .expect("answers");
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let (attempts, deployment) = (
            header("x-modelgate-attempts"),
            header("x-modelgate-deployment"),
        );
        (resp.status().as_u16(), attempts, deployment)
    }

    /// Rewrites the config with the extra alias, sends SIGHUP to the process holding the core,
    /// and waits until the alias is listed (the new config serves).
    async fn reload_with_unrelated_change(&self) {
        std::fs::write(&self.file, config(&self.mock, true)).expect("rewrite config");
        self.gw.core.signal(Signal::SIGHUP);
        let url = self.gw.url("/v1/models");
        eventually("the reloaded config serves", || {
            let request = self.http.get(&url).bearer_auth(OPEN);
            async move {
                let Ok(resp) = request.send().await else {
                    return false;
                };
                let list: Value = resp.json().await.unwrap_or_default();
                list["data"]
                    .as_array()
                    .is_some_and(|d| d.iter().any(|m| m["id"] == "extra"))
            }
        })
        .await;
    }

    /// Requests the mock received for `model`.
    fn upstream_calls(&self, model: &str) -> usize {
        self.mock
            .requests()
            .iter()
            .filter(|r| r.body["model"] == model)
            .count()
    }
}

async fn spent_requests_stay_spent(mode: Mode) {
    let s = start(mode).await;
    for i in 0..RPM {
        assert_eq!(s.chat(LIMITED, "mock/text").await.0, 200, "request {i}");
    }
    assert_eq!(s.chat(LIMITED, "mock/text").await.0, 429, "over rpm");
    s.reload_with_unrelated_change().await;
    assert_eq!(
        s.chat(LIMITED, "mock/text").await.0,
        429,
        "still over rpm after the reload; log:\n{}",
        s.gw.log()
    );
    assert_eq!(
        s.chat(OPEN, "mock/text").await.0,
        200,
        "other keys unaffected"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limit_counters_survive_a_reload_serve() {
    spent_requests_stay_spent(Mode::Serve).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limit_counters_survive_a_reload_split() {
    spent_requests_stay_spent(Mode::Split).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cooling_deployment_stays_cooling_across_a_reload() {
    let s = start(Mode::Serve).await;
    // The failing deployment comes first (`order: 1`): it fails once, cools down, and the
    // healthy one answers.
    assert_eq!(
        s.chat(OPEN, "pool").await,
        (200, "2".to_owned(), "mock/text".to_owned())
    );
    assert_eq!(s.upstream_calls(FAILING), 1);
    // Cooling: the group goes straight to the healthy deployment.
    assert_eq!(
        s.chat(OPEN, "pool").await,
        (200, "1".to_owned(), "mock/text".to_owned())
    );
    s.reload_with_unrelated_change().await;
    assert_eq!(
        s.chat(OPEN, "pool").await,
        (200, "1".to_owned(), "mock/text".to_owned()),
        "still cooling after the reload; log:\n{}",
        s.gw.log()
    );
    assert_eq!(
        s.upstream_calls(FAILING),
        1,
        "the cooling deployment was not called"
    );
}
