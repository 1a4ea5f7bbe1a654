//! `MODELGATE_CONFIG` names the config file when `--config` is not given: `serve` and `core`
//! load it at start-up (its client keys, providers and aliases apply) and read it again on
//! SIGHUP.

use crate::chat_client;
use crate::support;

use chat_client::{chat, get_status};
use nix::sys::signal::Signal;
use support::{Launch, Process, config_file, eventually, mock, strings};

const KEY: &str = "sk-config-from-variable";

fn config(api_base: &str, alias: &str) -> String {
    format!(
        "auth:\n  keys:\n    - {{ name: main, key: {KEY} }}\nproviders:\n  mock: {{ kind: openai, api_base: \"{api_base}\", api_key: sk-up, models: [text] }}\nmodel_list:\n  - model_name: {alias}\n    litellm_params: {{ model: mock/text }}\n"
    )
}

/// `serve` (or `core` with a facade in front) with the file only in `MODELGATE_CONFIG`;
/// returns the processes (the one to signal first) and the HTTP base URL.
fn start(core: bool, file: &str) -> (Vec<Process>, String) {
    let env = vec![("MODELGATE_CONFIG".to_owned(), file.to_owned())];
    if !core {
        let serve = Process::start(Launch {
            args: strings(&["serve", "--http", "127.0.0.1:0", "--grpc", "127.0.0.1:0"]),
            env,
            wait_for: vec!["http", "grpc"],
        });
        let http = format!("http://{}", serve.addr("http"));
        return (vec![serve], http);
    }
    let core = Process::start(Launch {
        args: strings(&["core", "--grpc", "127.0.0.1:0"]),
        env,
        wait_for: vec!["grpc"],
    });
    let core_url = format!("http://{}", core.addr("grpc"));
    let facade = Process::start(Launch {
        args: strings(&["facade", "--core-url", &core_url, "--http", "127.0.0.1:0"]),
        env: Vec::new(),
        wait_for: vec!["http"],
    });
    let http = format!("http://{}", facade.addr("http"));
    (vec![core, facade], http)
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_and_core_read_the_file_named_by_modelgate_config() {
    let mock = mock().await;
    let (_dir, file) = config_file(&config(&mock.base_url(), "from-file"));
    let path = file.to_string_lossy().into_owned();
    for core in [false, true] {
        std::fs::write(&file, config(&mock.base_url(), "from-file")).expect("write");
        let (processes, http) = start(core, &path);
        let what = if core { "core" } else { "serve" };
        eventually("ready", || async {
            get_status(&http, "/health/ready").await == 200
        })
        .await;
        let log = processes[0].log();
        let loaded = log
            .lines()
            .find(|l| l.contains("config loaded"))
            .unwrap_or_else(|| panic!("{what}: no config loaded:\n{log}"));
        assert!(loaded.contains(&path), "{what}: {loaded}");
        // The file's client key is required and its alias is served.
        assert_eq!(chat(&http, None, "from-file").await.0, 401, "{what}");
        let (status, body) = chat(&http, Some(KEY), "from-file").await;
        assert_eq!(status, 200, "{what}: {body}");

        std::fs::write(&file, config(&mock.base_url(), "after-reload")).expect("write");
        processes[0].signal(Signal::SIGHUP);
        eventually("the reloaded alias is served", || async {
            chat(&http, Some(KEY), "after-reload").await.0 == 200
        })
        .await;
        assert_eq!(chat(&http, Some(KEY), "from-file").await.0, 404, "{what}");
    }
}
