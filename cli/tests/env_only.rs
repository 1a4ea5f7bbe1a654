//! The quick start: `modelgate serve` with no config file, providers and client keys from the
//! environment only, answers chat; SIGHUP reads the environment again.

use crate::chat_client;
use crate::support;

use chat_client::{chat, get_status};
use mock_upstream::MockUpstream;
use nix::sys::signal::Signal;
use support::{Launch, Process, eventually, mock};

const UPSTREAM_KEY: &str = "sk-upstream-from-env";
const CLIENT_KEYS: &str = "sk-env-client-one, sk-env-client-two";

async fn serve_from_env(mock: &MockUpstream) -> (Process, String) {
    let base = mock.base_url();
    let process = Process::start(Launch {
        // No --config and no MODELGATE_CONFIG: only the addresses, so the test stays on loopback.
        args: ["serve", "--http", "127.0.0.1:0", "--grpc", "127.0.0.1:0"]
            .map(str::to_owned)
            .to_vec(),
        env: vec![
            ("OPENAI_API_KEY".into(), UPSTREAM_KEY.into()),
            ("OPENAI_BASE_URL".into(), base),
            ("MODELGATE_API_KEYS".into(), CLIENT_KEYS.into()),
        ],
        wait_for: vec!["http", "grpc"],
    });
    let http = format!("http://{}", process.addr("http"));
    eventually("ready", || async {
        get_status(&http, "/health/ready").await == 200
    })
    .await;
    (process, http)
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_from_environment_variables_alone_answers_chat() {
    let mock = mock().await;
    let (process, http) = serve_from_env(&mock).await;
    let log = process.log();
    assert!(log.contains("config loaded"), "{log}");
    assert!(!log.contains("NO CLIENT KEYS"), "{log}");

    assert_eq!(chat(&http, None, "openai/text").await.0, 401);
    assert_eq!(
        chat(&http, Some("sk-not-a-key-at-all"), "openai/text")
            .await
            .0,
        401
    );
    mock.clear();
    let (status, body) = chat(&http, Some("sk-env-client-two"), "openai/text").await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["choices"][0]["message"]["content"]
            .as_str()
            .is_some_and(|t| !t.is_empty()),
        "{body}"
    );
    let requests = mock.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].path, "/v1/chat/completions");
    assert_eq!(requests[0].body["model"], "text");
    let auth = requests[0]
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.clone());
    assert_eq!(auth.as_deref(), Some("Bearer sk-upstream-from-env"));
    // The second key of MODELGATE_API_KEYS is named `key-2` in the request log.
    eventually("the request is logged", || async {
        process.log().contains("key-2")
    })
    .await;
    let (status, _) = chat(&http, Some("sk-env-client-one"), "openai/text").await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn sighup_without_a_config_file_reads_the_environment_again() {
    let mock = mock().await;
    let (process, http) = serve_from_env(&mock).await;
    process.signal(Signal::SIGHUP);
    eventually("the reload is handled", || async {
        process.log().contains("config reload")
    })
    .await;
    let log = process.log();
    let reloaded = log
        .lines()
        .find(|l| l.contains("config reloaded"))
        .unwrap_or_else(|| panic!("no reload:\n{log}"));
    assert!(reloaded.contains("environment"), "{reloaded}");
    assert!(reloaded.contains("keys=2"), "{reloaded}");
    assert_eq!(
        chat(&http, Some("sk-env-client-one"), "openai/text")
            .await
            .0,
        200
    );
    assert_eq!(chat(&http, None, "openai/text").await.0, 401);
}
