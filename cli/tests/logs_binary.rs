//! The log the real binary writes, as the README's "Logs" paragraph describes it: the log flags
//! before or after the subcommand (and their variables), one `modelgate::request` info line per
//! request with every field, text by default and JSON on request, `--log-file` writing every
//! record to a file named for the day, 499 when the client goes away mid-stream, the redacted
//! body log, and no key anywhere, not even one sent in the query string.

use crate::support;

use std::path::Path;

use mock_upstream::MockUpstream;
use serde_json::{Value, json};
use support::{Launch, Process, config_file, eventually, mock, strings};

const KEY: &str = "sk-logs-client-key-0123456789";
const PROVIDER_KEY: &str = "sk-logs-provider-key-9876543210";
const PROMPT: &str = "my very private prompt words";
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk";

fn config(mock: &MockUpstream) -> (tempfile::TempDir, std::path::PathBuf) {
    config_file(&format!(
        r#"auth:
  keys:
    - {{ name: tests, key: {KEY} }}
providers:
  mock: {{ kind: openai, api_base: "{}", api_key: {PROVIDER_KEY}, models: [text] }}
  discovered: {{ kind: openai, api_base: "{}", api_key: {PROVIDER_KEY} }}
  down: {{ kind: openai, api_base: "http://127.0.0.1:9/v1" }}
"#,
        mock.base_url(),
        mock.base_url()
    ))
}

fn owned_env(env: &[(&str, &str)]) -> Vec<(String, String)> {
    env.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// A gateway started with the log flags placed where a test wants them.
struct Running {
    /// `serve`, or the core (the process that writes request lines).
    core: Process,
    /// The facade in split mode.
    facade: Option<Process>,
    http: String,
}

impl Running {
    /// `before` goes before the subcommand, `after` after it.
    async fn serve(config: &Path, before: &[&str], after: &[&str], env: &[(&str, &str)]) -> Self {
        let config = config.to_string_lossy().into_owned();
        let mut args = strings(before);
        args.extend(strings(&[
            "serve",
            "--http",
            "127.0.0.1:0",
            "--grpc",
            "127.0.0.1:0",
            "--config",
            &config,
        ]));
        args.extend(strings(after));
        let core = Process::start(Launch {
            args,
            env: owned_env(env),
            wait_for: vec!["http", "grpc"],
        });
        let http = format!("http://{}", core.addr("http"));
        Self::ready(Self {
            core,
            facade: None,
            http,
        })
        .await
    }

    /// `core_args` and `facade_args` go after each subcommand.
    async fn split(
        config: &Path,
        core_args: &[&str],
        core_env: &[(&str, &str)],
        facade_args: &[&str],
        facade_env: &[(&str, &str)],
    ) -> Self {
        let config = config.to_string_lossy().into_owned();
        let mut args = strings(&["core", "--grpc", "127.0.0.1:0", "--config", &config]);
        args.extend(strings(core_args));
        let core = Process::start(Launch {
            args,
            env: owned_env(core_env),
            wait_for: vec!["grpc"],
        });
        let mut args = strings(&[
            "facade",
            "--core-url",
            &format!("http://{}", core.addr("grpc")),
            "--http",
            "127.0.0.1:0",
            "--config",
            &config,
        ]);
        args.extend(strings(facade_args));
        let facade = Process::start(Launch {
            args,
            env: owned_env(facade_env),
            wait_for: vec!["http"],
        });
        let http = format!("http://{}", facade.addr("http"));
        Self::ready(Self {
            core,
            facade: Some(facade),
            http,
        })
        .await
    }

    async fn ready(self) -> Self {
        let ready = format!("{}/health/ready", self.http);
        eventually("ready", || {
            let ready = ready.clone();
            async move { reqwest::get(ready).await.is_ok_and(|r| r.status() == 200) }
        })
        .await;
        self
    }

    /// The process that reads HTTP bodies (the facade in split mode).
    fn http_process(&self) -> &Process {
        self.facade.as_ref().unwrap_or(&self.core)
    }

    fn processes(&self) -> Vec<&Process> {
        std::iter::once(&self.core).chain(&self.facade).collect()
    }

    /// A streamed chat carrying `id`, the key in the header and, as careless clients do, in
    /// the query string too. Returns the usage the answer reported.
    async fn streamed_chat(&self, id: &str) -> Value {
        let resp = reqwest::Client::new()
            .post(format!(
                "{}/v1/chat/completions?api_key={KEY}&key={KEY}",
                self.http
            ))
            .bearer_auth(KEY)
            .header("x-request-id", id)
            .json(&json!({"model": "mock/text", "stream": true,
                "stream_options": {"include_usage": true},
                "messages": [{"role": "user", "content": [
                    {"type": "text", "text": PROMPT},
                    {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{PNG}")}}]}]}))
            .send()
            .await
            .expect("answers");
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["x-request-id"], id);
        let text = resp.text().await.expect("sse");
        text.lines()
            .filter_map(|l| l.strip_prefix("data: "))
            .filter_map(|d| serde_json::from_str::<Value>(d).ok())
            .rfind(|v| v["usage"].is_object())
            .expect("a usage chunk")["usage"]
            .clone()
    }

    /// A chat to an upstream that is down.
    async fn failed_chat(&self, id: &str) {
        let resp = reqwest::Client::new()
            .post(format!("{}/v1/chat/completions", self.http))
            .bearer_auth(KEY)
            .header("x-request-id", id)
            .json(&json!({"model": "down/x", "messages": [{"role": "user", "content": "hi"}]}))
            .send()
            .await
            .expect("answers");
        assert_eq!(resp.status(), 502);
    }
}

/// Every line of `log` as JSON (the format applies to every record).
fn json_lines(log: &str, what: &str) -> Vec<Value> {
    log.lines()
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {l}")))
        .collect()
}

/// The JSON `modelgate::request` lines of `id` in `process`'s log, once there is one.
async fn json_request_lines(process: &Process, id: &str) -> Vec<Value> {
    let of_id = |log: &str| -> Vec<Value> {
        json_lines(log, "request log")
            .into_iter()
            .filter(|l| l["target"] == "modelgate::request" && l["request_id"] == id)
            .collect()
    };
    eventually(&format!("a request line for {id}"), || async {
        !of_id(&process.log()).is_empty()
    })
    .await;
    of_id(&process.log())
}

/// The request ids of the spans a JSON line was written in.
fn span_ids(line: &Value) -> Vec<String> {
    line["spans"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["request_id"].as_str().map(str::to_owned))
        .collect()
}

fn assert_no_key(text: &str, what: &str) {
    assert!(!text.contains(KEY), "{what}: the client key was logged");
    assert!(
        !text.contains(PROVIDER_KEY),
        "{what}: the provider key was logged"
    );
}

/// The one request line of a streamed answer, with every field at its value.
fn assert_streamed_line(line: &Value, id: &str, usage: &Value) {
    assert_eq!(line["level"], "INFO", "{line}");
    assert_eq!(line["request_id"], id);
    assert_eq!(line["key"], "tests", "the key's name, never the key");
    assert_eq!(line["model"], "mock/text");
    assert_eq!(line["provider"], "mock");
    assert_eq!(line["upstream_model"], "text");
    assert_eq!(line["stream"], true);
    assert_eq!(line["status"], 200);
    assert_eq!(line["prompt_tokens"], usage["prompt_tokens"]);
    assert_eq!(line["completion_tokens"], usage["completion_tokens"]);
    assert!(
        usage["prompt_tokens"].as_u64().is_some_and(|n| n > 0),
        "{usage}"
    );
    // The recording reports both as 0.
    assert_eq!(line["reasoning_tokens"], 0);
    assert_eq!(line["cached_tokens"], 0);
    let ttft = line["ttft_ms"].as_u64().expect("ttft_ms is a number");
    let duration = line["duration_ms"]
        .as_u64()
        .expect("duration_ms is a number");
    assert!(ttft <= duration, "{line}");
    assert_eq!(line["attempts"], 1);
    assert!(line.get("error").is_none(), "no error on success: {line}");
}

#[tokio::test(flavor = "multi_thread")]
async fn json_format_from_the_flag_or_the_variable_in_both_modes() {
    let mock = mock().await;
    let (_dir, file) = config(&mock);
    // The flags before the subcommand (serve), after it (core), or as variables (facade).
    let serve = Running::serve(&file, &["--log-format", "json"], &["--log-bodies"], &[]).await;
    let split = Running::split(
        &file,
        &["--log-format=json", "--log-bodies"],
        &[],
        &[],
        &[
            ("MODELGATE_LOG_FORMAT", "json"),
            ("MODELGATE_LOG_BODIES", "1"),
        ],
    )
    .await;
    for (mode, gw) in [("serve", &serve), ("split", &split)] {
        let id = format!("json-log-{mode}");
        let usage = gw.streamed_chat(&id).await;
        let lines = json_request_lines(&gw.core, &id).await;
        assert_eq!(lines.len(), 1, "{mode}: one line per request: {lines:?}");
        assert_streamed_line(&lines[0], &id, &usage);
        assert!(
            span_ids(&lines[0]).contains(&id),
            "{mode}: the request line sits in a span carrying its id: {}",
            lines[0]
        );

        let failed_id = format!("json-log-failed-{mode}");
        gw.failed_chat(&failed_id).await;
        let failed = json_request_lines(&gw.core, &failed_id).await;
        assert_eq!(failed.len(), 1, "{mode}: {failed:?}");
        assert_eq!(failed[0]["status"], 502);
        assert_eq!(failed[0]["provider"], "down");
        assert!(
            failed[0]["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{mode}: the failure carries its error: {}",
            failed[0]
        );

        // The body log, from the process that reads HTTP bodies: on at debug, inside the
        // request's span, the image replaced by its description.
        let bodies: Vec<Value> = json_lines(&gw.http_process().log(), mode)
            .into_iter()
            .filter(|l| l["target"] == "modelgate::body" && span_ids(l).contains(&id))
            .collect();
        let request_body = bodies
            .iter()
            .find(|l| l["direction"] == "request")
            .unwrap_or_else(|| panic!("{mode}: no request body line for {id}"));
        assert_eq!(request_body["level"], "DEBUG");
        let shown = request_body["body"].as_str().expect("body text");
        assert!(shown.contains("[data URI image/png"), "{mode}: {shown}");
        assert!(!shown.contains(PNG), "{mode}: image data logged: {shown}");
        assert!(
            bodies.iter().any(|l| l["direction"] == "chunk"),
            "{mode}: stream chunks logged"
        );

        for process in gw.processes() {
            let log = process.log();
            assert_no_key(&log, mode);
            for line in json_lines(&log, mode) {
                // Prompts only in the debug body log.
                if line["level"] != "DEBUG" {
                    assert!(
                        !line.to_string().contains(PROMPT),
                        "{mode}: prompt at info: {line}"
                    );
                }
                // Every line written inside a request's span names the request.
                if line["spans"].as_array().is_some_and(|s| !s.is_empty()) {
                    assert!(
                        !span_ids(&line).is_empty(),
                        "{mode}: a request's line without its id: {line}"
                    );
                }
            }
        }
    }
}

/// `name=value` pairs of a text record after its message.
fn text_fields(line: &str) -> std::collections::HashMap<String, String> {
    let (_, fields) = line
        .split_once("modelgate::request: request ")
        .unwrap_or_else(|| panic!("not a request line: {line}"));
    fields
        .split(' ')
        .filter_map(|f| f.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn text_format_by_default() {
    let mock = mock().await;
    let (_dir, file) = config(&mock);
    let gw = Running::serve(&file, &[], &[], &[]).await;
    let id = "text-log-serve";
    let usage = gw.streamed_chat(id).await;
    let marker = format!("request request_id={id} ");
    eventually("a text request line", || async {
        gw.core.log().contains(&marker)
    })
    .await;
    let log = gw.core.log();
    let lines: Vec<&str> = log.lines().filter(|l| l.contains(&marker)).collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains(" INFO "), "{}", lines[0]);
    assert!(lines[0].contains(" modelgate::request: "), "{}", lines[0]);
    let fields = text_fields(lines[0]);
    let field = |name: &str| fields.get(name).map(String::as_str);
    assert_eq!(field("key"), Some("tests"));
    assert_eq!(field("model"), Some("mock/text"));
    assert_eq!(field("provider"), Some("mock"));
    assert_eq!(field("upstream_model"), Some("text"));
    assert_eq!(field("stream"), Some("true"));
    assert_eq!(field("status"), Some("200"));
    assert_eq!(
        field("prompt_tokens"),
        Some(usage["prompt_tokens"].to_string().as_str())
    );
    assert_eq!(
        field("completion_tokens"),
        Some(usage["completion_tokens"].to_string().as_str())
    );
    assert_eq!(field("attempts"), Some("1"));
    for number in [
        "ttft_ms",
        "duration_ms",
        "reasoning_tokens",
        "cached_tokens",
    ] {
        assert!(
            field(number).is_some_and(|v| v.parse::<u64>().is_ok()),
            "{number}: {}",
            lines[0]
        );
    }
    // Text, not JSON, on every line.
    assert!(log.lines().all(|l| !l.starts_with('{')), "{log}");
    assert_no_key(&log, "text");
}

#[tokio::test(flavor = "multi_thread")]
async fn log_file_gets_every_record_in_a_file_named_for_the_day() {
    let mock = mock().await;
    let (dir, file) = config(&mock);
    // A folder that does not exist yet, as in the README's `logs/app.log`.
    let logs = dir.path().join("logs");
    let log_file = logs.join("app.log");
    let log_file_arg = log_file.to_string_lossy().into_owned();
    let serve = Running::serve(
        &file,
        &["--log-file", &log_file_arg],
        &["--log-format", "json"],
        &[],
    )
    .await;
    // The variable works as the flag does, for the other subcommands too.
    let core_file = logs.join("core.log");
    let split = Running::split(
        &file,
        &["--log-format", "json"],
        &[("MODELGATE_LOG_FILE", &core_file.to_string_lossy())],
        &[],
        &[],
    )
    .await;
    for (mode, gw, path) in [("serve", &serve, &log_file), ("split", &split, &core_file)] {
        let id = format!("file-log-{mode}");
        let usage = gw.streamed_chat(&id).await;
        let line = json_request_lines(&gw.core, &id).await.remove(0);
        // `app.log` is written as `app.YYYY-MM-DD.log`, the day (UTC) the record was written.
        let day = line["timestamp"].as_str().expect("timestamp")[..10].to_owned();
        let stem = path.file_stem().expect("stem").to_string_lossy();
        let dated = logs.join(format!("{stem}.{day}.log"));
        // Each output stamps its own time: records compare without it.
        let untimed = |log: &str| -> Vec<Value> {
            json_lines(log, mode)
                .into_iter()
                .map(|mut l| {
                    l.as_object_mut().map(|o| o.remove("timestamp"));
                    l
                })
                .collect()
        };
        let stderr = untimed(&gw.core.log());
        // Written by a background thread: wait for it to catch up with stderr.
        eventually(
            &format!("{mode}: {} holds every record", dated.display()),
            || async {
                let written = untimed(&support::read(&dated));
                stderr.iter().all(|l| written.contains(l))
            },
        )
        .await;
        assert!(!path.exists(), "{mode}: an undated file was written");
        let written = support::read(&dated);
        let in_file: Vec<Value> = json_lines(&written, "log file")
            .into_iter()
            .filter(|l| l["target"] == "modelgate::request" && l["request_id"] == id.as_str())
            .collect();
        assert_eq!(in_file.len(), 1, "{mode}: {written}");
        assert_streamed_line(&in_file[0], &id, &usage);
        assert_no_key(&written, mode);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_gone_mid_stream_is_logged_as_499() {
    let mock = mock().await;
    let (_dir, file) = config(&mock);
    let serve = Running::serve(&file, &["--log-format", "json"], &[], &[]).await;
    let split = Running::split(&file, &["--log-format", "json"], &[], &[], &[]).await;
    for (mode, gw) in [("serve", &serve), ("split", &split)] {
        let id = format!("gone-{mode}");
        // The mock sends a few events, then stays silent with the stream open.
        let mut resp = reqwest::Client::new()
            .post(format!("{}/v1/chat/completions", gw.http))
            .bearer_auth(KEY)
            .header("x-request-id", &id)
            .json(
                &json!({"model": "discovered/hang-mid-stream", "stream": true,
                "messages": [{"role": "user", "content": "hi"}]}),
            )
            .send()
            .await
            .expect("answers");
        assert_eq!(resp.status(), 200);
        let first = resp.chunk().await.expect("reads").expect("a first chunk");
        assert!(!first.is_empty());
        // The client goes away: its connection closes with the stream open.
        drop(resp);
        let lines = json_request_lines(&gw.core, &id).await;
        assert_eq!(lines.len(), 1, "{mode}: {lines:?}");
        assert_eq!(lines[0]["status"], 499, "{mode}: {}", lines[0]);
        assert_eq!(lines[0]["stream"], true);
        assert_eq!(lines[0]["provider"], "discovered");
        assert!(lines[0].get("error").is_none(), "{mode}: {}", lines[0]);
    }
}
