//! A reload whose file does not validate is rejected with the whole error in the log: the
//! file, the key path and how to fix it; the running configuration stays.

use crate::support;

use nix::sys::signal::Signal;
use serde_json::Value;
use support::{Gateway, Mode, config_file, eventually};

const KEY: &str = "sk-reload-rejection-test";

fn valid() -> String {
    format!(
        "auth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\nproviders:\n  local: {{ kind: ollama, api_base: \"http://127.0.0.1:9\" }}\nmodel_list:\n  - model_name: kept-alias\n    litellm_params: {{ model: local/llama3 }}\n"
    )
}

async fn model_ids(gw: &Gateway) -> Vec<String> {
    let body: Value = reqwest::Client::new()
        .get(gw.url("/v1/models"))
        .bearer_auth(KEY)
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    body["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|m| m["id"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejected_reload_logs_file_key_path_and_fix() {
    let (_dir, file) = config_file(&valid());
    let path = file.to_string_lossy().into_owned();
    let gw = Gateway::start(Mode::Serve, &file, &[]).await;
    assert!(model_ids(&gw).await.contains(&"kept-alias".to_owned()));

    // (file contents, the key path, the fix) — a misspelt key, and a value out of its set.
    let cases = [
        (
            format!("{}model_lst: []\n", valid()),
            "model_lst: unknown key `model_lst`",
            "did you mean `model_list`?",
        ),
        (
            valid().replace("kind: ollama", "kind: olama"),
            "providers.local.kind: unknown kind `olama`",
            "write one of openai, azure, anthropic, gemini or ollama",
        ),
    ];
    for (n, (text, located, fix)) in cases.iter().enumerate() {
        std::fs::write(&file, text).expect("write");
        gw.core.signal(Signal::SIGHUP);
        eventually("the rejection is logged", || async {
            gw.log().matches("config reload rejected").count() > n
        })
        .await;
        let log = gw.log();
        let line = log
            .lines()
            .filter(|l| l.contains("config reload rejected"))
            .nth(n)
            .expect("rejection line");
        let whole = format!("{path}: {located}");
        assert!(line.contains(&whole), "no {whole:?} in: {line}");
        assert!(line.contains(fix), "no fix {fix:?} in: {line}");
        // The running configuration stayed.
        assert!(
            model_ids(&gw).await.contains(&"kept-alias".to_owned()),
            "the alias went away after a rejected reload"
        );
    }
}
