//! Readiness in split mode follows the core: `/health/ready` on the facade answers 503 while
//! its core is down (the facade itself is not draining, so `/health` stays 200) and 200 again
//! once a core answers at the same address.

use crate::chat_client;
use crate::support;

use chat_client::{chat, get, get_status};
use nix::sys::signal::Signal;
use support::{Gateway, Launch, Mode, Process, config_file, eventually, mock};

const KEY: &str = "sk-readiness-test";

#[tokio::test(flavor = "multi_thread")]
async fn facade_is_not_ready_while_its_core_is_down_and_ready_when_it_is_back() {
    let mock = mock().await;
    let (_dir, file) = config_file(&format!(
        "auth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\nproviders:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up, models: [text] }}\n",
        mock.base_url()
    ));
    let mut gw = Gateway::start(Mode::Split, &file, &[]).await;
    let http = gw.http.clone();
    assert_eq!(chat(&http, Some(KEY), "mock/text").await.0, 200);

    // A crash, not a drain: the core gets no chance to say NOT_SERVING.
    gw.core.signal(Signal::SIGKILL);
    gw.core.exit_status();
    eventually("facade not ready without its core", || async {
        get_status(&http, "/health/ready").await == 503
    })
    .await;
    let (status, body) = get(&http, "/health/ready").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("core not serving"), "{body}");
    assert!(!body.contains("shutting down"), "{body}");
    assert_eq!(get_status(&http, "/health/readiness").await, 503);
    assert_eq!(get_status(&http, "/health").await, 200);
    assert_eq!(get_status(&http, "/health/liveness").await, 200);
    let facade = gw.facade.as_mut().expect("split mode");
    assert!(
        facade.child.try_wait().expect("wait").is_none(),
        "the facade exited with its core:\n{}",
        facade.log()
    );

    // A new core on the same address: the facade reconnects on its own.
    gw.core = Process::start(Launch {
        args: vec![
            "core".into(),
            "--grpc".into(),
            gw.grpc_addr().to_owned(),
            "--config".into(),
            file.to_string_lossy().into_owned(),
        ],
        env: Vec::new(),
        wait_for: vec!["grpc"],
    });
    eventually("facade ready again", || async {
        get_status(&http, "/health/ready").await == 200
    })
    .await;
    let (status, body) = chat(&http, Some(KEY), "mock/text").await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["choices"][0]["message"]["content"]
            .as_str()
            .is_some_and(|t| !t.is_empty()),
        "{body}"
    );
}
