//! Prompts, completions and keys never appear at info: with `--log-bodies` on, the bodies are in
//! the log at debug (which shows the check can see them) and in no record of a higher level.
//! Checked with the completions the upstream really sent, plain and streamed, in both modes.

use crate::support;

use serde_json::{Value, json};
use support::{Launch, Mode, Process, config_file, eventually, mock, strings};

const KEY: &str = "sk-completions-log-test";

/// `serve`, or `core` + `facade`, with `--log-bodies` (and the default `RUST_LOG=info`).
fn start(mode: Mode, config: &str) -> Vec<Process> {
    let env = vec![("RUST_LOG".to_owned(), "info".to_owned())];
    match mode {
        Mode::Serve => {
            let p = Process::start(Launch {
                args: strings(&[
                    "--log-bodies",
                    "serve",
                    "--http",
                    "127.0.0.1:0",
                    "--grpc",
                    "127.0.0.1:0",
                    "--config",
                    config,
                ]),
                env,
                wait_for: vec!["http"],
            });
            vec![p]
        }
        Mode::Split => {
            let core = Process::start(Launch {
                args: strings(&[
                    "--log-bodies",
                    "core",
                    "--grpc",
                    "127.0.0.1:0",
                    "--config",
                    config,
                ]),
                env: env.clone(),
                wait_for: vec!["grpc"],
            });
            let facade = Process::start(Launch {
                args: strings(&[
                    "--log-bodies",
                    "facade",
                    "--core-url",
                    &format!("http://{}", core.addr("grpc")),
                    "--http",
                    "127.0.0.1:0",
                    "--config",
                    config,
                ]),
                env,
                wait_for: vec!["http"],
            });
            vec![core, facade]
        }
    }
}

/// What shows a completion in a log, from a plain and a streamed chat.
/// `http://…` of the process that serves HTTP (the last one started).
fn http_of(processes: &[Process]) -> String {
    let last = processes.last().expect("a process");
    format!("http://{}", last.addr("http"))
}

struct Shown {
    /// Found in the debug body log: the plain completion, and each piece of the streamed one
    /// as its chunk carries it (`"content":"…"`).
    in_bodies: Vec<String>,
    /// The streamed completion whole, as a line that assembled it would show it.
    assembled: String,
}

async fn completions(http: &str) -> Shown {
    let client = reqwest::Client::new();
    eventually("ready", || {
        let (client, url) = (client.clone(), format!("{http}/health/ready"));
        async move {
            client
                .get(url)
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
        }
    })
    .await;
    let chat = |stream: bool| {
        client
            .post(format!("{http}/v1/chat/completions"))
            .bearer_auth(KEY)
            .json(&json!({"model": "mock/text", "stream": stream,
                "messages": [{"role": "user", "content": "say something"}]}))
            .send()
    };
    let plain: Value = chat(false)
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    let plain = plain["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    // Long enough that finding it in a log cannot be chance.
    assert!(plain.len() >= 16, "{plain:?}");
    let streamed = chat(true)
        .await
        .expect("answers")
        .text()
        .await
        .expect("body");
    let pieces: Vec<String> = streamed
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .filter_map(|c| {
            c["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .filter(|p| !p.is_empty())
        .collect();
    assert!(pieces.len() >= 2, "a completion in pieces: {streamed}");
    let assembled = pieces.concat();
    let mut in_bodies = vec![plain];
    in_bodies.extend(pieces.iter().map(|p| format!("\"content\":{}", json!(p))));
    Shown {
        in_bodies,
        assembled,
    }
}

/// Waits until the core wrote both request lines; then every process's records, split into
/// those at debug (or trace) and all others (any line whose level is not debug or trace).
async fn logs(processes: &[Process]) -> (String, String) {
    eventually("request lines logged", || async {
        processes[0].log().matches("modelgate::request").count() >= 2
    })
    .await;
    let (mut debug, mut higher) = (String::new(), String::new());
    for process in processes {
        // Text records escape quoted values (`\"`, `\'`): compared without the backslashes.
        for line in process.log().replace('\\', "").lines() {
            let level = line.split_whitespace().nth(1).unwrap_or_default();
            let into = if level == "DEBUG" || level == "TRACE" {
                &mut debug
            } else {
                &mut higher
            };
            into.push_str(line);
            into.push('\n');
        }
    }
    (debug, higher)
}

#[tokio::test(flavor = "multi_thread")]
async fn completions_stay_out_of_the_log_at_info() {
    let mock = mock().await;
    let (_dir, file) = config_file(&format!(
        "auth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\nproviders:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up-never-logged, models: [text] }}\n",
        mock.base_url()
    ));
    let config = file.to_string_lossy().into_owned();
    for mode in [Mode::Serve, Mode::Split] {
        let processes = start(mode, &config);
        let shown = completions(&http_of(&processes)).await;
        let (debug, higher) = logs(&processes).await;
        // The control: the body log has them, at debug.
        for text in &shown.in_bodies {
            assert!(
                debug.contains(text.as_str()),
                "{mode:?}: {text:?} not in the debug body log:\n{debug}"
            );
        }
        assert!(
            higher.contains("modelgate::request"),
            "{mode:?}: no info record to check:\n{higher}"
        );
        for text in shown.in_bodies.iter().chain([&shown.assembled]) {
            assert!(
                !higher.contains(text.as_str()),
                "{mode:?}: the completion {text:?} was logged above debug:\n{higher}"
            );
        }
        assert!(
            !higher.contains("say something"),
            "{mode:?}: the prompt was logged above debug:\n{higher}"
        );
        for key in [KEY, "sk-up-never-logged"] {
            assert!(
                !debug.contains(key) && !higher.contains(key),
                "{mode:?}: {key} logged"
            );
        }
    }
}
